// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * iodbg_probe(): which path reads the first byte of each of many addresses, for a listing of
 * every mapping of a process ('info iodbg-maps'). The ordinary mappings, almost all of them,
 * go to process_vm_readv together, a few calls for thousands; only the rest take the chain one
 * by one, as iodbg_read() of one byte would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "internal.h"

/* Remote iovecs per call: the kernel takes at most UIO_MAXIOV (1024). */
#define BATCH 1024

/* Whether process_vm_readv is worth trying at @addr: the chain's own rule (pvm_check). */
static bool process_vm_may_read(const struct iodbg_target *t, uint64_t addr)
{
	const struct iodbg_map *m;

	if (t->no_process_vm || (t->path != IODBG_PATH_AUTO && t->path != IODBG_PATH_PROCESS_VM))
		return false;
#if UINTPTR_MAX < UINT64_MAX
	if (addr > UINTPTR_MAX)
		return false;
#endif
	m = t->maps ? iodbg_maps_find(t->maps, addr) : NULL;
	return t->path == IODBG_PATH_PROCESS_VM || !m ||
	       !(m->flags & (IODBG_MAP_IO | IODBG_MAP_PFNMAP));
}

/*
 * Read one byte at each of the @n addresses @at (indexes into @addrs) with process_vm_readv,
 * BATCH at a time; set @paths of those it read. A call stops at the first byte it cannot
 * read, so the next one starts after that byte. False if the kernel has no such call.
 */
static bool probe_process_vm(struct iodbg_target *t, const uint64_t *addrs, const size_t *at,
			     size_t n, int *paths)
{
	struct iovec remote[BATCH];
	unsigned char local[BATCH];
	size_t i = 0;

	while (i < n) {
		struct iovec lvec = { local, 0 };
		size_t count = MIN(n - i, (size_t)BATCH);
		ssize_t r;

		for (size_t j = 0; j < count; j++)
			remote[j] = (struct iovec){ (void *)(uintptr_t)addrs[at[i + j]], 1 };
		lvec.iov_len = count;
		r = process_vm_readv(t->pid, &lvec, 1, remote, count, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ENOSYS) {
			t->no_process_vm = true;
			return false;
		}
		if (r < 0)
			r = 0;		/* the first byte failed: the chain says why */
		for (ssize_t j = 0; j < r; j++)
			paths[at[i + j]] = IODBG_PATH_PROCESS_VM;
		i += (size_t)r < count ? (size_t)r + 1 : count;
	}
	return true;
}

/* The chain on one byte at @addr: the path that served it, or NONE and the error. */
static void probe_chain(struct iodbg_target *t, uint64_t addr, struct iodbg_report *report,
			int *path, int *error)
{
	unsigned char byte;
	ssize_t r = iodbg_read(t, addr, &byte, 1, report);
	const struct iodbg_segment *s = iodbg_report_get(report, 0);

	*path = r == 1 && s ? s->path : IODBG_PATH_NONE;
	*error = r == 1 ? 0 : r < 0 ? (int)r : -EIO;
}

IODBG_API int iodbg_probe(struct iodbg_target *t, const uint64_t *addrs, size_t n, int *paths,
			  int *errors)
{
	struct iodbg_report *report;
	size_t *at, nat = 0;
	int err = 0;

	if (!t)
		return iodbg__no_target();
	if (n && (!addrs || !paths))
		return iodbg__error(t, -EINVAL, "iodbg_probe: no addresses or no place for paths");
	if (t->path == IODBG_PATH_OBJECT)
		return iodbg__error(t, -EINVAL, "cannot probe addresses: the path policy is "
				    "\"object\", which serves only transfers by object");
	if (!t->maps && iodbg__maps_read(t, &t->maps))
		t->maps = NULL;		/* then every address is tried by every path */
	at = malloc((n ? n : 1) * sizeof(*at));
	report = iodbg_report_new();
	if (!at || !report) {
		err = iodbg__error(t, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		paths[i] = IODBG_PATH_NONE;
		if (process_vm_may_read(t, addrs[i]))
			at[nat++] = i;
	}
	/* By pid: what it read counts only if the process still holds the pid afterwards. */
	if (nat && probe_process_vm(t, addrs, at, nat, paths) && iodbg__target_gone(t)) {
		err = iodbg__error(t, -ESRCH, "process %d is gone", (int)t->pid);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int path = paths[i], error = 0;

		if (path == IODBG_PATH_NONE)
			probe_chain(t, addrs[i], report, &path, &error);
		if (error == -ESRCH) {
			err = error;	/* iodbg_read() left the message */
			goto out;
		}
		paths[i] = path;
		if (errors)
			errors[i] = error;
	}
	iodbg__error(t, 0, "%s", "");
out:
	iodbg_report_free(report);
	free(at);
	return err;
}
