/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the iodbg command's subcommands share: options, the command table's entry, messages,
 * argument parsing, output helpers (xxd layout, JSON, reports, progress) and the target.
 * Each subcommand lives in a file of its own name; main.c dispatches to them.
 */
#ifndef IODBG_TOOL_MAIN_H
#define IODBG_TOOL_MAIN_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <iodbg/iodbg.h>

#define EXIT_USAGE	2
#define EXIT_PARTIAL	3
#define CHUNK		(1U << 20)	/* a multiple of 16: hexdump lines never straddle chunks */
#define PROGRESS_MIN	(8U << 20)	/* shorter transfers are over before a bar helps */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct options {
	bool json;
	bool report;
	bool attach;
	bool allow_mmio;
	bool object;		/* --object: ADDR is an offset in object @id */
	bool output_failed;	/* read: writing the bytes out failed, and said so */
	unsigned int width;	/* --width: the MMIO access width, 0 for the default */
	uint64_t id;
	int path;
	const char *file;	/* read -o, write -f, core -o */
	const char *core;	/* --core: a core file instead of a live PID */
};

struct command {
	const char *name;
	int (*run)(struct options *o, int argc, char **argv);
	int nargs;		/* positional arguments: exactly this many (one fewer, the PID,
				 * with --core), or -1 for 2 or 3 */
	const char *shortopts;
	const struct option *longopts;
	const char *help;
};

/* The subcommands, one file each. */
extern const struct command maps_command;
extern const struct command read_command;
extern const struct command write_command;
extern const struct command objects_command;
extern const struct command info_command;
extern const struct command core_command;
extern const struct command stacks_command;

/* The long options the subcommands share; main.c's run() parses them all. */
#define OPT_HELP	{ "help", no_argument, NULL, 'h' }
#define OPT_JSON	{ "json", no_argument, NULL, 'j' }
#define OPT_PATH	{ "path", required_argument, NULL, 'p' }
#define OPT_REPORT	{ "report", no_argument, NULL, 'r' }
#define OPT_ATTACH	{ "attach", no_argument, NULL, 'a' }
#define OPT_MMIO	{ "allow-mmio", no_argument, NULL, 'm' }
#define OPT_OBJECT	{ "object", required_argument, NULL, 'O' }
#define OPT_WIDTH	{ "width", required_argument, NULL, 'w' }
#define OPT_CORE	{ "core", required_argument, NULL, 'C' }
#define OPT_END		{ NULL, 0, NULL, 0 }

/* The help text of the options read and write share. */
#define XFER_HELP \
	"  --object=ID   ADDR is an offset in iodbg object ID of PID (see 'iodbg objects'): the\n" \
	"              object's bytes wherever it lives, by a file of it that PID holds (path\n" \
	"              object), else through a mapping of it; a range past its end stops there\n" \
	"  --path=P    auto (default: each piece by the first path that works), process_vm,\n" \
	"              proc_mem, ptrace, ioctl or, with --object, object (only that one)\n" \
	"  --allow-mmio  allow device side effects: the ioctl path may touch MMIO through the\n" \
	"              kernel's generic fallback (reading a register can change a device)\n" \
	"  --width=N   that fallback accesses MMIO N bytes at a time (1, 2, 4 or 8; needs an\n" \
	"              iodbg module with IODBG_FEATURE_WIDTH)\n" \
	"  --attach    stop the target with ptrace for the transfer (lets the ptrace path work)\n" \
	"  --report    say on stderr which path served each range and why the others failed\n" \
	"  --json      the report as JSON\n"

/* common.c: messages, argument parsing, the target */
extern const char *error_prefix;	/* "iodbg" */
extern FILE *error_log;			/* if set, also gets each message (no prefix) */
int error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool parse_pid(const char *s, pid_t *pid);
bool parse_id(const char *s, uint64_t *id);
bool parse_addr(const char *s, uint64_t *addr);
bool parse_len(const char *s, uint64_t *len);
int parse_hex_bytes(const char *s, unsigned char **data, size_t *len);
int read_file(const char *name, unsigned char **data, size_t *len);
int open_target(struct options *o, pid_t pid, struct iodbg_target **t);
void close_target(struct options *o, struct iodbg_target *t);

/* objects.c: the objects as a table (or JSON, object_json() to stdout: @f must be stdout) */
void objects_print(FILE *f, bool json, const struct iodbg_objects *objs);

/* output.c: xxd, JSON, reports, progress */
void json_str(FILE *f, const char *s);
const char *errname(int err);
void hexdump(FILE *f, uint64_t addr, const unsigned char *p, size_t len);
void object_json(const struct iodbg_object *ob);
void buffer_listing(void);

/*
 * Report lines, to stderr. A segment that a chunk boundary cut in two is printed as one, so
 * that the lines follow the mappings and the paths, not the chunk size.
 */
struct report_printer {
	bool json;
	bool any;
	bool pending;
	uint64_t addr;
	uint64_t len;
	char *text;		/* the segment without its range */
	size_t text_size;
};

void report_add(struct report_printer *rp, const struct iodbg_report *r, uint64_t chunk);
void report_end(struct report_printer *rp);
void progress(bool show, const char *verb, uint64_t done, uint64_t len);

/* transfer.c: chunked reads and writes, shared by read and write */
bool write_out(FILE *out, uint64_t addr, const unsigned char *buf, size_t n);
int transfer(struct options *o, struct iodbg_target *t, bool write, uint64_t addr,
	     unsigned char *data, uint64_t len, FILE *out);

#endif /* IODBG_TOOL_MAIN_H */
