// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iodbg core: an ELF core of a live process, as gdb's gcore writes it, plus its device memory.
 *
 * The process is stopped under ptrace (every thread, PTRACE_SEIZE and PTRACE_INTERRUPT) for
 * the dump. libelf writes the ELF header, the program headers and the notes (registers,
 * NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE, iodbg's object notes, Cell's SPU notes); the
 * segments' bytes are then streamed into the places that layout reserved, a chunk at a time,
 * through libiodbg's chain (so device mappings are read wherever their objects live now).
 * What could not be read is cut from its segment afterwards (p_filesz), with a message: one
 * unreadable mapping never costs the rest of the core.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <linux/iodbg.h>
#include <linux/spu_sim.h>

#include "dump.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE	0x202
#endif
#define XSTATE_MAX	(64U << 10)	/* more than any x86 XSAVE area */

/*
 * gdb sizes a core's XSAVE note by the XCR0 the kernel leaves at offset 464 of it, in the
 * standard format's layout (X86_XSTATE_SIZE in gdb), and refuses a smaller one. gcore pads
 * the kernel's XSAVE area to that size with zeros; so does this (the XSAVE header's
 * xstate_bv marks what is missing as in its initial state).
 */
static size_t xstate_gdb_size(const unsigned char *xsave)
{
	uint64_t xcr0;

	memcpy(&xcr0, xsave + 464, sizeof(xcr0));
	if (xcr0 & (1ULL << 9))
		return 2696;	/* PKRU */
	if (xcr0 & (7ULL << 5))
		return 2688;	/* AVX-512 */
	if (xcr0 & (3ULL << 3))
		return 1088;	/* MPX */
	if (xcr0 & (1ULL << 2))
		return 832;	/* AVX */
	return 576;
}

static int read_registers(struct dump *d)
{
	for (size_t i = 0; i < d->nthreads; i++) {
		struct thread *th = &d->threads[i];
		struct iovec iov;

		if (ptrace(PTRACE_GETREGS, th->tid, NULL, &th->regs))
			return error(1, "cannot read the registers of thread %d: %m", (int)th->tid);
		th->fpvalid = !ptrace(PTRACE_GETFPREGS, th->tid, NULL, &th->fpregs);
		th->xstate = calloc(1, XSTATE_MAX);
		if (!th->xstate)
			return error(1, "out of memory");
		iov.iov_base = th->xstate;
		iov.iov_len = XSTATE_MAX;
		th->xstate_len = ptrace(PTRACE_GETREGSET, th->tid, (void *)NT_X86_XSTATE, &iov) ?
				 0 : iov.iov_len;
		if (th->xstate_len && th->xstate_len < xstate_gdb_size(th->xstate))
			th->xstate_len = xstate_gdb_size(th->xstate);
	}
	return 0;
}

/* ---- the notes gcore writes ---- */

/* Fields of /proc/PID/task/TID/stat after the command: field 3 (state) is @f[0]. */
static int read_stat(pid_t pid, pid_t tid, char *comm, size_t comm_size, char **f, char *buf,
		     size_t size)
{
	char path[64], *open_paren, *close_paren, *save = NULL;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');	/* the command may hold ')' */
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -EIO;
	*close_paren = '\0';
	if (comm)
		snprintf(comm, comm_size, "%s", open_paren + 1);
	for (i = 0; i < 50; i++) {
		f[i] = strtok_r(i ? NULL : close_paren + 1, " \n", &save);
		if (!f[i])
			f[i] = "0";
	}
	return 0;
}

static void timeval_of_ticks(struct timeval *tv, const char *ticks)
{
	long hz = sysconf(_SC_CLK_TCK);
	unsigned long long t = strtoull(ticks, NULL, 10);

	tv->tv_sec = t / hz;
	tv->tv_usec = t % hz * (1000000 / hz);
}

