// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iodbg-coredump: a handler for the kernel's core_pattern pipe that saves the kernel's core
 * with the device memory of the dying process added, and a short report.
 *
 *   core_pattern: |/usr/libexec/iodbg-coredump %P %i %s %c [--chain COMMAND ARG...]
 *
 * The kernel leaves every VM_IO and VM_PFNMAP mapping out of its core (a program header with
 * no bytes). While the kernel waits on the pipe, the process and its memory are still there:
 * first a child process reads its device mappings and iodbg objects (libiodbg, as iodbg core
 * does: dump.c) into an unlinked file beside the core; then the kernel's core is copied from
 * stdin, as it comes, into the core file (and to the chained handler); last the device memory
 * is appended after it with a new program header table that gives the device mappings their
 * bytes and adds iodbg's notes, and the ELF header is pointed at that table. Until that last
 * write the file is the kernel's core, untouched: whatever fails on the way (the process
 * gone, its memory unreadable, the child crashing on hostile maps, a full disk) costs the
 * device memory and is said in the report, never the kernel's core.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iodbg.h>

#include "../iodbg/dump.h"
#include "../iodbg/stack.h"

#define DEFAULT_DIR	"/var/lib/iodbg/coredump"
#define CAPTURE_MAGIC	"IODBGCAP"
#define CAPTURE_SECONDS	300	/* a device that never answers does not hold the crash forever */

/* What the capture child leaves at the start of its file; its segments follow. */
struct capture {
	char magic[8];
	uint64_t notes_off, notes_len;	/* the notes section */
	uint64_t data_off, data_end;	/* the streamed data notes, after it */
	uint64_t start, end;		/* what to append: [start, end) of the file */
	uint64_t nsegs;
	uint64_t nobjs;
};

struct capture_seg {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags, reserved;
};

struct handler {
	pid_t pid, tid;
	int signo;
	uint64_t limit;			/* RLIMIT_CORE: bytes of the file at most */
	const char *dir;
	char **chain;			/* the next handler's command, or NULL */
	char comm[64];			/* made safe for a file name */
	char exe[PATH_MAX];		/* "" if unknown */
	uid_t uid;
	time_t when;
	char core[PATH_MAX], report[PATH_MAX + 8];
	int out, tmp;
	int msgs;			/* the capture child's messages */
	bool have_process;		/* the pid is the process dumping core */
	bool captured;			/* the child's capture is complete in @tmp */
	bool truncated;			/* the kernel's core was cut at RLIMIT_CORE */
	bool augmented;
	uint64_t kernel_size;		/* the kernel's core's bytes */
	uint64_t device_bytes;
	size_t device_segs, nobjs;
	uint64_t fault_addr;		/* si_addr of the crashing thread's signal, or 0 */
	char *problems;			/* the messages, for the report (a memstream's) */
	size_t problems_len;
};

static void usage(FILE *f)
{
	fputs("usage: iodbg-coredump [-d DIR] PID TID SIGNAL LIMIT [--chain COMMAND [ARG...]]\n"
	      "A handler for the kernel's core_pattern pipe: saves the core the kernel writes to\n"
	      "stdin into DIR, with the device memory of the dying process (its VM_IO and\n"
	      "VM_PFNMAP mappings and iodbg objects, which the kernel leaves out) added as iodbg\n"
	      "core adds it, and writes a report beside it (signal, each thread's stack, the\n"
	      "iodbg objects). Installed as\n"
	      "  |/usr/libexec/iodbg-coredump %P %i %s %c\n"
	      "in /proc/sys/kernel/core_pattern (PID %P and TID %i in the initial pid namespace,\n"
	      "SIGNAL %s, LIMIT %c: RLIMIT_CORE, the most bytes the core may take).\n"
	      "  -d, --directory=DIR  where the cores go (default: " DEFAULT_DIR ")\n"
	      "  --chain COMMAND [ARG...]  also pass the kernel's core, as it came, to COMMAND's\n"
	      "              stdin (the handler that was in core_pattern before, with its\n"
	      "              specifiers); it must be the last argument\n", f);
}

