// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iodbg: read and write another process's memory by the best path that works, and say which.
 *
 *   iodbg maps PID                 iodbg read PID ADDR LEN      iodbg info
 *   iodbg write PID ADDR (HEX | -f FILE)                         iodbg objects PID
 *   iodbg read --object=ID PID OFFSET LEN, iodbg write --object=ID PID OFFSET (HEX | -f FILE)
 *
 * Transfers go in chunks, so that any length streams in bounded memory and a progress line
 * can follow them; what a chunk could not transfer ends the command with the library's
 * message. Exit status: 0 done, 1 failed, 2 usage, 3 partial (see usage_text).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iodbg/iodbg.h>
#include <linux/iodbg.h>

#define EXIT_USAGE	2
#define EXIT_PARTIAL	3
#define CHUNK		(1U << 20)	/* a multiple of 16: hexdump lines never straddle chunks */
#define PROGRESS_MIN	(8U << 20)	/* shorter transfers are over before a bar helps */

static const char usage_text[] =
	"usage: iodbg [--help] [--version] COMMAND [ARGS]\n"
	"\n"
	"  maps PID                      the mappings of PID and their kind\n"
	"  read PID ADDR LEN             LEN bytes at ADDR, as a hexdump or raw (-o FILE)\n"
	"  write PID ADDR (HEX|-f FILE)  write bytes at ADDR\n"
	"  objects PID                   the iodbg objects PID maps or holds open (needs the\n"
	"                                iodbg module)\n"
	"  info                          the library and the kernel side\n"
	"\n"
	"ADDR is hexadecimal (0x optional); LEN is decimal or 0x hexadecimal, with an optional\n"
	"k, M or G suffix (powers of 1024). With read and write --object=ID, ADDR is an offset\n"
	"in iodbg object ID of PID. 'iodbg COMMAND --help' describes each command.\n"
	"\n"
	"Exit status: 0 success; 1 failure (nothing transferred, or the target or the kernel\n"
	"side could not be read); 2 bad usage; 3 partial transfer (the bytes before the first\n"
	"that no path could reach were transferred; the message says where and why).\n";

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
	const char *file;	/* read -o, write -f */
};

struct command {
	const char *name;
	int (*run)(struct options *o, int argc, char **argv);
	int nargs;		/* positional arguments: exactly this many, or -1 for 2 or 3 */
	const char *shortopts;
	const struct option *longopts;
	const char *help;
};

static int error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int error(int status, const char *fmt, ...)
{
	int saved = errno;	/* for %m */
	va_list ap;

	fputs("iodbg: ", stderr);
	errno = saved;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* ---- argument parsing ---- */

static bool parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX)
		return false;
	*pid = v;
	return true;
}

static bool parse_id(const char *s, uint64_t *id)
{
	char *end;

	if (!*s || !strchr("0123456789", *s))
		return false;
	errno = 0;
	*id = strtoull(s, &end, 10);
	return !errno && !*end;
}

static bool parse_addr(const char *s, uint64_t *addr)
{
	char *end;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		s += 2;
	/* strtoull would take a sign or spaces; an address has neither. */
	if (!*s || !strchr("0123456789abcdefABCDEF", *s))
		return false;
	errno = 0;
	*addr = strtoull(s, &end, 16);
	return !errno && !*end;
}

static bool parse_len(const char *s, uint64_t *len)
{
	bool hex = !strncmp(s, "0x", 2) || !strncmp(s, "0X", 2);
	const char *digits = hex ? s + 2 : s;
	unsigned int shift = 0;
	char *end;

	if (!*digits || !strchr("0123456789abcdefABCDEF", *digits))
		return false;
	errno = 0;
	*len = strtoull(digits, &end, hex ? 16 : 10);
	if (errno)
		return false;
	if (*end && !end[1] && !hex)
		shift = *end == 'k' || *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 64;
	else if (*end)
		return false;
	if (shift == 64 || *len > UINT64_MAX >> shift)
		return false;
	*len <<= shift;
	return true;
}