static void prstatus(struct dump *d, struct notes *n, const struct thread *th)
{
	struct elf_prstatus pr;
	char buf[1024], *f[50];

	memset(&pr, 0, sizeof(pr));
	pr.pr_pid = th->tid;
	if (!read_stat(d->pid, th->tid, NULL, 0, f, buf, sizeof(buf))) {
		/* f[0] is field 3: ppid 4, pgrp 5, session 6, utime 14, stime 15, cutime 16, ... */
		pr.pr_ppid = atoi(f[1]);
		pr.pr_pgrp = atoi(f[2]);
		pr.pr_sid = atoi(f[3]);
		timeval_of_ticks(&pr.pr_utime, f[11]);
		timeval_of_ticks(&pr.pr_stime, f[12]);
		timeval_of_ticks(&pr.pr_cutime, f[13]);
		timeval_of_ticks(&pr.pr_cstime, f[14]);
	}
	memcpy(&pr.pr_reg, &th->regs, sizeof(pr.pr_reg));
	pr.pr_fpvalid = th->fpvalid;
	note_add(n, "CORE", NT_PRSTATUS, &pr, sizeof(pr));
}

static void prpsinfo(struct dump *d, struct notes *n)
{
	static const char states[] = "RSDTZW";
	struct elf_prpsinfo ps;
	char buf[1024], *f[50], path[64], comm[64];
	struct stat st;
	ssize_t len;
	int fd;

	memset(&ps, 0, sizeof(ps));
	ps.pr_pid = d->pid;
	if (!read_stat(d->pid, d->pid, comm, sizeof(comm), f, buf, sizeof(buf))) {
		const char *s = strchr(states, f[0][0]);

		ps.pr_sname = f[0][0];
		ps.pr_state = s ? s - states : 0;
		ps.pr_zomb = f[0][0] == 'Z';
		ps.pr_ppid = atoi(f[1]);
		ps.pr_pgrp = atoi(f[2]);
		ps.pr_sid = atoi(f[3]);
		ps.pr_flag = strtoul(f[6], NULL, 10);
		ps.pr_nice = atoi(f[16]);
		/* The kernel cuts the command to 15 bytes too. */
		memcpy(ps.pr_fname, comm, strnlen(comm, sizeof(ps.pr_fname) - 1));
	}
	snprintf(path, sizeof(path), "/proc/%d", (int)d->pid);
	if (!stat(path, &st)) {
		ps.pr_uid = st.st_uid;
		ps.pr_gid = st.st_gid;
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)d->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = read(fd, ps.pr_psargs, sizeof(ps.pr_psargs) - 1);
		for (ssize_t i = 0; i < len; i++)
			if (!ps.pr_psargs[i])
				ps.pr_psargs[i] = ' ';
		while (len > 0 && ps.pr_psargs[len - 1] == ' ')
			ps.pr_psargs[--len] = '\0';
		close(fd);
	}
	note_add(n, "CORE", NT_PRPSINFO, &ps, sizeof(ps));
}

static void auxv(struct dump *d, struct notes *n)
{
	unsigned char buf[4096];
	char path[64];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)d->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len > 0)
		note_add(n, "CORE", NT_AUXV, buf, len);
}

/* NT_FILE: count, page size, then (start, end, offset in pages) per file mapping, then names. */
static void file_note(struct dump *d, struct notes *n)
{
	size_t count = 0, names = 0, nmaps = iodbg_maps_count(d->maps);
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *buf;
	uint64_t *w;
	char *p;

	for (size_t i = 0; i < nmaps; i++) {
		const struct iodbg_map *m = iodbg_maps_get(d->maps, i);

		if (m->path[0] == '/') {
			count++;
			names += strlen(m->path) + 1 +
				 (m->flags & IODBG_MAP_DELETED ? strlen(" (deleted)") : 0);
		}
	}
	buf = calloc(1, 16 + count * 24 + names);
	if (!buf) {
		n->failed = true;
		return;
	}
	w = (uint64_t *)buf;
	*w++ = count;
	*w++ = page;
	p = (char *)(buf + 16 + count * 24);
	for (size_t i = 0; i < nmaps; i++) {
		const struct iodbg_map *m = iodbg_maps_get(d->maps, i);

		if (m->path[0] != '/')
			continue;
		*w++ = m->start;
		*w++ = m->end;
		*w++ = m->offset / page;
		p = stpcpy(p, m->path);
		if (m->flags & IODBG_MAP_DELETED)
			p = stpcpy(p, " (deleted)");
		p++;
	}
	note_add(n, "CORE", NT_FILE, buf, 16 + count * 24 + names);
	free(buf);
}

