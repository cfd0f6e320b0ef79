// SPDX-License-Identifier: GPL-2.0
/*
 * spu_sim: a reference SPU driver built on the iodbg object API, the way spufs would adopt it.
 *
 * A process creates SPU contexts on /dev/spu_sim, as spufs's spu_create() does. Each context
 * has two iodbg objects, handed out as files the process maps: its 256 KiB local store and its
 * problem-state register page (struct spu_sim_regs). There are fewer simulated SPEs than
 * contexts: each SPE is real RAM allocated at load, one physically contiguous local store and
 * one register page, mapped to user space by pfn. A kernel thread time-slices the runnable
 * contexts onto the SPEs. Switching a context off its SPE zaps its user mappings and saves the
 * SPE's local store and registers into the context's backing store; switching it on zaps them
 * and loads the backing store into the SPE. The local store then faults in from wherever it
 * is; the registers only from the SPE: a task touching them while the context is saved waits
 * (in the iodbg core, interruptibly) until it runs again. Debuggers read and write both, saved
 * or not, through ->copy, which never waits and never has side effects. A context's backing
 * store is charged to its creator's memory cgroup and counts against the creating user's
 * RLIMIT_MEMLOCK (iodbg_account_mem()).
 *
 * Locking, in nesting order:
 *   spu_sim.lock: the SPEs' occupants, the run queue and the scheduling fields of every context
 *     ctx->ls.lock, then ctx->regs.lock (the iodbg object locks): the placement (ctx->spe is
 *     written with spu_sim.lock and both object locks held, so any one of them is enough to
 *     read it) and the bytes of the current placement
 *       i_mmap_rwsem of an object's inode (taken in iodbg_object_zap())
 *       ctx->channel_lock (a spinlock): the mailboxes and the MFC queue, which the program
 *       and the mailbox ioctls change by read-modify-write, as an SPE's channel interface
 *       serializes them
 * A step of a running context holds spu_sim.lock, which keeps it on its SPE, and no object
 * lock: like a real SPE, it changes its local store and registers while debuggers read them,
 * and a debugger never waits for a scheduler tick, only for a switch.
 * The iodbg core takes one object lock at a time, under mmap_lock, and never spu_sim.lock; this
 * driver never takes mmap_lock and copies to or from user space with no lock held.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <uapi/linux/spu_sim.h>
#include "iodbg.h"

#define SPU_SIM_MAX_SPES	16
#define SPU_SIM_LS_ORDER	6	/* SPU_SIM_LS_SIZE with 4 KiB pages */
#define SPU_SIM_TICK_MS		10	/* the scheduler's tick, at most */
#define SPU_SIM_MIN_SLICE_MS	5
#define SPU_SIM_MAX_SLICE_MS	60000
#define SPU_SIM_DMA_EA		0x10000000ULL	/* where the simulated program PUTs its counter */
/* A context's backing store: its saved local store and register page. */
#define SPU_SIM_CTX_PAGES	((SPU_SIM_LS_SIZE >> PAGE_SHIFT) + 1)
/* A switch zaps the two objects of the context leaving an SPE and of the one arriving. */
#define SPU_SIM_MAX_REFS	4

static_assert(PAGE_SIZE << SPU_SIM_LS_ORDER == SPU_SIM_LS_SIZE);
static_assert(sizeof(struct spu_sim_regs) <= PAGE_SIZE);

static unsigned int nr_spes = 2;
module_param(nr_spes, uint, 0444);
MODULE_PARM_DESC(nr_spes, "simulated SPEs, 1 to 16 (default 2)");

static unsigned int slice_ms = 20;

/**
 * struct spu_sim_spe - a simulated SPE
 * @ls:		its local store, SPU_SIM_LS_SIZE bytes of physically contiguous RAM
 * @regs:	its problem-state register page
 * @ls_page:	the first page of @ls
 * @regs_page:	the page of @regs
 * @ctx:	the context on it, or NULL; under spu_sim.lock
 * @loaded_at:	when @ctx was switched on, in jiffies; under spu_sim.lock
 */
struct spu_sim_spe {
	void *ls;
	struct spu_sim_regs *regs;
	struct page *ls_page;
	struct page *regs_page;
	struct spu_ctx *ctx;
	unsigned long loaded_at;
};

/**
 * struct spu_sim_dev - the simulated SPU complex
 * @lock:	the scheduler lock; see the locking rules at the top of this file
 * @runq:	runnable contexts waiting for an SPE, first come first served
 * @spes:	the SPEs, nr_spes of them
 * @ticks:	scheduler ticks so far; under @lock
 * @thread:	the scheduler thread
 * @wq:		where @thread sleeps between ticks
 * @kick:	wake @thread before its tick is over
 * @next_id:	the last context number handed out
 */
