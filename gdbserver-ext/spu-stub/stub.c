// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command layer of the SPU stub: the subset of GDB's remote protocol that memory work
 * needs, with the local store as the whole address space. The README lists the packets and
 * why each answer is what it is.
 */
#include "stub.h"

#include <stdio.h>
#include <string.h>

/*
 * Error replies. gdb reports any of them as "Cannot access memory" or the like; the digits
 * are for a person reading a protocol log (set debug remote 1).
 */
#define ERR_PACKET	"E01"	/* the packet does not parse */
#define ERR_RANGE	"E02"	/* the address is outside the local store */
#define ERR_TRANSFER	"E03"	/* the backend could not read or write it (it said why) */
#define ERR_REFUSED	"E04"	/* resuming, stepping, breakpoints: the SPU runs on its own */

/*
 * The target description we send: only an architecture, which pins gdb to i386:x86-64 whatever
 * it would assume otherwise (with no file loaded, gdb on x86-64 assumes i386), with that
 * architecture's own register layout. It has nothing that would need escaping in a reply.
 */
static const char target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target><architecture>i386:x86-64</architecture></target>\n";

/* The registers before rip in gdb's amd64 numbering: rax..r15. */
#define AMD64_REGS_BEFORE_RIP	16
/* The monitor's text goes out in O packets of at most this many bytes (hex-encoded twice that). */
#define CONSOLE_CHUNK		512

struct session {
	struct rsp *rsp;
	const struct spu_space *space;
	int done;			/* the debugger detached or killed: stop serving */
	unsigned char data[RSP_PACKET_SIZE];
	char reply[RSP_PACKET_SIZE];
};

static int reply(struct session *s, const char *payload)
{
	return rsp_send_str(s->rsp, payload);
}

/* Console output for the debugger's user, as O packets ('monitor' output, refusals). */
static int console(struct session *s, const char *text)
{
	size_t len = strlen(text);

	while (len) {
		size_t n = len < CONSOLE_CHUNK ? len : CONSOLE_CHUNK;
		int ret;

		s->reply[0] = 'O';
		rsp_hex_encode(s->reply + 1, text, n);
		ret = rsp_send(s->rsp, s->reply, 1 + 2 * n);
		if (ret)
			return ret;
		text += n;
		len -= n;
	}
	return 0;
}

/* A hex number of 1 to 16 digits at *p, before @end; advances *p. 0, or -1. */
static int parse_hex(const char **p, const char *end, uint64_t *value)
{
	const char *start = *p;
	uint64_t v = 0;
	int d;

	while (*p < end && (d = rsp_hex_digit((unsigned char)**p)) >= 0) {
		if (*p - start == 16)
			return -1;
		v = v << 4 | (uint64_t)d;
		(*p)++;
	}
	if (*p == start)
		return -1;
	*value = v;
	return 0;
}

/* "ADDR,LEN" at *p; advances *p past it. */
static int parse_addr_len(const char **p, const char *end, uint64_t *addr, uint64_t *len)
{
	if (parse_hex(p, end, addr) || *p == end || **p != ',')
		return -1;
	(*p)++;
	return parse_hex(p, end, len);
}

/* Whether [addr, addr + len) lies wholly in the local store. */
static int in_local_store(const struct session *s, uint64_t addr, uint64_t len)
{
	return addr < s->space->size && len <= s->space->size - addr;
}

/*
 * m ADDR,LEN. A range that starts in the local store and runs past its end (or past what one
 * reply holds) gets the bytes that are there: gdb takes a short reply as a partial read and
 * asks again for the rest, which then fails where the local store ends.
 */
static int cmd_read_memory(struct session *s, const char *args, const char *end)
{
	uint64_t addr, len;
	ssize_t n;

	if (parse_addr_len(&args, end, &addr, &len) || args != end || !len)
		return reply(s, ERR_PACKET);
	if (addr >= s->space->size)
		return reply(s, ERR_RANGE);
	if (len > s->space->size - addr)
		len = s->space->size - addr;
	if (len > RSP_PACKET_SIZE / 2)
		len = RSP_PACKET_SIZE / 2;
	n = s->space->ops->read(s->space->priv, addr, s->data, (size_t)len);
	if (n <= 0)
		return reply(s, ERR_TRANSFER);
	rsp_hex_encode(s->reply, s->data, (size_t)n);
	return rsp_send(s->rsp, s->reply, 2 * (size_t)n);
}

/* Writes are all or nothing as gdb sees them: a range not wholly in the local store is refused. */
static int write_memory(struct session *s, uint64_t addr, const void *data, uint64_t len)
{
	ssize_t n;

	if (!len)
		return reply(s, "OK");
	if (!in_local_store(s, addr, len))
		return reply(s, ERR_RANGE);
	n = s->space->ops->write(s->space->priv, addr, data, (size_t)len);
	return reply(s, n == (ssize_t)len ? "OK" : ERR_TRANSFER);
}

