/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iodbg-gdbserver's core: a remote-protocol proxy between gdb and a stock gdbserver. Every
 * packet passes unchanged except memory transfers that gdbserver refuses (served through
 * libiodbg), memory reads libiodbg serves whole (one call rather than a round trip to
 * gdbserver per piece), the packet size (gdb may send far larger ones: the proxy splits
 * them), and the "monitor iodbg" commands, which are the proxy's own.
 */
#ifndef IODBG_PROXY_H
#define IODBG_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "link.h"

/* The packet size offered to gdb, and so the longest packet taken from it. */
#define PROXY_PACKET_SIZE 0x40000
/* The longest packet taken from gdbserver (which offers 0x47ff). */
#define PROXY_SERVER_PACKET_MAX 0x40000

struct iodbg_target;

/*
 * A software breakpoint gdb had gdbserver insert ("Z0"): the memory there holds the trap
 * instruction, which gdbserver hides from gdb's reads and so must the proxy's own.
 */
struct sw_breakpoint {
	pid_t pid;
	uint64_t addr;
	uint64_t len;
};

/* Memory reused from one packet to the next, grown as needed. */
struct buffer {
	void *data;
	size_t room;
};

struct proxy {
	struct rsp_link gdb;
	struct rsp_link server;
	size_t server_packet_size;	/* from gdbserver's qSupported reply */
	pid_t pid;			/* the process that memory packets address now */
	pid_t attaching;		/* vAttach sent, not yet answered */
	pid_t selecting;		/* Hg sent for this process, not yet answered */
	struct iodbg_target *target;	/* libiodbg's handle on @pid, opened on first need */
	bool allow_mmio;		/* "monitor iodbg allow-mmio on" */
	bool stop_expected;		/* the request forwarded is answered by a stop reply */
	bool noack_requested;		/* QStartNoAckMode forwarded */
	bool features_requested;	/* qSupported forwarded */
	bool verbose;			/* log the proxy's own decisions on stderr */
	bool memory_map;		/* the proxy answers qXfer:memory-map:read */
	int listen_fd;			/* where gdb connected (TCP), or -1 (stdio) */
	/*
	 * "monitor iodbg spu-serve": the next connection on @listen_fd is handed to
	 * iodbg-spu-stub serving local store @spu_ctx (0: none asked) of process @spu_pid.
	 */
	uint64_t spu_ctx;
	pid_t spu_pid;
	char *map_xml;			/* the memory map gdb is reading, from offset 0 on */
	size_t map_len;
	struct sw_breakpoint *breakpoints;	/* inserted, as far as the proxy saw */
	size_t nbreakpoints;
	bool breakpoints_lost;		/* one was not tracked (out of memory) */
	struct buffer out;		/* requests and replies being built */
	struct buffer hex;		/* a read's bytes, as hex for gdb */
	struct buffer bytes;		/* a write's bytes; the window of a search */
	struct buffer scratch;		/* what libiodbg reads */
};

/* 0 or a negative errno. @pid: the process, if known from the command line (0 if not). */
int proxy_init(struct proxy *proxy, int gdb_in, int gdb_out, int server_in, int server_out,
	       pid_t pid);
void proxy_free(struct proxy *proxy);

enum proxy_end {
	PROXY_GDB_LEFT = 0,	/* gdb closed the connection */
	PROXY_SERVER_LEFT = 1,	/* gdbserver did */
};

/* Relay until either side closes: enum proxy_end, or a negative errno if a link failed. */
int proxy_run(struct proxy *proxy);

/* The process memory packets address (0 if not known yet), and libiodbg's handle on it. */
struct iodbg_target *proxy_target(struct proxy *proxy, int *err);

/* Send gdb console output (an 'O' packet) during a monitor command. */
int proxy_console(struct proxy *proxy, const char *text, size_t len);
int proxy_printf(struct proxy *proxy, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * memmap.c: the memory map of @target (NULL: no process yet) as gdb's memory-map XML, in
 * *@xml (malloc'd, @len bytes). 0 or -ENOMEM.
 */
int memory_map_xml(struct iodbg_target *target, char **xml, size_t *len);

/*
 * spu_serve.c: accept a connection on proxy->listen_fd: the one "monitor iodbg spu-serve"
 * announced gets iodbg-spu-stub, which serves it on its own from then on; any other is
 * closed at once. 0, or a negative errno (the proxy's own session goes on either way).
 */
int spu_serve_accept(struct proxy *proxy);

/* monitor.c: a "monitor iodbg ..." command, @line without "iodbg". Replies to gdb itself. */
int monitor_iodbg(struct proxy *proxy, const char *line);

#endif /* IODBG_PROXY_H */
