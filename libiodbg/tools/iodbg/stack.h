/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Threads' stacks as iodbg stacks (live, libunwind over ptrace) and iodbg-coredump's report
 * (a core, libdwfl) print them: one presentation, symbols by libdwfl for both (stack.c).
 */
#ifndef IODBG_TOOL_STACK_H
#define IODBG_TOOL_STACK_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/user.h>

#include <iodbg/iodbg.h>

#define STACK_MAX_FRAMES	64	/* a looping unwind of hostile memory ends here */

/* The device memory a thread waits on or faulted at. */
struct stack_mark {
	const char *what;		/* "blocked on", "faulted on" */
	uint64_t addr;
	const struct iodbg_object *ob;	/* the iodbg object mapped there, or NULL */
	const char *mapping;		/* the mapping's name, or NULL */
};

/* "Thread TID (COMM), NOTE:" and, if @mark, the device memory it involves. */
void stack_thread_print(FILE *f, pid_t tid, const char *comm, const char *note,
			const struct stack_mark *mark);
/*
 * Frame @n at @pc: its function and module from @dwfl. @exact: @pc is where the thread is
 * (frame 0, a signal frame), else a return address, looked up one byte before.
 */
void stack_frame_print(FILE *f, Dwfl *dwfl, unsigned int n, uint64_t pc, bool exact);
/*
 * The memory address the x86-64 instruction at @insn (@len bytes read from the thread's pc)
 * accesses, from the thread's registers @regs: true and *@addr if it has a memory operand
 * this decodes (legacy and VEX encodings; not RIP-relative nor fs/gs-based ones).
 */
bool stack_access_address(const unsigned char *insn, size_t len,
			  const struct user_regs_struct *regs, uint64_t *addr);
/* The object of @objs mapped at @addr, or NULL. */
const struct iodbg_object *stack_object_at(const struct iodbg_objects *objs, uint64_t addr);

/*
 * Call @fn(@arg, desc) on each note of type @type with a descriptor of @size bytes in the
 * PT_NOTE segments of core @core, in order, until it returns non-zero: that, or 0. The
 * descriptor need not be aligned.
 */
int core_each_note(Elf *core, uint32_t type, size_t size,
		   int (*fn)(void *arg, const void *desc), void *arg);

/* What iodbg-coredump's report marks in a core's stacks. */
struct stack_core_marks {
	pid_t crashed;				/* the thread the signal killed, or 0 */
	const struct stack_mark *fault;		/* its fault on device memory, or NULL */
	/* The core's objects: another thread whose pc accesses one is marked. */
	const struct iodbg_objects *objs;
};

/*
 * Every thread's stack in the core @fd (read only), the modules found by build id and from
 * @exe (or NULL), marked as @marks says. 0, or a negative errno with a message.
 */
int stack_core(FILE *f, int fd, const char *exe, const struct stack_core_marks *marks);

#endif /* IODBG_TOOL_STACK_H */
