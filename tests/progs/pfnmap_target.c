// SPDX-License-Identifier: GPL-2.0
/*
 * pfnmap_target: a target process that maps shapes of /dev/pfnmap_shapes (the test-only
 * module kernel/tests/pfnmap_shapes.c, not built on iodbg) and waits for a debugger.
 *
 *   pfnmap_target PAGES SHAPE[:ro]...
 *
 * SHAPE is ram, mmio, ram_gaps or mmio_gaps (uapi/linux/pfnmap_shapes.h); each is mapped
 * MAP_SHARED, PAGES pages, readable and writable, or read-only with ":ro", with an unmapped
 * page after it, so that a read running past its end meets a hole. The module fills the
 * pages. The process also reads the first page of its own [vvar], so that the kernel maps
 * it, and lets any process of its uid trace it (PR_SET_PTRACER_ANY), so that a debugger
 * need not be its parent under Yama's ptrace_scope 1.
 *
 * Prints "map I SHAPE addr=0xADDR size=BYTES" for the I-th shape, "vvar addr=0xADDR
 * size=BYTES", then "ready pid=PID addr=0xADDR size=BYTES" (the first shape's), then serves
 * commands on stdin, one a line, so that a test can see what the process itself sees:
 *   read I OFFSET LENGTH   print the bytes at OFFSET in the I-th mapping, as hex
 *   vvar OFFSET LENGTH     the same of the first page of [vvar]
 *   quit                   exit 0
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/pfnmap_shapes.h>
#include "hexline.h"

#define MAX_MAPS 8

struct shape {
	const char *name;
	unsigned long long offset;
};

static const struct shape shapes[] = {
	{ "ram", PFNMAP_SHAPES_OFF_RAM },
	{ "mmio", PFNMAP_SHAPES_OFF_MMIO },
	{ "ram_gaps", PFNMAP_SHAPES_OFF_RAM_GAPS },
	{ "mmio_gaps", PFNMAP_SHAPES_OFF_MMIO_GAPS },
};

struct area {
	unsigned char *addr;
	size_t size;
};

/* Map one shape, given as NAME or NAME:ro, with a hole page after it. */
static int map_shape(int fd, const char *arg, size_t size, struct area *area)
{
	size_t page = sysconf(_SC_PAGESIZE), len = strcspn(arg, ":");
	bool ro = !strcmp(arg + len, ":ro");
	const struct shape *shape = NULL;
	char *reserve;
	void *map;

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (strlen(shapes[i].name) == len && !strncmp(shapes[i].name, arg, len))
			shape = &shapes[i];
	if (!shape || (arg[len] && !ro)) {
		fprintf(stderr, "pfnmap_target: unknown shape %s\n", arg);
		return -1;
	}
	reserve = mmap(NULL, size + page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (reserve == MAP_FAILED) {
		perror("pfnmap_target: mmap");
		return -1;
	}
	map = mmap(reserve, size, ro ? PROT_READ : PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_FIXED, fd, shape->offset);
	if (map == MAP_FAILED) {
		fprintf(stderr, "pfnmap_target: mmap /dev/%s %s: %s\n",
			PFNMAP_SHAPES_DEVICE_NAME, arg, strerror(errno));
		return -1;
	}
	munmap(reserve + size, page);
	area->addr = map;
	area->size = size;
	return 0;
}

/* The first page of this process's [vvar], read once so that the kernel maps it. */
static int find_vvar(struct area *vvar)
{
	unsigned long start, end;
	char line[256];
	FILE *maps = fopen("/proc/self/maps", "r");
	struct timespec ts;
	int found = -1;

	if (!maps)
		return -1;
	while (fgets(line, sizeof(line), maps)) {
		if (strstr(line, "[vvar]") && sscanf(line, "%lx-%lx", &start, &end) == 2) {
			vvar->addr = (unsigned char *)start;
			vvar->size = end - start;
			found = 0;
		}
	}
	fclose(maps);
	if (found)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);	/* reads [vvar] through the vDSO */
	(void)*(volatile unsigned char *)vvar->addr;
	return 0;
}

static void serve(const struct area *areas, int nareas, const struct area *vvar)
{
	size_t page = sysconf(_SC_PAGESIZE);
	char line[128];

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long off, len;
		int i;

		if (sscanf(line, "read %d %lu %lu", &i, &off, &len) == 3 && i >= 0 &&
		    i < nareas && off <= areas[i].size && len <= areas[i].size - off) {
			print_hex_line(areas[i].addr + off, len);
		} else if (sscanf(line, "vvar %lu %lu", &off, &len) == 2 && off <= page &&
			   len <= page - off) {
			print_hex_line(vvar->addr + off, len);
		} else if (!strncmp(line, "quit", 4)) {
			return;
		} else {
			printf("error: bad command: %s", line);
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct area areas[MAX_MAPS], vvar = { 0 };
	int fd, nareas = argc - 2;
	size_t size;

	if (argc < 3 || nareas > MAX_MAPS) {
		fprintf(stderr, "usage: pfnmap_target PAGES SHAPE[:ro]... (at most %d)\n",
			MAX_MAPS);
		return 2;
	}
	size = strtoul(argv[1], NULL, 0) * sysconf(_SC_PAGESIZE);
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
	fd = open("/dev/" PFNMAP_SHAPES_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("pfnmap_target: /dev/" PFNMAP_SHAPES_DEVICE_NAME);
		return 1;
	}
	for (int i = 0; i < nareas; i++) {
		if (map_shape(fd, argv[i + 2], size, &areas[i]))
			return 1;
		printf("map %d %s addr=%p size=%zu\n", i, argv[i + 2], (void *)areas[i].addr,
		       areas[i].size);
	}
	if (find_vvar(&vvar)) {
		fprintf(stderr, "pfnmap_target: no [vvar] in /proc/self/maps\n");
		return 1;
	}
	printf("vvar addr=%p size=%zu\n", (void *)vvar.addr, vvar.size);
	printf("ready pid=%d addr=%p size=%zu\n", getpid(), (void *)areas[0].addr, areas[0].size);
	fflush(stdout);
	serve(areas, nareas, &vvar);
	return 0;
}