/* "de ad be ef", "deadbeef" or "0xdeadbeef": bytes in the order written. */
static int parse_hex_bytes(const char *s, unsigned char **data, size_t *len)
{
	unsigned char *buf = malloc(strlen(s) / 2 + 1);
	size_t n = 0;
	int hi = -1;

	if (!buf)
		return -ENOMEM;
	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		s += 2;
	for (; *s; s++) {
		char digit[2] = { *s, 0 };
		int v;

		if (*s == ' ' || *s == '\t' || *s == ':')
			continue;
		if (!strchr("0123456789abcdefABCDEF", *s))
			goto bad;
		v = strtol(digit, NULL, 16);
		if (hi < 0) {
			hi = v;
		} else {
			buf[n++] = hi << 4 | v;
			hi = -1;
		}
	}
	if (hi >= 0 || !n)
		goto bad;
	*data = buf;
	*len = n;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

static int read_file(const char *name, unsigned char **data, size_t *len)
{
	int fd = strcmp(name, "-") ? open(name, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	size_t cap = 65536, n = 0;
	unsigned char *buf = NULL;
	ssize_t r = 0;

	if (fd < 0)
		return -errno;
	do {
		if (!buf || n == cap) {
			unsigned char *bigger = realloc(buf, buf ? cap *= 2 : cap);

			if (!bigger) {
				errno = ENOMEM;
				r = -1;
				break;
			}
			buf = bigger;
		}
		r = read(fd, buf + n, cap - n);
		if (r > 0)
			n += r;
	} while (r > 0 || (r < 0 && errno == EINTR));
	if (r < 0) {
		int err = -errno;

		free(buf);
		buf = NULL;
		errno = -err;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (!buf)
		return -errno;
	*data = buf;
	*len = n;
	return 0;
}

/* ---- output ---- */

/* A JSON string; bytes that are not UTF-8 (paths may hold any) become \u00XX. */
static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
			(*p & 0xf8) == 0xf0 ? 3 : -1;
		int i;

		for (i = 1; i <= n && (p[i] & 0xc0) == 0x80; i++)
			;
		if (n > 0 && i > n && *p >= 0xc2) {
			fwrite(p, 1, n + 1, f);
			p += n + 1;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
		p++;
	}
	fputc('"', f);
}

static const char *errname(int err)
{
	const char *name = strerrorname_np(-err);

	return name ? name : "error";
}

/* xxd's layout, with the target's addresses as offsets (what `xxd -o ADDR` prints). */
static void hexdump(FILE *f, uint64_t addr, const unsigned char *p, size_t len)
{
	for (size_t line = 0; line < len; line += 16) {
		size_t n = len - line < 16 ? len - line : 16;

		fprintf(f, "%08" PRIx64 ":", addr + line);
		for (size_t i = 0; i < 16; i++) {
			if (!(i & 1))
				fputc(' ', f);
			if (i < n)
				fprintf(f, "%02x", p[line + i]);
			else
				fputs("  ", f);
		}
		fprintf(f, "  ");
		for (size_t i = 0; i < n; i++)
			fputc(p[line + i] >= 0x20 && p[line + i] < 0x7f ? p[line + i] : '.', f);
		fputc('\n', f);
	}
}

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

static void report_flush(struct report_printer *rp)
{
	if (!rp->pending)
		return;
	if (rp->json)
		fprintf(stderr, "%s  {\"addr\": \"0x%" PRIx64 "\", \"len\": %" PRIu64 ", %s}",
			rp->any ? ",\n" : "[\n", rp->addr, rp->len, rp->text);
	else
		fprintf(stderr, "%" PRIx64 "-%" PRIx64 " %" PRIu64 " bytes: %s\n", rp->addr,
			rp->addr + rp->len, rp->len, rp->text);
	rp->any = true;
	rp->pending = false;
}

static void segment_json(FILE *f, const struct iodbg_segment *s)
{
	fprintf(f, "\"path\": ");
	if (s->path == IODBG_PATH_NONE)
		fprintf(f, "null, \"error\": \"%s\", \"why\": ", errname(s->error));
	else
		fprintf(f, "\"%s\", \"error\": null, \"why\": ", iodbg_path_name(s->path));
	json_str(f, s->why);
	fprintf(f, ", \"attempts\": [");
	for (size_t i = 0; i < s->nattempts; i++) {
		const struct iodbg_attempt *a = &s->attempts[i];

		fprintf(f, "%s{\"path\": \"%s\", \"result\": \"%s\", \"error\": ", i ? ", " : "",
			iodbg_path_name(a->path), !a->error ? "served" :
			a->flags & IODBG_ATTEMPT_SKIPPED ? "skipped" : "failed");
		if (a->error)
			fprintf(f, "\"%s\"", errname(a->error));
		else
			fputs("null", f);
		fprintf(f, ", \"why\": ");
		json_str(f, a->why);
		fputc('}', f);
	}
	fputc(']', f);
}

/* "proc_mem (process_vm EFAULT: ...)": who served it, then why each path before did not. */
static void segment_plain(FILE *f, const struct iodbg_segment *s)
{
	size_t shown = 0;

	if (s->path == IODBG_PATH_NONE)
		fprintf(f, "not served, %s: %s", errname(s->error), s->why);
	else
		fprintf(f, "%s", iodbg_path_name(s->path));
	for (size_t i = 0; i < s->nattempts; i++) {
		const struct iodbg_attempt *a = &s->attempts[i];

		if (a->error)
			fprintf(f, "%s%s %s: %s", shown++ ? "; " : " (", iodbg_path_name(a->path),
				a->flags & IODBG_ATTEMPT_SKIPPED ? "skipped" : errname(a->error),
				a->why);
	}
	if (shown)
		fputc(')', f);
}

static void report_add(struct report_printer *rp, const struct iodbg_report *r, uint64_t chunk)
{
	for (size_t i = 0; i < iodbg_report_count(r); i++) {
		const struct iodbg_segment *s = iodbg_report_get(r, i);
		char *text = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&text, &size);

		if (!f)
			continue;
		if (rp->json)
			segment_json(f, s);
		else
			segment_plain(f, s);
		fclose(f);
		if (rp->pending && s->addr == chunk && s->addr == rp->addr + rp->len &&
		    !strcmp(text, rp->text)) {
			rp->len += s->len;
			free(text);
			continue;
		}
		report_flush(rp);
		free(rp->text);
		rp->text = text;
		rp->addr = s->addr;
		rp->len = s->len;
		rp->pending = true;
	}
}

static void report_end(struct report_printer *rp)
{
	report_flush(rp);
	if (rp->json)
		fprintf(stderr, "%s]\n", rp->any ? "\n" : "[");
	free(rp->text);
}

static void progress(bool show, const char *verb, uint64_t done, uint64_t len)
{
	if (show && done < len)
		fprintf(stderr, "\riodbg: %s %3u%% (%" PRIu64 "/%" PRIu64 " MiB)", verb,
			(unsigned int)(done * 100.0 / len), done >> 20, len >> 20);
}

/* ---- the target ---- */

/* PTRACE_SEIZE then PTRACE_INTERRUPT: the target stops, without a SIGSTOP others could see. */
static int attach(pid_t pid)
{
	int status;

	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) || ptrace(PTRACE_INTERRUPT, pid, NULL, NULL))
		return error(1, "cannot attach to %d: %m", (int)pid);
	for (;;) {
		if (waitpid(pid, &status, __WALL) < 0)
			return error(1, "cannot wait for %d: %m", (int)pid);
		if (!WIFSTOPPED(status))
			return error(1, "process %d ended while attaching", (int)pid);
		if (status >> 16 == PTRACE_EVENT_STOP)
			return 0;
		/* A signal arrived first: deliver it, the interrupt stop follows. */
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(status));
	}
}

