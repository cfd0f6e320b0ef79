// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The memory map the proxy gives gdb (qXfer:memory-map:read): the whole address space as
 * "ram", in one region per device mapping and one per stretch between them.
 *
 * gdb refuses every address outside a target's map ("set mem inaccessible-by-default" is on
 * by default), and reads the map once per process: a map of the mappings alone would make it
 * refuse whatever the program maps later. So the map forbids nothing; it shows in "info mem"
 * where the device regions are, and gdb caches none of them (a region of a target's map has
 * the "nocache" attribute).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <iodbg/iodbg.h>

#include "proxy.h"

static const char header[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE memory-map PUBLIC \"+//IDN gnu.org//DTD GDB Memory Map V1.0//EN\" "
	"\"http://sourceware.org/gdb/gdb-memory-map.dtd\">\n"
	"<memory-map>\n";

static void region(FILE *f, uint64_t start, uint64_t length)
{
	fprintf(f, "  <memory type=\"ram\" start=\"0x%" PRIx64 "\" length=\"0x%" PRIx64 "\"/>\n",
		start, length);
}

/* Whether @m is device memory: an iodbg object, or VM_IO or VM_PFNMAP. */
static bool device_mapping(const struct iodbg_map *m)
{
	return m->object || (m->flags & (IODBG_MAP_IO | IODBG_MAP_PFNMAP));
}

int memory_map_xml(struct iodbg_target *target, char **xml, size_t *len)
{
	struct iodbg_maps *maps = NULL;
	uint64_t cursor = 0;
	FILE *f;
	int ret = 0;

	*xml = NULL;
	f = open_memstream(xml, len);
	if (!f)
		return -ENOMEM;
	fputs(header, f);
	/* No process yet, or one libiodbg cannot list: all of it, as ordinary memory. */
	if (target && iodbg_maps_read(target, &maps))
		maps = NULL;
	for (size_t i = 0; maps && i < iodbg_maps_count(maps); i++) {
		const struct iodbg_map *m = iodbg_maps_get(maps, i);

		if (!device_mapping(m) || m->start < cursor || m->end <= m->start)
			continue;
		if (m->start > cursor)
			region(f, cursor, m->start - cursor);
		region(f, m->start, m->end - m->start);
		cursor = m->end;
	}
	iodbg_maps_free(maps);
	/* To the top but the last byte: a length of 2^64 does not fit the format. */
	if (cursor < UINT64_MAX)
		region(f, cursor, UINT64_MAX - cursor);
	fputs("</memory-map>\n", f);
	if (ferror(f))
		ret = -ENOMEM;
	if (fclose(f))
		ret = -ENOMEM;
	if (ret) {
		free(*xml);
		*xml = NULL;
	}
	return ret;
}
