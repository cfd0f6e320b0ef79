// SPDX-License-Identifier: GPL-2.0
/*
 * bench_rw: the debugger's side of make bench: moves a range of another process's memory
 * through one path, as a debugger's loop does, and times itself (the targets time their own
 * copy the same way, timecopy.h; tests/bench/README.md says why in-process).
 *
 *   bench_rw PID
 *	serves commands on stdin:
 *	time PATH ADDR LENGTH CHUNK REPEAT read|write [FIRST]
 *		one untimed read pass of LENGTH bytes at ADDR, CHUNK bytes a call, into a buffer
 *		of LENGTH bytes (checked, with FIRST, against a pattern whose 64-bit word at
 *		byte offset O of the range holds FIRST + O), then REPEAT timed passes in the
 *		direction asked (a write writes back what the read found), then, after writes,
 *		a checked read pass; prints "ns T", the fastest timed pass, or "error ..."
 *   bench_rw --once PID PATH ADDR LENGTH CHUNK
 *	one read pass through a buffer of CHUNK bytes, the bytes discarded: the least a
 *	command that reads a range can do, for `iodbg read -o /dev/null` to be timed against;
 *	nothing else, not even the TLB flush that starts the passes of "time"
 *
 * PATH: mem (pread/pwrite of /proc/PID/mem), rw-addr (IODBG_IOC_RW_ADDR), generic
 * (RW_ADDR with IODBG_RW_GENERIC), generic-mmio[:WIDTH] (with IODBG_RW_ALLOW_MMIO too, WIDTH
 * bytes per MMIO access, default the module's), object:FD (IODBG_IOC_RW_OBJECT on a copy of
 * the target's descriptor FD, pidfd_getfd(); ADDR is an offset in the object), or
 * libiodbg:POLICY (iodbg_read()/iodbg_write() of a target handle opened once, with
 * iodbg_set_path() POLICY: auto, proc_mem or ioctl), for the library's cost over the system
 * calls it makes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/iodbg.h>
#include <iodbg/iodbg.h>
#include "timecopy.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

struct path {
	int fd;			/* /proc/PID/mem, /dev/iodbg or the object's file */
	unsigned long request;	/* 0 for /proc/PID/mem */
	uint32_t flags;
	uint32_t width;
	struct iodbg_target *lib;	/* libiodbg:POLICY */
};

static pid_t pid;
static int mem_fd = -1, iodbg_fd = -1, pidfd = -1;
static struct iodbg_target *lib_target;

static const struct {
	const char *name;
	int path;
} lib_policies[] = {
	{ "auto", IODBG_PATH_AUTO }, { "proc_mem", IODBG_PATH_PROC_MEM },
	{ "ioctl", IODBG_PATH_IOCTL },
};

static int open_once(int *fd, const char *path)
{
	if (*fd < 0)
		*fd = open(path, O_RDWR | O_CLOEXEC);
	return *fd;
}

/* The path @name names, opened; false (with the message printed) if it cannot be. */
static bool path_open(const char *name, struct path *p)
{
	char file[64];
	unsigned int arg;

	memset(p, 0, sizeof(*p));
	if (!strncmp(name, "libiodbg:", 9)) {
		size_t i = 0;

		while (i < sizeof(lib_policies) / sizeof(lib_policies[0]) &&
		       strcmp(name + 9, lib_policies[i].name))
			i++;
		if (i == sizeof(lib_policies) / sizeof(lib_policies[0]))
			goto bad;
		if (!lib_target && iodbg_open(pid, 0, &lib_target) < 0) {
			printf("error: %s: %s\n", name, iodbg_errmsg(NULL));
			return false;
		}
		if (iodbg_set_path(lib_target, lib_policies[i].path) < 0) {
			printf("error: %s: %s\n", name, iodbg_errmsg(lib_target));
			return false;
		}
		p->lib = lib_target;
		return true;
	}
	if (!strcmp(name, "mem")) {
		snprintf(file, sizeof(file), "/proc/%d/mem", pid);
		p->fd = open_once(&mem_fd, file);
	} else if (!strncmp(name, "object:", 7) && sscanf(name + 7, "%u", &arg) == 1) {
		if (pidfd < 0)
			pidfd = syscall(SYS_pidfd_open, pid, 0);
		p->fd = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, arg, 0);
		p->request = IODBG_IOC_RW_OBJECT;
	} else {
		p->request = IODBG_IOC_RW_ADDR;
		if (!strcmp(name, "generic")) {
			p->flags = IODBG_RW_GENERIC;
		} else if (!strncmp(name, "generic-mmio", 12)) {
			p->flags = IODBG_RW_GENERIC | IODBG_RW_ALLOW_MMIO;
			if (name[12] == ':' && sscanf(name + 13, "%u", &arg) == 1)
				p->width = arg;
			else if (name[12])
				goto bad;
		} else if (strcmp(name, "rw-addr")) {
			goto bad;
		}
		p->fd = open_once(&iodbg_fd, "/dev/" IODBG_DEVICE_NAME);
	}
	if (p->fd < 0) {
		printf("error: %s: %s\n", name, strerror(errno));
		return false;
	}
	return true;
bad:
	printf("error: no path %s\n", name);
	return false;
}

