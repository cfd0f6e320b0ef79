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

/*
 * 2: targets named by pidfd (IODBG_RW_PIDFD, IODBG_LIST_PIDFD), LIST_OBJECTS counts what it
 * wrote and pages by address, RW_ADDR takes an MMIO access width; /dev/iodbg maps nothing.
 */
#define IODBG_ABI_VERSION	2

/*
 * The f_type that fstatfs() and statfs() report for the files of iodbg objects, so that user
 * space can tell them from other files (statfs of /proc/PID/fd/N opens nothing) before it
 * issues an iodbg ioctl on one.
 */
#define IODBG_FS_MAGIC		0x10db10db

/*
 * What readlink() of /proc/PID/fd/N says of an object file begins with this, "iodbg:[" NAME
 * "]", as /proc/PID/maps names its mappings; no path of a mounted filesystem does.
 */
#define IODBG_FD_LINK_PREFIX	"iodbg:["

/* Object kinds. */
#define IODBG_KIND_SCRATCH	1	/* kernel pages (the test module's scratch objects) */
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

/* Bit 0 (ABI 1: /dev/iodbg could be mapped) is no longer used. */
#define IODBG_FEATURE_RW_ADDR		(1ULL << 1)	/* IODBG_IOC_RW_ADDR */
#define IODBG_FEATURE_RW_OBJECT		(1ULL << 2)	/* IODBG_IOC_RW_OBJECT on object files */
#define IODBG_FEATURE_LIST_OBJECTS	(1ULL << 3)	/* IODBG_IOC_LIST_OBJECTS */
#define IODBG_FEATURE_GENERIC		(1ULL << 4)	/* the generic page-table fallback */
#define IODBG_FEATURE_PIDFD		(1ULL << 5)	/* IODBG_RW_PIDFD, IODBG_LIST_PIDFD */
#define IODBG_FEATURE_LIST_CURSOR	(1ULL << 6)	/* iodbg_list_objects.start, _MORE */
#define IODBG_FEATURE_WIDTH		(1ULL << 7)	/* iodbg_rw.width */
#define IODBG_FEATURE_LIST_VMAS		(1ULL << 8)	/* IODBG_IOC_LIST_VMAS */
#define IODBG_FEATURE_LIST_END		(1ULL << 9)	/* the listings' @end */

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
 * @pid:	the process: a process or thread id in the caller's pid namespace, or with
 *		IODBG_LIST_PIDFD a pidfd of it
 * @count:	in: how many entries @objects has room for; out: how many were written
 * @entry_size:	sizeof(struct iodbg_object_info) as the caller knows it
 * @objects:	user pointer to an array of struct iodbg_object_info, in address order
 * @start:	list the mappings that end above this address; to page through a long list,
 *		pass the end of the last mapping the previous call wrote
 * @flags:	in: IODBG_LIST_PIDFD; out: IODBG_LIST_MORE if mappings after the last one
 *		written were left out for want of room
 * @pad:	must be zero
 * @end:	if not 0, list only the mappings that start below this address, which must be
 *		above @start (IODBG_FEATURE_LIST_END; a caller of the first size, 40 bytes,
 *		passes none)
 *
 * One call writes at most IODBG_LIST_MAX_COUNT entries, however much room it is given.
 */
struct iodbg_list_objects {
	__u32 size;
	__s32 pid;
	__u32 count;
	__u32 entry_size;
	__u64 objects;
	__u64 start;
	__u32 flags;
	__u32 pad;
	__u64 end;
};

#define IODBG_LIST_PIDFD	(1U << 0)	/* in: @pid is a pidfd */
#define IODBG_LIST_MORE		(1U << 1)	/* out: call again from the last end */
#define IODBG_LIST_MAX_COUNT	4096

/**
 * struct iodbg_vma_info - one mapping of a process, as IODBG_IOC_LIST_VMAS lists it
 * @start:	its first address
 * @end:	the address after its last
 * @object:	the id of the iodbg object it maps, or 0
 * @flags:	IODBG_VMA_*: those of its VM flags that /proc/PID/maps does not show
 * @pad:	zero
 * @reserved:	zero
 */
struct iodbg_vma_info {
	__u64 start;
	__u64 end;
	__u64 object;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};

#define IODBG_VMA_IO		(1U << 0)	/* VM_IO ("io" in smaps' VmFlags) */
#define IODBG_VMA_PFNMAP	(1U << 1)	/* VM_PFNMAP ("pf") */
#define IODBG_VMA_MIXEDMAP	(1U << 2)	/* VM_MIXEDMAP ("mm") */
#define IODBG_VMA_DONTDUMP	(1U << 3)	/* VM_DONTDUMP ("dd") */
#define IODBG_VMA_FLAGS		(IODBG_VMA_IO | IODBG_VMA_PFNMAP | IODBG_VMA_MIXEDMAP | \
				 IODBG_VMA_DONTDUMP)

/**
 * struct iodbg_list_vmas - IODBG_IOC_LIST_VMAS: the device mappings of a process
 * @size:	sizeof(struct iodbg_list_vmas) as the caller knows it
 * @pid:	the process, as in struct iodbg_list_objects
 * @count:	in: how many entries @vmas has room for; out: how many were written
 * @entry_size:	sizeof(struct iodbg_vma_info) as the caller knows it
 * @vmas:	user pointer to an array of struct iodbg_vma_info, in address order
 * @start:	list the mappings that end above this address (a cursor, as in
 *		struct iodbg_list_objects)
 * @flags:	in: IODBG_LIST_PIDFD; out: IODBG_LIST_MORE
 * @match:	IODBG_VMA_* bits, at least one: list the mappings that have any of them
 * @end:	as in struct iodbg_list_objects
 *
 * What /proc/PID/smaps's VmFlags say of the mappings that have any of these flags, without
 * the walk of every page table that makes smaps slow: /proc/PID/maps names every mapping,
 * and a mapping this lists none of says it has none of @match. A process has few such
 * mappings, however many it has in all. Every mapping of an iodbg object is VM_IO and
 * VM_PFNMAP, so a listing that matches either names them all, with their objects' ids.
 * Permission is ptrace's, as for IODBG_IOC_RW_ADDR (EPERM); other errors: ESRCH, EBADF (not
 * a pidfd), EFAULT, EINVAL (an unknown flag or @match bit, no @match, another @entry_size,
 * @start or @end above user space, @end not above @start).
 */
