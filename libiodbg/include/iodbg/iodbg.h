/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiodbg: read and write another process's memory by the best path that works, and say
 * which path served each byte and why the others failed.
 *
 * Conventions:
 *  - functions that can fail return a negative errno (or NULL with errno set, for the
 *    allocators) and leave a message for iodbg_errmsg(): on the target for the functions that
 *    take one, in a per-thread slot (iodbg_errmsg(NULL)) for the others;
 *  - a target handle is used by one thread at a time; different handles are independent;
 *  - addresses are 64-bit whatever the build, lengths are size_t.
 */
#ifndef IODBG_IODBG_H
#define IODBG_IODBG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IODBG_VERSION_STRING "0.5.0"

/* The version of the library actually loaded, e.g. "0.3.0". */
const char *iodbg_version(void);

/* The paths to another process's memory, in the order the chain tries them. Numbers are ABI. */
enum iodbg_path {
	IODBG_PATH_NONE = -1,		/* in a report: no path served this sub-range */
	IODBG_PATH_AUTO = 0,		/* as a policy: every path, in order */
	IODBG_PATH_PROCESS_VM = 1,	/* process_vm_readv/writev */
	IODBG_PATH_PROC_MEM = 2,	/* pread/pwrite of /proc/PID/mem */
	IODBG_PATH_PTRACE = 3,		/* PTRACE_PEEKDATA/POKEDATA, only on our own stopped tracee */
	IODBG_PATH_IOCTL = 4,		/* IODBG_IOC_RW_ADDR on /dev/iodbg: VM_IO/VM_PFNMAP only */
	/*
	 * IODBG_IOC_RW_OBJECT on a file of the object that the target holds open (copied with
	 * pidfd_getfd); only iodbg_object_read() and iodbg_object_write() take it, before any
	 * mapping of the object.
	 */
	IODBG_PATH_OBJECT = 5,
};

/*
 * "auto", "process_vm", "proc_mem", "ptrace", "ioctl", "object"; NULL for a number that is no
 * path.
 */
const char *iodbg_path_name(int path);
/* The path with that name, or -EINVAL. */
int iodbg_path_from_name(const char *name);

/* What the kernel side offers. */
struct iodbg_kernel_info {
	int loaded;		/* 1 if /dev/iodbg answered IODBG_IOC_VERSION */
	uint32_t abi_version;	/* IODBG_ABI_VERSION of the loaded module, 0 if none */
	uint64_t features;	/* IODBG_FEATURE_* bits of <linux/iodbg.h> */
};

/*
 * Fill @info. A missing module is not an error (loaded = 0; iodbg_errmsg(NULL) says why);
 * a device that is there but does not answer is.
 */
int iodbg_kernel_info(struct iodbg_kernel_info *info);

/* ---- targets ---- */

struct iodbg_target;

/* The last error message of @target, or of the calling thread when @target is NULL. */
const char *iodbg_errmsg(const struct iodbg_target *target);

/*
 * Open process @pid (any thread id of it). @flags must be 0. -ESRCH if there is no such
 * process. The handle holds the process itself, not its number: once it is reaped, transfers
 * fail with -ESRCH even if another process has taken the pid.
 */
int iodbg_open(pid_t pid, unsigned int flags, struct iodbg_target **target);
/*
 * Open the process of @pidfd (pidfd_open(2), clone(2) CLONE_PIDFD), which has no pid to be
 * mistaken by: the handle keeps a copy of it, the caller may close theirs. @flags must be 0.
 * -EBADF or -EINVAL for a descriptor that is no pidfd, -ESRCH if the process has exited.
 */
int iodbg_open_pidfd(int pidfd, unsigned int flags, struct iodbg_target **target);
void iodbg_close(struct iodbg_target *target);
pid_t iodbg_target_pid(const struct iodbg_target *target);

/*
 * Choose the paths that transfers use: IODBG_PATH_AUTO (the default) or exactly one path.
 * IODBG_PATH_OBJECT serves only transfers by object (iodbg_read() then fails with -EINVAL);
 * an address path makes transfers by object go through a mapping by that path alone.
 */
int iodbg_set_path(struct iodbg_target *target, int path);

/*
 * Allow (@allow != 0) or forbid (the default) device side effects: with them allowed, the
 * ioctl path passes IODBG_RW_ALLOW_MMIO, so the kernel's generic page-table fallback may
 * touch MMIO pages (reading a device register can change the device), and tries that
 * fallback (IODBG_RW_GENERIC) as a last attempt where the object's own path failed.
 * Without it, MMIO that only the fallback could reach is reported as needing consent.
 */
