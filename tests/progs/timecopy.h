/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The answer the target programs give to "time": how fast the program itself moves the bytes
 * of its own mapping, the ceiling make bench measures each debugger path against
 * (tests/bench/README.md). The program copies the range between its mapping and a buffer of
 * ordinary memory of its own, as a debugger's path copies between the object and the
 * debugger's buffer, in 64-bit loads and stores (device memory decodes words), one call per
 * chunk as the debugger makes one system call per chunk. It times itself, so that no pipe or
 * scheduler wake-up counts; bench_rw.c times the debugger's side the same way, with the
 * helpers here.
 */
#ifndef TESTS_PROGS_TIMECOPY_H
#define TESTS_PROGS_TIMECOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t timecopy_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

/*
 * Flush this CPU's TLB, by an mprotect() of more pages than the kernel invalidates one at a
 * time; every pass starts with one, untimed. QEMU's TCG grows its software TLB only when the
 * guest flushes it, so a loop that never flushes keeps the small TLB it started with and pays
 * a page walk for every page; after a flush the TLB has grown to what the last pass used.
 */
static inline void timecopy_flush_tlb(void)
{
	static size_t size;
	static char *area;

	if (!area) {
		size = 64 * sysconf(_SC_PAGESIZE);
		area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (area == MAP_FAILED) {
			area = NULL;
			return;
		}
		memset(area, 1, size);
	}
	mprotect(area, size, PROT_READ);
	mprotect(area, size, PROT_READ | PROT_WRITE);
}

/*
 * The best times of the chunks of a range over several passes. The machine is shared: a long
 * pass is nearly always interrupted somewhere, a chunk's call seldom is; the figure is the sum
 * over the chunks of each one's fastest call, a pass with no interruption.
 */
struct timecopy_best {
	size_t chunks;
	uint64_t *ns;
};

static inline bool timecopy_best_init(struct timecopy_best *b, size_t len, size_t chunk)
{
	b->chunks = (len + chunk - 1) / chunk;
	b->ns = malloc(b->chunks * sizeof(*b->ns));
	if (!b->ns)
		return false;
	memset(b->ns, 0xff, b->chunks * sizeof(*b->ns));
	return true;
}

static inline void timecopy_best_add(struct timecopy_best *b, size_t i, uint64_t ns)
{
	if (ns < b->ns[i])
		b->ns[i] = ns;
}

/* Prints "ns T" and frees @b. */
static inline void timecopy_best_print(struct timecopy_best *b)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < b->chunks; i++)
		sum += b->ns[i];
	printf("ns %llu\n", (unsigned long long)sum);
	free(b->ns);
}

/* The words of one chunk: the mapping's accesses are volatile, so they stay single loads. */
static __attribute__((noinline)) void timecopy_chunk(volatile uint64_t *map, uint64_t *buf,
						       size_t words, bool write)
{
	if (write)
		for (size_t i = 0; i < words; i++)
			map[i] = buf[i];
	else
		for (size_t i = 0; i < words; i++)
			buf[i] = map[i];
}

static void timecopy_pass(unsigned char *map, uint64_t *buf, size_t len, size_t chunk,
			  bool write, struct timecopy_best *best)
{
	timecopy_flush_tlb();
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		uint64_t start = timecopy_now();

		timecopy_chunk((volatile uint64_t *)(map + off), buf + off / 8, n / 8, write);
		if (best)
			timecopy_best_add(best, off / chunk, timecopy_now() - start);
	}
}

/*
 * Where in @area the copy of @src starts: at the same offset in a page, an odd number of pages
 * away. TCG's software TLB is direct-mapped (page number modulo its size, a power of two), and
 * a buffer mapped next to an object of its size would put every page of the two in one slot,
 * each load evicting the other's entry; no hardware TLB behaves so.
 */
static inline uint64_t *timecopy_dst(unsigned char *area, const unsigned char *src)
{
	uintptr_t page = sysconf(_SC_PAGESIZE);
	uintptr_t dst = (uintptr_t)area + ((uintptr_t)src & (page - 1));

	if (!(((uintptr_t)src / page - dst / page) & 1))
		dst += page;
	return (uint64_t *)dst;
}

/*
 * Time this program's copy of [@off, @off + @len) of @map (@size bytes), @chunk bytes a call:
 * one untimed read pass (it faults the buffer and the mapping in, and gives a write pass the
 * bytes the mapping holds, so that writing leaves them as they were), then @repeat timed passes
 * in the direction asked. Returns the sum of the chunks' best times in ns, 0 for a bad request
 * and UINT64_MAX without memory. Also for a debugger's "call", whose target is stopped for it:
 * bench_gdb.py times the ceiling so in the same gdb session as the dumps.
 */
static __attribute__((used, noinline)) uint64_t timecopy_time(unsigned char *map, size_t size,
							      size_t off, size_t len, size_t chunk,
							      size_t repeat, int write)
{
	static unsigned char *area;
	static size_t area_size;
	struct timecopy_best best;
	uint64_t sum = 0;
	uint64_t *buf;

	if (!map || off > size || len > size - off || !len || !chunk || !repeat ||
	    (off | len | chunk) % 8)
		return 0;
	if (len + 2 * sysconf(_SC_PAGESIZE) > area_size) {
		if (area)
			munmap(area, area_size);
		area_size = len + 2 * sysconf(_SC_PAGESIZE);
		area = mmap(NULL, area_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
		if (area == MAP_FAILED) {
			area = NULL;
			area_size = 0;
		}
	}
	if (!area || !timecopy_best_init(&best, len, chunk))
		return UINT64_MAX;
	buf = timecopy_dst(area, map + off);
	timecopy_pass(map + off, buf, len, chunk, false, NULL);
	while (repeat--)
		timecopy_pass(map + off, buf, len, chunk, write, &best);
	for (size_t i = 0; i < best.chunks; i++)
		sum += best.ns[i];
	free(best.ns);
	return sum ? sum : 1;
}

/*
 * "time OFFSET LENGTH CHUNK REPEAT read|write" on @map of @size bytes: timecopy_time(); prints
 * "ns T" or "error: ...".
 */
static inline void timecopy_serve(unsigned char *map, size_t size, const char *line)
{
	unsigned long off, len, chunk, repeat;
	uint64_t ns;
	char dir[8];

	if (sscanf(line, "%lu %lu %lu %lu %7s", &off, &len, &chunk, &repeat, dir) != 5 ||
	    (strcmp(dir, "read") && strcmp(dir, "write"))) {
		printf("error: bad time request: %s", line);
		return;
	}
	ns = timecopy_time(map, size, off, len, chunk, repeat, !strcmp(dir, "write"));
	if (!ns)
		printf("error: bad time request: %s", line);
	else if (ns == UINT64_MAX)
		printf("error: out of memory\n");
	else
		printf("ns %llu\n", (unsigned long long)ns);
}

#endif
