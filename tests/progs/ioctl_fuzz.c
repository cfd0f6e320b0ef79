// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_fuzz: a bounded random-argument fuzzer of the ioctls of /dev/iodbg, /dev/gpu_sim and
 * gpu_sim buffer object files. It must end with the kernel healthy (the VM runner fails the
 * run on any oops, WARN or BUG in the serial log) and with every call answered.
 *
 *   ioctl_fuzz [-t SECONDS] [-n CALLS] [-s SEED] [-b BATCH] [-v]
 *
 * Defaults: 20 seconds, no call limit, a seed from the clock (printed: -s replays its choices;
 * batch N draws from a seed derived from it and N), batches of 20000 calls. -v prints each
 * batch's seed and calls.
 *
 * Each batch runs in a child process of its own, so that whatever a call does to the caller's
 * memory ends with the child. The child sets up what the calls aim at:
 *  - gpu_sim buffer objects in VRAM, GART and system memory, mapped whole, read-only, from a
 *    page offset and split by a hole, or not at all; scratch objects of /dev/iodbg with and
 *    without ->access; each mapping between two guard pages;
 *  - a target process that inherits all those mappings (RW_ADDR and the listings by its pid)
 *    and moves the objects every few milliseconds, a zombie child, and bogus pids;
 *  - argument buffers: a page followed by an unmapped guard page (structures placed across
 *    the boundary), a read-only page, a 1 MiB data buffer followed by a guard page (reads
 *    that run past their buffer fault instead of overwriting the fuzzer), and an unmapped
 *    page.
 * Then it issues ioctls: the real commands with well-formed structures mutated field by
 * field (sizes right and wrong, non-zero reserved and padding, flags, lengths and offsets at
 * and around every limit, user pointers that are NULL, unmapped, kernel, non-canonical,
 * misaligned, read-only, inside the IO mappings or straddling their ends, pids of the child,
 * its target, its zombie, the parent and none), the real commands on the wrong files, the
 * real command numbers with wrong direction or size bits, random command numbers of magics
 * 0xd8 and 0xd9, and random command numbers. Output pointers are always either valid memory
 * of the child's own buffers and IO mappings or addresses that fault.
 *
 * Ends with "fuzz: calls=N ..." and the errno histogram, and exits non-zero if a child died
 * of a signal or did not finish its batch in time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/gpu_sim.h>
#include <linux/iodbg_test.h>
#include <linux/spu_sim.h>

#define PAGE		4096UL
#define DATA_SIZE	(1UL << 20)
#define NERRNO		256
#define MAX_CREATED	64
#define BATCH_TIMEOUT	60	/* seconds a batch may overrun its deadline */

enum cls {
	C_VERSION, C_LIST, C_LIST_VMAS, C_RW_ADDR, C_RW_OBJECT, C_OBJECT_INFO, C_CREATE, C_MOVE,
	C_MAGIC_NR, C_BAD_ENCODING, C_RANDOM_CMD, NCLASS
};
static const char *const cls_name[NCLASS] = {
	"version", "list_objects", "list_vmas", "rw_addr", "rw_object", "object_info", "create",
	"move", "magic_random_nr", "wrong_encoding", "random_cmd",
};

/* Counts, in memory shared with the batch children. */
struct shared {
	uint64_t calls;
	uint64_t by_errno[NERRNO + 1];	/* [0]: success, [NERRNO]: anything larger */
	uint64_t by_class[NCLASS];
	uint64_t ok_by_class[NCLASS];
	uint64_t created, leaked_fds_closed;
};

struct iomap {
	uint8_t *addr;
	size_t len;
	bool writable;
};

#define NGPU 4
#define NMAPS 8	/* IO mappings, each between guard pages */

struct ctx {
	uint64_t rng;
	bool sane;		/* this call is well formed but for field @bad_field */
	int field, bad_field;
	int iodbg, gpu, scratch, devnull, first_dyn_fd;
	int objfd[NGPU];
	size_t objsize[NGPU];
	struct iomap maps[NMAPS];
	int nmaps;
	int created[MAX_CREATED];
	int ncreated;
	uint8_t *arg;		/* 2 pages, then a guard page */
	uint8_t *ro;		/* a read-only page */
	uint8_t *data;		/* DATA_SIZE, then a guard page */
	uint8_t *unmapped;	/* a page that was unmapped */
	uint8_t *heap;
	pid_t self, helper, zombie, parent;
};

static struct shared *sh;
static bool verbose;

static uint64_t rnd(struct ctx *c)
{
	uint64_t x = c->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_below(struct ctx *c, uint64_t n)
{
	return n ? rnd(c) % n : 0;
}

static bool chance(struct ctx *c, unsigned int percent)
{
	return rnd(c) % 100 < percent;
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, strerror(errno));
	_exit(2);
}

