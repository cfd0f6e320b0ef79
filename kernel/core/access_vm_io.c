// SPDX-License-Identifier: GPL-2.0
/*
 * iodbg core: debugger access to VM_IO and VM_PFNMAP mappings.
 *
 * Drivers register their device-memory objects (struct iodbg_object, see iodbg.h); iodbg gives
 * each object a file of its own on a small pseudo filesystem, maps it for user space, faults in
 * its current placement, zaps its user PTEs when the driver moves it and answers ->access (that
 * is ptrace and /proc/PID/mem) from wherever it lives now. The control device /dev/iodbg carries
 * the debug ioctls (iodbg_debug.c).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/mm.h>
#include "iodbg_internal.h"

static struct vfsmount *iodbg_mnt;
static atomic64_t iodbg_next_id = ATOMIC64_INIT(0);

/**
 * iodbg_object_init() - prepare a driver's object for iodbg
 * @obj:	the object, embedded in the driver's own structure
 * @ops:	the driver's ops for this kind of object
 * @size:	the object's size, a non-zero multiple of PAGE_SIZE
 * @flags:	IODBG_OBJECT_*
 * @module:	the driver (THIS_MODULE), pinned until the object is released
 *
 * The object starts with one reference, the driver's; iodbg_object_put() drops it, and
 * @ops->release frees the object once mappings and files are gone too.
 *
 * Return: 0, or a negative errno.
 */
int iodbg_object_init(struct iodbg_object *obj, const struct iodbg_object_ops *ops, u64 size,
		      u32 flags, struct module *module)
{
	if (!size || !PAGE_ALIGNED(size) || !ops->placement || !ops->copy || !ops->fault_pfn ||
	    !ops->release)
		return -EINVAL;
	if (ops->vm_ops && (ops->vm_ops->open != iodbg_vm_open ||
			    ops->vm_ops->close != iodbg_vm_close ||
			    ops->vm_ops->fault != iodbg_vm_fault))
		return -EINVAL;
	if (!try_module_get(module))
		return -ENODEV;

	obj->inode = alloc_anon_inode(iodbg_mnt->mnt_sb);
	if (IS_ERR(obj->inode)) {
		module_put(module);
		return PTR_ERR(obj->inode);
	}
	obj->ops = ops;
	obj->size = size;
	obj->flags = flags;
	obj->id = atomic64_inc_return(&iodbg_next_id);
	obj->owner_id = 0;
	obj->moves = 0;
	obj->module = module;
	mutex_init(&obj->lock);
	init_waitqueue_head(&obj->wait);
	kref_init(&obj->ref);
	return 0;
}
EXPORT_SYMBOL_GPL(iodbg_object_init);

/**
 * iodbg_object_get() - take a reference on an object
 * @obj:	the object
 */
void iodbg_object_get(struct iodbg_object *obj)
{
	kref_get(&obj->ref);
}
EXPORT_SYMBOL_GPL(iodbg_object_get);

/**
 * iodbg_object_tryget() - take a reference on an object unless it is being released
 * @obj:	the object, reached through a list of the driver's own
 *
 * An object's last reference may go before its ->release unlinks it from the driver's lists:
 * a driver walking those lists takes its reference with this, and leaves alone an object
 * whose release has begun.
 *
 * Return: true if the reference was taken.
 */
bool iodbg_object_tryget(struct iodbg_object *obj)
{
	return kref_get_unless_zero(&obj->ref);
}
EXPORT_SYMBOL_GPL(iodbg_object_tryget);

static void iodbg_object_release(struct kref *ref)
{
	struct iodbg_object *obj = container_of(ref, struct iodbg_object, ref);
	struct module *module = obj->module;
	struct inode *inode = obj->inode;

	/*
	 * The driver may still reach the object through its own lists (an evictor that
	 * trylocks it) until ->release unlinks it: the inode, which iodbg_object_zap() uses,
	 * must outlive that.
	 */
	obj->ops->release(obj);
	iput(inode);
	module_put(module);
}

/**
 * iodbg_object_put() - drop a reference on an object
 * @obj:	the object
 *
 * Context: may sleep (the last reference frees the object).
 */
