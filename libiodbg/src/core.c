// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading the cores `iodbg core` writes (and any x86-64 ELF core): the dumped memory from the
 * PT_LOAD segments, the iodbg objects from the IODBG_NT_OBJECT notes, their bytes from the
 * segments and the IODBG_NT_DATA notes. SPU contexts are read from Cell's "SPU/<fd>/<file>"
 * notes too, also in the big-endian PowerPC cores Cell Linux wrote, where they are the only
 * description of the contexts.
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

#include <linux/iodbg.h>

#include "internal.h"

struct core_load {
	uint64_t vaddr, memsz, offset, filesz;
};

/* A piece of an object's bytes in a note: IODBG_NT_DATA or a Cell "SPU/<fd>/mem". */
struct core_piece {
	uint64_t id, obj_offset, length;
	uint64_t file_offset;	/* of the first byte */
};

/* The Cell notes of one SPU context, "SPU/<fd>/..." */
struct core_spu {
	int fd;
	uint64_t mem_offset, mem_size;	/* of "mem" in the file; size 0 if none */
	uint64_t object_id;		/* "object-id" */
	bool has_object_id;
};

struct iodbg_core {
	int fd;
	pid_t pid;
	struct core_load *loads;	/* sorted by vaddr */
	size_t nloads;
	struct core_piece *pieces;
	size_t npieces;
	struct core_spu *spus;
	size_t nspus;
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

static int add_piece(struct iodbg_core *c, const struct core_piece *p)
{
	struct core_piece *bigger = reallocarray(c->pieces, c->npieces + 1, sizeof(*bigger));

	if (!bigger)
		return -ENOMEM;
	c->pieces = bigger;
	c->pieces[c->npieces++] = *p;
	return 0;
}

/* The context of Cell's notes "SPU/<@fd>/...", added if it is new; NULL without memory. */
static struct core_spu *spu_of(struct iodbg_core *c, int fd)
{
	struct core_spu *bigger;

	for (size_t i = 0; i < c->nspus; i++)
		if (c->spus[i].fd == fd)
			return &c->spus[i];
	bigger = reallocarray(c->spus, c->nspus + 1, sizeof(*bigger));
	if (!bigger)
		return NULL;
	c->spus = bigger;
	c->spus[c->nspus] = (struct core_spu){ .fd = fd };
	return &c->spus[c->nspus++];
}

/*
 * A Cell note "SPU/<fd>/<file>" (@name, @namesz bytes with its NUL): the context's local
 * store and object id are kept, the other files skipped. 1 if the name is no such note's.
 */
static int spu_note(struct iodbg_core *c, const char *name, size_t namesz, const char *desc,
		    size_t descsz, uint64_t desc_file_offset)
{
	size_t prefix = strlen(IODBG_CORE_SPU_NOTE_PREFIX);
	const char *p = name + prefix, *file;
	struct core_spu *spu;
	long fd = 0;

	if (namesz <= prefix || name[namesz - 1] ||
	    memcmp(name, IODBG_CORE_SPU_NOTE_PREFIX, prefix))
		return 1;
	/* The kernel's "%d" of a descriptor: digits, no sign, no leading zero. */
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] != '/'))
		return 1;
	for (; *p >= '0' && *p <= '9'; p++) {
		fd = fd * 10 + (*p - '0');
		if (fd > INT_MAX)
			return 1;
	}
	if (*p != '/' || !p[1] || strchr(p + 1, '/'))
		return 1;
	file = p + 1;
	spu = spu_of(c, fd);
	if (!spu)
		return -ENOMEM;
	if (!strcmp(file, "mem")) {
		spu->mem_offset = desc_file_offset;
		spu->mem_size = descsz;
	} else if (!strcmp(file, "object-id")) {
		char text[20], *end;

		/* "0x%.16llx" and its NUL, as Cell's kernel wrote every scalar. */
		if (descsz == 0 || descsz >= sizeof(text))
			return 0;
		memcpy(text, desc, descsz);
		text[descsz] = '\0';
		errno = 0;
		spu->object_id = strtoull(text, &end, 16);
		spu->has_object_id = !errno && end != text && !*end;
	}
	return 0;
}

/* The notes of PT_NOTE segment @ph: their sizes checked, iodbg's, Cell's SPU notes and
 * NT_PRPSINFO used; iodbg's and NT_PRPSINFO only in a core of this machine (@native). */
