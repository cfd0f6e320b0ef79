// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The iodbg debug ioctl: IODBG_IOC_RW_ADDR on /dev/iodbg, by (pid, address). The kernel reads
 * an iodbg object wherever it lives now, under its own lock, and any other VM_IO/VM_PFNMAP
 * mapping by its page tables (the generic fallback), MMIO pages only with IODBG_RW_ALLOW_MMIO.
 * It refuses ordinary memory (EFAULT), which the paths before it serve better, and a caller
 * without the right to debug the process (EPERM, as /proc/PID/mem would refuse it).
 *
 * With device side effects allowed (iodbg_set_allow_mmio), a piece that the object's own path
 * could not serve is tried once more through the generic fallback (IODBG_RW_GENERIC), with the
 * MMIO access width of iodbg_set_mmio_width() where the module takes one.
 *
 * The module takes the target's pidfd where it can (IODBG_FEATURE_PIDFD); by pid, the bytes
 * count only if the process still holds the pid afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iodbg.h>

#include "internal.h"

static int io_check(struct iodbg_target *t, const struct iodbg_xfer *x, char *why, size_t size)
{
	int fd;

	if (!x->forced && x->map && (x->map->flags & IODBG_MAP_VMFLAGS) &&
	    !(x->map->flags & (IODBG_MAP_IO | IODBG_MAP_PFNMAP))) {
		snprintf(why, size, "it serves only VM_IO and VM_PFNMAP mappings");
		return -EFAULT;
	}
	fd = iodbg__ctl(t);
	if (fd == -ENODEV) {
		t->ioctl_state = IODBG__IOCTL_NO_MODULE;
		snprintf(why, size, "iodbg module not loaded (/dev/" IODBG_DEVICE_NAME " missing)");
		return fd;
	}
	if (fd < 0) {
		t->ioctl_state = IODBG__IOCTL_FAILED;
		snprintf(why, size, "cannot open /dev/" IODBG_DEVICE_NAME);
		return fd;
	}
	return 0;
}

/* IODBG_IOC_RW_ADDR until all is done: the bytes done (>= 0) with *@err set if it stopped early. */
static size_t rw_addr(struct iodbg_target *t, const struct iodbg_xfer *x, uint32_t flags,
		      int *err)
{
	size_t done = 0;

	*err = 0;
	while (done < x->len) {
		struct iodbg_rw rw = {
			.size = sizeof(rw), .addr = x->addr + done,
			.buf = (uintptr_t)(x->buf + done),
			.len = MIN(x->len - done, (size_t)IODBG_RW_MAX_LEN),
			.flags = flags | (x->write ? IODBG_RW_WRITE : 0),
		};

		iodbg__rw_target(t, &rw);
		if (ioctl(t->ctl_fd, IODBG_IOC_RW_ADDR, &rw) < 0) {
			done += rw.done;
			if (errno == EINTR)
				continue;
			*err = -errno;
			break;
		}
		done += rw.done;
		if (!rw.done) {
			*err = -EFAULT;
			break;
		}
	}
	return done;
}

static ssize_t io_xfer(struct iodbg_target *t, const struct iodbg_xfer *x, char *why,
		       size_t size)
{
	const char *verb = x->write ? "write" : "read";
	uint32_t flags = t->allow_mmio ? IODBG_RW_ALLOW_MMIO : 0;
	bool by_pid = !iodbg__kernel_pidfd(t);
	size_t done = 0;
	int err, fd;

	/*
	 * By pid, a write cannot be taken back: it does not start on a pid that is no longer
	 * ours; and the bytes are the opened process's only if it still holds the pid after.
	 */
	err = by_pid && x->write ? iodbg__target_gone(t) : 0;
	if (!err)
		done = rw_addr(t, x, flags, &err);
	if (!done && err && t->allow_mmio && err != -ESRCH)
		done = rw_addr(t, x, flags | IODBG_RW_GENERIC, &err);
	if (done && by_pid && iodbg__target_gone(t)) {
		done = 0;
		err = -ESRCH;
	}
	if (done)
		return done;

	t->ioctl_state = IODBG__IOCTL_FAILED;
	switch (err) {
	case -EPERM:
		/*
		 * The kernel refuses both a caller that may not debug the process and MMIO
		 * without consent. It checks the first as /proc/PID/mem does, so ask that.
		 */
		fd = iodbg__open_proc(t, "mem", O_RDONLY);
		if (fd >= 0) {
			close(fd);
			t->ioctl_state = IODBG__IOCTL_CONSENT;
			snprintf(why, size, "MMIO at 0x%" PRIx64 " needs consent to device side "
				 "effects (iodbg_set_allow_mmio, --allow-mmio)", x->addr);
		} else {
			snprintf(why, size, "no permission to debug process %d", (int)t->pid);
		}
		break;
	case -EFAULT:
		snprintf(why, size, "no device mapping it can %s at 0x%" PRIx64, verb, x->addr);
		break;
	case -ESRCH:
		snprintf(why, size, "process %d is gone", (int)t->pid);
		break;
	case -ENOENT:
		snprintf(why, size, "not present: the process has not touched the page at 0x%" PRIx64
			 " (iodbg never faults pages of another process in)", x->addr);
		break;
	case -EROFS:
		snprintf(why, size, "the mapping at 0x%" PRIx64 " is read-only", x->addr);
		break;
	case -EACCES:
		snprintf(why, size, "the mapping at 0x%" PRIx64 " may not be read (its driver made "
			 "it write-only)", x->addr);
		break;
	case -EOPNOTSUPP:
		snprintf(why, size, "0x%" PRIx64 " is mapped by a huge page this kernel cannot look "
			 "into", x->addr);
		break;
	default:
		snprintf(why, size, "%s at 0x%" PRIx64 " refused", verb, x->addr);
		break;
	}
	return err;
}

const struct iodbg_path_ops iodbg__path_ioctl = {
	.id = IODBG_PATH_IOCTL,
	.name = "ioctl",
	.check = io_check,
	.xfer = io_xfer,
};