struct spu_sim_dev {
	struct mutex lock;	/* outside every context's object locks */
	struct list_head runq;
	struct spu_sim_spe *spes;
	u64 ticks;
	struct task_struct *thread;
	wait_queue_head_t wq;
	bool kick;
	atomic64_t next_id;
};

static struct spu_sim_dev spu_sim = {
	.lock = __MUTEX_INITIALIZER(spu_sim.lock),
	.runq = LIST_HEAD_INIT(spu_sim.runq),
	.wq = __WAIT_QUEUE_HEAD_INITIALIZER(spu_sim.wq),
};

/**
 * struct spu_ctx - an SPU context
 * @ls:		its local store object
 * @regs:	its register object
 * @id:		its number
 * @spe:	the SPE it runs on, or -1 while saved; see the locking rules
 * @stopped:	held off the SPEs by SPU_SIM_IOC_STOP; under spu_sim.lock
 * @live:	objects not yet released: the context is freed with the last; under spu_sim.lock
 * @saved_tick:	the scheduler tick in which it last left an SPE; under spu_sim.lock
 * @runq:	on spu_sim.runq while runnable and saved; under spu_sim.lock
 * @saved_ls:	the backing store of the local store, current while saved
 * @user:	the creator, whose RLIMIT_MEMLOCK the context's backing store counts against
 * @saved_regs:	the backing store of the register page, current while saved
 * @channel_lock: see the locking rules
 */
struct spu_ctx {
	struct iodbg_object ls;
	struct iodbg_object regs;
	u64 id;
	int spe;
	bool stopped;
	unsigned int live;
	u64 saved_tick;
	struct list_head runq;
	void *saved_ls;
	struct user_struct *user;
	struct spu_sim_regs *saved_regs;
	spinlock_t channel_lock;	/* see the locking rules */
};

/**
 * struct spu_sim_refs - object references to drop once spu_sim.lock is released
 * @obj:	the objects
 * @nr:		how many
 *
 * Dropping the last reference calls ->release, which takes spu_sim.lock.
 */
struct spu_sim_refs {
	struct iodbg_object *obj[SPU_SIM_MAX_REFS];
	unsigned int nr;
};

static struct spu_ctx *ls_to_ctx(struct iodbg_object *obj)
{
	return container_of(obj, struct spu_ctx, ls);
}

static struct spu_ctx *regs_to_ctx(struct iodbg_object *obj)
{
	return container_of(obj, struct spu_ctx, regs);
}

static void spu_sim_kick(void)
{
	WRITE_ONCE(spu_sim.kick, true);
	wake_up(&spu_sim.wq);
}

static int spu_sim_set_slice(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_uint_minmax(val, kp, SPU_SIM_MIN_SLICE_MS, SPU_SIM_MAX_SLICE_MS);

	if (!ret)
		spu_sim_kick();
	return ret;
}

static const struct kernel_param_ops spu_sim_slice_ops = {
	.set = spu_sim_set_slice,
	.get = param_get_uint,
};
module_param_cb(slice_ms, &spu_sim_slice_ops, &slice_ms, 0644);
MODULE_PARM_DESC(slice_ms, "time slice of a context on an SPE, 5 to 60000 ms (default 20)");

/* Where the context's bytes are now. Called with spu_sim.lock or an object lock held. */
static void *spu_ctx_ls(struct spu_ctx *ctx)
{
	return ctx->spe >= 0 ? spu_sim.spes[ctx->spe].ls : ctx->saved_ls;
}

static struct spu_sim_regs *spu_ctx_regs(struct spu_ctx *ctx)
{
	return ctx->spe >= 0 ? spu_sim.spes[ctx->spe].regs : ctx->saved_regs;
}

/* Both object locks of @ctx, in their order: the local store's, then the registers'. */
static void spu_ctx_lock(struct spu_ctx *ctx)
{
	mutex_lock(&ctx->ls.lock);
	mutex_lock_nested(&ctx->regs.lock, SINGLE_DEPTH_NESTING);
}

static void spu_ctx_unlock(struct spu_ctx *ctx)
{
	mutex_unlock(&ctx->regs.lock);
	mutex_unlock(&ctx->ls.lock);
}

/*
 * Rings in the register page, which the program and debuggers may have written anything into:
 * the count is clamped to the depth and the head reduced modulo it before any use.
 */