/* ---- messages ---- */

/* error()'s messages also go in the report: the kernel gives the handler no terminal. */
static void keep_problems(struct handler *h)
{
	error_log = open_memstream(&h->problems, &h->problems_len);
}

/* fds 1 and 2: whatever the kernel left, else the kernel log and /dev/null. */
static void standard_fds(void)
{
	if (fcntl(1, F_GETFD) < 0 && open("/dev/null", O_WRONLY) != 1)
		_exit(1);
	if (fcntl(2, F_GETFD) < 0 && open("/dev/kmsg", O_WRONLY) != 2 &&
	    open("/dev/null", O_WRONLY) != 2)
		_exit(1);
}

/* ---- the process ---- */

/* A process's name for a file name: it chose it, so nothing but [A-Za-z0-9._-] is kept. */
static void safe_name(char *s)
{
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *s))
			*s = '_';
}

static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/*
 * Is @h->pid the process dumping core? A wrong specifier (%p in a container) or a pid reused
 * after the process went must not put another process's memory into this core.
 */
static void identify(struct handler *h)
{
	char path[64], buf[4096], *line;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)h->pid);
	if (read_small(path, buf, sizeof(buf))) {
		error(0, "process %d is gone (%m): the kernel's core is saved without device "
		      "memory", (int)h->pid);
		return;
	}
	line = strstr(buf, "\nCoreDumping:");
	if (!line || strtol(line + strlen("\nCoreDumping:"), NULL, 10) != 1) {
		error(0, "process %d is not dumping a core (%s in /proc/%d/status): the kernel's "
		      "core is saved without device memory; does core_pattern give %%P, the pid "
		      "in the initial namespace?", (int)h->pid, line ? "CoreDumping: 0" :
		      "no CoreDumping", (int)h->pid);
		return;
	}
	line = strstr(buf, "\nUid:");
	if (line)
		h->uid = strtoul(line + strlen("\nUid:"), NULL, 10);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)h->pid);
	if (!read_small(path, h->comm, sizeof(h->comm)))
		h->comm[strcspn(h->comm, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)h->pid);
	n = readlink(path, h->exe, sizeof(h->exe) - 1);
	h->exe[n > 0 ? n : 0] = '\0';
	if (n > 0 && strstr(h->exe, " (deleted)"))
		h->exe[0] = '\0';
	h->have_process = true;
}

/* ---- the capture (a child process: it reads the dying process's hostile maps) ---- */

static bool device_map(const struct iodbg_map *m)
{
	return m->flags & (IODBG_MAP_IO | IODBG_MAP_PFNMAP) && !dump_special_map(m);
}

