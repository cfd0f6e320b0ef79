/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iodbg_test: the user ABI of iodbg's test-only module, never installed.
 *
 * Mapping /dev/iodbg_test (MAP_SHARED) gives a scratch object: zeroed kernel pages mapped by
 * pfn into a VM_IO | VM_PFNMAP mapping, at most IODBG_SCRATCH_MAX_SIZE bytes, charged to the
 * caller's memory cgroup. The mmap offset selects how the mapping answers ptrace:
 * IODBG_SCRATCH_OFF_ACCESS with iodbg's ->access, as a well-behaved driver's;
 * IODBG_SCRATCH_OFF_NO_ACCESS with none, as many drivers' (vfio-pci BARs, most out-of-tree
 * drivers); IODBG_SCRATCH_OFF_ACCESS_REFUSES with one that refuses with EIO, as drivers' whose
 * ->access serves only some placements (TTM without an access_memory hook refuses VRAM). The
 * last two are for the generic page-table fallback to prove itself on.
 * IODBG_SCRATCH_OFF_WRITE_ONLY gives a mapping with iodbg's ->access that the driver made
 * write-only (no VM_MAYREAD), as for a doorbell page: map it with PROT_WRITE alone.
 *
 * IODBG_SCRATCH_OFF_HUGE gives no iodbg object but a VM_IO | VM_PFNMAP mapping without
 * ->access whose pages one huge PMD leaf maps, as vfio-pci maps a BAR since 6.12: physically
 * contiguous RAM of the size of a PMD leaf (2 MiB on x86-64, as
 * /sys/kernel/mm/transparent_hugepage/hpage_pmd_size says), mapped in full and MAP_SHARED at
 * an address aligned to that size (EINVAL otherwise), installed by the first fault. Its 64-bit
 * word at byte offset O holds IODBG_SCRATCH_HUGE_PATTERN + O. It cannot be split (munmap or
 * mprotect of a part of it is EINVAL). Without transparent huge pages, EOPNOTSUPP.
 */
#ifndef _UAPI_LINUX_IODBG_TEST_H
#define _UAPI_LINUX_IODBG_TEST_H

#include <linux/iodbg.h>

#define IODBG_TEST_DEVICE_NAME	"iodbg_test"

#define IODBG_SCRATCH_MAX_SIZE		(16U << 20)
#define IODBG_SCRATCH_OFF_ACCESS	0ULL
#define IODBG_SCRATCH_OFF_NO_ACCESS	0x100000000ULL
#define IODBG_SCRATCH_OFF_ACCESS_REFUSES	0x200000000ULL
#define IODBG_SCRATCH_OFF_WRITE_ONLY	0x300000000ULL
#define IODBG_SCRATCH_OFF_HUGE		0x400000000ULL
#define IODBG_SCRATCH_HUGE_PATTERN	0x4a6e000000000000ULL

#endif /* _UAPI_LINUX_IODBG_TEST_H */
