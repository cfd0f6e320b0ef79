// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target of the maps/smaps parser. Beyond "no crash, no leak, no undefined
 * behaviour", it checks what the chain relies on: mappings are non-empty, sorted and disjoint,
 * their paths have no newline, lookups find what the list holds, and a failed parse leaves
 * no list behind.
 */
#include <stdlib.h>
#include <string.h>

#include <iodbg/iodbg.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iodbg_maps *maps = (struct iodbg_maps *)1;
	uint64_t prev_end = 0;

	if (iodbg_maps_parse((const char *)data, size, &maps)) {
		if (maps)
			abort();
		return 0;
	}
	for (size_t i = 0; i < iodbg_maps_count(maps); i++) {
		const struct iodbg_map *m = iodbg_maps_get(maps, i);

		if (m->start >= m->end || (i && m->start < prev_end) || strchr(m->path, '\n'))
			abort();
		if (iodbg_maps_find(maps, m->start) != m || iodbg_maps_find(maps, m->end - 1) != m)
			abort();
		if (m->start && iodbg_maps_find(maps, m->start - 1) == m)
			abort();
		prev_end = m->end;
	}
	if (iodbg_maps_get(maps, iodbg_maps_count(maps)))
		abort();
	iodbg_maps_free(maps);
	return 0;
}