static int capture(struct handler *h)
{
	long page = sysconf(_SC_PAGESIZE);
	struct dump d = { .pid = h->pid, .fd = h->tmp, .file = "the capture file" };
	struct notes n = { 0 };
	struct capture c = { .magic = CAPTURE_MAGIC };
	struct capture_seg *cs = NULL;
	uint64_t cursor;
	size_t nmaps;
	int werr = 0, err;

	d.buf = malloc(CHUNK);
	if (!d.buf)
		return error(1, "out of memory");
	if (iodbg_open(h->pid, 0, &d.t))
		return error(1, "%s", iodbg_errmsg(NULL));
	if (iodbg_maps_read(d.t, &d.maps))
		return error(1, "%s", iodbg_errmsg(d.t));
	err = iodbg_objects(d.t, &d.objs);
	if (err && err != -ENODEV)
		error(0, "without iodbg object notes: %s", iodbg_errmsg(d.t));
	nmaps = iodbg_maps_count(d.maps);
	d.segs = calloc(nmaps ? nmaps : 1, sizeof(*d.segs));
	cs = calloc(nmaps ? nmaps : 1, sizeof(*cs));
	if (!d.segs || !cs)
		return error(1, "out of memory");
	for (size_t i = 0; i < nmaps; i++) {
		const struct iodbg_map *m = iodbg_maps_get(d.maps, i);

		if (device_map(m))
			d.segs[d.nsegs++] = (struct segment){ .map = m,
				.planned = m->end - m->start, .filesz = m->end - m->start };
	}
	dump_iodbg_notes(&d, &n);
	if (n.failed)
		return error(1, "out of memory for the notes");
	/* The header, then the notes, the data notes and the segments, as they are appended. */
	c.start = (sizeof(c) + d.nsegs * sizeof(*cs) + page - 1) & ~(uint64_t)(page - 1);
	c.notes_off = c.start;
	c.notes_len = n.len;
	c.data_off = cursor = (c.notes_off + n.len + 7) & ~7ULL;
	dump_plan_data_notes(&d, &cursor);
	c.data_end = cursor;
	for (size_t i = 0; i < d.nsegs; i++) {
		cursor = (cursor + page - 1) & ~(uint64_t)(page - 1);
		d.segs[i].offset = cursor;
		cursor += d.segs[i].planned;
	}
	c.end = cursor;
	if (!dump_put(&d, c.notes_off, n.buf, n.len, false))
		return error(1, "cannot write the capture: %m");
	for (size_t i = 0; i < d.nsegs && !werr; i++)
		d.segs[i].filesz = dump_segment(&d, &d.segs[i], &werr);
	for (size_t i = 0; i < d.ndata && !werr; i++)
		dump_data_note(&d, &d.data[i], &werr);
	if (werr) {
		errno = werr;
		return error(1, "cannot write the capture: %m");
	}
	if (dump_fix_object_notes(&d, c.notes_off, &n))
		return 1;
	for (size_t i = 0; i < d.nsegs; i++)
		cs[i] = (struct capture_seg){ .vaddr = d.segs[i].map->start,
			.memsz = d.segs[i].planned, .offset = d.segs[i].offset,
			.filesz = d.segs[i].filesz, .flags = d.segs[i].map->flags };
	c.nsegs = d.nsegs;
	c.nobjs = d.objs ? iodbg_objects_count(d.objs) : 0;
	if (ftruncate(h->tmp, c.end) || !dump_put(&d, sizeof(c), cs, d.nsegs * sizeof(*cs), false) ||
	    !dump_put(&d, 0, &c, sizeof(c), false))
		return error(1, "cannot write the capture: %m");
	/* The child exits now: its memory goes with it. */
	return d.partial ? EXIT_PARTIAL : 0;
}

/* An unlinked file in @dir: O_TMPFILE where the file system has it, else a name unlinked. */
static int scratch_file(const char *dir)
{
	char name[PATH_MAX];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd;
	snprintf(name, sizeof(name), "%s/.iodbg-coredump.XXXXXX", dir);
	fd = mkostemp(name, O_CLOEXEC);
	if (fd >= 0)
		unlink(name);
	return fd;
}

