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
 * faulted in on the target's behalf, as the kernel does for ordinary memory. MMIO pfns are
 * touched only when the caller accepts device side effects, and then with aligned 32-bit
 * accesses, which device registers honour where byte accesses may be ignored.
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

/* Copy with aligned 32-bit MMIO accesses; a partial word is read, merged and written back. */
static void iodbg_copy_mmio(void __iomem *io, unsigned int off, void *buf, size_t len,
			    bool write)
{
	while (len) {
		unsigned int word_off = off & ~3U, in_word = off & 3U;
		size_t chunk = min_t(size_t, len, 4 - in_word);
		u32 word = 0;

		if (!write || chunk < 4)
			word = readl(io + word_off);
		if (write) {
			memcpy((u8 *)&word + in_word, buf, chunk);
			writel(word, io + word_off);
		} else {
			memcpy(buf, (u8 *)&word + in_word, chunk);
		}
		off += chunk;
		buf += chunk;
		len -= chunk;
	}
}

/*
 * An MMIO page: ioremap it with the mapping's own protection (ioremap may sleep, so outside
 * the page-table lock), then look the PTE up again and copy only if it still maps the same
 * pfn; otherwise the object moved meanwhile and the caller starts over (-EAGAIN).
 */
static int iodbg_rw_mmio_page(struct vm_area_struct *vma, unsigned long addr, void *buf,
			      size_t len, bool write, struct iodbg_pte *first)
{
	unsigned int in_page = offset_in_page(addr);
	struct iodbg_pte again;
	void __iomem *io;
	int ret = 0;

	io = ioremap_prot(PFN_PHYS(first->pfn), PAGE_SIZE, pgprot_val(first->prot));
	if (!io)
		return -ENOMEM;
	if (iodbg_follow(vma, addr, &again)) {
		ret = -EAGAIN;
	} else {
		if (again.pfn != first->pfn)
			ret = -EAGAIN;
		else
			iodbg_copy_mmio(io, in_page, buf, len, write);
		iodbg_unfollow(&again);
	}
	iounmap(io);
	return ret;
}

/*
 * Copy within one page of @vma. Returns 0, -ENOENT if no PTE is present, -EAGAIN if the PTE
 * changed under an MMIO copy, or another negative errno.
 */
static int iodbg_rw_page(struct vm_area_struct *vma, unsigned long addr, void *buf, size_t len,
			 u32 flags)
{
	bool write = flags & IODBG_RW_WRITE;
	unsigned int in_page = offset_in_page(addr);
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
			memcpy_to_page(page, in_page, buf, len);
		else
			memcpy_from_page(buf, page, in_page, len);
		iodbg_unfollow(&p);
		return 0;
	}
	iodbg_unfollow(&p);
	if (!(flags & IODBG_RW_ALLOW_MMIO))
		return -EPERM;
	return iodbg_rw_mmio_page(vma, addr, buf, len, write, &p);
}

/* Fault in the page at @addr for the target; mmap_lock stays held (no retry allowed). */
static int iodbg_fault_in(struct mm_struct *mm, unsigned long addr, bool write)
{
	return fixup_user_fault(mm, addr, write ? FAULT_FLAG_WRITE : 0, NULL);
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
		size_t chunk = min_t(size_t, len - done, PAGE_SIZE - offset_in_page(addr + done));

		ret = iodbg_rw_page(vma, addr + done, buf + done, chunk, flags);
		if (ret == -ENOENT || ret == -EAGAIN) {
			if (++tries > IODBG_PAGE_RETRIES) {
				ret = -EFAULT;
				break;
			}
			if (ret == -ENOENT) {
				ret = iodbg_fault_in(mm, addr + done, flags & IODBG_RW_WRITE);
				if (ret)
					break;
			}
			continue;
		}
		if (ret)
			break;
		done += chunk;
		tries = 0;
	}
	return done ? done : ret;
}
