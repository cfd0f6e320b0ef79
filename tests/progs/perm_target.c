// SPDX-License-Identifier: GPL-2.0
/*
 * perm_target: a target process for the permission tests (tests/permissions). It maps one of
 * each kind of device memory a debugger may be asked for, fills each with a pattern through
 * its mapping, optionally makes itself harder to debug, and waits.
 *
 *   perm_target [nodump] [ptracer=PID] [drop]
 *
 *   nodump       prctl(PR_SET_DUMPABLE, 0): ptrace is refused to its own uid
 *   ptracer=PID  prctl(PR_SET_PTRACER, PID): under Yama scope 1, PID and its descendants may
 *                attach
 *   drop         for a setuid copy: once the objects exist, set every uid and gid back to the
 *                real ones (the user who ran it), as a setuid program that drops its
 *                privileges does; the credential change leaves the process non-dumpable
 *
 * The memory:
 *   bo       a gpu_sim buffer object in VRAM (one page): the word at offset O holds
 *            GPU_PATTERN | ID << 32 | O
 *   ls       an spu_sim context's local store, which keeps running: below SPU_SIM_LS_COUNTER
 *            the word at offset O holds SPU_PATTERN | ID << 32 | O
 *   scratch  a scratch object of /dev/iodbg_test without ->access (one page), as many
 *            drivers' mappings: the word at offset O holds SCRATCH_PATTERN + O
 *
 * Prints "bo id=ID fd=FD addr=0xADDR size=BYTES", "ls id=ID fd=FD addr=0xADDR size=BYTES",
 * "scratch addr=0xADDR size=BYTES", "creds uid=U euid=U suid=U gid=G dumpable=D", then
 * "ready pid=PID addr=0xADDR size=BYTES" (the buffer object's mapping) and serves commands on
 * stdin, so that a test sees what the process itself sees:
 *   read bo|ls|scratch OFFSET LENGTH   print those bytes of that mapping, as hex
 *   poke bo|ls|scratch OFFSET HEX      write those bytes there; print "ok"
 *   quit                               exit 0
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/gpu_sim.h>
#include <linux/iodbg_test.h>
#include <linux/spu_sim.h>
#include "hexline.h"

#define GPU_PATTERN 0xb000000000000000ULL
#define SPU_PATTERN 0x5000000000000000ULL
#define SCRATCH_PATTERN 0x10db000000000000ULL

struct area {
	const char *name;
	unsigned char *map;
	size_t size;
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int open_dev(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(path);
	return fd;
}

static void *map_shared(int fd, size_t size, off_t offset)
{
	void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);

	if (map == MAP_FAILED)
		die("perm_target: mmap");
	return map;
}

static void fill(void *map, size_t size, uint64_t base, uint64_t step)
{
	uint64_t *words = map;

	for (size_t i = 0; i < size / sizeof(*words); i++)
		words[i] = base + i * sizeof(*words) * step;
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Write the bytes @hex spells at @off of @a; false if it is no hex or does not fit. */
static int poke(struct area *a, unsigned long off, const char *hex)
{
	size_t len = strlen(hex) / 2;

	if (strlen(hex) % 2 || off > a->size || len > a->size - off)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		a->map[off + i] = hi << 4 | lo;
	}
	return 1;
}

static struct area *find_area(struct area *areas, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		if (!strcmp(areas[i].name, name))
			return &areas[i];
	return NULL;
}

static void serve(struct area *areas, int count)
{
	char line[256], cmd[8], name[16], hex[129];

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long off, len;
		struct area *a;
		int n;

		if (!strncmp(line, "quit", 4))
			return;
		n = sscanf(line, "%7s %15s %lu %128s", cmd, name, &off, hex);
		a = n == 4 ? find_area(areas, count, name) : NULL;
		if (a && !strcmp(cmd, "read") && sscanf(hex, "%lu", &len) == 1 &&
		    off <= a->size && len <= a->size - off)
			print_hex_line(a->map + off, len);
		else if (a && !strcmp(cmd, "poke") && poke(a, off, hex))
			printf("ok\n");
		else
			printf("error: bad command: %s", line);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct gpu_sim_create bo = {
		.size = sizeof(bo), .placement = IODBG_PLACEMENT_DEVICE,
	};
	struct spu_sim_create ctx = { .size = sizeof(ctx) };
	long page = sysconf(_SC_PAGESIZE);
	int nodump = 0, drop = 0, ctl;
	long ptracer = 0;
	struct area areas[3];
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "nodump")) {
			nodump = 1;
		} else if (!strncmp(argv[i], "ptracer=", 8)) {
			ptracer = strtol(argv[i] + 8, NULL, 10);
		} else if (!strcmp(argv[i], "drop")) {
			drop = 1;
		} else {
			fprintf(stderr, "usage: perm_target [nodump] [ptracer=PID] [drop]\n");
			return 2;
		}
	}

	bo.bo_size = page;
	ctl = open_dev(GPU_SIM_DEVICE_NAME);
	if (ioctl(ctl, GPU_SIM_IOC_CREATE, &bo))
		die("perm_target: GPU_SIM_IOC_CREATE");
	close(ctl);
	areas[0] = (struct area){ "bo", map_shared(bo.fd, page, 0), page };
	fill(areas[0].map, page, GPU_PATTERN | bo.id << 32, 1);

	ctl = open_dev(SPU_SIM_DEVICE_NAME);
	if (ioctl(ctl, SPU_SIM_IOC_CREATE, &ctx))
		die("perm_target: SPU_SIM_IOC_CREATE");
	close(ctl);
	areas[1] = (struct area){ "ls", map_shared(ctx.ls_fd, SPU_SIM_LS_SIZE, 0),
				  SPU_SIM_LS_SIZE };
	fill(areas[1].map, SPU_SIM_LS_COUNTER, SPU_PATTERN | ctx.ls_id << 32, 1);

	ctl = open_dev(IODBG_TEST_DEVICE_NAME);
	areas[2] = (struct area){ "scratch",
				  map_shared(ctl, page, IODBG_SCRATCH_OFF_NO_ACCESS), page };
	close(ctl);
	fill(areas[2].map, page, SCRATCH_PATTERN, 1);

	if (drop && (setresgid(getgid(), getgid(), getgid()) ||
		     setresuid(getuid(), getuid(), getuid())))
		die("perm_target: dropping privileges");
	if (nodump && prctl(PR_SET_DUMPABLE, 0))
		die("perm_target: PR_SET_DUMPABLE");
	if (ptracer && prctl(PR_SET_PTRACER, ptracer))
		die("perm_target: PR_SET_PTRACER");

	getresuid(&ruid, &euid, &suid);
	getresgid(&rgid, &egid, &sgid);
	printf("bo id=%llu fd=%d addr=%p size=%ld\n", (unsigned long long)bo.id, bo.fd,
	       (void *)areas[0].map, page);
	printf("ls id=%llu fd=%d addr=%p size=%u\n", (unsigned long long)ctx.ls_id, ctx.ls_fd,
	       (void *)areas[1].map, SPU_SIM_LS_SIZE);
	printf("scratch addr=%p size=%ld\n", (void *)areas[2].map, page);
	printf("creds uid=%d euid=%d suid=%d gid=%d dumpable=%d\n", (int)ruid, (int)euid,
	       (int)suid, (int)egid, prctl(PR_GET_DUMPABLE));
	printf("ready pid=%d addr=%p size=%ld\n", getpid(), (void *)areas[0].map, page);
	fflush(stdout);
	serve(areas, 3);
	return 0;
}