/* M ADDR,LEN:HEX */
static int cmd_write_hex(struct session *s, const char *args, const char *end)
{
	uint64_t addr, len;

	if (parse_addr_len(&args, end, &addr, &len) || args == end || *args++ != ':')
		return reply(s, ERR_PACKET);
	if (len > sizeof(s->data) || (uint64_t)(end - args) != 2 * len ||
	    rsp_hex_decode(s->data, args, (size_t)(end - args)))
		return reply(s, ERR_PACKET);
	return write_memory(s, addr, s->data, len);
}

/*
 * X ADDR,LEN:BINARY, with '}' escapes. gdb first sends one with LEN 0 to learn whether we
 * take binary writes: "OK" says we do.
 */
static int cmd_write_binary(struct session *s, char *args, const char *end)
{
	const char *p = args;
	uint64_t addr, len;
	char *data;
	ssize_t n;

	if (parse_addr_len(&p, end, &addr, &len) || p == end || *p++ != ':')
		return reply(s, ERR_PACKET);
	data = args + (p - args);
	n = rsp_unescape(data, (size_t)(end - p));
	if (n < 0 || (uint64_t)n != len)
		return reply(s, ERR_PACKET);
	return write_memory(s, addr, data, len);
}

/*
 * g: in the register layout of i386:x86-64 (target_xml): rax..r15 unavailable ("xx" bytes),
 * rip the SPU's npc, so that gdb's pc and $pc are the SPU's. Stopping there is allowed: gdb
 * asks for the registers after rip with 'p', which we do not support, and shows them as
 * unavailable.
 */
static int cmd_registers(struct session *s)
{
	size_t len = AMD64_REGS_BEFORE_RIP * 8 * 2;
	uint32_t npc;

	memset(s->reply, 'x', len + 16);
	if (s->space->ops->npc(s->space->priv, &npc) == 0) {
		uint64_t rip = npc;
		unsigned char le[8];

		for (int i = 0; i < 8; i++)
			le[i] = (unsigned char)(rip >> (8 * i));
		rsp_hex_encode(s->reply + len, le, sizeof(le));
	}
	return rsp_send(s->rsp, s->reply, len + 16);
}

/*
 * c, s, C, S: the SPU program runs on its own, scheduled by its driver, and this stub can
 * neither stop nor step it. Say so, then answer with an error, which gdb reports
 * ("Remote failure reply") and takes as a stop: the session stays usable.
 */
static int cmd_resume(struct session *s)
{
	int ret = console(s, "iodbg-spu-stub: the SPU context runs on its own; it cannot be "
			  "resumed, stepped or stopped from here\n");

	return ret ? ret : reply(s, ERR_REFUSED);
}

static int monitor_info(struct session *s)
{
	char text[2048];

	text[0] = '\0';
	s->space->ops->describe(s->space->priv, text, sizeof(text));
	return console(s, text);
}

/* qRcmd,HEX: a 'monitor' command. Its output goes in O packets, then "OK". */
static int cmd_monitor(struct session *s, const char *hex, const char *end)
{
	char cmd[256];
	size_t len = (size_t)(end - hex);
	int ret;

	if (len / 2 >= sizeof(cmd) || rsp_hex_decode(cmd, hex, len))
		return reply(s, ERR_PACKET);
	cmd[len / 2] = '\0';
	if (!strcmp(cmd, "info")) {
		ret = monitor_info(s);
	} else if (!strcmp(cmd, "help") || !cmd[0]) {
		ret = console(s, "monitor info    the SPU context: process, objects, placement, npc\n"
			      "monitor help    this list\n");
	} else {
		char text[320];

		snprintf(text, sizeof(text), "unknown monitor command \"%.200s\"; "
			 "\"monitor help\" lists them\n", cmd);
		ret = console(s, text);
	}
	return ret ? ret : reply(s, "OK");
}

/*
 * qXfer:features:read:target.xml:OFFSET,LENGTH: the slice of target_xml, "l" when it is the
 * last one.
 */
