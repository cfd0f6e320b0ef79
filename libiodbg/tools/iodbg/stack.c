// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The presentation of threads' stacks that iodbg stacks and iodbg-coredump's report share,
 * symbols from libdwfl, and the unwinding of a core by libdwfl (CFI from the modules' files
 * found by build id, as eu-stack does).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <libelf.h>
#include <string.h>

#include "main.h"
#include "stack.h"

void stack_thread_print(FILE *f, pid_t tid, const char *comm, const char *note,
			const struct stack_mark *mark)
{
	fprintf(f, "Thread %d", (int)tid);
	if (comm)
		fprintf(f, " (%s)", comm);
	if (note)
		fprintf(f, ", %s", note);
	fputs(":\n", f);
	if (!mark)
		return;
	fprintf(f, "    %s device memory at 0x%" PRIx64, mark->what, mark->addr);
	if (mark->ob)
		fprintf(f, ": iodbg object %" PRIu64 " (%s, %s, offset 0x%" PRIx64 ")",
			mark->ob->id, iodbg_object_kind_name(mark->ob->kind),
			iodbg_placement_name(mark->ob->placement),
			mark->addr - mark->ob->start + mark->ob->offset);
	if (mark->mapping && mark->mapping[0])
		fprintf(f, " in %s", mark->mapping);
	fputc('\n', f);
}

void stack_frame_print(FILE *f, Dwfl *dwfl, unsigned int n, uint64_t pc, bool exact)
{
	uint64_t at = exact || !pc ? pc : pc - 1;
	Dwfl_Module *mod = dwfl ? dwfl_addrmodule(dwfl, at) : NULL;
	const char *name = NULL, *module = NULL;
	GElf_Off off = 0;
	GElf_Sym sym;

	if (mod) {
		name = dwfl_module_addrinfo(mod, at, &off, &sym, NULL, NULL, NULL);
		module = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
		if (module && strrchr(module, '/'))
			module = strrchr(module, '/') + 1;
	}
	/* The offset is of @pc itself, as gdb and eu-stack show it. */
	fprintf(f, "  #%-2u 0x%016" PRIx64 " %s", n, pc, name ? name : "??");
	if (name && off + (at != pc))
		fprintf(f, "+0x%" PRIx64, (uint64_t)(off + (at != pc)));
	if (module && module[0])
		fprintf(f, " (%s)", module);
	fputc('\n', f);
}

const struct iodbg_object *stack_object_at(const struct iodbg_objects *objs, uint64_t addr)
{
	size_t n = objs ? iodbg_objects_count(objs) : 0;

	for (size_t i = 0; i < n; i++) {
		const struct iodbg_object *ob = iodbg_objects_get(objs, i);

		if (ob->length && addr >= ob->start && addr - ob->start < ob->length)
			return ob;
	}
	return NULL;
}

/* ---- a core, by libdwfl ---- */

struct core_walk {
	FILE *f;
	Dwfl *dwfl;
	pid_t crashed;
	const struct stack_mark *mark;
	unsigned int frame;
};

static int core_frame(Dwfl_Frame *state, void *arg)
{
	struct core_walk *w = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	stack_frame_print(w->f, w->dwfl, w->frame, pc, activation);
	return ++w->frame < STACK_MAX_FRAMES ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static int core_thread(Dwfl_Thread *thread, void *arg)
{
	struct core_walk *w = arg;
	pid_t tid = dwfl_thread_tid(thread);
	bool crashed = w->crashed && tid == w->crashed;

	stack_thread_print(w->f, tid, NULL, crashed ? "crashed" : NULL,
			   crashed ? w->mark : NULL);
	w->frame = 0;
	/* An unwind that ends early says why; the frames found stay printed. */
	if (dwfl_thread_getframes(thread, core_frame, w) < 0 && w->frame < STACK_MAX_FRAMES)
		fprintf(w->f, "  (unwinding stopped: %s)\n", dwfl_errmsg(-1));
	else if (w->frame >= STACK_MAX_FRAMES)
		fprintf(w->f, "  (more frames not shown)\n");
	return DWARF_CB_OK;
}

int stack_core(FILE *f, int fd, const char *exe, pid_t crashed, const struct stack_mark *mark)
{
	static char *debuginfo_path;
	static const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.debuginfo_path = &debuginfo_path,
	};
	struct core_walk w = { .f = f, .crashed = crashed, .mark = mark };
	Elf *core;
	int err = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -error(ENOSYS, "libelf: %s", elf_errmsg(-1));
	core = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!core)
		return -error(ENOEXEC, "the core: %s", elf_errmsg(-1));
	w.dwfl = dwfl_begin(&callbacks);
	if (!w.dwfl) {
		err = -error(ENOMEM, "libdwfl: %s", dwfl_errmsg(-1));
		goto out;
	}
	if (dwfl_core_file_report(w.dwfl, core, exe) < 0 ||
	    dwfl_report_end(w.dwfl, NULL, NULL) || dwfl_core_file_attach(w.dwfl, core) < 0) {
		err = -error(EBADMSG, "cannot unwind the core: %s", dwfl_errmsg(-1));
		goto out;
	}
	if (dwfl_getthreads(w.dwfl, core_thread, &w) < 0)
		err = -error(EBADMSG, "cannot list the core's threads: %s", dwfl_errmsg(-1));
out:
	if (w.dwfl)
		dwfl_end(w.dwfl);
	elf_end(core);
	return err;
}
