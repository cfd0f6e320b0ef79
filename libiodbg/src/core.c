// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading the cores `iodbg core` writes (and any x86-64 ELF core): the dumped memory from the
 * PT_LOAD segments, the iodbg objects from the IODBG_NT_OBJECT notes.
 *
 * A core file is input from anywhere: every offset and size in it is checked against the file
 * before it is used, so that a truncated or corrupted core gives -EBADMSG with a message
 * saying where, never a read out of bounds. libelf parses the headers and walks the notes
 * (gelf_getnote stops at a note whose sizes run past its segment).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct core_load {
	uint64_t vaddr, memsz, offset, filesz;
};

struct iodbg_core {
	int fd;
	pid_t pid;
	struct core_load *loads;	/* sorted by vaddr */
	size_t nloads;
	struct iodbg_object *objs;
	uint32_t *stored;		/* each object's IODBG_CORE_STORED_* */
	size_t nobjs;
	bool iodbg_notes;
	bool listed;		/* the module listed the objects at dump time */
};

static int bad(int err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(int err, const char *path, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return iodbg__error(NULL, err, "%s: %s", path, what);
}

static int by_vaddr(const void *a, const void *b)
{
	const struct core_load *x = a, *y = b;

	return (x->vaddr > y->vaddr) - (x->vaddr < y->vaddr);
}

static int add_object(struct iodbg_core *c, const struct iodbg_core_object *co)
{
	struct iodbg_object *bigger = reallocarray(c->objs, c->nobjs + 1, sizeof(*bigger));
	uint32_t *stored;

	if (!bigger)
		return -ENOMEM;
	c->objs = bigger;
	stored = reallocarray(c->stored, c->nobjs + 1, sizeof(*stored));
	if (!stored)
		return -ENOMEM;
	c->stored = stored;
	c->stored[c->nobjs] = co->stored;
	c->objs[c->nobjs++] = (struct iodbg_object){
		.id = co->id, .size = co->size, .start = co->start, .length = co->length,
		.offset = co->offset, .owner = co->owner, .kind = co->kind,
		.placement = co->placement, .flags = co->flags, .unit = co->unit,
	};
	return 0;
}

/* The notes of PT_NOTE segment @ph: their sizes checked, iodbg's and NT_PRPSINFO used. */
static int read_notes(struct iodbg_core *c, Elf *e, const GElf_Phdr *ph, const char *path)
{
	Elf_Data *data = elf_getdata_rawchunk(e, ph->p_offset, ph->p_filesz, ELF_T_NHDR);
	size_t off = 0, next;
	GElf_Nhdr nh;
	size_t name_off, desc_off;

	if (!data)
		return bad(-EBADMSG, path, "cannot read the notes at offset 0x%" PRIx64 ": %s",
			   (uint64_t)ph->p_offset, elf_errmsg(-1));
	while (off < data->d_size) {
		const char *name, *desc;

		next = gelf_getnote(data, off, &nh, &name_off, &desc_off);
		if (!next)
			return bad(-EBADMSG, path, "a note at offset 0x%" PRIx64 " has sizes that run "
				   "past its segment (a corrupted or truncated core)",
				   (uint64_t)(ph->p_offset + off));
		name = (const char *)data->d_buf + name_off;
		desc = (const char *)data->d_buf + desc_off;
		if (nh.n_namesz == sizeof(IODBG_NOTE_NAME) &&
		    !memcmp(name, IODBG_NOTE_NAME, sizeof(IODBG_NOTE_NAME))) {
			c->iodbg_notes = true;
			if (nh.n_type == IODBG_NT_CORE) {
				struct iodbg_core_info ci;

				if (nh.n_descsz < sizeof(ci))
					goto bad_size;
				memcpy(&ci, desc, sizeof(ci));
				c->listed = ci.flags & IODBG_CORE_OBJECTS_LISTED;
			} else if (nh.n_type == IODBG_NT_OBJECT) {
				struct iodbg_core_object co;
				uint32_t hdr_size;

				if (nh.n_descsz < sizeof(hdr_size))
					goto bad_size;
				memcpy(&hdr_size, desc, sizeof(hdr_size));
				/* Later writers may add fields at the end; earlier ones none. */
				if (hdr_size < sizeof(co) || hdr_size != nh.n_descsz)
					goto bad_size;
				memcpy(&co, desc, sizeof(co));
				if (add_object(c, &co))
					return iodbg__error(NULL, -ENOMEM, "out of memory");
			} else if (nh.n_type == IODBG_NT_DATA) {
				struct iodbg_core_data cd;

				if (nh.n_descsz < sizeof(cd))
					goto bad_size;
				memcpy(&cd, desc, sizeof(cd));
				if (cd.length != nh.n_descsz - sizeof(cd) || cd.valid > cd.length)
					goto bad_size;
			}
		} else if (nh.n_type == NT_PRPSINFO && nh.n_namesz == sizeof("CORE") &&
			   !memcmp(name, "CORE", sizeof("CORE"))) {
			struct elf_prpsinfo ps;

			if (nh.n_descsz != sizeof(ps))
				goto bad_size;
			memcpy(&ps, desc, sizeof(ps));
			c->pid = ps.pr_pid;
		}
		off = next;
	}
	return 0;
bad_size:
	return bad(-EBADMSG, path, "the note of type 0x%x at offset 0x%" PRIx64 " has a bad size "
		   "(%u bytes): a corrupted core", nh.n_type, (uint64_t)(ph->p_offset + off),
		   nh.n_descsz);
}

static int read_headers(struct iodbg_core *c, Elf *e, const char *path, uint64_t file_size)
{
	GElf_Ehdr eh;
	size_t phnum;
	int err;

	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
		return bad(-ENOEXEC, path, "not an ELF file");
	if (eh.e_type != ET_CORE)
		return bad(-ENOEXEC, path, "not a core file (ELF type %u)", eh.e_type);
	if (gelf_getclass(e) != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return bad(-ENOEXEC, path, "a core of another machine (class %u, machine %u)",
			   gelf_getclass(e), eh.e_machine);
	if (elf_getphdrnum(e, &phnum))
		return bad(-EBADMSG, path, "bad program headers: %s", elf_errmsg(-1));
	/* libelf counts only the headers that fit in the file: the ELF header's count is due. */
	if (eh.e_phnum != PN_XNUM)
		phnum = eh.e_phnum;
	if (eh.e_phoff > file_size || phnum * sizeof(Elf64_Phdr) > file_size - eh.e_phoff)
		return bad(-EBADMSG, path, "the program headers run past the end of the file "
			   "(a truncated core)");
	c->loads = calloc(phnum ? phnum : 1, sizeof(*c->loads));
	if (!c->loads)
		return iodbg__error(NULL, -ENOMEM, "out of memory");
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, i, &ph))
			return bad(-EBADMSG, path, "bad program header %zu: %s", i, elf_errmsg(-1));
		if (ph.p_type != PT_LOAD && ph.p_type != PT_NOTE)
			continue;
		if (ph.p_offset > file_size || ph.p_filesz > file_size - ph.p_offset)
			return bad(-EBADMSG, path, "segment %zu (offset 0x%" PRIx64 ", 0x%" PRIx64
				   " bytes) runs past the end of the file (0x%" PRIx64 " bytes): a "
				   "truncated core", i, (uint64_t)ph.p_offset,
				   (uint64_t)ph.p_filesz, file_size);
		if (ph.p_type == PT_NOTE) {
			err = read_notes(c, e, &ph, path);
			if (err)
				return err;
			continue;
		}
		if (ph.p_filesz > ph.p_memsz || ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
			return bad(-EBADMSG, path, "segment %zu has bad sizes (0x%" PRIx64 " in the "
				   "file, 0x%" PRIx64 " in memory at 0x%" PRIx64 ")", i,
				   (uint64_t)ph.p_filesz, (uint64_t)ph.p_memsz,
				   (uint64_t)ph.p_vaddr);
		c->loads[c->nloads++] = (struct core_load){ .vaddr = ph.p_vaddr,
			.memsz = ph.p_memsz, .offset = ph.p_offset, .filesz = ph.p_filesz };
	}
	qsort(c->loads, c->nloads, sizeof(*c->loads), by_vaddr);
	return 0;
}