static int open_target(struct options *o, pid_t pid, struct iodbg_target **t)
{
	int err = iodbg_open(pid, 0, t);

	if (err)
		return error(1, "%s", iodbg_errmsg(NULL));
	iodbg_set_path(*t, o->path);
	iodbg_set_allow_mmio(*t, o->allow_mmio);
	if (o->width && iodbg_set_mmio_width(*t, o->width)) {
		error(1, "%s", iodbg_errmsg(*t));
		iodbg_close(*t);
		return 1;
	}
	if (o->attach && attach(pid)) {
		iodbg_close(*t);
		return 1;
	}
	return 0;
}

static void close_target(struct options *o, struct iodbg_target *t)
{
	if (o->attach)
		ptrace(PTRACE_DETACH, iodbg_target_pid(t), NULL, NULL);
	iodbg_close(t);
}

/* @n bytes read at @addr: raw to @out, or to stdout as a hexdump. false if that failed. */
static bool write_out(FILE *out, uint64_t addr, const unsigned char *buf, size_t n)
{
	if (out)
		return fwrite(buf, 1, n, out) == n && !fflush(out);
	hexdump(stdout, addr, buf, n);
	return !fflush(stdout) && !ferror(stdout);
}

/*
 * Move @len bytes at @addr (an offset in object o->id with --object) in chunks; a chunk read
 * goes to @out, or to stdout as a hexdump. 0, 1 or EXIT_PARTIAL, with the message printed.
 */