static int read_notes(struct iodbg_core *c, Elf *e, const GElf_Phdr *ph, const char *path,
		      bool native)
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
		if (nh.n_type == IODBG_NT_SPU && nh.n_namesz) {
			int err = spu_note(c, name, nh.n_namesz, desc, nh.n_descsz,
					   ph->p_offset + desc_off);

			if (err < 0)
				return iodbg__error(NULL, -ENOMEM, "out of memory");
		}
		if (!native) {
			off = next;
			continue;
		}
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
				if (cd.length != nh.n_descsz - sizeof(cd) || cd.valid > cd.length ||
				    cd.offset + cd.length < cd.offset)
					goto bad_size;
				if (add_piece(c, &(struct core_piece){ .id = cd.id,
					.obj_offset = cd.offset, .length = cd.length,
					.file_offset = ph->p_offset + desc_off + sizeof(cd) }))
					return iodbg__error(NULL, -ENOMEM, "out of memory");
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

/*
 * The local stores of Cell's notes as pieces of their objects: of the object their
 * "object-id" names in a core of iodbg's; in a core without iodbg's notes (Cell Linux's),
 * each context is an object of its own, its id the context's descriptor, held unmapped.
 */
static int spu_objects(struct iodbg_core *c, uint64_t file_size)
{
	for (size_t i = 0; i < c->nspus; i++) {
		const struct core_spu *spu = &c->spus[i];
		uint64_t id = spu->fd;

		if (!spu->mem_size || spu->mem_offset > file_size ||
		    spu->mem_size > file_size - spu->mem_offset)
			continue;
		if (c->iodbg_notes) {
			if (!spu->has_object_id)
				continue;
			id = spu->object_id;
		} else {
			int err = add_object(c, &(struct iodbg_core_object){
				.kind = IODBG_KIND_SPU_LS, .placement = IODBG_PLACEMENT_SAVED,
				.unit = -1, .stored = IODBG_CORE_STORED_NOTE, .id = id,
				.size = spu->mem_size });

			if (err)
				return iodbg__error(NULL, err, "out of memory");
		}
		if (add_piece(c, &(struct core_piece){ .id = id, .length = spu->mem_size,
						       .file_offset = spu->mem_offset }))
			return iodbg__error(NULL, -ENOMEM, "out of memory");
	}
	if (!c->iodbg_notes && c->nspus)
		c->listed = true;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct iodbg_object *x = *(const struct iodbg_object *const *)a;
	const struct iodbg_object *y = *(const struct iodbg_object *const *)b;

	return (x->id > y->id) - (x->id < y->id);
}

/* The entries of one object (one per mapping) must describe the same object. */
static int check_objects(struct iodbg_core *c, const char *path)
{
	const struct iodbg_object **v;
	int err = 0;

	if (c->nobjs < 2)
		return 0;
	v = calloc(c->nobjs, sizeof(*v));
	if (!v)
		return iodbg__error(NULL, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nobjs; i++)
		v[i] = &c->objs[i];
	qsort(v, c->nobjs, sizeof(*v), by_id);
	for (size_t i = 1; i < c->nobjs && !err; i++)
		if (v[i]->id == v[i - 1]->id &&
		    (v[i]->size != v[i - 1]->size || v[i]->kind != v[i - 1]->kind))
			err = bad(-EBADMSG, path, "iodbg object %" PRIu64 " is described twice, "
				  "with different kinds or sizes: a corrupted core", v[i]->id);
	free(v);
	return err;
}

