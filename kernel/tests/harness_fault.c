// SPDX-License-Identifier: GPL-2.0
/*
 * iodbg_harness_fault: breaks the test VM's kernel on purpose, so that the tests of the VM
 * runner can prove it reports every kind of kernel failure. Never load it anywhere else.
 *
 *   insmod iodbg_harness_fault.ko fault=warn|oops|lockup
 *   insmod iodbg_harness_fault.ko fault=kasan-uaf|kasan-oob|lockdep-abba|sleep-in-atomic|
 *                                       list-double-add|vm-bug
 *
 * The second group is for the debug kernel (scripts/build-debug-kernel): each is a bug only
 * its checkers (KASAN, lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_LIST, DEBUG_VM) report, and that a
 * stock kernel lets pass or corrupts memory with.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/page_ref.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *fault = "none";
module_param(fault, charp, 0444);
MODULE_PARM_DESC(fault,
		 "the failure to cause at load: none, warn, oops, lockup, kasan-uaf, kasan-oob, lockdep-abba, sleep-in-atomic, list-double-add or vm-bug");

/* OPTIMIZER_HIDE_VAR: the compiler must neither see the bug nor drop the access. */
static int harness_kasan_use_after_free(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	kfree(p);
	OPTIMIZER_HIDE_VAR(p);
	pr_info("read after free: %d\n", READ_ONCE(p[0]));
	return 0;
}

static int harness_kasan_out_of_bounds(void)
{
	size_t size = 64;
	char *p = kmalloc(size, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	OPTIMIZER_HIDE_VAR(size);
	pr_info("read past the end: %d\n", READ_ONCE(p[size]));
	kfree(p);
	return 0;
}

static DEFINE_MUTEX(harness_lock_a);
static DEFINE_MUTEX(harness_lock_b);

/* A then B, later B then A: one thread never deadlocks, but two could, and lockdep says so. */
static void harness_lockdep_abba(void)
{
	mutex_lock(&harness_lock_a);
	mutex_lock(&harness_lock_b);
	mutex_unlock(&harness_lock_b);
	mutex_unlock(&harness_lock_a);

	mutex_lock(&harness_lock_b);
	mutex_lock(&harness_lock_a);
	mutex_unlock(&harness_lock_a);
	mutex_unlock(&harness_lock_b);
}

static DEFINE_SPINLOCK(harness_spinlock);

static void harness_sleep_in_atomic(void)
{
	spin_lock(&harness_spinlock);
	might_sleep();
	spin_unlock(&harness_spinlock);
}

static void harness_list_double_add(void)
{
	static LIST_HEAD(list);
	static struct list_head entry;

	list_add(&entry, &list);
	list_add(&entry, &list);
}

/* A page whose count was frozen at zero is one nobody may take a reference to. */
static int harness_vm_bug(void)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (!page)
		return -ENOMEM;
	if (!page_ref_freeze(page, 1)) {
		__free_page(page);
		return -EBUSY;
	}
	get_page(page);
	return 0;
}

static int __init harness_fault_init(void)
{
	int ret = 0;

	pr_info("causing fault=%s\n", fault);
	if (!strcmp(fault, "warn")) {
		WARN(1, "iodbg_harness_fault: deliberate WARN\n");
	} else if (!strcmp(fault, "oops")) {
		/* WRITE_ONCE: the compiler must not drop the store as undefined. */
		WRITE_ONCE(*(int *)NULL, 1);
	} else if (!strcmp(fault, "lockup")) {
		preempt_disable();
		for (;;)
			cpu_relax();
	} else if (!strcmp(fault, "kasan-uaf")) {
		ret = harness_kasan_use_after_free();
	} else if (!strcmp(fault, "kasan-oob")) {
		ret = harness_kasan_out_of_bounds();
	} else if (!strcmp(fault, "lockdep-abba")) {
		harness_lockdep_abba();
	} else if (!strcmp(fault, "sleep-in-atomic")) {
		harness_sleep_in_atomic();
	} else if (!strcmp(fault, "list-double-add")) {
		harness_list_double_add();
	} else if (!strcmp(fault, "vm-bug")) {
		ret = harness_vm_bug();
	} else if (strcmp(fault, "none")) {
		ret = -EINVAL;
	}
	return ret;
}

static void __exit harness_fault_exit(void)
{
}

module_init(harness_fault_init);
module_exit(harness_fault_exit);

MODULE_DESCRIPTION("iodbg test VM harness: deliberate kernel faults");
MODULE_LICENSE("GPL");