int iodbg_set_allow_mmio(struct iodbg_target *target, int allow);

/*
 * The width of each MMIO access, in bytes (1, 2, 4 or 8; 0: the kernel's default, 4), that the
 * kernel's generic page-table fallback uses for the ioctl path: device registers may answer
 * only to accesses of their own width. The other paths go through the driver or pin pages and
 * take no width. -EOPNOTSUPP if the loaded iodbg module cannot choose it (no
 * IODBG_FEATURE_WIDTH), -ENODEV without the module, -EINVAL for another width.
 */
int iodbg_set_mmio_width(struct iodbg_target *target, unsigned int width);

/* ---- mappings ---- */

#define IODBG_MAP_READ		0x0001u
#define IODBG_MAP_WRITE		0x0002u
#define IODBG_MAP_EXEC		0x0004u
#define IODBG_MAP_SHARED	0x0008u
#define IODBG_MAP_VMFLAGS	0x0010u	/* the VM flags were read: the four bits below are known */
#define IODBG_MAP_IO		0x0020u	/* VM_IO ("io") */
#define IODBG_MAP_PFNMAP	0x0040u	/* VM_PFNMAP ("pf") */
#define IODBG_MAP_MIXEDMAP	0x0080u	/* VM_MIXEDMAP ("mm") */
#define IODBG_MAP_DONTDUMP	0x0100u	/* VM_DONTDUMP ("dd") */
#define IODBG_MAP_DELETED	0x0200u	/* the file was deleted; " (deleted)" is cut from path */

struct iodbg_object;

struct iodbg_map {
	uint64_t start;		/* first byte */
	uint64_t end;		/* one past the last byte */
	uint64_t offset;	/* in the file */
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t flags;		/* IODBG_MAP_* */
	const char *path;	/* as the kernel prints it ("[heap]", "[vvar]"); "" if none */
	/* iodbg_maps_read(): the iodbg object mapped here, if the module is loaded; else NULL */
	const struct iodbg_object *object;
};

/*
 * "io" (VM_IO), "pfnmap" (VM_PFNMAP without VM_IO), "ordinary", or "unknown" when VmFlags
 * was not read. The ordinary paths reach io and pfnmap mappings only through a driver's
 * ->access.
 */
const char *iodbg_map_kind(const struct iodbg_map *map);

struct iodbg_maps;

/*
 * The mappings of @target: /proc/PID/maps with the VM flags from the iodbg module
 * (IODBG_IOC_LIST_VMAS), or /proc/PID/smaps where the module cannot list them.
 */
int iodbg_maps_read(struct iodbg_target *target, struct iodbg_maps **maps);
/*
 * Parse @len bytes of /proc/PID/maps or /proc/PID/smaps text. A last line without its
 * newline that does not parse is dropped and counted as truncated; any other bad line is
 * -EBADMSG, as are mappings that are empty, overlap or are out of order.
 */
int iodbg_maps_parse(const char *text, size_t len, struct iodbg_maps **maps);
size_t iodbg_maps_count(const struct iodbg_maps *maps);
/*
 * The @i-th mapping by address, NULL past the end. The mappings are one array
 * (iodbg_maps_get(maps, 0) + i is the @i-th), their paths follow one another in one block,
 * each NUL-terminated, in the same order, and the objects they point to are one array: a
 * binding can copy a listing of tens of thousands of mappings in a few pieces.
 */
const struct iodbg_map *iodbg_maps_get(const struct iodbg_maps *maps, size_t i);
/* The mapping that holds @addr, or NULL. */
const struct iodbg_map *iodbg_maps_find(const struct iodbg_maps *maps, uint64_t addr);
/* 1 if a truncated last line was dropped. */
int iodbg_maps_truncated(const struct iodbg_maps *maps);
/*
 * iodbg_maps_read(): 0 if the mappings carry their iodbg objects (or no iodbg module is
 * loaded to know any), else the negative errno of the listing the module refused, -EPERM for
 * a process the caller may not debug; *@why (if not NULL) then gets its message.
 */
int iodbg_maps_objects_error(const struct iodbg_maps *maps, const char **why);
void iodbg_maps_free(struct iodbg_maps *maps);

/* ---- iodbg objects: what the kernel module knows about device memory ---- */

/*
 * One iodbg mapping of a process (IODBG_IOC_LIST_OBJECTS), or an object it holds a file of
 * but does not map (@start, @length and @offset 0). @kind, @placement and @flags take the
 * IODBG_KIND_*, IODBG_PLACEMENT_* and IODBG_OBJECT_* values of <linux/iodbg.h>.
 */