static bool spu_ring_pop(u32 *ring, u32 *head, u32 *count, u32 depth, u32 *data)
{
	u32 n = min_t(u32, READ_ONCE(*count), depth);
	u32 h = READ_ONCE(*head) % depth;

	if (!n)
		return false;
	*data = READ_ONCE(ring[h]);
	WRITE_ONCE(*head, (h + 1) % depth);
	WRITE_ONCE(*count, n - 1);
	return true;
}

static bool spu_ring_push(u32 *ring, u32 *head, u32 *count, u32 depth, u32 data)
{
	u32 n = min_t(u32, READ_ONCE(*count), depth);
	u32 h = READ_ONCE(*head) % depth;

	if (n == depth)
		return false;
	WRITE_ONCE(ring[(h + n) % depth], data);
	WRITE_ONCE(*head, h);
	WRITE_ONCE(*count, n + 1);
	return true;
}

/* The simulated program issues an MFC PUT of its counter; a full queue retires its oldest. */
static void spu_regs_issue_dma(struct spu_sim_regs *regs, u64 counter)
{
	u32 count = min_t(u32, READ_ONCE(regs->dma_count), SPU_SIM_DMA_DEPTH);
	u32 head = READ_ONCE(regs->dma_head) % SPU_SIM_DMA_DEPTH;
	u32 slot;

	if (count == SPU_SIM_DMA_DEPTH) {
		head = (head + 1) % SPU_SIM_DMA_DEPTH;
		count--;
	}
	slot = (head + count) % SPU_SIM_DMA_DEPTH;
	regs->dma_ea[slot] = SPU_SIM_DMA_EA + (counter % 512) * sizeof(u64);
	regs->dma_lsa[slot] = SPU_SIM_LS_COUNTER;
	regs->dma_size[slot] = sizeof(u64);
	regs->dma_tag[slot] = counter % 32;
	regs->dma_opcode[slot] = SPU_SIM_MFC_PUT;
	WRITE_ONCE(regs->dma_head, head);
	WRITE_ONCE(regs->dma_count, count + 1);
}

/*
 * One step of the simulated program of @ctx, which runs on @spe (the uapi header describes it).
 * Called with spu_sim.lock held, which keeps the context on @spe; see the locking rules.
 */
static void spu_ctx_step(struct spu_ctx *ctx, struct spu_sim_spe *spe)
{
	struct spu_sim_regs *regs = spe->regs;
	u64 *counter = spe->ls + SPU_SIM_LS_COUNTER;
	u64 *sum = spe->ls + SPU_SIM_LS_MBOX_SUM;
	u64 ticks;
	u32 data;

	lockdep_assert_held(&spu_sim.lock);
	ticks = READ_ONCE(*counter) + 1;
	WRITE_ONCE(*counter, ticks);
	WRITE_ONCE(regs->npc, (READ_ONCE(regs->npc) + 4) & (SPU_SIM_LS_SIZE - 4));
	WRITE_ONCE(regs->run_ticks, regs->run_ticks + 1);
	spin_lock(&ctx->channel_lock);
	if (spu_ring_pop(regs->in_mbox, &regs->in_mbox_head, &regs->in_mbox_count,
			 SPU_SIM_IN_MBOX_DEPTH, &data))
		WRITE_ONCE(*sum, READ_ONCE(*sum) + data);
	spu_ring_push(regs->out_mbox, &regs->out_mbox_head, &regs->out_mbox_count,
		      SPU_SIM_OUT_MBOX_DEPTH, (u32)ticks);
	spu_regs_issue_dma(regs, ticks);
	spin_unlock(&ctx->channel_lock);
}

/* Called with the registers' object lock held, after any change of ctx->spe or ctx->stopped. */
static void spu_ctx_update_status(struct spu_ctx *ctx)
{
	struct spu_sim_regs *regs = spu_ctx_regs(ctx);
	u32 status = READ_ONCE(regs->status);

	status &= ~(SPU_SIM_STATUS_RUNNING | SPU_SIM_STATUS_STOPPED);
	if (ctx->spe >= 0)
		status |= SPU_SIM_STATUS_RUNNING;
	if (ctx->stopped)
		status |= SPU_SIM_STATUS_STOPPED;
	WRITE_ONCE(regs->status, status);
}

/*
 * Remove every user PTE of @obj, whose lock the caller holds, under a reference taken here,
 * which @refs keeps until spu_sim.lock is released: the context may be on the run queue after
 * its objects' last references are gone, until their ->release takes it off. Such an object
 * has no mapping left to zap.
 */
