// SPDX-License-Identifier: GPL-2.0-or-later
/* iodbg objects: the iodbg objects a process maps or holds open. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>

#include <linux/iodbg.h>

#include "main.h"

static const char *object_flags(uint32_t f, char *buf, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ IODBG_OBJECT_REGISTERS, "registers" }, { IODBG_OBJECT_NO_ACCESS, "noaccess" },
		{ IODBG_OBJECT_ACCESS_REFUSES, "refuses" }, { IODBG_OBJECT_ACCESS_PHYS, "phys" },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			off += snprintf(buf + off, size - off, "%s%s", off ? "," : "",
					names[i].name);
	return off ? buf : "-";
}

void objects_print(FILE *f, bool json, const struct iodbg_objects *objs)
{
	size_t n = iodbg_objects_count(objs);
	char flags[64];

	if (json)
		fprintf(f, "[");
	else
		fprintf(f, "%-25s %-8s %-9s %-8s %-12s %-10s %-5s %-8s %s\n", "ADDRESS", "ID", "KIND",
			"PLACE", "SIZE", "OFFSET", "UNIT", "OWNER", "FLAGS");
	for (size_t i = 0; i < n; i++) {
		const struct iodbg_object *ob = iodbg_objects_get(objs, i);

		if (json) {
			fprintf(f, "%s\n  ", i ? "," : "");
			object_json(ob);
			continue;
		}
		if (ob->length)
			fprintf(f, "%012" PRIx64 "-%012" PRIx64, ob->start, ob->start + ob->length);
		else
			fprintf(f, "%-25s", "(held, not mapped)");
		fprintf(f, " %-8" PRIu64 " %-9s %-8s %-12" PRIu64 " %-10" PRIx64 " %-5d %-8" PRIu64
			" %s\n", ob->id, iodbg_object_kind_name(ob->kind),
			iodbg_placement_name(ob->placement), ob->size, ob->offset, ob->unit,
			ob->owner, object_flags(ob->flags, flags, sizeof(flags)));
	}
	if (json)
		fprintf(f, "%s]\n", n ? "\n" : "");
}

/* The objects as the core's iodbg notes describe them at dump time. */
static int core_objects(struct options *o)
{
	struct iodbg_objects *objs;
	struct iodbg_core *core;

	if (iodbg_core_open(o->core, &core))
		return error(1, "%s", iodbg_errmsg(NULL));
	if (iodbg_core_objects(core, &objs)) {
		error(1, "%s: %s", o->core, iodbg_errmsg(NULL));
		iodbg_core_close(core);
		return 1;
	}
	objects_print(stdout, o->json, objs);
	iodbg_objects_free(objs);
	iodbg_core_close(core);
	return 0;
}

static int do_objects(struct options *o, int argc, char **argv)
{
	struct iodbg_objects *objs;
	struct iodbg_target *t;
	pid_t pid;

	(void)argc;
	buffer_listing();
	if (o->core)
		return core_objects(o);
	if (!parse_pid(argv[0], &pid))
		return error(EXIT_USAGE, "bad PID '%s'", argv[0]);
	if (open_target(o, pid, &t))
		return 1;
	if (iodbg_objects(t, &objs)) {
		error(1, "%s", iodbg_errmsg(t));
		close_target(o, t);
		return 1;
	}
	objects_print(stdout, o->json, objs);
	iodbg_objects_free(objs);
	close_target(o, t);
	return 0;
}

static const struct option objects_opts[] = { OPT_HELP, OPT_JSON, OPT_CORE, OPT_END };

const struct command objects_command = {
	"objects", do_objects, 1, "hj", objects_opts,
	"usage: iodbg objects [--json] PID\n"
	"       iodbg objects [--json] --core FILE\n"
	"The iodbg objects of PID (needs the iodbg module): one line per mapping, then one per\n"
	"object PID holds a file of but maps nowhere (\"held, not mapped\"; JSON: \"mapped\":\n"
	"false): mapping, object id, kind, placement now (device, gart, system, saved), size,\n"
	"offset in the object, device unit, owner and flags.\n"
	"  --core=FILE the objects of the process a core of 'iodbg core' was taken from, at\n"
	"              the time of the dump\n"
	"  --json      one JSON array of objects\n"
};
