// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * process_vm_readv/writev: the fast path for ordinary memory, one system call for many pages
 * and no stop of the target. It reaches only pages that get_user_pages() can pin, so never a
 * VM_IO or VM_PFNMAP mapping, and it honours the target's protections (no PROT_NONE pages,
 * no writes to read-only ones): the later paths use FOLL_FORCE as debuggers need. It takes a
 * pid, not a pidfd: what it transferred counts only if the process still lives afterwards,
 * and a write starts only if it lives before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

/* Remote iovecs per call: the kernel takes at most UIO_MAXIOV (1024). */
#define BATCH 1024

static int pvm_check(struct iodbg_target *t, const struct iodbg_xfer *x, char *why, size_t size)
{
	if (t->no_process_vm) {
		snprintf(why, size, "this kernel has no process_vm_readv "
			 "(CONFIG_CROSS_MEMORY_ATTACH)");
		return -ENOSYS;
	}
#if UINTPTR_MAX < UINT64_MAX
	if (x->addr + x->len - 1 > UINTPTR_MAX) {
		snprintf(why, size, "the address does not fit this build's pointers");
		return -EOVERFLOW;
	}
#endif
	if (!x->forced && x->map && (x->map->flags & (IODBG_MAP_IO | IODBG_MAP_PFNMAP))) {
		snprintf(why, size, "it pins pages, and a VM_IO or VM_PFNMAP mapping has none "
			 "it can pin");
		return -EFAULT;
	}
	return 0;
}

static ssize_t pvm_xfer(struct iodbg_target *t, const struct iodbg_xfer *x, char *why,
			size_t size)
{
	const uint64_t page = sysconf(_SC_PAGESIZE);
	struct iovec remote[BATCH];
	size_t done = 0;
	int err = 0;

	/* A write cannot be taken back: do not even start one on a pid that is no longer ours. */
	if (x->write)
		err = iodbg__target_gone(t);
	while (done < x->len && !err) {
		uint64_t pos = x->addr + done;
		struct iovec local;
		size_t bytes = 0;
		unsigned int n;
		ssize_t r;

		/*
		 * One remote iovec per page: the kernel stops at the first page it cannot
		 * reach, and documents partial transfers only at iovec granularity, so this
		 * makes the count exact on every kernel.
		 */
		for (n = 0; n < BATCH && done + bytes < x->len; n++) {
			uint64_t at = pos + bytes;
			size_t chunk = MIN(page - at % page, x->len - done - bytes);

			remote[n] = (struct iovec){ (void *)(uintptr_t)at, chunk };
			bytes += chunk;
		}
		local = (struct iovec){ x->buf + done, bytes };
		if (x->write)
			r = process_vm_writev(t->pid, &local, 1, remote, n, 0);
		else
			r = process_vm_readv(t->pid, &local, 1, remote, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		done += r;
		if ((size_t)r < bytes)
			err = -EFAULT;	/* stopped at a page it cannot reach */
	}
	/* By pid: the bytes are the opened process's only if it still holds the pid. */
	if (done && iodbg__target_gone(t)) {
		done = 0;
		err = -ESRCH;
	}
	if (done)
		return done;
	if (err == -ENOSYS)
		t->no_process_vm = true;
	if (err == -ESRCH)
		snprintf(why, size, "process %d is gone", (int)t->pid);
	else
		snprintf(why, size, err == -EFAULT ? "no page it can %s at 0x%" PRIx64 :
			 "%s at 0x%" PRIx64 " refused", x->write ? "write" : "read", x->addr);
	return err;
}

const struct iodbg_path_ops iodbg__path_process_vm = {
	.id = IODBG_PATH_PROCESS_VM,
	.name = "process_vm",
	.check = pvm_check,
	.xfer = pvm_xfer,
};
