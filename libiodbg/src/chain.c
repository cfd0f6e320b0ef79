// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The chain. A transfer is cut where the mappings change, and each piece goes by the first
 * path that serves it; the bytes served count only up to the first piece that no path could
 * serve, so a caller never gets bytes that were not read (or believes written bytes that
 * were not). The iodbg debug ioctl comes last: it serves only device mappings, and only
 * with the module loaded. Appending a path is one entry in paths[].
 *
 * Reading the mappings (maps.c) costs time linear in the target's mappings, more than reading
 * a few pages of ordinary memory. So the target keeps the mappings it last read, and reads them
 * again only on a miss: a piece that no path served, which may be one the snapshot no longer
 * describes. A transfer without a report and without a snapshot first tries the whole range
 * as one piece and reads the mappings only when that falls short; with a report, or once the
 * mappings are known, pieces follow the mappings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const struct iodbg_path_ops *const paths[] = {
	&iodbg__path_process_vm,
	&iodbg__path_proc_mem,
	&iodbg__path_ptrace,
	&iodbg__path_ioctl,
};

/* A transfer by object puts its own attempt before the chain's (iodbg__chain_args.pre). */
_Static_assert(ARRAY_SIZE(paths) + 1 <= IODBG_MAX_PATHS, "a report has no room for every path");

/* The policies that are no path of the chain. */
static const struct {
	int id;
	const char *name;
} policies[] = {
	{ IODBG_PATH_AUTO, "auto" },
	{ IODBG_PATH_OBJECT, "object" },	/* object.c: only transfers by object take it */
};

IODBG_API const char *iodbg_path_name(int path)
{
	for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
		if (policies[i].id == path)
			return policies[i].name;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (paths[i]->id == path)
			return paths[i]->name;
	return NULL;
}

IODBG_API int iodbg_path_from_name(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(policies); i++)
		if (!strcmp(name, policies[i].name))
			return policies[i].id;
	for (size_t i = 0; name && i < ARRAY_SIZE(paths); i++)
		if (!strcmp(name, paths[i]->name))
			return paths[i]->id;
	return iodbg__error(NULL, -EINVAL, "no path named \"%s\"", name ? name : "");
}

struct transfer {
	struct iodbg_target *t;
	bool write;
	bool no_report_memory;
	bool fresh;			/* the mappings were read during this transfer */
	uint64_t addr;
	unsigned char *buf;
	struct iodbg_report *report;
	uint64_t report_addr;		/* what @addr is called in the report */
	const struct iodbg_attempt_log *pre;
	size_t npre;
	struct iodbg_maps *maps;	/* t->maps: NULL until needed, or if unreadable */
	struct iodbg_attempt_log log[IODBG_MAX_PATHS];	/* the attempts on the last piece */
	size_t nlog;
	char why[IODBG_MSG_SIZE];	/* why the last piece failed */
};

/* Read the mappings again; the target keeps them for the transfers after this one. */
static void load_maps(struct transfer *tr)
{
	struct iodbg_target *t = tr->t;

	iodbg_maps_free(t->maps);
	if (iodbg__maps_read(t, &t->maps))
		t->maps = NULL;
	tr->maps = t->maps;
	tr->fresh = true;
}

/* The length of the piece at @pos, with @left bytes to go, and the mapping that holds it. */
static uint64_t piece_len(const struct transfer *tr, uint64_t pos, uint64_t left,
			  const struct iodbg_map **map)
{
	const struct iodbg_map *m;

	*map = NULL;
	if (!tr->maps)
		return left;
	m = iodbg_maps_get(tr->maps, iodbg__maps_index(tr->maps, pos));
	if (!m)
		return left;
	if (m->start > pos)
		return MIN(left, m->start - pos);
	*map = m;
	return MIN(left, m->end - pos);
}

