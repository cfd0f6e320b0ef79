// SPDX-License-Identifier: GPL-2.0
/*
 * The generic fallback: read or write any VM_IO / VM_PFNMAP mapping by its page tables, for
 * drivers that offer no ->access or whose ->access refuses.
 *
 * Unlike generic_access_phys(), which ioremaps the whole remaining length as if the pfns were
 * contiguous and does so on every call, this walks the mapping page by page, looks each PTE up
 * again under the page-table lock for the copy (a driver that moves the object zaps the PTEs:
 * a page whose PTE changed is looked up again, never read from its old pfn), and reads RAM pfns
 * through the kernel's own mapping, without any ioremap. A page whose PTE is not present is
 * faulted in on the target's behalf, as the kernel does for ordinary memory, except in the
 * kernel's own special mappings ([vvar] and the like), whose pages are reported absent. MMIO
 * pfns are
 * touched only when the caller accepts device side effects, and then by iodbg_copy_io(), with
 * aligned word accesses only; each physically contiguous run is ioremapped once, not once per
 * page or per call.
 */

#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/mm.h>
#include "iodbg_internal.h"

/* One looked-up PTE, held under its page-table lock between follow and unfollow. */
struct iodbg_pte {
#ifdef IODBG_HAVE_FOLLOW_PFNMAP
	struct follow_pfnmap_args args;
#else
	pte_t *ptep;
	spinlock_t *ptl;	/* the page-table lock follow_pte() took */
#endif
	unsigned long pfn;
	pgprot_t prot;
	bool writable;
};

/*
 * Look up the PTE of @addr and take its lock. Returns 0 or -EINVAL if there is none. Sparse
 * cannot see the lock that follow_pte() takes: iodbg_follow() below tells it.
 */
static int __iodbg_follow(struct vm_area_struct *vma, unsigned long addr, struct iodbg_pte *p)
{
#ifdef IODBG_HAVE_FOLLOW_PFNMAP
	p->args = (struct follow_pfnmap_args) { .vma = vma, .address = addr };
	if (follow_pfnmap_start(&p->args))
		return -EINVAL;
	p->pfn = p->args.pfn;
	p->prot = p->args.pgprot;
	p->writable = p->args.writable;
#else
	pte_t pte;

	if (follow_pte(vma->vm_mm, addr, &p->ptep, &p->ptl))
		return -EINVAL;
	pte = ptep_get(p->ptep);
	p->pfn = pte_pfn(pte);
	p->prot = pte_pgprot(pte);
	p->writable = pte_write(pte);
#endif
	return 0;
}

#define iodbg_follow(vma, addr, p) \
	(__cond_lock(iodbg_ptl, __iodbg_follow(vma, addr, p) == 0) ? 0 : -EINVAL)

static void iodbg_unfollow(struct iodbg_pte *p)
	__releases(iodbg_ptl)
{
#ifdef IODBG_HAVE_FOLLOW_PFNMAP
	follow_pfnmap_end(&p->args);
	__release(iodbg_ptl);	/* follow_pfnmap_end() is not annotated */
#else
	pte_unmap_unlock(p->ptep, p->ptl);
#endif
}

/* How many pages from @first on map physically contiguous pfns with the same protection. */
static unsigned long iodbg_mmio_run(struct vm_area_struct *vma, unsigned long addr,
				    unsigned long pages, struct iodbg_pte *first)
{
	unsigned long n;

	for (n = 1; n < pages; n++) {
		struct iodbg_pte p;
		bool same;

		if (iodbg_follow(vma, addr + n * PAGE_SIZE, &p))
			break;
		same = p.pfn == first->pfn + n &&
		       pgprot_val(p.prot) == pgprot_val(first->prot);
		iodbg_unfollow(&p);
		if (!same)
			break;
	}
	return n;
}

/*
 * MMIO pages: ioremap the physically contiguous run that starts at @addr once, with the
 * mapping's own protection (ioremap may sleep, so outside the page-table lock), then copy page
 * by page, each only while a fresh look at its PTE, under the page-table lock, still finds the
 * pfn that was mapped; a page whose PTE changed ends the run (the object moved meanwhile).
 * Returns the bytes copied, or -EAGAIN if the first page changed.
 */