static void thread_notes(struct dump *d, struct notes *n, const struct thread *th, bool main)
{
	siginfo_t si;

	prstatus(d, n, th);
	if (main) {
		prpsinfo(d, n);
		if (!ptrace(PTRACE_GETSIGINFO, th->tid, NULL, &si))
			note_add(n, "CORE", NT_SIGINFO, &si, sizeof(si));
		auxv(d, n);
		file_note(d, n);
	}
	if (th->fpvalid)
		note_add(n, "CORE", NT_FPREGSET, &th->fpregs, sizeof(th->fpregs));
	if (th->xstate_len)
		note_add(n, "LINUX", NT_X86_XSTATE, th->xstate, th->xstate_len);
}

/* ---- the layout ---- */

/*
 * The mappings that hold anonymous pages (/proc/PID/smaps "Anonymous:"): a file's private
 * mapping that was written to (relocations, .dynamic's DT_DEBUG) is dumped like memory, as
 * the kernel and gcore dump it; the rest of a file is in the file.
 */
static void read_anonymous(struct dump *d)
{
	char path[64], line[512];
	uint64_t start = 0;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)d->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b, kb;
		char perms[5];

		if (sscanf(line, "%llx-%llx %4s ", &a, &b, perms) == 3) {
			start = a;
		} else if (sscanf(line, "Anonymous: %llu kB", &kb) == 1 && kb) {
			if (d->nanon == cap) {
				uint64_t *bigger = realloc(d->anon, (cap = cap ? 2 * cap : 64) *
							   sizeof(*bigger));

				if (!bigger)
					break;
				d->anon = bigger;
			}
			d->anon[d->nanon++] = start;
		}
	}
	fclose(f);
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

static bool anonymous(const struct dump *d, uint64_t start)
{
	return d->nanon && bsearch(&start, d->anon, d->nanon, sizeof(*d->anon), cmp_u64);
}

/* How much of mapping @m to dump, as the kernel's default coredump_filter (0x33) would. */
static uint64_t plan_filesz(struct dump *d, const struct iodbg_map *m)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char magic[4];

	if (m->flags & (IODBG_MAP_IO | IODBG_MAP_PFNMAP))
		return m->end - m->start;	/* device memory: what this command is for */
	if (m->flags & IODBG_MAP_DONTDUMP)
		return 0;
	if (!(m->flags & IODBG_MAP_READ))
		return 0;
	/*
	 * A file's read-only mappings not written to are in the file: only an ELF header, for
	 * the build ids eu-unstrip and eu-stack look for.
	 */
	if (m->path[0] == '/' && !(m->flags & IODBG_MAP_WRITE) && !anonymous(d, m->start))
		return m->offset == 0 && iodbg_read(d->t, m->start, magic, 4, NULL) == 4 &&
		       !memcmp(magic, ELFMAG, SELFMAG) ? (uint64_t)page : 0;
	return m->end - m->start;
}