/* Values around every limit the kernel checks, and random ones. */
static uint64_t interesting_u64(struct ctx *c)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 127, 128, 255, 256, 4095, 4096, 4097,
		8191, 8192, 65535, 65536, 65537, 1ULL << 20, (1ULL << 20) + 1,
		IODBG_RW_MAX_LEN - 1, IODBG_RW_MAX_LEN, IODBG_RW_MAX_LEN + 1,
		GPU_SIM_MAX_BO_SIZE + PAGE, 1ULL << 31, 1ULL << 32, (1ULL << 32) - 1,
		(1ULL << 47) - PAGE, (1ULL << 47) - 1, 1ULL << 47, 1ULL << 63,
		0x7fffffffffffffffULL, ~0ULL, ~0ULL - 7, ~0ULL - PAGE + 1,
	};

	switch (rnd(c) % 4) {
	case 0:
		return rnd(c);
	case 1:
		return rnd(c) & 0xffff;
	default:
		return v[rnd(c) % (sizeof(v) / sizeof(v[0]))];
	}
}

static uint32_t interesting_u32(struct ctx *c)
{
	return chance(c, 50) ? (uint32_t)interesting_u64(c) : (uint32_t)rnd(c);
}

/*
 * Half the calls are well formed, with at most one field chosen to be wrong; the others are
 * built of random choices throughout. wrong() is asked once for each field, in order: in a
 * random call it says yes with probability @pct; in a well-formed one, for the chosen field
 * only.
 */
static bool wrong(struct ctx *c, unsigned int pct)
{
	if (!c->sane)
		return chance(c, pct);
	return c->field++ == c->bad_field;
}

/* A pid: the child or its target; else its zombie, the parent, or one that is not there. */
static int32_t pick_pid(struct ctx *c)
{
	static const int32_t bogus[] = { 0, -1, 1 << 22, 0x7fffffff, (int32_t)0x80000000, 99999 };

	if (!wrong(c, 40))
		return chance(c, 60) ? c->helper : c->self;
	switch (rnd(c) % 4) {
	case 0:
		return c->zombie;
	case 1:
		return chance(c, 50) ? c->parent : (int32_t)rnd(c);
	default:
		return bogus[rnd(c) % (sizeof(bogus) / sizeof(bogus[0]))];
	}
}

/* An address in or around one of the IO mappings (between guard pages). */
static uint64_t io_addr(struct ctx *c)
{
	const struct iomap *m = &c->maps[rnd(c) % c->nmaps];
	uintptr_t a = (uintptr_t)m->addr;

	switch (rnd(c) % 8) {
	case 0:
		return a;
	case 1:
		return a + m->len - 1 - rnd_below(c, 16);
	case 2:
		return a + m->len;		/* just past the end */
	case 3:
		return a - 1 - rnd_below(c, 16);
	case 4:
		return a + (rnd_below(c, m->len / PAGE) * PAGE);
	default:
		return a + rnd_below(c, m->len);
	}
}

/* A user address anywhere: IO mappings, ordinary memory, holes, kernel, non-canonical. */
static uint64_t any_addr(struct ctx *c)
{
	switch (rnd(c) % 12) {
	case 0: case 1: case 2: case 3:
		return io_addr(c);
	case 4:
		return (uintptr_t)c->data + rnd_below(c, DATA_SIZE + PAGE);
	case 5:
		return (uintptr_t)c->heap + rnd_below(c, 256);
	case 6:
		return (uintptr_t)c->unmapped + rnd_below(c, PAGE);
	case 7:
		return (uintptr_t)&rnd + rnd_below(c, 64);	/* text */
	case 8:
		return rnd_below(c, 2 * PAGE);		/* NULL and the page after */
	case 9:
		return chance(c, 50) ? 0xffffffff81000000ULL + rnd_below(c, 1 << 20) :
				       0xffff888000000000ULL + rnd_below(c, 1 << 20);
	case 10:
		return interesting_u64(c);
	default:
		return rnd(c);
	}
}

/* Room for @len bytes in the data buffer, or its end (a longer copy runs into the guard). */
static uint64_t data_ptr(struct ctx *c, uint64_t len)
{
	return (uintptr_t)c->data + (len < DATA_SIZE ? rnd_below(c, DATA_SIZE - len + 1) : 0);
}

/*
 * A buffer the kernel writes @len bytes into: valid memory of the child's own (the data
 * buffer, whose guard page stops a long copy; the IO mappings, between guard pages) or an
 * address that faults. Never the child's heap, stack or globals.
 */
