// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc/PID/maps and /proc/PID/smaps. A maps line is
 *
 *   START-END PERMS OFFSET MAJOR:MINOR INODE [PADDING PATH]
 *
 * and smaps adds "Key: value" lines after each, of which only VmFlags matters here: besides
 * the iodbg module's IODBG_IOC_LIST_VMAS, it is the one place that tells VM_IO and VM_PFNMAP
 * mappings, which the ordinary paths cannot read without the driver's ->access, from
 * ordinary memory.
 *
 * The text comes from the kernel, but the parser takes it as untrusted all the same (it is
 * fuzzed): fields are parsed by hand, with bounds, rather than by sscanf, which accepts signs,
 * spaces and overflowing numbers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iodbg.h>

#include "internal.h"

#define DELETED_SUFFIX " (deleted)"
#define POPULATE_MIN	4096	/* mappings: smaller arrays fault in a page at a time */
#define STR(x)		#x
#define ISTR(x)		STR(x)

struct iodbg_maps {
	/* Users: the caller of iodbg_maps_read(), and the target's chain, which shares it. */
	int refs;
	size_t count;
	size_t cap;
	int truncated;
	struct iodbg_map *v;
	/*
	 * The paths, each NUL-terminated, in the order of @v: one block rather than a string
	 * each. While parsing, the block moves as it grows, so each map's path holds its offset
	 * in the block until the parse is done (set_paths()).
	 */
	char *paths;
	size_t paths_len;
	size_t paths_cap;
	struct iodbg_object *objects;	/* what the maps' object pointers point into */
	size_t nobjects;
	/*
	 * Where the module's list of device mappings (which names every mapping of an object)
	 * found objects: [objects_start, objects_end), empty if none. Only if @vmas_listed.
	 */
	bool vmas_listed;
	uint64_t objects_start;
	uint64_t objects_end;
	int objects_err;		/* why the module did not list the objects, or 0 */
	char objects_why[256];
};

/* A line being parsed: [p, end). */
struct cursor {
	const char *p;
	const char *end;
};

/*
 * The value of each hexadecimal digit plus one, 0 for any other character: the parser reads
 * every character of a text that may hold tens of thousands of mappings.
 */
