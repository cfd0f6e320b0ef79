// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What iodbg core and iodbg-coredump share to put a process's device memory into a core: the
 * note section builder, iodbg's notes (an object note each, the bytes of objects mapped
 * nowhere, Cell's SPU notes) and the streaming of device segments and data notes into the
 * file, a chunk at a time through libiodbg's chain.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iodbg.h>
#include <linux/spu_sim.h>

#include "dump.h"

size_t note_pad(size_t n)
{
	return (n + NOTE_ALIGN - 1) & ~(size_t)(NOTE_ALIGN - 1);
}

void note_add(struct notes *n, const char *name, uint32_t type, const void *desc,
		     size_t size)
{
	size_t namesz = strlen(name) + 1;
	size_t need = sizeof(Elf64_Nhdr) + note_pad(namesz) + note_pad(size);
	Elf64_Nhdr h = { .n_namesz = namesz, .n_descsz = size, .n_type = type };

	if (n->failed || size > UINT32_MAX)
		goto fail;
	if (n->len + need > n->cap) {
		size_t cap = n->cap ? n->cap : 65536;
		unsigned char *bigger;

		while (cap < n->len + need)
			cap *= 2;
		bigger = realloc(n->buf, cap);
		if (!bigger)
			goto fail;
		n->buf = bigger;
		n->cap = cap;
	}
	memset(n->buf + n->len, 0, need);
	memcpy(n->buf + n->len, &h, sizeof(h));
	memcpy(n->buf + n->len + sizeof(h), name, namesz);
	if (size)
		memcpy(n->buf + n->len + sizeof(h) + note_pad(namesz), desc, size);
	n->len += need;
	return;
fail:
	n->failed = true;
}

static bool segment_whole(const struct dump *d, uint64_t start, uint64_t length)
{
	for (size_t i = 0; i < d->nsegs; i++)
		if (d->segs[i].map->start <= start && start - d->segs[i].map->start +
		    length <= d->segs[i].filesz)
			return true;
	return false;
}

static void object_note(struct dump *d, struct notes *n, const struct iodbg_object *ob)
{
	const struct iodbg_map *m = ob->length ? iodbg_maps_find(d->maps, ob->start) : NULL;
	struct iodbg_core_object c = {
		.hdr_size = sizeof(c), .kind = ob->kind, .placement = ob->placement,
		.flags = ob->flags, .unit = ob->unit, .id = ob->id, .size = ob->size,
		.start = ob->start, .length = ob->length, .offset = ob->offset,
		.owner = ob->owner, .map_flags = m ? m->flags : 0,
	};

	/* Planned: the segments' and data notes' bytes are read later; corrected if short. */
	c.stored = ob->length ? IODBG_CORE_STORED_LOAD : IODBG_CORE_STORED_NOTE;
	note_add(n, IODBG_NOTE_NAME, IODBG_NT_OBJECT, &c, sizeof(c));
}

static int add_data_note(struct dump *d, const char *name, uint32_t type, uint64_t id,
			 uint64_t offset, uint64_t length)
{
	struct data_note *bigger = realloc(d->data, (d->ndata + 1) * sizeof(*bigger));

	if (!bigger)
		return -ENOMEM;
	d->data = bigger;
	d->data[d->ndata] = (struct data_note){ .type = type, .id = id, .obj_offset = offset,
						.length = length };
	snprintf(d->data[d->ndata++].name, sizeof(bigger->name), "%s", name);
	return 0;
}

/* Cell's text scalars: "0x%.16llx" and its NUL, 19 bytes. */
static void spu_scalar(struct notes *n, const char *name, uint64_t v)
{
	char text[19];

	snprintf(text, sizeof(text), "0x%.16llx", (unsigned long long)v);
	note_add(n, name, IODBG_NT_SPU, text, sizeof(text));
}

/*
 * One SPU context as Cell Linux's coredump.c wrote it: a note "SPU/<fd>/<file>" per context
 * file, <fd> the descriptor of the context (here: of its local store file). The files
 * spu_sim has no state for (regs, fpcr, decr, event_*, dma_info, proxydma_info) are left out.
 */