static int transfer(struct options *o, struct iodbg_target *t, bool write, uint64_t addr,
		    unsigned char *data, uint64_t len, FILE *out)
{
	struct report_printer rp = { .json = o->json };
	struct iodbg_report *report = o->report ? iodbg_report_new() : NULL;
	bool bar = isatty(STDERR_FILENO) && !o->report && len >= PROGRESS_MIN;
	const char *verb = write ? "write" : "read";
	unsigned char *buf = data;
	uint64_t done = 0;
	int status = 0, out_errno = 0;
	ssize_t n = 0;

	if (!write)
		buf = malloc(len < CHUNK ? len : CHUNK);
	if (!buf || (o->report && !report)) {
		iodbg_report_free(report);
		return error(1, "out of memory");
	}
	while (done < len) {
		size_t want = len - done < CHUNK ? len - done : CHUNK;

		if (write && o->object)
			n = iodbg_object_write(t, o->id, addr + done, data + done, want, report);
		else if (write)
			n = iodbg_write(t, addr + done, data + done, want, report);
		else if (o->object)
			n = iodbg_object_read(t, o->id, addr + done, buf, want, report);
		else
			n = iodbg_read(t, addr + done, buf, want, report);
		if (report)
			report_add(&rp, report, addr + done);
		if (n > 0 && !write && !write_out(out, addr + done, buf, n)) {
			out_errno = errno;	/* a full disk ends the read here */
			break;
		}
		if (n > 0)
			done += n;
		progress(bar, verb, done, len);
		if (n < (ssize_t)want)
			break;
	}
	if (bar)
		fputs("\r\033[K", stderr);	/* the message, if any, takes the bar's line */
	if (report)
		report_end(&rp);
	if (out_errno) {
		o->output_failed = true;
		errno = out_errno;
		status = error(1, "cannot write %s: %m", o->file && strcmp(o->file, "-") ?
			       o->file : "the output");
	} else if (done < len) {
		status = done ? EXIT_PARTIAL : 1;
		error(status, "%s", iodbg_errmsg(t));
	}
	if (!write)
		free(buf);
	iodbg_report_free(report);
	return status;
}

/* ---- commands ---- */

static const char *perms(uint32_t f, char buf[5])
{
	buf[0] = f & IODBG_MAP_READ ? 'r' : '-';
	buf[1] = f & IODBG_MAP_WRITE ? 'w' : '-';
	buf[2] = f & IODBG_MAP_EXEC ? 'x' : '-';
	buf[3] = f & IODBG_MAP_SHARED ? 's' : 'p';
	buf[4] = '\0';
	return buf;
}

static const struct {
	uint32_t bit;
	const char *name;
} map_flags[] = {
	{ IODBG_MAP_IO, "io" }, { IODBG_MAP_PFNMAP, "pfnmap" }, { IODBG_MAP_MIXEDMAP, "mixedmap" },
	{ IODBG_MAP_DONTDUMP, "dontdump" }, { IODBG_MAP_DELETED, "deleted" },
};

/*
 * A line of 'iodbg maps' is built by hand: with tens of thousands of mappings, printf's
 * reading of its format string would cost more than the kernel's writing of the maps.
 */
struct line {
	char buf[256];	/* room for every field but the path, which may be of any length */
	char *p;
};

/* @v in hexadecimal, zero-padded to @digits. */
static void put_hex(struct line *l, uint64_t v, int digits)
{
	int n = (64 - __builtin_clzll(v | 1) + 3) / 4;

	if (n < digits)
		n = digits;
	for (int i = n - 1; i >= 0; i--, v >>= 4)
		l->p[i] = "0123456789abcdef"[v & 15];
	l->p += n;
}

/* @s, then spaces up to @width. */
static void put_str(struct line *l, const char *s, int width)
{
	size_t n = strlen(s);

	memcpy(l->p, s, n);
	l->p += n;
	for (; (int)n < width; n++)
		*l->p++ = ' ';
}

/* @v in decimal, then spaces up to @width. */
static void put_dec(struct line *l, uint64_t v, int width)
{
	char tmp[21];
	int n = sizeof(tmp) - 1;

	tmp[n] = '\0';
	do {
		tmp[--n] = '0' + v % 10;
		v /= 10;
	} while (v);
	put_str(l, tmp + n, width);
}

static void map_text(const struct iodbg_map *m)
{
	struct line l = { .p = l.buf };
	const char *flags;
	char p[5];
	bool any = false;

	put_hex(&l, m->start, 12);
	*l.p++ = '-';
	put_hex(&l, m->end, 12);
	*l.p++ = ' ';
	put_str(&l, perms(m->flags, p), 5);
	put_str(&l, iodbg_map_kind(m), 9);
	flags = l.p;
	for (size_t i = 0; i < sizeof(map_flags) / sizeof(map_flags[0]); i++) {
		if (!(m->flags & map_flags[i].bit))
			continue;
		if (any)
			*l.p++ = ',';
		put_str(&l, map_flags[i].name, 0);
		any = true;
	}
	if (!any)
		*l.p++ = '-';
	while (l.p - flags < 20)
		*l.p++ = ' ';
	*l.p++ = ' ';
	put_hex(&l, m->offset, 8);
	*l.p++ = ' ';
	put_hex(&l, m->dev_major, 2);
	*l.p++ = ':';
	put_hex(&l, m->dev_minor, 2);
	*l.p++ = ' ';
	put_dec(&l, m->inode, *m->path ? 10 : 0);
	if (*m->path)
		*l.p++ = ' ';
	fwrite_unlocked(l.buf, 1, l.p - l.buf, stdout);
	fputs_unlocked(m->path, stdout);
	if (m->flags & IODBG_MAP_DELETED)
		fputs_unlocked(" (deleted)", stdout);
	l.p = l.buf;
	if (m->object) {	/* by hand too: a GPU program maps tens of thousands of objects */
		put_str(&l, " [object ", 0);
		put_dec(&l, m->object->id, 0);
		*l.p++ = ' ';
		put_str(&l, iodbg_object_kind_name(m->object->kind), 0);
		*l.p++ = ' ';
		put_str(&l, iodbg_placement_name(m->object->placement), 0);
		put_str(&l, ", ", 0);
		put_dec(&l, m->object->size, 0);
		put_str(&l, " bytes]", 0);
	}
	*l.p++ = '\n';
	fwrite_unlocked(l.buf, 1, l.p - l.buf, stdout);
}

