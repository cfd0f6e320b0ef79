// SPDX-License-Identifier: GPL-2.0-or-later
/* iodbg maps: the mappings of a process, their kind and their iodbg objects. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <linux/iodbg.h>

#include "main.h"

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
 * The lines of 'iodbg maps' are built by hand, in a buffer written out when full: with tens
 * of thousands of mappings, printf's reading of its format string, and even a stdio call a
 * line, would cost more than the kernel's writing of the maps.
 */
struct text {
	char *buf;
	char *p;
	char *end;
};

/* Room for a line's fields but its path, which may be of any length (see map_text()). */
#define LINE_FIELDS	256

/* Write out what @l holds. */
static void text_flush(struct text *l)
{
	fwrite_unlocked(l->buf, 1, l->p - l->buf, stdout);
	l->p = l->buf;
}

/* Room for @n more bytes in @l: what it holds is written out first if they do not fit. */
static void text_room(struct text *l, size_t n)
{
	if ((size_t)(l->end - l->p) < n)
		text_flush(l);
}

/* @n bytes of @s; what does not fit in @l bypasses it. */
static void put_mem(struct text *l, const char *s, size_t n)
{
	text_room(l, n);
	if (n > (size_t)(l->end - l->p)) {
		fwrite_unlocked(s, 1, n, stdout);
		return;
	}
	memcpy(l->p, s, n);
	l->p += n;
}

/* The two hexadecimal digits of each byte value. */
static const char hex_pairs[256][2] = {
#define HEX_ROW(h) { h, '0' }, { h, '1' }, { h, '2' }, { h, '3' }, { h, '4' }, { h, '5' }, \
		   { h, '6' }, { h, '7' }, { h, '8' }, { h, '9' }, { h, 'a' }, { h, 'b' }, \
		   { h, 'c' }, { h, 'd' }, { h, 'e' }, { h, 'f' }
	HEX_ROW('0'), HEX_ROW('1'), HEX_ROW('2'), HEX_ROW('3'), HEX_ROW('4'), HEX_ROW('5'),
	HEX_ROW('6'), HEX_ROW('7'), HEX_ROW('8'), HEX_ROW('9'), HEX_ROW('a'), HEX_ROW('b'),
	HEX_ROW('c'), HEX_ROW('d'), HEX_ROW('e'), HEX_ROW('f'),
#undef HEX_ROW
};

/* @v in hexadecimal, zero-padded to @digits, two digits at a time. */
static void put_hex(struct text *l, uint64_t v, int digits)
{
	int n = (64 - __builtin_clzll(v | 1) + 3) / 4;
	int i;

	if (n < digits)
		n = digits;
	for (i = n; i >= 2; i -= 2, v >>= 8)
		memcpy(l->p + i - 2, hex_pairs[v & 255], 2);
	if (i)
		l->p[0] = hex_pairs[v & 15][1];
	l->p += n;
}

/* @s, then spaces up to @width. */
static void put_str(struct text *l, const char *s, int width)
{
	size_t n = strlen(s);

	put_mem(l, s, n);
	for (; (int)n < width; n++)
		*l->p++ = ' ';
}

/* @v in decimal, then spaces up to @width. */
static void put_dec(struct text *l, uint64_t v, int width)
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

/*
 * The columns that follow from a mapping's flags alone, permissions to flags, padded: the
 * mappings of a large process share a few values of them, so each is built once. The cache
 * is indexed by the permissions, which neighbouring mappings differ in most.
 */
struct flag_columns {
	bool valid;
	uint32_t flags;
	size_t len;
	char text[64];
};

static void build_flag_columns(struct flag_columns *c, uint32_t flags, const char *kind)
{
	struct text l = { c->text, c->text, c->text + sizeof(c->text) };
	const char *start;
	bool any = false;
	char p[5];

	put_str(&l, perms(flags, p), 5);
	put_str(&l, kind, 9);
	start = l.p;
	for (size_t i = 0; i < sizeof(map_flags) / sizeof(map_flags[0]); i++) {
		if (!(flags & map_flags[i].bit))
			continue;
		if (any)
			*l.p++ = ',';
		put_str(&l, map_flags[i].name, 0);
		any = true;
	}
	if (!any)
		*l.p++ = '-';
	while (l.p - start < 20)
		*l.p++ = ' ';
	*l.p++ = ' ';
	c->valid = true;
	c->flags = flags;
	c->len = l.p - l.buf;
}

