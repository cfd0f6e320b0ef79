// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Error messages. Every failure returns a negative errno and leaves a sentence saying what
 * failed and why, on the target, or in a per-thread slot for functions that have no target
 * (opening one, parsing, asking the kernel side).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local char thread_msg[IODBG_MSG_SIZE];

IODBG_API const char *iodbg_version(void)
{
	return IODBG_VERSION_STRING;
}

int iodbg__error(struct iodbg_target *t, int err, const char *fmt, ...)
{
	char *msg = t ? t->msg : thread_msg;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, IODBG_MSG_SIZE, fmt, ap);
	va_end(ap);
	return err;
}

IODBG_API const char *iodbg_errmsg(const struct iodbg_target *t)
{
	return t ? t->msg : thread_msg;
}

void iodbg__append(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	*off = n < 0 ? size : MIN(size, *off + n);
}

const char *iodbg__errname(int err, char *buf, size_t size)
{
	const char *name = strerrorname_np(-err);

	snprintf(buf, size, "%s (%s)", name ? name : "error", strerror(-err));
	return buf;
}
