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
 * Mapping the control device (MAP_SHARED) gives a scratch object: zeroed kernel pages mapped by
 * pfn into a VM_IO | VM_PFNMAP mapping, at most IODBG_SCRATCH_MAX_SIZE bytes. The mmap offset
 * selects the variant: IODBG_SCRATCH_OFF_ACCESS gives a mapping with ->access, as a well-behaved
 * driver's; IODBG_SCRATCH_OFF_NO_ACCESS one without, as many drivers' (vfio-pci BARs, most
 * out-of-tree drivers); IODBG_SCRATCH_OFF_ACCESS_REFUSES one whose ->access refuses with EIO,
 * as drivers' whose ->access serves only some placements (TTM without an access_memory hook
 * refuses VRAM). The last two are for the generic page-table fallback to prove itself on.
 */
#define IODBG_SCRATCH_MAX_SIZE		(16U << 20)
#define IODBG_SCRATCH_OFF_ACCESS	0ULL
#define IODBG_SCRATCH_OFF_NO_ACCESS	(1ULL << 32)
#define IODBG_SCRATCH_OFF_ACCESS_REFUSES	(2ULL << 32)

/* Object kinds. */
#define IODBG_KIND_SCRATCH	1	/* kernel pages behind /dev/iodbg */
#define IODBG_KIND_GPU_BO	2	/* a GPU buffer object */
#define IODBG_KIND_SPU_LS	3	/* an SPU context's 256 KiB local store */
#define IODBG_KIND_SPU_REGS	4	/* an SPU context's problem-state registers */

/* Where an object's bytes live now. */
#define IODBG_PLACEMENT_NONE	0	/* nowhere yet: no backing allocated */
#define IODBG_PLACEMENT_DEVICE	1	/* device memory: VRAM, an SPE's local store or registers */
#define IODBG_PLACEMENT_GART	2	/* system pages the device reaches through its aperture */
#define IODBG_PLACEMENT_SYSTEM	3	/* ordinary system memory */
#define IODBG_PLACEMENT_SAVED	4	/* a saved copy: the context is off its device */

/* Object flags. */
#define IODBG_OBJECT_REGISTERS	(1U << 0)	/* device registers, read without side effects */
#define IODBG_OBJECT_NO_ACCESS	(1U << 1)	/* its mappings offer no ->access */
#define IODBG_OBJECT_ACCESS_REFUSES (1U << 2)	/* its mappings' ->access refuses */
#define IODBG_OBJECT_ACCESS_PHYS (1U << 3)	/* ->access is the kernel's generic_access_phys */

/**
 * struct iodbg_version - IODBG_IOC_VERSION: what the loaded iodbg core offers
 * @size:	in: sizeof(struct iodbg_version) as the caller knows it; out: the kernel's
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

#define IODBG_FEATURE_SCRATCH_MAP	(1ULL << 0)	/* /dev/iodbg can be mapped */
#define IODBG_FEATURE_RW_ADDR		(1ULL << 1)	/* IODBG_IOC_RW_ADDR */
#define IODBG_FEATURE_RW_OBJECT		(1ULL << 2)	/* IODBG_IOC_RW_OBJECT on object files */
#define IODBG_FEATURE_LIST_OBJECTS	(1ULL << 3)	/* IODBG_IOC_LIST_OBJECTS */
#define IODBG_FEATURE_GENERIC		(1ULL << 4)	/* the generic page-table fallback */

/**
 * struct iodbg_object_info - one iodbg object, and where a process maps it
 * @id:		the object's id, unique while the iodbg core is loaded
 * @size:	the object's size in bytes
 * @start:	the user address of the mapping, 0 if not mapped (IODBG_IOC_OBJECT_INFO)
 * @length:	the length of the mapping in bytes
 * @offset:	the offset in the object that @start maps
 * @kind:	IODBG_KIND_*
 * @placement:	IODBG_PLACEMENT_* at the time of the call
 * @flags:	IODBG_OBJECT_*
 * @unit:	which device unit holds it (the SPE of a running context), or -1
 * @owner:	the id of the object it belongs with (an SPU context's other object), or 0
 * @reserved:	zero
 */
struct iodbg_object_info {
	__u64 id;
	__u64 size;
	__u64 start;
	__u64 length;
	__u64 offset;
	__u32 kind;
	__u32 placement;
	__u32 flags;
	__s32 unit;
	__u64 owner;
	__u64 reserved[2];
};

/**
 * struct iodbg_list_objects - IODBG_IOC_LIST_OBJECTS: the iodbg mappings of a process
 * @size:	sizeof(struct iodbg_list_objects) as the caller knows it
 * @pid:	the process (any thread id of it)
 * @count:	in: how many entries @objects has room for; out: how many mappings there are
 *		(more than the room given means the list was cut short)
 * @entry_size:	sizeof(struct iodbg_object_info) as the caller knows it
 * @objects:	user pointer to an array of struct iodbg_object_info, in address order
 * @reserved:	must be zero
 */
struct iodbg_list_objects {
	__u32 size;
	__s32 pid;
	__u32 count;
	__u32 entry_size;
	__u64 objects;
	__u64 reserved[2];
};

