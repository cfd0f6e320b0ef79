// SPDX-License-Identifier: GPL-2.0
/*
 * pfnmap_shapes: test-only pfn mappings of kernel pages and of a PCI BAR, with and without
 * generic_access_phys() as ->access, whose neighbouring pages are never physically
 * adjacent: the shapes for which the mm/ patch series in kernel/patches changes what
 * /proc/PID/mem, ptrace and process_vm_readv() do (uapi/linux/pfnmap_shapes.h). It is not
 * built on iodbg, so that its tests show what stock tools get from the kernel alone.
 *
 * Without the series, generic_access_phys() cannot read RAM: 6.1 ioremaps it, and x86's
 * ioremap warns "ioremap on RAM", a panic under panic_on_warn, as the test VM boots; 6.12
 * refuses it. The tests never read a RAM_GAPS mapping there. Never installed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include "uapi/linux/pfnmap_shapes.h"

/* Blocks of RAM (two pages each) alive over all mappings: a plain user may map the device. */
#define PFNMAP_SHAPES_RAM_BLOCKS_MAX	1024

/* QEMU's secondary-vga: BAR 0 is its framebuffer, device memory that keeps what is written. */
#define PFNMAP_SHAPES_PCI_VENDOR	0x1234
#define PFNMAP_SHAPES_PCI_DEVICE	0x1111
#define PFNMAP_SHAPES_BAR		0

/**
 * struct pfnmap_shapes_ram - the RAM behind one mapping of a RAM shape
 * @ref:	one reference per VMA that maps the pages
 * @nblocks:	number of blocks, one per page of the mapping
 * @blocks:	the first page of each block of two: the page mapped, followed by its guard
 */
struct pfnmap_shapes_ram {
	struct kref ref;
	unsigned long nblocks;
	struct page *blocks[];
};

static atomic_long_t pfnmap_shapes_ram_blocks = ATOMIC_LONG_INIT(0);

/**
 * struct pfnmap_shapes_bar - the device memory that MMIO shapes map
 * @lock:	protects the other members, and serialises the writes of the pattern
 * @pdev:	the PCI device whose BAR it is, or NULL before probe
 * @start:	physical address of the BAR
 * @npages:	size of the BAR in pages
 * @mem:	the kernel's mapping of the BAR, for writing the pattern
 */
static struct pfnmap_shapes_bar {
	struct mutex lock;	/* see above */
	struct pci_dev *pdev;
	resource_size_t start;
	unsigned long npages;
	void __iomem *mem;
} pfnmap_shapes_bar = {
	.lock = __MUTEX_INITIALIZER(pfnmap_shapes_bar.lock),
};

/* Fill one kernel page with the words base, base + 8, base + 16, ... */
static void pfnmap_shapes_fill_page(struct page *page, u64 base)
{
	u64 *words = kmap_local_page(page);
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(*words); i++)
		words[i] = base + i * sizeof(*words);
	kunmap_local(words);
}

static void pfnmap_shapes_ram_free(struct pfnmap_shapes_ram *ram, unsigned long nblocks)
{
	unsigned long i;

	for (i = 0; i < nblocks; i++) {
		__free_page(ram->blocks[i]);
		__free_page(ram->blocks[i] + 1);
	}
	atomic_long_sub(ram->nblocks, &pfnmap_shapes_ram_blocks);
	kfree(ram);
}

/**
 * pfnmap_shapes_ram_alloc() - allocate and fill the RAM for a mapping
 * @npages: pages in the mapping
 *
 * Each page of the mapping is the first of a block of two, so that the page physically
 * next to it is the block's guard, never mapped: no two pages of the mapping are
 * physically adjacent. The blocks are split, so that each page has a reference of its own,
 * as any page a driver maps, and charged to the caller's memory cgroup.
 *
 * Context: process context, may sleep; no locks needed.
 * Return: the RAM with one reference, or NULL when memory or the module's cap ran out.
 */
static struct pfnmap_shapes_ram *pfnmap_shapes_ram_alloc(unsigned long npages)
{
	struct pfnmap_shapes_ram *ram;
	unsigned long i;