static int plan_segments(struct dump *d, uint64_t *cursor)
{
	size_t nmaps = iodbg_maps_count(d->maps);
	long page = sysconf(_SC_PAGESIZE);

	d->segs = calloc(nmaps ? nmaps : 1, sizeof(*d->segs));
	if (!d->segs)
		return error(1, "out of memory");
	for (size_t i = 0; i < nmaps; i++) {
		const struct iodbg_map *m = iodbg_maps_get(d->maps, i);
		struct segment *s;

		if (dump_special_map(m))
			continue;
		s = &d->segs[d->nsegs++];
		s->map = m;
		s->filesz = s->planned = plan_filesz(d, m);
		*cursor = (*cursor + page - 1) & ~(uint64_t)(page - 1);
		s->offset = *cursor;
		*cursor += s->filesz;
	}
	return 0;
}

/* Layout, headers and notes through libelf; the segments' bytes follow. */
static int write_headers(struct dump *d, struct notes *n, uint64_t notes_off, uint64_t shoff,
			 uint64_t data_off, uint64_t data_end)
{
	size_t nphdr = 1 + (d->ndata ? 1 : 0) + d->nsegs, k = 0;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	Elf_Scn *scn;
	Elf_Data *data;
	Elf *e;

	e = elf_begin(d->fd, ELF_C_WRITE, NULL);
	if (!e)
		return error(1, "libelf: %s", elf_errmsg(-1));
	elf_flagelf(e, ELF_C_SET, ELF_F_LAYOUT);
	if (!gelf_newehdr(e, ELFCLASS64) || !gelf_getehdr(e, &eh))
		goto fail;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_shoff = shoff;
	eh.e_shstrndx = SHN_UNDEF;
	if (!gelf_update_ehdr(e, &eh) || !gelf_newphdr(e, nphdr))
		goto fail;
	/* The notes: one section, so that libelf writes them. */
	scn = elf_newscn(e);
	data = scn ? elf_newdata(scn) : NULL;
	if (!data || !gelf_getshdr(scn, &sh))
		goto fail;
	data->d_buf = n->buf;
	data->d_size = n->len;
	data->d_type = ELF_T_NHDR;
	data->d_align = NOTE_ALIGN;
	sh.sh_type = SHT_NOTE;
	sh.sh_offset = notes_off;
	sh.sh_size = n->len;
	sh.sh_addralign = NOTE_ALIGN;
	if (!gelf_update_shdr(scn, &sh))
		goto fail;
	if (!gelf_update_phdr(e, k++, &(GElf_Phdr){ .p_type = PT_NOTE, .p_offset = notes_off,
					.p_filesz = n->len, .p_align = NOTE_ALIGN }))
		goto fail;
	if (d->ndata && !gelf_update_phdr(e, k++, &(GElf_Phdr){ .p_type = PT_NOTE,
					  .p_offset = data_off, .p_filesz = data_end - data_off,
					  .p_align = NOTE_ALIGN }))
		goto fail;
	for (size_t i = 0; i < d->nsegs; i++) {
		const struct segment *s = &d->segs[i];
		GElf_Phdr ph = {
			.p_type = PT_LOAD, .p_flags = dump_phdr_flags(s->map->flags),
			.p_offset = s->offset, .p_vaddr = s->map->start, .p_filesz = s->filesz,
			.p_memsz = s->map->end - s->map->start, .p_align = sysconf(_SC_PAGESIZE),
		};

		if (!gelf_update_phdr(e, k++, &ph))
			goto fail;
	}
	if (elf_update(e, ELF_C_WRITE) < 0)
		goto fail;
	elf_end(e);
	return 0;
fail:
	error(1, "cannot write %s: libelf: %s", d->file, elf_errmsg(-1));
	elf_end(e);
	return 1;
}



/*
 * What could not be read: each short segment cut to the bytes read (p_filesz and p_memsz:
 * readers take the bytes between them for zeros), one with none made PT_NULL, which readers
 * skip, so that gdb says it cannot read them rather than show zeros; The program headers are
 * translated to the file's form by libelf and written in place: elf_update() on the file
 * would cut it at the end of its sections, before the segments.
 */
