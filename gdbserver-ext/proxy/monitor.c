// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "monitor iodbg ...": what the proxy knows that gdbserver does not. Output goes to gdb's
 * console in 'O' packets, then the command's answer: OK, or for a command that failed its
 * message on the console and "E01", which makes gdb's "monitor" fail, as scripts need.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iodbg/iodbg.h>
#include <linux/iodbg.h>

#include "proxy.h"

struct monitor_command {
	const char *name;
	const char *usage;
	const char *help;
	int (*run)(struct proxy *proxy, char *args);
};

static int fail(struct proxy *proxy, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct proxy *proxy, const char *fmt, ...)
{
	char message[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	ret = proxy_printf(proxy, "error: %s\n", message);
	return ret ?: link_send_str(&proxy->gdb, "E01");
}

static int ok(struct proxy *proxy, int ret)
{
	return ret ?: link_send_str(&proxy->gdb, "OK");
}

/* The target, or an error answer sent to gdb (*@sent is then the send's status). */
static struct iodbg_target *need_target(struct proxy *proxy, int *sent)
{
	struct iodbg_target *target;
	int err;

	target = proxy_target(proxy, &err);
	if (target)
		return target;
	if (proxy->pid <= 0)
		*sent = fail(proxy, "no process yet: run, attach to or select one first");
	else
		*sent = fail(proxy, "process %d: %s", (int)proxy->pid, iodbg_errmsg(NULL));
	return NULL;
}

static int cmd_pid(struct proxy *proxy, char *args)
{
	(void)args;
	if (proxy->pid <= 0)
		return ok(proxy, proxy_printf(proxy, "no process yet\n"));
	return ok(proxy, proxy_printf(proxy, "%d\n", (int)proxy->pid));
}

static int cmd_allow_mmio(struct proxy *proxy, char *args)
{
	if (!*args)
		return ok(proxy, proxy_printf(proxy, "MMIO through the generic fallback: %s\n",
					      proxy->allow_mmio ? "allowed" : "not allowed"));
	if (strcmp(args, "on") && strcmp(args, "off"))
		return fail(proxy, "allow-mmio takes on or off, not \"%s\"", args);
	proxy->allow_mmio = !strcmp(args, "on");
	if (proxy->target)
		iodbg_set_allow_mmio(proxy->target, proxy->allow_mmio);
	return ok(proxy, 0);
}

/* An address as gdb prints them: hex after 0x, else decimal (a leading 0 is no octal). */
static int parse_address(const char *text, uint64_t *addr)
{
	int base = 10;
	char *end;

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		text += 2;
		base = 16;
	}
	if (!isxdigit((unsigned char)*text))
		return -1;
	errno = 0;
	*addr = strtoull(text, &end, base);
	return *end || errno ? -1 : 0;
}

/*
 * The options of a command ("--json", "--pid PID", "--path NAME", "--allow-mmio on|off",
 * "--object") and its other words, split in place from @args.
 */
#define REQUEST_WORDS 4096

struct request {
	bool json;		/* --json: one JSON document (see print_json_head) */
	pid_t pid;		/* --pid: that process, not the one memory packets address */
	int path;		/* --path: libiodbg's policy for this command alone */
	int allow_mmio;		/* --allow-mmio: 0 or 1 for this command alone; -1: the proxy's */
	bool object;		/* --object: read by object id and offset */
	size_t nwords;
	char *words[REQUEST_WORDS];
};

enum { OPT_JSON = 1, OPT_PID = 2, OPT_POLICY = 4, OPT_OBJECT = 8 };