void iodbg_object_put(struct iodbg_object *obj)
{
	kref_put(&obj->ref, iodbg_object_release);
}
EXPORT_SYMBOL_GPL(iodbg_object_put);

/**
 * iodbg_object_zap() - remove every user PTE of an object
 * @obj:	the object, with obj->lock held
 *
 * Call it when the object moves, with its lock held from before the move until after
 * iodbg_object_moved(), so that no fault can install a PTE of the old placement in between:
 * a fault takes the same lock to choose the pfn. Covers every mapping made through the
 * object's files, at any offset, in any process.
 */
void iodbg_object_zap(struct iodbg_object *obj)
{
	lockdep_assert_held(&obj->lock);
	unmap_mapping_range(obj->inode->i_mapping, 0, 0, 1);
}
EXPORT_SYMBOL_GPL(iodbg_object_zap);

/**
 * iodbg_object_moved() - wake the tasks waiting for an object to become mappable
 * @obj:	the object, with obj->lock held
 *
 * Tasks whose fault found the object unmappable (->fault_pfn returned -EAGAIN) retry.
 */
void iodbg_object_moved(struct iodbg_object *obj)
{
	lockdep_assert_held(&obj->lock);
	WRITE_ONCE(obj->moves, obj->moves + 1);
	wake_up_all(&obj->wait);
}
EXPORT_SYMBOL_GPL(iodbg_object_moved);

/**
 * iodbg_object_rw() - copy bytes of an object, wherever it lives now
 * @obj:	the object
 * @offset:	offset in the object
 * @buf:	kernel buffer
 * @len:	bytes; @offset + @len must lie inside the object
 * @write:	copy @buf into the object instead of out of it
 *
 * Takes obj->lock a page at a time, as /proc/PID/mem takes its locks: a driver moving the
 * object (a context switch) waits for one page's copy at the most, not for a whole transfer.
 *
 * Context: takes obj->lock (killable); never waits for the device.
 * Return: 0, or a negative errno.
 */
int iodbg_object_rw(struct iodbg_object *obj, u64 offset, void *buf, size_t len, bool write)
{
	int ret;

	if (offset > obj->size || len > obj->size - offset)
		return -EINVAL;
	while (len) {
		size_t piece = min_t(size_t, len, PAGE_SIZE - offset_in_page(offset));

		ret = mutex_lock_killable(&obj->lock);
		if (ret)
			return ret;
		ret = obj->ops->copy(obj, offset, buf, piece, write);
		mutex_unlock(&obj->lock);
		if (ret)
			return ret;
		offset += piece;
		buf += piece;
		len -= piece;
	}
	return 0;
}

/**
 * iodbg_account_mem() - count memory a user made a driver allocate against RLIMIT_MEMLOCK
 * @user:	the user (get_current_user() at creation), who keeps the count
 * @npages:	pages
 *
 * For objects whose system memory user space cannot swap or free itself, as io_uring counts
 * its rings: the current task's RLIMIT_MEMLOCK bounds the user's total, unless the task has
 * CAP_IPC_LOCK. Allocate the memory itself with GFP_KERNEL_ACCOUNT too, so that it is charged
 * to the creator's memory cgroup and the OOM killer finds who holds it.
 *
 * Return: 0, or -ENOMEM over the limit.
 */
int iodbg_account_mem(struct user_struct *user, unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	unsigned long cur = atomic_long_read(&user->locked_vm);

	if (capable(CAP_IPC_LOCK)) {
		atomic_long_add(npages, &user->locked_vm);
		return 0;
	}
	do {
		if (cur + npages > limit || cur + npages < cur)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, cur + npages));
	return 0;
}
EXPORT_SYMBOL_GPL(iodbg_account_mem);

/**
 * iodbg_unaccount_mem() - give back what iodbg_account_mem() counted
 * @user:	the user it was counted against
 * @npages:	pages
 */
void iodbg_unaccount_mem(struct user_struct *user, unsigned long npages)
{
	atomic_long_sub(npages, &user->locked_vm);
}
EXPORT_SYMBOL_GPL(iodbg_unaccount_mem);

/**
 * iodbg_copy_pages() - copy bytes in or out of an array of pages
 * @pages:	the pages, in object order; not physically contiguous
 * @offset:	byte offset in the whole array
 * @buf:	kernel buffer
 * @len:	bytes, inside the array
 * @write:	copy @buf into the pages instead of out of them
 *
 * For the ->copy op of objects placed in system pages (saved copies, GART, system memory).
 */
