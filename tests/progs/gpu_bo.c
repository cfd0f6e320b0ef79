// SPDX-License-Identifier: GPL-2.0
/*
 * gpu_bo: a target process that creates gpu_sim buffer objects, maps them, fills each with a
 * pattern of its own through the mapping and waits for a debugger.
 *
 *   gpu_bo [-o | -O OPAGES] COUNT PAGES PLACEMENT [FLAGS]
 *                         (PLACEMENT: 1 VRAM, 2 GART, 3 system; FLAGS: GPU_SIM_CREATE_*)
 *
 * Prints one line per object, "bo index=I id=ID fd=FD addr=0xADDR size=BYTES", with -o then
 * "ordinary addr=0xADDR size=BYTES" for a buffer of ordinary memory the size of an object (the
 * 64-bit word at offset O holds O; with -O, of OPAGES pages), then "ready pid=PID addr=0xADDR size=BYTES" for the first
 * object, and serves commands on stdin:
 *   move I PLACEMENT     GPU_SIM_IOC_MOVE on object I; prints "ok" or "error ERRNO"
 *   read I OFFSET LENGTH print the bytes object I's mapping shows, as hex
 *   protect I            make object I's mapping read-only; prints "ok" or "error ERRNO"
 *   poke I OFFSET        write a byte at OFFSET of object I's mapping (after protect: a crash
 *                        on device memory, SIGSEGV there); prints "ok"
 *   time I OFFSET LENGTH CHUNK REPEAT read|write
 *                        time this program's own copy of that range of object I's mapping
 *                        (timecopy.h, make bench's ceiling); prints "ns T"
 *   quit                 exit 0
 * The pattern: the 64-bit word at byte offset O of object ID holds
 * GPU_PATTERN | ID << 32 | O.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/gpu_sim.h>
#include "hexline.h"
#include "timecopy.h"

#define GPU_PATTERN 0xb000000000000000ULL
#define MAX_BOS 64

struct bo {
	int fd;
	uint64_t id;
	size_t size;
	unsigned char *map;
};

static struct bo bos[MAX_BOS];

static int create_bo(int ctl, struct bo *bo, size_t size, unsigned int placement,
		     unsigned int flags)
{
	struct gpu_sim_create create = {
		.size = sizeof(create), .placement = placement, .bo_size = size, .flags = flags,
	};
	uint64_t *words;

	if (ioctl(ctl, GPU_SIM_IOC_CREATE, &create)) {
		perror("gpu_bo: GPU_SIM_IOC_CREATE");
		return -1;
	}
	bo->fd = create.fd;
	bo->id = create.id;
	bo->size = size;
	bo->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, bo->fd, 0);
	if (bo->map == MAP_FAILED) {
		perror("gpu_bo: mmap");
		return -1;
	}
	words = (uint64_t *)bo->map;
	for (size_t i = 0; i < size / sizeof(*words); i++)
		words[i] = GPU_PATTERN | bo->id << 32 | (i * sizeof(*words));
	return 0;
}

static void serve(int count)
{
	char line[128];

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long off, len;
		unsigned int placement;
		int i, n = 0;

		if (sscanf(line, "time %d %n", &i, &n) == 1 && n && i >= 0 && i < count) {
			timecopy_serve(bos[i].map, bos[i].size, line + n);
		} else if (sscanf(line, "move %d %u", &i, &placement) == 2 && i >= 0 && i < count) {
			struct gpu_sim_move move = { .size = sizeof(move), .placement = placement };

			if (ioctl(bos[i].fd, GPU_SIM_IOC_MOVE, &move))
				printf("error %d\n", errno);
			else
				printf("ok\n");
		} else if (sscanf(line, "read %d %lu %lu", &i, &off, &len) == 3 && i >= 0 &&
			   i < count && off <= bos[i].size && len <= bos[i].size - off) {
			print_hex_line(bos[i].map + off, len);
		} else if (sscanf(line, "protect %d", &i) == 1 && i >= 0 && i < count) {
			if (mprotect(bos[i].map, bos[i].size, PROT_READ))
				printf("error %d\n", errno);
			else
				printf("ok\n");
		} else if (sscanf(line, "poke %d %lu", &i, &off) == 2 && i >= 0 && i < count &&
			   off < bos[i].size) {
			((volatile unsigned char *)bos[i].map)[off] = 0;
			printf("ok\n");
		} else if (!strncmp(line, "quit", 4)) {
			return;
		} else {
			printf("error: bad command: %s", line);
		}
		fflush(stdout);
	}
}

/* A buffer of ordinary memory, for debuggers to compare an object with. */
static int map_ordinary(size_t size)
{
	uint64_t *words = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

	if (words == MAP_FAILED) {
		perror("gpu_bo: mmap");
		return -1;
	}
	for (size_t i = 0; i < size / sizeof(*words); i++)
		words[i] = i * sizeof(*words);
	printf("ordinary addr=%p size=%zu\n", (void *)words, size);
	return 0;
}

int main(int argc, char **argv)
{
	size_t ordinary = 0;	/* pages of the ordinary buffer; SIZE_MAX: an object's */
	int count, ctl, opt;
	size_t size;

	while ((opt = getopt(argc, argv, "oO:")) != -1) {
		if (opt == 'o')
			ordinary = SIZE_MAX;
		else if (opt == 'O')
			ordinary = strtoul(optarg, NULL, 0);
		else
			goto usage;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc != 4 && argc != 5)
		goto usage;
	count = atoi(argv[1]);
	size = strtoul(argv[2], NULL, 0) * sysconf(_SC_PAGESIZE);
	if (count < 1 || count > MAX_BOS)
		return 2;
	ctl = open("/dev/" GPU_SIM_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		perror("gpu_bo: /dev/" GPU_SIM_DEVICE_NAME);
		return 1;
	}
	for (int i = 0; i < count; i++) {
		if (create_bo(ctl, &bos[i], size, atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 0))
			return 1;
		printf("bo index=%d id=%llu fd=%d addr=%p size=%zu\n", i,
		       (unsigned long long)bos[i].id, bos[i].fd, (void *)bos[i].map, size);
	}
	if (ordinary && map_ordinary(ordinary == SIZE_MAX ? size :
				     ordinary * sysconf(_SC_PAGESIZE)))
		return 1;
	printf("ready pid=%d addr=%p size=%zu\n", getpid(), (void *)bos[0].map, size);
	fflush(stdout);
	serve(count);
	return 0;

usage:
	fprintf(stderr, "usage: gpu_bo [-o | -O PAGES] COUNT PAGES PLACEMENT [FLAGS]\n"
		"  -o: also an ordinary buffer the size of an object; -O: of PAGES pages\n");
	return 2;
}