/* What is at a piece that no path could serve: the reason a user can act on. */
static void describe(const struct transfer *tr, const struct iodbg_map *map, int err, char *buf,
		     size_t size)
{
	int pid = tr->t->pid;
	size_t off = 0;

	if (err == -ESRCH) {
		iodbg__append(buf, size, &off, "process %d is gone", pid);
	} else if (tr->t->ioctl_state == IODBG__IOCTL_CONSENT) {
		iodbg__append(buf, size, &off, "%s%s%s: MMIO needs consent: the debug ioctl reaches it "
		       "only with device side effects allowed (iodbg_set_allow_mmio, --allow-mmio)",
		       map && (map->flags & IODBG_MAP_IO) ? "VM_IO mapping" : "VM_PFNMAP mapping",
		       map && *map->path ? " " : "", map ? map->path : "");
	} else if (err == -EPERM || err == -EACCES) {
		iodbg__append(buf, size, &off, "no permission to debug process %d (it takes the same "
		       "user and no more privileges, or CAP_SYS_PTRACE)", pid);
	} else if (!tr->maps) {
		iodbg__append(buf, size, &off, "what is mapped there is not known");
	} else if (!map) {
		iodbg__append(buf, size, &off, "nothing is mapped there");
	} else if (map->flags & (IODBG_MAP_IO | IODBG_MAP_PFNMAP)) {
		iodbg__append(buf, size, &off, "%s mapping%s%s: the kernel's ordinary paths cannot %s it "
		       "without a driver ->access; %s",
		       map->flags & IODBG_MAP_IO ? "VM_IO" : "VM_PFNMAP", *map->path ? " " : "",
		       map->path, tr->write ? "write" : "read",
		       tr->t->ioctl_state == IODBG__IOCTL_NO_MODULE ?
		       "load iodbg for the debug ioctl" :
		       tr->t->ioctl_state == IODBG__IOCTL_FAILED ? "nor could the debug ioctl" :
		       "the iodbg debug ioctl (path ioctl) can");
	} else {
		iodbg__append(buf, size, &off, "mapping %" PRIx64 "-%" PRIx64 "%s%s", map->start, map->end,
		       *map->path ? " " : "", map->path);
	}
}

static void record(struct transfer *tr, uint64_t addr, uint64_t len, int path, int err,
		   const char *why, const struct iodbg_attempt_log *log, size_t n)
{
	if (tr->report && iodbg__report_add(tr->report, tr->report_addr + (addr - tr->addr), len,
					      path, err, why, log, n))
		tr->no_report_memory = true;
}

/*
 * Serve a prefix of the piece [@pos, @pos + @len): bytes served, or a negative errno with the
 * attempts in @tr->log.
 */
static ssize_t serve(struct transfer *tr, uint64_t pos, size_t len, const struct iodbg_map *map)
{
	struct iodbg_target *t = tr->t;
	struct iodbg_xfer x = {
		.write = tr->write, .forced = t->path != IODBG_PATH_AUTO, .addr = pos,
		.buf = tr->buf + (pos - tr->addr), .len = len, .map = map,
	};
	struct iodbg_attempt_log *log = tr->log;
	size_t n = tr->npre;
	int err = 0;

	if (tr->npre)
		memcpy(log, tr->pre, tr->npre * sizeof(*log));
	t->ioctl_state = IODBG__IOCTL_UNTRIED;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		const struct iodbg_path_ops *p = paths[i];
		struct iodbg_attempt_log *a = &log[n];
		ssize_t done;

		if (x.forced && p->id != t->path)
			continue;
		n++;
		*a = (struct iodbg_attempt_log){ .path = p->id };
		a->error = p->check ? p->check(t, &x, a->why, sizeof(a->why)) : 0;
		if (a->error) {
			a->flags = IODBG_ATTEMPT_SKIPPED;
			continue;
		}
		done = p->xfer(t, &x, a->why, sizeof(a->why));
		if (done > 0) {
			a->why[0] = '\0';
			record(tr, pos, done, p->id, 0, "", log, n);
			return done;
		}
		a->error = done;
	}
	tr->nlog = n;

	/* The first path really tried tells best what went wrong; a skip only says why not. */
	for (size_t i = tr->npre; i < n && !err; i++)
		if (!(log[i].flags & IODBG_ATTEMPT_SKIPPED))
			err = log[i].error;
	if (!err)
		err = n > tr->npre ? log[tr->npre].error : -EINVAL;
	return err;
}

/* The piece [@pos, @pos + @len) failed with @err and will not be tried again: say why. */
static void unserved(struct transfer *tr, uint64_t pos, size_t len, const struct iodbg_map *map,
		     int err)
{
	char what[IODBG_MSG_SIZE];
	size_t off = 0;

	describe(tr, map, err, what, sizeof(what));
	record(tr, pos, len, IODBG_PATH_NONE, err, what, tr->log, tr->nlog);

	iodbg__append(tr->why, sizeof(tr->why), &off, "%s", what);
	for (size_t i = 0; i < tr->nlog; i++) {
		const struct iodbg_attempt_log *a = &tr->log[i];
		char name[64];

		iodbg__append(tr->why, sizeof(tr->why), &off, "%s%s %s: %s", i ? "; " : " [",
		       iodbg_path_name(a->path), a->flags & IODBG_ATTEMPT_SKIPPED ? "skipped" :
		       iodbg__errname(a->error, name, sizeof(name)), a->why);
	}
	iodbg__append(tr->why, sizeof(tr->why), &off, "%s", tr->nlog ? "]" : "");
}