static void spu_obj_zap(struct iodbg_object *obj, struct spu_sim_refs *refs)
{
	if (WARN_ON_ONCE(refs->nr == SPU_SIM_MAX_REFS))
		return;
	if (!iodbg_object_tryget(obj))
		return;
	refs->obj[refs->nr++] = obj;
	iodbg_object_zap(obj);
}

static void spu_refs_put(struct spu_sim_refs *refs)
{
	while (refs->nr)
		iodbg_object_put(refs->obj[--refs->nr]);
}

/*
 * Switch @ctx off its SPE into its backing store. Called with spu_sim.lock held. The user PTEs
 * go first, under both object locks, so that no user write lands in the SPE after the copy and
 * no fault maps the SPE again; the refault finds the backing store (the registers: a wait).
 */
static void spu_ctx_save(struct spu_ctx *ctx, bool voluntary, struct spu_sim_refs *refs)
{
	struct spu_sim_spe *spe = &spu_sim.spes[ctx->spe];

	spu_ctx_lock(ctx);
	spu_obj_zap(&ctx->ls, refs);
	spu_obj_zap(&ctx->regs, refs);
	memcpy(ctx->saved_ls, spe->ls, SPU_SIM_LS_SIZE);
	memcpy(ctx->saved_regs, spe->regs, PAGE_SIZE);
	ctx->spe = -1;
	if (voluntary)
		ctx->saved_regs->vol_switches++;
	else
		ctx->saved_regs->invol_switches++;
	spu_ctx_update_status(ctx);
	iodbg_object_moved(&ctx->ls);
	iodbg_object_moved(&ctx->regs);
	spu_ctx_unlock(ctx);
	spe->ctx = NULL;
}

/* Switch @ctx onto idle SPE @i, from its backing store. Called with spu_sim.lock held. */
static void spu_ctx_restore(struct spu_ctx *ctx, unsigned int i, struct spu_sim_refs *refs)
{
	struct spu_sim_spe *spe = &spu_sim.spes[i];

	spu_ctx_lock(ctx);
	spu_obj_zap(&ctx->ls, refs);
	spu_obj_zap(&ctx->regs, refs);
	memcpy(spe->ls, ctx->saved_ls, SPU_SIM_LS_SIZE);
	memcpy(spe->regs, ctx->saved_regs, PAGE_SIZE);
	ctx->spe = i;
	spe->regs->loads++;
	spu_ctx_update_status(ctx);
	iodbg_object_moved(&ctx->ls);
	iodbg_object_moved(&ctx->regs);
	spu_ctx_unlock(ctx);
	spe->ctx = ctx;
	spe->loaded_at = jiffies;
}

/* Take @ctx off its SPE; unless stopped it waits for one again. Called with spu_sim.lock held. */
static void spu_sim_unload(struct spu_ctx *ctx, bool voluntary, struct spu_sim_refs *refs)
{
	spu_ctx_save(ctx, voluntary, refs);
	ctx->saved_tick = spu_sim.ticks;
	if (!ctx->stopped)
		list_add_tail(&ctx->runq, &spu_sim.runq);
}

/* Put the first waiting context, if any, on idle SPE @i. Called with spu_sim.lock held. */
static void spu_sim_load_next(unsigned int i, struct spu_sim_refs *refs)
{
	struct spu_ctx *ctx = list_first_entry_or_null(&spu_sim.runq, struct spu_ctx, runq);

	if (!ctx)
		return;
	list_del_init(&ctx->runq);
	spu_ctx_restore(ctx, i, refs);
}

/*
 * Whether the context on @spe must make room: its time slice is over and a context waits that
 * did not leave an SPE during this tick (it would only come straight back). Called with
 * spu_sim.lock held.
 */
static bool spu_sim_slice_over(struct spu_sim_spe *spe)
{
	struct spu_ctx *next = list_first_entry_or_null(&spu_sim.runq, struct spu_ctx, runq);
	unsigned long slice = msecs_to_jiffies(READ_ONCE(slice_ms));

	return next && next->saved_tick != spu_sim.ticks &&
	       time_after_eq(jiffies, spe->loaded_at + slice);
}

/* One scheduler tick on SPE @i: a step of its context, then a switch if its slice is over. */
static void spu_sim_tick_spe(unsigned int i)
{
	struct spu_sim_spe *spe = &spu_sim.spes[i];
	struct spu_sim_refs refs = { };

	mutex_lock(&spu_sim.lock);
	if (spe->ctx) {
		spu_ctx_step(spe->ctx, spe);
		if (spu_sim_slice_over(spe))
			spu_sim_unload(spe->ctx, false, &refs);
	}
	if (!spe->ctx)
		spu_sim_load_next(i, &refs);
	mutex_unlock(&spu_sim.lock);
	spu_refs_put(&refs);
}

