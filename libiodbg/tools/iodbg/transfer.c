// SPDX-License-Identifier: GPL-2.0-or-later
/* Transfers in chunks, shared by 'iodbg read' and 'iodbg write'. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "main.h"

/* @n bytes read at @addr: raw to @out, or to stdout as a hexdump. false if that failed. */
bool write_out(FILE *out, uint64_t addr, const unsigned char *buf, size_t n)
{
	if (out)
		return fwrite(buf, 1, n, out) == n && !fflush(out);
	hexdump(stdout, addr, buf, n);
	return !fflush(stdout) && !ferror(stdout);
}

/*
 * Move @len bytes at @addr (an offset in object o->id with --object) in chunks; a chunk read
 * goes to @out, or to stdout as a hexdump. 0, 1 or EXIT_PARTIAL, with the message printed.
 */
int transfer(struct options *o, struct iodbg_target *t, bool write, uint64_t addr,
	     unsigned char *data, uint64_t len, FILE *out)
{
	struct report_printer rp = { .json = o->json };
	struct iodbg_report *report = o->report ? iodbg_report_new() : NULL;
	bool bar = isatty(STDERR_FILENO) && !o->report && len >= PROGRESS_MIN;
	const char *verb = write ? "write" : "read";
	unsigned char *buf = data;
	uint64_t done = 0;
	int status = 0, out_errno = 0;
	ssize_t n = 0;

	if (!write)
		buf = malloc(len < CHUNK ? len : CHUNK);
	if (!buf || (o->report && !report)) {
		iodbg_report_free(report);
		return error(1, "out of memory");
	}
	while (done < len) {
		size_t want = len - done < CHUNK ? len - done : CHUNK;

		if (write && o->object)
			n = iodbg_object_write(t, o->id, addr + done, data + done, want, report);
		else if (write)
			n = iodbg_write(t, addr + done, data + done, want, report);
		else if (o->object)
			n = iodbg_object_read(t, o->id, addr + done, buf, want, report);
		else
			n = iodbg_read(t, addr + done, buf, want, report);
		if (report)
			report_add(&rp, report, addr + done);
		if (n > 0 && !write && !write_out(out, addr + done, buf, n)) {
			out_errno = errno;	/* a full disk ends the read here */
			break;
		}
		if (n > 0)
			done += n;
		progress(bar, verb, done, len);
		if (n < (ssize_t)want)
			break;
	}
	if (bar)
		fputs("\r\033[K", stderr);	/* the message, if any, takes the bar's line */
	if (report)
		report_end(&rp);
	if (out_errno) {
		o->output_failed = true;
		errno = out_errno;
		status = error(1, "cannot write %s: %m", o->file && strcmp(o->file, "-") ?
			       o->file : "the output");
	} else if (done < len) {
		status = done ? EXIT_PARTIAL : 1;
		error(status, "%s", iodbg_errmsg(t));
	}
	if (!write)
		free(buf);
	iodbg_report_free(report);
	return status;
}