void iodbg_copy_pages(struct page **pages, u64 offset, void *buf, size_t len, bool write)
{
	while (len) {
		size_t in_page = offset_in_page(offset);
		size_t chunk = min_t(size_t, len, PAGE_SIZE - in_page);
		struct page *page = pages[offset >> PAGE_SHIFT];

		if (write)
			memcpy_to_page(page, in_page, buf, chunk);
		else
			memcpy_from_page(buf, page, in_page, chunk);
		offset += chunk;
		buf += chunk;
		len -= chunk;
	}
}
EXPORT_SYMBOL_GPL(iodbg_copy_pages);

/*
 * Device memory wants whole, aligned accesses of the width it decodes. The raw accessors keep
 * the bytes in memory order on either endianness, as memcpy_fromio() does.
 */
static void iodbg_io_load(const void __iomem *io, void *buf, unsigned int width)
{
	u16 v16;
	u32 v32;

	switch (width) {
	case 1:
		*(u8 *)buf = __raw_readb(io);
		break;
	case 2:
		v16 = __raw_readw(io);
		memcpy(buf, &v16, 2);
		break;
	case 4:
		v32 = __raw_readl(io);
		memcpy(buf, &v32, 4);
		break;
#ifdef CONFIG_64BIT
	default: {
		u64 v64 = __raw_readq(io);

		memcpy(buf, &v64, 8);
	}
#endif
	}
}

static void iodbg_io_store(void __iomem *io, const void *buf, unsigned int width)
{
	u16 v16;
	u32 v32;

	switch (width) {
	case 1:
		__raw_writeb(*(const u8 *)buf, io);
		break;
	case 2:
		memcpy(&v16, buf, 2);
		__raw_writew(v16, io);
		break;
	case 4:
		memcpy(&v32, buf, 4);
		__raw_writel(v32, io);
		break;
#ifdef CONFIG_64BIT
	default: {
		u64 v64;

		memcpy(&v64, buf, 8);
		__raw_writeq(v64, io);
	}
#endif
	}
}

/*
 * The widest naturally aligned access at @at of at most @width and @len bytes: a store that
 * holds only the bytes asked for, so that a store the target makes meanwhile to a neighbouring
 * byte is never overwritten, as a read-merge-write would.
 */
static unsigned int iodbg_io_step(unsigned long at, size_t len, unsigned int width)
{
	unsigned int step = width;

	while (step > 1 && ((at & (step - 1)) || len < step))
		step >>= 1;
	return step;
}

/* Read a partial access at an edge: load the whole aligned access, keep the bytes asked for. */
static size_t iodbg_read_io_edge(const void __iomem *io, void *buf, size_t len,
				 unsigned int width)
{
	size_t in = (unsigned long)io & (width - 1);
	size_t n = min_t(size_t, len, width - in);
	u8 tmp[8];

	iodbg_io_load(io - in, tmp, width);
	memcpy(buf, tmp + in, n);
	return n;
}

/*
 * The aligned middle of a copy, @n accesses of the type's width, in a loop of its own so that
 * the width is not decided again for every access.
 */
#define IODBG_COPY_IO_RUN(type, rd, wr, io, buf, n, write)			\
	do {									\
		size_t __i;							\
		type __v;							\
										\
		for (__i = 0; __i < (n); __i++) {				\
			void __iomem *__io = (io) + __i * sizeof(type);		\
			void *__buf = (buf) + __i * sizeof(type);		\
										\
			if (write) {						\
				memcpy(&__v, __buf, sizeof(type));		\
				wr(__v, __io);					\
			} else {						\
				__v = rd(__io);					\
				memcpy(__buf, &__v, sizeof(type));		\
			}							\
		}								\
	} while (0)

/* Copy the aligned accesses at @io; returns the bytes done, 0 for widths without a loop. */
static size_t iodbg_copy_io_run(void __iomem *io, void *buf, size_t len, bool write,
				unsigned int width)
{
	size_t n = len / width;

	switch (width) {
	case 4:
		IODBG_COPY_IO_RUN(u32, __raw_readl, __raw_writel, io, buf, n, write);
		break;
#ifdef CONFIG_64BIT
	case 8:
		IODBG_COPY_IO_RUN(u64, __raw_readq, __raw_writeq, io, buf, n, write);
		break;
#endif
	default:
		return 0;
	}
	return n * width;
}

