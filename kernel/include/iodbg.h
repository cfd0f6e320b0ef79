/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iodbg driver API: make a driver's device-memory objects debuggable.
 *
 * A driver embeds a struct iodbg_object in each object that user space maps (a GPU buffer
 * object, an SPU context's local store or registers), describes it with an ops table and
 * hands user space the object's file from iodbg_object_getfile(). iodbg then owns the
 * mapping: it faults in the object's current placement, zaps every user PTE when the driver
 * moves the object, and answers ptrace, /proc/PID/mem and its own debug ioctls from wherever
 * the object lives now, under the object's lock.
 *
 * Locking, in the order the locks nest:
 *   mmap_lock of the process that maps the object (fault, ->access, the debug ioctls by address)
 *     obj->lock (every use of the placement; the driver holds it to move the object)
 *       i_mmap_rwsem of the object's file (unmap_mapping_range(), in iodbg_object_zap())
 * The driver never takes mmap_lock while holding obj->lock. See docs/kernel-design.md.
 */
#ifndef _IODBG_H
#define _IODBG_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/user.h>
#include <linux/wait.h>
#include <uapi/linux/iodbg.h>

struct iodbg_object;

/*
 * The vm_operations of a mapping of an iodbg object whose driver answers ptrace its own way:
 * @access_fn is its ->access, NULL for none. iodbg's own ->access reads the object wherever
 * it lives; a driver names other ops only to be what real drivers are (TTM without an
 * access_memory hook, /dev/mem's generic_access_phys()).
 */
#define IODBG_VM_OPS(access_fn) {		\
	.open = iodbg_vm_open,			\
	.close = iodbg_vm_close,		\
	.fault = iodbg_vm_fault,		\
	.access = (access_fn),			\
}

/**
 * struct iodbg_object_ops - what a driver tells iodbg about one kind of object
 * @kind:	IODBG_KIND_*
 * @placement:	where the object lives now (IODBG_PLACEMENT_*); @unit, if not NULL, gets the
 *		device unit that holds it or -1. Called with obj->lock held.
 * @copy:	copy @len bytes at @offset (inside the object) between @buf and the current
 *		placement. Called with obj->lock held; must not block on the device and must not
 *		cause device side effects (a debugger calls it). Returns 0 or a negative errno.
 * @fault_pfn:	the pfn and protection to map page @pgoff of the object now. Called with
 *		obj->lock held. Returns 0, or -EAGAIN when the page cannot be mapped until the
 *		object moves (registers of a context that is off its device): the faulting task
 *		then waits on obj->wait, interruptibly, until iodbg_object_moved().
 * @ioctl:	optional: the driver's own ioctls on the object's file.
 * @vm_ops:	optional: the vm_operations of the object's mappings, made with IODBG_VM_OPS();
 *		NULL for iodbg's own, whose ->access reads the object wherever it lives.
 * @release:	free the object when its last reference is gone. May sleep.
 */
struct iodbg_object_ops {
	u32 kind;
	u32 (*placement)(struct iodbg_object *obj, s32 *unit);
	int (*copy)(struct iodbg_object *obj, u64 offset, void *buf, size_t len, bool write);
	int (*fault_pfn)(struct iodbg_object *obj, pgoff_t pgoff, unsigned long *pfn,
			 pgprot_t *prot);
	long (*ioctl)(struct iodbg_object *obj, unsigned int cmd, unsigned long arg);
	const struct vm_operations_struct *vm_ops;
	void (*release)(struct iodbg_object *obj);
};

/**
 * struct iodbg_object - the part of a driver's object that iodbg manages
 * @ops:	the driver's ops for this kind of object
 * @size:	size in bytes, a multiple of PAGE_SIZE
 * @flags:	IODBG_OBJECT_*
 * @id:		unique id, assigned by iodbg_object_init()
 * @owner_id:	the id of a related object (an SPU context's other half), or 0
 * @lock:	protects the placement; see the locking rules at the top of this file
 * @wait:	faulting tasks that wait for the object to become mappable
 * @moves:	how often the object moved; written under @lock, read by waiters
 * @ref:	references: the driver's, one per object file, one per VMA
 * @inode:	the inode of the object's file, whose i_mapping holds every user mapping
 * @module:	the driver that owns @ops, pinned while the object lives
 */
struct iodbg_object {
	const struct iodbg_object_ops *ops;
	u64 size;
	u32 flags;
	u64 id;
	u64 owner_id;
	struct mutex lock;	/* see the locking rules at the top of this file */
	wait_queue_head_t wait;
	u64 moves;
	struct kref ref;
	struct inode *inode;
	struct module *module;
};

int iodbg_object_init(struct iodbg_object *obj, const struct iodbg_object_ops *ops, u64 size,
		      u32 flags, struct module *module);
void iodbg_object_get(struct iodbg_object *obj);
bool iodbg_object_tryget(struct iodbg_object *obj);
void iodbg_object_put(struct iodbg_object *obj);
struct file *iodbg_object_getfile(struct iodbg_object *obj, const char *name);
int iodbg_object_install_fd(struct iodbg_object *obj, const char *name);
void iodbg_object_zap(struct iodbg_object *obj);
void iodbg_object_moved(struct iodbg_object *obj);
struct iodbg_object *iodbg_object_from_file(struct file *file);
int iodbg_object_mmap(struct iodbg_object *obj, struct vm_area_struct *vma, const char *name);

/* For IODBG_VM_OPS() only. */
void iodbg_vm_open(struct vm_area_struct *vma);
void iodbg_vm_close(struct vm_area_struct *vma);
vm_fault_t iodbg_vm_fault(struct vm_fault *vmf);

/* Helpers for the ops and ioctls of drivers. */
int iodbg_account_mem(struct user_struct *user, unsigned long npages);
void iodbg_unaccount_mem(struct user_struct *user, unsigned long npages);
void iodbg_copy_pages(struct page **pages, u64 offset, void *buf, size_t len, bool write);
void iodbg_copy_io(void __iomem *io, void *buf, size_t len, bool write);
void iodbg_copy_io_width(void __iomem *io, void *buf, size_t len, bool write,
			 unsigned int width);
int iodbg_copy_struct_from_user(void *dst, size_t ksize, size_t min_size, void __user *uarg);

#endif /* _IODBG_H */
