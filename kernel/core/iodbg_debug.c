// SPDX-License-Identifier: GPL-2.0
/*
 * The debug ioctls: what ptrace cannot reach. process_vm_readv() users, architectures without
 * HAVE_IOREMAP_PROT (where __access_remote_vm() never calls ->access), objects mapped nowhere,
 * mappings whose driver has no ->access.
 *
 * Permission: a request about a process is allowed exactly when the caller could open that
 * process's /proc/PID/mem, that is when ptrace_may_access(PTRACE_MODE_ATTACH_FSCREDS) grants it
 * (Yama and the other LSMs included). ptrace_may_access() itself is not exported to modules,
 * so iodbg opens that file, in the caller's name, on a procfs of its own: one that works
 * whatever the caller has (or has not) mounted on /proc and whatever its pid namespace.
 */

#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "iodbg_internal.h"

/* The first published size of each structure (the uapi has the listings'). */
#define IODBG_RW_SIZE_V1	sizeof(struct iodbg_rw)
static_assert(offsetofend(struct iodbg_list_objects, pad) == IODBG_LIST_SIZE_V1);
static_assert(offsetofend(struct iodbg_list_vmas, match) == IODBG_LIST_VMAS_SIZE_V1);

/**
 * iodbg_copy_struct_from_user() - copy in a structure that can grow
 * @dst:	the kernel's copy
 * @ksize:	sizeof the kernel's structure
 * @min_size:	the first published size of the structure
 * @uarg:	user pointer to the structure, whose first field is its __u32 size
 *
 * Accepts any size from @min_size on, requiring the bytes this kernel does not know to be
 * zero, as copy_struct_from_user() does, and bounds it by PAGE_SIZE.
 *
 * Return: 0, -EFAULT, -EINVAL for a size out of range, -E2BIG for unknown non-zero bytes.
 */
int iodbg_copy_struct_from_user(void *dst, size_t ksize, size_t min_size, void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < min_size || usize > PAGE_SIZE)
		return -EINVAL;
	return copy_struct_from_user(dst, ksize, uarg, usize);
}
EXPORT_SYMBOL_GPL(iodbg_copy_struct_from_user);

static bool iodbg_zero(const void *p, size_t size)
{
	return !memchr_inv(p, 0, size);
}

long iodbg_ioctl_version(void __user *uarg)
{
	struct iodbg_version ver;
	int ret;

	ret = iodbg_copy_struct_from_user(&ver, sizeof(ver), sizeof(ver), uarg);
	if (ret)
		return ret;
	if (ver.abi_version || ver.features || !iodbg_zero(ver.reserved, sizeof(ver.reserved)))
		return -EINVAL;

	ver.size = sizeof(ver);
	ver.abi_version = IODBG_ABI_VERSION;
	ver.features = IODBG_FEATURE_RW_ADDR | IODBG_FEATURE_RW_OBJECT |
		       IODBG_FEATURE_LIST_OBJECTS | IODBG_FEATURE_GENERIC | IODBG_FEATURE_PIDFD |
		       IODBG_FEATURE_LIST_CURSOR | IODBG_FEATURE_WIDTH | IODBG_FEATURE_LIST_VMAS |
		       IODBG_FEATURE_LIST_END;
	return copy_to_user(uarg, &ver, sizeof(ver)) ? -EFAULT : 0;
}

static struct vfsmount *iodbg_proc_mnt;

/**
 * iodbg_debug_init() - mount the procfs that the permission checks open files on
 *
 * Return: 0, or a negative errno.
 */
int iodbg_debug_init(void)
{
	struct file_system_type *proc = get_fs_type("proc");

	if (!proc)
		return -ENODEV;
	/* procfs is built in: get_fs_type() took no module reference to give back. */
	iodbg_proc_mnt = kern_mount(proc);
	return PTR_ERR_OR_ZERO(iodbg_proc_mnt);
}

void iodbg_debug_exit(void)
{
	kern_unmount(iodbg_proc_mnt);
}

/*
 * The struct pid a pidfd refers to, referenced, as pidfd_pid() finds it; that is not exported
 * to modules. Since 6.9 pidfds are files of pidfs, whose inodes carry the pid; before, they
 * were anonymous inode files named "[pidfd]", carrying it as private data.
 */
