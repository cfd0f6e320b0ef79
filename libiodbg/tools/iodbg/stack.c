// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The presentation of threads' stacks that iodbg stacks and iodbg-coredump's report share,
 * symbols from libdwfl, and the unwinding of a core by libdwfl (CFI from the modules' files
 * found by build id, as eu-stack does).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>

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
	/* Without the symbol version eu-stack shows ("clock_nanosleep@GLIBC_2.2.5"), as gdb. */
	fprintf(f, "  #%-2u 0x%016" PRIx64 " %.*s", n, pc, name ? (int)strcspn(name, "@") : 2,
		name ? name : "??");
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

/* ---- the address an instruction accesses ---- */

/* Legacy opcodes (one byte) that take a ModRM byte. */
static bool modrm_1(unsigned char op)
{
	if (op < 0x40)
		return (op & 7) < 4;
	return op == 0x62 || op == 0x63 || op == 0x69 || op == 0x6b || (op >= 0x80 && op <= 0x8f) ||
	       op == 0xc0 || op == 0xc1 || op == 0xc4 || op == 0xc5 || op == 0xc6 || op == 0xc7 ||
	       (op >= 0xd0 && op <= 0xd3) || (op >= 0xd8 && op <= 0xdf) || op == 0xf6 ||
	       op == 0xf7 || op == 0xfe || op == 0xff;
}

/* Two-byte opcodes (0f xx) without a ModRM byte; 0f 38 and 0f 3a all have one. */
static bool modrm_0f(unsigned char op)
{
	return !((op >= 0x80 && op <= 0x8f) || (op >= 0xc8 && op <= 0xcf) || op == 0x05 ||
		 op == 0x06 || op == 0x07 || op == 0x08 || op == 0x09 || op == 0x0b ||
		 op == 0x30 || op == 0x31 || op == 0x32 || op == 0x33 || op == 0x34 ||
		 op == 0x35 || op == 0x77 || op == 0xa0 || op == 0xa1 || op == 0xa2 ||
		 op == 0xa8 || op == 0xa9 || op == 0xaa);
}

static uint64_t gpr(const struct user_regs_struct *r, unsigned int n)
{
	const unsigned long long v[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp,
		r->rsi, r->rdi, r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };

	return v[n & 15];
}