static uint64_t out_ptr(struct ctx *c, uint64_t len)
{
	switch (rnd(c) % 12) {
	case 0: case 1: case 2: case 3:
		return data_ptr(c, len);
	case 4:
		return (uintptr_t)c->data + DATA_SIZE - rnd_below(c, 64);
	case 5: case 6:
		return io_addr(c);
	case 7:
		return (uintptr_t)c->ro + rnd_below(c, PAGE);
	case 8:
		return (uintptr_t)c->unmapped + rnd_below(c, PAGE);
	case 9:
		return rnd_below(c, 2 * PAGE);
	case 10:
		return chance(c, 50) ? 0xffffffff81000000ULL : (1ULL << 47) - rnd_below(c, 64);
	default:
		return chance(c, 50) ? ~0ULL - rnd_below(c, 4 * PAGE) : (1ULL << 63) + rnd(c) % 4096;
	}
}

static uint64_t random_len(struct ctx *c)
{
	switch (rnd(c) % 8) {
	case 0: case 1: case 2:
		return 1 + rnd_below(c, 64);
	case 3:
		return 1 + rnd_below(c, 3 * PAGE);
	case 4:
		return 1 + rnd_below(c, 80 << 10);	/* across the 64 KiB bounce buffer */
	default:
		return interesting_u64(c);
	}
}

/* The size field of a structure: right, or wrong in every way. */
static uint32_t pick_size(struct ctx *c, uint32_t right)
{
	static const uint32_t v[] = { 0, 1, 4, 8, 16, PAGE, PAGE + 1, 0xffffffff };

	if (!wrong(c, 30))
		return right;
	switch (rnd(c) % 3) {
	case 0:
		return right - 1 - rnd_below(c, right - 1);
	case 1:
		return right + 1 + rnd_below(c, 64);
	default:
		return v[rnd(c) % (sizeof(v) / sizeof(v[0]))];
	}
}

/*
 * Where the structure goes: the argument page, aligned, or device memory itself; else
 * misaligned, across the end of the argument pages into the guard, the read-only page, or a
 * pointer that faults. Returns the pointer to pass; @s is copied there where possible.
 */
static void *place(struct ctx *c, const void *s, size_t len, bool *ro)
{
	const struct iomap *m = &c->maps[rnd(c) % c->nmaps];
	uint8_t *p;

	*ro = false;
	if (!wrong(c, 40)) {
		if (chance(c, 10) && m->writable && m->len >= len)
			p = m->addr + rnd_below(c, m->len - len + 1) / 8 * 8;
		else
			p = c->arg + rnd_below(c, 8) * 8;
		memcpy(p, s, len);
		return p;
	}
	switch (rnd(c) % 7) {
	case 0: case 1:	/* across the guard page */
		p = c->arg + 2 * PAGE - 1 - rnd_below(c, len);
		memcpy(p, s, c->arg + 2 * PAGE - p);
		return p;
	case 2:
		memcpy(c->ro, s, len);
		mprotect(c->ro, PAGE, PROT_READ);
		*ro = true;
		return c->ro;
	case 3:
		return chance(c, 50) ? NULL : c->unmapped;
	case 4:
		return (void *)(uintptr_t)(chance(c, 50) ? 0xffffffff81000000ULL :
					   (1ULL << 63) + PAGE);
	default:
		p = c->arg + 1 + rnd_below(c, 7);	/* misaligned */
		memcpy(p, s, len);
		return p;
	}
}

static long do_ioctl(struct ctx *c, enum cls cl, int fd, unsigned long cmd, void *arg, bool ro)
{
	long ret = syscall(SYS_ioctl, fd, cmd, arg);
	int err = ret < 0 ? errno : 0;

	if (ro)
		mprotect(c->ro, PAGE, PROT_READ | PROT_WRITE);
	sh->calls++;
	sh->by_class[cl]++;
	if (!err)
		sh->ok_by_class[cl]++;
	sh->by_errno[err < NERRNO ? err : NERRNO]++;
	return ret;
}

static int obj_fd(struct ctx *c)
{
	if (c->ncreated && chance(c, 30))
		return c->created[rnd(c) % c->ncreated];
	return c->objfd[rnd(c) % NGPU];
}

/* The file a command goes to: its own, or another, or none. */
static int pick_fd(struct ctx *c, int right)
{
	if (!wrong(c, 20))
		return right;
	switch (rnd(c) % 5) {
	case 0:
		return c->iodbg;
	case 1:
		return c->gpu;
	case 2:
		return obj_fd(c);
	case 3:
		return c->devnull;
	default:
		return chance(c, 50) ? -1 : 1000;	/* not open */
	}
}

/* A few flipped bits anywhere, in random calls only. */
static void mutate_bytes(struct ctx *c, void *s, size_t len)
{
	uint8_t *b = s;

	if (c->sane || !chance(c, 4))
		return;
	for (int n = rnd_below(c, 3); n >= 0; n--)
		b[rnd_below(c, len)] ^= 1 << rnd_below(c, 8);
}