static void spu_notes(struct dump *d, struct notes *n, const struct iodbg_object *ls)
{
	struct spu_sim_regs regs;
	char name[32];
	int fd;

	fd = iodbg_object_fd(d->t, ls->id);
	if (fd < 0 && ls->owner)
		fd = iodbg_object_fd(d->t, ls->owner);
	if (fd < 0) {
		error(0, "core: SPU context of local store %" PRIu64 ": no SPU/ notes, %d holds "
		      "no file of it (its mappings are in the core)", ls->id, (int)d->pid);
		return;
	}
	snprintf(name, sizeof(name), IODBG_CORE_SPU_NOTE_PREFIX "%d/mem", fd);
	if (add_data_note(d, name, IODBG_NT_SPU, ls->id, 0, SPU_SIM_LS_SIZE)) {
		n->failed = true;
		return;
	}
	if (!ls->owner || iodbg_object_read(d->t, ls->owner, 0, &regs, sizeof(regs), NULL) !=
	    sizeof(regs)) {
		error(0, "core: SPU context %d/: registers: %s", fd, ls->owner ?
		      iodbg_errmsg(d->t) : "no register object");
		d->partial = true;
		return;
	}
	snprintf(name, sizeof(name), IODBG_CORE_SPU_NOTE_PREFIX "%d/npc", fd);
	spu_scalar(n, name, regs.npc);
	snprintf(name, sizeof(name), IODBG_CORE_SPU_NOTE_PREFIX "%d/lslr", fd);
	spu_scalar(n, name, SPU_SIM_LS_SIZE - 1);
	snprintf(name, sizeof(name), IODBG_CORE_SPU_NOTE_PREFIX "%d/signal1", fd);
	note_add(n, name, IODBG_NT_SPU, &regs.signal1, sizeof(regs.signal1));
	snprintf(name, sizeof(name), IODBG_CORE_SPU_NOTE_PREFIX "%d/signal2", fd);
	note_add(n, name, IODBG_NT_SPU, &regs.signal2, sizeof(regs.signal2));
	/* mbox_info: the entry the PPU would read next; wbox_info: the inbound entries. */
	if (regs.out_mbox_count) {
		snprintf(name, sizeof(name), IODBG_CORE_SPU_NOTE_PREFIX "%d/mbox_info", fd);
		note_add(n, name, IODBG_NT_SPU, &regs.out_mbox[regs.out_mbox_head %
			 SPU_SIM_OUT_MBOX_DEPTH], sizeof(uint32_t));
	}
	if (regs.in_mbox_count) {
		uint32_t w[SPU_SIM_IN_MBOX_DEPTH];
		uint32_t count = regs.in_mbox_count < SPU_SIM_IN_MBOX_DEPTH ?
				 regs.in_mbox_count : SPU_SIM_IN_MBOX_DEPTH;

		for (uint32_t i = 0; i < count; i++)
			w[i] = regs.in_mbox[(regs.in_mbox_head + i) % SPU_SIM_IN_MBOX_DEPTH];
		snprintf(name, sizeof(name), IODBG_CORE_SPU_NOTE_PREFIX "%d/wbox_info", fd);
		note_add(n, name, IODBG_NT_SPU, w, count * sizeof(uint32_t));
	}
	snprintf(name, sizeof(name), IODBG_CORE_SPU_NOTE_PREFIX "%d/object-id", fd);
	spu_scalar(n, name, ls->id);
}

void dump_iodbg_notes(struct dump *d, struct notes *n)
{
	size_t count = d->objs ? iodbg_objects_count(d->objs) : 0;
	struct iodbg_core_info info = { .hdr_size = sizeof(info),
					.flags = d->objs ? IODBG_CORE_OBJECTS_LISTED : 0 };

	snprintf((char *)info.version, sizeof(info.version), "%s", iodbg_version());
	note_add(n, IODBG_NOTE_NAME, IODBG_NT_CORE, &info, sizeof(info));

	for (size_t i = 0; i < count; i++) {
		const struct iodbg_object *ob = iodbg_objects_get(d->objs, i);

		object_note(d, n, ob);
		/* An object mapped nowhere: its bytes in notes of their own. */
		for (uint64_t off = 0; !ob->length && off < ob->size; off += DATA_NOTE_MAX)
			if (add_data_note(d, IODBG_NOTE_NAME, IODBG_NT_DATA, ob->id, off,
					  ob->size - off < DATA_NOTE_MAX ? ob->size - off :
					  DATA_NOTE_MAX))
				n->failed = true;
	}
	for (size_t i = 0; i < count; i++) {
		const struct iodbg_object *ob = iodbg_objects_get(d->objs, i);

		/* One set of SPU notes per context: at the first entry of its local store. */
		if (ob->kind == IODBG_KIND_SPU_LS && iodbg_objects_find(d->objs, ob->id) == ob)
			spu_notes(d, n, ob);
	}
}

