// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Targets: a process, held by a descriptor of its /proc/PID folder so that files opened
 * later through it can never belong to another process that reused the pid, and by a pidfd,
 * which the kernel side takes instead of the pid where it can and which says whether the
 * process still lives after a call that could only name it by pid.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD	O_EXCL		/* <linux/pidfd.h>, Linux 6.9 */
#endif

/* A pidfd of exactly @pid, which may be a thread id; a negative errno if there is none. */
static int pidfd_open_exact(pid_t pid)
{
	int fd = syscall(SYS_pidfd_open, pid, 0);

	/* EINVAL: a thread that leads no thread group, which has a pidfd from Linux 6.9 on. */
	if (fd < 0 && errno == EINVAL)
		fd = syscall(SYS_pidfd_open, pid, PIDFD_THREAD);
	return fd < 0 ? -errno : fd;
}

int iodbg__target_gone(struct iodbg_target *t)
{
	struct stat st;

	if (t->pidfd >= 0) {
		/* Signal 0 only checks: ESRCH once the process has exited and been reaped. */
		if (!syscall(SYS_pidfd_send_signal, t->pidfd, 0, NULL, 0) || errno == EPERM)
			return 0;
		if (errno == ESRCH)
			return -ESRCH;
	}
	/* Without a pidfd to ask: our /proc/PID folder answers until the process is reaped. */
	return fstatat(t->dirfd, "stat", &st, 0) ? -ESRCH : 0;
}

/* A target for @pid, which takes @pidfd (-1 for none). */
static int target_new(pid_t pid, int pidfd, struct iodbg_target **out)
{
	struct iodbg_target *t;
	char dir[32];
	int err;

	t = calloc(1, sizeof(*t));
	if (!t) {
		err = iodbg__error(NULL, -ENOMEM, "out of memory");
		goto fail;
	}
	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		free(t);
		if (err == -ESRCH)
			err = iodbg__error(NULL, err, "no process %d", (int)pid);
		else
			err = iodbg__error(NULL, err, "cannot open %s: %s", dir, strerror(-err));
		goto fail;
	}
	t->pid = pid;
	t->pidfd = pidfd;
	t->leader_pidfd = -1;
	t->mem_fd[0] = t->mem_fd[1] = -1;
	t->ctl_fd = -1;
	t->path = IODBG_PATH_AUTO;
	/*
	 * The pidfd came first: if its process still lives, the /proc/PID opened after it is
	 * that process's, not that of one that took the pid since.
	 */
	if (pidfd >= 0 && iodbg__target_gone(t)) {
		iodbg_close(t);
		return iodbg__error(NULL, -ESRCH, "no process %d", (int)pid);
	}
	*out = t;
	return 0;
fail:
	if (pidfd >= 0)
		close(pidfd);
	return err;
}

IODBG_API int iodbg_open(pid_t pid, unsigned int flags, struct iodbg_target **out)
{
	int pidfd;

	if (!out)
		return iodbg__error(NULL, -EINVAL, "no place for the target handle");
	*out = NULL;
	if (flags)
		return iodbg__error(NULL, -EINVAL, "unknown flags 0x%x", flags);
	if (pid <= 0)
		return iodbg__error(NULL, -EINVAL, "bad pid %d", (int)pid);
	pidfd = pidfd_open_exact(pid);
	if (pidfd == -ESRCH)
		return iodbg__error(NULL, -ESRCH, "no process %d", (int)pid);
	/* No pidfd (a kernel before 5.3, a thread before 6.9): /proc/PID serves instead. */
	return target_new(pid, pidfd < 0 ? -1 : pidfd, out);
}