bool stack_access_address(const unsigned char *p, size_t len,
			  const struct user_regs_struct *regs, uint64_t *addr)
{
	const unsigned char *end = p + len;
	unsigned int rex = 0, mod, rm, scale, index, base;
	bool addr32 = false, has_modrm;
	int64_t disp = 0;
	uint64_t ea;

	/* Prefixes: operand and address size, rep, lock, segments (fs/gs are not followed). */
	while (p < end && strchr("\x66\x67\xf2\xf3\xf0\x2e\x36\x3e\x26\x64\x65", *p) && *p) {
		if (*p == 0x64 || *p == 0x65)
			return false;
		addr32 |= *p == 0x67;
		p++;
	}
	if (p < end && (*p & 0xf0) == 0x40)
		rex = *p++;
	if (p >= end)
		return false;
	if (*p == 0xc5 && p + 2 < end) {		/* VEX, two bytes: R inverted */
		rex = (p[1] & 0x80) ? 0 : 4;
		p += 3;				/* c5, payload, opcode */
		has_modrm = true;
	} else if (*p == 0xc4 && p + 3 < end) {		/* VEX, three bytes: R, X, B inverted */
		rex = (~p[1] >> 5) & 7;
		p += 4;				/* c4, two payloads, opcode */
		has_modrm = true;
	} else if (*p == 0x0f && p + 1 < end) {
		if (p[1] == 0x38 || p[1] == 0x3a) {
			p += 3;
			has_modrm = true;
		} else {
			has_modrm = modrm_0f(p[1]);
			p += 2;
		}
	} else {
		has_modrm = modrm_1(*p) && *p != 0xc4 && *p != 0xc5 && *p != 0x62;
		p++;
	}
	if (!has_modrm || p >= end)
		return false;
	mod = *p >> 6;
	rm = *p & 7;
	p++;
	if (mod == 3)
		return false;			/* a register, not memory */
	if (rm == 4) {				/* SIB */
		if (p >= end)
			return false;
		scale = *p >> 6;
		index = ((*p >> 3) & 7) | (rex & 2 ? 8 : 0);
		base = (*p & 7) | (rex & 1 ? 8 : 0);
		p++;
		ea = index == 4 ? 0 : gpr(regs, index) << scale;
		if ((base & 7) == 5 && mod == 0) {
			if (p + 4 > end)
				return false;
			disp = (int32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
			p += 4;
		} else {
			ea += gpr(regs, base);
		}
	} else if (rm == 5 && mod == 0) {	/* RIP-relative: from the next instruction */
		return false;			/* the immediate's size would be needed */
	} else {
		ea = gpr(regs, rm | (rex & 1 ? 8 : 0));
	}
	if (mod == 1) {
		if (p + 1 > end)
			return false;
		disp = (int8_t)p[0];
	} else if (mod == 2) {
		if (p + 4 > end)
			return false;
		disp = (int32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
	}
	ea += disp;
	*addr = addr32 ? (uint32_t)ea : ea;
	return true;
}

/* ---- a core, by libdwfl ---- */

/* A thread's registers at the dump, from its NT_PRSTATUS note. */
struct core_regs {
	pid_t tid;
	struct user_regs_struct regs;
};

struct core_walk {
	FILE *f;
	Dwfl *dwfl;
	const struct stack_core_marks *marks;
	struct core_regs *regs;
	size_t nregs;
	unsigned int frame;
};

int core_each_note(Elf *core, uint32_t type, size_t size,
		   int (*fn)(void *arg, const void *desc), void *arg)
{
	size_t nph, off, next, name_off, desc_off;

	if (elf_getphdrnum(core, &nph))
		return 0;
	for (size_t i = 0; i < nph; i++) {
		Elf_Data *data;
		GElf_Phdr ph;
		GElf_Nhdr nh;
		int ret;

		if (!gelf_getphdr(core, i, &ph) || ph.p_type != PT_NOTE)
			continue;
		data = elf_getdata_rawchunk(core, ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		for (off = 0; data && (next = gelf_getnote(data, off, &nh, &name_off, &desc_off));
		     off = next) {
			if (nh.n_type != type || nh.n_descsz != size)
				continue;
			ret = fn(arg, (char *)data->d_buf + desc_off);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* A thread's NT_PRSTATUS: its id and registers. */
static int add_thread_regs(void *arg, const void *desc)
{
	struct core_walk *w = arg;
	struct elf_prstatus pr;
	struct core_regs *bigger;

	memcpy(&pr, desc, sizeof(pr));
	bigger = reallocarray(w->regs, w->nregs + 1, sizeof(*bigger));
	if (!bigger)
		return -ENOMEM;
	w->regs = bigger;
	w->regs[w->nregs].tid = pr.pr_pid;
	memcpy(&w->regs[w->nregs++].regs, pr.pr_reg, sizeof(pr.pr_reg));
	return 0;
}

/* Every thread's registers in the x86-64 core @core (none from another machine's core). */
static int core_thread_regs(struct core_walk *w, Elf *core)
{
	GElf_Ehdr eh;

	if (!gelf_getehdr(core, &eh) || eh.e_machine != EM_X86_64 ||
	    gelf_getclass(core) != ELFCLASS64)
		return 0;
	return core_each_note(core, NT_PRSTATUS, sizeof(struct elf_prstatus), add_thread_regs, w);
}

/*
 * Up to @len bytes of the code at @pc, from the file of the module it is in: a core leaves
 * file-backed text out. 0 if no module's file holds @pc.
 */
static size_t module_code(Dwfl *dwfl, uint64_t pc, unsigned char *buf, size_t len)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, pc);
	GElf_Addr bias;
	Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;
	size_t nph, size;
	char *image;

	if (!elf || elf_getphdrnum(elf, &nph))
		return 0;
	image = elf_rawfile(elf, &size);
	for (size_t i = 0; image && i < nph; i++) {
		uint64_t at = pc - bias, in, off;
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || at < ph.p_vaddr ||
		    at - ph.p_vaddr >= ph.p_filesz)
			continue;
		in = at - ph.p_vaddr;
		off = ph.p_offset + in;
		if (ph.p_offset > size || in >= size - ph.p_offset)
			return 0;
		len = len < size - off ? len : size - off;
		len = len < ph.p_filesz - in ? len : ph.p_filesz - in;
		memcpy(buf, image + off, len);
		return len;
	}
	return 0;
}

/*
 * @mark for thread @tid if the instruction at its pc accesses one of the core's objects (a
 * thread that waited in the fault on device memory when the process died is left there).
 */
static bool core_access_mark(const struct core_walk *w, pid_t tid, struct stack_mark *mark)
{
	const struct user_regs_struct *r = NULL;
	unsigned char insn[16];
	size_t got;

	for (size_t i = 0; i < w->nregs && !r; i++)
		if (w->regs[i].tid == tid)
			r = &w->regs[i].regs;
	if (!r || !w->marks->objs)
		return false;
	got = module_code(w->dwfl, r->rip, insn, sizeof(insn));
	if (!got || !stack_access_address(insn, got, r, &mark->addr))
		return false;
	mark->ob = stack_object_at(w->marks->objs, mark->addr);
	return mark->ob;
}

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
	struct stack_mark access = { .what = "at an access to" };

	if (w->marks->crashed && tid == w->marks->crashed)
		stack_thread_print(w->f, tid, NULL, "crashed", w->marks->fault);
	else
		stack_thread_print(w->f, tid, NULL, NULL,
				   core_access_mark(w, tid, &access) ? &access : NULL);
	w->frame = 0;
	/* An unwind that ends early says why; the frames found stay printed. */
	if (dwfl_thread_getframes(thread, core_frame, w) < 0 && w->frame < STACK_MAX_FRAMES)
		fprintf(w->f, "  (unwinding stopped: %s)\n", dwfl_errmsg(-1));
	else if (w->frame >= STACK_MAX_FRAMES)
		fprintf(w->f, "  (more frames not shown)\n");
	return DWARF_CB_OK;
}

int stack_core(FILE *f, int fd, const char *exe, const struct stack_core_marks *marks)
{
	static char *debuginfo_path;
	static const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.debuginfo_path = &debuginfo_path,
	};
	struct core_walk w = { .f = f, .marks = marks };
	Elf *core;
	int err = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -error(ENOSYS, "libelf: %s", elf_errmsg(-1));
	core = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!core)
		return -error(ENOEXEC, "the core: %s", elf_errmsg(-1));
	/* The registers serve only to find threads that access an object. */
	if (iodbg_objects_count(marks->objs) && core_thread_regs(&w, core)) {
		err = -error(ENOMEM, "out of memory");
		goto out;
	}
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
	free(w.regs);
	return err;
}