static struct pid *iodbg_pidfd_pid(int pidfd)
{
	struct file *file = fget(pidfd);
	struct pid *pid = ERR_PTR(-EBADF);

	if (!file)
		return pid;
#ifdef IODBG_HAVE_PIDFS
	if (file_inode(file)->i_sb->s_magic == PID_FS_MAGIC)
		pid = get_pid(file_inode(file)->i_private);
#else
	if (file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	    !strcmp(file->f_path.dentry->d_name.name, "[pidfd]"))
		pid = get_pid(file->private_data);
#endif
	fput(file);
	return pid;
}

/* The pid the caller names: a pid in its own namespace or, with @is_pidfd, a pidfd. */
static struct pid *iodbg_target_pid(s32 nr, bool is_pidfd)
{
	struct pid *pid;

	if (is_pidfd)
		return nr < 0 ? ERR_PTR(-EBADF) : iodbg_pidfd_pid(nr);
	if (nr <= 0)
		return ERR_PTR(-ESRCH);
	pid = find_get_pid(nr);
	return pid ?: ERR_PTR(-ESRCH);
}

/*
 * Open /proc/PID/mem of @pid on iodbg's own procfs, in the caller's name: the open is ptrace's
 * attach check (PTRACE_MODE_ATTACH_FSCREDS, as for any opener of that file).
 */
static struct file *iodbg_open_proc_mem(struct pid *pid, bool write)
{
	struct pid_namespace *ns = proc_pid_ns(iodbg_proc_mnt->mnt_sb);
	pid_t nr = pid_nr_ns(pid, ns);
	char name[24];
	struct file *mem;

	if (!nr)
		return ERR_PTR(-ESRCH);
	snprintf(name, sizeof(name), "%d/mem", nr);
	mem = file_open_root_mnt(iodbg_proc_mnt, name, write ? O_RDWR : O_RDONLY, 0);
	if (PTR_ERR_OR_ZERO(mem) == -EACCES)
		return ERR_PTR(-EPERM);
	return mem;
}

/*
 * The mm of the process the caller names by @nr, if the caller may debug it. The task's
 * current mm must be the one the permission check opened /proc/PID/mem on, so that an exec in
 * between (of a setuid program, say) is refused rather than read.
 */
static struct mm_struct *iodbg_debuggee_mm(s32 nr, bool is_pidfd, bool write)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct file *mem;
	struct pid *pid;

	pid = iodbg_target_pid(nr, is_pidfd);
	if (IS_ERR(pid))
		return ERR_CAST(pid);
	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task) {
		mm = ERR_PTR(-ESRCH);
		goto out_pid;
	}
	mem = iodbg_open_proc_mem(pid, write);
	if (IS_ERR(mem)) {
		mm = ERR_CAST(mem);
		goto out_task;
	}
	mm = get_task_mm(task);
	if (!mm) {
		mm = ERR_PTR(-ESRCH);	/* a zombie */
	} else if (mem->private_data != mm) {
		mmput(mm);
		mm = ERR_PTR(-EAGAIN);	/* it exec'ed meanwhile: ask again */
	}
	fput(mem);
out_task:
	put_task_struct(task);
out_pid:
	put_pid(pid);
	return mm;
}

/*
 * Copy between an iodbg object or another IO mapping of @mm and @kbuf: at most @len bytes,
 * never past the mapping at @addr. Returns the bytes copied or a negative errno.
 */
static long iodbg_rw_mapping(struct mm_struct *mm, unsigned long addr, void *kbuf, size_t len,
			     u32 flags, u32 width)
{
	bool write = flags & IODBG_RW_WRITE;
	struct vm_area_struct *vma;
	struct iodbg_object *obj;
	long ret;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, addr);
	if (!vma) {
		ret = -EFAULT;
		goto out;
	}
	len = min_t(size_t, len, vma->vm_end - addr);
	obj = iodbg_vma_object(vma);
	if (!obj && !(vma->vm_flags & (VM_IO | VM_PFNMAP))) {
		ret = -EFAULT;	/* ordinary memory: process_vm_readv and /proc/PID/mem serve it */
		goto out;
	}
	ret = iodbg_vma_check_access(vma, write);
	if (ret)
		goto out;
	if (obj && !(flags & IODBG_RW_GENERIC)) {
		u64 offset = iodbg_vma_object_offset(vma, addr);

		ret = iodbg_object_rw(obj, offset, kbuf, len, write);
		ret = ret ? ret : len;
	} else {
		ret = iodbg_generic_rw(vma, addr, kbuf, len, flags, width);
	}
