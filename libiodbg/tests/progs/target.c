// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * target: a process whose ordinary memory the libiodbg host tests read and write.
 *
 *   target [DIR]     (DIR: where to create the file of the "file" region; default /tmp)
 *
 * Prints "ready pid=PID", then "region NAME ADDR SIZE" for each region, then "end". Byte i
 * of region number r holds (37 r + 7 i + (i >> 8)) & 0xff. Each region sits between two
 * PROT_NONE pages, so that the kernel merges it with no neighbouring mapping:
 *   two     2 pages, rw- then r--: two mappings side by side
 *   guard   3 pages, rw-, PROT_NONE, rw-
 *   hole    3 pages, rw-, nothing, rw-
 *   big     8 MiB rw-: more than one batch of process_vm_readv iovecs
 *   file    1 page MAP_SHARED of a file whose name has spaces, deleted once mapped
 * Then serves commands on stdin, one a line:
 *   peek ADDR LEN   print the LEN bytes at hexadecimal ADDR, as hex, as this process sees them
 *   unmap ADDR LEN  munmap LEN bytes at hexadecimal ADDR; print "ok"
 *   churn N         start a thread that keeps splitting and merging N pairs of mappings (its
 *                   second half's protection flips, so the kernel merges it with the first
 *                   and splits it again); print "ok"
 *   quit            exit 0
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* @pages pages with a PROT_NONE page on each side. */
static unsigned char *reserve(size_t pages)
{
	unsigned char *p = mmap(NULL, (pages + 2) * page, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	p += page;
	if (mmap(p, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		die("mmap");
	return p;
}

static void fill(unsigned char *p, size_t size, unsigned int region)
{
	for (size_t i = 0; i < size; i++)
		p[i] = (37 * region + 7 * i + (i >> 8)) & 0xff;
}

static unsigned char *file_region(const char *dir)
{
	char name[4096];
	unsigned char *p;
	int fd;

	snprintf(name, sizeof(name), "%s/iodbg target file XXXXXX", dir);
	fd = mkstemp(name);
	if (fd < 0)
		die(name);
	if (ftruncate(fd, page))
		die("ftruncate");
	p = reserve(1);
	if (mmap(p, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
		die("mmap file");
	unlink(name);
	close(fd);
	return p;
}

struct churn {
	unsigned char *p;
	unsigned long pairs;
};

/* Each pair: 2 pages rw-, 2 pages flipping between r-- and rw-, then a PROT_NONE page. */
static void *churn(void *arg)
{
	const struct churn *c = arg;

	for (int prot = PROT_READ;; prot ^= PROT_WRITE)
		for (unsigned long i = 0; i < c->pairs; i++)
			if (mprotect(c->p + i * 5 * page + 2 * page, 2 * page, prot))
				die("mprotect");
	return NULL;
}

static void start_churn(unsigned long pairs)
{
	static struct churn c;
	pthread_t thread;

	c.pairs = pairs;
	c.p = reserve(5 * pairs);
	for (unsigned long i = 0; i < pairs; i++)
		if (mprotect(c.p + i * 5 * page + 4 * page, page, PROT_NONE))
			die("mprotect");
	if (pthread_create(&thread, NULL, churn, &c))
		die("pthread_create");
}

static void serve(void)
{
	char line[256];

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long addr, len;

		if (sscanf(line, "unmap %lx %lu", &addr, &len) == 2) {
			if (munmap((void *)addr, len))
				die("munmap");
			printf("ok\n");
		} else if (sscanf(line, "churn %lu", &len) == 1) {
			start_churn(len);
			printf("ok\n");
		} else if (sscanf(line, "peek %lx %lu", &addr, &len) == 2) {
			for (unsigned long i = 0; i < len; i++)
				printf("%02x", ((unsigned char *)addr)[i]);
			printf("\n");
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
	struct {
		const char *name;
		unsigned char *p;
		size_t size;
	} r[5];
	unsigned char *p;

	page = sysconf(_SC_PAGESIZE);
	r[0] = (typeof(r[0])){ "two", reserve(2), 2 * page };
	r[1] = (typeof(r[0])){ "guard", reserve(3), 3 * page };
	r[2] = (typeof(r[0])){ "hole", reserve(3), 3 * page };
	r[3] = (typeof(r[0])){ "big", reserve((8 << 20) / page), 8 << 20 };
	r[4] = (typeof(r[0])){ "file", file_region(argc > 1 ? argv[1] : "/tmp"), page };
	for (unsigned int i = 0; i < 5; i++)
		fill(r[i].p, r[i].size, i);

	p = r[0].p;
	if (mprotect(p + page, page, PROT_READ))
		die("mprotect");
	p = r[1].p;
	if (mprotect(p + page, page, PROT_NONE))
		die("mprotect");
	p = r[2].p;
	if (munmap(p + page, page))
		die("munmap");

	printf("ready pid=%d\n", getpid());
	for (unsigned int i = 0; i < 5; i++)
		printf("region %s %p %zu\n", r[i].name, (void *)r[i].p, r[i].size);
	printf("end\n");
	fflush(stdout);
	serve();
	return 0;
}
