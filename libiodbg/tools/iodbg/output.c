// SPDX-License-Identifier: GPL-2.0-or-later
/* iodbg's output: xxd's layout, JSON, the report lines, the progress line. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iodbg.h>

#include "main.h"

/* A JSON string; bytes that are not UTF-8 (paths may hold any) become \u00XX. */
void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
			(*p & 0xf8) == 0xf0 ? 3 : -1;
		int i;

		for (i = 1; i <= n && (p[i] & 0xc0) == 0x80; i++)
			;
		if (n > 0 && i > n && *p >= 0xc2) {
			fwrite(p, 1, n + 1, f);
			p += n + 1;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
		p++;
	}
	fputc('"', f);
}

const char *errname(int err)
{
	const char *name = strerrorname_np(-err);

	return name ? name : "error";
}

/* xxd's layout, with the target's addresses as offsets (what `xxd -o ADDR` prints). */
void hexdump(FILE *f, uint64_t addr, const unsigned char *p, size_t len)
{
	for (size_t line = 0; line < len; line += 16) {
		size_t n = len - line < 16 ? len - line : 16;

		fprintf(f, "%08" PRIx64 ":", addr + line);
		for (size_t i = 0; i < 16; i++) {
			if (!(i & 1))
				fputc(' ', f);
			if (i < n)
				fprintf(f, "%02x", p[line + i]);
			else
				fputs("  ", f);
		}
		fprintf(f, "  ");
		for (size_t i = 0; i < n; i++)
			fputc(p[line + i] >= 0x20 && p[line + i] < 0x7f ? p[line + i] : '.', f);
		fputc('\n', f);
	}
}

static void report_flush(struct report_printer *rp)
{
	if (!rp->pending)
		return;
	if (rp->json)
		fprintf(stderr, "%s  {\"addr\": \"0x%" PRIx64 "\", \"len\": %" PRIu64 ", %s}",
			rp->any ? ",\n" : "[\n", rp->addr, rp->len, rp->text);
	else
		fprintf(stderr, "%" PRIx64 "-%" PRIx64 " %" PRIu64 " bytes: %s\n", rp->addr,
			rp->addr + rp->len, rp->len, rp->text);
	rp->any = true;
	rp->pending = false;
}

static void segment_json(FILE *f, const struct iodbg_segment *s)
{
	fprintf(f, "\"path\": ");
	if (s->path == IODBG_PATH_NONE)
		fprintf(f, "null, \"error\": \"%s\", \"why\": ", errname(s->error));
	else
		fprintf(f, "\"%s\", \"error\": null, \"why\": ", iodbg_path_name(s->path));
	json_str(f, s->why);
	fprintf(f, ", \"attempts\": [");
	for (size_t i = 0; i < s->nattempts; i++) {
		const struct iodbg_attempt *a = &s->attempts[i];

		fprintf(f, "%s{\"path\": \"%s\", \"result\": \"%s\", \"error\": ", i ? ", " : "",
			iodbg_path_name(a->path), !a->error ? "served" :
			a->flags & IODBG_ATTEMPT_SKIPPED ? "skipped" : "failed");
		if (a->error)
			fprintf(f, "\"%s\"", errname(a->error));
		else
			fputs("null", f);
		fprintf(f, ", \"why\": ");
		json_str(f, a->why);
		fputc('}', f);
	}
	fputc(']', f);
}

/* "proc_mem (process_vm EFAULT: ...)": who served it, then why each path before did not. */
static void segment_plain(FILE *f, const struct iodbg_segment *s)
{
	size_t shown = 0;

	if (s->path == IODBG_PATH_NONE)
		fprintf(f, "not served, %s: %s", errname(s->error), s->why);
	else
		fprintf(f, "%s", iodbg_path_name(s->path));
	for (size_t i = 0; i < s->nattempts; i++) {
		const struct iodbg_attempt *a = &s->attempts[i];

		if (a->error)
			fprintf(f, "%s%s %s: %s", shown++ ? "; " : " (", iodbg_path_name(a->path),
				a->flags & IODBG_ATTEMPT_SKIPPED ? "skipped" : errname(a->error),
				a->why);
	}
	if (shown)
		fputc(')', f);
}

void report_add(struct report_printer *rp, const struct iodbg_report *r, uint64_t chunk)
{
	for (size_t i = 0; i < iodbg_report_count(r); i++) {
		const struct iodbg_segment *s = iodbg_report_get(r, i);
		char *text = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&text, &size);

		if (!f)
			continue;
		if (rp->json)
			segment_json(f, s);
		else
			segment_plain(f, s);
		fclose(f);
		if (rp->pending && s->addr == chunk && s->addr == rp->addr + rp->len &&
		    !strcmp(text, rp->text)) {
			rp->len += s->len;
			free(text);
			continue;
		}
		report_flush(rp);
		free(rp->text);
		rp->text = text;
		rp->addr = s->addr;
		rp->len = s->len;
		rp->pending = true;
	}
}

void report_end(struct report_printer *rp)
{
	report_flush(rp);
	if (rp->json)
		fprintf(stderr, "%s]\n", rp->any ? "\n" : "[");
	free(rp->text);
}

void progress(bool show, const char *verb, uint64_t done, uint64_t len)
{
	if (show && done < len)
		fprintf(stderr, "\riodbg: %s %3u%% (%" PRIu64 "/%" PRIu64 " MiB)", verb,
			(unsigned int)(done * 100.0 / len), done >> 20, len >> 20);
}

void object_json(const struct iodbg_object *ob)
{
	printf("{\"id\": %" PRIu64 ", \"kind\": \"%s\", \"kind_id\": %u, \"size\": %" PRIu64
	       ", \"placement\": \"%s\", \"placement_id\": %u, \"flags\": %u, \"unit\": %d, "
	       "\"start\": \"0x%" PRIx64 "\", \"length\": %" PRIu64 ", \"offset\": %" PRIu64
	       ", \"owner\": %" PRIu64 ", \"mapped\": %s}", ob->id, iodbg_object_kind_name(ob->kind),
	       ob->kind, ob->size, iodbg_placement_name(ob->placement), ob->placement, ob->flags,
	       ob->unit, ob->start, ob->length, ob->offset, ob->owner,
	       ob->length ? "true" : "false");
}


/*
 * A listing of a large process runs to megabytes: write it in large pieces rather than a
 * write() per page, unless a person reads it as it comes. Called before the first output.
 */
void buffer_listing(void)
{
	static char buf[1 << 16];

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
}