/* Run the capture in a child: a crash or a hang there on hostile memory costs only it. */
static void run_capture(struct handler *h)
{
	int status;
	pid_t child;

	if (!h->have_process)
		return;
	h->tmp = scratch_file(h->dir);
	if (h->tmp < 0) {
		error(0, "cannot create a file in %s: %m: no device memory", h->dir);
		return;
	}
	h->msgs = scratch_file(h->dir);
	fflush(NULL);
	child = fork();
	if (child < 0) {
		error(0, "fork: %m: no device memory");
		return;
	}
	if (!child) {
		alarm(CAPTURE_SECONDS);
		/* Its messages reach the report by a file: a pipe would fill while it waits. */
		error_log = h->msgs >= 0 ? fdopen(h->msgs, "w") : NULL;
		status = capture(h);
		if (error_log)
			fflush(error_log);
		_exit(status);
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (h->msgs >= 0) {
		char line[1024];
		FILE *f = fdopen(dup(h->msgs), "r");

		if (f) {
			rewind(f);
			while (fgets(line, sizeof(line), f))
				fputs(line, error_log);
			fclose(f);
		}
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		error(0, "reading the device memory took more than %d s: the kernel's core is saved "
		      "without it", CAPTURE_SECONDS);
	else if (WIFSIGNALED(status))
		error(0, "reading the device memory ended by signal %d: the kernel's core is saved "
		      "without it", WTERMSIG(status));
	else if (WEXITSTATUS(status) == 1)
		error(0, "the kernel's core is saved without device memory (see the messages "
		      "above)");
	else
		h->captured = true;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_PARTIAL)
		error(0, "some device memory could not be read (see the messages above): what "
		      "was read is in the core");
}

/* ---- the kernel's core: stdin into the core file and the chained handler ---- */

static pid_t start_chain(struct handler *h, int *pipe_fd)
{
	int p[2];
	pid_t child;

	*pipe_fd = -1;
	if (!h->chain)
		return 0;
	if (pipe2(p, O_CLOEXEC)) {
		error(0, "cannot run %s: %m", h->chain[0]);
		return 0;
	}
	child = fork();
	if (!child) {
		if (dup2(p[0], 0) < 0)
			_exit(127);
		execv(h->chain[0], h->chain);
		error(0, "cannot run %s: %m", h->chain[0]);
		_exit(127);
	}
	close(p[0]);
	if (child < 0) {
		error(0, "cannot run %s: %m", h->chain[0]);
		close(p[1]);
		return 0;
	}
	*pipe_fd = p[1];
	return child;
}

static bool write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= w;
	}
	return true;
}