/**
 * iodbg_copy_io_width() - copy between a kernel buffer and device memory, in aligned accesses
 * @io:		device memory, as ioremap() and its variants map it
 * @buf:	kernel buffer, of any alignment
 * @len:	bytes
 * @write:	copy @buf into @io instead of out of it
 * @width:	the access width in bytes: 1, 2, 4, or 8 on 64-bit kernels
 *
 * Reads load only aligned accesses of @width bytes, the partial ones at the edges whole.
 * Writes store aligned accesses of @width bytes and, at the edges, exactly the bytes asked for
 * in the widest naturally aligned stores that fit.
 *
 * Context: any; the stores are complete (write-combining buffers flushed) on return.
 */
void iodbg_copy_io_width(void __iomem *io, void *buf, size_t len, bool write,
			 unsigned int width)
{
	while (len) {
		unsigned long at = (unsigned long)io;
		size_t n;

		if (!(at & (width - 1)) && len >= width) {
			n = iodbg_copy_io_run(io, buf, len, write, width);
			if (!n) {
				n = width;
				if (write)
					iodbg_io_store(io, buf, width);
				else
					iodbg_io_load(io, buf, width);
			}
		} else if (write) {
			n = iodbg_io_step(at, len, width);
			iodbg_io_store(io, buf, n);
		} else {
			n = iodbg_read_io_edge(io, buf, len, width);
		}
		io += n;
		buf += n;
		len -= n;
	}
	if (write) {
		/* Raw stores are unordered: finish them before the caller unlocks the object. */
		wmb();
	}
}
EXPORT_SYMBOL_GPL(iodbg_copy_io_width);

/**
 * iodbg_copy_io() - copy between a kernel buffer and device memory, in aligned words
 * @io:		device memory, as ioremap() and its variants map it
 * @buf:	kernel buffer, of any alignment
 * @len:	bytes
 * @write:	copy @buf into @io instead of out of it
 *
 * iodbg_copy_io_width() with the CPU's word size: for the ->copy op of objects placed in
 * device memory that decodes word accesses, such as a GPU's VRAM aperture. A word per access
 * is half the device transactions of memcpy_fromio()'s 32-bit moves on x86.
 *
 * Context: any; the stores are complete (write-combining buffers flushed) on return.
 */
void iodbg_copy_io(void __iomem *io, void *buf, size_t len, bool write)
{
	iodbg_copy_io_width(io, buf, len, write, sizeof(long));
}
EXPORT_SYMBOL_GPL(iodbg_copy_io);

/**
 * iodbg_vma_object_offset() - the object offset a user address of an iodbg mapping holds
 * @vma:	an iodbg mapping
 * @addr:	an address inside it
 *
 * Return: the byte offset in the object.
 */
u64 iodbg_vma_object_offset(struct vm_area_struct *vma, unsigned long addr)
{
	return ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
}

/**
 * iodbg_vm_open() - ->open of every mapping of an iodbg object (see IODBG_VM_OPS())
 * @vma:	the new copy of a mapping
 */
void iodbg_vm_open(struct vm_area_struct *vma)
{
	iodbg_object_get(vma->vm_private_data);
}
EXPORT_SYMBOL_GPL(iodbg_vm_open);

/**
 * iodbg_vm_close() - ->close of every mapping of an iodbg object (see IODBG_VM_OPS())
 * @vma:	the mapping going away
 */
void iodbg_vm_close(struct vm_area_struct *vma)
{
	iodbg_object_put(vma->vm_private_data);
}
EXPORT_SYMBOL_GPL(iodbg_vm_close);

/*
 * The object cannot be mapped until it moves (registers of a context that is off its device):
 * wait for iodbg_object_moved(), interruptibly, so that a signal handler runs and SIGKILL ends
 * the task at once. Only with mmap_lock dropped, as TTM and spufs do, and the fault retried
 * from the start: a wait under mmap_lock would stall every debugger and every mmap() of the
 * process behind it. Where the fault may not be retried (the second try of a user fault),
 * return without a PTE: the access faults again, with retry allowed.
 */