	if (atomic_long_add_return(npages, &pfnmap_shapes_ram_blocks) >
	    PFNMAP_SHAPES_RAM_BLOCKS_MAX)
		goto err_uncount;
	ram = kzalloc(struct_size(ram, blocks, npages), GFP_KERNEL_ACCOUNT);
	if (!ram)
		goto err_uncount;
	ram->nblocks = npages;
	for (i = 0; i < npages; i++) {
		struct page *block = alloc_pages(GFP_KERNEL_ACCOUNT, 1);

		if (!block)
			goto err_free;
		split_page(block, 1);
		ram->blocks[i] = block;
		pfnmap_shapes_fill_page(block, PFNMAP_SHAPES_RAM_PATTERN + i * PAGE_SIZE);
		pfnmap_shapes_fill_page(block + 1, PFNMAP_SHAPES_GUARD_PATTERN + i * PAGE_SIZE);
	}
	kref_init(&ram->ref);
	return ram;

err_free:
	pfnmap_shapes_ram_free(ram, i);
	return NULL;
err_uncount:
	atomic_long_sub(npages, &pfnmap_shapes_ram_blocks);
	return NULL;
}

static void pfnmap_shapes_ram_release(struct kref *ref)
{
	struct pfnmap_shapes_ram *ram = container_of(ref, struct pfnmap_shapes_ram, ref);

	pfnmap_shapes_ram_free(ram, ram->nblocks);
}

/* Locking: mmap_lock held for write (a VMA copied, split or moved). */
static void pfnmap_shapes_ram_vm_open(struct vm_area_struct *vma)
{
	struct pfnmap_shapes_ram *ram = vma->vm_private_data;

	kref_get(&ram->ref);
}

/* Locking: mmap_lock held for write, or the mm going away; the last VMA frees the pages. */
static void pfnmap_shapes_ram_vm_close(struct vm_area_struct *vma)
{
	struct pfnmap_shapes_ram *ram = vma->vm_private_data;

	kref_put(&ram->ref, pfnmap_shapes_ram_release);
}

/* RAM: no ->access, as drivers that remap_pfn_range() a buffer of their own. */
static const struct vm_operations_struct pfnmap_shapes_ram_vm_ops = {
	.open = pfnmap_shapes_ram_vm_open,
	.close = pfnmap_shapes_ram_vm_close,
};

/* RAM_GAPS: ->access from the core, as drivers that map RAM and I/O memory alike. */
static const struct vm_operations_struct pfnmap_shapes_ram_gaps_vm_ops = {
	.open = pfnmap_shapes_ram_vm_open,
	.close = pfnmap_shapes_ram_vm_close,
	.access = generic_access_phys,
};

/* MMIO: no ->access, as vfio-pci's BARs; debuggers must keep away. */
static const struct vm_operations_struct pfnmap_shapes_mmio_vm_ops = {
};

/* MMIO_GAPS: ->access from the core, as the PCI sysfs resource files and many drivers. */
static const struct vm_operations_struct pfnmap_shapes_mmio_gaps_vm_ops = {
	.access = generic_access_phys,
};

/**
 * pfnmap_shapes_mmap_ram() - map new RAM, one page of each block
 * @vma: the new mapping, shared, of at most PFNMAP_SHAPES_MAX_PAGES pages
 * @vm_ops: pfnmap_shapes_ram_vm_ops or pfnmap_shapes_ram_gaps_vm_ops
 *
 * Context: mmap_lock held for write. The VMA is not yet visible to lookups, but its page
 * table entries are to the CPUs of the process: on failure they are zapped before the
 * pages are freed.
 * Return: 0 or a negative errno.
 */