out:
	mmap_read_unlock(mm);
	return ret;
}

/*
 * The caller's buffer during a transfer, one chunk at a time. Pinned and mapped into the
 * kernel, it takes the target's bytes directly: one copy, as process_vm_readv() makes for
 * ordinary memory, where a bounce buffer and copy_to_user() would make two. Either way no user
 * copy happens under mmap_lock or an object lock (the target may be the caller). Chunks of
 * less than a page, and buffers that cannot be pinned (an IO mapping of the caller's own), go
 * through a bounce buffer instead.
 */
struct iodbg_user_buf {
	struct page *pages[IODBG_CHUNK_PAGES + 1];	/* a chunk may straddle one more */
	unsigned int npages;	/* pinned for the current chunk; 0 when it is bounced */
	bool unpinnable;	/* a pin failed: bounce the rest of the transfer */
	void *vaddr;		/* the kernel's mapping of @pages */
	void *bounce;		/* allocated on first use */
	size_t bounce_size;
};

static bool iodbg_user_pin(struct iodbg_user_buf *ub, void __user *ubuf, size_t len,
			   bool write)
{
	unsigned long start = (unsigned long)ubuf & PAGE_MASK;
	int npages = DIV_ROUND_UP(offset_in_page(ubuf) + len, PAGE_SIZE);
	int i, pinned;

	/* A transfer that reads the target writes the buffer; one that writes it only reads. */
	pinned = pin_user_pages_fast(start, npages, write ? 0 : FOLL_WRITE, ub->pages);
	if (pinned == npages)
		ub->vaddr = vmap(ub->pages, npages, VM_MAP, write ? PAGE_KERNEL_RO : PAGE_KERNEL);
	if (pinned != npages || !ub->vaddr) {
		if (pinned > 0)
			unpin_user_pages(ub->pages, pinned);
		ub->unpinnable = true;
		return false;
	}
	if (write) {	/* the user's stores, for caches that alias the kernel's mapping */
		for (i = 0; i < npages; i++)
			flush_dcache_page(ub->pages[i]);
		invalidate_kernel_vmap_range(ub->vaddr, npages << PAGE_SHIFT);
	}
	ub->npages = npages;
	return true;
}

/*
 * The kernel's view of @len bytes of the caller's buffer at @ubuf, holding them already when
 * the transfer writes the target. Returns it or an ERR_PTR.
 */
static void *iodbg_user_map(struct iodbg_user_buf *ub, void __user *ubuf, size_t len,
			    bool write)
{
	ub->npages = 0;
	if (len >= PAGE_SIZE && !ub->unpinnable && iodbg_user_pin(ub, ubuf, len, write))
		return ub->vaddr + offset_in_page(ubuf);
	if (!ub->bounce) {
		ub->bounce = kvmalloc(ub->bounce_size, GFP_KERNEL_ACCOUNT);
		if (!ub->bounce)
			return ERR_PTR(-ENOMEM);
	}
	if (write && copy_from_user(ub->bounce, ubuf, len))
		return ERR_PTR(-EFAULT);
	return ub->bounce;
}

/* Hand the chunk back, the first @done bytes read from the target in it. Returns 0 or -EFAULT. */
static int iodbg_user_unmap(struct iodbg_user_buf *ub, void __user *ubuf, size_t done,
			    bool write)
{
	if (!ub->npages)
		return !write && copy_to_user(ubuf, ub->bounce, done) ? -EFAULT : 0;
	if (!write)	/* for caches that alias the user's mapping of these pages */
		flush_kernel_vmap_range(ub->vaddr, ub->npages << PAGE_SHIFT);
	vunmap(ub->vaddr);
	unpin_user_pages_dirty_lock(ub->pages, ub->npages, !write);
	return 0;
}

/*
 * Transfer between the caller's buffer and a target, a chunk at a time. @rw_chunk copies one
 * chunk at @pos between the target and @kbuf and returns the bytes it did or a negative errno.
 */
typedef long (*iodbg_chunk_fn)(void *target, u64 pos, void *kbuf, size_t len,
			       const struct iodbg_rw *rw);