static int spu_sim_thread(void *unused)
{
	unsigned int i;

	while (!kthread_should_stop()) {
		unsigned int tick = min_t(unsigned int, READ_ONCE(slice_ms), SPU_SIM_TICK_MS);

		wait_event_interruptible_timeout(spu_sim.wq, READ_ONCE(spu_sim.kick) ||
						 kthread_should_stop(), msecs_to_jiffies(tick));
		WRITE_ONCE(spu_sim.kick, false);
		mutex_lock(&spu_sim.lock);
		spu_sim.ticks++;
		mutex_unlock(&spu_sim.lock);
		for (i = 0; i < nr_spes; i++)
			spu_sim_tick_spe(i);
	}
	return 0;
}

/* The context ioctls, on either of its files. */

static long spu_ctx_yield(struct spu_ctx *ctx)
{
	struct spu_sim_refs refs = { };
	int i;

	if (mutex_lock_killable(&spu_sim.lock))
		return -EINTR;
	i = ctx->spe;
	if (i >= 0 && !list_empty(&spu_sim.runq)) {
		spu_sim_unload(ctx, true, &refs);
		spu_sim_load_next(i, &refs);
	}
	mutex_unlock(&spu_sim.lock);
	spu_refs_put(&refs);
	return 0;
}

static long spu_ctx_stop(struct spu_ctx *ctx)
{
	struct spu_sim_refs refs = { };
	int i;

	if (mutex_lock_killable(&spu_sim.lock))
		return -EINTR;
	if (!ctx->stopped) {
		ctx->stopped = true;
		i = ctx->spe;
		if (i >= 0) {
			spu_sim_unload(ctx, true, &refs);
			spu_sim_load_next(i, &refs);
		} else {
			list_del_init(&ctx->runq);
			mutex_lock(&ctx->regs.lock);
			spu_ctx_update_status(ctx);
			mutex_unlock(&ctx->regs.lock);
		}
	}
	mutex_unlock(&spu_sim.lock);
	spu_refs_put(&refs);
	return 0;
}

/* The scheduler thread puts the context on an SPE as soon as one is free. */
static long spu_ctx_start(struct spu_ctx *ctx)
{
	if (mutex_lock_killable(&spu_sim.lock))
		return -EINTR;
	if (ctx->stopped) {
		ctx->stopped = false;
		list_add_tail(&ctx->runq, &spu_sim.runq);
		mutex_lock(&ctx->regs.lock);
		spu_ctx_update_status(ctx);
		mutex_unlock(&ctx->regs.lock);
		spu_sim_kick();
	}
	mutex_unlock(&spu_sim.lock);
	return 0;
}

/* MBOX_READ takes the oldest outbound entry, MBOX_WRITE adds an inbound one, saved or not. */
static long spu_ctx_ioctl_mbox(struct spu_ctx *ctx, struct spu_sim_mbox __user *umbox,
			       bool write)
{
	struct spu_sim_regs *regs;
	struct spu_sim_mbox mbox;
	bool done;
	long ret;

	ret = iodbg_copy_struct_from_user(&mbox, sizeof(mbox), sizeof(mbox), umbox);
	if (ret)
		return ret;
	if (mbox.flags || mbox.count || (!write && mbox.data) ||
	    memchr_inv(mbox.reserved, 0, sizeof(mbox.reserved)))
		return -EINVAL;

	ret = mutex_lock_killable(&ctx->regs.lock);
	if (ret)
		return ret;
	regs = spu_ctx_regs(ctx);
	spin_lock(&ctx->channel_lock);
	if (write) {
		done = spu_ring_push(regs->in_mbox, &regs->in_mbox_head, &regs->in_mbox_count,
				     SPU_SIM_IN_MBOX_DEPTH, mbox.data);
		mbox.count = READ_ONCE(regs->in_mbox_count);
	} else {
		done = spu_ring_pop(regs->out_mbox, &regs->out_mbox_head, &regs->out_mbox_count,
				    SPU_SIM_OUT_MBOX_DEPTH, &mbox.data);
		mbox.count = READ_ONCE(regs->out_mbox_count);
	}
	spin_unlock(&ctx->channel_lock);
	mutex_unlock(&ctx->regs.lock);
	if (!done)
		return -EAGAIN;
	return copy_to_user(umbox, &mbox, sizeof(mbox)) ? -EFAULT : 0;
}

