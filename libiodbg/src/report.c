// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reports: one segment per piece of a transfer, with every path that was tried on it. Each
 * segment is one allocation that holds its attempts and their reasons, so the pointers a
 * caller got from iodbg_report_get() stay valid while the report grows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct segment {
	struct iodbg_segment pub;
	struct iodbg_attempt attempts[IODBG_MAX_PATHS];
	char why[IODBG_MAX_PATHS][IODBG_WHY_SIZE];
	char seg_why[IODBG_MSG_SIZE];
};

struct iodbg_report {
	size_t count;
	size_t cap;
	struct segment **segs;
};

IODBG_API struct iodbg_report *iodbg_report_new(void)
{
	return calloc(1, sizeof(struct iodbg_report));
}

void iodbg__report_clear(struct iodbg_report *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->segs[i]);
	r->count = 0;
}

IODBG_API void iodbg_report_free(struct iodbg_report *r)
{
	if (!r)
		return;
	iodbg__report_clear(r);
	free(r->segs);
	free(r);
}

IODBG_API size_t iodbg_report_count(const struct iodbg_report *r)
{
	return r ? r->count : 0;
}

IODBG_API const struct iodbg_segment *iodbg_report_get(const struct iodbg_report *r, size_t i)
{
	return r && i < r->count ? &r->segs[i]->pub : NULL;
}

int iodbg__report_add(struct iodbg_report *r, uint64_t addr, uint64_t len, int path,
		      int error, const char *why, const struct iodbg_attempt_log *log, size_t n)
{
	struct segment *s;

	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct segment **segs = reallocarray(r->segs, cap, sizeof(*segs));

		if (!segs)
			return -ENOMEM;
		r->segs = segs;
		r->cap = cap;
	}
	s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	n = MIN(n, (size_t)IODBG_MAX_PATHS);
	for (size_t i = 0; i < n; i++) {
		strcpy(s->why[i], log[i].why);
		s->attempts[i] = (struct iodbg_attempt){
			.path = log[i].path, .error = log[i].error, .flags = log[i].flags,
			.why = s->why[i],
		};
	}
	snprintf(s->seg_why, sizeof(s->seg_why), "%s", why);
	s->pub = (struct iodbg_segment){
		.addr = addr, .len = len, .path = path, .error = error, .why = s->seg_why,
		.nattempts = n, .attempts = s->attempts,
	};
	r->segs[r->count++] = s;
	return 0;
}