static void path_close(const char *name, struct path *p)
{
	if (!strncmp(name, "object:", 7) && p->fd >= 0)
		close(p->fd);
}

/* One call: @len bytes between @addr and @buf; the bytes moved, or -1 with errno set. */
static ssize_t path_rw(const struct path *p, uint64_t addr, void *buf, size_t len, bool write)
{
	struct iodbg_rw rw = {
		.size = sizeof(rw), .pid = p->request == IODBG_IOC_RW_ADDR ? pid : 0,
		.addr = addr, .buf = (uintptr_t)buf, .len = len,
		.flags = p->flags | (write ? IODBG_RW_WRITE : 0), .width = p->width,
	};

	if (p->lib) {
		ssize_t n = write ? iodbg_write(p->lib, addr, buf, len, NULL) :
				    iodbg_read(p->lib, addr, buf, len, NULL);

		if (n < 0)
			errno = -n;
		return n < 0 ? -1 : n;
	}
	if (!p->request)
		return write ? pwrite(p->fd, buf, len, addr) : pread(p->fd, buf, len, addr);
	if (ioctl(p->fd, p->request, &rw))
		return -1;
	return rw.done;
}

/*
 * One pass over [addr, addr + len), @chunk bytes a call, between @buf (from @buf + the offset
 * with @whole_buf, else from @buf each call) and the target, each call's time added to @best
 * if given. false, with the message printed, if a call failed.
 */
static bool pass(const struct path *p, uint64_t addr, unsigned char *buf, size_t len,
		 size_t chunk, bool write, bool whole_buf, struct timecopy_best *best)
{
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		uint64_t start = timecopy_now();
		ssize_t done = path_rw(p, addr + off, buf + (whole_buf ? off : 0), n, write);

		if (best)
			timecopy_best_add(best, off / chunk, timecopy_now() - start);
		if (done != (ssize_t)n) {
			printf("error: %s of %zu bytes at 0x%" PRIx64 ": %s\n",
			       write ? "write" : "read", n, addr + off,
			       done < 0 ? strerror(errno) : "short transfer");
			return false;
		}
	}
	return true;
}

static bool check(const unsigned char *buf, size_t len, uint64_t first)
{
	for (size_t off = 0; off + 8 <= len; off += 8) {
		uint64_t word;

		memcpy(&word, buf + off, 8);
		if (word != first + off) {
			printf("error: wrong bytes at offset %zu: 0x%" PRIx64 ", not 0x%"
			       PRIx64 "\n", off, word, first + off);
			return false;
		}
	}
	return true;
}

static void time_request(const char *line)
{
	static unsigned char *buf;
	static size_t buf_size;
	unsigned long long addr, first;
	unsigned long len, chunk, repeat;
	char name[32], dir[8];
	struct timecopy_best best = { 0 };
	struct path p = { .fd = -1 };
	bool write;
	int n;

	n = sscanf(line, "time %31s %llx %lu %lu %lu %7s %llx", name, &addr, &len, &chunk,
		   &repeat, dir, &first);
	if (n < 6 || (strcmp(dir, "read") && strcmp(dir, "write")) || !len || !chunk ||
	    !repeat) {
		printf("error: bad command: %s", line);
		return;
	}
	write = !strcmp(dir, "write");
	if (len > buf_size) {
		if (buf)
			munmap(buf, buf_size);
		buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		buf_size = buf == MAP_FAILED ? 0 : len;
		if (buf == MAP_FAILED) {
			buf = NULL;
			printf("error: out of memory\n");
			return;
		}
	}
	if (!timecopy_best_init(&best, len, chunk)) {
		printf("error: out of memory\n");
		return;
	}
	if (!path_open(name, &p))
		goto out;
	/* Each pass starts with a TLB flush, as the target's (timecopy.h says why). */
	timecopy_flush_tlb();
	if (!pass(&p, addr, buf, len, chunk, false, true, NULL) ||
	    (n == 7 && !check(buf, len, first)))
		goto out;
	while (repeat--) {
		timecopy_flush_tlb();
		if (!pass(&p, addr, buf, len, chunk, write, true, &best))
			goto out;
	}
	timecopy_flush_tlb();
	if (write && (!pass(&p, addr, buf, len, chunk, false, true, NULL) ||
		      (n == 7 && !check(buf, len, first))))
		goto out;
	timecopy_best_print(&best);
	best.ns = NULL;
out:
	free(best.ns);
	path_close(name, &p);
}

int main(int argc, char **argv)
{
	char line[256];

	if (argc == 7 && !strcmp(argv[1], "--once")) {
		size_t len = strtoull(argv[5], NULL, 0), chunk = strtoull(argv[6], NULL, 0);
		unsigned char *buf;
		struct path p;

		pid = atoi(argv[2]);
		buf = malloc(chunk);
		if (!buf || !chunk || !path_open(argv[3], &p))
			return 1;
		return pass(&p, strtoull(argv[4], NULL, 0), buf, len, chunk, false, false, NULL) ?
		       0 : 1;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: bench_rw PID, or bench_rw --once PID PATH ADDR LENGTH "
			"CHUNK\n");
		return 2;
	}
	pid = atoi(argv[1]);
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "quit", 4))
			break;
		time_request(line);
		fflush(stdout);
	}
	return 0;
}
