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
 * @done:	out: bytes transferred; on an error, those transferred before it (a read may
 *		have stored more of @buf than that: its contents there are undefined)
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

/*
 * spu_sim, the reference SPU driver: Cell-like SPU contexts, created on /dev/spu_sim as spufs's
 * spu_create() creates them. Each context has two iodbg object files, which the process maps
 * (MAP_SHARED): its local store (SPU_SIM_LS_SIZE bytes, IODBG_KIND_SPU_LS) and its problem-state
 * registers (one page, IODBG_KIND_SPU_REGS, IODBG_OBJECT_REGISTERS: struct spu_sim_regs at offset
 * 0, the rest of the page unused). Each object's owner is the other one. A context is runnable
 * from its creation until both files and all their mappings are gone, unless SPU_SIM_IOC_STOP
 * holds it off.
 *
 * There are fewer simulated SPEs than contexts (module parameter nr_spes, default 2): a kernel
 * thread time-slices the runnable contexts onto them (module parameter slice_ms, writable in
 * sysfs). A context's local store and registers are in its SPE's memory while it runs
 * (IODBG_PLACEMENT_DEVICE, unit: the SPE) and in a saved copy otherwise (IODBG_PLACEMENT_SAVED).
 * A task touching the register mapping of a saved context waits, interruptibly, until the
 * context runs again; debuggers read and write the saved copy at once.
 *
 * While on an SPE, the context's simulated program runs one step each scheduler tick: it adds 4
 * to npc (wrapping inside the local store), adds 1 to the 64-bit counter at SPU_SIM_LS_COUNTER
 * and to run_ticks, takes the oldest inbound mailbox entry (if any) and adds it to the 64-bit
 * sum at SPU_SIM_LS_MBOX_SUM, posts the counter's low 32 bits to the outbound mailbox unless it
 * is full, and issues an MFC PUT of the counter (the oldest command completing when the queue is
 * full). Words in the local store are little endian, as on the host.
 */
#define SPU_SIM_DEVICE_NAME	"spu_sim"

#define SPU_SIM_LS_SIZE		(256U << 10)
#define SPU_SIM_LS_COUNTER	0x3fff0		/* __u64: steps the context ran */
#define SPU_SIM_LS_MBOX_SUM	0x3fff8		/* __u64: sum of the inbound entries it took */

#define SPU_SIM_OUT_MBOX_DEPTH	4
#define SPU_SIM_IN_MBOX_DEPTH	4
#define SPU_SIM_DMA_DEPTH	4

/* spu_sim_regs.status */
#define SPU_SIM_STATUS_RUNNING	(1U << 0)	/* on an SPE */
#define SPU_SIM_STATUS_STOPPED	(1U << 1)	/* held off the SPEs by SPU_SIM_IOC_STOP */

/* spu_sim_regs.dma_opcode */
#define SPU_SIM_MFC_PUT		0x20
#define SPU_SIM_MFC_GET		0x40

/**
 * struct spu_sim_regs - a context's problem-state registers, at offset 0 of its register object
 * @size:	sizeof(struct spu_sim_regs) as the driver knows it
 * @status:	SPU_SIM_STATUS_*
 * @npc:	the next program counter, a local store address
 * @pad0:	zero
 * @out_mbox:	the outbound (SPU to PPU) mailbox, a ring; entry @out_mbox_head is the oldest
 * @out_mbox_head: index of the oldest outbound entry
 * @out_mbox_count: outbound entries waiting, at most SPU_SIM_OUT_MBOX_DEPTH
 * @in_mbox:	the inbound (PPU to SPU) mailbox, a ring; entry @in_mbox_head is the oldest
 * @in_mbox_head: index of the oldest inbound entry
 * @in_mbox_count: inbound entries waiting, at most SPU_SIM_IN_MBOX_DEPTH
 * @signal1:	signal notification register 1
 * @signal2:	signal notification register 2
 * @dma_head:	the MFC queue, a ring: index of the oldest command
 * @dma_count:	commands in the MFC queue, at most SPU_SIM_DMA_DEPTH
 * @dma_ea:	each command's effective (PPU) address
 * @dma_lsa:	each command's local store address
 * @dma_size:	each command's size in bytes
 * @dma_tag:	each command's tag group
 * @dma_opcode:	each command's SPU_SIM_MFC_* opcode
 * @run_ticks:	steps the context ran on an SPE
 * @loads:	how often it was switched onto an SPE
 * @vol_switches: how often it left an SPE by SPU_SIM_IOC_YIELD or SPU_SIM_IOC_STOP
 * @invol_switches: how often the scheduler took it off an SPE at the end of a time slice
 * @reserved:	zero
 *
 * The program and debuggers may write any field; the driver only ever uses ring indices modulo
 * the ring's depth and counts clamped to it.
 */
