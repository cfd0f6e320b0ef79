// SPDX-License-Identifier: GPL-2.0
/*
 * gpu_sim: a reference GPU driver built on the iodbg object API, the way a TTM driver manages
 * buffer objects.
 *
 * VRAM is real device memory: BAR 2 of a QEMU ivshmem-plain PCI device, backed on the host by
 * a file the tests can inspect, and mapped to user space by pfn (no struct page). A buffer
 * object lives in VRAM, in GART (system pages the GPU would reach through its aperture) or in
 * system memory. Creating or moving an object into a full VRAM evicts the least recently
 * placed objects to system memory. Every move zaps the object's user PTEs first, so user
 * space refaults from the new placement, and iodbg reads it wherever it is.
 *
 * Locking: gpu_sim_dev.lock (VRAM allocator and LRU) nests outside obj.lock; eviction victims
 * are only trylocked, as TTM does, so that two moves never wait on each other's objects.
 *
 * Any user may create objects, as any user may open a render node: their system pages are
 * charged to the creator's memory cgroup, and each object counts, as io_uring's rings do,
 * against its creator's RLIMIT_MEMLOCK until it is freed (iodbg_account_mem()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/gpu_sim.h>
#include "iodbg.h"

#define GPU_SIM_VRAM_BAR	2

/**
 * struct gpu_sim_dev - the simulated GPU
 * @lock:	protects @vram_map and @lru
 * @vram:	the kernel's mapping of VRAM
 * @vram_pfn:	the pfn of VRAM's first page
 * @vram_pages:	VRAM size in pages
 * @vram_map:	which VRAM pages are allocated
 * @lru:	objects in VRAM, least recently placed first
 * @pdev:	the PCI device whose BAR is VRAM, or NULL before probe
 */
struct gpu_sim_dev {
	struct mutex lock;	/* outside every object's obj.lock */
	void __iomem *vram;
	unsigned long vram_pfn;
	unsigned long vram_pages;
	unsigned long *vram_map;
	struct list_head lru;
	struct pci_dev *pdev;
};

static struct gpu_sim_dev gpu_sim = {
	.lock = __MUTEX_INITIALIZER(gpu_sim.lock),
	.lru = LIST_HEAD_INIT(gpu_sim.lru),
};

/**
 * struct gpu_sim_bo - a buffer object
 * @obj:	the iodbg object; obj.lock protects the placement fields
 * @placement:	IODBG_PLACEMENT_DEVICE, _GART or _SYSTEM
 * @vram_start:	first VRAM page, in VRAM
 * @pages:	the system pages, in GART or system memory; NULL in VRAM
 * @lru:	on gpu_sim.lru while in VRAM, under gpu_sim.lock
 * @user:	the creator, whose RLIMIT_MEMLOCK the object counts against
 */
struct gpu_sim_bo {
	struct iodbg_object obj;
	u32 placement;
	unsigned long vram_start;
	struct page **pages;
	struct list_head lru;
	struct user_struct *user;
};

static struct gpu_sim_bo *to_bo(struct iodbg_object *obj)
{
	return container_of(obj, struct gpu_sim_bo, obj);
}

static unsigned long bo_npages(struct gpu_sim_bo *bo)
{
	return bo->obj.size >> PAGE_SHIFT;
}

static u32 gpu_sim_bo_placement(struct iodbg_object *obj, s32 *unit)
{
	if (unit)
		*unit = -1;
	return to_bo(obj)->placement;
}

/* Copy within the current placement. Called with obj->lock held. */
static int gpu_sim_bo_copy(struct iodbg_object *obj, u64 offset, void *buf, size_t len,
			   bool write)
{
	struct gpu_sim_bo *bo = to_bo(obj);

	if (bo->placement == IODBG_PLACEMENT_DEVICE) {
		iodbg_copy_io(gpu_sim.vram + (bo->vram_start << PAGE_SHIFT) + offset, buf, len,
			      write);
		return 0;
	}
	iodbg_copy_pages(bo->pages, offset, buf, len, write);
	return 0;
}

