// SPDX-License-Identifier: GPL-2.0
/*
 * The scratch object: what mapping /dev/iodbg gives. Zeroed kernel pages, not physically
 * contiguous, inserted by pfn into a VM_IO | VM_PFNMAP mapping. They never move, so the object
 * is the simplest client of the iodbg object API, and with IODBG_SCRATCH_OFF_NO_ACCESS or
 * _ACCESS_REFUSES it is a mapping whose ->access is missing or refuses, as many drivers make,
 * for the generic fallback to read.
 */

#include <linux/highmem.h>
#include <linux/slab.h>
#include "iodbg_internal.h"

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

static const struct iodbg_object_ops iodbg_scratch_ops = {
	.kind = IODBG_KIND_SCRATCH,
	.placement = iodbg_scratch_placement,
	.copy = iodbg_scratch_copy,
	.fault_pfn = iodbg_scratch_fault_pfn,
	.release = iodbg_scratch_release,
};

static struct iodbg_scratch *iodbg_scratch_alloc(unsigned long npages)
{
	struct iodbg_scratch *scratch;
	unsigned long i;

	scratch = kvzalloc(struct_size(scratch, pages, npages), GFP_KERNEL);
	if (!scratch)
		return NULL;
	scratch->npages = npages;
	for (i = 0; i < npages; i++) {
		scratch->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
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

/**
 * iodbg_scratch_mmap() - map a new scratch object
 * @file:	the control device
 * @vma:	the new mapping: MAP_SHARED, at one of the IODBG_SCRATCH_OFF_* offsets
 *
 * Return: 0, or a negative errno.
 */
int iodbg_scratch_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;
	loff_t offset = (loff_t)vma->vm_pgoff << PAGE_SHIFT;
	struct iodbg_scratch *scratch;
	u32 flags;
	int ret;

	if (offset == IODBG_SCRATCH_OFF_ACCESS)
		flags = 0;
	else if (offset == IODBG_SCRATCH_OFF_NO_ACCESS)
		flags = IODBG_OBJECT_NO_ACCESS;
	else if (offset == IODBG_SCRATCH_OFF_ACCESS_REFUSES)
		flags = IODBG_OBJECT_ACCESS_REFUSES;
	else
		return -EINVAL;
	if (size > IODBG_SCRATCH_MAX_SIZE)
		return -EINVAL;

	scratch = iodbg_scratch_alloc(size >> PAGE_SHIFT);
	if (!scratch)
		return -ENOMEM;
	ret = iodbg_object_init(&scratch->obj, &iodbg_scratch_ops, size, flags, THIS_MODULE);
	if (ret) {
		iodbg_scratch_release(&scratch->obj);
		return ret;
	}
	scratch->obj.map_pgoff = vma->vm_pgoff;
	ret = iodbg_object_mmap(&scratch->obj, vma);
	/* The mapping holds its own reference; drop the creator's. */
	iodbg_object_put(&scratch->obj);
	return ret;
}
