// SPDX-License-Identifier: GPL-2.0
/*
 * many_maps: a target process with as many mappings and iodbg objects as a large GPU program
 * or a browser has, for the scale tests and benchmarks.
 *
 *   many_maps MAPPINGS OBJECTS HELD
 *
 * Makes MAPPINGS ordinary one-page mappings, alternately read-only and read-write so that no
 * two merge; OBJECTS gpu_sim buffer objects of one page in system memory, each mapped, its
 * file closed (as a GPU program's buffers are GEM handles, not files); and HELD more whose
 * files it keeps open without mapping them. Prints "mapped id=ID addr=0xADDR" per mapped
 * object and "held id=ID fd=FD" per held one, then "ready pid=PID addr=0xADDR size=BYTES"
 * for the ordinary mappings, and exits at "quit" or the end of stdin.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/gpu_sim.h>

static int create_bo(int ctl, size_t size, uint64_t *id)
{
	struct gpu_sim_create create = {
		.size = sizeof(create), .placement = IODBG_PLACEMENT_SYSTEM, .bo_size = size,
	};

	if (ioctl(ctl, GPU_SIM_IOC_CREATE, &create)) {
		perror("many_maps: GPU_SIM_IOC_CREATE");
		return -1;
	}
	*id = create.id;
	return create.fd;
}

/* @count one-page mappings in a row, which differ in protection from their neighbours. */
static char *map_ordinary(size_t count, size_t page)
{
	char *base = mmap(NULL, count * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED) {
		perror("many_maps: mmap");
		return NULL;
	}
	for (size_t i = 1; i < count; i += 2)
		if (mprotect(base + i * page, page, PROT_READ | PROT_WRITE)) {
			perror("many_maps: mprotect");
			return NULL;
		}
	return base;
}

static int map_objects(int ctl, long mapped, long held, size_t page)
{
	struct rlimit nofile;

	/* The held files need descriptors; raise the soft limit as far as the hard one. */
	if (!getrlimit(RLIMIT_NOFILE, &nofile)) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	for (long i = 0; i < mapped + held; i++) {
		uint64_t id;
		void *addr;
		int fd = create_bo(ctl, page, &id);

		if (fd < 0)
			return -1;
		if (i >= mapped) {
			printf("held id=%llu fd=%d\n", (unsigned long long)id, fd);
			continue;
		}
		addr = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (addr == MAP_FAILED) {
			perror("many_maps: mmap of a buffer object");
			return -1;
		}
		close(fd);
		printf("mapped id=%llu addr=%p\n", (unsigned long long)id, addr);
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t page = sysconf(_SC_PAGESIZE);
	long mappings, objects, held;
	char line[64], *base;
	int ctl = -1;

	if (argc != 4) {
		fprintf(stderr, "usage: many_maps MAPPINGS OBJECTS HELD\n");
		return 2;
	}
	mappings = atol(argv[1]);
	objects = atol(argv[2]);
	held = atol(argv[3]);
	if (mappings < 1 || objects < 0 || held < 0)
		return 2;
	base = map_ordinary(mappings, page);
	if (!base)
		return 1;
	if (objects || held) {
		ctl = open("/dev/" GPU_SIM_DEVICE_NAME, O_RDWR | O_CLOEXEC);
		if (ctl < 0) {
			perror("many_maps: /dev/" GPU_SIM_DEVICE_NAME);
			return 1;
		}
		if (map_objects(ctl, objects, held, page))
			return 1;
	}
	printf("ready pid=%d addr=%p size=%zu\n", getpid(), (void *)base, mappings * page);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) && strncmp(line, "quit", 4))
		;
	return 0;
}
