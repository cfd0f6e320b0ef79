/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iodbg: debugger access to device memory mappings (VM_IO / VM_PFNMAP).
 *
 * The one definition of iodbg's user ABI, shared by the kernel modules, libiodbg and (through
 * generated constants) the GDB Python package. Rules for every structure here:
 *  - fixed-width fields only, explicit padding, no implicit holes;
 *  - the first field is the structure's size as the caller knows it, so the structure can grow:
 *    the kernel accepts any size from the first published one up to its own, and requires the
 *    bytes it does not know to be zero;
 *  - reserved fields must be zero (EINVAL otherwise) and are returned as zero.
 */
#ifndef _UAPI_LINUX_IODBG_H
#define _UAPI_LINUX_IODBG_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The control device, /dev/iodbg. */
#define IODBG_DEVICE_NAME	"iodbg"

#define IODBG_ABI_VERSION	1

/*
 * Mapping the control device (MAP_SHARED, offset 0) gives a scratch object: zeroed kernel
 * pages mapped by pfn into a VM_IO | VM_PFNMAP mapping, readable by debuggers through
 * ->access. At most IODBG_SCRATCH_MAX_SIZE bytes.
 */
#define IODBG_SCRATCH_MAX_SIZE	(16U << 20)

/**
 * struct iodbg_version - what the loaded iodbg core offers
 * @size:	in: sizeof(struct iodbg_version) as the caller knows it
 * @abi_version: out: IODBG_ABI_VERSION of the kernel side
 * @features:	out: IODBG_FEATURE_* bits
 * @reserved:	must be zero
 */
struct iodbg_version {
	__u32 size;
	__u32 abi_version;
	__u64 features;
	__u64 reserved[4];
};

/* The control device can be mapped to get a scratch object. */
#define IODBG_FEATURE_SCRATCH_MAP	(1ULL << 0)

#define IODBG_IOC_MAGIC		0xd8
#define IODBG_IOC_VERSION	_IOWR(IODBG_IOC_MAGIC, 0x00, struct iodbg_version)

#endif /* _UAPI_LINUX_IODBG_H */