struct iodbg_object {
	uint64_t id;		/* unique while the iodbg module is loaded */
	uint64_t size;		/* of the object, in bytes */
	uint64_t start;		/* the mapping: its first address (0: not mapped), */
	uint64_t length;	/* its length (0: not mapped) */
	uint64_t offset;	/* and the offset in the object that @start maps */
	uint64_t owner;		/* the object it belongs with (an SPU context's other one), or 0 */
	uint32_t kind;
	uint32_t placement;	/* at the time of the call */
	uint32_t flags;
	int32_t unit;		/* the device unit that holds it, or -1 */
};

struct iodbg_objects;

/*
 * The iodbg objects of @target: one entry per mapping, in address order, then one per object
 * it holds a file of (found in /proc/PID/fd) but maps nowhere. -ENODEV (with the reason) if
 * the iodbg module is not loaded. The files found stay copied in @target (pidfd_getfd, which
 * needs the right to ptrace it) for iodbg_object_read() until iodbg_close(); a copy holds its
 * object, as the target's file does.
 */
int iodbg_objects(struct iodbg_target *target, struct iodbg_objects **objects);
size_t iodbg_objects_count(const struct iodbg_objects *objects);
/* The @i-th entry, NULL past the end. The entries are one array, as the mappings are. */
const struct iodbg_object *iodbg_objects_get(const struct iodbg_objects *objects, size_t i);
/* The first entry of object @id, or NULL. */
const struct iodbg_object *iodbg_objects_find(const struct iodbg_objects *objects, uint64_t id);
void iodbg_objects_free(struct iodbg_objects *objects);
/* "scratch", "gpu_bo", "spu_ls", "spu_regs"; "unknown" for another number. */
const char *iodbg_object_kind_name(uint32_t kind);
/* "none", "device", "gart", "system", "saved"; "unknown" for another number. */
const char *iodbg_placement_name(uint32_t placement);

/* ---- reports: which path served each sub-range, and why the others failed ---- */

#define IODBG_ATTEMPT_SKIPPED	0x1u	/* not tried: @why says why it could not work */

struct iodbg_attempt {
	int path;		/* enum iodbg_path */
	int error;		/* 0 if this path served the sub-range, else a negative errno */
	unsigned int flags;	/* IODBG_ATTEMPT_* */
	const char *why;	/* "" on success */
};

struct iodbg_segment {
	uint64_t addr;
	uint64_t len;
	int path;		/* the path that served it, or IODBG_PATH_NONE */
	int error;		/* 0 if served, else the negative errno the transfer ends with */
	const char *why;	/* for an unserved segment: what the mapping is and why it failed */
	size_t nattempts;
	const struct iodbg_attempt *attempts;	/* in the order tried */
};

struct iodbg_report;

/* NULL with errno = ENOMEM on failure. A report is cleared by each transfer it is given to. */
struct iodbg_report *iodbg_report_new(void);
void iodbg_report_free(struct iodbg_report *report);
size_t iodbg_report_count(const struct iodbg_report *report);
/* The @i-th segment in address order; valid until the report is reused or freed. */
const struct iodbg_segment *iodbg_report_get(const struct iodbg_report *report, size_t i);

/* ---- transfers ---- */

/*
 * Transfer @len bytes at @addr in the target. The range is split where mappings change and
 * each piece goes by the first path that works for it. Returns the number of bytes
 * transferred from @addr on: all of @len, or fewer when a piece no path could serve stops the
 * transfer (then iodbg_errmsg() says why). A write changes nothing in the target past that
 * point; after a read, the bytes of @buf past the count are undefined (the ioctl path may
 * have stored some of them, as may a read whose target turned out to be gone). Returns a
 * negative errno if not even the first byte could be transferred: -EINVAL for a zero or
 * larger than SSIZE_MAX length, -EOVERFLOW if the range runs past 2^64 (it may end there),
 * -ESRCH once the process is gone, -EPERM/-EACCES without the right to debug it, -EFAULT or
 * -EIO where nothing is readable. @report, if not NULL, receives one segment per piece.
 */
ssize_t iodbg_read(struct iodbg_target *target, uint64_t addr, void *buf, size_t len,
		   struct iodbg_report *report);
ssize_t iodbg_write(struct iodbg_target *target, uint64_t addr, const void *buf, size_t len,
		    struct iodbg_report *report);