static bool zero(const unsigned char *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/* Copy stdin to the core file (zero chunks as holes) and the chain. 0, or 1 if lost. */
static int save_kernel_core(struct handler *h, unsigned char *buf)
{
	int chain_fd, status, ret = 0;
	bool write_failed = false;
	pid_t chain = start_chain(h, &chain_fd);

	for (;;) {
		ssize_t got = read(0, buf, CHUNK);
		size_t keep;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = error(1, "cannot read the core from stdin: %m");
			break;
		}
		if (!got)
			break;
		/* The next handler gets it all; it may have stopped reading, that is its say. */
		if (chain_fd >= 0 && !write_all(chain_fd, buf, got)) {
			error(0, "%s stopped reading the core: %m", h->chain[0]);
			close(chain_fd);
			chain_fd = -1;
		}
		keep = h->kernel_size + got <= h->limit ? (size_t)got : h->limit - h->kernel_size;
		if (keep < (size_t)got)
			h->truncated = true;
		if (keep && !write_failed && h->out >= 0 && !zero(buf, keep) &&
		    pwrite(h->out, buf, keep, h->kernel_size) != (ssize_t)keep) {
			ret = error(1, "cannot write %s: %m", h->core);
			write_failed = true;
		}
		h->kernel_size += keep;
	}
	if (h->out >= 0 && !write_failed && ftruncate(h->out, h->kernel_size))
		ret = error(1, "cannot write %s: %m", h->core);
	if (h->truncated)
		error(0, "the core was cut at RLIMIT_CORE (%" PRIu64 " bytes), as the kernel cuts "
		      "it: without device memory", h->limit);
	if (chain_fd >= 0)
		close(chain_fd);
	if (chain) {
		while (waitpid(chain, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			error(0, "%s failed (%s %d)", h->chain[0], WIFEXITED(status) ?
			      "exit status" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) :
			      WTERMSIG(status));
	}
	return ret;
}

/* ---- adding the capture to the core ---- */

/* The notes first, in file order, as the kernel has them; the loads by address. */
static int phdr_order(const void *a, const void *b)
{
	const GElf_Phdr *x = a, *y = b;

	if (x->p_type != y->p_type && (x->p_type == PT_LOAD || y->p_type == PT_LOAD))
		return (x->p_type == PT_LOAD) - (y->p_type == PT_LOAD);
	if (x->p_type == PT_LOAD)
		return (x->p_vaddr > y->p_vaddr) - (x->p_vaddr < y->p_vaddr);
	return (x->p_offset > y->p_offset) - (x->p_offset < y->p_offset);
}

/* Copy [from, to) of the capture to @at of the core; zero chunks stay holes. */
static bool copy_capture(struct handler *h, unsigned char *buf, uint64_t from, uint64_t to,
			 uint64_t at)
{
	while (from < to) {
		size_t want = to - from < CHUNK ? to - from : CHUNK;
		ssize_t got = pread(h->tmp, buf, want, from);

		if (got <= 0)
			return false;
		if (!zero(buf, got) && pwrite(h->out, buf, got, at) != got)
			return false;
		from += got;
		at += got;
	}
	return true;
}

/*
 * The crashing thread's si_addr, from the kernel's NT_SIGINFO: only a fault's (si_code > 0)
 * has one; a signal sent by kill or tgkill holds the sender's pid and uid there.
 */
static int fault_address(void *arg, const void *desc)
{
	struct handler *h = arg;
	siginfo_t si;

	memcpy(&si, desc, sizeof(si));
	if ((si.si_signo == SIGSEGV || si.si_signo == SIGBUS) && si.si_code > 0)
		h->fault_addr = (uintptr_t)si.si_addr;
	return 1;
}

/*
 * The kernel's core is checked whole (every segment inside the file: a core cut short on
 * stdin gets no device memory, which would only hide that), the capture appended, then the
 * new program headers, and the ELF header written last.
 */
static int augment(struct handler *h, unsigned char *buf)
{
	long page = sysconf(_SC_PAGESIZE);
	struct capture c;
	struct capture_seg *cs = NULL;
	GElf_Phdr *ph = NULL;
	GElf_Ehdr eh;
	size_t phnum, n = 0;
	uint64_t base, delta, phoff;
	Elf *e;
	int ret = 1;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return error(1, "libelf: %s", elf_errmsg(-1));
	e = elf_begin(h->out, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || eh.e_type != ET_CORE ||
	    gelf_getclass(e) != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		error(1, "what came on stdin is not an x86-64 ELF core (%" PRIu64 " bytes): saved "
		      "as it came", h->kernel_size);
		goto out;
	}
	if (eh.e_phnum == PN_XNUM || elf_getphdrnum(e, &phnum) || phnum != eh.e_phnum ||
	    eh.e_phoff > h->kernel_size ||
	    phnum * sizeof(Elf64_Phdr) > h->kernel_size - eh.e_phoff) {
		error(1, "the kernel's core is truncated or has too many program headers "
		      "(%" PRIu64 " bytes): saved as it came, without device memory",
		      h->kernel_size);
		goto out;
	}
	memset(&c, 0, sizeof(c));
	if (h->captured && (pread(h->tmp, &c, sizeof(c), 0) != sizeof(c) ||
			    memcmp(c.magic, CAPTURE_MAGIC, 8) || c.nsegs > (1 << 20) ||
			    c.start > c.end || c.start % page)) {
		error(1, "the capture is unreadable: saved without device memory");
		h->captured = false;
	}
	cs = calloc(c.nsegs ? c.nsegs : 1, sizeof(*cs));
	ph = calloc(phnum + 2 + c.nsegs, sizeof(*ph));
	if (!cs || !ph) {
		error(1, "out of memory");
		goto out;
	}
	if (h->captured && pread(h->tmp, cs, c.nsegs * sizeof(*cs), sizeof(c)) !=
	    (ssize_t)(c.nsegs * sizeof(*cs))) {
		error(1, "the capture is unreadable: saved without device memory");
		h->captured = false;
	}
	for (size_t i = 0; i < phnum; i++) {
		if (!gelf_getphdr(e, i, &ph[n])) {
			error(1, "the kernel's core: program header %zu: %s", i, elf_errmsg(-1));
			goto out;
		}
		if (ph[n].p_offset > h->kernel_size ||
		    ph[n].p_filesz > h->kernel_size - ph[n].p_offset) {
			error(1, "the kernel's core is truncated (segment %zu runs past its %" PRIu64
			      " bytes): saved as it came, without device memory", i,
			      h->kernel_size);
			goto out;
		}
		n++;
	}
	if (!h->fault_addr)
		core_each_note(e, NT_SIGINFO, sizeof(siginfo_t), fault_address, h);
	if (!h->captured)
		goto out;
	base = (h->kernel_size + page - 1) & ~(uint64_t)(page - 1);
	delta = base - c.start;
	phoff = (base + c.end - c.start + 7) & ~7ULL;
	if (phoff + (n + 2 + c.nsegs) * sizeof(Elf64_Phdr) > h->limit) {
		error(1, "the device memory (%" PRIu64 " bytes) does not fit in RLIMIT_CORE (%"
		      PRIu64 " bytes): the kernel's core is saved without it", c.end - c.start,
		      h->limit);
		goto out;
	}
	/* The device mappings get their bytes, where the kernel's core has them empty. */
	for (size_t i = 0; i < c.nsegs; i++) {
		GElf_Phdr *p = NULL;

		if (!cs[i].filesz)
			continue;
		if (cs[i].filesz > cs[i].memsz || cs[i].offset < c.start ||
		    cs[i].offset + cs[i].filesz > c.end) {
			error(1, "the capture is unreadable: saved without device memory");
			goto out;
		}
		for (size_t k = 0; k < n && !p; k++)
			if (ph[k].p_type == PT_LOAD && ph[k].p_vaddr == cs[i].vaddr)
				p = &ph[k];
		if (!p) {
			p = &ph[n++];
			*p = (GElf_Phdr){ .p_type = PT_LOAD, .p_vaddr = cs[i].vaddr,
					  .p_memsz = cs[i].memsz, .p_align = page,
					  .p_flags = dump_phdr_flags(cs[i].flags) };
		}
		p->p_offset = cs[i].offset + delta;
		p->p_filesz = cs[i].filesz;
		if (p->p_memsz < p->p_filesz)
			p->p_memsz = p->p_filesz;
		h->device_segs++;
		h->device_bytes += cs[i].filesz;
	}
	ph[n++] = (GElf_Phdr){ .p_type = PT_NOTE, .p_offset = c.notes_off + delta,
			       .p_filesz = c.notes_len, .p_align = NOTE_ALIGN };
	if (c.data_end > c.data_off)
		ph[n++] = (GElf_Phdr){ .p_type = PT_NOTE, .p_offset = c.data_off + delta,
				       .p_filesz = c.data_end - c.data_off, .p_align = NOTE_ALIGN };
	qsort(ph, n, sizeof(*ph), phdr_order);
	if (n >= PN_XNUM) {
		error(1, "too many program headers with the device memory: saved without it");
		goto out;
	}
	if (!copy_capture(h, buf, c.start, c.end, base)) {
		error(1, "cannot add the device memory to %s: %m: saved without it", h->core);
		goto out;
	}
	{
		Elf64_Phdr *file = calloc(n, sizeof(*file));
		Elf64_Ehdr feh;
		Elf_Data src = { .d_buf = ph, .d_type = ELF_T_PHDR, .d_version = EV_CURRENT };
		Elf_Data dst = { .d_buf = file, .d_type = ELF_T_PHDR, .d_version = EV_CURRENT };
		bool ok;

		if (!file) {
			error(1, "out of memory");
			goto out;
		}
		/* GElf_Phdr is Elf64_Phdr: translated to the file's byte order. */
		src.d_size = dst.d_size = n * sizeof(Elf64_Phdr);
		ok = elf64_xlatetof(&dst, &src, ELFDATA2LSB) &&
		     pwrite(h->out, file, n * sizeof(*file), phoff) == (ssize_t)(n * sizeof(*file));
		free(file);
		eh.e_phoff = phoff;
		eh.e_phnum = n;
		src = (Elf_Data){ .d_buf = &eh, .d_type = ELF_T_EHDR, .d_size = sizeof(feh),
				  .d_version = EV_CURRENT };
		dst = (Elf_Data){ .d_buf = &feh, .d_type = ELF_T_EHDR, .d_size = sizeof(feh),
				  .d_version = EV_CURRENT };
		if (!ok || !elf64_xlatetof(&dst, &src, ELFDATA2LSB) ||
		    pwrite(h->out, &feh, sizeof(feh), 0) != sizeof(feh)) {
			error(1, "cannot add the device memory to %s: %m: saved without it",
			      h->core);
			/* The ELF header is whole or unwritten: the kernel's one still rules. */
			goto out;
		}
	}
	h->augmented = true;
	h->nobjs = c.nobjs;
	ret = 0;
out:
	if (!h->augmented && h->kernel_size && ftruncate(h->out, h->kernel_size))
		error(1, "cannot write %s: %m", h->core);
	elf_end(e);
	free(cs);
	free(ph);
	return ret;
}

/* ---- the report ---- */

static void write_report(struct handler *h)
{
	char when[64], sig[32], part[sizeof(h->report) + 8];
	struct iodbg_objects *objs = NULL;
	struct iodbg_core *core = NULL;
	struct stack_mark mark = { .what = "faulted on", .addr = h->fault_addr };
	struct stack_core_marks marks;
	const char *abbrev = sigabbrev_np(h->signo);
	FILE *f;
	int fd;

	/* Written beside and renamed: a reader never sees half a report. */
	snprintf(part, sizeof(part), "%s.part", h->report);
	fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		error(0, "cannot write the report %s: %m", part);
		if (fd >= 0)
			close(fd);
		return;
	}
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&h->when));
	snprintf(sig, sizeof(sig), "%s%s", abbrev ? "SIG" : "", abbrev ? abbrev : "unknown");
	fprintf(f, "Process %d (%s) of uid %u dumped core on signal %d (%s) at %s.\n",
		(int)h->pid, h->comm, (unsigned int)h->uid, h->signo, sig, when);
	if (h->exe[0])
		fprintf(f, "Executable: %s\n", h->exe);
	if (h->out < 0)
		fprintf(f, "Core: not saved\n");
	else if (h->augmented)
		fprintf(f, "Core: %s (the kernel's, %" PRIu64 " bytes, with %zu device mappings, "
			"%" PRIu64 " bytes, and %zu iodbg objects added)\n", h->core,
			h->kernel_size, h->device_segs, h->device_bytes, h->nobjs);
	else
		fprintf(f, "Core: %s (the kernel's, %" PRIu64 " bytes, without device memory)\n",
			h->core, h->kernel_size);

	if (h->out >= 0 && h->kernel_size && !h->truncated &&
	    !iodbg_core_open(h->core, &core) && iodbg_core_objects(core, &objs))
		objs = NULL;
	if (!objs && h->augmented && core)
		error(0, "the core's iodbg objects: %s", iodbg_errmsg(NULL));
	mark.ob = stack_object_at(objs, h->fault_addr);
	marks = (struct stack_core_marks){
		.crashed = h->tid, .fault = h->fault_addr && mark.ob ? &mark : NULL, .objs = objs,
	};
	fputs("\nStacks:\n", f);
	fflush(f);
	if (h->out >= 0 && h->kernel_size)
		stack_core(f, h->out, h->exe[0] ? h->exe : NULL, &marks);
	else
		fputs("  (no core to unwind)\n", f);
	fputs("\niodbg objects:\n", f);
	if (objs)
		objects_print(f, false, objs);
	else
		fputs("  (none in the core: the iodbg module was not loaded, or no device memory "
		      "was added)\n", f);
	if (error_log)
		fflush(error_log);
	if (h->problems && h->problems[0])
		fprintf(f, "\nProblems:\n%s", h->problems);
	iodbg_objects_free(objs);
	iodbg_core_close(core);
	if (fclose(f) || rename(part, h->report)) {
		error(0, "cannot write the report %s: %m", h->report);
		unlink(part);
	}
}