static void fuzz_version(struct ctx *c, int fd)
{
	struct iodbg_version v;
	bool ro;
	void *p;

	memset(&v, 0, sizeof(v));
	v.size = pick_size(c, sizeof(v));
	if (wrong(c, 10))
		v.abi_version = interesting_u32(c) | 1;
	if (wrong(c, 10))
		v.features = interesting_u64(c) | 1;
	if (wrong(c, 10))
		v.reserved[rnd_below(c, 4)] = interesting_u64(c) | 1;
	mutate_bytes(c, &v, sizeof(v));
	p = place(c, &v, sizeof(v), &ro);
	do_ioctl(c, C_VERSION, pick_fd(c, fd), IODBG_IOC_VERSION, p, ro);
}

static void fuzz_list(struct ctx *c)
{
	struct iodbg_list_objects l;
	uint64_t room;
	bool ro;
	void *p;

	memset(&l, 0, sizeof(l));
	l.size = pick_size(c, sizeof(l));
	l.pid = pick_pid(c);
	/* Room for thousands of entries costs the kernel a large zeroed allocation: rarely. */
	l.count = rnd_below(c, 16);
	if (wrong(c, 10))
		l.count = chance(c, 20) ? interesting_u32(c) : 16 + rnd_below(c, 256);
	l.entry_size = !wrong(c, 15) ? sizeof(struct iodbg_object_info) : interesting_u32(c);
	room = (uint64_t)(l.count < 4096 ? l.count : 4096) * sizeof(struct iodbg_object_info);
	l.objects = !wrong(c, 30) ? data_ptr(c, room) : out_ptr(c, room);
	if (wrong(c, 10))
		l.start = interesting_u64(c);
	if (wrong(c, 10))
		l.flags = interesting_u32(c);
	if (wrong(c, 10))
		l.pad = interesting_u32(c) | 1;
	if (wrong(c, 10))
		l.end = interesting_u64(c);
	mutate_bytes(c, &l, sizeof(l));
	p = place(c, &l, sizeof(l), &ro);
	do_ioctl(c, C_LIST, pick_fd(c, c->iodbg), IODBG_IOC_LIST_OBJECTS, p, ro);
}

static void fuzz_list_vmas(struct ctx *c)
{
	struct iodbg_list_vmas l;
	uint64_t room;
	bool ro;
	void *p;

	memset(&l, 0, sizeof(l));
	l.size = pick_size(c, sizeof(l));
	l.pid = pick_pid(c);
	l.count = rnd_below(c, 16);
	if (wrong(c, 10))
		l.count = chance(c, 20) ? interesting_u32(c) : 16 + rnd_below(c, 256);
	l.entry_size = !wrong(c, 15) ? sizeof(struct iodbg_vma_info) : interesting_u32(c);
	room = (uint64_t)(l.count < 4096 ? l.count : 4096) * sizeof(struct iodbg_vma_info);
	l.vmas = !wrong(c, 30) ? data_ptr(c, room) : out_ptr(c, room);
	l.match = !wrong(c, 15) ? 1 + rnd_below(c, IODBG_VMA_FLAGS) : interesting_u32(c);
	if (wrong(c, 10))
		l.start = interesting_u64(c);
	if (wrong(c, 10))
		l.flags = interesting_u32(c);
	if (wrong(c, 10))
		l.end = interesting_u64(c);
	mutate_bytes(c, &l, sizeof(l));
	p = place(c, &l, sizeof(l), &ro);
	do_ioctl(c, C_LIST_VMAS, pick_fd(c, c->iodbg), IODBG_IOC_LIST_VMAS, p, ro);
}

/*
 * An iodbg_rw: for RW_OBJECT (@object) on an object of @limit bytes, else for RW_ADDR on an
 * IO mapping. Well formed: a range inside the mapping or object (sometimes running past its
 * end, which the kernel clamps or refuses), a buffer of ours that holds it.
 */
