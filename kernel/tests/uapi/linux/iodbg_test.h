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

#endif /* _UAPI_LINUX_IODBG_TEST_H */