static vm_fault_t iodbg_vm_fault_wait(struct vm_fault *vmf, struct iodbg_object *obj, u64 seen)
{
	if (!fault_flag_allow_retry_first(vmf->flags))
		return VM_FAULT_NOPAGE;
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return VM_FAULT_RETRY;

	iodbg_object_get(obj);
#ifdef IODBG_HAVE_RELEASE_FAULT_LOCK
	release_fault_lock(vmf);
#else
	mmap_read_unlock(vmf->vma->vm_mm);
#endif
	wait_event_interruptible(obj->wait, READ_ONCE(obj->moves) != seen);
	iodbg_object_put(obj);
	return VM_FAULT_RETRY;
}

/**
 * iodbg_vm_fault() - ->fault of every mapping of an iodbg object (see IODBG_VM_OPS())
 * @vmf:	the fault
 *
 * Inserts the PTE of the object's current placement. Locking: mmap_lock (held by the
 * caller), then obj->lock, under which the pfn is chosen and inserted, so that a move, which
 * zaps under the same lock, can never leave a PTE of the old placement behind. A racing fault
 * that inserted the PTE first is harmless: vmf_insert_pfn_prot() then returns
 * VM_FAULT_NOPAGE.
 *
 * Return: VM_FAULT_NOPAGE, VM_FAULT_RETRY or an error.
 */