static void put_flag_columns(struct text *l, const struct iodbg_map *m)
{
	static struct flag_columns cache[16];
	struct flag_columns *c = &cache[m->flags & 15];

	if (!c->valid || c->flags != m->flags)
		build_flag_columns(c, m->flags, iodbg_map_kind(m));
	/* A copy of a constant size is a few moves; what follows overwrites the rest. */
	memcpy(l->p, c->text, sizeof(c->text));
	l->p += c->len;
}

static void map_text(struct text *l, const struct iodbg_map *m)
{
	text_room(l, LINE_FIELDS);
	put_hex(l, m->start, 12);
	*l->p++ = '-';
	put_hex(l, m->end, 12);
	*l->p++ = ' ';
	put_flag_columns(l, m);
	put_hex(l, m->offset, 8);
	*l->p++ = ' ';
	put_hex(l, m->dev_major, 2);
	*l->p++ = ':';
	put_hex(l, m->dev_minor, 2);
	*l->p++ = ' ';
	put_dec(l, m->inode, *m->path ? 10 : 0);
	if (*m->path) {
		*l->p++ = ' ';
		put_str(l, m->path, 0);
	}
	if (m->flags & IODBG_MAP_DELETED)
		put_str(l, " (deleted)", 0);
	if (m->object) {	/* by hand too: a GPU program maps tens of thousands of objects */
		text_room(l, LINE_FIELDS);
		put_str(l, " [object ", 0);
		put_dec(l, m->object->id, 0);
		*l->p++ = ' ';
		put_str(l, iodbg_object_kind_name(m->object->kind), 0);
		*l->p++ = ' ';
		put_str(l, iodbg_placement_name(m->object->placement), 0);
		put_str(l, ", ", 0);
		put_dec(l, m->object->size, 0);
		put_str(l, " bytes]", 0);
	}
	text_room(l, 1);
	*l->p++ = '\n';
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

static int do_maps(struct options *o, int argc, char **argv)
{
	static char buf[1 << 16];
	struct text lines = { buf, buf, buf + sizeof(buf) };
	struct iodbg_kernel_info k;
	struct iodbg_target *t;
	struct iodbg_maps *maps;
	bool device = false;
	const char *why;
	size_t count;
	int err, status;
	pid_t pid;

	(void)argc;
	/* The text is buffered here, a buffer at a time, which stdio need not copy again. */
	if (o->json)
		buffer_listing();
	else
		setvbuf(stdout, NULL, _IONBF, 0);
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
	count = iodbg_maps_count(maps);
	for (size_t i = 0; i < count; i++) {
		const struct iodbg_map *m = iodbg_maps_get(maps, i);

		device |= !!(m->flags & (IODBG_MAP_IO | IODBG_MAP_PFNMAP));
		if (o->json)
			map_json(m, !i);
		else
			map_text(&lines, m);
	}
	text_flush(&lines);
	if (o->json)
		printf("%s]\n", count ? "\n" : "");
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

static const struct option maps_opts[] = { OPT_HELP, OPT_JSON, OPT_END };

const struct command maps_command = {
	"maps", do_maps, 1, "hj", maps_opts,
	"usage: iodbg maps [--json] PID\n"
	"The mappings of PID from /proc/PID/maps, their VM flags from the iodbg module (or\n"
	"/proc/PID/smaps without it): range, permissions, kind (ordinary, io for VM_IO,\n"
	"pfnmap for VM_PFNMAP), flags (io, pfnmap, mixedmap, dontdump, deleted), offset,\n"
	"device, inode and path.\n"
	"  --json      one JSON array of objects\n"
};
