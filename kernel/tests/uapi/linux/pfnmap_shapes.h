/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pfnmap_shapes: the user ABI of a test-only module, never installed. It is not built on
 * iodbg: it gives the mapping shapes that the kernel's own debugger paths (/proc/PID/mem,
 * ptrace, process_vm_readv) treat differently with and without the mm/ patch series in
 * kernel/patches, for the tests of that series with stock tools (tests/kernel-series).
 *
 * Mapping /dev/pfnmap_shapes (MAP_SHARED only, at most PFNMAP_SHAPES_MAX_PAGES pages; EINVAL
 * otherwise) gives the shape the mmap offset names. Every shape is a VM_IO | VM_PFNMAP
 * mapping that remap_pfn_range() populates at mmap time, so that every page is present:
 *
 * PFNMAP_SHAPES_OFF_RAM: kernel pages (RAM), no ->access, as drivers that remap_pfn_range()
 *	a buffer of their own. The pages are charged to the caller's memory cgroup, and the
 *	module keeps no more than 1024 blocks (below) alive at once: ENOMEM beyond.
 * PFNMAP_SHAPES_OFF_MMIO: BAR pages 0 to N - 1, no ->access. Debuggers must never read or
 *	write these behind the driver's back.
 * PFNMAP_SHAPES_OFF_RAM_GAPS: kernel pages as for _RAM, with ->access = generic_access_phys.
 * PFNMAP_SHAPES_OFF_MMIO_GAPS: BAR pages 0, 2, ..., 2 * N - 2, with ->access =
 *	generic_access_phys.
 *
 * No two pages of any shape that are neighbours in the mapping are neighbours in physical
 * memory. Each RAM page is the first page of a block of two: the second, its physically next
 * page, is the module's own guard page, never mapped. Page N of an MMIO_GAPS mapping is BAR
 * page 2 * N, so that its physically next page is BAR page 2 * N + 1, which an MMIO mapping
 * shows as its page 2 * N + 1.
 *
 * What the pages hold when mapped, 64-bit words:
 * - RAM, RAM_GAPS: the word at byte offset O of the mapping holds PFNMAP_SHAPES_RAM_PATTERN
 *   + O; the word at byte offset O of the guard page of mapping page N holds
 *   PFNMAP_SHAPES_GUARD_PATTERN + N * page size + O.
 * - MMIO, MMIO_GAPS: the word at byte offset O of the BAR holds PFNMAP_SHAPES_MMIO_PATTERN
 *   + O. The BAR is shared by all mappings: every mmap of an MMIO shape of N pages writes the
 *   pattern again into BAR pages 0 to N - 1 (MMIO) or 0 to 2 * N - 1 (MMIO_GAPS).
 *
 * The BAR is BAR 0 of QEMU's secondary-vga device (PCI 1234:1111, class 0380), 1 MiB of
 * device memory that scripts/vm-run adds to the test VM; without it, MMIO shapes are ENODEV.
 */
#ifndef _UAPI_LINUX_PFNMAP_SHAPES_H
#define _UAPI_LINUX_PFNMAP_SHAPES_H

#define PFNMAP_SHAPES_DEVICE_NAME	"pfnmap_shapes"

#define PFNMAP_SHAPES_MAX_PAGES		16
#define PFNMAP_SHAPES_OFF_RAM		0ULL
#define PFNMAP_SHAPES_OFF_MMIO		0x100000000ULL
#define PFNMAP_SHAPES_OFF_RAM_GAPS	0x200000000ULL
#define PFNMAP_SHAPES_OFF_MMIO_GAPS	0x300000000ULL

#define PFNMAP_SHAPES_RAM_PATTERN	0x52414d0000000000ULL
#define PFNMAP_SHAPES_GUARD_PATTERN	0x4755415200000000ULL
#define PFNMAP_SHAPES_MMIO_PATTERN	0x4d4d494f00000000ULL

#endif /* _UAPI_LINUX_PFNMAP_SHAPES_H */
