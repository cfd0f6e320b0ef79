// SPDX-License-Identifier: GPL-2.0
/*
 * scratch_map: a target process that maps an iodbg scratch object (a VM_IO | VM_PFNMAP
 * mapping), fills it with a known pattern through the mapping and waits for a debugger.
 *
 *   scratch_map [PAGES [access|noaccess|refuse|huge [nodump]]]
 *
 * With "noaccess" the mapping has no ->access (IODBG_SCRATCH_OFF_NO_ACCESS), as many drivers';
 * with "refuse" its ->access refuses (IODBG_SCRATCH_OFF_ACCESS_REFUSES);
 * with "huge" it is the test module's huge pfn mapping (IODBG_SCRATCH_OFF_HUGE), of the size
 * of a PMD leaf whatever PAGES says, which keeps the module's pattern: the process reads one
 * word of each page and prints "touched pages=N faults=F", F the page faults that took, before
 * "ready" (one fault for all pages means one entry maps them all);
 * with "nodump" the process makes itself non-dumpable, which denies ptrace to its own uid.
 * Prints "ready pid=PID addr=0xADDR size=BYTES" when the pattern is in place, then serves
 * commands on stdin, one a line, so that a test can see what the process itself sees:
 *   read OFFSET LENGTH   print the bytes at OFFSET in the mapping, as hex
 *   time OFFSET LENGTH CHUNK REPEAT read|write
 *                        time this program's own copy of that range of the mapping
 *                        (timecopy.h, make bench's ceiling); print "ns T"
 *   quit                 exit 0
 * The pattern: the 64-bit word at byte offset O holds SCRATCH_PATTERN + O.
 * The page after the mapping is left unmapped, so that a read running past the end of the
 * mapping meets a hole rather than whatever the kernel would place next to it.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/iodbg_test.h>
#include "hexline.h"
#include "timecopy.h"

#define SCRATCH_PATTERN 0x10db000000000000ULL

static void serve(unsigned char *map, size_t size)
{
	char line[128];

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long off, len;

		if (!strncmp(line, "time ", 5)) {
			timecopy_serve(map, size, line + 5);
		} else if (sscanf(line, "read %lu %lu", &off, &len) == 2 && off <= size &&
			   len <= size - off) {
			print_hex_line(map + off, len);
		} else if (!strncmp(line, "quit", 4)) {
			return;
		} else {
			printf("error: bad command: %s", line);
		}
		fflush(stdout);
	}
}

/* The size of a PMD leaf, which the huge mapping has and must be aligned to. */
static size_t pmd_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");
	unsigned long size = 0;

	if (!f || fscanf(f, "%lu", &size) != 1)
		size = 0;
	if (f)
		fclose(f);
	return size;
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Read one word of each page of the huge mapping, as its first user would. */
static void touch_huge(const volatile uint64_t *words, size_t size)
{
	size_t stride = sysconf(_SC_PAGESIZE) / sizeof(*words);
	long before = minor_faults();

	for (size_t i = 0; i < size / sizeof(*words); i += stride)
		(void)words[i];
	printf("touched pages=%zu faults=%ld\n", size / sysconf(_SC_PAGESIZE),
	       minor_faults() - before);
}

int main(int argc, char **argv)
{
	long pages = argc > 1 ? strtol(argv[1], NULL, 0) : 4;
	const char *variant = argc > 2 ? argv[2] : "access";
	off_t offset = !strcmp(variant, "noaccess") ? IODBG_SCRATCH_OFF_NO_ACCESS :
		       !strcmp(variant, "refuse") ? IODBG_SCRATCH_OFF_ACCESS_REFUSES :
		       !strcmp(variant, "huge") ? IODBG_SCRATCH_OFF_HUGE :
						    IODBG_SCRATCH_OFF_ACCESS;
	bool huge = offset == IODBG_SCRATCH_OFF_HUGE;
	size_t size = huge ? pmd_size() : (size_t)pages * sysconf(_SC_PAGESIZE);
	/* The huge mapping needs an address aligned to its size: reserve twice as much. */
	size_t reserve = huge ? 2 * size : size + sysconf(_SC_PAGESIZE);
	uint64_t *words;
	char *area, *at;
	int fd;

	if (argc > 3 && !strcmp(argv[3], "nodump"))
		prctl(PR_SET_DUMPABLE, 0);
	fd = open("/dev/iodbg_test", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("scratch_map: /dev/iodbg_test");
		return 1;
	}
	if (!size) {
		fprintf(stderr, "scratch_map: no PMD leaf size: no transparent huge pages\n");
		return 1;
	}
	area = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		perror("scratch_map: mmap");
		return 1;
	}
	at = huge ? (char *)(((uintptr_t)area + size - 1) & ~(uintptr_t)(size - 1)) : area;
	words = mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, offset);
	if (words == MAP_FAILED) {
		perror("scratch_map: mmap /dev/iodbg_test");
		return 1;
	}
	/* Holes around the mapping: the rest of the reservation, at least a page after it. */
	if (at > area)
		munmap(area, at - area);
	munmap(at + size, area + reserve - (at + size));
	if (huge) {
		touch_huge(words, size);
	} else {
		for (size_t i = 0; i < size / sizeof(*words); i++)
			words[i] = SCRATCH_PATTERN + i * sizeof(*words);
	}

	printf("ready pid=%d addr=%p size=%zu\n", getpid(), (void *)words, size);
	fflush(stdout);
	serve((unsigned char *)words, size);
	return 0;
}