vm_fault_t iodbg_vm_fault(struct vm_fault *vmf)
{
	struct iodbg_object *obj = vmf->vma->vm_private_data;
	pgoff_t pgoff = vmf->pgoff;
	vm_fault_t ret = 0;
	unsigned long pfn;
	pgprot_t prot;
	u64 seen;
	int err;

	if (pgoff >= obj->size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	if (mutex_lock_interruptible(&obj->lock))
		return VM_FAULT_NOPAGE;	/* back to user space: the signal is handled first */

	prot = vmf->vma->vm_page_prot;
	err = obj->ops->fault_pfn(obj, pgoff, &pfn, &prot);
	if (!err)
		ret = vmf_insert_pfn_prot(vmf->vma, vmf->address, pfn, prot);
	seen = obj->moves;
	mutex_unlock(&obj->lock);

	if (err == -EAGAIN)
		return iodbg_vm_fault_wait(vmf, obj, seen);
	if (err)
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	return ret;
}
EXPORT_SYMBOL_GPL(iodbg_vm_fault);

/**
 * iodbg_vma_check_access() - whether a debugger may read or write through a mapping
 * @vma:	the mapping
 * @write:	a write rather than a read
 *
 * The rules GUP's check_vma_flags() applies for ptrace (FOLL_FORCE): a read needs the mapping
 * readable or allowed to become so (VM_MAYREAD; PROT_NONE is read); a write needs VM_WRITE,
 * since a shared mapping cannot be written by copy-on-write.
 *
 * Return: 0, -EACCES for a read the mapping forbids, -EROFS for a write to a read-only one.
 */
int iodbg_vma_check_access(struct vm_area_struct *vma, bool write)
{
	if (write)
		return vma->vm_flags & VM_WRITE ? 0 : -EROFS;
	return vma->vm_flags & (VM_READ | VM_MAYREAD) ? 0 : -EACCES;
}

/*
 * ->access, for ptrace and /proc/PID/mem: __access_remote_vm() calls it with mmap_lock held
 * for read and the whole remaining length of the request, which may run past this mapping
 * and past the object: clamp to both.
 */
static int iodbg_vm_access(struct vm_area_struct *vma, unsigned long addr, void *buf, int len,
			   int write)
{
	struct iodbg_object *obj = vma->vm_private_data;
	u64 offset = iodbg_vma_object_offset(vma, addr);
	int ret;

	if (len <= 0 || offset >= obj->size || iodbg_vma_check_access(vma, write))
		return -EIO;
	len = min3((u64)len, obj->size - offset, (u64)(vma->vm_end - addr));
	ret = iodbg_object_rw(obj, offset, buf, len, write);
	return ret ? ret : len;
}

static const struct vm_operations_struct iodbg_vm_ops = IODBG_VM_OPS(iodbg_vm_access);

/**
 * iodbg_vma_object() - the iodbg object a mapping maps, or NULL
 * @vma:	any mapping; the caller holds its mm's mmap_lock
 *
 * Return: the object, valid while mmap_lock is held, or NULL.
 */
struct iodbg_object *iodbg_vma_object(struct vm_area_struct *vma)
{
	if (vma->vm_ops && vma->vm_ops->open == iodbg_vm_open)
		return vma->vm_private_data;
	return NULL;
}

void iodbg_vma_set_io_flags(struct vm_area_struct *vma)
{
#ifdef IODBG_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
#else
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
#endif
}

/* Map @obj into @vma, a mapping of one of the object's files. */
static int iodbg_object_file_map(struct iodbg_object *obj, struct vm_area_struct *vma)
{
	u64 pages = obj->size >> PAGE_SHIFT;

	/* vmf_insert_pfn() cannot COW a pfn mapping: a private mapping would BUG. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff > pages || vma_pages(vma) > pages - vma->vm_pgoff)
		return -EINVAL;

	iodbg_object_get(obj);
	vma->vm_private_data = obj;
	vma->vm_ops = obj->ops->vm_ops ?: &iodbg_vm_ops;
	iodbg_vma_set_io_flags(vma);
	return 0;
}

/**
 * iodbg_object_fill_info() - describe an object for user space
 * @obj:	the object
 * @info:	filled in; the mapping fields are left to the caller
 *
 * Context: takes obj->lock.
 */
void iodbg_object_fill_info(struct iodbg_object *obj, struct iodbg_object_info *info)
{
	memset(info, 0, sizeof(*info));
	info->id = obj->id;
	info->size = obj->size;
	info->kind = obj->ops->kind;
	info->flags = obj->flags;
	info->owner = obj->owner_id;
	mutex_lock(&obj->lock);
	info->placement = obj->ops->placement(obj, &info->unit);
	mutex_unlock(&obj->lock);
}

/* Object files: what iodbg_object_getfile() hands out. */

/**
 * iodbg_object_from_file() - the object behind an object file
 * @file:	a file from iodbg_object_getfile(), or any other file
 *
 * Return: the object, or NULL if @file is not an object file.
 */
struct iodbg_object *iodbg_object_from_file(struct file *file)
{
	if (file->f_path.mnt != iodbg_mnt)
		return NULL;
	return file->private_data;
}
EXPORT_SYMBOL_GPL(iodbg_object_from_file);

static int iodbg_object_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	return iodbg_object_file_map(file->private_data, vma);
}

static long iodbg_object_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct iodbg_object *obj = file->private_data;

	if (_IOC_TYPE(cmd) == IODBG_IOC_MAGIC)
		return iodbg_object_debug_ioctl(obj, cmd, arg);
	if (obj->ops->ioctl)
		return obj->ops->ioctl(obj, cmd, arg);
	return -ENOTTY;
}

static int iodbg_object_file_release(struct inode *inode, struct file *file)
{
	iodbg_object_put(file->private_data);
	return 0;
}

static const struct file_operations iodbg_object_fops = {
	.owner = THIS_MODULE,
	.mmap = iodbg_object_file_mmap,
	.unlocked_ioctl = iodbg_object_file_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = iodbg_object_file_release,
};

/**
 * iodbg_object_getfile() - a new file for an object
 * @obj:	the object
 * @name:	the name the file shows in /proc/PID/maps and /proc/PID/fd
 *
 * Every file of an object shares the object's inode, so that iodbg_object_zap() reaches all
 * its mappings. The file holds a reference on the object.
 *
 * Return: the file, or an ERR_PTR().
 */
struct file *iodbg_object_getfile(struct iodbg_object *obj, const char *name)
{
	struct file *file;

	/* The final fput() drops a reference on the fops' owner, which only open() takes. */
	__module_get(THIS_MODULE);
	ihold(obj->inode);
	file = alloc_file_pseudo(obj->inode, iodbg_mnt, name, O_RDWR, &iodbg_object_fops);
	if (IS_ERR(file)) {
		iput(obj->inode);
		module_put(THIS_MODULE);
		return file;
	}
	iodbg_object_get(obj);
	file->private_data = obj;
	return file;
}
EXPORT_SYMBOL_GPL(iodbg_object_getfile);