static int gpu_sim_bo_fault_pfn(struct iodbg_object *obj, pgoff_t pgoff, unsigned long *pfn,
				pgprot_t *prot)
{
	struct gpu_sim_bo *bo = to_bo(obj);

	if (bo->placement == IODBG_PLACEMENT_DEVICE) {
		*pfn = gpu_sim.vram_pfn + bo->vram_start + pgoff;
		*prot = pgprot_writecombine(*prot);	/* as the kernel maps VRAM, PAT or not */
	} else {
		*pfn = page_to_pfn(bo->pages[pgoff]);
	}
	return 0;
}

static void gpu_sim_free_pages(struct page **pages, unsigned long npages)
{
	unsigned long i;

	if (!pages)
		return;
	for (i = 0; i < npages; i++)
		if (pages[i])
			__free_page(pages[i]);
	kvfree(pages);
}

static struct page **gpu_sim_alloc_pages(unsigned long npages)
{
	struct page **pages;
	unsigned long i;

	pages = kvcalloc(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return NULL;
	for (i = 0; i < npages; i++) {
		pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!pages[i]) {
			gpu_sim_free_pages(pages, npages);
			return NULL;
		}
	}
	return pages;
}

/*
 * Copy a whole object from its current placement into @pages, or from its pages into VRAM
 * from page @vram_start on.
 */
static void gpu_sim_bo_copy_out(struct gpu_sim_bo *bo, struct page **pages,
				unsigned long vram_start)
{
	unsigned long i;

	for (i = 0; i < bo_npages(bo); i++) {
		void *page = kmap_local_page(pages ? pages[i] : bo->pages[i]);

		if (pages)
			gpu_sim_bo_copy(&bo->obj, i << PAGE_SHIFT, page, PAGE_SIZE, false);
		else
			iodbg_copy_io(gpu_sim.vram + ((vram_start + i) << PAGE_SHIFT), page,
				      PAGE_SIZE, true);
		kunmap_local(page);
		cond_resched();	/* a 256 MiB object takes seconds under emulation */
	}
}

static int gpu_sim_move_locked(struct gpu_sim_bo *bo, u32 placement);

/*
 * Find room for @npages in VRAM, evicting least recently placed objects to system memory
 * until there is. Called with gpu_sim.lock held; returns the first page or a negative errno.
 */
static long gpu_sim_vram_alloc(unsigned long npages, struct gpu_sim_bo *self)
{
	struct gpu_sim_bo *victim, *next;
	unsigned long start;
	int ret;

	lockdep_assert_held(&gpu_sim.lock);
	if (!gpu_sim.vram || npages > gpu_sim.vram_pages)
		return -ENOSPC;
	for (;;) {
		start = bitmap_find_next_zero_area(gpu_sim.vram_map, gpu_sim.vram_pages, 0,
						   npages, 0);
		if (start < gpu_sim.vram_pages)
			return start;
		victim = NULL;
		list_for_each_entry(next, &gpu_sim.lru, lru) {
			if (next != self && !(next->obj.flags & IODBG_OBJECT_ACCESS_PHYS) &&
			    mutex_trylock(&next->obj.lock)) {
				victim = next;
				break;
			}
		}
		if (!victim)
			return -ENOSPC;
		ret = gpu_sim_move_locked(victim, IODBG_PLACEMENT_SYSTEM);
		mutex_unlock(&victim->obj.lock);
		if (ret)
			return ret;
	}
}

/*
 * Move @bo to @placement. Called with gpu_sim.lock and bo->obj.lock held. The user PTEs go
 * first, under the object lock, so that nothing writes the old placement during the copy and
 * no fault can map it again; the refault finds the new placement.
 */