IODBG_API int iodbg_core_open(const char *path, struct iodbg_core **out)
{
	struct iodbg_core *c;
	struct stat st;
	Elf *e = NULL;
	int err;

	if (!path || !out)
		return iodbg__error(NULL, -EINVAL, "iodbg_core_open: no path or result");
	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return iodbg__error(NULL, -ENOSYS, "libelf: %s", elf_errmsg(-1));
	c = calloc(1, sizeof(*c));
	if (!c)
		return iodbg__error(NULL, -ENOMEM, "out of memory");
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0) {
		err = iodbg__error(NULL, -errno, "cannot open %s: %m", path);
		goto fail;
	}
	if (fstat(c->fd, &st)) {
		err = iodbg__error(NULL, -errno, "cannot open %s: %m", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = bad(-ENOEXEC, path, "not a regular file");
		goto fail;
	}
	/* READ, not READ_MMAP: libelf reads the headers and the notes, never the memory. */
	e = elf_begin(c->fd, ELF_C_READ, NULL);
	if (!e) {
		err = bad(-ENOEXEC, path, "not an ELF file: %s", elf_errmsg(-1));
		goto fail;
	}
	err = read_headers(c, e, path, st.st_size);
	if (err)
		goto fail;
	elf_end(e);
	*out = c;
	return 0;
fail:
	if (e)
		elf_end(e);
	iodbg_core_close(c);
	return err;
}