/* The pid, in our pid namespace, of the process of @pidfd: "Pid:" of its fdinfo. */
static int pidfd_pid(int pidfd, pid_t *pid)
{
	char name[64], *text = NULL, *end = NULL;
	bool found = false;
	size_t size = 0;
	long v = 0;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(name, "re");
	if (!f)
		return iodbg__error(NULL, -EBADF, "descriptor %d: %m", pidfd);
	while (!found && getline(&text, &size, f) > 0)
		found = !strncmp(text, "Pid:", 4);
	if (found)
		v = strtol(text + 4, &end, 10);
	found = found && end != text + 4;
	free(text);
	fclose(f);
	if (!found)
		return iodbg__error(NULL, -EINVAL, "descriptor %d is no pidfd", pidfd);
	if (v == -1)
		return iodbg__error(NULL, -ESRCH, "the process of pidfd %d has exited", pidfd);
	if (v <= 0 || v > INT_MAX)
		return iodbg__error(NULL, -ESRCH, "the process of pidfd %d is in no pid namespace "
				    "of ours", pidfd);
	*pid = v;
	return 0;
}

IODBG_API int iodbg_open_pidfd(int pidfd, unsigned int flags, struct iodbg_target **out)
{
	pid_t pid = 0;
	int err, fd;

	if (!out)
		return iodbg__error(NULL, -EINVAL, "no place for the target handle");
	*out = NULL;
	if (flags)
		return iodbg__error(NULL, -EINVAL, "unknown flags 0x%x", flags);
	if (pidfd < 0)
		return iodbg__error(NULL, -EBADF, "bad pidfd %d", pidfd);
	err = pidfd_pid(pidfd, &pid);
	if (err)
		return err;
	/* Our own copy: the caller may close theirs. */
	fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return iodbg__error(NULL, -errno, "cannot duplicate pidfd %d: %m", pidfd);
	return target_new(pid, fd, out);
}

IODBG_API void iodbg_close(struct iodbg_target *t)
{
	if (!t)
		return;
	for (int i = 0; i < 2; i++)
		if (t->mem_fd[i] >= 0)
			close(t->mem_fd[i]);
	if (t->ctl_fd >= 0)
		close(t->ctl_fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->leader_pidfd >= 0)
		close(t->leader_pidfd);
	iodbg__held_free(t);
	iodbg_maps_free(t->maps);
	close(t->dirfd);
	free(t);
}

IODBG_API pid_t iodbg_target_pid(const struct iodbg_target *t)
{
	return t ? t->pid : -1;
}

IODBG_API int iodbg_set_path(struct iodbg_target *t, int path)
{
	if (!t)
		return iodbg__no_target();
	if (!iodbg_path_name(path))
		return iodbg__error(t, -EINVAL, "no path number %d", path);
	t->path = path;
	return 0;
}

IODBG_API int iodbg_set_allow_mmio(struct iodbg_target *t, int allow)
{
	if (!t)
		return iodbg__no_target();
	t->allow_mmio = !!allow;
	return 0;
}

int iodbg__open_proc(struct iodbg_target *t, const char *name, int flags)
{
	int fd = openat(t->dirfd, name, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int iodbg__read_proc(struct iodbg_target *t, const char *name, char **text, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = NULL;
	int fd, err = 0;

	fd = iodbg__open_proc(t, name, O_RDONLY);
	if (fd < 0)
		return iodbg__error(t, fd, "cannot open /proc/%d/%s: %s", (int)t->pid, name,
				    strerror(-fd));
	for (;;) {
		ssize_t r;

		/* Keep room for the NUL; proc files have no size to ask for, so grow. */
		if (!buf || cap - n < 2) {
			char *bigger = realloc(buf, buf ? cap *= 2 : cap);

			if (!bigger) {
				err = iodbg__error(t, -ENOMEM, "out of memory");
				break;
			}
			buf = bigger;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = iodbg__error(t, -errno, "cannot read /proc/%d/%s: %m", (int)t->pid,
					   name);
			break;
		}
		if (!r)
			break;
		n += r;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

long iodbg__proc_status(struct iodbg_target *t, const char *field)
{
	long value = -ENOENT;
	char key[32], *text, *line;
	size_t len;

	if (iodbg__read_proc(t, "status", &text, &len))
		return -ESRCH;
	snprintf(key, sizeof(key), "\n%s:", field);
	line = strstr(text, key);
	if (line)
		value = strtol(line + strlen(key), NULL, 10);
	free(text);
	return value;
}