static int read_headers(struct iodbg_core *c, Elf *e, const char *path, uint64_t file_size)
{
	GElf_Ehdr eh;
	size_t phnum;
	bool native;
	int err;

	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
		return bad(-ENOEXEC, path, "not an ELF file");
	if (eh.e_type != ET_CORE)
		return bad(-ENOEXEC, path, "not a core file (ELF type %u)", eh.e_type);
	/* Cell Linux wrote big-endian PowerPC cores: their SPU notes and memory are read. */
	native = gelf_getclass(e) == ELFCLASS64 && eh.e_machine == EM_X86_64 &&
		 eh.e_ident[EI_DATA] == ELFDATA2LSB;
	if (!native && (gelf_getclass(e) != ELFCLASS64 || eh.e_machine != EM_PPC64))
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
			err = read_notes(c, e, &ph, path, native);
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
	err = check_objects(c, path);
	if (err)
		return err;
	return spu_objects(c, file_size);
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

/* pread() of the core, with the error message set when it reads nothing. */
static ssize_t core_pread(const struct iodbg_core *c, void *buf, size_t n, uint64_t offset)
{
	ssize_t r = pread(c->fd, buf, n, offset);

	if (r <= 0)
		iodbg__error(NULL, r ? -errno : -EIO, "cannot read the core at offset 0x%" PRIx64
			     ": %s", offset, r ? strerror(errno) : "it ends early");
	return r;
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
	free(c->pieces);
	free(c->spus);
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
	if (!c->iodbg_notes && !c->nobjs)
		return iodbg__error(NULL, -ENOENT, "the core has no iodbg notes (it was not "
				    "written by iodbg core) and no SPU contexts");
	if (!c->listed)
		return iodbg__error(NULL, -ENODEV, "the iodbg objects were not listed when the core "
				    "was written (the iodbg module was not loaded, or would not list "
				    "them)");
	v = malloc((c->nobjs ? c->nobjs : 1) * sizeof(*v));
	if (!v)
		return iodbg__error(NULL, -ENOMEM, "out of memory");
	if (c->nobjs)	/* else there is no array to copy from */
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
		r = core_pread(c, p + done, n, l->offset + in);
		if (r <= 0) {
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

/*
 * Where byte @offset of object @id is in the core: in the file at *@file_offset, with
 * *@avail bytes of the object there from it on (from a segment, read through
 * iodbg_core_read, when *@addr is set instead). -EFAULT if the core has none.
 */
static int object_at(struct iodbg_core *c, uint64_t id, uint64_t offset, uint64_t *addr,
		     uint64_t *file_offset, uint64_t *avail)
{
	for (size_t i = 0; i < c->nobjs; i++) {
		const struct iodbg_object *ob = &c->objs[i];
		const struct core_load *l;
		uint64_t at;

		if (ob->id != id || c->stored[i] != IODBG_CORE_STORED_LOAD || !ob->length ||
		    offset < ob->offset || offset - ob->offset >= ob->length)
			continue;
		at = ob->start + (offset - ob->offset);
		l = load_at(c, at);
		if (!l || at - l->vaddr >= l->filesz)
			continue;
		*addr = at;
		*avail = ob->length - (offset - ob->offset);
		return 0;
	}
	for (size_t i = 0; i < c->npieces; i++) {
		const struct core_piece *p = &c->pieces[i];

		if (p->id != id || offset < p->obj_offset || offset - p->obj_offset >= p->length)
			continue;
		*addr = 0;
		*file_offset = p->file_offset + (offset - p->obj_offset);
		*avail = p->length - (offset - p->obj_offset);
		return 0;
	}
	return -EFAULT;
}

IODBG_API ssize_t iodbg_core_object_read(struct iodbg_core *c, uint64_t id, uint64_t offset,
					 void *buf, size_t len)
{
	const struct iodbg_object *ob = NULL;
	unsigned char *p = buf;
	size_t done = 0;

	if (!c || !buf || !len || len > SSIZE_MAX || offset + (len - 1) < offset)
		return iodbg__error(NULL, -EINVAL, "iodbg_core_object_read: bad arguments");
	for (size_t i = 0; i < c->nobjs && !ob; i++)
		if (c->objs[i].id == id)
			ob = &c->objs[i];
	if (!ob)
		return iodbg__error(NULL, -ENOENT, "the core has no iodbg object %" PRIu64, id);
	if (offset >= ob->size)
		return iodbg__error(NULL, -EINVAL, "offset 0x%" PRIx64 " is past the end of iodbg "
				    "object %" PRIu64 " (0x%" PRIx64 " bytes)", offset, id, ob->size);
	if (len > ob->size - offset) {
		len = ob->size - offset;
		iodbg__error(NULL, -EFAULT, "iodbg object %" PRIu64 " ends at offset 0x%" PRIx64,
			     id, ob->size);
	}
	while (done < len) {
		uint64_t addr, file_offset = 0, avail;
		size_t n;
		ssize_t r;

		if (object_at(c, id, offset + done, &addr, &file_offset, &avail)) {
			iodbg__error(NULL, -EFAULT, "offset 0x%" PRIx64 " of iodbg object %" PRIu64
				     " (%s): its bytes are not in the core (they could not be "
				     "read when it was written)", offset + done, id,
				     iodbg_object_kind_name(ob->kind));
			break;
		}
		n = avail < len - done ? avail : len - done;
		if (addr) {
			r = iodbg_core_read(c, addr, p + done, n);
			if (r < 0)
				break;
		} else {
			r = core_pread(c, p + done, n, file_offset);
			if (r <= 0) {
				if (!done)
					return -EIO;
				break;
			}
		}
		done += r;
	}
	if (!done)
		return -EFAULT;
	return done;
}
