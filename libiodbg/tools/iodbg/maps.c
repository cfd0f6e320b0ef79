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