static int gpu_sim_move_locked(struct gpu_sim_bo *bo, u32 placement)
{
	unsigned long npages = bo_npages(bo);
	struct page **pages = NULL;
	long vram_start = 0;

	if (placement == bo->placement)
		return 0;
	/* Out of VRAM, generic_access_phys() would ioremap RAM. */
	if (bo->obj.flags & IODBG_OBJECT_ACCESS_PHYS && bo->placement == IODBG_PLACEMENT_DEVICE)
		return -EINVAL;
	if (placement == IODBG_PLACEMENT_DEVICE) {
		vram_start = gpu_sim_vram_alloc(npages, bo);
		if (vram_start < 0)
			return vram_start;
	} else if (!bo->pages) {
		pages = gpu_sim_alloc_pages(npages);
		if (!pages)
			return -ENOMEM;
	}

	iodbg_object_zap(&bo->obj);
	if (placement == IODBG_PLACEMENT_DEVICE) {
		bitmap_set(gpu_sim.vram_map, vram_start, npages);
		gpu_sim_bo_copy_out(bo, NULL, vram_start);
		gpu_sim_free_pages(bo->pages, npages);
		bo->pages = NULL;
		bo->vram_start = vram_start;
		list_add_tail(&bo->lru, &gpu_sim.lru);
	} else if (pages) {
		/* Out of VRAM. GART <-> system keeps its pages: only the binding differs. */
		gpu_sim_bo_copy_out(bo, pages, 0);
		bitmap_clear(gpu_sim.vram_map, bo->vram_start, npages);
		list_del_init(&bo->lru);
		bo->pages = pages;
	}
	bo->placement = placement;
	iodbg_object_moved(&bo->obj);
	return 0;
}

static int gpu_sim_bo_move(struct gpu_sim_bo *bo, u32 placement)
{
	int ret;

	mutex_lock(&gpu_sim.lock);
	ret = mutex_lock_killable(&bo->obj.lock);
	if (!ret) {
		ret = gpu_sim_move_locked(bo, placement);
		mutex_unlock(&bo->obj.lock);
	}
	mutex_unlock(&gpu_sim.lock);
	return ret;
}

static void gpu_sim_bo_release(struct iodbg_object *obj)
{
	struct gpu_sim_bo *bo = to_bo(obj);

	mutex_lock(&gpu_sim.lock);
	if (bo->placement == IODBG_PLACEMENT_DEVICE) {
		bitmap_clear(gpu_sim.vram_map, bo->vram_start, bo_npages(bo));
		list_del(&bo->lru);
	}
	mutex_unlock(&gpu_sim.lock);
	gpu_sim_free_pages(bo->pages, bo_npages(bo));
	iodbg_unaccount_mem(bo->user, bo_npages(bo));
	free_uid(bo->user);
	kfree(bo);
}

static bool gpu_sim_valid_placement(u32 placement)
{
	return placement == IODBG_PLACEMENT_DEVICE || placement == IODBG_PLACEMENT_GART ||
	       placement == IODBG_PLACEMENT_SYSTEM;
}

static long gpu_sim_ioctl_move(struct gpu_sim_bo *bo, void __user *uarg)
{
	struct gpu_sim_move move;
	int ret;

	ret = iodbg_copy_struct_from_user(&move, sizeof(move), sizeof(move), uarg);
	if (ret)
		return ret;
	if (!gpu_sim_valid_placement(move.placement) ||
	    memchr_inv(move.reserved, 0, sizeof(move.reserved)))
		return -EINVAL;
	return gpu_sim_bo_move(bo, move.placement);
}

