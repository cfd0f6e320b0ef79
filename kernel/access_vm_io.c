// SPDX-License-Identifier: GPL-2.0
/*
 * iodbg core: debugger access to VM_IO and VM_PFNMAP mappings.
 *
 * The control device /dev/iodbg answers IODBG_IOC_VERSION and, mapped MAP_SHARED, gives a
 * scratch object: zeroed kernel pages inserted by pfn into a VM_IO | VM_PFNMAP mapping.
 * get_user_pages() cannot pin such a mapping, so ptrace and /proc/PID/mem reach it only
 * through its ->access, and process_vm_readv() not at all: the smallest real mapping of the
 * kind iodbg exists for.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <uapi/linux/iodbg.h>

/**
 * struct iodbg_scratch - the pages behind one mmap() of the control device
 * @ref:	one reference per VMA that maps the pages
 * @npages:	number of pages
 * @pages:	the pages, not physically contiguous
 *
 * The pages never move, so no lock is needed to find or copy them.
 */
struct iodbg_scratch {
	struct kref ref;
	unsigned long npages;
	struct page *pages[];
};

static struct iodbg_scratch *iodbg_scratch_alloc(unsigned long npages)
{
	struct iodbg_scratch *scratch;
	unsigned long i;

	scratch = kvzalloc(struct_size(scratch, pages, npages), GFP_KERNEL);
	if (!scratch)
		return NULL;
	kref_init(&scratch->ref);
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

static void iodbg_scratch_release(struct kref *ref)
{
	struct iodbg_scratch *scratch = container_of(ref, struct iodbg_scratch, ref);
	unsigned long i;

	for (i = 0; i < scratch->npages; i++)
		__free_page(scratch->pages[i]);
	kvfree(scratch);
}

static void iodbg_scratch_vm_open(struct vm_area_struct *vma)
{
	struct iodbg_scratch *scratch = vma->vm_private_data;

	kref_get(&scratch->ref);
}

static void iodbg_scratch_vm_close(struct vm_area_struct *vma)
{
	struct iodbg_scratch *scratch = vma->vm_private_data;

	kref_put(&scratch->ref, iodbg_scratch_release);
}

static vm_fault_t iodbg_scratch_vm_fault(struct vm_fault *vmf)
{
	struct iodbg_scratch *scratch = vmf->vma->vm_private_data;

	if (vmf->pgoff >= scratch->npages)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vmf->vma, vmf->address, page_to_pfn(scratch->pages[vmf->pgoff]));
}

/*
 * Called by __access_remote_vm() with mmap_lock held for read and the whole remaining length
 * of the request, which may run past this mapping: clamp it to the object.
 */
static int iodbg_scratch_vm_access(struct vm_area_struct *vma, unsigned long addr, void *buf,
				   int len, int write)
{
	struct iodbg_scratch *scratch = vma->vm_private_data;
	unsigned long offset = addr - vma->vm_start + (vma->vm_pgoff << PAGE_SHIFT);
	unsigned long size = scratch->npages << PAGE_SHIFT;
	int done = 0;

	if (len <= 0 || offset >= size)
		return -EINVAL;
	len = min_t(unsigned long, len, size - offset);

	while (done < len) {
		unsigned long pgoff = (offset + done) >> PAGE_SHIFT;
		unsigned long in_page = offset_in_page(offset + done);
		int chunk = min_t(unsigned long, len - done, PAGE_SIZE - in_page);
		void *vaddr = page_address(scratch->pages[pgoff]) + in_page;

		if (write)
			memcpy(vaddr, buf + done, chunk);
		else
			memcpy(buf + done, vaddr, chunk);
		done += chunk;
	}
	return done;
}

static const struct vm_operations_struct iodbg_scratch_vm_ops = {
	.open = iodbg_scratch_vm_open,
	.close = iodbg_scratch_vm_close,
	.fault = iodbg_scratch_vm_fault,
	.access = iodbg_scratch_vm_access,
};

static void iodbg_vma_set_io_flags(struct vm_area_struct *vma)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
#else
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
#endif
}

static int iodbg_ctl_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;
	struct iodbg_scratch *scratch;

	/* vmf_insert_pfn() cannot COW a pfn mapping: a private mapping would BUG. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff || size > IODBG_SCRATCH_MAX_SIZE)
		return -EINVAL;

	scratch = iodbg_scratch_alloc(size >> PAGE_SHIFT);
	if (!scratch)
		return -ENOMEM;
	vma->vm_private_data = scratch;
	vma->vm_ops = &iodbg_scratch_vm_ops;
	iodbg_vma_set_io_flags(vma);
	return 0;
}

static long iodbg_ioctl_version(void __user *uarg)
{
	struct iodbg_version ver;
	u32 usize;
	int ret;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < sizeof(ver))
		return -EINVAL;
	ret = copy_struct_from_user(&ver, sizeof(ver), uarg, usize);
	if (ret)
		return ret;
	if (memchr_inv(ver.reserved, 0, sizeof(ver.reserved)))
		return -EINVAL;

	ver.size = sizeof(ver);
	ver.abi_version = IODBG_ABI_VERSION;
	ver.features = IODBG_FEATURE_SCRATCH_MAP;
	return copy_to_user(uarg, &ver, sizeof(ver)) ? -EFAULT : 0;
}

static long iodbg_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case IODBG_IOC_VERSION:
		return iodbg_ioctl_version((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations iodbg_ctl_fops = {
	.owner = THIS_MODULE,
	.mmap = iodbg_ctl_mmap,
	.unlocked_ioctl = iodbg_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice iodbg_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = IODBG_DEVICE_NAME,
	.fops = &iodbg_ctl_fops,
	.mode = 0666,
};

static int __init iodbg_init(void)
{
	return misc_register(&iodbg_ctl_dev);
}

static void __exit iodbg_exit(void)
{
	misc_deregister(&iodbg_ctl_dev);
}

module_init(iodbg_init);
module_exit(iodbg_exit);

MODULE_DESCRIPTION("iodbg: debugger access to VM_IO and VM_PFNMAP mappings");
MODULE_LICENSE("GPL");