static void object_json(const struct iodbg_object *ob)
{
	printf("{\"id\": %" PRIu64 ", \"kind\": \"%s\", \"kind_id\": %u, \"size\": %" PRIu64
	       ", \"placement\": \"%s\", \"placement_id\": %u, \"flags\": %u, \"unit\": %d, "
	       "\"start\": \"0x%" PRIx64 "\", \"length\": %" PRIu64 ", \"offset\": %" PRIu64
	       ", \"owner\": %" PRIu64 ", \"mapped\": %s}", ob->id, iodbg_object_kind_name(ob->kind),
	       ob->kind, ob->size, iodbg_placement_name(ob->placement), ob->placement, ob->flags,
	       ob->unit, ob->start, ob->length, ob->offset, ob->owner,
	       ob->length ? "true" : "false");
}

static void map_json(const struct iodbg_map *m, bool first)
{
	char p[5];

	printf("%s  {\"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64 "\", \"perms\": \"%s\", "
	       "\"kind\": \"%s\", \"flags\": [", first ? "" : ",\n", m->start, m->end,
	       perms(m->flags, p), iodbg_map_kind(m));
	for (size_t i = 0, n = 0; i < sizeof(map_flags) / sizeof(map_flags[0]); i++)
		if (m->flags & map_flags[i].bit)
			printf("%s\"%s\"", n++ ? ", " : "", map_flags[i].name);
	printf("], \"offset\": \"0x%" PRIx64 "\", \"dev\": \"%02x:%02x\", \"inode\": %" PRIu64
	       ", \"path\": ", m->offset, m->dev_major, m->dev_minor, m->inode);
	json_str(stdout, m->path);
	if (m->object) {
		printf(", \"object\": ");
		object_json(m->object);
	}
	putchar('}');
}

/*
 * A listing of a large process runs to megabytes: write it in large pieces rather than a
 * write() per page, unless a person reads it as it comes. Called before the first output.
 */
static void buffer_listing(void)
{
	static char buf[1 << 16];

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
}

static int cmd_maps(struct options *o, int argc, char **argv)
{
	struct iodbg_kernel_info k;
	struct iodbg_target *t;
	struct iodbg_maps *maps;
	bool device = false;
	const char *why;
	int err, status;
	pid_t pid;

	(void)argc;
	buffer_listing();
	if (!parse_pid(argv[0], &pid))
		return error(EXIT_USAGE, "bad PID '%s'", argv[0]);
	if (open_target(o, pid, &t))
		return 1;
	err = iodbg_maps_read(t, &maps);
	if (err) {
		error(1, "%s", iodbg_errmsg(t));
		close_target(o, t);
		return 1;
	}
	if (o->json)
		printf("[\n");
	else
		printf("%-25s %-4s %-8s %-20s %-8s %-5s %-10s %s\n", "ADDRESS", "PERM", "KIND",
		       "FLAGS", "OFFSET", "DEV", "INODE", "PATH");
	for (size_t i = 0; i < iodbg_maps_count(maps); i++) {
		const struct iodbg_map *m = iodbg_maps_get(maps, i);

		device |= !!(m->flags & (IODBG_MAP_IO | IODBG_MAP_PFNMAP));
		if (o->json)
			map_json(m, !i);
		else
			map_text(m);
	}
	if (o->json)
		printf("%s]\n", iodbg_maps_count(maps) ? "\n" : "");
	else if (device && (iodbg_kernel_info(&k) || !k.loaded))
		printf("\nio, pfnmap: the kernel's ordinary paths reach these only through a "
		       "driver ->access; load iodbg for the debug ioctl\n");
	else if (device)
		printf("\nio, pfnmap: the kernel's ordinary paths reach these only through a "
		       "driver ->access; the iodbg debug ioctl (path ioctl) reads them\n");
	status = iodbg_maps_objects_error(maps, &why) ? EXIT_PARTIAL : 0;
	if (status)
		error(status, "%s; the mappings are listed without their iodbg objects", why);
	iodbg_maps_free(maps);
	close_target(o, t);
	return status;
}

