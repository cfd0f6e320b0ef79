/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between the files of the iodbg core module; drivers use iodbg.h only. */
#ifndef _IODBG_INTERNAL_H
#define _IODBG_INTERNAL_H

#include "iodbg.h"

/* How much of a transfer the debug ioctls map of the caller's buffer at a time. */
#define IODBG_CHUNK		(64UL << 10)
#define IODBG_CHUNK_PAGES	(IODBG_CHUNK >> PAGE_SHIFT)

/* access_vm_io.c: objects and their mappings */
struct iodbg_object *iodbg_vma_object(struct vm_area_struct *vma);
u64 iodbg_vma_object_offset(struct vm_area_struct *vma, unsigned long addr);
int iodbg_object_rw(struct iodbg_object *obj, u64 offset, void *buf, size_t len, bool write);
void iodbg_object_fill_info(struct iodbg_object *obj, struct iodbg_object_info *info);
void iodbg_vma_set_io_flags(struct vm_area_struct *vma);
int iodbg_vma_check_access(struct vm_area_struct *vma, bool write);

/* iodbg_debug.c: the debug ioctls */
long iodbg_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long iodbg_object_debug_ioctl(struct iodbg_object *obj, unsigned int cmd, unsigned long arg);
long iodbg_ioctl_version(void __user *uarg);
int iodbg_debug_init(void);
void iodbg_debug_exit(void);

/* iodbg_generic.c: any VM_IO / VM_PFNMAP mapping, by its page tables */
long iodbg_generic_rw(struct vm_area_struct *vma, unsigned long addr, void *buf, size_t len,
		      u32 flags, u32 width);

#endif /* _IODBG_INTERNAL_H */
