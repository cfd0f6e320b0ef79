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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iodbg/iodbg.h>

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

static int cmd_objects(struct proxy *proxy, char *args)
{
	struct iodbg_target *target;
	struct iodbg_objects *objects;
	int sent = 0, ret;

	(void)args;
	target = need_target(proxy, &sent);
	if (!target)
		return sent;
	ret = iodbg_objects(target, &objects);
	if (ret)
		return fail(proxy, "%s", iodbg_errmsg(target));
	ret = proxy_printf(proxy, "%-8s %-9s %10s %-8s %-18s %-18s %s\n", "id", "kind", "size",
			   "place", "start", "end", "offset");
	for (size_t i = 0; !ret && i < iodbg_objects_count(objects); i++) {
		const struct iodbg_object *o = iodbg_objects_get(objects, i);

		if (o->length)
			ret = proxy_printf(proxy, "%-8" PRIu64 " %-9s %10" PRIu64 " %-8s %#-18"
					   PRIx64 " %#-18" PRIx64 " %#" PRIx64 "\n", o->id,
					   iodbg_object_kind_name(o->kind), o->size,
					   iodbg_placement_name(o->placement), o->start,
					   o->start + o->length, o->offset);
		else
			ret = proxy_printf(proxy, "%-8" PRIu64 " %-9s %10" PRIu64
					   " %-8s (not mapped)\n", o->id,
					   iodbg_object_kind_name(o->kind), o->size,
					   iodbg_placement_name(o->placement));
	}
	iodbg_objects_free(objects);
	return ok(proxy, ret);
}

static int cmd_maps(struct proxy *proxy, char *args)
{
	struct iodbg_target *target;
	struct iodbg_maps *maps;
	int sent = 0, ret;

	(void)args;
	target = need_target(proxy, &sent);
	if (!target)
		return sent;
	ret = iodbg_maps_read(target, &maps);
	if (ret)
		return fail(proxy, "%s", iodbg_errmsg(target));
	ret = proxy_printf(proxy, "%-18s %-18s %-8s %-8s %s\n", "start", "end", "kind", "object",
			   "path");
	for (size_t i = 0; !ret && i < iodbg_maps_count(maps); i++) {
		const struct iodbg_map *m = iodbg_maps_get(maps, i);
		char object[24] = "-";

		if (m->object)
			snprintf(object, sizeof(object), "%" PRIu64, m->object->id);
		ret = proxy_printf(proxy, "%#-18" PRIx64 " %#-18" PRIx64 " %-8s %-8s %s\n",
				   m->start, m->end, iodbg_map_kind(m), object, m->path);
	}
	iodbg_maps_free(maps);
	return ok(proxy, ret);
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

static int cmd_help(struct proxy *proxy, char *args);

static const struct monitor_command commands[] = {
	{ "help", "", "this list", cmd_help },
	{ "pid", "", "the process that memory packets address", cmd_pid },
	{ "allow-mmio", "[on|off]",
	  "let reads and writes that gdbserver refuses touch MMIO (device side effects)",
	  cmd_allow_mmio },
	{ "objects", "", "the process's iodbg objects, with placement and mapping", cmd_objects },
	{ "maps", "", "the process's mappings, with kind and iodbg object", cmd_maps },
	{ "path", "ADDR", "which path reads ADDR now, or why none can", cmd_path },
};

static int cmd_help(struct proxy *proxy, char *args)
{
	int ret = 0;

	(void)args;
	for (size_t i = 0; !ret && i < sizeof(commands) / sizeof(commands[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s %s", commands[i].name, commands[i].usage);
		ret = proxy_printf(proxy, "monitor iodbg %-20s %s\n", name, commands[i].help);
	}
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