static long iodbg_transfer(struct iodbg_rw *rw, void *target, iodbg_chunk_fn rw_chunk)
{
	struct iodbg_user_buf ub = { .bounce_size = min_t(u64, rw->len, IODBG_CHUNK) };
	bool write = rw->flags & IODBG_RW_WRITE;
	long ret = 0;

	rw->done = 0;
	while (rw->done < rw->len) {
		size_t chunk = min_t(u64, rw->len - rw->done, IODBG_CHUNK);
		void __user *ubuf = u64_to_user_ptr(rw->buf + rw->done);
		void *kbuf;
		int err;

		kbuf = iodbg_user_map(&ub, ubuf, chunk, write);
		if (IS_ERR(kbuf)) {
			ret = PTR_ERR(kbuf);
			break;
		}
		ret = rw_chunk(target, rw->addr + rw->done, kbuf, chunk, rw);
		err = iodbg_user_unmap(&ub, ubuf, max(ret, 0L), write);
		if (ret <= 0)
			break;
		if (err) {
			ret = err;
			break;
		}
		rw->done += ret;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	kvfree(ub.bounce);
	return rw->done == rw->len ? 0 : ret ? ret : -EFAULT;
}

static long iodbg_rw_addr_chunk(void *target, u64 pos, void *kbuf, size_t len,
				const struct iodbg_rw *rw)
{
	return iodbg_rw_mapping(target, pos, kbuf, len, rw->flags,
				rw->width ?: IODBG_RW_WIDTH_DEFAULT);
}

static long iodbg_rw_object_chunk(void *target, u64 pos, void *kbuf, size_t len,
				  const struct iodbg_rw *rw)
{
	int ret = iodbg_object_rw(target, pos, kbuf, len, rw->flags & IODBG_RW_WRITE);

	return ret ? ret : len;
}

/* Check an iodbg_rw from user space; RW_OBJECT passes the object's size as @limit. */
static int iodbg_rw_check(struct iodbg_rw *rw, u64 limit, u32 allowed_flags)
{
	if (rw->done || !iodbg_zero(rw->reserved, sizeof(rw->reserved)))
		return -EINVAL;
	if (rw->width > 8 || (rw->width & (rw->width - 1)))
		return -EINVAL;
	if (rw->flags & ~allowed_flags)
		return -EINVAL;
	if (!rw->len || rw->len > IODBG_RW_MAX_LEN)
		return -EINVAL;
	if (rw->addr > limit || rw->len > limit - rw->addr)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(rw->buf), rw->len))
		return -EFAULT;
	return 0;
}

/* Write back @done even on failure: the caller learns how far the transfer got. */
static long iodbg_rw_finish(struct iodbg_rw __user *urw, struct iodbg_rw *rw, long ret)
{
	if (put_user(rw->done, &urw->done))
		return -EFAULT;
	return ret;
}

static long iodbg_ioctl_rw_addr(struct iodbg_rw __user *urw)
{
	struct mm_struct *mm;
	struct iodbg_rw rw;
	long ret;

	ret = iodbg_copy_struct_from_user(&rw, sizeof(rw), IODBG_RW_SIZE_V1, urw);
	if (ret)
		return ret;
	ret = iodbg_rw_check(&rw, TASK_SIZE_MAX, IODBG_RW_FLAGS);
	if (ret)
		return ret;
	mm = iodbg_debuggee_mm(rw.pid, rw.flags & IODBG_RW_PIDFD, rw.flags & IODBG_RW_WRITE);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	ret = iodbg_transfer(&rw, mm, iodbg_rw_addr_chunk);
	mmput(mm);
	return iodbg_rw_finish(urw, &rw, ret);
}

static long iodbg_ioctl_rw_object(struct iodbg_object *obj, struct iodbg_rw __user *urw)
{
	struct iodbg_rw rw;
	long ret;

	ret = iodbg_copy_struct_from_user(&rw, sizeof(rw), IODBG_RW_SIZE_V1, urw);
	if (ret)
		return ret;
	if (rw.pid || rw.width)
		return -EINVAL;
	ret = iodbg_rw_check(&rw, obj->size, IODBG_RW_WRITE);
	if (ret)
		return ret;
	ret = iodbg_transfer(&rw, obj, iodbg_rw_object_chunk);
	return iodbg_rw_finish(urw, &rw, ret);
}

/*
 * A listing ioctl: which mappings it lists (->lists()), and what it says of each
 * (->describe(), into a zeroed @entry). Both run under the mm's mmap_lock.
 */