static long gpu_sim_bo_ioctl(struct iodbg_object *obj, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case GPU_SIM_IOC_MOVE:
		return gpu_sim_ioctl_move(to_bo(obj), (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

/* Mappings whose ->access is the kernel's generic_access_phys(), as /dev/mem's. */
static const struct vm_operations_struct gpu_sim_vm_ops_access_phys =
	IODBG_VM_OPS(generic_access_phys);

#define GPU_SIM_BO_OPS(name, vmops)			\
static const struct iodbg_object_ops name = {		\
	.kind = IODBG_KIND_GPU_BO,			\
	.placement = gpu_sim_bo_placement,		\
	.copy = gpu_sim_bo_copy,			\
	.fault_pfn = gpu_sim_bo_fault_pfn,		\
	.ioctl = gpu_sim_bo_ioctl,			\
	.vm_ops = vmops,				\
	.release = gpu_sim_bo_release,			\
}

GPU_SIM_BO_OPS(gpu_sim_bo_ops, NULL);
GPU_SIM_BO_OPS(gpu_sim_bo_ops_access_phys, &gpu_sim_vm_ops_access_phys);

/* A new object starts in system memory and then moves where it was asked to be. */
static struct gpu_sim_bo *gpu_sim_bo_create(u64 size, u32 placement, u32 flags)
{
	struct gpu_sim_bo *bo;
	int ret;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL_ACCOUNT);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&bo->lru);
	bo->placement = IODBG_PLACEMENT_SYSTEM;
	bo->user = get_current_user();
	ret = iodbg_account_mem(bo->user, size >> PAGE_SHIFT);
	if (ret)
		goto err_user;
	bo->pages = gpu_sim_alloc_pages(size >> PAGE_SHIFT);
	if (!bo->pages) {
		ret = -ENOMEM;
		goto err_unaccount;
	}
	if (flags & GPU_SIM_CREATE_ACCESS_PHYS)
		ret = iodbg_object_init(&bo->obj, &gpu_sim_bo_ops_access_phys, size,
					IODBG_OBJECT_ACCESS_PHYS, THIS_MODULE);
	else
		ret = iodbg_object_init(&bo->obj, &gpu_sim_bo_ops, size, 0, THIS_MODULE);
	if (ret)
		goto err_pages;
	ret = gpu_sim_bo_move(bo, placement);
	if (ret) {
		iodbg_object_put(&bo->obj);
		return ERR_PTR(ret);
	}
	return bo;

err_pages:
	gpu_sim_free_pages(bo->pages, size >> PAGE_SHIFT);
err_unaccount:
	iodbg_unaccount_mem(bo->user, size >> PAGE_SHIFT);
err_user:
	free_uid(bo->user);
	kfree(bo);
	return ERR_PTR(ret);
}

static long gpu_sim_ioctl_create(struct gpu_sim_create __user *ucreate)
{
	struct gpu_sim_create create;
	struct gpu_sim_bo *bo;
	struct file *file;
	char name[32];
	int fd, ret;

	ret = iodbg_copy_struct_from_user(&create, sizeof(create), sizeof(create), ucreate);
	if (ret)
		return ret;
	if (create.flags & ~GPU_SIM_CREATE_ACCESS_PHYS)
		return -EINVAL;
	if (create.flags & GPU_SIM_CREATE_ACCESS_PHYS && create.placement != IODBG_PLACEMENT_DEVICE)
		return -EINVAL;
	if (!gpu_sim_valid_placement(create.placement) || create.fd || create.id ||
	    memchr_inv(create.reserved, 0, sizeof(create.reserved)))
		return -EINVAL;
	if (!create.bo_size || !PAGE_ALIGNED(create.bo_size) ||
	    create.bo_size > GPU_SIM_MAX_BO_SIZE)
		return -EINVAL;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	bo = gpu_sim_bo_create(create.bo_size, create.placement, create.flags);
	if (IS_ERR(bo)) {
		ret = PTR_ERR(bo);
		goto err_fd;
	}
	snprintf(name, sizeof(name), "gpu_bo:%llu", bo->obj.id);
	file = iodbg_object_getfile(&bo->obj, name);
	create.id = bo->obj.id;
	iodbg_object_put(&bo->obj);	/* the file holds the object now */
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_fd;
	}
	/* Installed only once the caller has learnt it: a failed copy leaves nothing behind. */
	create.fd = fd;
	if (copy_to_user(ucreate, &create, sizeof(create))) {
		ret = -EFAULT;
		goto err_file;
	}
	fd_install(fd, file);
	return 0;

err_file:
	fput(file);
err_fd:
	put_unused_fd(fd);
	return ret;
}

