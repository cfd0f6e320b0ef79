// SPDX-License-Identifier: GPL-2.0
/*
 * gpu_stress: the race stress of gpu_sim buffer objects. Objects migrate in a tight loop while
 * readers and writers reach them through every path a debugger has, and every byte read is
 * checked.
 *
 *   gpu_stress [-t SECONDS] [-s SEED] [-w THREADS] [-p PROCESSES] [-m MOVERS] [-e SQUEEZES]
 *              [-C] [-v]
 *
 * Defaults: 20 seconds, a seed from the clock (printed), 3 worker threads, 2 worker processes,
 * 2 movers, 1 squeeze. -C is the checker's self-test: halfway through, a wrong byte is put
 * into an object behind the workers' backs (in a block that no worker writes), and the run
 * must fail. -v prints more counts.
 *
 * Setup: the main process creates NOBJ buffer objects of different sizes on /dev/gpu_sim, in
 * VRAM, GART and system memory, maps each one (MAP_SHARED) and fills it with the pattern of
 * tests/progs/gpu_bo.c: the 64-bit word at byte offset O of object ID holds
 * GPU_PATTERN | ID << 32 | O.
 *
 * Then, for SECONDS, in parallel:
 *  - movers (threads): GPU_SIM_IOC_MOVE of random objects to a placement other than the
 *    current one (VRAM, GART, system), in a tight loop;
 *  - a churn thread: creates and frees extra objects of 1-4 MiB, mostly in VRAM, which evict
 *    each other and test objects when VRAM has no room; it checks that each new object reads
 *    as zeros and that a marker it writes survives (evictions included) until it frees it;
 *  - a squeezer thread: SQUEEZES times in the run, it moves all test objects into VRAM, then
 *    an object as large as VRAM, which evicts every one of them (and the churn objects) while
 *    the workers read and write them. The test objects take about 1 MiB and first-fit keeps
 *    them at the start of VRAM, so only this evicts them; copying 128 MiB costs seconds
 *    under TCG, so the movers pause meanwhile and the workers slow down for the copy;
 *  - a mapper thread: maps and unmaps objects (whole or from a page offset, read-only or not),
 *    moves the mappings (mremap) or changes their protection, and reads through them; now
 *    and then forks a child that reads through the mappings it inherited and exits;
 *  - workers, THREADS threads of the main process and PROCESSES child processes (which
 *    inherit the mappings and object files): each forks a target process that inherits the
 *    mappings too and ptrace-attaches to it, then reads random ranges of random objects and
 *    writes random ranges of the bytes it owns, each time through a random path:
 *      own       the worker's own mapping (memcpy)
 *      procmem   pread/pwrite of /proc/TARGET/mem
 *      ptrace    PTRACE_PEEKDATA/POKEDATA on the target
 *      rw_addr   IODBG_IOC_RW_ADDR on /dev/iodbg (pid: the target or the worker itself)
 *      generic   the same with IODBG_RW_GENERIC | IODBG_RW_ALLOW_MMIO (page-table fallback),
 *                on the worker itself: the fallback never faults pages in, so the worker
 *                touches them first and tries again when a move zapped them meanwhile
 *      rw_object IODBG_IOC_RW_OBJECT on the object's file
 *
 * The invariant: the objects are cut into blocks of BLOCK bytes and block K belongs to
 * worker K % WORKERS, the only one that writes it. A writer writes, at byte offset O of
 * object ID, byte O % 8 of writer_word(ID, O & ~7, G) for a generation G in 1..GENERATIONS,
 * and records G per byte in shared memory. So any byte, read at any time by anyone, must be
 * either the pattern's or one of GENERATIONS writer values for its address (a stale page,
 * another object's bytes or zeros are not); a writer reading back its own bytes, and the
 * final check of every byte after the run, must find exactly the generation recorded.
 *
 * Prints per-path counts and ends with one line
 *   stress: migrations=N reads=N writes=N bytes_checked=N wrong_bytes=N errors=N
 * and exits 0 only if no byte was wrong and nothing failed unexpectedly (ENOSPC from a full
 * VRAM is expected and counted apart).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/gpu_sim.h>

#define GPU_PATTERN	0xb000000000000000ULL
#define BLOCK		200	/* bytes; not a divisor of the page size, so blocks straddle pages */
#define GENERATIONS	4
#define MAX_WORKERS	16
#define MAX_MOVERS	8
#define MAX_REPORTS	20
#define PTRACE_MAX	256	/* bytes per PTRACE_PEEKDATA read: one syscall a word */
#define CHURN_MAX	16
#define MIB		(1UL << 20)

/* The test objects, in pages: one page, a few pages, and larger ones. */
static const unsigned int obj_pages[] = { 1, 2, 5, 16, 16, 64, 64, 128 };
#define NOBJ (sizeof(obj_pages) / sizeof(obj_pages[0]))

enum path { P_OWN, P_PROCMEM, P_PTRACE, P_RWADDR, P_GENERIC, P_RWOBJ, NPATH };
static const char *const path_name[NPATH] = {
	"own", "procmem", "ptrace", "rw_addr", "generic", "rw_object",
};

struct stats {
	uint64_t reads, writes, readbacks, bytes_checked, wrong_bytes, errors, absent;
	uint64_t path_reads[NPATH], path_writes[NPATH];
	uint64_t migrations, move_nospc, evictions;
	uint64_t creates, create_nospc, frees, churn_evictions, squeezes;
	uint64_t maps, remaps, forks;
};

/* Shared by the main process, its threads and the worker processes. */
struct shared {
	atomic_int stop;
	atomic_int ready;
	atomic_int go;
	atomic_int reports;
	atomic_int pause_moves;		/* a squeeze is on: movers and the mapper's forks wait */
	atomic_int moving;		/* movers inside GPU_SIM_IOC_MOVE */
	atomic_int forking;		/* the mapper has a child (which has our files) */
	atomic_int squeeze_copying;	/* a squeeze is past its evictions: workers slow down */
	struct stats st[MAX_WORKERS + MAX_MOVERS + 5];
	uint8_t gen[];		/* per byte of every object: the writer generation, 0: pattern */
};