static long spu_ctx_ioctl(struct spu_ctx *ctx, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case SPU_SIM_IOC_YIELD:
		return arg ? -EINVAL : spu_ctx_yield(ctx);
	case SPU_SIM_IOC_STOP:
		return arg ? -EINVAL : spu_ctx_stop(ctx);
	case SPU_SIM_IOC_START:
		return arg ? -EINVAL : spu_ctx_start(ctx);
	case SPU_SIM_IOC_MBOX_READ:
		return spu_ctx_ioctl_mbox(ctx, (void __user *)arg, false);
	case SPU_SIM_IOC_MBOX_WRITE:
		return spu_ctx_ioctl_mbox(ctx, (void __user *)arg, true);
	default:
		return -ENOTTY;
	}
}

/* The iodbg ops of both objects. ->placement, ->copy and ->fault_pfn: object lock held. */

static u32 spu_ctx_placement(struct spu_ctx *ctx, s32 *unit)
{
	if (unit)
		*unit = ctx->spe;
	return ctx->spe >= 0 ? IODBG_PLACEMENT_DEVICE : IODBG_PLACEMENT_SAVED;
}

static void spu_copy(void *mem, void *buf, size_t len, bool write)
{
	if (write)
		memcpy(mem, buf, len);
	else
		memcpy(buf, mem, len);
}

static void spu_ctx_free(struct spu_ctx *ctx)
{
	vfree(ctx->saved_ls);
	free_page((unsigned long)ctx->saved_regs);
	iodbg_unaccount_mem(ctx->user, SPU_SIM_CTX_PAGES);
	free_uid(ctx->user);
	kfree(ctx);
}

/*
 * Forget half of @ctx: one of its objects was released. The context keeps running while the
 * other lives and is freed with it. Takes spu_sim.lock, which is why this driver drops its own
 * object references only after releasing that lock.
 */
static void spu_ctx_release_half(struct spu_ctx *ctx)
{
	bool last;

	mutex_lock(&spu_sim.lock);
	last = !--ctx->live;
	if (last) {
		list_del_init(&ctx->runq);
		if (ctx->spe >= 0) {
			spu_sim.spes[ctx->spe].ctx = NULL;
			spu_sim_kick();		/* the SPE is free for the next context */
		}
	}
	mutex_unlock(&spu_sim.lock);
	if (last)
		spu_ctx_free(ctx);
}

static u32 spu_ls_placement(struct iodbg_object *obj, s32 *unit)
{
	return spu_ctx_placement(ls_to_ctx(obj), unit);
}

static int spu_ls_copy(struct iodbg_object *obj, u64 offset, void *buf, size_t len,
		       bool write)
{
	spu_copy(spu_ctx_ls(ls_to_ctx(obj)) + offset, buf, len, write);
	return 0;
}

static int spu_ls_fault_pfn(struct iodbg_object *obj, pgoff_t pgoff, unsigned long *pfn,
			    pgprot_t *prot)
{
	struct spu_ctx *ctx = ls_to_ctx(obj);

	if (ctx->spe >= 0)
		*pfn = page_to_pfn(spu_sim.spes[ctx->spe].ls_page) + pgoff;
	else
		*pfn = vmalloc_to_pfn(ctx->saved_ls + (pgoff << PAGE_SHIFT));
	return 0;
}

static long spu_ls_ioctl(struct iodbg_object *obj, unsigned int cmd, unsigned long arg)
{
	return spu_ctx_ioctl(ls_to_ctx(obj), cmd, arg);
}

static void spu_ls_release(struct iodbg_object *obj)
{
	spu_ctx_release_half(ls_to_ctx(obj));
}

static const struct iodbg_object_ops spu_ls_ops = {
	.kind = IODBG_KIND_SPU_LS,
	.placement = spu_ls_placement,
	.copy = spu_ls_copy,
	.fault_pfn = spu_ls_fault_pfn,
	.ioctl = spu_ls_ioctl,
	.release = spu_ls_release,
};

static u32 spu_regs_placement(struct iodbg_object *obj, s32 *unit)
{
	return spu_ctx_placement(regs_to_ctx(obj), unit);
}

static int spu_regs_copy(struct iodbg_object *obj, u64 offset, void *buf, size_t len,
			 bool write)
{
	spu_copy((void *)spu_ctx_regs(regs_to_ctx(obj)) + offset, buf, len, write);
	return 0;
}