ssize_t iodbg__chain(struct iodbg_target *t, const struct iodbg__chain_args *a)
{
	const char *verb = a->write ? "write" : "read";
	struct transfer tr = {
		.t = t, .write = a->write, .addr = a->addr, .buf = a->buf, .report = a->report,
		.report_addr = a->report_addr, .pre = a->pre, .npre = a->npre, .maps = t->maps,
	};
	uint64_t addr = a->addr;
	size_t done = 0, len = a->len;
	ssize_t n = 0;

	if (a->report && !tr.maps)
		load_maps(&tr);

	while (done < len && !tr.no_report_memory) {
		uint64_t pos = addr + done;
		const struct iodbg_map *map;
		uint64_t piece = piece_len(&tr, pos, len - done, &map);

		n = serve(&tr, pos, piece, map);
		if (n > 0) {
			done += n;
			continue;
		}
		/* A miss: find out what is there now, then go again piece by piece. */
		if (!tr.fresh) {
			load_maps(&tr);
			if (tr.maps)
				continue;
			map = NULL;	/* it was in the snapshot just freed */
		}
		unserved(&tr, pos, piece, map, n);
		break;
	}

	if (tr.no_report_memory)
		iodbg__error(t, -ENOMEM, "%s of %zu bytes at 0x%" PRIx64 " stopped after %zu "
			     "bytes: out of memory for the report", verb, len, addr, done);
	else if (done && done < len)
		iodbg__error(t, n, "%s of %zu bytes at 0x%" PRIx64 " stopped at 0x%" PRIx64
			     " after %zu bytes: %s", verb, len, addr, addr + done, done, tr.why);
	else if (!done)
		iodbg__error(t, n, "cannot %s %zu bytes at 0x%" PRIx64 ": %s", verb, len, addr,
			     tr.why);
	return done ? (ssize_t)done : n;
}

static ssize_t transfer(struct iodbg_target *t, bool write, uint64_t addr, void *buf,
			size_t len, struct iodbg_report *report)
{
	const char *verb = write ? "write" : "read";
	struct iodbg__chain_args a = {
		.write = write, .addr = addr, .buf = buf, .len = len, .report = report,
		.report_addr = addr,
	};

	if (!t)
		return iodbg__error(NULL, -EINVAL, "iodbg_%s: no target handle", verb);
	if (report)
		iodbg__report_clear(report);
	if (!buf || !len || len > SSIZE_MAX)
		return iodbg__error(t, -EINVAL, "cannot %s %zu bytes at 0x%" PRIx64 ": %s", verb,
				    len, addr, !buf ? "no buffer" : !len ? "zero length" :
				    "length above SSIZE_MAX");
	/* A range may end at 2^64 exactly, which is no address: count in lengths. */
	if (len - 1 > UINT64_MAX - addr)
		return iodbg__error(t, -EOVERFLOW, "cannot %s %zu bytes at 0x%" PRIx64 ": the "
				    "range passes the end of the address space", verb, len, addr);
	if (t->path == IODBG_PATH_OBJECT)
		return iodbg__error(t, -EINVAL, "cannot %s %zu bytes at 0x%" PRIx64 ": the path "
				    "policy is \"object\", which serves only transfers by object "
				    "(iodbg_object_%s)", verb, len, addr, verb);
	return iodbg__chain(t, &a);
}

IODBG_API ssize_t iodbg_read(struct iodbg_target *t, uint64_t addr, void *buf, size_t len,
			     struct iodbg_report *report)
{
	return transfer(t, false, addr, buf, len, report);
}

IODBG_API ssize_t iodbg_write(struct iodbg_target *t, uint64_t addr, const void *buf,
			      size_t len, struct iodbg_report *report)
{
	/* The chain only reads from @buf when it writes; one engine serves both directions. */
	return transfer(t, true, addr, (void *)buf, len, report);
}