static void fill_rw(struct ctx *c, struct iodbg_rw *rw, bool object, uint64_t limit)
{
	const struct iomap *m = &c->maps[rnd(c) % c->nmaps];
	bool write = chance(c, 50);

	memset(rw, 0, sizeof(*rw));
	rw->size = pick_size(c, sizeof(*rw));
	rw->flags = write ? IODBG_RW_WRITE : 0;
	if (!object && chance(c, 40))
		rw->flags |= chance(c, 75) ? IODBG_RW_GENERIC | IODBG_RW_ALLOW_MMIO :
					     rnd(c) % 8 & (IODBG_RW_ALLOW_MMIO | IODBG_RW_GENERIC);
	if (wrong(c, 5))
		rw->flags = interesting_u32(c);
	/* Mostly short: copying is slow under TCG, and the limits are what is tested. */
	if (object) {
		rw->addr = rnd_below(c, limit);
		rw->len = 1 + rnd_below(c, chance(c, 75) ? 64 : limit - rw->addr);
		if (rw->len > limit - rw->addr)
			rw->len = limit - rw->addr;
		if (chance(c, 20))
			rw->addr = limit - rw->len;		/* to the end exactly */
		if (wrong(c, 30)) {
			rw->addr = chance(c, 50) ? interesting_u64(c) : rw->addr;
			rw->len = chance(c, 50) ? random_len(c) : limit - rw->addr + 1;
		}
		rw->pid = wrong(c, 10) ? pick_pid(c) | 1 : 0;
	} else {
		uint64_t off = rnd_below(c, m->len);

		rw->addr = (uintptr_t)m->addr + off;
		rw->len = 1 + rnd_below(c, chance(c, 75) ? 64 : m->len - off);
		if (rw->len > m->len - off)
			rw->len = m->len - off;
		if (chance(c, 10))
			rw->len += 1 + rnd_below(c, 2 * PAGE);	/* past the mapping's end */
		if (wrong(c, 30)) {
			rw->addr = chance(c, 50) ? any_addr(c) : io_addr(c);
			rw->len = random_len(c);
		}
		rw->pid = pick_pid(c);
	}
	/* A write reads any memory of ours; a read writes only where it may. */
	if (!wrong(c, 30))
		rw->buf = data_ptr(c, rw->len);
	else
		rw->buf = write && chance(c, 30) ? any_addr(c) : out_ptr(c, rw->len);
	if (wrong(c, 4))
		rw->width = chance(c, 50) ? 1U << rnd_below(c, 5) : interesting_u32(c);
	if (wrong(c, 4))
		rw->done = interesting_u64(c) | 1;
	if (wrong(c, 4))
		rw->reserved[rnd_below(c, 2)] = interesting_u64(c) | 1;
	mutate_bytes(c, rw, sizeof(*rw));
}

static void fuzz_rw_addr(struct ctx *c)
{
	struct iodbg_rw rw;
	bool ro;
	void *p;

	fill_rw(c, &rw, false, 0);
	p = place(c, &rw, sizeof(rw), &ro);
	do_ioctl(c, C_RW_ADDR, pick_fd(c, c->iodbg), IODBG_IOC_RW_ADDR, p, ro);
}

static void fuzz_rw_object(struct ctx *c)
{
	int i = rnd(c) % NGPU;
	struct iodbg_rw rw;
	bool ro;
	void *p;

	fill_rw(c, &rw, true, c->objsize[i]);
	p = place(c, &rw, sizeof(rw), &ro);
	do_ioctl(c, C_RW_OBJECT, pick_fd(c, c->objfd[i]), IODBG_IOC_RW_OBJECT, p, ro);
}

static void fuzz_object_info(struct ctx *c)
{
	void *p;

	if (!wrong(c, 40))
		p = c->arg + rnd_below(c, 64) * 8;
	else if (chance(c, 50))
		p = (void *)(uintptr_t)out_ptr(c, sizeof(struct iodbg_object_info));
	else
		p = c->arg + 2 * PAGE - 1 - rnd_below(c, sizeof(struct iodbg_object_info));
	do_ioctl(c, C_OBJECT_INFO, pick_fd(c, obj_fd(c)), IODBG_IOC_OBJECT_INFO, p, false);
}

static uint32_t pick_placement(struct ctx *c)
{
	return !wrong(c, 20) ? 1 + rnd_below(c, 3) : interesting_u32(c) % 8;
}

/* Close what creations left behind: every descriptor above the child's own. */
static void close_created(struct ctx *c)
{
	if (syscall(SYS_close_range, c->first_dyn_fd, ~0U, 0) == 0)
		sh->leaked_fds_closed++;
	c->ncreated = 0;
}

static void fuzz_create(struct ctx *c)
{
	struct gpu_sim_create cr;
	bool ro;
	void *p;
	long ret;

	memset(&cr, 0, sizeof(cr));
	cr.size = pick_size(c, sizeof(cr));
	cr.placement = pick_placement(c);
	cr.bo_size = !wrong(c, 40) ? PAGE * (1 + rnd_below(c, 4)) : interesting_u64(c);
	if (wrong(c, 5))
		cr.flags = interesting_u32(c) | 1;
	if (wrong(c, 5))
		cr.fd = interesting_u32(c) | 1;
	if (wrong(c, 5))
		cr.id = interesting_u64(c) | 1;
	if (wrong(c, 5))
		cr.reserved[rnd_below(c, 2)] = interesting_u64(c) | 1;
	mutate_bytes(c, &cr, sizeof(cr));
	/* A valid size stays small: 256 MiB objects would take the run's memory and time. */
	if (cr.bo_size && cr.bo_size % PAGE == 0 && cr.bo_size <= GPU_SIM_MAX_BO_SIZE)
		cr.bo_size = PAGE * (1 + (cr.bo_size / PAGE) % 8);
	if (c->ncreated == MAX_CREATED)
		close_created(c);
	p = place(c, &cr, sizeof(cr), &ro);
	ret = do_ioctl(c, C_CREATE, pick_fd(c, c->gpu), GPU_SIM_IOC_CREATE, p, ro);
	if (ret == 0) {
		sh->created++;
		/* The descriptor, where the kernel could tell it (else close_created finds it). */
		if ((uint8_t *)p >= c->arg && (uint8_t *)p + sizeof(cr) <= c->arg + 2 * PAGE)
			c->created[c->ncreated++] = ((struct gpu_sim_create *)p)->fd;
	}
}

