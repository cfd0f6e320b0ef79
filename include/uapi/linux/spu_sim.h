/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * spu_sim: the user ABI of iodbg's reference SPU driver.
 *
 * The rules of <linux/iodbg.h> hold here too: fixed-width fields, explicit padding, a leading
 * size field, reserved fields that must be zero.
 */
#ifndef _UAPI_LINUX_SPU_SIM_H
#define _UAPI_LINUX_SPU_SIM_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/iodbg.h>

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

#endif /* _UAPI_LINUX_SPU_SIM_H */