static long iodbg_rw_mmio(struct vm_area_struct *vma, unsigned long addr, void *buf,
			  size_t len, bool write, struct iodbg_pte *first)
{
	unsigned long base = addr & PAGE_MASK;
	unsigned long pages = DIV_ROUND_UP(offset_in_page(addr) + len, PAGE_SIZE);
	void __iomem *io;
	size_t done = 0;

	pages = iodbg_mmio_run(vma, base, pages, first);
	io = ioremap_prot(PFN_PHYS(first->pfn), pages << PAGE_SHIFT, pgprot_val(first->prot));
	if (!io)
		return -ENOMEM;
	while (done < len) {
		unsigned long pos = addr + done;
		size_t chunk = min_t(size_t, len - done, PAGE_SIZE - offset_in_page(pos));
		unsigned long n = (pos - base) >> PAGE_SHIFT;
		struct iodbg_pte again;
		bool same;

		if (n >= pages || iodbg_follow(vma, pos, &again))
			break;
		same = again.pfn == first->pfn + n;
		if (same)
			iodbg_copy_io(io + (pos - base), buf + done, chunk, write);
		iodbg_unfollow(&again);
		if (!same)
			break;
		done += chunk;
	}
	iounmap(io);
	return done ? done : -EAGAIN;
}

/*
 * Copy from @addr on, at most @len bytes, at least to the end of its page. Returns the bytes
 * copied, -ENOENT if no PTE is present, -EAGAIN if the PTE changed under an MMIO copy, or
 * another negative errno.
 */
static long iodbg_rw_pages(struct vm_area_struct *vma, unsigned long addr, void *buf,
			   size_t len, u32 flags)
{
	size_t chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(addr));
	bool write = flags & IODBG_RW_WRITE;
	struct iodbg_pte p;

	if (iodbg_follow(vma, addr, &p))
		return -ENOENT;
	if (write && !p.writable) {
		iodbg_unfollow(&p);
		return -EFAULT;
	}
	if (pfn_valid(p.pfn) && page_is_ram(p.pfn)) {
		struct page *page = pfn_to_page(p.pfn);

		if (write)
			memcpy_to_page(page, offset_in_page(addr), buf, chunk);
		else
			memcpy_from_page(buf, page, offset_in_page(addr), chunk);
		iodbg_unfollow(&p);
		return chunk;
	}
	iodbg_unfollow(&p);
	if (!(flags & IODBG_RW_ALLOW_MMIO))
		return -EPERM;
	return iodbg_rw_mmio(vma, addr, buf, len, write, &p);
}

/*
 * Whether a missing page of @vma may be faulted in from another process. Not in the kernel's
 * special mappings (installed by _install_special_mapping(), the only ones whose vm_ops have
 * ->name): their fault handlers assume they run in the mapping's own mm, and vvar_fault()
 * WARNs when a time-namespace page is faulted remotely. GUP never faults a VM_IO or VM_PFNMAP
 * mapping, so nothing else in the kernel asks them to.
 */
static bool iodbg_may_fault_in(struct vm_area_struct *vma)
{
	return !(vma->vm_ops && vma->vm_ops->name);
}

/* Fault in the page at @addr for the target; mmap_lock stays held (no retry allowed). */
static int iodbg_fault_in(struct vm_area_struct *vma, unsigned long addr, bool write)
{
	if (!iodbg_may_fault_in(vma))
		return -EFAULT;
	return fixup_user_fault(vma->vm_mm, addr, write ? FAULT_FLAG_WRITE : 0, NULL);
}

#define IODBG_PAGE_RETRIES	8

/**
 * iodbg_generic_rw() - copy to or from a VM_IO / VM_PFNMAP mapping by its page tables
 * @mm:		the target's mm, with mmap_lock held for read
 * @addr:	the user address; the copy stops at the end of the mapping that holds it
 * @buf:	kernel buffer
 * @len:	bytes
 * @flags:	IODBG_RW_*
 *
 * Return: the bytes copied, or a negative errno if none could be: -EPERM for MMIO without
 * IODBG_RW_ALLOW_MMIO, -EFAULT where no page can be mapped (never zeros in its place).
 */
int iodbg_generic_rw(struct mm_struct *mm, unsigned long addr, void *buf, size_t len,
		     u32 flags)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	size_t done = 0;
	int tries = 0;
	int ret = 0;

	if (!vma || !(vma->vm_flags & (VM_IO | VM_PFNMAP)))
		return -EFAULT;
	len = min_t(size_t, len, vma->vm_end - addr);

	while (done < len) {
		long n = iodbg_rw_pages(vma, addr + done, buf + done, len - done, flags);

		if (n == -ENOENT || n == -EAGAIN) {
			if (++tries > IODBG_PAGE_RETRIES) {
				ret = -EFAULT;
				break;
			}
			if (n == -ENOENT) {
				ret = iodbg_fault_in(vma, addr + done, flags & IODBG_RW_WRITE);
				if (ret)
					break;
			}
			continue;
		}
		if (n < 0) {
			ret = n;
			break;
		}
		done += n;
		tries = 0;
	}
	return done ? done : ret;
}