struct spu_sim_regs {
	__u32 size;
	__u32 status;
	__u32 npc;
	__u32 pad0;
	__u32 out_mbox[SPU_SIM_OUT_MBOX_DEPTH];
	__u32 out_mbox_head;
	__u32 out_mbox_count;
	__u32 in_mbox[SPU_SIM_IN_MBOX_DEPTH];
	__u32 in_mbox_head;
	__u32 in_mbox_count;
	__u32 signal1;
	__u32 signal2;
	__u32 dma_head;
	__u32 dma_count;
	__u64 dma_ea[SPU_SIM_DMA_DEPTH];
	__u32 dma_lsa[SPU_SIM_DMA_DEPTH];
	__u32 dma_size[SPU_SIM_DMA_DEPTH];
	__u32 dma_tag[SPU_SIM_DMA_DEPTH];
	__u32 dma_opcode[SPU_SIM_DMA_DEPTH];
	__u64 run_ticks;
	__u64 loads;
	__u64 vol_switches;
	__u64 invol_switches;
	__u64 reserved[8];
};

/**
 * struct spu_sim_create - SPU_SIM_IOC_CREATE, on /dev/spu_sim: a new context
 * @size:	sizeof(struct spu_sim_create) as the caller knows it
 * @flags:	must be zero
 * @ls_fd:	out: the local store's file descriptor (close-on-exec); must be zero
 * @regs_fd:	out: the registers' file descriptor (close-on-exec); must be zero
 * @ctx_id:	out: the context's number, unique while spu_sim is loaded; must be zero
 * @ls_id:	out: the local store's iodbg object id; must be zero
 * @regs_id:	out: the registers' iodbg object id; must be zero
 * @reserved:	must be zero
 */
struct spu_sim_create {
	__u32 size;
	__u32 flags;
	__s32 ls_fd;
	__s32 regs_fd;
	__u64 ctx_id;
	__u64 ls_id;
	__u64 regs_id;
	__u64 reserved[2];
};

/**
 * struct spu_sim_mbox - SPU_SIM_IOC_MBOX_READ and SPU_SIM_IOC_MBOX_WRITE
 * @size:	sizeof(struct spu_sim_mbox) as the caller knows it
 * @flags:	must be zero
 * @data:	MBOX_READ, out: the oldest outbound entry, now taken; MBOX_WRITE, in: the entry
 * @count:	out: the entries left in that mailbox afterwards; must be zero
 * @reserved:	must be zero
 *
 * These are the reads and writes with side effects (a read takes the entry), as the mailbox
 * registers of a real SPU have; the register mapping and debuggers see the mailboxes without
 * taking anything. Both work whether the context runs or not; EAGAIN when the outbound
 * mailbox is empty or the inbound one full.
 */
struct spu_sim_mbox {
	__u32 size;
	__u32 flags;
	__u32 data;
	__u32 count;
	__u64 reserved[2];
};

#define SPU_SIM_IOC_MAGIC	0xda
/* /dev/spu_sim */
#define SPU_SIM_IOC_CREATE	_IOWR(SPU_SIM_IOC_MAGIC, 0x00, struct spu_sim_create)
/*
 * A context's local store or register file. YIELD: leave the SPE now if another context waits
 * for one. STOP: leave the SPE and stay off until START. The argument must be 0.
 */
#define SPU_SIM_IOC_YIELD	_IO(SPU_SIM_IOC_MAGIC, 0x01)
#define SPU_SIM_IOC_STOP	_IO(SPU_SIM_IOC_MAGIC, 0x02)
#define SPU_SIM_IOC_START	_IO(SPU_SIM_IOC_MAGIC, 0x03)
#define SPU_SIM_IOC_MBOX_READ	_IOWR(SPU_SIM_IOC_MAGIC, 0x04, struct spu_sim_mbox)
#define SPU_SIM_IOC_MBOX_WRITE	_IOWR(SPU_SIM_IOC_MAGIC, 0x05, struct spu_sim_mbox)

#endif /* _UAPI_LINUX_IODBG_H */