bool dump_special_map(const struct iodbg_map *m)
{
	/* The kernel's, not the process's: gcore and the kernel leave them out too. */
	return !strncmp(m->path, "[vvar", 5) || !strcmp(m->path, "[vsyscall]");
}

/* Where each streamed note goes. */
void dump_plan_data_notes(struct dump *d, uint64_t *cursor)
{
	for (size_t i = 0; i < d->ndata; i++) {
		struct data_note *dn = &d->data[i];
		uint64_t desc = dn->length + (dn->type == IODBG_NT_DATA ?
					      sizeof(struct iodbg_core_data) : 0);

		dn->file_offset = *cursor;
		*cursor += sizeof(Elf64_Nhdr) + note_pad(strlen(dn->name) + 1) + note_pad(desc);
	}
}

uint32_t dump_phdr_flags(uint32_t f)
{
	return (f & IODBG_MAP_READ ? PF_R : 0) | (f & IODBG_MAP_WRITE ? PF_W : 0) |
	       (f & IODBG_MAP_EXEC ? PF_X : 0);
}

static bool all_zero(const unsigned char *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/* Write @n bytes at @off of the core; zero chunks stay holes (the file is sparse). */
bool dump_put(struct dump *d, uint64_t off, const void *p, size_t n, bool skip_zero)
{
	const unsigned char *b = p;

	if (skip_zero && all_zero(b, n))
		return true;
	while (n) {
		ssize_t w = pwrite(d->fd, b, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		b += w;
		off += w;
		n -= w;
	}
	return true;
}

/* Stream segment @s; returns the bytes read from its start (the rest is cut). */
uint64_t dump_segment(struct dump *d, struct segment *s, int *werr)
{
	uint64_t done = 0;

	while (done < s->filesz) {
		size_t want = s->filesz - done < CHUNK ? s->filesz - done : CHUNK;
		ssize_t got = iodbg_read(d->t, s->map->start + done, d->buf, want, NULL);

		if (got > 0 && !dump_put(d, s->offset + done, d->buf, got, true)) {
			*werr = errno;
			return done;
		}
		if (got > 0)
			done += got;
		if (got < (ssize_t)want) {
			error(0, "core: %012" PRIx64 "-%012" PRIx64 " %s: %" PRIu64 " of %" PRIu64
			      " bytes dumped: %s", s->map->start, s->map->end, s->map->path,
			      done, s->filesz, iodbg_errmsg(d->t));
			d->partial = true;
			break;
		}
	}
	return done;
}

int dump_data_note(struct dump *d, const struct data_note *dn, int *werr)
{
	struct iodbg_core_data h = { .id = dn->id, .offset = dn->obj_offset,
				     .length = dn->length };
	size_t hsize = dn->type == IODBG_NT_DATA ? sizeof(h) : 0;
	size_t namesz = strlen(dn->name) + 1;
	Elf64_Nhdr nh = { .n_namesz = namesz, .n_type = dn->type,
			  .n_descsz = hsize + dn->length };
	char name[sizeof(dn->name) + NOTE_ALIGN] = { 0 };
	uint64_t desc = dn->file_offset + sizeof(nh) + note_pad(namesz);

	memcpy(name, dn->name, namesz);
	while (h.valid < dn->length) {
		size_t want = dn->length - h.valid < CHUNK ? dn->length - h.valid : CHUNK;
		ssize_t got = iodbg_object_read(d->t, h.id, h.offset + h.valid, d->buf, want,
						NULL);

		if (got > 0 && !dump_put(d, desc + hsize + h.valid, d->buf, got, true))
			goto werr;
		if (got > 0)
			h.valid += got;
		if (got < (ssize_t)want) {
			error(0, "core: object %" PRIu64 " (note %s): %" PRIu64 " of %" PRIu64
			      " bytes at offset %" PRIu64 " dumped: %s", h.id, dn->name, h.valid,
			      dn->length, dn->obj_offset, iodbg_errmsg(d->t));
			d->partial = true;
			break;
		}
	}
	if (dump_put(d, dn->file_offset, &nh, sizeof(nh), false) &&
	    dump_put(d, dn->file_offset + sizeof(nh), name, note_pad(namesz), false) &&
	    (!hsize || dump_put(d, desc, &h, hsize, false)))
		return 0;
werr:
	*werr = errno;
	return -1;
}

/*
 * The object notes of objects no longer whole in the dump marked IODBG_CORE_STORED_NONE, in
 * place in the file (their sizes are unchanged): @n is the notes section written at
 * @notes_off.
 */
int dump_fix_object_notes(struct dump *d, uint64_t notes_off, const struct notes *n)
{
	size_t off = 0;

	/* The object notes' stored fields, in place (their sizes are unchanged). */
	while (off + sizeof(Elf64_Nhdr) <= n->len) {
		Elf64_Nhdr h;
		size_t desc;

		memcpy(&h, n->buf + off, sizeof(h));
		desc = off + sizeof(h) + note_pad(h.n_namesz);
		if (h.n_type == IODBG_NT_OBJECT && h.n_namesz == sizeof(IODBG_NOTE_NAME) &&
		    !memcmp(n->buf + off + sizeof(h), IODBG_NOTE_NAME, h.n_namesz)) {
			struct iodbg_core_object c;

			memcpy(&c, n->buf + desc, sizeof(c));
			if (c.stored == IODBG_CORE_STORED_LOAD &&
			    !segment_whole(d, c.start, c.length)) {
				c.stored = IODBG_CORE_STORED_NONE;
				if (!dump_put(d, notes_off + desc, &c, sizeof(c), false))
					return error(1, "cannot write %s: %m", d->file);
			}
		}
		off = desc + note_pad(h.n_descsz);
	}
	return 0;
}

/* ---- stopping the process ---- */

static bool attached(const struct dump *d, pid_t tid)
{
	for (size_t i = 0; i < d->nthreads; i++)
		if (d->threads[i].tid == tid)
			return true;
	return false;
}

/* Seize thread @tid and wait for its interrupt stop. 0, or an errno. */
static int stop_thread(pid_t tid)
{
	int status;

	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) || ptrace(PTRACE_INTERRUPT, tid, NULL, NULL))
		return errno;
	for (;;) {
		if (waitpid(tid, &status, __WALL) < 0)
			return errno;
		if (!WIFSTOPPED(status))
			return ESRCH;
		if (status >> 16 == PTRACE_EVENT_STOP)
			return 0;
		/* A signal arrived first: deliver it, the interrupt stop follows. */
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)WSTOPSIG(status));
	}
}

