/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiodbg internals, shared by the files of the library and nothing else. Names that are
 * not static start with iodbg__ so that the static library does not take names from its
 * users; the shared one exports only what libiodbg.map lists.
 */
#ifndef IODBG_INTERNAL_H
#define IODBG_INTERNAL_H

#include <errno.h>
#include <stdbool.h>

#include <iodbg/iodbg.h>

#define IODBG_API		__attribute__((visibility("default")))
#define IODBG_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)		((a) < (b) ? (a) : (b))

#define IODBG_MSG_SIZE		1024	/* an error message: a reason per path fits */
#define IODBG_WHY_SIZE		160	/* one path's reason for failing */
#define IODBG_MAX_PATHS		8	/* room in a report for every path a chain can hold */

struct iodbg_target {
	pid_t pid;
	int dirfd;		/* /proc/PID: opens through it fail with ESRCH once PID is reaped */
	/*
	 * A pidfd of exactly @pid (a thread's needs Linux 6.9), taken at open; -1 if the kernel
	 * gives none. iodbg__target_gone() asks it whether the process still lives.
	 */
	int pidfd;
	int leader_pidfd;	/* object.c: the thread group leader's, where @pidfd is -1 */
	int mem_fd[2];		/* /proc/PID/mem for reading, for writing; -1 until first used */
	int path;		/* the policy: IODBG_PATH_AUTO or one path */
	bool no_process_vm;	/* process_vm_readv said ENOSYS once */
	bool allow_mmio;	/* iodbg_set_allow_mmio(): device side effects are allowed */
	unsigned int mmio_width;	/* iodbg_set_mmio_width(); 0: the kernel's default */
	int ctl_fd;		/* /dev/iodbg; < 0 until first opened */
	uint32_t kernel_abi;	/* what /dev/iodbg answered to IODBG_IOC_VERSION when opened */
	uint64_t kernel_features;
	int ioctl_state;	/* IODBG__IOCTL_*: what the ioctl path found for the last piece */
	/*
	 * chain.c: the mappings as last read (maps.c), which costs a read of maps or smaps
	 * text linear in the target's mappings, so it is read again only when a piece fails;
	 * NULL until needed.
	 */
	struct iodbg_maps *maps;
	struct iodbg__held *held;	/* object.c: our copies of the target's object files */
	size_t nheld;
	char msg[IODBG_MSG_SIZE];
};

/*
 * An iodbg object file the target holds open, as descriptor @tfd, and our own descriptor of
 * the same open file (pidfd_getfd). @dev and @ino name the object's inode: each object has
 * one of its own, so the target still holds this object at @tfd while a stat of its
 * /proc/PID/fd/@tfd finds them.
 */
struct iodbg__held {
	int tfd;
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t id;
	uint64_t size;
};

/* What the ioctl path found, for the reason of a piece no path served. */
enum {
	IODBG__IOCTL_UNTRIED,
	IODBG__IOCTL_NO_MODULE,		/* /dev/iodbg is missing */
	IODBG__IOCTL_CONSENT,		/* EPERM: MMIO, and device side effects not allowed */
	IODBG__IOCTL_FAILED,		/* anything else */
};

/* One piece of a transfer: it lies in one mapping, or in one hole between mappings. */
struct iodbg_xfer {
	bool write;
	bool forced;			/* the policy names this path: try it whatever the mapping */
	uint64_t addr;
	unsigned char *buf;
	size_t len;
	const struct iodbg_map *map;	/* what holds the piece; NULL if a hole or not known */
};

/*
 * A path of the chain. @check (may be NULL) says without trying whether the path can serve
 * the piece at all; @xfer transfers a prefix of it. Both return a negative errno with the
 * reason in @why when they fail; @xfer returns the bytes transferred (> 0) otherwise.
 */
struct iodbg_path_ops {
	int id;
	const char *name;
	int (*check)(struct iodbg_target *t, const struct iodbg_xfer *x, char *why, size_t size);
	ssize_t (*xfer)(struct iodbg_target *t, const struct iodbg_xfer *x, char *why, size_t size);
};

extern const struct iodbg_path_ops iodbg__path_process_vm;
extern const struct iodbg_path_ops iodbg__path_proc_mem;
extern const struct iodbg_path_ops iodbg__path_ptrace;
extern const struct iodbg_path_ops iodbg__path_ioctl;

/* object.c: forget the object files of @t (close our descriptors). */
void iodbg__held_free(struct iodbg_target *t);
/*
 * Find again the object files @t holds: our copies of the ones still held are kept, new ones
 * are taken. 0, or a negative errno with the message set on @t.
 */
int iodbg__held_scan(struct iodbg_target *t);
/* The current description of the held object @h (OBJECT_INFO on our copy of its file). */
int iodbg__held_info(struct iodbg_target *t, const struct iodbg__held *h,
		     struct iodbg_object *o);
/*
 * Append to @v (@n objects, reallocated) each object @t holds a file of and @v does not have
 * yet, with no mapping (start, length and offset 0).
 */
int iodbg__held_append(struct iodbg_target *t, struct iodbg_object **v, size_t *n);