struct iodbg_list_vmas {
	__u32 size;
	__s32 pid;
	__u32 count;
	__u32 entry_size;
	__u64 vmas;
	__u64 start;
	__u32 flags;
	__u32 match;
	__u64 end;
};

/**
 * struct iodbg_rw - IODBG_IOC_RW_ADDR and IODBG_IOC_RW_OBJECT: read or write bytes
 * @size:	sizeof(struct iodbg_rw) as the caller knows it
 * @pid:	RW_ADDR: the process whose address space @addr is in, a process or thread id in
 *		the caller's pid namespace or, with IODBG_RW_PIDFD, a pidfd of it;
 *		RW_OBJECT: must be 0
 * @addr:	RW_ADDR: the user address in @pid; RW_OBJECT: the offset in the object
 * @buf:	user pointer to the caller's buffer
 * @len:	bytes to transfer, at most IODBG_RW_MAX_LEN
 * @flags:	IODBG_RW_*
 * @width:	RW_ADDR: the access width, in bytes, of the generic fallback on MMIO: 1, 2, 4 or
 *		8, or 0 for the default, 4; bytes at the edges of the range are read with the
 *		whole aligned access that holds them and written by the widest aligned accesses
 *		that hold only them. RW_OBJECT: must be 0 (the driver knows its device)
 * @done:	out: bytes transferred; on an error, those transferred before it (a read may
 *		have stored more of @buf than that: its contents there are undefined)
 * @reserved:	must be zero
 *
 * An iodbg object is read wherever it lives now, under its own lock; any other VM_IO or
 * VM_PFNMAP mapping through the generic page-table fallback. Ordinary memory is not served
 * (EFAULT): process_vm_readv and /proc/PID/mem do that better. Permission is ptrace's
 * (PTRACE_MODE_ATTACH, as for opening /proc/PID/mem): EPERM where it refuses. Other errors:
 * ESRCH (no such process), EBADF (not a pidfd), EFAULT (no mapping there, or a bad @buf),
 * EPERM also for MMIO without IODBG_RW_ALLOW_MMIO, ENOENT (the generic fallback found the
 * page not present: it never faults another process's pages in), EACCES (the mapping may not
 * be read even by ptrace: no VM_MAYREAD), EROFS (a write to a read-only mapping or page),
 * EOPNOTSUPP (a huge page this kernel cannot look into), EINVAL (a bad argument).
 */
struct iodbg_rw {
	__u32 size;
	__s32 pid;
	__u64 addr;
	__u64 buf;
	__u64 len;
	__u32 flags;
	__u32 width;
	__u64 done;
	__u64 reserved[2];
};

#define IODBG_RW_WRITE		(1U << 0)	/* write @buf to the target instead of reading */
/* The caller accepts device side effects: the generic fallback may touch MMIO pfns. */
#define IODBG_RW_ALLOW_MMIO	(1U << 1)
/* RW_ADDR: use the generic page-table fallback even for iodbg objects. */
#define IODBG_RW_GENERIC	(1U << 2)
/* RW_ADDR: @pid is a pidfd. */
#define IODBG_RW_PIDFD		(1U << 3)
#define IODBG_RW_FLAGS		(IODBG_RW_WRITE | IODBG_RW_ALLOW_MMIO | IODBG_RW_GENERIC | \
				 IODBG_RW_PIDFD)
#define IODBG_RW_MAX_LEN	(1ULL << 30)
#define IODBG_RW_WIDTH_DEFAULT	4

#define IODBG_IOC_MAGIC		0xd8
/*
 * The sizes the listing structures had first: their ioctl numbers keep these as the
 * structures grow, and their @size says which a caller knows.
 */
#define IODBG_LIST_SIZE_V1	40
#define IODBG_LIST_VMAS_SIZE_V1	40
/* Control device and object files. */
#define IODBG_IOC_VERSION	_IOWR(IODBG_IOC_MAGIC, 0x00, struct iodbg_version)
/* Control device. */
#define IODBG_IOC_LIST_OBJECTS	_IOC(_IOC_READ | _IOC_WRITE, IODBG_IOC_MAGIC, 0x01, \
				     IODBG_LIST_SIZE_V1)
#define IODBG_IOC_RW_ADDR	_IOWR(IODBG_IOC_MAGIC, 0x02, struct iodbg_rw)
/* Object files (the files drivers hand out for their objects). */
#define IODBG_IOC_RW_OBJECT	_IOWR(IODBG_IOC_MAGIC, 0x03, struct iodbg_rw)
#define IODBG_IOC_OBJECT_INFO	_IOR(IODBG_IOC_MAGIC, 0x04, struct iodbg_object_info)
/* Control device. */
#define IODBG_IOC_LIST_VMAS	_IOC(_IOC_READ | _IOC_WRITE, IODBG_IOC_MAGIC, 0x05, \
				     IODBG_LIST_VMAS_SIZE_V1)

#endif /* _UAPI_LINUX_IODBG_H */