/**
 * iodbg_object_install_fd() - a new file descriptor of the current task for an object
 * @obj:	the object
 * @name:	see iodbg_object_getfile()
 *
 * Return: the file descriptor (close-on-exec), or a negative errno.
 */
int iodbg_object_install_fd(struct iodbg_object *obj, const char *name)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = iodbg_object_getfile(obj, name);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}
EXPORT_SYMBOL_GPL(iodbg_object_install_fd);

/**
 * iodbg_object_mmap() - map an object through a file of the driver's own
 * @obj:	the object
 * @vma:	a new mapping of the driver's file, from its ->mmap; vm_pgoff is the page offset
 *		in the object
 * @name:	see iodbg_object_getfile()
 *
 * For drivers that map objects through their device file, as DRM maps GEM objects at fake
 * offsets: the mapping then becomes one of a new file of the object, so that moves zap it and
 * debuggers find it like any other.
 *
 * Return: 0, or a negative errno.
 */
int iodbg_object_mmap(struct iodbg_object *obj, struct vm_area_struct *vma, const char *name)
{
	struct file *file;
	int ret;

	file = iodbg_object_getfile(obj, name);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = iodbg_object_file_map(obj, vma);
	if (!ret)
		vma_set_file(vma, file);
	fput(file);
	return ret;
}
EXPORT_SYMBOL_GPL(iodbg_object_mmap);

/*
 * "iodbg:[NAME]" in /proc/PID/fd and /proc/PID/maps, as anon_inode:[NAME]: no path of a
 * mounted filesystem looks like it, so a debugger tells object files from the others by the
 * link alone, without a statfs() that a FUSE server could leave unanswered.
 */
static char *iodbg_fs_dname(struct dentry *dentry, char *buffer, int buflen)
{
	static const char prefix[] = IODBG_FD_LINK_PREFIX;
	const char *name = dentry->d_name.name;
	size_t plen = sizeof(prefix) - 1, nlen = strlen(name);
	char *p;

	/* At the end of @buffer, as d_path() wants it, however long the driver's name. */
	if (plen + nlen + 2 > buflen)
		return ERR_PTR(-ENAMETOOLONG);
	p = buffer + buflen - (plen + nlen + 2);
	memcpy(p, prefix, plen);
	memcpy(p + plen, name, nlen);
	p[plen + nlen] = ']';
	p[plen + nlen + 1] = '\0';
	return p;
}

static const struct dentry_operations iodbg_fs_dentry_ops = {
	.d_dname = iodbg_fs_dname,
};

static int iodbg_fs_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, IODBG_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &iodbg_fs_dentry_ops;
	return 0;
}

static struct file_system_type iodbg_fs_type = {
	.name = "iodbgfs",
	.init_fs_context = iodbg_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* The control device. */

static const struct file_operations iodbg_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = iodbg_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice iodbg_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = IODBG_DEVICE_NAME,
	.fops = &iodbg_ctl_fops,
	/*
	 * Open to every user: each ioctl checks ptrace's permission on the target itself, and
	 * nothing a caller does here allocates memory that outlives the call.
	 */
	.mode = 0666,
};

static int __init iodbg_init(void)
{
	int ret;

	iodbg_mnt = kern_mount(&iodbg_fs_type);
	if (IS_ERR(iodbg_mnt))
		return PTR_ERR(iodbg_mnt);
	ret = iodbg_debug_init();
	if (ret)
		goto err_unmount;
	ret = misc_register(&iodbg_ctl_dev);
	if (ret)
		goto err_debug;
	return 0;

err_debug:
	iodbg_debug_exit();
err_unmount:
	kern_unmount(iodbg_mnt);
	return ret;
}

static void __exit iodbg_exit(void)
{
	misc_deregister(&iodbg_ctl_dev);
	iodbg_debug_exit();
	kern_unmount(iodbg_mnt);
}

module_init(iodbg_init);
module_exit(iodbg_exit);

MODULE_DESCRIPTION("iodbg: debugger access to VM_IO and VM_PFNMAP mappings");
MODULE_LICENSE("GPL");