struct iodbg_lister {
	size_t entry_size;
	bool (*lists)(struct vm_area_struct *vma, u32 match);
	void (*describe)(struct vm_area_struct *vma, void *entry);
};

/*
 * What the listing ioctls share of their arguments, and where they answer: @ucount and
 * @uflags point into the caller's structure.
 */
struct iodbg_list_args {
	s32 pid;
	bool is_pidfd;
	u64 start;
	u64 end;
	u32 room;
	u32 entry_size;
	u32 match;
	void __user *entries;
	u32 __user *ucount;
	u32 __user *uflags;
	u32 count;	/* entries written */
	bool more;	/* mappings after the last one written were left out */
};

static bool iodbg_lists_object(struct vm_area_struct *vma, u32 match)
{
	return !!iodbg_vma_object(vma);
}

static void iodbg_describe_object(struct vm_area_struct *vma, void *entry)
{
	struct iodbg_object_info *info = entry;

	iodbg_object_fill_info(iodbg_vma_object(vma), info);
	info->start = vma->vm_start;
	info->length = vma->vm_end - vma->vm_start;
	info->offset = iodbg_vma_object_offset(vma, vma->vm_start);
}

static const struct iodbg_lister iodbg_object_lister = {
	.entry_size = sizeof(struct iodbg_object_info),
	.lists = iodbg_lists_object,
	.describe = iodbg_describe_object,
};

static u32 iodbg_vma_flags(struct vm_area_struct *vma)
{
	return (vma->vm_flags & VM_IO ? IODBG_VMA_IO : 0) |
	       (vma->vm_flags & VM_PFNMAP ? IODBG_VMA_PFNMAP : 0) |
	       (vma->vm_flags & VM_MIXEDMAP ? IODBG_VMA_MIXEDMAP : 0) |
	       (vma->vm_flags & VM_DONTDUMP ? IODBG_VMA_DONTDUMP : 0);
}

static bool iodbg_lists_vma(struct vm_area_struct *vma, u32 match)
{
	return iodbg_vma_flags(vma) & match;
}

static void iodbg_describe_vma(struct vm_area_struct *vma, void *entry)
{
	struct iodbg_object *obj = iodbg_vma_object(vma);
	struct iodbg_vma_info *info = entry;

	info->start = vma->vm_start;
	info->end = vma->vm_end;
	info->object = obj ? obj->id : 0;
	info->flags = iodbg_vma_flags(vma);
}

static const struct iodbg_lister iodbg_vma_lister = {
	.entry_size = sizeof(struct iodbg_vma_info),
	.lists = iodbg_lists_vma,
	.describe = iodbg_describe_vma,
};

/*
 * Describe the mappings of @mm that end above args->start, start below args->end and that
 * @lister lists into @buf, at most args->room of them; args->count says how many,
 * args->more whether others followed.
 * A process may have tens of thousands of mappings: the walk yields the CPU as it goes,
 * which mmap_lock, a sleeping lock, allows.
 */
static int iodbg_list_walk(struct mm_struct *mm, struct iodbg_list_args *args,
			   const struct iodbg_lister *lister, void *buf)
{
	VMA_ITERATOR(vmi, mm, args->start);
	struct vm_area_struct *vma;

	args->count = 0;
	args->more = false;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for_each_vma_range(vmi, vma, args->end ?: ULONG_MAX) {
		cond_resched();
		if (!lister->lists(vma, args->match))
			continue;
		if (args->count == args->room) {
			args->more = true;
			break;
		}
		lister->describe(vma, buf + args->count++ * lister->entry_size);
	}
	mmap_read_unlock(mm);
	return 0;
}

/*
 * The part of a listing ioctl after its own arguments are checked: the shared ones, the
 * permission check, the walk, and the answer: the entries, their count and flags.
 */