static int pfnmap_shapes_mmap_ram(struct vm_area_struct *vma,
				  const struct vm_operations_struct *vm_ops)
{
	unsigned long npages = vma_pages(vma), i;
	struct pfnmap_shapes_ram *ram;
	int ret;

	ram = pfnmap_shapes_ram_alloc(npages);
	if (!ram)
		return -ENOMEM;
	for (i = 0; i < npages; i++) {
		ret = remap_pfn_range(vma, vma->vm_start + i * PAGE_SIZE,
				      page_to_pfn(ram->blocks[i]), PAGE_SIZE, vma->vm_page_prot);
		if (ret)
			goto err_zap;
	}
	vma->vm_private_data = ram;
	vma->vm_ops = vm_ops;
	return 0;

err_zap:
	zap_vma_ptes(vma, vma->vm_start, vma->vm_end - vma->vm_start);
	kref_put(&ram->ref, pfnmap_shapes_ram_release);
	return ret;
}

/**
 * pfnmap_shapes_mmap_mmio() - map pages of the BAR
 * @vma: the new mapping, shared, of at most PFNMAP_SHAPES_MAX_PAGES pages
 * @gaps: map every other BAR page, with generic_access_phys() as ->access
 *
 * Writes the pattern into the BAR pages the mapping spans first, the pages between
 * included. The BAR outlives every mapping: the device cannot be unbound while the module
 * is loaded (suppress_bind_attrs), and a mapping holds the module through its file.
 *
 * Context: mmap_lock held for write; takes pfnmap_shapes_bar.lock.
 * Return: 0 or a negative errno: ENODEV when the VM has no such device.
 */
static int pfnmap_shapes_mmap_mmio(struct vm_area_struct *vma, bool gaps)
{
	unsigned long npages = vma_pages(vma), stride = gaps ? 2 : 1, i;
	struct pfnmap_shapes_bar *bar = &pfnmap_shapes_bar;
	size_t span = npages * stride * PAGE_SIZE, off;
	pgprot_t prot = pgprot_writecombine(vma->vm_page_prot);
	int ret = 0;

	mutex_lock(&bar->lock);
	if (!bar->mem) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (span > bar->npages * PAGE_SIZE) {
		ret = -EINVAL;
		goto out_unlock;
	}
	for (off = 0; off < span; off += sizeof(u64))
		writeq(PFNMAP_SHAPES_MMIO_PATTERN + off, bar->mem + off);
	for (i = 0; i < npages; i++) {
		ret = io_remap_pfn_range(vma, vma->vm_start + i * PAGE_SIZE,
					 PHYS_PFN(bar->start) + i * stride, PAGE_SIZE, prot);
		if (ret) {
			zap_vma_ptes(vma, vma->vm_start, vma->vm_end - vma->vm_start);
			goto out_unlock;
		}
	}
	vma->vm_ops = gaps ? &pfnmap_shapes_mmio_gaps_vm_ops : &pfnmap_shapes_mmio_vm_ops;
out_unlock:
	mutex_unlock(&bar->lock);
	return ret;
}

/*
 * Map the shape that the mmap offset names. Shared mappings only: a private one would be a
 * copy-on-write pfn mapping, which remap_pfn_range() cannot populate page by page.
 *
 * Locking: mmap_lock held for write by the caller.
 */
static int pfnmap_shapes_mmap(struct file *file, struct vm_area_struct *vma)
{
	u64 offset = (u64)vma->vm_pgoff << PAGE_SHIFT;

	if (!(vma->vm_flags & VM_SHARED) || vma_pages(vma) > PFNMAP_SHAPES_MAX_PAGES)
		return -EINVAL;
	switch (offset) {
	case PFNMAP_SHAPES_OFF_RAM:
		return pfnmap_shapes_mmap_ram(vma, &pfnmap_shapes_ram_vm_ops);
	case PFNMAP_SHAPES_OFF_RAM_GAPS:
		return pfnmap_shapes_mmap_ram(vma, &pfnmap_shapes_ram_gaps_vm_ops);
	case PFNMAP_SHAPES_OFF_MMIO:
		return pfnmap_shapes_mmap_mmio(vma, false);
	case PFNMAP_SHAPES_OFF_MMIO_GAPS:
		return pfnmap_shapes_mmap_mmio(vma, true);
	default:
		return -EINVAL;
	}
}

static const struct file_operations pfnmap_shapes_fops = {
	.owner = THIS_MODULE,
	.mmap = pfnmap_shapes_mmap,
};

