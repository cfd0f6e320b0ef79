// SPDX-License-Identifier: GPL-2.0
/*
 * iodbg_harness_fault: breaks the test VM's kernel on purpose, so that the tests of the VM
 * runner can prove it reports every kind of kernel failure. Never load it anywhere else.
 *
 *   insmod iodbg_harness_fault.ko fault=warn|oops|lockup
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/string.h>

static char *fault = "none";
module_param(fault, charp, 0444);
MODULE_PARM_DESC(fault, "the failure to cause at load: none, warn, oops or lockup");

static int __init harness_fault_init(void)
{
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
	} else if (strcmp(fault, "none")) {
		return -EINVAL;
	}
	return 0;
}

static void __exit harness_fault_exit(void)
{
}

module_init(harness_fault_init);
module_exit(harness_fault_exit);

MODULE_DESCRIPTION("iodbg test VM harness: deliberate kernel faults");
MODULE_LICENSE("GPL");