/*
 * Which path reads the first byte at each of the @n addresses @addrs now, as iodbg_read() of
 * one byte there would report it (with the target's path policy and MMIO consent): @paths[i]
 * receives an enum iodbg_path, or IODBG_PATH_NONE where no path could read it, and @errors[i]
 * (if @errors is not NULL) 0 or the negative errno iodbg_read() would return there. For what
 * listings of every mapping need: the addresses that process_vm_readv reads are probed
 * together, a few calls for thousands of them. The bytes read are not kept. Returns 0, or a
 * negative errno if the probe could not be made: -EINVAL (no arrays, or the "object" policy),
 * -ESRCH once the process is gone, -ENOMEM. For the reason an address failed, iodbg_read() it.
 */
int iodbg_probe(struct iodbg_target *target, const uint64_t *addrs, size_t n, int *paths,
		int *errors);

/*
 * Transfer @len bytes at @offset of iodbg object @id of the target, wherever the object lives
 * now. First by IODBG_PATH_OBJECT: IODBG_IOC_RW_OBJECT on a file of the object that the
 * target holds open, mapped or not (this never waits for a context to be scheduled); what
 * that cannot serve goes through a mapping of the object, by iodbg_read()/iodbg_write() of
 * the address that maps the offset, piece by piece where several mappings hold different
 * parts. A policy that names an address path (iodbg_set_path) skips the object path and
 * forces that path on the mapping; IODBG_PATH_OBJECT allows no mapping.
 *
 * Returns the bytes transferred from @offset on, as iodbg_read() does: all of @len; fewer
 * when a piece no path could serve stops the transfer; or, when the range runs past the end
 * of the object, the bytes up to its end (a short count, with a last report segment from the
 * end on, IODBG_PATH_NONE and -EINVAL). iodbg_errmsg() says why whenever fewer than @len
 * bytes were transferred. A negative errno if not even the first byte was: -EINVAL for no
 * buffer, a zero or larger than SSIZE_MAX length, or @offset at or past the end of the object;
 * -ENOENT if the target neither maps nor holds a file of an object @id; -ENODEV if the iodbg
 * module is not loaded; -ESRCH, -EPERM and the others as iodbg_read(). The report's
 * segments have object offsets as @addr; each lists the object path's attempt first, then
 * those of the address paths.
 */
ssize_t iodbg_object_read(struct iodbg_target *target, uint64_t id, uint64_t offset, void *buf,
			  size_t len, struct iodbg_report *report);
ssize_t iodbg_object_write(struct iodbg_target *target, uint64_t id, uint64_t offset,
			   const void *buf, size_t len, struct iodbg_report *report);

/*
 * The descriptor number under which the target holds a file of iodbg object @id (the lowest,
 * if several), or a negative errno: -ENOENT if it holds none,
 * -EPERM without the right to ptrace it (pidfd_getfd); without the module, no file is one
 * of an object (-ENOENT). For core files, which name SPU
 * contexts by descriptor as Cell Linux did.
 */
int iodbg_object_fd(struct iodbg_target *target, uint64_t id);

/*
 * Core files. `iodbg core` writes an ELF core of a live process as gcore does (ordinary
 * memory, threads' registers, NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE), plus
 * the contents of every device mapping as ordinary PT_LOAD segments at their addresses, plus
 * these notes of owner IODBG_NOTE_NAME, little endian, 8-byte aligned fields:
 *
 *  - IODBG_NT_CORE, first: struct iodbg_core_info (whether objects were listed);
 *  - IODBG_NT_OBJECT, one per entry of iodbg_objects() at dump time (in its order):
 *    struct iodbg_core_object;
 *  - IODBG_NT_DATA, for each object the process holds but maps nowhere: struct
 *    iodbg_core_data, then its @length bytes (the first @valid of them read, the rest zero).
 *
 * SPU contexts are also written as Cell Linux wrote them: one note per context file, type
 * NT_SPU (IODBG_NT_SPU), name "SPU/<fd>/<file>" (<fd>: the descriptor of the context's local
 * store file), "mem" the local store, the scalars ("npc", "lslr", "object-id") as
 * "0x%.16llx" text, "signal1"/"signal2" and the mailboxes as 32-bit words. A context whose
 * files the process no longer holds has no such notes (its mappings are in the segments).
 * Notes of objects' bytes (IODBG_NT_DATA, "SPU/<fd>/mem") are in a PT_NOTE segment of their
 * own, after the other notes.
 */
#define IODBG_NOTE_NAME		"IODBG"
#define IODBG_NT_CORE		0x10db0000
#define IODBG_NT_OBJECT		0x10db0001
#define IODBG_NT_DATA		0x10db0002
#define IODBG_NT_SPU		1	/* Cell Linux's NT_SPU */
#define IODBG_CORE_SPU_NOTE_PREFIX	"SPU/"

