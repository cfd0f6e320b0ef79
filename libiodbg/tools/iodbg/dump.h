/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The core writing iodbg core and iodbg-coredump share (dump.c). */
#ifndef IODBG_TOOL_DUMP_H
#define IODBG_TOOL_DUMP_H

#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "main.h"

#define NOTE_ALIGN	4		/* as Linux and gcore align core notes */
#define DATA_NOTE_MAX	(1ULL << 30)	/* bytes of an object per IODBG_NT_DATA note */

struct thread {
	pid_t tid;
	struct user_regs_struct regs;
	struct user_fpregs_struct fpregs;
	bool fpvalid;
	unsigned char *xstate;
	size_t xstate_len;
};

/* A note section being built: the notes are small but for SPU local stores. */
struct notes {
	unsigned char *buf;
	size_t len, cap;
	bool failed;
};

struct segment {
	const struct iodbg_map *map;
	uint64_t offset;	/* in the file */
	uint64_t planned;	/* bytes to dump */
	uint64_t filesz;	/* planned, then cut to what was read */
};

/*
 * A note of an object's bytes, streamed after the notes section rather than held in memory:
 * IODBG_NT_DATA (a piece of an object mapped nowhere, after a struct iodbg_core_data) or
 * Cell's "SPU/<fd>/mem" (a local store, bytes alone; what cannot be read stays zero, as
 * Cell's coredump.c padded it).
 */
struct data_note {
	char name[32];
	uint32_t type;
	uint64_t id, obj_offset, length;
	uint64_t file_offset;	/* of its header */
};

struct dump {
	pid_t pid;
	struct iodbg_target *t;
	struct iodbg_maps *maps;
	struct iodbg_objects *objs;	/* NULL without the module */
	struct thread *threads;
	size_t nthreads;
	struct segment *segs;
	size_t nsegs;
	struct data_note *data;
	size_t ndata;
	int fd;
	const char *file;
	uint64_t *anon;			/* starts of the mappings with anonymous pages, sorted */
	size_t nanon;
	bool partial;
	unsigned char *buf;		/* CHUNK bytes */
};

size_t note_pad(size_t n);
void note_add(struct notes *n, const char *name, uint32_t type, const void *desc, size_t size);
/* IODBG_NT_CORE, an IODBG_NT_OBJECT per object, data notes planned, SPU notes. */
void dump_iodbg_notes(struct dump *d, struct notes *n);
bool dump_special_map(const struct iodbg_map *m);
void dump_plan_data_notes(struct dump *d, uint64_t *cursor);
uint32_t dump_phdr_flags(uint32_t f);
bool dump_put(struct dump *d, uint64_t off, const void *p, size_t n, bool skip_zero);
uint64_t dump_segment(struct dump *d, struct segment *s, int *werr);
int dump_data_note(struct dump *d, const struct data_note *dn, int *werr);
int dump_fix_object_notes(struct dump *d, uint64_t notes_off, const struct notes *n);

/*
 * Stop every thread of @d->pid under ptrace (PTRACE_SEIZE, PTRACE_INTERRUPT), filling
 * @d->threads with their ids; 0, or 1 with a message. dump_resume_all() lets them go.
 */
int dump_stop_all(struct dump *d);
void dump_resume_all(struct dump *d);

#endif /* IODBG_TOOL_DUMP_H */