/*
 * Stop every thread of the process, the main one first; threads started meanwhile are found
 * by listing the tasks again until a pass finds none.
 */
int dump_stop_all(struct dump *d)
{
	char path[64];
	bool more = true;
	int err;

	err = stop_thread(d->pid);
	if (err) {
		errno = err;
		return error(1, "cannot attach to %d: %m%s", (int)d->pid, err == EPERM ?
			     " (ptrace: a plain user can attach only to their own processes, where "
			     "Yama's ptrace_scope allows it, and no process another tracer holds)"
			     : "");
	}
	d->threads = calloc(1, sizeof(*d->threads));
	if (!d->threads)
		return error(1, "out of memory");
	d->threads[0].tid = d->pid;
	d->nthreads = 1;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)d->pid);
	while (more) {
		DIR *dir = opendir(path);
		struct dirent *de;

		if (!dir)
			return error(1, "cannot list the threads of %d: %m", (int)d->pid);
		more = false;
		while ((de = readdir(dir))) {
			pid_t tid = atoi(de->d_name);
			struct thread *bigger;

			if (tid <= 0 || attached(d, tid))
				continue;
			if (stop_thread(tid))
				continue;	/* it ended meanwhile */
			bigger = realloc(d->threads, (d->nthreads + 1) * sizeof(*bigger));
			if (!bigger) {
				ptrace(PTRACE_DETACH, tid, NULL, NULL);
				closedir(dir);
				return error(1, "out of memory");
			}
			d->threads = bigger;
			memset(&d->threads[d->nthreads], 0, sizeof(*bigger));
			d->threads[d->nthreads++].tid = tid;
			more = true;
		}
		closedir(dir);
	}
	return 0;
}

void dump_resume_all(struct dump *d)
{
	for (size_t i = 0; i < d->nthreads; i++)
		ptrace(PTRACE_DETACH, d->threads[i].tid, NULL, NULL);
}
