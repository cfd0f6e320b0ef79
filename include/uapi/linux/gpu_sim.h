/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gpu_sim: the user ABI of iodbg's reference GPU driver.
 *
 * The rules of <linux/iodbg.h> hold here too: fixed-width fields, explicit padding, a leading
 * size field, reserved fields that must be zero.
 */
#ifndef _UAPI_LINUX_GPU_SIM_H
#define _UAPI_LINUX_GPU_SIM_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/iodbg.h>

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

#endif /* _UAPI_LINUX_GPU_SIM_H */