static void fuzz_move(struct ctx *c)
{
	struct gpu_sim_move mv;
	bool ro;
	void *p;

	memset(&mv, 0, sizeof(mv));
	mv.size = pick_size(c, sizeof(mv));
	mv.placement = pick_placement(c);
	if (wrong(c, 8))
		mv.reserved[rnd_below(c, 2)] = interesting_u64(c) | 1;
	mutate_bytes(c, &mv, sizeof(mv));
	p = place(c, &mv, sizeof(mv), &ro);
	do_ioctl(c, C_MOVE, pick_fd(c, obj_fd(c)), GPU_SIM_IOC_MOVE, p, ro);
}

/* An argument for a command whose structure is unknown: random bytes, or a pointer. */
static void *random_arg(struct ctx *c)
{
	uint8_t *p = c->arg + rnd_below(c, 2 * PAGE);

	if (chance(c, 30))
		return (void *)(uintptr_t)out_ptr(c, PAGE);
	for (uint8_t *q = c->arg; q < c->arg + 256; q += 8) {
		uint64_t v = chance(c, 50) ? 0 : interesting_u64(c);

		memcpy(q, &v, 8);
	}
	*(uint32_t *)c->arg = chance(c, 50) ? rnd_below(c, 128) : (uint32_t)rnd(c);
	return chance(c, 60) ? c->arg : p;
}

static int any_fd(struct ctx *c)
{
	switch (rnd(c) % 4) {
	case 0:
		return c->iodbg;
	case 1:
		return c->gpu;
	default:
		return obj_fd(c);
	}
}

static void fuzz_magic_nr(struct ctx *c)
{
	unsigned long magic = chance(c, 50) ? IODBG_IOC_MAGIC : GPU_SIM_IOC_MAGIC;
	unsigned long nr = chance(c, 60) ? rnd_below(c, 8) : rnd_below(c, 256);
	unsigned long cmd = _IOC(rnd(c) % 4, magic, nr, rnd(c) % (1 << _IOC_SIZEBITS));

	do_ioctl(c, C_MAGIC_NR, any_fd(c), cmd, random_arg(c), false);
}

static void fuzz_bad_encoding(struct ctx *c)
{
	static const unsigned long cmds[] = {
		IODBG_IOC_VERSION, IODBG_IOC_LIST_OBJECTS, IODBG_IOC_LIST_VMAS, IODBG_IOC_RW_ADDR,
		IODBG_IOC_RW_OBJECT, IODBG_IOC_OBJECT_INFO, GPU_SIM_IOC_CREATE, GPU_SIM_IOC_MOVE,
	};
	unsigned long cmd = cmds[rnd(c) % (sizeof(cmds) / sizeof(cmds[0]))];
	unsigned long size = _IOC_SIZE(cmd), dir = _IOC_DIR(cmd);

	if (chance(c, 50))
		size = chance(c, 50) ? size + 1 + rnd_below(c, 16) : rnd_below(c, size);
	else
		dir = (dir + 1 + rnd_below(c, 3)) % 4;
	cmd = _IOC(dir, _IOC_TYPE(cmd), _IOC_NR(cmd), size);
	do_ioctl(c, C_BAD_ENCODING, any_fd(c), cmd, random_arg(c), false);
}

static void fuzz_random_cmd(struct ctx *c)
{
	unsigned long cmd = (uint32_t)rnd(c);

	/* Not the VFS's own 'X' commands (FIFREEZE, FITHAW, ...): they are not ours to test. */
	if (_IOC_TYPE(cmd) == 'X')
		cmd ^= 1 << _IOC_TYPESHIFT;
	do_ioctl(c, C_RANDOM_CMD, any_fd(c), cmd, random_arg(c), false);
}