/* The registers are mapped only from the SPE: while saved, the faulting task waits. */
static int spu_regs_fault_pfn(struct iodbg_object *obj, pgoff_t pgoff, unsigned long *pfn,
			      pgprot_t *prot)
{
	struct spu_ctx *ctx = regs_to_ctx(obj);

	if (ctx->spe < 0)
		return -EAGAIN;
	*pfn = page_to_pfn(spu_sim.spes[ctx->spe].regs_page);
	return 0;
}

static long spu_regs_ioctl(struct iodbg_object *obj, unsigned int cmd, unsigned long arg)
{
	return spu_ctx_ioctl(regs_to_ctx(obj), cmd, arg);
}

static void spu_regs_release(struct iodbg_object *obj)
{
	spu_ctx_release_half(regs_to_ctx(obj));
}

static const struct iodbg_object_ops spu_regs_ops = {
	.kind = IODBG_KIND_SPU_REGS,
	.placement = spu_regs_placement,
	.copy = spu_regs_copy,
	.fault_pfn = spu_regs_fault_pfn,
	.ioctl = spu_regs_ioctl,
	.release = spu_regs_release,
};

/* Creating contexts. */

static struct spu_ctx *spu_ctx_alloc(void)
{
	struct spu_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return NULL;
	ctx->spe = -1;
	INIT_LIST_HEAD(&ctx->runq);
	spin_lock_init(&ctx->channel_lock);
	ctx->user = get_current_user();
	if (iodbg_account_mem(ctx->user, SPU_SIM_CTX_PAGES)) {
		free_uid(ctx->user);
		kfree(ctx);
		return NULL;
	}
	ctx->saved_ls = __vmalloc(SPU_SIM_LS_SIZE, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	ctx->saved_regs = (struct spu_sim_regs *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!ctx->saved_ls || !ctx->saved_regs) {
		spu_ctx_free(ctx);
		return NULL;
	}
	ctx->saved_regs->size = sizeof(struct spu_sim_regs);
	ctx->id = atomic64_inc_return(&spu_sim.next_id);
	return ctx;
}

/* A new context, saved and not yet runnable, holding the driver's reference on each object. */
static struct spu_ctx *spu_ctx_create(void)
{
	struct spu_ctx *ctx;
	int ret;

	ctx = spu_ctx_alloc();
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ret = iodbg_object_init(&ctx->ls, &spu_ls_ops, SPU_SIM_LS_SIZE, 0, THIS_MODULE);
	if (ret) {
		spu_ctx_free(ctx);
		return ERR_PTR(ret);
	}
	ctx->live = 1;
	ret = iodbg_object_init(&ctx->regs, &spu_regs_ops, PAGE_SIZE, IODBG_OBJECT_REGISTERS,
				THIS_MODULE);
	if (ret) {
		iodbg_object_put(&ctx->ls);
		return ERR_PTR(ret);
	}
	ctx->live = 2;
	ctx->ls.owner_id = ctx->regs.id;
	ctx->regs.owner_id = ctx->ls.id;
	return ctx;
}

static void spu_sim_add(struct spu_ctx *ctx)
{
	mutex_lock(&spu_sim.lock);
	list_add_tail(&ctx->runq, &spu_sim.runq);
	mutex_unlock(&spu_sim.lock);
	spu_sim_kick();
}

static struct file *spu_ctx_getfile(struct iodbg_object *obj, const char *what, u64 id)
{
	char name[32];