static int fix_headers(struct dump *d)
{
	size_t k = 1 + (d->ndata ? 1 : 0);

	for (size_t i = 0; i < d->nsegs; i++) {
		const struct segment *s = &d->segs[i];
		Elf64_Phdr ph = {
			.p_type = s->filesz ? PT_LOAD : PT_NULL, .p_flags = dump_phdr_flags(s->map->flags),
			.p_offset = s->offset, .p_vaddr = s->map->start, .p_filesz = s->filesz,
			.p_memsz = s->filesz, .p_align = sysconf(_SC_PAGESIZE),
		};
		Elf64_Phdr file;
		Elf_Data src = { .d_buf = &ph, .d_type = ELF_T_PHDR, .d_size = sizeof(ph),
				 .d_version = EV_CURRENT };
		Elf_Data dst = { .d_buf = &file, .d_type = ELF_T_PHDR, .d_size = sizeof(file),
				 .d_version = EV_CURRENT };

		if (s->filesz == s->planned)
			continue;
		if (!elf64_xlatetof(&dst, &src, ELFDATA2LSB))
			return error(1, "cannot update %s: libelf: %s", d->file, elf_errmsg(-1));
		if (!dump_put(d, sizeof(Elf64_Ehdr) + (k + i) * sizeof(Elf64_Phdr), &file,
			 sizeof(file), false))
			return error(1, "cannot write %s: %m", d->file);
	}
	return 0;
}

static int dump_core(struct dump *d)
{
	struct notes n = { 0 };
	uint64_t notes_off, shoff, data_off, cursor;
	int werr = 0, status;

	if (read_registers(d))
		return 1;
	for (size_t i = 0; i < d->nthreads; i++)
		thread_notes(d, &n, &d->threads[i], i == 0);
	dump_iodbg_notes(d, &n);
	if (n.failed) {
		free(n.buf);
		return error(1, "out of memory for the notes");
	}
	/* ehdr, phdrs, notes, section headers (null and notes), data notes, then segments. */
	notes_off = sizeof(Elf64_Ehdr) + (1 + 1 + iodbg_maps_count(d->maps)) * sizeof(Elf64_Phdr);
	shoff = (notes_off + n.len + 7) & ~7ULL;
	data_off = shoff + 2 * sizeof(Elf64_Shdr);
	cursor = data_off;
	dump_plan_data_notes(d, &cursor);
	{
		uint64_t data_end = cursor;

		if (plan_segments(d, &cursor))
			goto out_fail;
		/* The phdr table was sized for every mapping; fewer segments leave a gap. */
		if (write_headers(d, &n, notes_off, shoff, data_off, data_end))
			goto out_fail;
	}
	for (size_t i = 0; i < d->nsegs && !werr; i++) {
		struct segment *s = &d->segs[i];

		if (s->filesz)
			s->filesz = dump_segment(d, s, &werr);
	}
	for (size_t i = 0; i < d->ndata && !werr; i++)
		dump_data_note(d, &d->data[i], &werr);
	if (werr) {
		errno = werr;
		error(1, "cannot write %s: %m", d->file);
		goto out_fail;
	}
	/* A sparse file ends where its last segment does, written or a hole. */
	if (ftruncate(d->fd, cursor))
		goto out_errno;
	status = fix_headers(d);
	if (!status)
		status = dump_fix_object_notes(d, notes_off, &n);
	free(n.buf);
	return status ? status : d->partial ? EXIT_PARTIAL : 0;
out_errno:
	error(1, "cannot write %s: %m", d->file);
out_fail:
	free(n.buf);
	return 1;
}