struct obj {
	int fd;
	uint64_t id;
	size_t size;
	uint8_t *map;
	size_t gen_base;	/* the object's first byte in shared->gen */
};

struct worker {
	int wid;		/* stats slot; for workers also the block owner number */
	uint64_t rng;
	pid_t target;
	int memfd;
	struct stats *st;
};

static struct shared *sh;
/* The self-test (-C) puts its byte at CORRUPT_OFF of *corrupt_obj, in a block nobody writes. */
static const struct obj *corrupt_obj;
#define CORRUPT_OFF	(2 * 4096 + 3)
static struct obj objs[NOBJ];
static size_t total_bytes;
static int nworkers, nsqueeze = 1, iodbg_fd, gpu_fd;
static double run_seconds;
static uint64_t vram_size = 128ULL << 20;	/* scripts/vm-run's; read from sysfs */
static bool verbose;

/* Report a problem: counted by the caller, printed for the first MAX_REPORTS. */
static void report(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (atomic_fetch_add(&sh->reports, 1) >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

#define fail(st, fmt, ...) do { (st)->errors++; report("stress: error: " fmt, ##__VA_ARGS__); } \
	while (0)

static uint64_t rnd(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t pattern_word(uint64_t id, size_t word_off)
{
	return GPU_PATTERN | id << 32 | word_off;
}

static uint64_t writer_word(uint64_t id, size_t word_off, unsigned int gen)
{
	return mix64(id * 0x9e3779b97f4a7c15ULL ^ (uint64_t)word_off << 4 ^ gen);
}

static uint8_t byte_of(uint64_t word, size_t off)
{
	return word >> (8 * (off & 7));
}

/* The byte that must be at @off now, given the recorded generations (exact check). */
static uint8_t expected_byte(const struct obj *o, size_t off)
{
	unsigned int g = sh->gen[o->gen_base + off];

	return byte_of(g ? writer_word(o->id, off & ~7UL, g) : pattern_word(o->id, off & ~7UL),
		       off);
}

static bool stopped(void)
{
	return atomic_load_explicit(&sh->stop, memory_order_relaxed);
}

static const char *placement_name(uint32_t p)
{
	switch (p) {
	case IODBG_PLACEMENT_DEVICE: return "vram";
	case IODBG_PLACEMENT_GART: return "gart";
	case IODBG_PLACEMENT_SYSTEM: return "system";
	default: return "?";
	}
}

static const char *placement_now(const struct obj *o)
{
	struct iodbg_object_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(o->fd, IODBG_IOC_OBJECT_INFO, &info))
		return "unknown";
	return placement_name(info.placement);
}

/*
 * Check @len bytes read at @off of @o. Loose: each byte must be the pattern's or one of the
 * writer values for its address. Exact: the byte the recorded generation says.
 * Returns the number of wrong bytes and reports the first.
 */
static size_t check(struct worker *w, const char *what, int path, const struct obj *o,
		    size_t off, const uint8_t *buf, size_t len, bool exact)
{
	size_t bad = 0, first = 0;
	size_t i = 0;

	while (i < len) {
		size_t pos = off + i, word_off = pos & ~7UL, in_word = pos & 7;
		size_t n = len - i < 8 - in_word ? len - i : 8 - in_word;
		uint64_t pat = pattern_word(o->id, word_off);
		uint64_t wv[GENERATIONS];
		bool have_wv = false;

		if (!exact && n == 8) {
			uint64_t v;

			memcpy(&v, buf + i, 8);
			if (v == pat) {
				i += 8;
				continue;
			}
		}
		for (size_t j = 0; j < n; j++) {
			uint8_t c = buf[i + j];
			bool ok = false;

			if (exact) {
				ok = c == expected_byte(o, pos + j);
			} else if (c == byte_of(pat, pos + j)) {
				ok = true;
			} else {
				if (!have_wv) {
					for (unsigned int g = 0; g < GENERATIONS; g++)
						wv[g] = writer_word(o->id, word_off, g + 1);
					have_wv = true;
				}
				for (unsigned int g = 0; g < GENERATIONS && !ok; g++)
					ok = c == byte_of(wv[g], pos + j);
			}
			if (!ok && !bad++)
				first = i + j;
		}
		i += n;
	}
	w->st->bytes_checked += len;
	if (bad) {
		size_t at = off + first;
		char got[3 * 16 + 1] = "", want[3 * 16 + 1] = "";

		for (size_t k = 0; k < 16 && first + k < len; k++) {
			snprintf(got + 3 * k, 4, " %02x", buf[first + k]);
			snprintf(want + 3 * k, 4, " %02x", expected_byte(o, at + k));
		}
		w->st->wrong_bytes += bad;
		report("stress: WRONG: %zu wrong bytes in a %s of %zu bytes at offset %zu of object "
		       "%" PRIu64 " (%zu bytes, now in %s) through %s, by worker %d: first at "
		       "offset %zu:%s; recorded generations say:%s",
		       bad, what, len, off, o->id, o->size, placement_now(o), path_name[path],
		       w->wid, at, got, want);
	}
	return bad;
}

static int peek(struct worker *w, size_t addr, uint64_t *word)
{
	long v;

	errno = 0;
	v = ptrace(PTRACE_PEEKDATA, w->target, (void *)addr, NULL);
	if (v == -1 && errno)
		return -1;
	*word = (uint64_t)v;
	return 0;
}

/*
 * RW_ADDR through the generic fallback on the worker's own mapping of @o: it reports pages that
 * are not present (ENOENT) rather than fault them in, so touch each page of the range first,
 * and again when a move zapped it before the ioctl came.
 */
static int generic_rw(struct worker *w, const struct obj *o, size_t off, struct iodbg_rw *rw)
{
	for (int tries = 0; tries < 1000; tries++) {
		for (size_t p = off & ~4095UL; p < off + rw->len; p += 4096)
			(void)*(volatile uint8_t *)(o->map + p);
		rw->done = 0;
		if (!ioctl(iodbg_fd, IODBG_IOC_RW_ADDR, rw))
			return 0;
		if (errno != ENOENT)
			return -1;
		w->st->absent++;
	}
	return -1;
}

/* A transfer through @path between @buf and [off, off + len) of @o; 0 or -1 with errno. */
static int transfer(struct worker *w, int path, const struct obj *o, size_t off, uint8_t *buf,
		    size_t len, bool write)
{
	uintptr_t addr = (uintptr_t)o->map + off;
	struct iodbg_rw rw;
	ssize_t n;

	switch (path) {
	case P_OWN:
		if (write)
			memcpy(o->map + off, buf, len);
		else
			memcpy(buf, o->map + off, len);
		__asm__ volatile("" ::: "memory");
		return 0;
	case P_PROCMEM:
		n = write ? pwrite(w->memfd, buf, len, addr) : pread(w->memfd, buf, len, addr);
		if (n < 0)
			return -1;
		if ((size_t)n != len) {
			errno = EIO;	/* short */
			return -1;
		}
		return 0;
	case P_PTRACE:
		/* Words at any alignment; the last one ends at the object's end at the latest. */
		for (size_t p = off; p < off + len;) {
			size_t q = p < o->size - 8 ? p : o->size - 8;
			size_t end = q + 8 < off + len ? q + 8 : off + len;
			uint64_t word;

			if (write) {
				/* Writers pass whole words: @len is a multiple of 8. */
				memcpy(&word, buf + (p - off), 8);
				if (ptrace(PTRACE_POKEDATA, w->target, (void *)((uintptr_t)o->map + p),
					   (void *)word))
					return -1;
				p += 8;
				continue;
			}
			if (peek(w, (uintptr_t)o->map + q, &word))
				return -1;
			memcpy(buf + (p - off), (uint8_t *)&word + (p - q), end - p);
			p = end;
		}
		return 0;
	case P_RWADDR:
	case P_GENERIC:
	case P_RWOBJ:
		memset(&rw, 0, sizeof(rw));
		rw.size = sizeof(rw);
		rw.buf = (uintptr_t)buf;
		rw.len = len;
		rw.flags = write ? IODBG_RW_WRITE : 0;
		if (path == P_RWOBJ) {
			rw.addr = off;
			if (ioctl(o->fd, IODBG_IOC_RW_OBJECT, &rw))
				return -1;
		} else if (path == P_GENERIC) {
			rw.pid = getpid();
			rw.addr = addr;
			rw.flags |= IODBG_RW_GENERIC | IODBG_RW_ALLOW_MMIO;
			if (generic_rw(w, o, off, &rw))
				return -1;
		} else {
			/* The target, or the worker itself: both map the objects there. */
			rw.pid = rnd(&w->rng) % 4 ? w->target : getpid();
			rw.addr = addr;
			if (ioctl(iodbg_fd, IODBG_IOC_RW_ADDR, &rw))
				return -1;
		}
		if (rw.done != len) {
			errno = EIO;
			return -1;
		}
		return 0;
	}
	errno = EINVAL;
	return -1;
}

static void read_op(struct worker *w, uint8_t *buf)
{
	const struct obj *o = &objs[rnd(&w->rng) % NOBJ];
	int path = rnd(&w->rng) % NPATH;
	unsigned int kind = rnd(&w->rng) % 100;
	size_t len, off;

	if (kind < 50)
		len = 1 + rnd(&w->rng) % 64;
	else if (kind < 80)
		len = 1 + rnd(&w->rng) % 4096;
	else if (kind < 97)
		len = 1 + rnd(&w->rng) % (3 * 4096);
	else
		len = o->size;	/* the whole object */
	if (path == P_PTRACE && len > PTRACE_MAX)
		len = 1 + rnd(&w->rng) % PTRACE_MAX;
	if (len > o->size)
		len = o->size;
	off = rnd(&w->rng) % (o->size - len + 1);

	if (transfer(w, path, o, off, buf, len, false)) {
		fail(w->st, "read of %zu bytes at offset %zu of object %" PRIu64 " through %s: %s",
		     len, off, o->id, path_name[path], strerror(errno));
		return;
	}
	w->st->reads++;
	w->st->path_reads[path]++;
	check(w, "read", path, o, off, buf, len, false);
}

static void write_op(struct worker *w, uint8_t *buf)
{
	const struct obj *o = &objs[rnd(&w->rng) % NOBJ];
	size_t nblocks = (o->size + BLOCK - 1) / BLOCK;
	size_t mine = (nblocks + nworkers - 1 - w->wid) / nworkers;
	int path = rnd(&w->rng) % NPATH;
	size_t k, bs, be, a, b;
	unsigned int g;

	if (!mine)
		return;
	k = w->wid + (size_t)nworkers * (rnd(&w->rng) % mine);
	if (o == corrupt_obj && k == CORRUPT_OFF / BLOCK)
		return;		/* the self-test's block: what it puts there must stay */
	bs = k * BLOCK;
	be = bs + BLOCK < o->size ? bs + BLOCK : o->size;
	if (path == P_PTRACE) {
		size_t words = (be - bs) / 8 < 8 ? (be - bs) / 8 : 8;
		size_t n = 8 * (1 + rnd(&w->rng) % words);

		a = bs + rnd(&w->rng) % (be - bs - n + 1);
		b = a + n;
	} else if (rnd(&w->rng) % 4 == 0) {
		a = bs;
		b = be;
	} else {
		a = bs + rnd(&w->rng) % (be - bs);
		b = a + 1 + rnd(&w->rng) % (be - a);
		if (path == P_GENERIC) {
			/* MMIO is written in aligned 32-bit words: a partial one would be
			 * read, merged and written back, over bytes that may not be ours. */
			a = (a + 3) & ~3UL;
			b &= ~3UL;
			if (b <= a) {
				a = bs;
				b = bs + 4;
			}
		}
	}
	g = 1 + rnd(&w->rng) % GENERATIONS;
	if (g == sh->gen[o->gen_base + a])
		g = g % GENERATIONS + 1;
	for (size_t i = a; i < b; i++)
		buf[i - a] = byte_of(writer_word(o->id, i & ~7UL, g), i);

	if (transfer(w, path, o, a, buf, b - a, true)) {
		fail(w->st, "write of %zu bytes at offset %zu of object %" PRIu64 " through %s: %s",
		     b - a, a, o->id, path_name[path], strerror(errno));
		return;
	}
	memset(sh->gen + o->gen_base + a, g, b - a);
	w->st->writes++;
	w->st->path_writes[path]++;

	/* Read it back, through any path: exactly what was written. */
	if (rnd(&w->rng) % 2) {
		int rpath = rnd(&w->rng) % NPATH;

		memset(buf, 0, b - a);
		if (transfer(w, rpath, o, a, buf, b - a, false)) {
			fail(w->st, "read back of %zu bytes at offset %zu of object %" PRIu64
			     " through %s: %s", b - a, a, o->id, path_name[rpath], strerror(errno));
			return;
		}
		w->st->reads++;
		w->st->readbacks++;
		w->st->path_reads[rpath]++;
		check(w, "read back", rpath, o, a, buf, b - a, true);
	}
}

/* A target for the worker to ptrace: a child that inherits the mappings and sleeps. */
static pid_t start_target(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

static void worker_run(struct worker *w)
{
	size_t bufsize = 0;
	uint8_t *buf;
	char path[64];
	int status;

	for (size_t i = 0; i < NOBJ; i++)
		bufsize = objs[i].size > bufsize ? objs[i].size : bufsize;
	buf = malloc(bufsize);
	w->target = start_target();
	if (!buf || w->target < 0) {
		fail(w->st, "worker %d: setup: %s", w->wid, strerror(errno));
		atomic_fetch_add(&sh->ready, 1);
		return;
	}
	if (ptrace(PTRACE_ATTACH, w->target, NULL, NULL) ||
	    waitpid(w->target, &status, __WALL) != w->target) {
		fail(w->st, "worker %d: PTRACE_ATTACH: %s", w->wid, strerror(errno));
		atomic_fetch_add(&sh->ready, 1);
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", w->target);
	w->memfd = open(path, O_RDWR | O_CLOEXEC);
	atomic_fetch_add(&sh->ready, 1);
	if (w->memfd < 0) {
		fail(w->st, "worker %d: %s: %s", w->wid, path, strerror(errno));
		goto out;
	}
	while (!atomic_load(&sh->go) && !stopped())
		usleep(1000);
	while (!stopped()) {
		/* Slow down while a squeeze copies 128 MiB, once its evictions are done. */
		if (atomic_load_explicit(&sh->squeeze_copying, memory_order_relaxed))
			usleep(5000);
		if (rnd(&w->rng) % 100 < 60)
			read_op(w, buf);
		else
			write_op(w, buf);
	}
	close(w->memfd);
out:
	kill(w->target, SIGKILL);
	waitpid(w->target, NULL, __WALL);
	free(buf);
}

static void *worker_thread(void *arg)
{
	worker_run(arg);
	return NULL;
}

/* Move random objects to another placement than they have, until the end or a squeeze. */
static void *mover_thread(void *arg)
{
	struct worker *w = arg;

	while (!stopped()) {
		const struct obj *o = &objs[rnd(&w->rng) % NOBJ];
		struct iodbg_object_info info;
		struct gpu_sim_move move;
		uint32_t p;
		int ret;

		memset(&info, 0, sizeof(info));
		if (ioctl(o->fd, IODBG_IOC_OBJECT_INFO, &info)) {
			fail(w->st, "OBJECT_INFO: %s", strerror(errno));
			continue;
		}
		p = 1 + rnd(&w->rng) % 3;
		if (p == info.placement)
			p = p % 3 + 1;
		memset(&move, 0, sizeof(move));
		move.size = sizeof(move);
		move.placement = p;
		atomic_fetch_add(&sh->moving, 1);
		if (atomic_load(&sh->pause_moves)) {
			atomic_fetch_sub(&sh->moving, 1);
			usleep(1000);
			continue;
		}
		ret = ioctl(o->fd, GPU_SIM_IOC_MOVE, &move);
		atomic_fetch_sub(&sh->moving, 1);
		if (!ret)
			w->st->migrations++;
		else if (errno == ENOSPC)
			w->st->move_nospc++;
		else
			fail(w->st, "GPU_SIM_IOC_MOVE of object %" PRIu64 " to %s: %s", o->id,
			     placement_name(p), strerror(errno));
	}
	return NULL;
}

/*
 * Map and unmap objects (whole or from a page offset, read-only or not), move the mappings
 * (mremap) or change their protection, and read through them; now and then fork a child that
 * reads through the mappings it inherits (fork copies the page tables of pfn mappings) and
 * exits. All while the objects move.
 */
static void *mapper_thread(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[512];

	while (!stopped()) {
		const struct obj *o = &objs[rnd(&w->rng) % NOBJ];
		size_t pages = o->size / 4096, first = rnd(&w->rng) % pages;
		size_t len = (1 + rnd(&w->rng) % (pages - first)) * 4096;
		int prot = rnd(&w->rng) % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
		uint8_t *map = mmap(NULL, len, prot, MAP_SHARED, o->fd, first * 4096);
		size_t off, n;
		pid_t pid;

		if (map == MAP_FAILED) {
			fail(w->st, "mmap of object %" PRIu64 " at page %zu: %s", o->id, first,
			     strerror(errno));
			usleep(1000);
			continue;
		}
		w->st->maps++;
		for (int i = 0; i < 6; i++) {
			n = 1 + rnd(&w->rng) % sizeof(buf);
			n = n < len ? n : len;
			off = rnd(&w->rng) % (len - n + 1);
			memcpy(buf, map + off, n);
			w->st->reads++;
			w->st->path_reads[P_OWN]++;
			check(w, "read through a new mapping", P_OWN, o, first * 4096 + off, buf, n,
			      false);
			if (i == 2 && rnd(&w->rng) % 2) {
				/* Move the mapping elsewhere (its PTEs move with it), or change
				 * its protection: the next reads go through the result. */
				void *to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
						-1, 0);
				void *moved = to == MAP_FAILED ? MAP_FAILED :
					      mremap(map, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);

				if (moved == MAP_FAILED) {
					fail(w->st, "mremap of a mapping of object %" PRIu64 ": %s",
					     o->id, strerror(errno));
					if (to != MAP_FAILED)
						munmap(to, len);
				} else {
					map = moved;
					w->st->remaps++;
				}
			} else if (i == 2) {
				prot ^= PROT_WRITE;
				if (mprotect(map, len, prot))
					fail(w->st, "mprotect of a mapping of object %" PRIu64 ": %s",
					     o->id, strerror(errno));
			}
		}
		munmap(map, len);

		/* Not during a squeeze: an inherited file would keep its object alive. */
		if (rnd(&w->rng) % 8)
			continue;
		atomic_fetch_add(&sh->forking, 1);
		if (atomic_load(&sh->pause_moves)) {
			atomic_fetch_sub(&sh->forking, 1);
			continue;
		}
		pid = fork();
		if (pid == 0) {
			struct worker child = *w;

			child.st = w->st + 1;	/* a slot of its own */
			for (int i = 0; i < 8; i++) {
				const struct obj *co = &objs[rnd(&child.rng) % NOBJ];

				n = 1 + rnd(&child.rng) % sizeof(buf);
				off = rnd(&child.rng) % (co->size - n + 1);
				memcpy(buf, co->map + off, n);
				child.st->reads++;
				child.st->path_reads[P_OWN]++;
				check(&child, "read through an inherited mapping", P_OWN, co, off, buf,
				      n, false);
			}
			_exit(0);
		}
		if (pid < 0) {
			fail(w->st, "fork: %s", strerror(errno));
		} else {
			int status;

			w->st->forks++;
			if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
			    WEXITSTATUS(status))
				fail(w->st, "a forked reader ended with status 0x%x", status);
		}
		atomic_fetch_sub(&sh->forking, 1);
	}
	return NULL;
}

struct churn_bo {
	int fd;
	uint64_t id;
	size_t size, marker_off;
	uint32_t placement;
};

/* A marker that must survive every eviction of a churn object until it is freed. */
static void churn_marker(const struct churn_bo *c, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = byte_of(writer_word(c->id, (c->marker_off + i) & ~7UL, 7), i);
}

static int churn_rw(const struct churn_bo *c, size_t off, uint8_t *buf, size_t len, bool write)
{
	struct iodbg_rw rw;

	memset(&rw, 0, sizeof(rw));
	rw.size = sizeof(rw);
	rw.addr = off;
	rw.buf = (uintptr_t)buf;
	rw.len = len;
	rw.flags = write ? IODBG_RW_WRITE : 0;
	if (ioctl(c->fd, IODBG_IOC_RW_OBJECT, &rw))
		return -1;
	return rw.done == len ? 0 : (errno = EIO, -1);
}

static void churn_free(struct worker *w, struct churn_bo *c)
{
	uint8_t want[64], got[64];

	churn_marker(c, want, sizeof(want));
	if (churn_rw(c, c->marker_off, got, sizeof(got), false))
		fail(w->st, "churn: RW_OBJECT read of object %" PRIu64 ": %s", c->id,
		     strerror(errno));
	else if (memcmp(want, got, sizeof(got))) {
		w->st->wrong_bytes++;
		report("stress: WRONG: the marker of churn object %" PRIu64 " at offset %zu "
		       "changed", c->id, c->marker_off);
	}
	w->st->reads++;
	w->st->bytes_checked += sizeof(got);
	{
		struct iodbg_object_info info;

		memset(&info, 0, sizeof(info));
		if (c->placement == IODBG_PLACEMENT_DEVICE && !ioctl(c->fd, IODBG_IOC_OBJECT_INFO, &info) &&
		    info.placement != IODBG_PLACEMENT_DEVICE)
			w->st->churn_evictions++;
	}
	close(c->fd);
	w->st->frees++;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * A squeeze: an object as large as VRAM moves into it, which evicts everything else, test
 * objects included, while the readers and writers go on; then it is freed. The object is
 * created in system memory ahead of time (zeroing 128 MiB is slow under TCG), after the
 * targets were forked (an inherited file would keep the object alive; the mapper's children
 * are not forked during a squeeze). The movers pause until it is freed: a move into VRAM
 * would evict the squeeze object, another 128 MiB to copy.
 */
#define MAX_SQUEEZE 2

/*
 * While the squeeze is in GPU_SIM_IOC_MOVE: once no test object is left in VRAM (or after a
 * second), the evictions are done and what remains is copying 128 MiB, which goes faster
 * when the workers slow down.
 */
static void *squeeze_watch(void *arg)
{
	double t0 = now();

	(void)arg;
	while (!atomic_load(&sh->squeeze_copying) && now() - t0 < 1) {
		bool in_vram = false;

		usleep(10000);
		for (size_t i = 0; i < NOBJ && !in_vram; i++) {
			struct iodbg_object_info info;

			memset(&info, 0, sizeof(info));
			in_vram = !ioctl(objs[i].fd, IODBG_IOC_OBJECT_INFO, &info) &&
				  info.placement == IODBG_PLACEMENT_DEVICE;
		}
		if (!in_vram)
			break;
	}
	atomic_store(&sh->squeeze_copying, 1);
	return NULL;
}

static uint32_t placement_of(struct worker *w, const struct obj *o)
{
	struct iodbg_object_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(o->fd, IODBG_IOC_OBJECT_INFO, &info)) {
		fail(w->st, "OBJECT_INFO: %s", strerror(errno));
		return 0;
	}
	return info.placement;
}

/* A squeeze object: as large as VRAM, in system memory for now. */
static int squeeze_object(struct worker *w)
{
	struct gpu_sim_create create;
	double t0 = now();

	memset(&create, 0, sizeof(create));
	create.size = sizeof(create);
	create.placement = IODBG_PLACEMENT_SYSTEM;
	create.bo_size = vram_size;
	if (ioctl(gpu_fd, GPU_SIM_IOC_CREATE, &create)) {
		fail(w->st, "squeeze: GPU_SIM_IOC_CREATE of %" PRIu64 " bytes: %s", vram_size,
		     strerror(errno));
		return -1;
	}
	if (verbose)
		printf("stress: squeeze object created in %.2f s\n", now() - t0);
	return create.fd;
}

static void squeeze(struct worker *w, int fd)
{
	struct gpu_sim_move move;
	uint32_t before[NOBJ];
	double t0 = now();
	pthread_t watch;
	bool watching;

	atomic_store(&sh->pause_moves, 1);
	while ((atomic_load(&sh->moving) || atomic_load(&sh->forking)) && !stopped())
		usleep(1000);
	/* Every test object into VRAM first, to be evicted with the workers on it. */
	memset(&move, 0, sizeof(move));
	move.size = sizeof(move);
	move.placement = IODBG_PLACEMENT_DEVICE;
	for (size_t i = 0; i < NOBJ; i++) {
		if (placement_of(w, &objs[i]) == IODBG_PLACEMENT_DEVICE)
			continue;
		if (!ioctl(objs[i].fd, GPU_SIM_IOC_MOVE, &move))
			w->st->migrations++;
		else if (errno == ENOSPC)
			w->st->move_nospc++;
		else
			fail(w->st, "GPU_SIM_IOC_MOVE of object %" PRIu64 " to vram: %s",
			     objs[i].id, strerror(errno));
	}
	for (size_t i = 0; i < NOBJ; i++)
		before[i] = placement_of(w, &objs[i]);
	watching = !pthread_create(&watch, NULL, squeeze_watch, NULL);
	memset(&move, 0, sizeof(move));
	move.size = sizeof(move);
	move.placement = IODBG_PLACEMENT_DEVICE;
	if (fd < 0)
		;	/* its creation failed, and was reported */
	else if (!ioctl(fd, GPU_SIM_IOC_MOVE, &move))
		w->st->squeezes++;
	else if (errno == ENOSPC)	/* an object a reader held locked was not evicted */
		w->st->move_nospc++;
	else
		fail(w->st, "squeeze: GPU_SIM_IOC_MOVE: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	atomic_store(&sh->squeeze_copying, 1);
	if (watching)
		pthread_join(watch, NULL);
	for (size_t i = 0; i < NOBJ; i++)
		if (before[i] == IODBG_PLACEMENT_DEVICE &&
		    placement_of(w, &objs[i]) != IODBG_PLACEMENT_DEVICE)
			w->st->evictions++;
	atomic_store(&sh->squeeze_copying, 0);
	atomic_store(&sh->pause_moves, 0);
	if (verbose)
		printf("stress: squeeze took %.2f s\n", now() - t0);
}

/*
 * Squeeze VRAM @nsqueeze times, evenly spread over the run. Each squeeze object is made as
 * soon as the previous squeeze is done, the first at the start, as zeroing it takes seconds.
 */
static void *squeezer_thread(void *arg)
{
	struct worker *w = arg;
	double start = now();

	for (int i = 0; i < nsqueeze && !stopped(); i++) {
		double when = run_seconds * (2 * i + 1) / (2 * (nsqueeze + 1));
		int fd = squeeze_object(w);

		while (!stopped() && now() - start < when)
			usleep(10000);
		if (stopped()) {
			if (fd >= 0)
				close(fd);
			break;
		}
		squeeze(w, fd);
	}
	return NULL;
}

/* Create and free extra objects, which evict each other and test objects from VRAM. */
static void *churn_thread(void *arg)
{
	struct churn_bo bos[CHURN_MAX];
	struct worker *w = arg;
	uint8_t buf[256];
	int n = 0;

	while (!stopped()) {
		struct gpu_sim_create create;
		struct churn_bo *c;
		size_t off;
		bool zero = true;

		if (n == CHURN_MAX || (n && rnd(&w->rng) % 2 == 0)) {
			int i = rnd(&w->rng) % n;

			churn_free(w, &bos[i]);
			bos[i] = bos[--n];
			continue;
		}
		memset(&create, 0, sizeof(create));
		create.size = sizeof(create);
		create.placement = rnd(&w->rng) % 4 ? IODBG_PLACEMENT_DEVICE :
				   1 + rnd(&w->rng) % 3;
		create.bo_size = (1 + rnd(&w->rng) % 4) * MIB;
		if (ioctl(gpu_fd, GPU_SIM_IOC_CREATE, &create)) {
			if (errno == ENOSPC)
				w->st->create_nospc++;
			else
				fail(w->st, "churn: GPU_SIM_IOC_CREATE of %llu bytes: %s",
				     (unsigned long long)create.bo_size, strerror(errno));
			usleep(1000);
			continue;
		}
		w->st->creates++;
		c = &bos[n++];
		c->fd = create.fd;
		c->id = create.id;
		c->size = create.bo_size;
		c->placement = create.placement;

		/* A new object holds zeros, never what was in VRAM before it. */
		off = (rnd(&w->rng) % (c->size / sizeof(buf))) * sizeof(buf);
		if (churn_rw(c, off, buf, sizeof(buf), false)) {
			fail(w->st, "churn: RW_OBJECT read of new object %" PRIu64 ": %s", c->id,
			     strerror(errno));
		} else {
			for (size_t i = 0; i < sizeof(buf); i++)
				zero &= !buf[i];
			if (!zero) {
				w->st->wrong_bytes++;
				report("stress: WRONG: new object %" PRIu64 " is not zero at offset %zu",
				       c->id, off);
			}
			w->st->reads++;
			w->st->bytes_checked += sizeof(buf);
		}
		c->marker_off = (rnd(&w->rng) % (c->size / 64)) * 64;
		churn_marker(c, buf, 64);
		if (churn_rw(c, c->marker_off, buf, 64, true))
			fail(w->st, "churn: RW_OBJECT write of object %" PRIu64 ": %s", c->id,
			     strerror(errno));
	}
	while (n)
		churn_free(w, &bos[--n]);
	return NULL;
}

/* After the run: every byte of every object, exactly, through two paths and after a move. */
static void final_check(struct worker *w)
{
	uint8_t *buf = malloc(objs[NOBJ - 1].size);

	w->memfd = -1;
	w->target = getpid();
	for (size_t round = 0; round < 2; round++) {
		for (size_t i = 0; i < NOBJ; i++) {
			const struct obj *o = &objs[i];
			int paths[2] = { P_RWOBJ, P_OWN };

			for (int p = 0; p < 2; p++) {
				if (!buf || transfer(w, paths[p], o, 0, buf, o->size, false)) {
					fail(w->st, "final read of object %" PRIu64 ": %s", o->id,
					     strerror(errno));
					continue;
				}
				w->st->reads++;
				w->st->path_reads[paths[p]]++;
				check(w, "final read", paths[p], o, 0, buf, o->size, true);
			}
			if (round == 0) {
				struct gpu_sim_move move = {
					.size = sizeof(move), .placement = 1 + i % 3,
				};

				/* Each to another placement than it had at the start. */
				move.placement = move.placement % 3 + 1;
				if (ioctl(o->fd, GPU_SIM_IOC_MOVE, &move) && errno != ENOSPC)
					fail(w->st, "final move: %s", strerror(errno));
			}
		}
	}
	free(buf);
}

/*
 * The self-test of the checker (-C): a byte that no writer wrote and that is neither the
 * pattern's nor any writer value for its address, put through the main process's own
 * mapping without recording it. The run must then report wrong bytes.
 */
static void corrupt(void)
{
	const struct obj *o = corrupt_obj;
	size_t off = CORRUPT_OFF;
	uint8_t c;

	for (c = 0;; c++) {
		bool valid = c == byte_of(pattern_word(o->id, off & ~7UL), off);

		for (unsigned int g = 1; g <= GENERATIONS; g++)
			valid |= c == byte_of(writer_word(o->id, off & ~7UL, g), off);
		if (!valid)
			break;
	}
	o->map[off] = c;
	printf("stress: self-test: put 0x%02x at offset %zu of object %" PRIu64 "\n", c, off,
	       o->id);
}

/* VRAM is gpu_sim's PCI BAR 2: its size is in the device's sysfs resource file, line 3. */
static void read_vram_size(void)
{
	unsigned long long start, end, flags;
	char line[128];
	glob_t g;
	FILE *f;

	if (glob("/sys/bus/pci/drivers/" GPU_SIM_DEVICE_NAME "/*/resource", 0, NULL, &g))
		return;
	f = fopen(g.gl_pathv[0], "r");
	globfree(&g);
	if (!f)
		return;
	for (int i = 0; i < 3 && fgets(line, sizeof(line), f); i++)
		if (i == 2 && sscanf(line, "%llx %llx %llx", &start, &end, &flags) == 3 && end > start)
			vram_size = end - start + 1;
	fclose(f);
}

static void watchdog(int sig)
{
	static const char msg[] = "stress: error: the run did not end in time (a hang?)\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

static void usage(void)
{
	fprintf(stderr, "usage: gpu_stress [-t SECONDS] [-s SEED] [-w THREADS] [-p PROCESSES] "
		"[-m MOVERS] [-e SQUEEZES] [-C] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int threads = 3, procs = 2, movers = 2, opt, nslots;
	struct worker workers[MAX_WORKERS + MAX_MOVERS + 5];
	pthread_t tids[MAX_WORKERS + MAX_MOVERS + 5];
	pid_t pids[MAX_WORKERS];
	uint64_t seed = 0;
	double seconds = 20;
	struct stats sum;
	struct timespec t0, t1;
	size_t pagesize = sysconf(_SC_PAGESIZE);
	int churn_slot, squeezer_slot, mapper_slot, check_slot;
	bool self_test = false;

	while ((opt = getopt(argc, argv, "t:s:w:p:m:e:Cv")) != -1) {
		switch (opt) {
		case 't': seconds = atof(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'w': threads = atoi(optarg); break;
		case 'p': procs = atoi(optarg); break;
		case 'm': movers = atoi(optarg); break;
		case 'e': nsqueeze = atoi(optarg); break;
		case 'C': self_test = true; corrupt_obj = &objs[NOBJ / 2]; break;
		case 'v': verbose = true; break;
		default: usage();
		}
	}
	nworkers = threads + procs;
	run_seconds = seconds;
	if (optind != argc || seconds <= 0 || threads < 0 || procs < 0 || nworkers < 1 ||
	    nworkers > MAX_WORKERS || movers < 0 || movers > MAX_MOVERS ||
	    nsqueeze < 0 || nsqueeze > MAX_SQUEEZE)
		usage();
	if (!seed) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		seed = (uint64_t)t.tv_sec * 1000000007ULL ^ t.tv_nsec ^ (uint64_t)getpid() << 40;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("stress: seed=%" PRIu64 " seconds=%g objects=%zu workers=%d (%d threads, %d "
	       "processes) movers=%d squeezes=%d\n", seed, seconds, NOBJ, nworkers, threads, procs,
	       movers, nsqueeze);

	gpu_fd = open("/dev/" GPU_SIM_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	iodbg_fd = open("/dev/" IODBG_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (gpu_fd < 0 || iodbg_fd < 0) {
		perror("stress: /dev/" GPU_SIM_DEVICE_NAME " or /dev/" IODBG_DEVICE_NAME);
		return 1;
	}
	read_vram_size();
	for (size_t i = 0; i < NOBJ; i++)
		total_bytes += obj_pages[i] * pagesize;
	sh = mmap(NULL, sizeof(*sh) + total_bytes, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("stress: mmap");
		return 1;
	}
	for (size_t i = 0, base = 0; i < NOBJ; i++) {
		struct gpu_sim_create create = {
			.size = sizeof(create), .placement = 1 + i % 3,
			.bo_size = obj_pages[i] * pagesize,
		};
		uint64_t *words;

		if (ioctl(gpu_fd, GPU_SIM_IOC_CREATE, &create)) {
			perror("stress: GPU_SIM_IOC_CREATE");
			return 1;
		}
		objs[i].fd = create.fd;
		objs[i].id = create.id;
		objs[i].size = create.bo_size;
		objs[i].gen_base = base;
		base += objs[i].size;
		objs[i].map = mmap(NULL, objs[i].size, PROT_READ | PROT_WRITE, MAP_SHARED,
				   objs[i].fd, 0);
		if (objs[i].map == MAP_FAILED) {
			perror("stress: mmap of a buffer object");
			return 1;
		}
		words = (uint64_t *)objs[i].map;
		for (size_t k = 0; k < objs[i].size / 8; k++)
			words[k] = pattern_word(objs[i].id, 8 * k);
	}

	signal(SIGALRM, watchdog);
	alarm((unsigned int)seconds + 120);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	nslots = 0;
	for (int i = 0; i < nworkers + movers + 5; i++) {
		workers[i] = (struct worker){
			.wid = i, .rng = mix64(seed + 0x1234567 * (i + 1)) | 1, .memfd = -1,
			.st = &sh->st[i],
		};
	}
	/* Worker processes first, before this process has threads. */
	for (int i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("stress: fork");
			return 1;
		}
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			worker_run(&workers[i]);
			_exit(0);
		}
	}
	for (int i = procs; i < nworkers; i++) {
		if (pthread_create(&tids[nslots++], NULL, worker_thread, &workers[i])) {
			fprintf(stderr, "stress: pthread_create failed\n");
			return 1;
		}
	}
	/* The targets are forked: only now create the objects they must not inherit. */
	while (atomic_load(&sh->ready) < nworkers)
		usleep(1000);
	for (int i = nworkers; i < nworkers + movers; i++)
		if (pthread_create(&tids[nslots++], NULL, mover_thread, &workers[i])) {
			fprintf(stderr, "stress: pthread_create failed\n");
			return 1;
		}
	churn_slot = nworkers + movers;
	squeezer_slot = churn_slot + 1;
	mapper_slot = squeezer_slot + 1;	/* and mapper_slot + 1 for its children */
	check_slot = mapper_slot + 2;
	if (pthread_create(&tids[nslots++], NULL, churn_thread, &workers[churn_slot]) ||
	    pthread_create(&tids[nslots++], NULL, squeezer_thread, &workers[squeezer_slot]) ||
	    pthread_create(&tids[nslots++], NULL, mapper_thread, &workers[mapper_slot])) {
		fprintf(stderr, "stress: pthread_create failed\n");
		return 1;
	}
	atomic_store(&sh->go, 1);

	{
		double half = self_test ? seconds / 2 : seconds;
		struct timespec d = { (time_t)half, (long)((half - (time_t)half) * 1e9) };

		while (nanosleep(&d, &d) && errno == EINTR)
			;
		if (self_test) {
			corrupt();
			while (nanosleep(&d, &d) && errno == EINTR)
				;
		}
	}
	atomic_store(&sh->stop, 1);
	for (int i = 0; i < nslots; i++)
		pthread_join(tids[i], NULL);
	for (int i = 0; i < procs; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			sh->st[i].errors++;
			report("stress: error: worker process %d ended with status 0x%x", i,
			       status);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	final_check(&workers[check_slot]);

	memset(&sum, 0, sizeof(sum));
	for (int i = 0; i <= check_slot; i++) {
		const struct stats *s = &sh->st[i];

		sum.reads += s->reads;
		sum.writes += s->writes;
		sum.readbacks += s->readbacks;
		sum.absent += s->absent;
		sum.bytes_checked += s->bytes_checked;
		sum.wrong_bytes += s->wrong_bytes;
		sum.errors += s->errors;
		sum.migrations += s->migrations;
		sum.move_nospc += s->move_nospc;
		sum.evictions += s->evictions;
		sum.creates += s->creates;
		sum.create_nospc += s->create_nospc;
		sum.frees += s->frees;
		sum.churn_evictions += s->churn_evictions;
		sum.squeezes += s->squeezes;
		sum.maps += s->maps;
		sum.remaps += s->remaps;
		sum.forks += s->forks;
		for (int p = 0; p < NPATH; p++) {
			sum.path_reads[p] += s->path_reads[p];
			sum.path_writes[p] += s->path_writes[p];
		}
		if (verbose && i < nworkers)
			printf("stress: worker %d: reads=%" PRIu64 " writes=%" PRIu64 "\n", i,
			       s->reads, s->writes);
	}
	printf("stress: ran %.1f s\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("stress: paths (reads/writes):");
	for (int p = 0; p < NPATH; p++)
		printf(" %s=%" PRIu64 "/%" PRIu64, path_name[p], sum.path_reads[p],
		       sum.path_writes[p]);
	printf("\n");
	printf("stress: readbacks=%" PRIu64 " generic_not_present=%" PRIu64 " moves_enospc=%"
	       PRIu64 " test_objects_evicted=%" PRIu64 " squeezes=%" PRIu64 "\n", sum.readbacks,
	       sum.absent, sum.move_nospc, sum.evictions,
	       sum.squeezes);
	printf("stress: churn: creates=%" PRIu64 " creates_enospc=%" PRIu64 " frees=%" PRIu64
	       " found_evicted=%" PRIu64 "; mapper: maps=%" PRIu64 " remaps=%" PRIu64
	       " forks=%" PRIu64 "\n", sum.creates, sum.create_nospc, sum.frees,
	       sum.churn_evictions, sum.maps, sum.remaps, sum.forks);
	printf("stress: migrations=%" PRIu64 " reads=%" PRIu64 " writes=%" PRIu64
	       " bytes_checked=%" PRIu64 " wrong_bytes=%" PRIu64 " errors=%" PRIu64 "\n",
	       sum.migrations, sum.reads, sum.writes, sum.bytes_checked, sum.wrong_bytes,
	       sum.errors);
	return sum.wrong_bytes || sum.errors ? 1 : 0;
}