/* kernel.c: open /dev/iodbg (a descriptor, or a negative errno: -ENODEV without the module). */
int iodbg__open_ctl(void);
/*
 * /dev/iodbg for @t, opened once, and its ABI version and features in @t: the descriptor, or a
 * negative errno (-ENODEV without the module).
 */
int iodbg__ctl(struct iodbg_target *t);
/*
 * Whether the module takes @t's pidfd (IODBG_FEATURE_PIDFD); else a request names the process
 * by pid, and the caller checks iodbg__target_gone() before it trusts the result.
 */
bool iodbg__kernel_pidfd(const struct iodbg_target *t);
struct iodbg_rw;
/* Name @t's process in @rw, by pidfd or pid, and set the MMIO access width. */
void iodbg__rw_target(const struct iodbg_target *t, struct iodbg_rw *rw);
struct iodbg_object_info;
void iodbg__object_from_uapi(struct iodbg_object *o, const struct iodbg_object_info *k);
/* A list of @count objects that takes @v (malloc'd), or NULL (out of memory: @v stays the caller's). */
struct iodbg_objects *iodbg__objects_new(struct iodbg_object *v, size_t count);
/* The iodbg mappings of @t, or a negative errno with the message set on @t. */
int iodbg__list_objects(struct iodbg_target *t, struct iodbg_object **v, size_t *n);
/*
 * Those that start in [@start, @end) (@end 0: no bound) and end above @start; others too
 * from a module without IODBG_FEATURE_LIST_END or of ABI 1.
 */
int iodbg__list_objects_in(struct iodbg_target *t, uint64_t start, uint64_t end,
			   struct iodbg_object **v, size_t *n);
struct iodbg_vma_info;
/*
 * The mappings of @t with any of the VM flags smaps shows and maps does not, in address
 * order; -EOPNOTSUPP if the module cannot list them, else as iodbg__list_objects().
 */
int iodbg__list_vmas(struct iodbg_target *t, struct iodbg_vma_info **v, size_t *n);

/* error.c: set the message of @t (of the thread if NULL) and return @err. */
#define iodbg__no_target()	iodbg__error(NULL, -EINVAL, "%s: no target handle", __func__)
int iodbg__error(struct iodbg_target *t, int err, const char *fmt, ...) IODBG_PRINTF(3, 4);
/* snprintf at *@off in @buf and move *@off on; messages are cut at the end of @buf. */
void iodbg__append(char *buf, size_t size, size_t *off, const char *fmt, ...) IODBG_PRINTF(4, 5);
/* The reason for a failed system call, for a path's @why: "EFAULT (Bad address)". */
const char *iodbg__errname(int err, char *buf, size_t size);

/*
 * target.c: -ESRCH if the process @t was opened on is gone (reaped: its pid may name another
 * process now), else 0. A call that names the process by pid is trusted only if this says 0
 * after it: a process that lives holds its pid, so the call reached it.
 */
int iodbg__target_gone(struct iodbg_target *t);
/* target.c: open /proc/PID/@name; read all of it (NUL-terminated, to be freed). */
int iodbg__open_proc(struct iodbg_target *t, const char *name, int flags);
int iodbg__read_proc(struct iodbg_target *t, const char *name, char **text, size_t *len);
/*
 * The number after "@field:" in /proc/PID/status (a field after the first line, "Name");
 * -ENOENT without one, -ESRCH if unreadable.
 */
long iodbg__proc_status(struct iodbg_target *t, const char *field);

/* maps.c: the index of the first mapping that ends after @addr (count if none). */
size_t iodbg__maps_index(const struct iodbg_maps *maps, uint64_t addr);
/* iodbg_maps_read() without the objects: what the chain needs. */
int iodbg__maps_read(struct iodbg_target *t, struct iodbg_maps **maps);
/* Attach @v (@n objects in address order; the maps take them) to the mappings they are in. */
void iodbg__maps_attach(struct iodbg_maps *maps, struct iodbg_object *v, size_t n);

/*
 * chain.c: transfer [@addr, @addr + @len) by the chain, as iodbg_read()/iodbg_write() do once
 * they checked the arguments, without clearing @report. Each segment it adds to @report is
 * named @report_addr + (its address - @addr) and starts with the @npre attempts of @pre.
 */
struct iodbg__chain_args {
	bool write;
	uint64_t addr;
	void *buf;
	size_t len;
	struct iodbg_report *report;
	uint64_t report_addr;
	const struct iodbg_attempt_log *pre;
	size_t npre;
};

ssize_t iodbg__chain(struct iodbg_target *t, const struct iodbg__chain_args *a);

/* report.c */
struct iodbg_attempt_log {
	int path;
	int error;
	unsigned int flags;
	char why[IODBG_WHY_SIZE];
};

void iodbg__report_clear(struct iodbg_report *report);
int iodbg__report_add(struct iodbg_report *report, uint64_t addr, uint64_t len, int path,
		      int error, const char *why, const struct iodbg_attempt_log *log, size_t n);

#endif /* IODBG_INTERNAL_H */