static const char *object_flags(uint32_t f, char *buf, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ IODBG_OBJECT_REGISTERS, "registers" }, { IODBG_OBJECT_NO_ACCESS, "noaccess" },
		{ IODBG_OBJECT_ACCESS_REFUSES, "refuses" }, { IODBG_OBJECT_ACCESS_PHYS, "phys" },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			off += snprintf(buf + off, size - off, "%s%s", off ? "," : "",
					names[i].name);
	return off ? buf : "-";
}

static int cmd_objects(struct options *o, int argc, char **argv)
{
	struct iodbg_objects *objs;
	struct iodbg_target *t;
	char flags[64];
	pid_t pid;
	size_t n;

	(void)argc;
	buffer_listing();
	if (!parse_pid(argv[0], &pid))
		return error(EXIT_USAGE, "bad PID '%s'", argv[0]);
	if (open_target(o, pid, &t))
		return 1;
	if (iodbg_objects(t, &objs)) {
		error(1, "%s", iodbg_errmsg(t));
		close_target(o, t);
		return 1;
	}
	n = iodbg_objects_count(objs);
	if (o->json)
		printf("[");
	else
		printf("%-25s %-8s %-9s %-8s %-12s %-10s %-5s %-8s %s\n", "ADDRESS", "ID", "KIND",
		       "PLACE", "SIZE", "OFFSET", "UNIT", "OWNER", "FLAGS");
	for (size_t i = 0; i < n; i++) {
		const struct iodbg_object *ob = iodbg_objects_get(objs, i);

		if (o->json) {
			printf("%s\n  ", i ? "," : "");
			object_json(ob);
			continue;
		}
		if (ob->length)
			printf("%012" PRIx64 "-%012" PRIx64, ob->start, ob->start + ob->length);
		else
			printf("%-25s", "(held, not mapped)");
		printf(" %-8" PRIu64 " %-9s %-8s %-12" PRIu64 " %-10" PRIx64 " %-5d %-8" PRIu64
		       " %s\n", ob->id, iodbg_object_kind_name(ob->kind),
		       iodbg_placement_name(ob->placement), ob->size, ob->offset, ob->unit,
		       ob->owner, object_flags(ob->flags, flags, sizeof(flags)));
	}
	if (o->json)
		printf("%s]\n", n ? "\n" : "");
	iodbg_objects_free(objs);
	close_target(o, t);
	return 0;
}

static int cmd_read(struct options *o, int argc, char **argv)
{
	struct iodbg_target *t;
	uint64_t addr, len;
	FILE *out = NULL;
	pid_t pid;
	int status;

	(void)argc;
	if (!parse_pid(argv[0], &pid))
		return error(EXIT_USAGE, "bad PID '%s'", argv[0]);
	if (!parse_addr(argv[1], &addr))
		return error(EXIT_USAGE, "bad %s '%s' (hexadecimal)", o->object ? "OFFSET" : "ADDR",
			     argv[1]);
	if (!parse_len(argv[2], &len) || !len)
		return error(EXIT_USAGE, "bad LEN '%s' (at least 1)", argv[2]);
	if (len - 1 > UINT64_MAX - addr)
		return error(EXIT_USAGE, "0x%" PRIx64 " + %" PRIu64 " passes the end of the %s",
			     addr, len, o->object ? "64-bit offsets" : "address space");
	if (o->file) {
		out = strcmp(o->file, "-") ? fopen(o->file, "we") : stdout;
		if (!out)
			return error(1, "cannot open %s: %m", o->file);
	}
	if (open_target(o, pid, &t)) {
		if (out && out != stdout)
			fclose(out);
		return 1;
	}
	status = transfer(o, t, false, addr, NULL, len, out);
	close_target(o, t);
	if (out && out != stdout && fclose(out) && !o->output_failed)
		return error(1, "cannot write %s: %m", o->file);
	if (fflush(stdout) && !o->output_failed)
		return error(1, "cannot write the output: %m");
	return status;
}