	snprintf(name, sizeof(name), "spu_%s:%llu", what, id);
	return iodbg_object_getfile(obj, name);
}

static bool spu_sim_create_valid(const struct spu_sim_create *create)
{
	return !create->flags && !create->ls_fd && !create->regs_fd && !create->ctx_id &&
	       !create->ls_id && !create->regs_id &&
	       !memchr_inv(create->reserved, 0, sizeof(create->reserved));
}

/*
 * Both files and descriptors are made before either descriptor is installed, so that a failure
 * leaves the caller nothing; once installed, the files hold the objects.
 */
static long spu_sim_ioctl_create(struct spu_sim_create __user *ucreate)
{
	struct file *ls_file, *regs_file;
	struct spu_sim_create create;
	int ls_fd, regs_fd;
	struct spu_ctx *ctx;
	long ret;

	ret = iodbg_copy_struct_from_user(&create, sizeof(create), sizeof(create), ucreate);
	if (ret)
		return ret;
	if (!spu_sim_create_valid(&create))
		return -EINVAL;

	ctx = spu_ctx_create();
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	ls_file = spu_ctx_getfile(&ctx->ls, "ls", ctx->id);
	if (IS_ERR(ls_file)) {
		ret = PTR_ERR(ls_file);
		goto err_put;
	}
	regs_file = spu_ctx_getfile(&ctx->regs, "regs", ctx->id);
	if (IS_ERR(regs_file)) {
		ret = PTR_ERR(regs_file);
		goto err_ls_file;
	}
	ls_fd = get_unused_fd_flags(O_CLOEXEC);
	if (ls_fd < 0) {
		ret = ls_fd;
		goto err_regs_file;
	}
	regs_fd = get_unused_fd_flags(O_CLOEXEC);
	if (regs_fd < 0) {
		ret = regs_fd;
		goto err_ls_fd;
	}

	create.ls_fd = ls_fd;
	create.regs_fd = regs_fd;
	create.ctx_id = ctx->id;
	create.ls_id = ctx->ls.id;
	create.regs_id = ctx->regs.id;
	if (copy_to_user(ucreate, &create, sizeof(create))) {
		ret = -EFAULT;
		goto err_regs_fd;
	}
	spu_sim_add(ctx);
	fd_install(ls_fd, ls_file);
	fd_install(regs_fd, regs_file);
	iodbg_object_put(&ctx->regs);
	iodbg_object_put(&ctx->ls);
	return 0;

err_regs_fd:
	put_unused_fd(regs_fd);
err_ls_fd:
	put_unused_fd(ls_fd);
err_regs_file:
	fput(regs_file);
err_ls_file:
	fput(ls_file);
err_put:
	iodbg_object_put(&ctx->regs);
	iodbg_object_put(&ctx->ls);
	return ret;
}

static long spu_sim_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case SPU_SIM_IOC_CREATE:
		return spu_sim_ioctl_create((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations spu_sim_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = spu_sim_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice spu_sim_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = SPU_SIM_DEVICE_NAME,
	.fops = &spu_sim_ctl_fops,
	.mode = 0666,
};

/* The SPEs: their memory is allocated at load and freed at unload, when no context is left. */

static void spu_sim_free_spes(void)
{
	unsigned int i;

	for (i = 0; i < nr_spes; i++) {
		if (spu_sim.spes[i].ls_page)
			__free_pages(spu_sim.spes[i].ls_page, SPU_SIM_LS_ORDER);
		if (spu_sim.spes[i].regs_page)
			__free_page(spu_sim.spes[i].regs_page);
	}
	kfree(spu_sim.spes);
	spu_sim.spes = NULL;
}

static int spu_sim_alloc_spes(void)
{
	unsigned int i;

	spu_sim.spes = kcalloc(nr_spes, sizeof(*spu_sim.spes), GFP_KERNEL);
	if (!spu_sim.spes)
		return -ENOMEM;
	for (i = 0; i < nr_spes; i++) {
		struct spu_sim_spe *spe = &spu_sim.spes[i];

		spe->ls_page = alloc_pages(GFP_KERNEL | __GFP_ZERO, SPU_SIM_LS_ORDER);
		spe->regs_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!spe->ls_page || !spe->regs_page) {
			spu_sim_free_spes();
			return -ENOMEM;
		}
		spe->ls = page_address(spe->ls_page);
		spe->regs = page_address(spe->regs_page);
	}
	return 0;
}

static int __init spu_sim_init(void)
{
	int ret;

	if (!nr_spes || nr_spes > SPU_SIM_MAX_SPES) {
		pr_err("nr_spes must be 1 to %u\n", SPU_SIM_MAX_SPES);
		return -EINVAL;
	}
	ret = spu_sim_alloc_spes();
	if (ret)
		return ret;
	spu_sim.thread = kthread_run(spu_sim_thread, NULL, "spu_sim");
	if (IS_ERR(spu_sim.thread)) {
		ret = PTR_ERR(spu_sim.thread);
		goto err_free;
	}
	ret = misc_register(&spu_sim_ctl_dev);
	if (ret)
		goto err_stop;
	pr_info("%u SPEs, %u ms time slice\n", nr_spes, slice_ms);
	return 0;

err_stop:
	kthread_stop(spu_sim.thread);
err_free:
	spu_sim_free_spes();
	return ret;
}

/* Every context pins this module through its objects: none is left at exit. */
static void __exit spu_sim_exit(void)
{
	misc_deregister(&spu_sim_ctl_dev);
	kthread_stop(spu_sim.thread);
	spu_sim_free_spes();
}

module_init(spu_sim_init);
module_exit(spu_sim_exit);

MODULE_DESCRIPTION("spu_sim: reference SPU driver with time-sliced contexts, for iodbg");
MODULE_LICENSE("GPL");