static const unsigned char digit_plus_one[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/*
 * A hexadecimal number of 1 to @max_digits (at most 16, so it cannot overflow) digits, and
 * the separator @sep after it. Inlined: it runs five times a line.
 */
static inline __attribute__((always_inline)) bool hex_then(struct cursor *c, int max_digits,
							   char sep, uint64_t *val)
{
	const char *p = c->p;
	const char *stop = c->end - p > max_digits ? p + max_digits : c->end;
	uint64_t v = 0;
	unsigned int d;

	while (p < stop && (d = digit_plus_one[(unsigned char)*p])) {
		v = v << 4 | (d - 1);
		p++;
	}
	if (p == c->p || p == c->end || *p != sep)
		return false;
	*val = v;
	c->p = p + 1;
	return true;
}

/*
 * A decimal number of 1 to 20 digits, without overflow: up to 19 digits cannot overflow 64
 * bits, so only a 20th is checked.
 */
static bool decimal(struct cursor *c, uint64_t *val)
{
	const char *p = c->p;
	const char *stop = c->end - p > 19 ? p + 19 : c->end;
	uint64_t v = 0;
	unsigned int d;

	while (p < stop && (d = digit_plus_one[(unsigned char)*p] - 1u) < 10) {
		v = v * 10 + d;
		p++;
	}
	if (p < c->end && (d = digit_plus_one[(unsigned char)*p] - 1u) < 10) {
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
			return false;
		p++;
		if (p < c->end && digit_plus_one[(unsigned char)*p] - 1u < 10)
			return false;
	}
	if (p == c->p)
		return false;
	*val = v;
	c->p = p;
	return true;
}

static bool expect(struct cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

static bool perms(struct cursor *c, uint32_t *flags)
{
	static const char yes[] = "rwxs", no[] = "---p";
	static const uint32_t bit[] = { IODBG_MAP_READ, IODBG_MAP_WRITE, IODBG_MAP_EXEC,
					IODBG_MAP_SHARED };

	if (c->end - c->p < 4)
		return false;
	for (int i = 0; i < 4; i++, c->p++) {
		if (*c->p == yes[i])
			*flags |= bit[i];
		else if (*c->p != no[i])
			return false;
	}
	return true;
}

/* The header line of one mapping; @m->path points into the line, for @path_len bytes. */
static const char *parse_header(struct cursor *c, struct iodbg_map *m, size_t *path_len)
{
	uint64_t major, minor;

	memset(m, 0, sizeof(*m));
	if (!hex_then(c, 16, '-', &m->start) || !hex_then(c, 16, ' ', &m->end))
		return "bad address range";
	if (!perms(c, &m->flags) || !expect(c, ' '))
		return "bad permissions";
	if (!hex_then(c, 16, ' ', &m->offset))
		return "bad offset";
	if (!hex_then(c, 8, ':', &major) || !hex_then(c, 8, ' ', &minor))
		return "bad device";
	m->dev_major = major;
	m->dev_minor = minor;
	/* The kernel pads to a column before the path, and only when there is one. */
	if (!decimal(c, &m->inode) || (c->p < c->end && !expect(c, ' ')))
		return "bad inode";
	while (c->p < c->end && *c->p == ' ')
		c->p++;
	m->path = c->p;
	*path_len = c->end - c->p;
	if (memchr(c->p, '\0', *path_len))
		return "NUL in the path";
	if (*path_len > strlen(DELETED_SUFFIX) &&
	    !memcmp(c->end - strlen(DELETED_SUFFIX), DELETED_SUFFIX, strlen(DELETED_SUFFIX))) {
		m->flags |= IODBG_MAP_DELETED;
		*path_len -= strlen(DELETED_SUFFIX);
	}
	if (m->start >= m->end)
		return "empty or reversed address range";
	return NULL;
}

/* "VmFlags: rd wr mr mw me io pf dd": two-letter names, of which more come with new kernels. */
static void parse_vmflags(struct cursor *c, struct iodbg_map *m)
{
	static const struct {
		char name[3];
		uint32_t bit;
	} known[] = {
		{ "io", IODBG_MAP_IO }, { "pf", IODBG_MAP_PFNMAP },
		{ "mm", IODBG_MAP_MIXEDMAP }, { "dd", IODBG_MAP_DONTDUMP },
	};

	m->flags |= IODBG_MAP_VMFLAGS;
	while (c->p < c->end) {
		const char *word = c->p;
		size_t n;

		while (c->p < c->end && *c->p != ' ')
			c->p++;
		n = c->p - word;
		for (size_t i = 0; i < ARRAY_SIZE(known); i++)
			if (n == 2 && !memcmp(word, known[i].name, 2))
				m->flags |= known[i].bit;
		while (c->p < c->end && *c->p == ' ')
			c->p++;
	}
}

/* An smaps "Key:" line: the key and its length, or NULL if the line is not one. */
static const char *key_line(struct cursor *c, size_t *len)
{
	const char *key = c->p;

	while (c->p < c->end && (*c->p == '_' || (*c->p >= 'A' && *c->p <= 'Z') ||
				 (*c->p >= 'a' && *c->p <= 'z') || (*c->p >= '0' && *c->p <= '9')))
		c->p++;
	*len = c->p - key;
	if (!*len || !expect(c, ':'))
		return NULL;
	return key;
}

static int append_path(struct iodbg_maps *maps, const char *path, size_t len)
{
	if (maps->paths_cap - maps->paths_len < len + 1) {
		size_t cap = maps->paths_cap ? maps->paths_cap : 4096;
		char *p;

		while (cap - maps->paths_len < len + 1)
			cap *= 2;
		p = realloc(maps->paths, cap);
		if (!p)
			return -ENOMEM;
		maps->paths = p;
		maps->paths_cap = cap;
	}
	memcpy(maps->paths + maps->paths_len, path, len);
	maps->paths_len += len;
	maps->paths[maps->paths_len++] = '\0';
	return 0;
}

/*
 * Fault in the whole pages of [@p, @p + @len) at once: the mappings of a large process fill
 * megabytes, each page of which would otherwise cost a fault. Before Linux 5.14 the advice
 * is unknown, and the pages fault in one by one as before.
 */
static void populate(void *p, size_t len)
{
	uintptr_t page = sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(page - 1);

	if (end > start)
		madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

/* Room for one more mapping in @maps->v. */
static int reserve(struct iodbg_maps *maps)
{
	if (maps->count == maps->cap) {
		size_t cap = maps->cap ? maps->cap * 2 : 64;
		struct iodbg_map *v = reallocarray(maps->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		maps->v = v;
		maps->cap = cap;
		if (cap >= POPULATE_MIN)
			populate(v + maps->count, (cap - maps->count) * sizeof(*v));
	}
	return 0;
}

/* Point each mapping at its path in the block, now that the block stays where it is. */
static void set_paths(struct iodbg_maps *maps)
{
	for (size_t i = 0; i < maps->count; i++)
		maps->v[i].path = maps->paths + (uintptr_t)maps->v[i].path;
}

/*
 * One line; the reason it is bad, or NULL. A mapping's header is parsed straight into the
 * array's next slot, which becomes the last mapping only once the whole line is good.
 */
static const char *parse_line(struct iodbg_maps *maps, struct cursor *c, int *err)
{
	struct cursor header = *c;
	struct iodbg_map *m;
	const char *why, *key;
	size_t len;

	*err = 0;
	if (c->p == c->end)
		return "empty line";
	*err = reserve(maps);
	if (*err)
		return "out of memory";
	m = &maps->v[maps->count];
	why = parse_header(&header, m, &len);
	if (why) {
		/* An smaps "Key: value" line, then: of those, only VmFlags matters. */
		key = key_line(c, &len);
		if (!key)
			return why;
		if (!maps->count)
			return "smaps field before any mapping";
		if (len == strlen("VmFlags") && !memcmp(key, "VmFlags", len))
			parse_vmflags(c, &maps->v[maps->count - 1]);
		return NULL;
	}
	if (maps->count && m->start < maps->v[maps->count - 1].end)
		return "mapping overlaps or precedes the one before";
	*err = append_path(maps, m->path, len);
	if (*err)
		return "out of memory";
	m->path = (const char *)(uintptr_t)(maps->paths_len - len - 1);
	maps->count++;
	return NULL;
}

/* A text being parsed a piece at a time, as it is read. */
struct parser {
	struct iodbg_maps *maps;
	unsigned long line;
};

static int parser_start(struct parser *ps)
{
	ps->line = 0;
	ps->maps = calloc(1, sizeof(*ps->maps));
	if (!ps->maps)
		return iodbg__error(NULL, -ENOMEM, "out of memory");
	ps->maps->refs = 1;
	return 0;
}

/*
 * Parse the whole lines of [@text, @text + @len) and say in @used how far that went. The
 * last piece of a text is @final: its last line needs no newline, and if it has none and
 * does not parse, it was cut short (a read of a process that exited, a file copied in part),
 * so it is dropped and what came before it kept.
 */
static int parse_lines(struct parser *ps, const char *text, size_t len, bool final,
		       size_t *used)
{
	const char *p = text, *end = text + len;
	int err = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		struct cursor c = { p, nl ? nl : end };
		const char *why;

		if (!nl && !final)
			break;
		ps->line++;
		why = parse_line(ps->maps, &c, &err);
		if (why && !err && !nl) {
			ps->maps->truncated = 1;
			p = end;
			break;
		}
		if (why)
			return iodbg__error(NULL, err ? err : -EBADMSG, "line %lu: %s", ps->line,
					    why);
		p = nl ? nl + 1 : end;
	}
	*used = p - text;
	return 0;
}

static struct iodbg_maps *parser_finish(struct parser *ps)
{
	set_paths(ps->maps);
	return ps->maps;
}

IODBG_API int iodbg_maps_parse(const char *text, size_t len, struct iodbg_maps **out)
{
	struct parser ps;
	size_t used;
	int err;

	if (!out || (!text && len))
		return iodbg__error(NULL, -EINVAL, "no text or no place for the mappings");
	*out = NULL;
	err = parser_start(&ps);
	if (err)
		return err;
	err = parse_lines(&ps, text, len, true, &used);
	if (err) {
		iodbg_maps_free(ps.maps);
		return err;
	}
	*out = parser_finish(&ps);
	return 0;
}

/*
 * Read and parse @fd a piece at a time: the text of a process with many mappings runs to
 * megabytes, which need never be held at once. @buf grows only for a line longer than it.
 */
static int parse_fd(int fd, struct iodbg_maps **out)
{
	size_t cap = 65536, have = 0;
	char *buf = malloc(cap);
	struct parser ps;
	int err;

	if (!buf)
		return iodbg__error(NULL, -ENOMEM, "out of memory");
	err = parser_start(&ps);
	while (!err) {
		ssize_t r = read(fd, buf + have, cap - have);
		size_t used;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = iodbg__error(NULL, -errno, "%m");
			break;
		}
		have += r;
		err = parse_lines(&ps, buf, have, !r, &used);
		if (err || !r)
			break;
		have -= used;
		memmove(buf, buf + used, have);
		if (have == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				err = iodbg__error(NULL, -ENOMEM, "out of memory");
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	free(buf);
	if (err) {
		iodbg_maps_free(ps.maps);
		return err;
	}
	*out = parser_finish(&ps);
	return 0;
}

/*
 * The kernel prints maps and smaps a read() at a time, each under the mmap lock (or none,
 * from Linux 6.17 on, when it uses per-VMA locks) but not across them: a mapping split,
 * merged or moved between two reads may come out overlapping the one before. Such a text is
 * read again, as is a listing of the module that disagrees with the text.
 */
#define MAPS_TRIES	16

/* /proc/PID/@name parsed, read again while the text comes out torn. */
static int read_parsed(struct iodbg_target *t, const char *name, struct iodbg_maps **out)
{
	int err;

	for (int i = 0; i < MAPS_TRIES; i++) {
		int fd = iodbg__open_proc(t, name, O_RDONLY);

		if (fd < 0)
			return iodbg__error(t, fd, "cannot open /proc/%d/%s: %s", (int)t->pid,
					    name, strerror(-fd));
		err = parse_fd(fd, out);
		close(fd);
		if (err != -EBADMSG)
			break;
	}
	if (err)
		return iodbg__error(t, err, "/proc/%d/%s%s: %s", (int)t->pid, name,
				    err == -EBADMSG ? ", read " ISTR(MAPS_TRIES) " times" : "",
				    iodbg_errmsg(NULL));
	return 0;
}

static uint32_t map_flags(uint32_t vma_flags)
{
	return (vma_flags & IODBG_VMA_IO ? IODBG_MAP_IO : 0) |
	       (vma_flags & IODBG_VMA_PFNMAP ? IODBG_MAP_PFNMAP : 0) |
	       (vma_flags & IODBG_VMA_MIXEDMAP ? IODBG_MAP_MIXEDMAP : 0) |
	       (vma_flags & IODBG_VMA_DONTDUMP ? IODBG_MAP_DONTDUMP : 0);
}

/*
 * Put the flags of the @n mappings @vmas (in address order, as the module lists them) on
 * those of @maps, in one pass over both, and note where the mappings of objects are. False
 * if the two disagree: a listed mapping that overlaps one of @maps without being exactly it
 * was split, merged or moved between the two reads. One in a gap of @maps was made after
 * maps was read, and is not in this snapshot.
 */
static bool put_vma_flags(struct iodbg_maps *maps, const struct iodbg_vma_info *vmas, size_t n)
{
	size_t i = 0;

	for (size_t j = 0; j < n; j++) {
		const struct iodbg_vma_info *k = &vmas[j];

		while (i < maps->count && maps->v[i].end <= k->start)
			i++;
		if (i == maps->count || maps->v[i].start >= k->end)
			continue;
		if (maps->v[i].start != k->start || maps->v[i].end != k->end)
			return false;
		maps->v[i].flags |= map_flags(k->flags);
		if (!k->object)
			continue;
		if (maps->objects_start == maps->objects_end)
			maps->objects_start = k->start;
		maps->objects_end = k->end;
	}
	for (i = 0; i < maps->count; i++)
		maps->v[i].flags |= IODBG_MAP_VMFLAGS;
	maps->vmas_listed = true;
	return true;
}

/*
 * The mappings from /proc/PID/maps and the module's list of those with any VM flag smaps
 * would show (IODBG_IOC_LIST_VMAS). The list is read after the text, so that a mapping the
 * text shows is either listed or was unmapped since: never taken for ordinary memory.
 */
static int read_with_module(struct iodbg_target *t, struct iodbg_maps **out)
{
	if (iodbg__ctl(t) < 0 || !(t->kernel_features & IODBG_FEATURE_LIST_VMAS))
		return -EOPNOTSUPP;
	for (int i = 0; i < MAPS_TRIES; i++) {
		struct iodbg_vma_info *vmas;
		struct iodbg_maps *maps;
		size_t n;
		bool agree;
		int err;

		err = read_parsed(t, "maps", &maps);
		if (err)
			return err;
		err = iodbg__list_vmas(t, &vmas, &n);
		if (err) {
			iodbg_maps_free(maps);
			return err;
		}
		agree = put_vma_flags(maps, vmas, n);
		free(vmas);
		if (agree) {
			*out = maps;
			return 0;
		}
		iodbg_maps_free(maps);
	}
	return -EAGAIN;
}

/*
 * The mappings with their VM flags. smaps has them for every process we may read the maps
 * of, but walks every page table to count the pages: in a process with many mappings that
 * costs many times what maps does. So smaps is read only where the module cannot list the
 * flags: not loaded, too old, or no right to debug the process (maps asks less than that).
 */
int iodbg__maps_read(struct iodbg_target *t, struct iodbg_maps **out)
{
	if (!t)
		return iodbg__no_target();
	if (!out)
		return iodbg__error(t, -EINVAL, "no place for the mappings");
	*out = NULL;
	if (!read_with_module(t, out))
		return 0;
	return read_parsed(t, "smaps", out);
}

/*
 * The objects mapped in @maps. Where the module listed the device mappings, that listing
 * named every mapping of an object already: only the stretch of address space they span,
 * if any, is walked again.
 */
static int list_objects(struct iodbg_target *t, const struct iodbg_maps *maps,
			struct iodbg_object **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	if (!maps->vmas_listed)
		return iodbg__list_objects(t, v, n);
	if (maps->objects_start == maps->objects_end)
		return 0;
	return iodbg__list_objects_in(t, maps->objects_start, maps->objects_end, v, n);
}

/*
 * The mappings, and the iodbg object of each where the module knows one. Without the module,
 * or if it does not answer, the mappings come without objects: that is no error.
 */
IODBG_API int iodbg_maps_read(struct iodbg_target *t, struct iodbg_maps **out)
{
	struct iodbg_object *v;
	size_t n;
	int err;

	if (!t)
		return iodbg__no_target();
	err = iodbg__maps_read(t, out);
	if (err)
		return err;
	err = list_objects(t, *out, &v, &n);
	if (!err) {
		iodbg__maps_attach(*out, v, n);
	} else if (err != -ENODEV) {
		(*out)->objects_err = err;
		snprintf((*out)->objects_why, sizeof((*out)->objects_why), "%s",
			 iodbg_errmsg(t));
	}
	/* The chain's snapshot too: a transfer right after a listing need not read them again. */
	iodbg_maps_free(t->maps);
	t->maps = *out;
	t->maps->refs++;
	iodbg__error(t, 0, "%s", "");
	return 0;
}

IODBG_API int iodbg_maps_objects_error(const struct iodbg_maps *maps, const char **why)
{
	if (why)
		*why = maps && maps->objects_err ? maps->objects_why : "";
	return maps ? maps->objects_err : 0;
}

void iodbg__maps_attach(struct iodbg_maps *maps, struct iodbg_object *v, size_t n)
{
	maps->objects = v;
	maps->nobjects = n;
	for (size_t i = 0; i < n; i++) {
		struct iodbg_map *m = (struct iodbg_map *)iodbg_maps_find(maps, v[i].start);

		if (m && !m->object)
			m->object = &v[i];
	}
}

IODBG_API void iodbg_maps_free(struct iodbg_maps *maps)
{
	if (!maps || --maps->refs > 0)
		return;
	free(maps->paths);
	free(maps->v);
	free(maps->objects);
	free(maps);
}

IODBG_API size_t iodbg_maps_count(const struct iodbg_maps *maps)
{
	return maps ? maps->count : 0;
}

IODBG_API const struct iodbg_map *iodbg_maps_get(const struct iodbg_maps *maps, size_t i)
{
	return maps && i < maps->count ? &maps->v[i] : NULL;
}

IODBG_API int iodbg_maps_truncated(const struct iodbg_maps *maps)
{
	return maps ? maps->truncated : 0;
}

/* Binary search: the mappings are sorted and disjoint, as the parser checked. */
size_t iodbg__maps_index(const struct iodbg_maps *maps, uint64_t addr)
{
	size_t lo = 0, hi = maps->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (maps->v[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

IODBG_API const struct iodbg_map *iodbg_maps_find(const struct iodbg_maps *maps, uint64_t addr)
{
	size_t i;

	if (!maps)
		return NULL;
	i = iodbg__maps_index(maps, addr);
	return i < maps->count && maps->v[i].start <= addr ? &maps->v[i] : NULL;
}

IODBG_API const char *iodbg_map_kind(const struct iodbg_map *m)
{
	if (!m || !(m->flags & IODBG_MAP_VMFLAGS))
		return "unknown";
	if (m->flags & IODBG_MAP_IO)
		return "io";
	if (m->flags & IODBG_MAP_PFNMAP)
		return "pfnmap";
	return "ordinary";
}
