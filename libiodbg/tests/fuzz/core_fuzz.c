// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target of the core reader: the input is a core file. Beyond "no crash, no leak,
 * no undefined behaviour", it checks what callers rely on: a failed open says why and leaves
 * no core behind, reads never return more than asked, and every object listed can be asked
 * for its bytes (at its start, its end and where it is mapped).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iodbg/iodbg.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes per read: enough to cross a segment or note boundary now and then. */
#define READ_MAX 8192

static void check_read(ssize_t n, size_t asked)
{
	if (n > (ssize_t)asked || (n < 0 && !*iodbg_errmsg(NULL)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[READ_MAX];
	static char path[64];
	static int fd = -1;
	struct iodbg_core *core = (struct iodbg_core *)1;
	struct iodbg_objects *objs;
	uint64_t addr = 0;

	/* iodbg_core_open takes a path: a memory file's, rewritten for each input. */
	if (fd < 0) {
		fd = memfd_create("core", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	if (iodbg_core_open(path, &core)) {
		if (core || !*iodbg_errmsg(NULL))
			abort();
		return 0;
	}
	iodbg_core_pid(core);
	if (size >= 8)
		memcpy(&addr, data + size - 8, sizeof(addr));
	check_read(iodbg_core_read(core, addr, buf, sizeof(buf)), sizeof(buf));
	if (!iodbg_core_objects(core, &objs)) {
		for (size_t i = 0; i < iodbg_objects_count(objs); i++) {
			const struct iodbg_object *ob = iodbg_objects_get(objs, i);

			if (iodbg_objects_find(objs, ob->id) == NULL)
				abort();
			check_read(iodbg_core_object_read(core, ob->id, 0, buf, sizeof(buf)),
				   sizeof(buf));
			if (ob->size)
				check_read(iodbg_core_object_read(core, ob->id, ob->size - 1, buf,
								  sizeof(buf)), 1);
			if (ob->length)
				check_read(iodbg_core_read(core, ob->start, buf, sizeof(buf)),
					   sizeof(buf));
		}
		iodbg_objects_free(objs);
	}
	iodbg_core_close(core);
	return 0;
}