/* ---- main ---- */

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || !strchr("0123456789", *s))
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end;
}

/* The core and report files, under names no earlier dump took. */
static void open_core(struct handler *h)
{
	for (int i = 0; i < 100; i++) {
		char suffix[16] = "";

		if (i)
			snprintf(suffix, sizeof(suffix), ".%d", i);
		snprintf(h->core, sizeof(h->core), "%s/core.%s.%d.%lld%s", h->dir, h->comm,
			 (int)h->pid, (long long)h->when, suffix);
		snprintf(h->report, sizeof(h->report), "%s.txt", h->core);
		/* 0600: a core holds whatever secrets the process had. */
		h->out = open(h->core, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (h->out >= 0 || errno != EEXIST)
			break;
	}
	if (h->out < 0)
		error(1, "cannot create %s: %m: the core is lost", h->core);
}

/* DIR and, if missing, its parents; the last one only root may read. */
static void make_dir(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0700);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "directory", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct handler h = { .dir = DEFAULT_DIR, .out = -1, .tmp = -1, .msgs = -1,
			     .limit = UINT64_MAX };
	unsigned char *buf;
	uint64_t v;
	int c, status = 0;

	standard_fds();
	error_prefix = "iodbg-coredump";
	signal(SIGPIPE, SIG_IGN);
	h.when = time(NULL);
	keep_problems(&h);
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--chain")) {
			argv[i] = NULL;
			h.chain = i + 1 < argc ? &argv[i + 1] : NULL;
			argc = i;
			break;
		}
	while ((c = getopt_long(argc, argv, "+d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			h.dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			/* On with the defaults: the kernel's core is on stdin all the same. */
			error(0, "bad option (see iodbg-coredump --help): the defaults are used");
		}
	}
	snprintf(h.comm, sizeof(h.comm), "unknown");
	/* Bad arguments cost the device memory, not the kernel's core. */
	if (argc - optind < 4)
		error(0, "%s (see iodbg-coredump --help): the core is saved without device memory",
		      argc - optind ? "too few arguments" : "no arguments");
	else if (!parse_pid(argv[optind], &h.pid) || !parse_pid(argv[optind + 1], &h.tid))
		error(0, "bad PID '%s' or TID '%s': the core is saved without device memory",
		      argv[optind], argv[optind + 1]);
	else
		identify(&h);
	if (argc - optind >= 4) {
		if (parse_u64(argv[optind + 2], &v) && v < 65)
			h.signo = v;
		if (parse_u64(argv[optind + 3], &v))
			h.limit = v;
		else
			error(0, "bad LIMIT '%s': the core is saved whole", argv[optind + 3]);
	}
	safe_name(h.comm);
	buf = malloc(CHUNK);
	if (!buf)
		return error(1, "out of memory: the core is lost");
	if (strlen(h.dir) > PATH_MAX - 128) {
		error(0, "directory name too long: %s is used", DEFAULT_DIR);
		h.dir = DEFAULT_DIR;
	}
	make_dir(h.dir);
	if (h.limit) {
		open_core(&h);
		if (h.out < 0)
			status = 1;
	} else {
		snprintf(h.report, sizeof(h.report), "%s/core.%s.%d.%lld.txt", h.dir, h.comm,
			 (int)h.pid, (long long)h.when);
		error(0, "RLIMIT_CORE is 0: no core saved, only this report");
	}
	run_capture(&h);
	if (save_kernel_core(&h, buf))
		status = 1;
	if (h.out >= 0 && h.kernel_size && !h.truncated)
		augment(&h, buf);
	if (h.out >= 0 && !h.kernel_size) {
		error(0, "nothing came on stdin: no core");
		unlink(h.core);
		close(h.out);
		h.out = -1;
	}
	write_report(&h);
	fprintf(stderr, "iodbg-coredump: process %d (%s), signal %d: %s%s\n", (int)h.pid,
		h.comm, h.signo, h.out >= 0 ? h.core : "no core", h.augmented ?
		" with device memory" : h.out >= 0 ? " without device memory" : "");
	free(buf);
	return status;
}