/* 0, or -1 with the reason in @why. */
static int parse_request(char *args, unsigned int allowed, struct request *req, char *why,
			 size_t whylen)
{
	char *word, *save = NULL;
	uint64_t value;

	req->json = req->object = false;
	req->pid = 0;
	req->path = IODBG_PATH_AUTO;
	req->allow_mmio = -1;
	req->nwords = 0;
	for (word = strtok_r(args, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
		char *arg = NULL;

		if (strncmp(word, "--", 2)) {
			if (req->nwords == REQUEST_WORDS) {
				snprintf(why, whylen, "more than %d arguments", REQUEST_WORDS);
				return -1;
			}
			req->words[req->nwords++] = word;
			continue;
		}
		if (!strcmp(word, "--pid") || !strcmp(word, "--path") ||
		    !strcmp(word, "--allow-mmio")) {
			arg = strtok_r(NULL, " ", &save);
			if (!arg) {
				snprintf(why, whylen, "%s takes a value", word);
				return -1;
			}
		}
		if (!strcmp(word, "--json") && (allowed & OPT_JSON)) {
			req->json = true;
		} else if (!strcmp(word, "--object") && (allowed & OPT_OBJECT)) {
			req->object = true;
		} else if (!strcmp(word, "--pid") && (allowed & OPT_PID)) {
			if (parse_address(arg, &value) || !value || value > INT32_MAX) {
				snprintf(why, whylen, "--pid takes a process id, not \"%s\"", arg);
				return -1;
			}
			req->pid = (pid_t)value;
		} else if (!strcmp(word, "--path") && (allowed & OPT_POLICY)) {
			req->path = iodbg_path_from_name(arg);
			if (req->path < 0) {
				snprintf(why, whylen, "no such path \"%s\"", arg);
				return -1;
			}
		} else if (!strcmp(word, "--allow-mmio") && (allowed & OPT_POLICY)) {
			if (strcmp(arg, "on") && strcmp(arg, "off")) {
				snprintf(why, whylen, "--allow-mmio takes on or off, not \"%s\"", arg);
				return -1;
			}
			req->allow_mmio = !strcmp(arg, "on");
		} else {
			snprintf(why, whylen, "unknown option \"%s\"", word);
			return -1;
		}
	}
	return 0;
}

/*
 * The target a request addresses: the proxy's, or with --pid another process's, which
 * *@own then holds for the caller to close. With the request's policy set; put_target()
 * restores the proxy's. NULL with the negative errno in *@err; iodbg_errmsg(NULL) says why.
 */
static struct iodbg_target *get_target(struct proxy *proxy, const struct request *req,
				       struct iodbg_target **own, int *err)
{
	struct iodbg_target *target;

	*own = NULL;
	if (req->pid && req->pid != proxy->pid) {
		*err = iodbg_open(req->pid, 0, own);
		if (*err)
			return NULL;
		target = *own;
	} else {
		target = proxy_target(proxy, err);
		if (!target)
			return NULL;
	}
	*err = iodbg_set_path(target, req->path);
	if (!*err)
		*err = iodbg_set_allow_mmio(target, req->allow_mmio >= 0 ? req->allow_mmio :
					    proxy->allow_mmio);
	if (*err) {
		iodbg_close(*own);
		*own = NULL;
		return NULL;
	}
	return target;
}

static void put_target(struct proxy *proxy, struct iodbg_target *target,
		       struct iodbg_target *own)
{
	if (own) {
		iodbg_close(own);
		return;
	}
	iodbg_set_path(target, IODBG_PATH_AUTO);
	iodbg_set_allow_mmio(target, proxy->allow_mmio);
}

/* ---- the machine-readable form (--json) ---- */

/*
 * A JSON string of the bytes at @s: a path or a message is bytes, not text, so each byte is
 * one character, U+0000 to U+00FF (a byte above 0x7f as \u00XX); a reader gets the bytes
 * back by encoding the string as Latin-1.
 */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/*
 * Every document starts {"iodbg-json": VERSION, "pid": PID, ...: a reader checks the
 * version it knows, and ignores members it does not know, which later versions may add.
 * A document with an "error" member ({"errno": E, "message": M}) reports a failure.
 */
#define JSON_VERSION 1

static void json_head(FILE *out, pid_t pid)
{
	fprintf(out, "{\"iodbg-json\": %d, \"pid\": %d", JSON_VERSION, (int)pid);
}

static void json_error(FILE *out, int err, const char *message)
{
	fprintf(out, ", \"error\": {\"errno\": %d, \"message\": ", err < 0 ? -err : err);
	json_string(out, message);
	fputc('}', out);
}

static void json_object(FILE *out, const struct iodbg_object *o)
{
	fprintf(out, "{\"id\": %" PRIu64 ", \"size\": %" PRIu64 ", \"start\": %" PRIu64
		", \"length\": %" PRIu64 ", \"offset\": %" PRIu64 ", \"owner\": %" PRIu64
		", \"kind\": %" PRIu32 ", \"kind_name\": ", o->id, o->size, o->start, o->length,
		o->offset, o->owner, o->kind);
	json_string(out, iodbg_object_kind_name(o->kind));
	fprintf(out, ", \"placement\": %" PRIu32 ", \"placement_name\": ", o->placement);
	json_string(out, iodbg_placement_name(o->placement));
	fprintf(out, ", \"flags\": %" PRIu32 ", \"unit\": %" PRId32 "}", o->flags, o->unit);
}

/* A command's output, built in memory and sent at once when complete. */
struct output {
	FILE *file;
	char *text;
	size_t len;
};

static int output_open(struct output *out)
{
	out->text = NULL;
	out->len = 0;
	out->file = open_memstream(&out->text, &out->len);
	return out->file ? 0 : -ENOMEM;
}

/* Drop what was written: the command fails instead. */
static void output_discard(struct output *out)
{
	fclose(out->file);
	free(out->text);
}

/* Send what was written (with a newline after a JSON document), then OK. */
static int output_send(struct proxy *proxy, struct output *out, bool json)
{
	int ret;

	if (json)
		fputs("}\n", out->file);
	ret = ferror(out->file) ? -ENOMEM : 0;
	if (fclose(out->file))
		ret = -ENOMEM;
	if (!ret)
		ret = proxy_console(proxy, out->text, out->len);
	free(out->text);
	return ok(proxy, ret);
}

/*
 * Open the target of @req into @out's document; on failure, the error: as a JSON "error"
 * member, or on the console with E01 (*@sent).
 */
static struct iodbg_target *request_target(struct proxy *proxy, const struct request *req,
					   struct output *out, struct iodbg_target **own,
					   int *sent)
{
	struct iodbg_target *target;
	pid_t pid = req->pid ? req->pid : proxy->pid;
	int err;

	target = get_target(proxy, req, own, &err);
	if (req->json)
		json_head(out->file, pid);
	if (target)
		return target;
	if (pid <= 0) {
		if (!req->json) {
			output_discard(out);
			*sent = fail(proxy, "no process yet: run, attach to or select one first");
			return NULL;
		}
		json_error(out->file, -ESRCH, "no process yet: run, attach to or select one first");
	} else if (req->json) {
		json_error(out->file, err, iodbg_errmsg(NULL));
	} else {
		output_discard(out);
		*sent = fail(proxy, "process %d: %s", (int)pid, iodbg_errmsg(NULL));
		return NULL;
	}
	*sent = output_send(proxy, out, true);
	return NULL;
}

/*
 * @target failed the request with @err: answer its message, as a JSON "error" member in
 * @out's document or on the console with E01, and let go of the target.
 */
static int target_failed(struct proxy *proxy, const struct request *req, struct output *out,
			 struct iodbg_target *target, struct iodbg_target *own, int err)
{
	int ret;

	if (req->json) {
		json_error(out->file, err, iodbg_errmsg(target));
		ret = output_send(proxy, out, true);
	} else {
		output_discard(out);
		ret = fail(proxy, "%s", iodbg_errmsg(target));
	}
	put_target(proxy, target, own);
	return ret;
}

static const char *usage_of(const char *name);

/* A usage error: on the console, E01. */
static int usage(struct proxy *proxy, const char *name, const char *why)
{
	return fail(proxy, "%s; usage: monitor iodbg %s %s", why, name, usage_of(name));
}

static int cmd_objects(struct proxy *proxy, char *args)
{
	struct iodbg_target *target, *own;
	struct iodbg_objects *objects;
	struct request req;
	struct output out;
	char why[128];
	int sent = 0, ret;
	FILE *f;

	if (parse_request(args, OPT_JSON | OPT_PID, &req, why, sizeof(why)) ||
	    (req.nwords && snprintf(why, sizeof(why), "unexpected \"%s\"", req.words[0])))
		return usage(proxy, "objects", why);
	if (output_open(&out))
		return -ENOMEM;
	target = request_target(proxy, &req, &out, &own, &sent);
	if (!target)
		return sent;
	f = out.file;
	ret = iodbg_objects(target, &objects);
	if (ret)
		return target_failed(proxy, &req, &out, target, own, ret);
	if (req.json)
		fputs(", \"objects\": [", f);
	else
		fprintf(f, "%-8s %-9s %10s %-8s %-18s %-18s %s\n", "id", "kind", "size",
			"place", "start", "end", "offset");
	for (size_t i = 0; i < iodbg_objects_count(objects); i++) {
		const struct iodbg_object *o = iodbg_objects_get(objects, i);

		if (req.json) {
			fputs(i ? ",\n" : "\n", f);
			json_object(f, o);
		} else if (o->length) {
			fprintf(f, "%-8" PRIu64 " %-9s %10" PRIu64 " %-8s %#-18" PRIx64 " %#-18"
				PRIx64 " %#" PRIx64 "\n", o->id, iodbg_object_kind_name(o->kind),
				o->size, iodbg_placement_name(o->placement), o->start,
				o->start + o->length, o->offset);
		} else {
			fprintf(f, "%-8" PRIu64 " %-9s %10" PRIu64 " %-8s (not mapped)\n", o->id,
				iodbg_object_kind_name(o->kind), o->size,
				iodbg_placement_name(o->placement));
		}
	}
	if (req.json)
		fputc(']', f);
	iodbg_objects_free(objects);
	put_target(proxy, target, own);
	return output_send(proxy, &out, req.json);
}

static int cmd_maps(struct proxy *proxy, char *args)
{
	struct iodbg_target *target, *own;
	struct iodbg_maps *maps;
	struct request req;
	struct output out;
	char why[128];
	int sent = 0, ret;
	FILE *f;

	if (parse_request(args, OPT_JSON | OPT_PID, &req, why, sizeof(why)) ||
	    (req.nwords && snprintf(why, sizeof(why), "unexpected \"%s\"", req.words[0])))
		return usage(proxy, "maps", why);
	if (output_open(&out))
		return -ENOMEM;
	target = request_target(proxy, &req, &out, &own, &sent);
	if (!target)
		return sent;
	f = out.file;
	ret = iodbg_maps_read(target, &maps);
	if (ret)
		return target_failed(proxy, &req, &out, target, own, ret);
	if (req.json)
		fputs(", \"maps\": [", f);
	else
		fprintf(f, "%-18s %-18s %-8s %-8s %s\n", "start", "end", "kind", "object", "path");
	for (size_t i = 0; i < iodbg_maps_count(maps); i++) {
		const struct iodbg_map *m = iodbg_maps_get(maps, i);
		char object[24] = "-";

		if (req.json) {
			fprintf(f, "%s{\"start\": %" PRIu64 ", \"end\": %" PRIu64 ", \"offset\": %"
				PRIu64 ", \"inode\": %" PRIu64 ", \"dev_major\": %" PRIu32
				", \"dev_minor\": %" PRIu32 ", \"flags\": %" PRIu32 ", \"kind\": ",
				i ? ",\n" : "\n", m->start, m->end, m->offset, m->inode,
				m->dev_major, m->dev_minor, m->flags);
			json_string(f, iodbg_map_kind(m));
			fputs(", \"path\": ", f);
			json_string(f, m->path);
			fputs(", \"object\": ", f);
			if (m->object)
				json_object(f, m->object);
			else
				fputs("null", f);
			fputc('}', f);
			continue;
		}
		if (m->object)
			snprintf(object, sizeof(object), "%" PRIu64, m->object->id);
		fprintf(f, "%#-18" PRIx64 " %#-18" PRIx64 " %-8s %-8s %s\n", m->start, m->end,
			iodbg_map_kind(m), object, m->path);
	}
	if (req.json)
		fputc(']', f);
	iodbg_maps_free(maps);
	put_target(proxy, target, own);
	return output_send(proxy, &out, req.json);
}

/* The name of enum iodbg_path @path, JSON null for IODBG_PATH_NONE. */
static void json_path(FILE *f, int path)
{
	if (path == IODBG_PATH_NONE)
		fputs("null", f);
	else
		json_string(f, iodbg_path_name(path));
}

static int cmd_probe(struct proxy *proxy, char *args)
{
	struct iodbg_target *target, *own;
	struct request req;
	struct output out;
	uint64_t *addrs;
	int *paths, *errors;
	char why[128];
	int sent = 0, ret;
	FILE *f;

	if (parse_request(args, OPT_JSON | OPT_PID | OPT_POLICY, &req, why, sizeof(why)))
		return usage(proxy, "probe", why);
	if (!req.nwords)
		return usage(proxy, "probe", "no address");
	addrs = calloc(req.nwords, sizeof(*addrs));
	paths = calloc(req.nwords, sizeof(*paths));
	errors = calloc(req.nwords, sizeof(*errors));
	ret = addrs && paths && errors ? output_open(&out) : -ENOMEM;
	for (size_t i = 0; !ret && i < req.nwords; i++) {
		if (parse_address(req.words[i], &addrs[i])) {
			output_discard(&out);
			snprintf(why, sizeof(why), "\"%.64s\" is no address", req.words[i]);
			ret = usage(proxy, "probe", why);
			goto out;
		}
	}
	if (ret)
		goto out;
	target = request_target(proxy, &req, &out, &own, &sent);
	if (!target) {
		ret = sent;
		goto out;
	}
	f = out.file;
	ret = iodbg_probe(target, addrs, req.nwords, paths, errors);
	if (ret && req.json) {
		json_error(f, ret, iodbg_errmsg(target));
	} else if (ret) {
		output_discard(&out);
		ret = fail(proxy, "%s", iodbg_errmsg(target));
		put_target(proxy, target, own);
		goto out;
	} else if (req.json) {
		fputs(", \"paths\": [", f);
		for (size_t i = 0; i < req.nwords; i++) {
			fputs(i ? ", " : "", f);
			json_path(f, paths[i]);
		}
		fputs("], \"errors\": [", f);
		for (size_t i = 0; i < req.nwords; i++)
			fprintf(f, "%s%d", i ? ", " : "", -errors[i]);
		fputc(']', f);
	} else {
		for (size_t i = 0; i < req.nwords; i++)
			fprintf(f, "%#" PRIx64 ": %s\n", addrs[i], paths[i] == IODBG_PATH_NONE ?
				strerror(-errors[i]) : iodbg_path_name(paths[i]));
	}
	put_target(proxy, target, own);
	ret = output_send(proxy, &out, req.json);
out:
	free(addrs);
	free(paths);
	free(errors);
	return ret;
}

/* The longest read that one command answers. */
#define READ_MAX (1u << 20)

static void json_segments(FILE *f, const struct iodbg_report *report)
{
	fputs(", \"segments\": [", f);
	for (size_t i = 0; i < iodbg_report_count(report); i++) {
		const struct iodbg_segment *s = iodbg_report_get(report, i);

		fprintf(f, "%s{\"addr\": %" PRIu64 ", \"len\": %" PRIu64 ", \"path\": ",
			i ? ", " : "", s->addr, s->len);
		json_path(f, s->path);
		fprintf(f, ", \"errno\": %d, \"why\": ", -s->error);
		json_string(f, s->why ? s->why : "");
		fputs(", \"attempts\": [", f);
		for (size_t j = 0; j < s->nattempts; j++) {
			fprintf(f, "%s{\"path\": ", j ? ", " : "");
			json_path(f, s->attempts[j].path);
			fprintf(f, ", \"errno\": %d, \"why\": ", -s->attempts[j].error);
			json_string(f, s->attempts[j].why ? s->attempts[j].why : "");
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputc(']', f);
}

static int cmd_read(struct proxy *proxy, char *args)
{
	struct iodbg_target *target, *own;
	struct iodbg_report *report;
	uint64_t where[3];
	struct request req;
	struct output out;
	unsigned char *buf;
	char why[128];
	int sent = 0, ret;
	size_t want = 2;
	ssize_t n;
	FILE *f;

	if (parse_request(args, OPT_JSON | OPT_PID | OPT_POLICY | OPT_OBJECT, &req, why,
			  sizeof(why)))
		return usage(proxy, "read", why);
	if (req.object)
		want = 3;
	if (req.nwords != want)
		return usage(proxy, "read", req.object ? "--object takes ID OFFSET LENGTH" :
			     "ADDR LENGTH expected");
	for (size_t i = 0; i < want; i++)
		if (parse_address(req.words[i], &where[i]))
			return usage(proxy, "read", "not a number");
	if (!where[want - 1] || where[want - 1] > READ_MAX) {
		snprintf(why, sizeof(why), "the length must be 1 to %#x", READ_MAX);
		return usage(proxy, "read", why);
	}
	buf = malloc(where[want - 1]);
	report = iodbg_report_new();
	if (!buf || !report || output_open(&out)) {
		free(buf);
		iodbg_report_free(report);
		return -ENOMEM;
	}
	target = request_target(proxy, &req, &out, &own, &sent);
	if (!target) {
		free(buf);
		iodbg_report_free(report);
		return sent;
	}
	f = out.file;
	if (req.object)
		n = iodbg_object_read(target, where[0], where[1], buf, where[2], report);
	else
		n = iodbg_read(target, where[0], buf, where[1], report);
	if (req.json) {
		fprintf(f, ", \"result\": %zd, \"message\": ", n);
		json_string(f, n < 0 || (size_t)n < where[want - 1] ? iodbg_errmsg(target) : "");
		fputs(", \"data\": \"", f);
		for (ssize_t i = 0; i < n; i++)
			fprintf(f, "%02x", buf[i]);
		fputc('"', f);
		json_segments(f, report);
	} else if (n < 0) {
		output_discard(&out);
		ret = fail(proxy, "%s", iodbg_errmsg(target));
		goto out;
	} else {
		uint64_t base = req.object ? where[1] : where[0];

		for (ssize_t i = 0; i < n; i += 16) {
			fprintf(f, "%#" PRIx64 ":", base + i);
			for (ssize_t j = i; j < n && j < i + 16; j++)
				fprintf(f, " %02x", buf[j]);
			fputc('\n', f);
		}
		fputs("(read by:", f);
		for (size_t i = 0; i < iodbg_report_count(report); i++) {
			const struct iodbg_segment *s = iodbg_report_get(report, i);

			fprintf(f, "%s %s", i ? "," : "", s->error ? "none" :
				iodbg_path_name(s->path));
		}
		fputs(")\n", f);
		if ((size_t)n < where[want - 1])
			fprintf(f, "error: stopped after %zd bytes: %s\n", n,
				iodbg_errmsg(target));
	}
	ret = output_send(proxy, &out, req.json);
out:
	put_target(proxy, target, own);
	free(buf);
	iodbg_report_free(report);
	return ret;
}

static int cmd_path(struct proxy *proxy, char *args)
{
	struct iodbg_target *target;
	unsigned char byte;
	uint64_t addr;
	int sent = 0, path = IODBG_PATH_NONE, error = 0;

	if (parse_address(args, &addr))
		return fail(proxy, "path takes an address, not \"%s\"", args);
	target = need_target(proxy, &sent);
	if (!target)
		return sent;
	if (iodbg_probe(target, &addr, 1, &path, &error))
		return fail(proxy, "%s", iodbg_errmsg(target));
	if (path != IODBG_PATH_NONE)
		return ok(proxy, proxy_printf(proxy, "%#" PRIx64 ": %s\n", addr,
					      iodbg_path_name(path)));
	/* The reason: only a read of that byte says it. */
	iodbg_read(target, addr, &byte, 1, NULL);
	return ok(proxy, proxy_printf(proxy, "%#" PRIx64 ": none: %s\n", addr,
				      iodbg_errmsg(target)));
}

static int cmd_spu_serve(struct proxy *proxy, char *args)
{
	const struct iodbg_object *ob;
	struct iodbg_target *target;
	struct iodbg_objects *objs;
	int sent = 0, kind;
	uint64_t ctx;

	if (parse_address(args, &ctx) || !ctx)
		return usage(proxy, "spu-serve", "an SPU local store's object id expected");
	if (proxy->listen_fd < 0)
		return fail(proxy, "spu-serve needs iodbg-gdbserver listening on a port "
			    "([HOST]:PORT), not on standard input and output");
	target = need_target(proxy, &sent);
	if (!target)
		return sent;
	if (iodbg_objects(target, &objs))
		return fail(proxy, "%s", iodbg_errmsg(target));
	ob = iodbg_objects_find(objs, ctx);
	kind = ob ? (int)ob->kind : -1;
	iodbg_objects_free(objs);
	if (kind != IODBG_KIND_SPU_LS)
		return fail(proxy, "process %d has no SPU local store %" PRIu64 " (\"monitor iodbg "
			    "objects\" lists them)", (int)proxy->pid, ctx);
	proxy->spu_ctx = ctx;
	proxy->spu_pid = proxy->pid;
	return ok(proxy, proxy_printf(proxy, "the next connection to this port serves SPU "
				      "context %" PRIu64 " of process %d\n", ctx,
				      (int)proxy->pid));
}

static int cmd_help(struct proxy *proxy, char *args);

static const struct monitor_command commands[] = {
	{ "help", "", "this list", cmd_help },
	{ "pid", "", "the process that memory packets address", cmd_pid },
	{ "allow-mmio", "[on|off]",
	  "let reads and writes that gdbserver refuses touch MMIO (device side effects)",
	  cmd_allow_mmio },
	{ "objects", "[--json] [--pid PID]",
	  "the process's iodbg objects, with placement and mapping", cmd_objects },
	{ "maps", "[--json] [--pid PID]", "the process's mappings, with kind and iodbg object",
	  cmd_maps },
	{ "path", "ADDR", "which path reads ADDR now, or why none can", cmd_path },
	{ "probe", "[OPTIONS] ADDR...", "which path reads each ADDR now (as path, for many)",
	  cmd_probe },
	{ "read", "[OPTIONS] ADDR LENGTH | [OPTIONS] --object ID OFFSET LENGTH",
	  "bytes through libiodbg, and the paths that served them", cmd_read },
	{ "spu-serve", "CTX",
	  "serve SPU local store CTX to the next connection to this port (spu attach)",
	  cmd_spu_serve },
};

static const char *usage_of(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return commands[i].usage;
	return "";
}

static int cmd_help(struct proxy *proxy, char *args)
{
	int ret = 0;

	(void)args;
	for (size_t i = 0; !ret && i < sizeof(commands) / sizeof(commands[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s %s", commands[i].name, commands[i].usage);
		ret = proxy_printf(proxy, "monitor iodbg %s\n    %s\n", name, commands[i].help);
	}
	if (!ret)
		ret = proxy_printf(proxy, "OPTIONS of probe and read: --json --pid PID --path NAME "
				   "--allow-mmio on|off\n"
				   "--json: one JSON document (iodbg-gdbserver(1) describes it)\n"
				   "--pid PID: that process rather than the one memory packets "
				   "address\n"
				   "--path, --allow-mmio: libiodbg's policy for this command alone\n");
	return ok(proxy, ret);
}

int monitor_iodbg(struct proxy *proxy, const char *line)
{
	char *copy = strdup(line), *name, *args;
	int ret = -ENOMEM;

	if (!copy)
		return ret;
	name = copy + strspn(copy, " ");
	args = name + strcspn(name, " ");
	if (*args)
		*args++ = '\0';
	args += strspn(args, " ");
	args[strcspn(args, "\n")] = '\0';
	for (size_t end = strlen(args); end && args[end - 1] == ' '; end--)
		args[end - 1] = '\0';
	if (!*name)
		name = "help";
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(name, commands[i].name)) {
			ret = commands[i].run(proxy, args);
			free(copy);
			return ret;
		}
	}
	ret = fail(proxy, "unknown command \"iodbg %s\"; \"monitor iodbg help\" lists them", name);
	free(copy);
	return ret;
}