static int cmd_write(struct options *o, int argc, char **argv)
{
	struct iodbg_target *t;
	unsigned char *data = NULL;
	uint64_t addr;
	size_t len = 0;
	pid_t pid;
	int status, err;

	if (!parse_pid(argv[0], &pid))
		return error(EXIT_USAGE, "bad PID '%s'", argv[0]);
	if (!parse_addr(argv[1], &addr))
		return error(EXIT_USAGE, "bad %s '%s' (hexadecimal)", o->object ? "OFFSET" : "ADDR",
			     argv[1]);
	if ((argc == 3) == !!o->file)
		return error(EXIT_USAGE, "write takes the bytes as HEX or from -f FILE, %s",
			     o->file ? "not both" : "and got neither");
	if (o->file) {
		err = read_file(o->file, &data, &len);
		if (err)
			return error(1, "cannot read %s: %s", o->file, strerror(-err));
		if (!len) {
			free(data);
			return error(EXIT_USAGE, "%s is empty: nothing to write", o->file);
		}
	} else if (parse_hex_bytes(argv[2], &data, &len)) {
		return error(EXIT_USAGE, "bad HEX '%s' (pairs of hexadecimal digits)", argv[2]);
	}
	if (len - 1 > UINT64_MAX - addr) {
		free(data);
		return error(EXIT_USAGE, "0x%" PRIx64 " + %zu passes the end of the %s", addr, len,
			     o->object ? "64-bit offsets" : "address space");
	}
	if (open_target(o, pid, &t)) {
		free(data);
		return 1;
	}
	status = transfer(o, t, true, addr, data, len, NULL);
	close_target(o, t);
	free(data);
	return status;
}

static int cmd_info(struct options *o, int argc, char **argv)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} features[] = {
		{ IODBG_FEATURE_RW_ADDR, "rw_addr" },
		{ IODBG_FEATURE_RW_OBJECT, "rw_object" },
		{ IODBG_FEATURE_LIST_OBJECTS, "list_objects" },
		{ IODBG_FEATURE_GENERIC, "generic" },
		{ IODBG_FEATURE_PIDFD, "pidfd" },
		{ IODBG_FEATURE_LIST_CURSOR, "list_cursor" },
		{ IODBG_FEATURE_WIDTH, "width" },
	};
	struct iodbg_kernel_info k;
	uint64_t unknown;
	int err;

	(void)argc;
	(void)argv;
	err = iodbg_kernel_info(&k);
	unknown = k.features;
	if (o->json) {
		printf("{\"version\": \"%s\", \"paths\": [", iodbg_version());
		for (int id = IODBG_PATH_AUTO + 1; iodbg_path_name(id); id++)
			printf("%s\"%s\"", id > 1 ? ", " : "", iodbg_path_name(id));
		printf("], \"kernel\": {\"loaded\": %s, \"abi_version\": %u, \"features\": [",
		       k.loaded ? "true" : "false", k.abi_version);
		for (size_t i = 0, n = 0; i < sizeof(features) / sizeof(features[0]); i++)
			if (k.features & features[i].bit)
				printf("%s\"%s\"", n++ ? ", " : "", features[i].name);
		printf("], \"message\": ");
		json_str(stdout, iodbg_errmsg(NULL));
		printf("}}\n");
		return err ? 1 : 0;
	}
	printf("libiodbg %s\npaths: ", iodbg_version());
	for (int id = IODBG_PATH_AUTO + 1; iodbg_path_name(id); id++)
		printf("%s%s", id > 1 ? " " : "", iodbg_path_name(id));
	printf("\nkernel: %s\n", iodbg_errmsg(NULL));
	if (err)
		return error(1, "%s", iodbg_errmsg(NULL));
	if (!k.loaded) {
		printf("VM_IO and VM_PFNMAP mappings are readable only where their driver has "
		       "->access\n");
		return 0;
	}
	printf("features:");
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (k.features & features[i].bit) {
			printf(" %s", features[i].name);
			unknown &= ~features[i].bit;
		}
	if (unknown)
		printf(" 0x%" PRIx64, unknown);
	printf("\n");
	return 0;
}

#define OPT_HELP	{ "help", no_argument, NULL, 'h' }
#define OPT_JSON	{ "json", no_argument, NULL, 'j' }
#define OPT_PATH	{ "path", required_argument, NULL, 'p' }
#define OPT_REPORT	{ "report", no_argument, NULL, 'r' }
#define OPT_ATTACH	{ "attach", no_argument, NULL, 'a' }
#define OPT_MMIO	{ "allow-mmio", no_argument, NULL, 'm' }
#define OPT_OBJECT	{ "object", required_argument, NULL, 'O' }
#define OPT_WIDTH	{ "width", required_argument, NULL, 'w' }
#define OPT_END		{ NULL, 0, NULL, 0 }

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

static const struct option maps_opts[] = { OPT_HELP, OPT_JSON, OPT_END };
static const struct option read_opts[] = {
	OPT_HELP, OPT_JSON, OPT_PATH, OPT_REPORT, OPT_ATTACH, OPT_MMIO, OPT_OBJECT, OPT_WIDTH,
	{ "output", required_argument, NULL, 'o' }, OPT_END
};
static const struct option write_opts[] = {
	OPT_HELP, OPT_JSON, OPT_PATH, OPT_REPORT, OPT_ATTACH, OPT_MMIO, OPT_OBJECT, OPT_WIDTH,
	{ "file", required_argument, NULL, 'f' }, OPT_END
};
static const struct option info_opts[] = { OPT_HELP, OPT_JSON, OPT_END };
static const struct option objects_opts[] = { OPT_HELP, OPT_JSON, OPT_END };