static int cmd_features(struct session *s, const char *args, const char *end)
{
	static const char annex[] = "target.xml:";
	uint64_t offset, len, size = sizeof(target_xml) - 1;

	if ((size_t)(end - args) < sizeof(annex) - 1 || memcmp(args, annex, sizeof(annex) - 1))
		return reply(s, "E00");	/* the annex gdb asks for does not exist */
	args += sizeof(annex) - 1;
	if (parse_addr_len(&args, end, &offset, &len) || args != end)
		return reply(s, ERR_PACKET);
	if (offset > size)
		return reply(s, ERR_RANGE);
	if (len > size - offset)
		len = size - offset;
	if (len > RSP_PACKET_SIZE - 1)
		len = RSP_PACKET_SIZE - 1;
	s->reply[0] = offset + len == size ? 'l' : 'm';
	memcpy(s->reply + 1, target_xml + offset, (size_t)len);
	return rsp_send(s->rsp, s->reply, 1 + (size_t)len);
}

/* Whether the packet is @name alone or @name followed by @sep and arguments. */
static int packet_is(const char *pkt, const char *end, const char *name, char sep)
{
	size_t n = strlen(name);

	return (size_t)(end - pkt) >= n && !memcmp(pkt, name, n) &&
	       (pkt + n == end || pkt[n] == sep);
}

/*
 * Queries. One process with one thread (1), attached to rather than started: gdb detaches on
 * quit instead of killing it. qSupported offers our packet size and the target description.
 */
static int cmd_query(struct session *s, const char *pkt, const char *end)
{
	static const char features[] = "qXfer:features:read:";
	char text[64];

	if ((size_t)(end - pkt) > sizeof(features) - 1 &&
	    !memcmp(pkt, features, sizeof(features) - 1))
		return cmd_features(s, pkt + sizeof(features) - 1, end);
	if (packet_is(pkt, end, "qSupported", ':')) {
		snprintf(text, sizeof(text), "PacketSize=%x;qXfer:features:read+",
			 RSP_PACKET_SIZE);
		return reply(s, text);
	}
	if (packet_is(pkt, end, "qAttached", ':'))
		return reply(s, "1");
	if (packet_is(pkt, end, "qC", ':'))
		return reply(s, "QC1");
	if (packet_is(pkt, end, "qfThreadInfo", ':'))
		return reply(s, "m1");
	if (packet_is(pkt, end, "qsThreadInfo", ':'))
		return reply(s, "l");
	if (packet_is(pkt, end, "qRcmd", ','))
		return pkt + 5 == end ? reply(s, ERR_PACKET) : cmd_monitor(s, pkt + 6, end);
	return reply(s, "");
}

static int cmd_v(struct session *s, const char *pkt, const char *end)
{
	if (packet_is(pkt, end, "vKill", ';')) {
		s->done = 1;
		return reply(s, "OK");
	}
	/* vCont? and the rest: not supported, so gdb resumes with c and s, which we refuse. */
	return reply(s, "");
}

static int dispatch(struct session *s, char *pkt, size_t len)
{
	const char *end = pkt + len;

	if (!len)
		return reply(s, "");
	switch (pkt[0]) {
	case '?':
		/* Stopped by SIGTRAP, as after an attach. */
		return reply(s, "S05");
	case 'g':
		return len == 1 ? cmd_registers(s) : reply(s, ERR_PACKET);
	case 'm':
		return cmd_read_memory(s, pkt + 1, end);
	case 'M':
		return cmd_write_hex(s, pkt + 1, end);
	case 'X':
		return cmd_write_binary(s, pkt + 1, end);
	case 'H':	/* select a thread: there is one */
	case 'T':	/* is the thread alive: it is */
		return reply(s, "OK");
	case 'c':
	case 'C':
	case 's':
	case 'S':
		return cmd_resume(s);
	case 'Z':
		/*
		 * Refused rather than unsupported: with no Z0, gdb would write int3 into the
		 * local store of a program that runs on.
		 */
		return reply(s, ERR_REFUSED);
	case 'k':
		/* No reply: gdb does not wait for one. We leave the process as it is. */
		s->done = 1;
		return 0;
	case 'D':
		s->done = 1;
		return reply(s, "OK");
	case 'q':
		return cmd_query(s, pkt, end);
	case 'v':
		return cmd_v(s, pkt, end);
	}
	return reply(s, "");
}

int stub_serve(struct rsp *rsp, const struct spu_space *space)
{
	static struct session s;	/* the buffers are too large for a stack */

	memset(&s, 0, sizeof(s));
	s.rsp = rsp;
	s.space = space;
	while (!s.done) {
		int ret = rsp_recv(rsp);

		if (ret == RSP_EOF)
			return 0;
		if (ret == RSP_TOO_LONG)
			ret = reply(&s, ERR_PACKET);
		else if (ret == RSP_PACKET)
			ret = dispatch(&s, rsp->packet, rsp->packet_len);
		if (ret == RSP_IO_ERROR) {
			perror("iodbg-spu-stub: the connection to gdb");
			return 1;
		}
	}
	rsp_wait_ack(rsp);
	return 0;
}
