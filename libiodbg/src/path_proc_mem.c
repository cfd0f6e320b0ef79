// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc/PID/mem: access_remote_vm() with FOLL_FORCE, as debuggers need (PROT_NONE pages,
 * breakpoints in read-only text). Where get_user_pages() cannot pin, the kernel calls the
 * mapping's ->access, so this also reaches device memory whose driver provides one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

/* read() and write() move at most about 2 GiB at once anyway. */
#define CHUNK (1UL << 30)

static int mem_fd(struct iodbg_target *t, bool wr)
{
	if (t->mem_fd[wr] < 0)
		t->mem_fd[wr] = iodbg__open_proc(t, "mem", wr ? O_RDWR : O_RDONLY);
	return t->mem_fd[wr];
}

/*
 * An open /proc/PID/mem stays with the address space it was opened on, and reads 0 bytes once
 * that is gone. After an execve() the process has a new one: open the file again.
 */
static int mem_fd_again(struct iodbg_target *t, bool wr)
{
	close(t->mem_fd[wr]);
	t->mem_fd[wr] = -1;
	return mem_fd(t, wr);
}

/*
 * pread() refuses offsets above INT64_MAX, but /proc/PID/mem takes them through lseek()
 * (FMODE_UNSIGNED_OFFSET), so the top half of the address space goes that way.
 */
static ssize_t mem_rw(int fd, bool wr, uint64_t pos, void *buf, size_t len)
{
	if (pos <= INT64_MAX && len <= INT64_MAX - pos)
		return wr ? pwrite(fd, buf, len, pos) : pread(fd, buf, len, pos);
	/*
	 * lseek() returns the new offset, which glibc takes for an error (-1, errno -offset) in
	 * the last 4095 bytes below 2^64; /proc/PID/mem never fails a SEEK_SET.
	 */
	if (lseek(fd, (off_t)pos, SEEK_SET) == (off_t)-1 && errno != (int)-(off_t)pos)
		return -1;
	return wr ? write(fd, buf, len) : read(fd, buf, len);
}

static ssize_t pm_xfer(struct iodbg_target *t, const struct iodbg_xfer *x, char *why,
		       size_t size)
{
	const char *verb = x->write ? "write" : "read";
	int fd = mem_fd(t, x->write);
	bool reopened = false;
	size_t done = 0;
	int err = 0;

	if (fd < 0) {
		snprintf(why, size, "cannot open /proc/%d/mem%s", (int)t->pid,
			 x->write ? " for writing" : "");
		return fd;
	}
	while (done < x->len) {
		ssize_t r = mem_rw(fd, x->write, x->addr + done, x->buf + done,
				   MIN(x->len - done, CHUNK));

		if (r < 0 && errno == EINTR)
			continue;
		if (!r && !reopened) {
			reopened = true;
			fd = mem_fd_again(t, x->write);
			if (fd >= 0)
				continue;
		}
		if (r <= 0) {
			/* Still 0 (or no file): the process is exiting, or gone. */
			err = r < 0 ? -errno : fd < 0 ? fd : -ESRCH;
			break;
		}
		done += r;
	}
	if (done)
		return done;
	if (err == -EIO)
		snprintf(why, size, "nothing the kernel can %s at 0x%" PRIx64 ": not mapped, "
			 "or no driver ->access", verb, x->addr);
	else
		snprintf(why, size, "%s at 0x%" PRIx64 " refused", verb, x->addr);
	return err;
}

const struct iodbg_path_ops iodbg__path_proc_mem = {
	.id = IODBG_PATH_PROC_MEM,
	.name = "proc_mem",
	.xfer = pm_xfer,
};