/* Open to all: the tests map it as a plain user; the RAM is charged to them and capped. */
static struct miscdevice pfnmap_shapes_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = PFNMAP_SHAPES_DEVICE_NAME,
	.fops = &pfnmap_shapes_fops,
	.mode = 0666,
};

/*
 * Take the first device's BAR; further devices are left alone (EBUSY).
 *
 * Locking: takes pfnmap_shapes_bar.lock, so that an mmap sees the BAR whole or not at all.
 */
static int pfnmap_shapes_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	resource_size_t start = pci_resource_start(pdev, PFNMAP_SHAPES_BAR);
	resource_size_t len = pci_resource_len(pdev, PFNMAP_SHAPES_BAR);
	struct pfnmap_shapes_bar *bar = &pfnmap_shapes_bar;
	int ret;

	if (!len || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(len))
		return -ENODEV;
	mutex_lock(&bar->lock);
	ret = -EBUSY;
	if (bar->pdev)
		goto out_unlock;
	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto out_unlock;
	ret = pci_request_region(pdev, PFNMAP_SHAPES_BAR, KBUILD_MODNAME);
	if (ret)
		goto err_disable;
	bar->mem = ioremap_wc(start, len);
	if (!bar->mem) {
		ret = -ENOMEM;
		goto err_release;
	}
	bar->pdev = pdev;
	bar->start = start;
	bar->npages = len >> PAGE_SHIFT;
	mutex_unlock(&bar->lock);
	dev_info(&pdev->dev, "%llu KiB of device memory at %pa\n", (u64)len >> 10, &start);
	return 0;

err_release:
	pci_release_region(pdev, PFNMAP_SHAPES_BAR);
err_disable:
	pci_disable_device(pdev);
out_unlock:
	mutex_unlock(&bar->lock);
	return ret;
}

/* Only at module exit, when no mapping is left. Locking: takes pfnmap_shapes_bar.lock. */
static void pfnmap_shapes_remove(struct pci_dev *pdev)
{
	struct pfnmap_shapes_bar *bar = &pfnmap_shapes_bar;

	mutex_lock(&bar->lock);
	iounmap(bar->mem);
	bar->mem = NULL;
	bar->npages = 0;
	bar->pdev = NULL;
	mutex_unlock(&bar->lock);
	pci_release_region(pdev, PFNMAP_SHAPES_BAR);
	pci_disable_device(pdev);
}

/*
 * secondary-vga only: a primary VGA device may hold the console. No MODULE_DEVICE_TABLE:
 * nothing is to load this module for a device.
 */
static const struct pci_device_id pfnmap_shapes_pci_ids[] = {
	{ PCI_DEVICE(PFNMAP_SHAPES_PCI_VENDOR, PFNMAP_SHAPES_PCI_DEVICE),
	  .class = PCI_CLASS_DISPLAY_OTHER << 8, .class_mask = 0xffff00 },
	{ }
};

static struct pci_driver pfnmap_shapes_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = pfnmap_shapes_pci_ids,
	.probe = pfnmap_shapes_probe,
	.remove = pfnmap_shapes_remove,
	/* Device memory must outlive every mapping: unbinding is module exit's alone. */
	.driver.suppress_bind_attrs = true,
};

static int __init pfnmap_shapes_init(void)
{
	int ret;

	ret = pci_register_driver(&pfnmap_shapes_pci_driver);
	if (ret)
		return ret;
	ret = misc_register(&pfnmap_shapes_dev);
	if (ret)
		goto err_unregister;
	return 0;

err_unregister:
	pci_unregister_driver(&pfnmap_shapes_pci_driver);
	return ret;
}

static void __exit pfnmap_shapes_exit(void)
{
	misc_deregister(&pfnmap_shapes_dev);
	pci_unregister_driver(&pfnmap_shapes_pci_driver);
}

module_init(pfnmap_shapes_init);
module_exit(pfnmap_shapes_exit);

MODULE_DESCRIPTION("test-only pfn mappings of RAM and device memory, without iodbg");
MODULE_LICENSE("GPL");