static int do_core(struct options *o, int argc, char **argv)
{
	struct dump d = { .fd = -1 };
	struct stat st = { 0 };
	char name[64];
	int status = 1, err;

	(void)argc;
	if (!parse_pid(argv[0], &d.pid))
		return error(EXIT_USAGE, "bad PID '%s'", argv[0]);
	if (!o->file) {
		snprintf(name, sizeof(name), "core.%d", (int)d.pid);
		o->file = name;
	}
	d.file = o->file;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return error(1, "libelf: %s", elf_errmsg(-1));
	d.buf = malloc(CHUNK);
	if (!d.buf)
		return error(1, "out of memory");
	if (iodbg_open(d.pid, 0, &d.t)) {
		free(d.buf);
		return error(1, "%s", iodbg_errmsg(NULL));
	}
	iodbg_set_path(d.t, o->path);
	iodbg_set_allow_mmio(d.t, o->allow_mmio);
	if (dump_stop_all(&d))
		goto out;
	/* Stopped: the mappings and objects cannot change under us (but for the drivers). */
	read_anonymous(&d);
	if (iodbg_maps_read(d.t, &d.maps)) {
		error(1, "%s", iodbg_errmsg(d.t));
		goto out;
	}
	/* Without the module: ordinary memory, and device mappings where a path reads them. */
	err = iodbg_objects(d.t, &d.objs);
	if (err && err != -ENODEV) {
		error(0, "core: without iodbg object notes: %s", iodbg_errmsg(d.t));
		d.partial = true;
	}
	/* 0600: a core holds whatever secrets the process had. */
	d.fd = open(d.file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d.fd < 0) {
		error(1, "cannot create %s: %m", d.file);
		goto out;
	}
	/* The segments are written where the layout put them: only a file takes that. */
	if (fstat(d.fd, &st) || !S_ISREG(st.st_mode) || ftruncate(d.fd, 0)) {
		error(1, "cannot write %s: %s", d.file, S_ISREG(st.st_mode) ? strerror(errno) :
		      "not a regular file (a core is written out of order)");
		close(d.fd);
		d.fd = -1;
		goto out;
	}
	status = dump_core(&d);
	if (close(d.fd) && status != 1)
		status = error(1, "cannot write %s: %m", d.file);
	d.fd = -1;
	if (status == 1)
		unlink(d.file);
	else
		fprintf(stderr, "iodbg: core of %d (%zu threads, %zu segments, %zu iodbg objects)"
			" written to %s\n", (int)d.pid, d.nthreads, d.nsegs,
			d.objs ? iodbg_objects_count(d.objs) : 0, d.file);
out:
	dump_resume_all(&d);
	for (size_t i = 0; i < d.nthreads; i++)
		free(d.threads[i].xstate);
	free(d.threads);
	free(d.segs);
	free(d.data);
	free(d.anon);
	iodbg_objects_free(d.objs);
	iodbg_maps_free(d.maps);
	iodbg_close(d.t);
	free(d.buf);
	return status;
}

static const struct option core_opts[] = {
	OPT_HELP, OPT_PATH, OPT_MMIO, { "output", required_argument, NULL, 'o' }, OPT_END
};

const struct command core_command = {
	"core", do_core, 1, "hp:mo:", core_opts,
	"usage: iodbg core [-o FILE] [--path=P] [--allow-mmio] PID\n"
	"Write an ELF core of PID, as gcore does (threads' registers, ordinary memory), plus\n"
	"the contents of every device mapping as ordinary segments at their addresses (which\n"
	"stock gdb -c reads with x), a note per iodbg object (kind, size, placement now, the\n"
	"mapping it backs) with the bytes of the objects PID holds but maps nowhere, and each\n"
	"SPU context as Cell Linux's \"SPU/<fd>/<file>\" notes. PID is stopped under ptrace\n"
	"while it is dumped. What cannot be read is left out with a message (exit status 3).\n"
	"  -o, --output=FILE  the core file (default: core.PID)\n"
	"  --path=P    read by that path only (auto, process_vm, proc_mem, ptrace, ioctl)\n"
	"  --allow-mmio  allow device side effects (see iodbg read --help)\n"
};
