// SPDX-License-Identifier: GPL-2.0
/*
 * iodbg_test: test-only scratch objects, what mapping /dev/iodbg_test gives. Zeroed kernel
 * pages, not physically contiguous, inserted by pfn into a VM_IO | VM_PFNMAP mapping. They
 * never move, so the object is the simplest client of the iodbg driver API; with
 * IODBG_SCRATCH_OFF_NO_ACCESS or _ACCESS_REFUSES it is a mapping whose ->access is missing or
 * refuses, as many drivers make, for the generic fallback to read. Never installed.
 */

#include <linux/highmem.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include "iodbg.h"
#include "uapi/linux/iodbg_test.h"

struct iodbg_scratch {
	struct iodbg_object obj;
	unsigned long npages;
	struct page *pages[];
};

static struct iodbg_scratch *to_scratch(struct iodbg_object *obj)
{
	return container_of(obj, struct iodbg_scratch, obj);
}

static u32 iodbg_scratch_placement(struct iodbg_object *obj, s32 *unit)
{
	if (unit)
		*unit = -1;
	return IODBG_PLACEMENT_SYSTEM;
}

static int iodbg_scratch_copy(struct iodbg_object *obj, u64 offset, void *buf, size_t len,
			      bool write)
{
	iodbg_copy_pages(to_scratch(obj)->pages, offset, buf, len, write);
	return 0;
}

static int iodbg_scratch_fault_pfn(struct iodbg_object *obj, pgoff_t pgoff, unsigned long *pfn,
				   pgprot_t *prot)
{
	*pfn = page_to_pfn(to_scratch(obj)->pages[pgoff]);
	return 0;
}

static void iodbg_scratch_release(struct iodbg_object *obj)
{
	struct iodbg_scratch *scratch = to_scratch(obj);
	unsigned long i;

	for (i = 0; i < scratch->npages; i++)
		__free_page(scratch->pages[i]);
	kvfree(scratch);
}

/* Mappings that look like a driver's whose ->access refuses this placement. */
static int iodbg_scratch_access_refuse(struct vm_area_struct *vma, unsigned long addr,
				       void *buf, int len, int write)
{
	return -EIO;
}

static const struct vm_operations_struct iodbg_scratch_vm_no_access = IODBG_VM_OPS(NULL);
static const struct vm_operations_struct iodbg_scratch_vm_access_refuses =
	IODBG_VM_OPS(iodbg_scratch_access_refuse);

#define IODBG_SCRATCH_OPS(name, vmops)				\
static const struct iodbg_object_ops name = {			\
	.kind = IODBG_KIND_SCRATCH,				\
	.placement = iodbg_scratch_placement,			\
	.copy = iodbg_scratch_copy,				\
	.fault_pfn = iodbg_scratch_fault_pfn,			\
	.vm_ops = vmops,					\
	.release = iodbg_scratch_release,			\
}

IODBG_SCRATCH_OPS(iodbg_scratch_ops, NULL);
IODBG_SCRATCH_OPS(iodbg_scratch_ops_no_access, &iodbg_scratch_vm_no_access);
IODBG_SCRATCH_OPS(iodbg_scratch_ops_access_refuses, &iodbg_scratch_vm_access_refuses);

static struct iodbg_scratch *iodbg_scratch_alloc(unsigned long npages)
{
	struct iodbg_scratch *scratch;
	unsigned long i;

	scratch = kvzalloc(struct_size(scratch, pages, npages), GFP_KERNEL_ACCOUNT);
	if (!scratch)
		return NULL;
	scratch->npages = npages;
	for (i = 0; i < npages; i++) {
		scratch->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!scratch->pages[i])
			goto err_free;
	}
	return scratch;

err_free:
	while (i--)
		__free_page(scratch->pages[i]);
	kvfree(scratch);
	return NULL;
}

/* Map a new scratch object, of the variant the mmap offset names, at offset 0 of it. */
static int iodbg_scratch_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;
	loff_t offset = (loff_t)vma->vm_pgoff << PAGE_SHIFT;
	const struct iodbg_object_ops *ops;
	struct iodbg_scratch *scratch;
	bool write_only = false;
	u32 flags;
	int ret;

	if (offset == IODBG_SCRATCH_OFF_WRITE_ONLY) {
		if (vma->vm_flags & VM_READ)
			return -EACCES;
		write_only = true;
		offset = IODBG_SCRATCH_OFF_ACCESS;
	}
	if (offset == IODBG_SCRATCH_OFF_ACCESS) {
		ops = &iodbg_scratch_ops;
		flags = 0;
	} else if (offset == IODBG_SCRATCH_OFF_NO_ACCESS) {
		ops = &iodbg_scratch_ops_no_access;
		flags = IODBG_OBJECT_NO_ACCESS;
	} else if (offset == IODBG_SCRATCH_OFF_ACCESS_REFUSES) {
		ops = &iodbg_scratch_ops_access_refuses;
		flags = IODBG_OBJECT_ACCESS_REFUSES;
	} else {
		return -EINVAL;
	}
	if (size > IODBG_SCRATCH_MAX_SIZE)
		return -EINVAL;

	scratch = iodbg_scratch_alloc(size >> PAGE_SHIFT);
	if (!scratch)
		return -ENOMEM;
	ret = iodbg_object_init(&scratch->obj, ops, size, flags, THIS_MODULE);
	if (ret) {
		iodbg_scratch_release(&scratch->obj);
		return ret;
	}
	vma->vm_pgoff = 0;
	if (write_only) {
#ifdef IODBG_HAVE_VM_FLAGS_SET
		vm_flags_clear(vma, VM_MAYREAD);
#else
		vma->vm_flags &= ~VM_MAYREAD;
#endif
	}
	ret = iodbg_object_mmap(&scratch->obj, vma, "scratch");
	/* The mapping holds its own reference; drop the creator's. */
	iodbg_object_put(&scratch->obj);
	return ret;
}

static const struct file_operations iodbg_test_fops = {
	.owner = THIS_MODULE,
	.mmap = iodbg_scratch_mmap,
};

/* Open to all: the permission tests map scratch objects as plain users. */
static struct miscdevice iodbg_test_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = IODBG_TEST_DEVICE_NAME,
	.fops = &iodbg_test_fops,
	.mode = 0666,
};

module_misc_device(iodbg_test_dev);

MODULE_DESCRIPTION("iodbg test-only scratch objects");
MODULE_LICENSE("GPL");