IODBG_API void iodbg_core_close(struct iodbg_core *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->loads);
	free(c->objs);
	free(c->stored);
	free(c);
}

IODBG_API pid_t iodbg_core_pid(const struct iodbg_core *c)
{
	return c ? c->pid : 0;
}

IODBG_API int iodbg_core_objects(struct iodbg_core *c, struct iodbg_objects **out)
{
	struct iodbg_object *v;

	if (!c || !out)
		return iodbg__error(NULL, -EINVAL, "iodbg_core_objects: no core or result");
	*out = NULL;
	if (!c->iodbg_notes)
		return iodbg__error(NULL, -ENOENT, "the core has no iodbg notes (it was not "
				    "written by iodbg core)");
	if (!c->listed)
		return iodbg__error(NULL, -ENODEV, "the iodbg objects were not listed when the core "
				    "was written (the iodbg module was not loaded, or would not list "
				    "them)");
	v = malloc((c->nobjs ? c->nobjs : 1) * sizeof(*v));
	if (!v)
		return iodbg__error(NULL, -ENOMEM, "out of memory");
	memcpy(v, c->objs, c->nobjs * sizeof(*v));
	*out = iodbg__objects_new(v, c->nobjs);
	if (!*out) {
		free(v);
		return iodbg__error(NULL, -ENOMEM, "out of memory");
	}
	return 0;
}

/* The segment that holds @addr, or NULL. */
static const struct core_load *load_at(const struct iodbg_core *c, uint64_t addr)
{
	size_t lo = 0, hi = c->nloads;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct core_load *l = &c->loads[mid];

		if (addr < l->vaddr)
			hi = mid;
		else if (addr - l->vaddr >= l->memsz)
			lo = mid + 1;
		else
			return l;
	}
	return NULL;
}

/* The object mapped at @addr at dump time whose bytes are not in the core, or NULL. */
static const struct iodbg_object *lost_object(const struct iodbg_core *c, uint64_t addr)
{
	for (size_t i = 0; i < c->nobjs; i++) {
		const struct iodbg_object *ob = &c->objs[i];

		if (c->stored[i] != IODBG_CORE_STORED_LOAD && ob->length &&
		    addr >= ob->start && addr - ob->start < ob->length)
			return ob;
	}
	return NULL;
}

IODBG_API ssize_t iodbg_core_read(struct iodbg_core *c, uint64_t addr, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t done = 0;

	if (!c || !buf || !len || len > SSIZE_MAX || addr + (len - 1) < addr)
		return iodbg__error(NULL, -EINVAL, "iodbg_core_read: bad arguments");
	while (done < len) {
		uint64_t at = addr + done;
		const struct core_load *l = load_at(c, at);
		uint64_t in, n;
		ssize_t r;

		if (!l || at - l->vaddr >= l->filesz) {
			const struct iodbg_object *ob = lost_object(c, at);

			if (ob)
				iodbg__error(NULL, -EFAULT, "0x%" PRIx64 ": iodbg object %" PRIu64
					     " (%s) was mapped there, but could not be read when "
					     "the core was written", at, ob->id,
					     iodbg_object_kind_name(ob->kind));
			else
				iodbg__error(NULL, -EFAULT, "0x%" PRIx64 ": %s", at, !l ?
					     "not mapped in the core" : "mapped, but its bytes were "
					     "not dumped");
			break;
		}
		in = at - l->vaddr;
		n = l->filesz - in < len - done ? l->filesz - in : len - done;
		r = pread(c->fd, p + done, n, l->offset + in);
		if (r <= 0) {
			iodbg__error(NULL, r ? -errno : -EIO, "cannot read the core at offset 0x%"
				     PRIx64 ": %s", l->offset + in, r ? strerror(errno) :
				     "it ends early");
			if (!done)
				return -EIO;
			break;
		}
		done += r;
	}
	if (!done)
		return -EFAULT;
	return done;
}