/**
 * struct iodbg_rw - IODBG_IOC_RW_ADDR and IODBG_IOC_RW_OBJECT: read or write bytes
 * @size:	sizeof(struct iodbg_rw) as the caller knows it
 * @pid:	RW_ADDR: the process whose address space @addr is in; RW_OBJECT: must be 0
 * @addr:	RW_ADDR: the user address in @pid; RW_OBJECT: the offset in the object
 * @buf:	user pointer to the caller's buffer
 * @len:	bytes to transfer, at most IODBG_RW_MAX_LEN
 * @flags:	IODBG_RW_*
 * @pad:	must be zero
 * @done:	out: bytes transferred; on an error, those transferred before it
 * @reserved:	must be zero
 *
 * An iodbg object is read wherever it lives now, under its own lock; any other VM_IO or
 * VM_PFNMAP mapping through the generic page-table fallback. Ordinary memory is not served
 * (EFAULT): process_vm_readv and /proc/PID/mem do that better.
 */
struct iodbg_rw {
	__u32 size;
	__s32 pid;
	__u64 addr;
	__u64 buf;
	__u64 len;
	__u32 flags;
	__u32 pad;
	__u64 done;
	__u64 reserved[2];
};

#define IODBG_RW_WRITE		(1U << 0)	/* write @buf to the target instead of reading */
/* The caller accepts device side effects: the generic fallback may touch MMIO pfns. */
#define IODBG_RW_ALLOW_MMIO	(1U << 1)
/* RW_ADDR: use the generic page-table fallback even for iodbg objects. */
#define IODBG_RW_GENERIC	(1U << 2)
#define IODBG_RW_FLAGS		(IODBG_RW_WRITE | IODBG_RW_ALLOW_MMIO | IODBG_RW_GENERIC)
#define IODBG_RW_MAX_LEN	(1ULL << 30)

#define IODBG_IOC_MAGIC		0xd8
/* Control device and object files. */
#define IODBG_IOC_VERSION	_IOWR(IODBG_IOC_MAGIC, 0x00, struct iodbg_version)
/* Control device. */
#define IODBG_IOC_LIST_OBJECTS	_IOWR(IODBG_IOC_MAGIC, 0x01, struct iodbg_list_objects)
#define IODBG_IOC_RW_ADDR	_IOWR(IODBG_IOC_MAGIC, 0x02, struct iodbg_rw)
/* Object files (the files drivers hand out for their objects). */
#define IODBG_IOC_RW_OBJECT	_IOWR(IODBG_IOC_MAGIC, 0x03, struct iodbg_rw)
#define IODBG_IOC_OBJECT_INFO	_IOR(IODBG_IOC_MAGIC, 0x04, struct iodbg_object_info)

/*
 * gpu_sim, the reference GPU driver: buffer objects that live in a simulated VRAM (a PCI BAR),
 * in GART or in system memory, are evicted from VRAM when it is full and can be moved.
 * /dev/gpu_sim creates them; each buffer object is a file of its own (an iodbg object file)
 * that the process maps and on which it issues GPU_SIM_IOC_MOVE.
 */
#define GPU_SIM_DEVICE_NAME	"gpu_sim"

/**
 * struct gpu_sim_create - GPU_SIM_IOC_CREATE: a new buffer object
 * @size:	sizeof(struct gpu_sim_create) as the caller knows it
 * @placement:	IODBG_PLACEMENT_DEVICE (VRAM, evicting others if full), _GART or _SYSTEM
 * @bo_size:	bytes, a non-zero multiple of the page size, at most GPU_SIM_MAX_BO_SIZE
 * @flags:	GPU_SIM_CREATE_*
 * @fd:		out: the buffer object's file descriptor (close-on-exec)
 * @id:		out: its iodbg object id
 * @reserved:	must be zero
 */
struct gpu_sim_create {
	__u32 size;
	__u32 placement;
	__u64 bo_size;
	__u32 flags;
	__s32 fd;
	__u64 id;
	__u64 reserved[2];
};

/**
 * struct gpu_sim_move - GPU_SIM_IOC_MOVE, on a buffer object's file: move it
 * @size:	sizeof(struct gpu_sim_move) as the caller knows it
 * @placement:	IODBG_PLACEMENT_DEVICE, _GART or _SYSTEM
 * @reserved:	must be zero
 */
struct gpu_sim_move {
	__u32 size;
	__u32 placement;
	__u64 reserved[2];
};

#define GPU_SIM_MAX_BO_SIZE	(256ULL << 20)
/*
 * Map the object with the kernel's generic_access_phys() as ->access, as /dev/mem and PCI
 * resource files are, to compare iodbg against. generic_access_phys() ioremaps whatever the
 * PTE maps, which is wrong for RAM, so such an object must be created in VRAM and stays there:
 * it is never evicted, and moving it elsewhere is EINVAL.
 */
#define GPU_SIM_CREATE_ACCESS_PHYS	(1U << 0)
#define GPU_SIM_IOC_MAGIC	0xd9
#define GPU_SIM_IOC_CREATE	_IOWR(GPU_SIM_IOC_MAGIC, 0x00, struct gpu_sim_create)
#define GPU_SIM_IOC_MOVE	_IOW(GPU_SIM_IOC_MAGIC, 0x01, struct gpu_sim_move)

#endif /* _UAPI_LINUX_IODBG_H */
