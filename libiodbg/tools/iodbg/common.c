// SPDX-License-Identifier: GPL-2.0-or-later
/* iodbg's shared parts: messages, argument parsing, the target and ptrace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "main.h"

const char *error_prefix = "iodbg";
FILE *error_log;

int error(int status, const char *fmt, ...)
{
	int saved = errno;	/* for %m */
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One write: stderr may be the kernel log, a record per write. */
	fprintf(stderr, "%s: %s\n", error_prefix, msg);
	if (error_log)
		fprintf(error_log, "%s\n", msg);
	errno = saved;
	return status;
}

/* ---- argument parsing ---- */

bool parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX)
		return false;
	*pid = v;
	return true;
}

bool parse_id(const char *s, uint64_t *id)
{
	char *end;

	if (!*s || !strchr("0123456789", *s))
		return false;
	errno = 0;
	*id = strtoull(s, &end, 10);
	return !errno && !*end;
}

bool parse_addr(const char *s, uint64_t *addr)
{
	char *end;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		s += 2;
	/* strtoull would take a sign or spaces; an address has neither. */
	if (!*s || !strchr("0123456789abcdefABCDEF", *s))
		return false;
	errno = 0;
	*addr = strtoull(s, &end, 16);
	return !errno && !*end;
}

bool parse_len(const char *s, uint64_t *len)
{
	bool hex = !strncmp(s, "0x", 2) || !strncmp(s, "0X", 2);
	const char *digits = hex ? s + 2 : s;
	unsigned int shift = 0;
	char *end;

	if (!*digits || !strchr("0123456789abcdefABCDEF", *digits))
		return false;
	errno = 0;
	*len = strtoull(digits, &end, hex ? 16 : 10);
	if (errno)
		return false;
	if (*end && !end[1] && !hex)
		shift = *end == 'k' || *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 64;
	else if (*end)
		return false;
	if (shift == 64 || *len > UINT64_MAX >> shift)
		return false;
	*len <<= shift;
	return true;
}

/* "de ad be ef", "deadbeef" or "0xdeadbeef": bytes in the order written. */
int parse_hex_bytes(const char *s, unsigned char **data, size_t *len)
{
	unsigned char *buf = malloc(strlen(s) / 2 + 1);
	size_t n = 0;
	int hi = -1;

	if (!buf)
		return -ENOMEM;
	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		s += 2;
	for (; *s; s++) {
		char digit[2] = { *s, 0 };
		int v;

		if (*s == ' ' || *s == '\t' || *s == ':')
			continue;
		if (!strchr("0123456789abcdefABCDEF", *s))
			goto bad;
		v = strtol(digit, NULL, 16);
		if (hi < 0) {
			hi = v;
		} else {
			buf[n++] = hi << 4 | v;
			hi = -1;
		}
	}
	if (hi >= 0 || !n)
		goto bad;
	*data = buf;
	*len = n;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

int read_file(const char *name, unsigned char **data, size_t *len)
{
	int fd = strcmp(name, "-") ? open(name, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	size_t cap = 65536, n = 0;
	unsigned char *buf = NULL;
	ssize_t r = 0;

	if (fd < 0)
		return -errno;
	do {
		if (!buf || n == cap) {
			unsigned char *bigger = realloc(buf, buf ? cap *= 2 : cap);

			if (!bigger) {
				errno = ENOMEM;
				r = -1;
				break;
			}
			buf = bigger;
		}
		r = read(fd, buf + n, cap - n);
		if (r > 0)
			n += r;
	} while (r > 0 || (r < 0 && errno == EINTR));
	if (r < 0) {
		int err = -errno;

		free(buf);
		buf = NULL;
		errno = -err;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (!buf)
		return -errno;
	*data = buf;
	*len = n;
	return 0;
}

/* ---- the target ---- */

/* PTRACE_SEIZE then PTRACE_INTERRUPT: the target stops, without a SIGSTOP others could see. */
static int attach(pid_t pid)
{
	int status;

	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) || ptrace(PTRACE_INTERRUPT, pid, NULL, NULL))
		return error(1, "cannot attach to %d: %m", (int)pid);
	for (;;) {
		if (waitpid(pid, &status, __WALL) < 0)
			return error(1, "cannot wait for %d: %m", (int)pid);
		if (!WIFSTOPPED(status))
			return error(1, "process %d ended while attaching", (int)pid);
		if (status >> 16 == PTRACE_EVENT_STOP)
			return 0;
		/* A signal arrived first: deliver it, the interrupt stop follows. */
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(status));
	}
}

int open_target(struct options *o, pid_t pid, struct iodbg_target **t)
{
	int err = iodbg_open(pid, 0, t);

	if (err)
		return error(1, "%s", iodbg_errmsg(NULL));
	iodbg_set_path(*t, o->path);
	iodbg_set_allow_mmio(*t, o->allow_mmio);
	if (o->width && iodbg_set_mmio_width(*t, o->width)) {
		error(1, "%s", iodbg_errmsg(*t));
		iodbg_close(*t);
		return 1;
	}
	if (o->attach && attach(pid)) {
		iodbg_close(*t);
		return 1;
	}
	return 0;
}

void close_target(struct options *o, struct iodbg_target *t)
{
	if (o->attach)
		ptrace(PTRACE_DETACH, iodbg_target_pid(t), NULL, NULL);
	iodbg_close(t);
}