static long gpu_sim_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case GPU_SIM_IOC_CREATE:
		return gpu_sim_ioctl_create((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations gpu_sim_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = gpu_sim_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice gpu_sim_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = GPU_SIM_DEVICE_NAME,
	.fops = &gpu_sim_ctl_fops,
	.mode = 0666,
};

static int gpu_sim_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	resource_size_t start, len;
	void __iomem *vram;
	int ret;

	if (gpu_sim.pdev)
		return -EBUSY;	/* one VRAM is enough */
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	start = pci_resource_start(pdev, GPU_SIM_VRAM_BAR);
	len = pci_resource_len(pdev, GPU_SIM_VRAM_BAR);
	if (!len || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(len))
		return -ENODEV;
	ret = pci_request_region(pdev, GPU_SIM_VRAM_BAR, KBUILD_MODNAME);
	if (ret)
		return ret;

	/* As GPU drivers map VRAM; user mappings of its pfns then get write-combining too. */
	vram = ioremap_wc(start, len);
	if (!vram) {
		ret = -ENOMEM;
		goto err_release;
	}
	gpu_sim.vram_map = bitmap_zalloc(len >> PAGE_SHIFT, GFP_KERNEL);
	if (!gpu_sim.vram_map) {
		ret = -ENOMEM;
		goto err_unmap;
	}
	mutex_lock(&gpu_sim.lock);
	gpu_sim.vram = vram;
	gpu_sim.vram_pfn = PHYS_PFN(start);
	gpu_sim.vram_pages = len >> PAGE_SHIFT;
	gpu_sim.pdev = pdev;
	mutex_unlock(&gpu_sim.lock);
	dev_info(&pdev->dev, "VRAM: %llu MiB at %pa\n", (u64)len >> 20, &start);
	return 0;

err_unmap:
	iounmap(vram);
err_release:
	pci_release_region(pdev, GPU_SIM_VRAM_BAR);
	return ret;
}

/* Only at module exit: every object, and with it every use of VRAM, is gone by then. */
static void gpu_sim_remove(struct pci_dev *pdev)
{
	mutex_lock(&gpu_sim.lock);
	iounmap(gpu_sim.vram);
	bitmap_free(gpu_sim.vram_map);
	gpu_sim.vram = NULL;
	gpu_sim.vram_map = NULL;
	gpu_sim.vram_pages = 0;
	gpu_sim.pdev = NULL;
	mutex_unlock(&gpu_sim.lock);
	pci_release_region(pdev, GPU_SIM_VRAM_BAR);
}

/* QEMU's ivshmem-plain: Red Hat, Inc. Inter-VM shared memory. */
static const struct pci_device_id gpu_sim_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110) },
	{ }
};
MODULE_DEVICE_TABLE(pci, gpu_sim_pci_ids);

static struct pci_driver gpu_sim_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = gpu_sim_pci_ids,
	.probe = gpu_sim_probe,
	.remove = gpu_sim_remove,
	/* VRAM must outlive every object: unbinding is module exit's alone. */
	.driver.suppress_bind_attrs = true,
};

static int __init gpu_sim_init(void)
{
	int ret;

	ret = pci_register_driver(&gpu_sim_pci_driver);
	if (ret)
		return ret;
	ret = misc_register(&gpu_sim_ctl_dev);
	if (ret)
		pci_unregister_driver(&gpu_sim_pci_driver);
	return ret;
}

static void __exit gpu_sim_exit(void)
{
	misc_deregister(&gpu_sim_ctl_dev);
	pci_unregister_driver(&gpu_sim_pci_driver);
}

module_init(gpu_sim_init);
module_exit(gpu_sim_exit);

MODULE_DESCRIPTION("gpu_sim: reference GPU driver with migrating buffer objects, for iodbg");
MODULE_LICENSE("GPL");
