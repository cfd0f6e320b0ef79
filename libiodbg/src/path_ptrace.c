// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PTRACE_PEEKDATA/POKEDATA: one word per system call, so the last resort; it works where a
 * tracer may not open /proc/PID/mem. Only on a process that is already our tracee and
 * stopped: attaching would stop a process behind its debugger's back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "internal.h"

#define WORD sizeof(long)

static int pt_check(struct iodbg_target *t, const struct iodbg_xfer *x, char *why, size_t size)
{
	long tracer = iodbg__proc_status(t, "TracerPid");

	(void)x;
	if (tracer == getpid())
		return 0;
	if (tracer == -ESRCH) {
		snprintf(why, size, "process %d is gone", (int)t->pid);
		return -ESRCH;
	}
	if (tracer > 0)
		snprintf(why, size, "process %d is traced by %ld, not by us", (int)t->pid, tracer);
	else
		snprintf(why, size, "process %d is not our tracee (iodbg never attaches by itself)",
			 (int)t->pid);
	return -EPERM;
}

static int peek(pid_t pid, uint64_t addr, long *word)
{
	errno = 0;
	*word = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)addr, NULL);
	return *word == -1 && errno ? -errno : 0;
}

static int poke(pid_t pid, uint64_t addr, long word)
{
	return ptrace(PTRACE_POKEDATA, pid, (void *)(uintptr_t)addr, (void *)word) ? -errno : 0;
}

static ssize_t pt_xfer(struct iodbg_target *t, const struct iodbg_xfer *x, char *why,
		       size_t size)
{
	uint64_t pos = x->addr;
	size_t done = 0;
	int err = 0;

	/* Mappings start on page boundaries, so no aligned word straddles two of them. */
	while (done < x->len) {
		uint64_t word = pos & ~(uint64_t)(WORD - 1);
		size_t off = pos - word, n = MIN(WORD - off, x->len - done);
		long v = 0;

		/* A partial word is read first so that its other bytes are written back as is. */
		if (!x->write || n < WORD)
			err = peek(t->pid, word, &v);
		if (!err && x->write) {
			memcpy((char *)&v + off, x->buf + done, n);
			err = poke(t->pid, word, v);
		} else if (!err) {
			memcpy(x->buf + done, (char *)&v + off, n);
		}
		if (err)
			break;
		pos += n;
		done += n;
	}
	/* By pid: the bytes are the opened process's only if it still holds the pid. */
	if (done && iodbg__target_gone(t)) {
		snprintf(why, size, "process %d is gone", (int)t->pid);
		return -ESRCH;
	}
	if (done)
		return done;
	if (err == -ESRCH)
		snprintf(why, size, "our tracee %d is not in a ptrace-stop", (int)t->pid);
	else
		snprintf(why, size, "nothing it can %s at 0x%" PRIx64,
			 x->write ? "write" : "read", pos);
	return err;
}

const struct iodbg_path_ops iodbg__path_ptrace = {
	.id = IODBG_PATH_PTRACE,
	.name = "ptrace",
	.check = pt_check,
	.xfer = pt_xfer,
};
