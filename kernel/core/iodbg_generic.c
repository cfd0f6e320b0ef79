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
 * reported as such (ENOENT), never faulted in: the mapping is another process's, and its
 * driver's fault handler may assume it runs in that process (spufs' problem-state fault drops
 * and retakes current->mm's mmap_lock) or act on the device (a TTM driver migrates the buffer
 * in ->fault). GUP refuses these mappings, so mainline never asks that of a driver either, and
 * generic_access_phys() reports such a page absent too. MMIO pfns are touched only when the
 * caller accepts device side effects, and then by iodbg_copy_io_width(), with aligned accesses
 * of the width the caller chose; each physically contiguous run is ioremapped once, not once
 * per page or per call.
 */

#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
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
	int err;	/* why iodbg_follow() found none */
};

#ifndef IODBG_HAVE_FOLLOW_PFNMAP
/*
 * Whether follow_pte() may look up @addr. Before 6.12 it does not handle huge PUD or PMD
 * leaves, and BUGs on a PMD leaf under CONFIG_DEBUG_VM. Read without the page-table lock, but
 * with mmap_lock held for read, under which a page table stays a page table (only munmap and
 * khugepaged, which take mmap_lock for write, remove one, and khugepaged leaves pfn mappings
 * alone), while an entry that is none may become a leaf at any time (a fault of the process).
 * So follow_pte() is called only where a PMD table was seen, and finds one there too.
 * Returns 0, -ENOENT if no PTE table covers @addr (so no page is present there), or
 * -EOPNOTSUPP for a huge leaf.
 */
static int iodbg_pte_table(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud, pudval;
	pmd_t pmdval;

	if (pgd_none(READ_ONCE(*pgd)) || pgd_bad(READ_ONCE(*pgd)))
		return -ENOENT;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(READ_ONCE(*p4d)) || p4d_bad(READ_ONCE(*p4d)))
		return -ENOENT;
	pud = pud_offset(p4d, addr);
	pudval = READ_ONCE(*pud);
	if (pud_leaf(pudval))
		return -EOPNOTSUPP;
	if (pud_none(pudval) || pud_bad(pudval))
		return -ENOENT;
	pmdval = READ_ONCE(*pmd_offset(pud, addr));
	if (pmd_leaf(pmdval))
		return -EOPNOTSUPP;
	if (pmd_none(pmdval) || pmd_bad(pmdval))
		return -ENOENT;
	return 0;
}
#endif

/*
 * Look up the PTE of @addr and take its lock. Returns 0, or -1 with p->err set: -ENOENT if
 * there is none, -EOPNOTSUPP for a huge leaf the running kernel cannot look into. Sparse
 * cannot see the lock that follow_pte() takes: iodbg_follow() below tells it.
 */
static int __iodbg_follow(struct vm_area_struct *vma, unsigned long addr, struct iodbg_pte *p)
{
	p->err = -ENOENT;
#ifdef IODBG_HAVE_FOLLOW_PFNMAP
	p->args = (struct follow_pfnmap_args) { .vma = vma, .address = addr };
	if (follow_pfnmap_start(&p->args))
		return -1;
	p->pfn = p->args.pfn;
	p->prot = p->args.pgprot;
	p->writable = p->args.writable;
#else
	pte_t pte;

	p->err = iodbg_pte_table(vma->vm_mm, addr);
	if (p->err)
		return -1;
	p->err = -ENOENT;
	if (follow_pte(vma->vm_mm, addr, &p->ptep, &p->ptl))
		return -1;
	pte = ptep_get(p->ptep);
	p->pfn = pte_pfn(pte);
	p->prot = pte_pgprot(pte);
	p->writable = pte_write(pte);
#endif
	p->err = 0;
	return 0;
}

#define iodbg_follow(vma, addr, p) \
	(__cond_lock(iodbg_ptl, __iodbg_follow(vma, addr, p) == 0) ? 0 : -1)

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
 * Whether a fresh look at a PTE of the run still finds page @n of it, and may still be written
 * through when @write: the object may have moved, or the driver made the page read-only,
 * since the run was ioremapped.
 */
static bool iodbg_mmio_same(const struct iodbg_pte *again, const struct iodbg_pte *first,
			    unsigned long n, bool write)
{
	return again->pfn == first->pfn + n &&
	       pgprot_val(again->prot) == pgprot_val(first->prot) &&
	       (!write || again->writable);
}

/*
 * MMIO pages: ioremap the physically contiguous run that starts at @addr once, with the
 * mapping's own protection (ioremap may sleep, so outside the page-table lock), then copy page
 * by page in accesses of @width bytes, each page only while a fresh look at its PTE, under the
 * page-table lock, still finds what was mapped (iodbg_mmio_same()); a page whose PTE changed
 * ends the run. Returns the bytes copied, or -EAGAIN if the first page changed.
 */
static long iodbg_rw_mmio(struct vm_area_struct *vma, unsigned long addr, void *buf,
			  size_t len, bool write, u32 width, struct iodbg_pte *first)
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
		same = iodbg_mmio_same(&again, first, n, write);
		if (same)
			iodbg_copy_io_width(io + (pos - base), buf + done, chunk, write, width);
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
			   size_t len, u32 flags, u32 width)
{
	size_t chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(addr));
	bool write = flags & IODBG_RW_WRITE;
	struct iodbg_pte p;

	if (iodbg_follow(vma, addr, &p))
		return p.err;
	if (write && !p.writable) {
		iodbg_unfollow(&p);
		return -EROFS;
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
	return iodbg_rw_mmio(vma, addr, buf, len, write, width, &p);
}

/* How often a page whose PTE changed under an MMIO copy is looked up again. */
#define IODBG_PAGE_RETRIES	8

/**
 * iodbg_generic_rw() - copy to or from a VM_IO / VM_PFNMAP mapping by its page tables
 * @vma:	the mapping, of a mm whose mmap_lock is held for read
 * @addr:	the user address; the copy stops at the end of @vma
 * @buf:	kernel buffer
 * @len:	bytes
 * @flags:	IODBG_RW_*
 * @width:	the access width on MMIO, in bytes: 1, 2, 4 or 8
 *
 * Return: the bytes copied, or a negative errno if none could be: -ENOENT for a page that is
 * not present (never faulted in), -EPERM for MMIO without IODBG_RW_ALLOW_MMIO, -EROFS for a
 * write to a read-only page, -EOPNOTSUPP for a huge leaf this kernel cannot look into,
 * -EAGAIN if the page kept changing; never zeros in place of a page.
 */
long iodbg_generic_rw(struct vm_area_struct *vma, unsigned long addr, void *buf, size_t len,
		      u32 flags, u32 width)
{
	size_t done = 0;
	int tries = 0;
	long ret = 0;

	if (!(vma->vm_flags & (VM_IO | VM_PFNMAP)))
		return -EFAULT;
	if (width > 8 || (width & (width - 1)) || (width == 8 && !IS_ENABLED(CONFIG_64BIT)))
		return -EINVAL;
	len = min_t(size_t, len, vma->vm_end - addr);

	while (done < len) {
		long n = iodbg_rw_pages(vma, addr + done, buf + done, len - done, flags, width);

		if (n == -EAGAIN && ++tries <= IODBG_PAGE_RETRIES)
			continue;
		if (n < 0) {
			ret = n;
			break;
		}
		done += n;
		tries = 0;
	}
	return done ? done : ret;
}