static const struct command commands[] = {
	{ "maps", cmd_maps, 1, "hj", maps_opts,
	  "usage: iodbg maps [--json] PID\n"
	  "The mappings of PID from /proc/PID/maps, their VM flags from the iodbg module (or\n"
	  "/proc/PID/smaps without it): range, permissions, kind (ordinary, io for VM_IO,\n"
	  "pfnmap for VM_PFNMAP), flags (io, pfnmap, mixedmap, dontdump, deleted), offset,\n"
	  "device, inode and path.\n"
	  "  --json      one JSON array of objects\n" },
	{ "read", cmd_read, 3, "hjp:ramo:w:", read_opts,
	  "usage: iodbg read [OPTIONS] PID ADDR LEN\n"
	  "       iodbg read --object=ID [OPTIONS] PID OFFSET LEN\n"
	  "Read LEN bytes at ADDR in PID (at OFFSET in object ID) and print them as xxd does\n"
	  "(xxd -o ADDR), or raw.\n"
	  "  -o, --output=FILE  write the raw bytes to FILE ('-': stdout)\n" XFER_HELP },
	{ "write", cmd_write, -1, "hjp:ramf:w:", write_opts,
	  "usage: iodbg write [OPTIONS] PID ADDR (HEX | -f FILE)\n"
	  "       iodbg write --object=ID [OPTIONS] PID OFFSET (HEX | -f FILE)\n"
	  "Write bytes at ADDR in PID (at OFFSET in object ID): HEX as pairs of hexadecimal\n"
	  "digits (spaces and colons between them are ignored), or the contents of FILE\n"
	  "('-': stdin).\n"
	  "  -f, --file=FILE    the bytes to write\n" XFER_HELP },
	{ "objects", cmd_objects, 1, "hj", objects_opts,
	  "usage: iodbg objects [--json] PID\n"
	  "The iodbg objects of PID (needs the iodbg module): one line per mapping, then one per\n"
	  "object PID holds a file of but maps nowhere (\"held, not mapped\"; JSON: \"mapped\":\n"
	  "false): mapping, object id, kind, placement now (device, gart, system, saved), size,\n"
	  "offset in the object, device unit, owner and flags.\n"
	  "  --json      one JSON array of objects\n" },
	{ "info", cmd_info, 0, "hj", info_opts,
	  "usage: iodbg info [--json]\n"
	  "The library version, its paths, and whether the iodbg module is loaded (its ABI\n"
	  "version and features).\n"
	  "  --json      one JSON object\n" },
};

static int run(const struct command *c, int argc, char **argv)
{
	struct options o = { .path = IODBG_PATH_AUTO };
	int opt, nargs;

	optind = 1;
	while ((opt = getopt_long(argc, argv, c->shortopts, c->longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(c->help, stdout);
			return 0;
		case 'j':
			o.json = true;
			break;
		case 'r':
			o.report = true;
			break;
		case 'a':
			o.attach = true;
			break;
		case 'm':
			o.allow_mmio = true;
			break;
		case 'p':
			o.path = iodbg_path_from_name(optarg);
			if (o.path < 0)
				return error(EXIT_USAGE, "%s", iodbg_errmsg(NULL));
			break;
		case 'o':
		case 'f':
			o.file = optarg;
			break;
		case 'w':
			if (strlen(optarg) != 1 || !strchr("1248", *optarg))
				return error(EXIT_USAGE, "bad --width '%s' (1, 2, 4 or 8)", optarg);
			o.width = *optarg - '0';
			break;
		case 'O':
			if (!parse_id(optarg, &o.id))
				return error(EXIT_USAGE, "bad object ID '%s' (decimal)", optarg);
			o.object = true;
			break;
		default:
			fputs(c->help, stderr);
			return EXIT_USAGE;
		}
	}
	if (o.path == IODBG_PATH_OBJECT && !o.object)
		return error(EXIT_USAGE, "--path=object needs --object=ID");
	nargs = argc - optind;
	if (c->nargs >= 0 ? nargs != c->nargs : nargs < 2 || nargs > 3) {
		fputs(c->help, stderr);
		return EXIT_USAGE;
	}
	return c->run(&o, nargs, argv + optind);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("iodbg %s\n", iodbg_version());
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return run(&commands[i], argc - 1, argv + 1);
	error(EXIT_USAGE, "no command '%s'", argv[1]);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}
