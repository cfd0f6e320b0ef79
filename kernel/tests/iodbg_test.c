// SPDX-License-Identifier: GPL-2.0
/*
 * iodbg_test: test-only scratch objects, what mapping /dev/iodbg_test gives. Zeroed kernel
 * pages, not physically contiguous, inserted by pfn into a VM_IO | VM_PFNMAP mapping. They
 * never move, so the object is the simplest client of the iodbg driver API; with
 * IODBG_SCRATCH_OFF_NO_ACCESS or _ACCESS_REFUSES it is a mapping whose ->access is missing or
 * refuses, as many drivers make, for the generic fallback to read. IODBG_SCRATCH_OFF_HUGE is
 * no iodbg object but a pfn mapping that one PMD leaf maps, as vfio-pci maps a BAR since 6.12.
 * Never installed.
 */

#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pfn_t.h>
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

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
/*
 * IODBG_SCRATCH_OFF_HUGE: a physically contiguous, naturally aligned block of RAM of the size
 * of a PMD leaf, which the fault handler maps whole by vmf_insert_pfn_pmd(). It cannot be an
 * iodbg object, whose mappings iodbg_vm_fault() maps page by page.
 *
 * The fault comes through ->fault, not ->huge_fault: a VM_PFNMAP mapping gets no ->huge_fault
 * call before 6.12 (hugepage_vma_check() refuses VM_SPECIAL outside DAX), but ->fault runs
 * with the PMD still none, which is all vmf_insert_pfn_pmd() needs. The block is a compound
 * page, so that a walker that sees the PMD as a transparent huge page (6.1 has no
 * pmd_special()) finds a head page with a reference count, as it expects.
 */
struct iodbg_huge {
	struct kref ref;	/* one per mapping of the block */
	struct page *block;
};

static void iodbg_huge_free(struct kref *ref)
{
	struct iodbg_huge *huge = container_of(ref, struct iodbg_huge, ref);

	__free_pages(huge->block, HPAGE_PMD_ORDER);
	kfree(huge);
}

static void iodbg_huge_vm_open(struct vm_area_struct *vma)
{
	struct iodbg_huge *huge = vma->vm_private_data;

	kref_get(&huge->ref);
}

static void iodbg_huge_vm_close(struct vm_area_struct *vma)
{
	struct iodbg_huge *huge = vma->vm_private_data;

	kref_put(&huge->ref, iodbg_huge_free);
}

/* Only one PMD leaf ever maps the block: no part of it can be unmapped or protected alone. */
static int iodbg_huge_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

/*
 * Map the whole block by one PMD leaf. Locking: mmap_lock held for read by the caller;
 * vmf_insert_pfn_pmd() takes the PMD's lock, and a racing fault that installed the leaf first
 * makes it return VM_FAULT_NOPAGE without change. A mapping that mremap() moved off a PMD
 * boundary, or a PMD that already holds a page table, cannot take the leaf: SIGBUS rather
 * than a fault that never maps anything.
 */
static vm_fault_t iodbg_huge_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct iodbg_huge *huge = vma->vm_private_data;
	pmd_t pmd = READ_ONCE(*vmf->pmd);

	if (vma->vm_start != (vmf->address & HPAGE_PMD_MASK) ||
	    vma->vm_end - vma->vm_start != HPAGE_PMD_SIZE)
		return VM_FAULT_SIGBUS;
	if (!pmd_none(pmd) && !pmd_leaf(pmd))
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn_pmd(vmf, pfn_to_pfn_t(page_to_pfn(huge->block)),
				  vmf->flags & FAULT_FLAG_WRITE);
}

static const struct vm_operations_struct iodbg_huge_vm_ops = {
	.open = iodbg_huge_vm_open,
	.close = iodbg_huge_vm_close,
	.may_split = iodbg_huge_vm_may_split,
	.fault = iodbg_huge_vm_fault,
};

/* The pattern the uapi header promises: word at byte offset O holds _HUGE_PATTERN + O. */
static void iodbg_huge_fill(struct page *block)
{
	unsigned long i, w;

	for (i = 0; i < HPAGE_PMD_NR; i++) {
		u64 *words = kmap_local_page(block + i);

		for (w = 0; w < PAGE_SIZE / sizeof(*words); w++)
			words[w] = IODBG_SCRATCH_HUGE_PATTERN + i * PAGE_SIZE + w * sizeof(*words);
		kunmap_local(words);
	}
}

/*
 * A shared mapping of exactly one PMD leaf's size at an address aligned to it: the caller
 * places it (MAP_FIXED). A private one would be a COW pfn mapping, which
 * vmf_insert_pfn_pmd() BUGs on. The block is charged to the caller's memory cgroup, and a
 * mapping holds no more than IODBG_SCRATCH_MAX_SIZE, as for every scratch object.
 */
static int iodbg_huge_mmap(struct vm_area_struct *vma)
{
	struct iodbg_huge *huge;

	BUILD_BUG_ON(HPAGE_PMD_SIZE > IODBG_SCRATCH_MAX_SIZE);
	if (vma->vm_end - vma->vm_start != HPAGE_PMD_SIZE ||
	    !IS_ALIGNED(vma->vm_start, HPAGE_PMD_SIZE) || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	huge = kzalloc(sizeof(*huge), GFP_KERNEL_ACCOUNT);
	if (!huge)
		return -ENOMEM;
	huge->block = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_COMP | __GFP_NOWARN,
				  HPAGE_PMD_ORDER);
	if (!huge->block) {
		kfree(huge);
		return -ENOMEM;
	}
	iodbg_huge_fill(huge->block);
	kref_init(&huge->ref);

	vma->vm_pgoff = 0;
	vma->vm_private_data = huge;
	vma->vm_ops = &iodbg_huge_vm_ops;
#ifdef IODBG_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
#else
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
#endif
	return 0;
}
#else
static int iodbg_huge_mmap(struct vm_area_struct *vma)
{
	return -EOPNOTSUPP;	/* no PMD leaves in user mappings without THP */
}
#endif

/*
 * Map a new scratch object, of the variant the mmap offset names, at offset 0 of it, or the
 * huge mapping (iodbg_huge_mmap()).
 */
static int iodbg_scratch_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;
	loff_t offset = (loff_t)vma->vm_pgoff << PAGE_SHIFT;
	const struct iodbg_object_ops *ops;
	struct iodbg_scratch *scratch;
	bool write_only = false;
	u32 flags;
	int ret;

	if (offset == IODBG_SCRATCH_OFF_HUGE)
		return iodbg_huge_mmap(vma);
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