static void one_call(struct ctx *c)
{
	unsigned int k = rnd(c) % 100;

	c->sane = chance(c, 50);
	c->field = 0;
	c->bad_field = chance(c, 40) ? -1 : (int)rnd_below(c, 8);

	if (k < 8)
		fuzz_version(c, chance(c, 60) ? c->iodbg : obj_fd(c));
	else if (k < 12)
		fuzz_list(c);
	else if (k < 16)
		fuzz_list_vmas(c);
	else if (k < 36)
		fuzz_rw_addr(c);
	else if (k < 54)
		fuzz_rw_object(c);
	else if (k < 61)
		fuzz_object_info(c);
	else if (k < 68)
		fuzz_create(c);
	else if (k < 78)
		fuzz_move(c);
	else if (k < 88)
		fuzz_magic_nr(c);
	else if (k < 94)
		fuzz_bad_encoding(c);
	else
		fuzz_random_cmd(c);
}

static void *map_or_die(size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/*
 * An IO mapping between two inaccessible guard pages, so that a copy running past either
 * end faults instead of reaching whatever else the fuzzer has mapped there.
 */
static uint8_t *map_io(struct ctx *c, size_t len, int prot, int fd, off_t off)
{
	uint8_t *guarded = map_or_die(len + 2 * PAGE, PROT_NONE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *p = mmap(guarded + PAGE, len, prot, MAP_SHARED | MAP_FIXED, fd, off);

	if (p == MAP_FAILED)
		die("mmap of an IO object");
	c->maps[c->nmaps++] = (struct iomap){ p, len, prot & PROT_WRITE };
	return p;
}

static void setup(struct ctx *c)
{
	static const unsigned int pages[NGPU] = { 1, 4, 16, 2 };
	uint8_t *p;

	c->self = getpid();
	c->parent = getppid();
	c->iodbg = open("/dev/" IODBG_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	c->gpu = open("/dev/" GPU_SIM_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	c->scratch = open("/dev/" IODBG_TEST_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	c->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (c->iodbg < 0 || c->gpu < 0 || c->scratch < 0 || c->devnull < 0)
		die("open");

	for (int i = 0; i < NGPU; i++) {
		struct gpu_sim_create cr = {
			.size = sizeof(cr), .placement = 1 + i % 3, .bo_size = pages[i] * PAGE,
		};

		if (ioctl(c->gpu, GPU_SIM_IOC_CREATE, &cr))
			die("GPU_SIM_IOC_CREATE");
		c->objfd[i] = cr.fd;
		c->objsize[i] = cr.bo_size;
	}
	/* Objects 0 and 1 whole, object 2 from its second page on and split by a hole (two
	 * mappings), object 1 again read-only, object 3 nowhere; scratch objects with ->access
	 * and without (the generic fallback's). */
	map_io(c, c->objsize[0], PROT_READ | PROT_WRITE, c->objfd[0], 0);
	map_io(c, c->objsize[1], PROT_READ | PROT_WRITE, c->objfd[1], 0);
	p = map_io(c, c->objsize[2] - PAGE, PROT_READ | PROT_WRITE, c->objfd[2], PAGE);
	munmap(p + 4 * PAGE, PAGE);
	c->maps[c->nmaps - 1].len = 4 * PAGE;
	c->maps[c->nmaps++] = (struct iomap){ p + 5 * PAGE, c->objsize[2] - 6 * PAGE, true };
	map_io(c, c->objsize[1], PROT_READ, c->objfd[1], 0);
	map_io(c, 4 * PAGE, PROT_READ | PROT_WRITE, c->scratch, IODBG_SCRATCH_OFF_ACCESS);
	map_io(c, 4 * PAGE, PROT_READ | PROT_WRITE, c->scratch, IODBG_SCRATCH_OFF_NO_ACCESS);

	c->arg = map_or_die(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(c->arg + 2 * PAGE, PAGE, PROT_NONE);
	c->ro = map_or_die(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c->data = map_or_die(DATA_SIZE + PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(c->data + DATA_SIZE, PAGE, PROT_NONE);
	c->unmapped = map_or_die(PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(c->unmapped, PAGE);
	c->heap = malloc(4096);
	if (!c->heap)
		die("malloc");
	memset(c->heap, 0x5a, 4096);
	/* Touch the IO mappings, so that some pages are present and some are not. */
	for (int i = 0; i < c->nmaps; i++)
		if (c->maps[i].writable && i % 2)
			c->maps[i].addr[0] = 1;

	/* A target that inherits the mappings, and a zombie. */
	c->helper = fork();
	if (c->helper < 0)
		die("fork");
	if (c->helper == 0) {
		/* It moves the objects meanwhile, so that calls meet objects on the move. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			struct gpu_sim_move mv = {
				.size = sizeof(mv), .placement = 1 + rnd_below(c, 3),
			};

			ioctl(c->objfd[rnd_below(c, NGPU)], GPU_SIM_IOC_MOVE, &mv);
			usleep(2000);
		}
	}
	c->zombie = fork();
	if (c->zombie < 0)
		die("fork");
	if (c->zombie == 0)
		_exit(0);

	/* Every descriptor above the child's own was made by a call. */
	c->first_dyn_fd = c->iodbg > c->gpu ? c->iodbg : c->gpu;
	if (c->scratch > c->first_dyn_fd)
		c->first_dyn_fd = c->scratch;
	if (c->devnull > c->first_dyn_fd)
		c->first_dyn_fd = c->devnull;
	for (int i = 0; i < NGPU; i++)
		if (c->objfd[i] > c->first_dyn_fd)
			c->first_dyn_fd = c->objfd[i];
	c->first_dyn_fd++;
}

static void batch(uint64_t seed, uint64_t calls, double deadline)
{
	struct ctx c;

	memset(&c, 0, sizeof(c));
	c.rng = seed | 1;
	setup(&c);
	for (uint64_t n = 0; n < calls; n++) {
		if (n % 256 == 0) {
			struct timespec t;

			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec + t.tv_nsec / 1e9 >= deadline)
				break;
		}
		one_call(&c);
	}
	kill(c.helper, SIGKILL);
	_exit(0);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void usage(void)
{
	fprintf(stderr, "usage: ioctl_fuzz [-t SECONDS] [-n CALLS] [-s SEED] [-b BATCH] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seed = 0, max_calls = 0, batch_calls = 20000, batches = 0;
	unsigned int crashes = 0, hangs = 0;
	double seconds = 20, start, deadline;
	int opt;

	while ((opt = getopt(argc, argv, "t:n:s:b:v")) != -1) {
		switch (opt) {
		case 't': seconds = atof(optarg); break;
		case 'n': max_calls = strtoull(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'b': batch_calls = strtoull(optarg, NULL, 0); break;
		case 'v': verbose = true; break;
		default: usage();
		}
	}
	if (optind != argc || seconds <= 0 || !batch_calls)
		usage();
	if (!seed) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		seed = (uint64_t)t.tv_sec * 1000000007ULL ^ t.tv_nsec ^ (uint64_t)getpid() << 40;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fuzz: seed=%" PRIu64 " seconds=%g max_calls=%" PRIu64 " batch=%" PRIu64 "\n",
	       seed, seconds, max_calls, batch_calls);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap");
	/* The batches' own children (targets, zombies) come back here to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	start = now();
	deadline = start + seconds;
	while (now() < deadline && (!max_calls || sh->calls < max_calls)) {
		uint64_t calls = batch_calls, bseed = mix64(seed + batches);
		pid_t pid;
		int status;

		if (max_calls && max_calls - sh->calls < calls)
			calls = max_calls - sh->calls;
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			batch(bseed, calls, deadline);
		for (;;) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid)
				break;
			if (now() > deadline + BATCH_TIMEOUT) {
				fprintf(stderr, "fuzz: error: batch %" PRIu64 " (seed %" PRIu64 ") did "
					"not finish %d s after the deadline: a hang?\n", batches, bseed,
					BATCH_TIMEOUT);
				hangs++;
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				break;
			}
			usleep(2000);
		}
		if (WIFSIGNALED(status) && !hangs) {
			fprintf(stderr, "fuzz: error: batch %" PRIu64 " (seed %" PRIu64 ") died of "
				"signal %d\n", batches, bseed, WTERMSIG(status));
			crashes++;
		} else if (WIFEXITED(status) && WEXITSTATUS(status)) {
			fprintf(stderr, "fuzz: error: batch %" PRIu64 " exited with status %d\n",
				batches, WEXITSTATUS(status));
			crashes++;
		}
		if (verbose)
			printf("fuzz: batch %" PRIu64 " seed=%" PRIu64 " ended at %" PRIu64 " calls\n",
			       batches, bseed, sh->calls);
		batches++;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (hangs)
			break;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;

	printf("fuzz: by command (calls/successes):");
	for (int i = 0; i < NCLASS; i++)
		printf(" %s=%" PRIu64 "/%" PRIu64, cls_name[i], sh->by_class[i],
		       sh->ok_by_class[i]);
	printf("\nfuzz: errno:");
	for (int e = 0; e <= NERRNO; e++) {
		const char *name = e == 0 ? "OK" : e == NERRNO ? "other" : strerrorname_np(e);

		if (sh->by_errno[e])
			printf(" %s=%" PRIu64, name ? name : "?", sh->by_errno[e]);
	}
	printf("\nfuzz: objects created=%" PRIu64 " (descriptors swept %" PRIu64 " times)\n",
	       sh->created, sh->leaked_fds_closed);
	printf("fuzz: calls=%" PRIu64 " batches=%" PRIu64 " seconds=%.1f calls_per_second=%.0f "
	       "child_crashes=%u hangs=%u\n", sh->calls, batches, now() - start,
	       sh->calls / (now() - start), crashes, hangs);
	return crashes || hangs ? 1 : 0;
}