static int iodbg_list(struct iodbg_list_args *args, const struct iodbg_lister *lister)
{
	struct mm_struct *mm;
	void *buf = NULL;
	int ret;

	if (args->start > TASK_SIZE_MAX || args->end > TASK_SIZE_MAX ||
	    (args->end && args->end <= args->start) ||
	    (args->room && args->entry_size != lister->entry_size))
		return -EINVAL;
	args->room = min_t(u32, args->room, IODBG_LIST_MAX_COUNT);
	mm = iodbg_debuggee_mm(args->pid, args->is_pidfd, false);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	if (args->room) {
		buf = kvcalloc(args->room, lister->entry_size, GFP_KERNEL_ACCOUNT);
		if (!buf) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = iodbg_list_walk(mm, args, lister, buf);
	if (ret)
		goto out;
	if (args->count && copy_to_user(args->entries, buf, args->count * lister->entry_size))
		ret = -EFAULT;
	else if (put_user(args->count, args->ucount) ||
		 put_user(args->more ? IODBG_LIST_MORE : 0, args->uflags))
		ret = -EFAULT;
out:
	kvfree(buf);
	mmput(mm);
	return ret;
}

static long iodbg_ioctl_list_objects(struct iodbg_list_objects __user *ulist)
{
	struct iodbg_list_objects list;
	struct iodbg_list_args args;
	long ret;

	ret = iodbg_copy_struct_from_user(&list, sizeof(list), IODBG_LIST_SIZE_V1, ulist);
	if (ret)
		return ret;
	if ((list.flags & ~IODBG_LIST_PIDFD) || list.pad)
		return -EINVAL;
	args = (struct iodbg_list_args) {
		.pid = list.pid, .is_pidfd = list.flags & IODBG_LIST_PIDFD, .start = list.start,
		.end = list.end, .room = list.count, .entry_size = list.entry_size,
		.entries = u64_to_user_ptr(list.objects), .ucount = &ulist->count,
		.uflags = &ulist->flags,
	};
	return iodbg_list(&args, &iodbg_object_lister);
}

static long iodbg_ioctl_list_vmas(struct iodbg_list_vmas __user *ulist)
{
	struct iodbg_list_vmas list;
	struct iodbg_list_args args;
	long ret;

	ret = iodbg_copy_struct_from_user(&list, sizeof(list), IODBG_LIST_VMAS_SIZE_V1, ulist);
	if (ret)
		return ret;
	if ((list.flags & ~IODBG_LIST_PIDFD) || !list.match || (list.match & ~IODBG_VMA_FLAGS))
		return -EINVAL;
	args = (struct iodbg_list_args) {
		.pid = list.pid, .is_pidfd = list.flags & IODBG_LIST_PIDFD, .start = list.start,
		.end = list.end, .room = list.count, .entry_size = list.entry_size,
		.match = list.match,
		.entries = u64_to_user_ptr(list.vmas), .ucount = &ulist->count,
		.uflags = &ulist->flags,
	};
	return iodbg_list(&args, &iodbg_vma_lister);
}

static long iodbg_ioctl_object_info(struct iodbg_object *obj, void __user *uarg)
{
	struct iodbg_object_info info;

	iodbg_object_fill_info(obj, &info);
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

/**
 * iodbg_ctl_ioctl() - the ioctls of the control device /dev/iodbg
 * @file:	the control device
 * @cmd:	IODBG_IOC_*
 * @arg:	user pointer to the command's structure
 *
 * Return: 0 or a negative errno.
 */
long iodbg_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case IODBG_IOC_VERSION:
		return iodbg_ioctl_version(uarg);
	case IODBG_IOC_LIST_OBJECTS:
		return iodbg_ioctl_list_objects(uarg);
	case IODBG_IOC_LIST_VMAS:
		return iodbg_ioctl_list_vmas(uarg);
	case IODBG_IOC_RW_ADDR:
		return iodbg_ioctl_rw_addr(uarg);
	default:
		return -ENOTTY;
	}
}

/**
 * iodbg_object_debug_ioctl() - the iodbg ioctls of an object file
 * @obj:	the object
 * @cmd:	IODBG_IOC_*
 * @arg:	user pointer to the command's structure
 *
 * Holding the object's file is the permission: it came from the driver or, through
 * pidfd_getfd(), from a process the caller may ptrace.
 *
 * Return: 0 or a negative errno.
 */
long iodbg_object_debug_ioctl(struct iodbg_object *obj, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case IODBG_IOC_VERSION:
		return iodbg_ioctl_version(uarg);
	case IODBG_IOC_RW_OBJECT:
		return iodbg_ioctl_rw_object(obj, uarg);
	case IODBG_IOC_OBJECT_INFO:
		return iodbg_ioctl_object_info(obj, uarg);
	default:
		return -ENOTTY;
	}
}