/* struct iodbg_core_object.stored: where the object's bytes are in the core */
#define IODBG_CORE_STORED_NONE		0	/* not in the core (could not be read) */
#define IODBG_CORE_STORED_LOAD		1	/* in the PT_LOAD at @start, @length bytes */
#define IODBG_CORE_STORED_NOTE		2	/* in an IODBG_NT_DATA note */

/* struct iodbg_core_info.flags */
#define IODBG_CORE_OBJECTS_LISTED	(1U << 0)	/* the iodbg module listed the objects */

struct iodbg_core_info {
	uint32_t hdr_size;	/* sizeof(struct iodbg_core_info) as the writer knew it */
	uint32_t flags;		/* IODBG_CORE_* */
	uint8_t version[16];	/* of the libiodbg that wrote it, NUL-terminated text */
};

struct iodbg_core_object {
	uint32_t hdr_size;	/* sizeof(struct iodbg_core_object) as the writer knew it */
	uint32_t kind;		/* struct iodbg_object's fields, at dump time */
	uint32_t placement;
	uint32_t flags;
	int32_t unit;
	uint32_t stored;	/* IODBG_CORE_STORED_* */
	uint64_t id;
	uint64_t size;
	uint64_t start;
	uint64_t length;
	uint64_t offset;
	uint64_t owner;
	uint32_t map_flags;	/* IODBG_MAP_* of the mapping at @start, 0 if none */
	uint32_t pad;
};

struct iodbg_core_data {
	uint64_t id;
	uint64_t offset;	/* in the object, of the first byte that follows */
	uint64_t length;	/* bytes that follow */
	uint64_t valid;		/* of those, the first @valid were read; the others are zero */
};

struct iodbg_core;

/*
 * Open the ELF core @path. Checks what the reading functions rely on (the ELF and program
 * headers, every note header, the iodbg notes' sizes, segments inside the file) and fails
 * with -ENOEXEC (not a core of this machine), -EBADMSG (a corrupted or truncated core: the
 * message says where), or the errno of open(); the message is iodbg_errmsg(NULL).
 */
int iodbg_core_open(const char *path, struct iodbg_core **core);
void iodbg_core_close(struct iodbg_core *core);
/* The pid the core was taken from (NT_PRPSINFO), or 0 if it has none. */
pid_t iodbg_core_pid(const struct iodbg_core *core);
/*
 * The iodbg objects of the core (its IODBG_NT_OBJECT notes), as iodbg_objects() listed them
 * at dump time; freed with iodbg_objects_free(). -ENOENT if the core has no iodbg notes (not
 * written by iodbg core), -ENODEV if the objects were not listed when it was (no module).
 */
int iodbg_core_objects(struct iodbg_core *core, struct iodbg_objects **objects);
/*
 * Read @len bytes at @addr of the dumped process: from the PT_LOAD segments that hold them.
 * Returns the bytes read from @addr on (fewer where no segment holds the next byte, or its
 * bytes were not dumped), or a negative errno if none: -EFAULT (with a message saying
 * whether the address was mapped but not dumped), -EINVAL (no buffer, zero length, past
 * 2^64), -EIO (the file could not be read). The message is iodbg_errmsg(NULL).
 */
ssize_t iodbg_core_read(struct iodbg_core *core, uint64_t addr, void *buf, size_t len);
/*
 * Read @len bytes at @offset of iodbg object @id as the core holds it (since 0.5): from the
 * segment of a mapping of it, its IODBG_NT_DATA notes or a Cell "SPU/<fd>/mem" note. Cut at
 * the object's end; returns the bytes read from @offset on (fewer where the core lacks the
 * next one), or a negative errno: -ENOENT (no such object in the core), -EINVAL (offset past
 * the object, no buffer, zero length), -EFAULT (the core lacks the bytes at @offset: they
 * could not be read when it was written), -EIO. The message is iodbg_errmsg(NULL).
 *
 * A core without iodbg's notes whose Cell "SPU/<fd>/<file>" notes describe SPU contexts, as
 * Cell Linux wrote them (in big-endian PowerPC cores too), lists each context in
 * iodbg_core_objects() as an IODBG_KIND_SPU_LS object whose id is <fd>, placement
 * IODBG_PLACEMENT_SAVED, not mapped; its bytes are those of its "mem" note.
 */
ssize_t iodbg_core_object_read(struct iodbg_core *core, uint64_t id, uint64_t offset,
			       void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* IODBG_IODBG_H */
