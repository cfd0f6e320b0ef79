// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Targets: a process, held by a descriptor of its /proc/PID folder so that files opened
 * later through it can never belong to another process that reused the pid.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

IODBG_API int iodbg_open(pid_t pid, unsigned int flags, struct iodbg_target **out)
{
	struct iodbg_target *t;
	char dir[32];

	if (!out)
		return iodbg__error(NULL, -EINVAL, "no place for the target handle");
	*out = NULL;
	if (flags)
		return iodbg__error(NULL, -EINVAL, "unknown flags 0x%x", flags);
	if (pid <= 0)
		return iodbg__error(NULL, -EINVAL, "bad pid %d", (int)pid);
	t = calloc(1, sizeof(*t));
	if (!t)
		return iodbg__error(NULL, -ENOMEM, "out of memory");
	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0) {
		int err = errno == ENOENT ? -ESRCH : -errno;

		free(t);
		if (err == -ESRCH)
			return iodbg__error(NULL, err, "no process %d", (int)pid);
		return iodbg__error(NULL, err, "cannot open %s: %s", dir, strerror(-err));
	}
	t->pid = pid;
	t->mem_fd[0] = t->mem_fd[1] = -1;
	t->ctl_fd = -1;
	t->pidfd = -1;
	t->path = IODBG_PATH_AUTO;
	*out = t;
	return 0;
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
	iodbg__held_free(t);
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
		return -EINVAL;
	if (!iodbg_path_name(path))
		return iodbg__error(t, -EINVAL, "no path number %d", path);
	t->path = path;
	return 0;
}

IODBG_API int iodbg_set_allow_mmio(struct iodbg_target *t, int allow)
{
	if (!t)
		return -EINVAL;
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
