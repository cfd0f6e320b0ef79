// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iodbg stacks: each thread's stack (libunwind over ptrace, symbols by libdwfl), the threads
 * blocked on device memory marked with the address and the iodbg object.
 *
 * A thread that touches a mapping whose object cannot be mapped now (an SPU context's
 * registers while the context is off the SPEs) waits in the kernel's fault handler,
 * iodbg_vm_fault, which /proc/PID/task/TID/wchan names. Stopped under ptrace, such a thread
 * leaves the fault to be retried: its pc is the faulting instruction, whose memory operand
 * gives the address.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libunwind-ptrace.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <unistd.h>

#include "dump.h"
#include "stack.h"

#define WCHAN_DEVICE	"iodbg_vm_fault"	/* the iodbg module's fault handler, waiting */

static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, size, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Was thread @tid waiting in the iodbg fault handler (read before it is stopped)? */
static bool waits_on_device(pid_t pid, pid_t tid)
{
	char path[96], wchan[128];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", (int)pid, (int)tid);
	read_line(path, wchan, sizeof(wchan));
	return !strncmp(wchan, WCHAN_DEVICE, strlen(WCHAN_DEVICE));
}

static int cmp_tid(const void *a, const void *b)
{
	const struct thread *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static void print_thread(struct dump *d, Dwfl *dwfl, unw_addr_space_t as, const struct thread *th,
			 bool blocked)
{
	struct stack_mark mark = { .what = "blocked on" };
	char path[96], comm[64];
	struct user_regs_struct regs;
	unw_cursor_t cursor;
	unsigned int n = 0;
	void *upt;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)d->pid, (int)th->tid);
	read_line(path, comm, sizeof(comm));
	if (blocked && !ptrace(PTRACE_GETREGS, th->tid, NULL, &regs)) {
		unsigned char insn[16];
		ssize_t got = iodbg_read(d->t, regs.rip, insn, sizeof(insn), NULL);
		const struct iodbg_map *m;

		if (got > 0 && stack_access_address(insn, got, &regs, &mark.addr)) {
			mark.ob = stack_object_at(d->objs, mark.addr);
			m = iodbg_maps_find(d->maps, mark.addr);
			mark.mapping = m ? m->path : NULL;
		}
	}
	stack_thread_print(stdout, th->tid, comm[0] ? comm : NULL,
			   blocked ? "blocked" : NULL,
			   blocked && mark.addr ? &mark : NULL);
	upt = _UPT_create(th->tid);
	if (!upt) {
		printf("  (cannot unwind: out of memory)\n");
		return;
	}
	err = unw_init_remote(&cursor, as, upt);
	while (!err && n < STACK_MAX_FRAMES) {
		unw_word_t ip;

		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) || !ip)
			break;
		/* Frame 0 and signal frames are where the thread is; the others return there. */
		stack_frame_print(stdout, dwfl, n, ip, !n || unw_is_signal_frame(&cursor) > 0);
		n++;
		err = unw_step(&cursor);
		err = err > 0 ? 0 : err ? err : 1;
	}
	if (err < 0)
		printf("  (unwinding stopped: %s)\n", unw_strerror(err));
	else if (n >= STACK_MAX_FRAMES)
		printf("  (more frames not shown)\n");
	_UPT_destroy(upt);
}

static int do_stacks(struct options *o, int argc, char **argv)
{
	static char *debuginfo_path;
	static const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_linux_proc_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.debuginfo_path = &debuginfo_path,
	};
	struct dump d = { .fd = -1 };
	bool *blocked = NULL;
	pid_t *tids = NULL;
	size_t ntids = 0;
	unw_addr_space_t as = NULL;
	Dwfl *dwfl = NULL;
	char path[64];
	DIR *dir;
	struct dirent *de;
	int status = 1, err;

	(void)argc;
	if (!parse_pid(argv[0], &d.pid))
		return error(EXIT_USAGE, "bad PID '%s'", argv[0]);
	if (open_target(o, d.pid, &d.t))
		return 1;
	/* Who waits on device memory, before the stop ends the wait. */
	snprintf(path, sizeof(path), "/proc/%d/task", (int)d.pid);
	dir = opendir(path);
	if (!dir) {
		error(1, "cannot list the threads of %d: %m", (int)d.pid);
		goto out;
	}
	while ((de = readdir(dir))) {
		pid_t tid = atoi(de->d_name);
		pid_t *t2;
		bool *b2;

		if (tid <= 0)
			continue;
		t2 = reallocarray(tids, ntids + 1, sizeof(*t2));
		if (t2)
			tids = t2;
		b2 = reallocarray(blocked, ntids + 1, sizeof(*b2));
		if (b2)
			blocked = b2;
		if (!t2 || !b2) {
			closedir(dir);
			error(1, "out of memory");
			goto out;
		}
		tids[ntids] = tid;
		blocked[ntids++] = waits_on_device(d.pid, tid);
	}
	closedir(dir);
	if (dump_stop_all(&d))
		goto out;
	if (iodbg_maps_read(d.t, &d.maps)) {
		error(1, "%s", iodbg_errmsg(d.t));
		goto out;
	}
	err = iodbg_objects(d.t, &d.objs);
	if (err && err != -ENODEV)
		error(0, "stacks: without iodbg objects: %s", iodbg_errmsg(d.t));
	dwfl = dwfl_begin(&callbacks);
	if (!dwfl || dwfl_linux_proc_report(dwfl, d.pid) || dwfl_report_end(dwfl, NULL, NULL))
		error(0, "stacks: without function names: %s", dwfl_errmsg(-1));
	as = unw_create_addr_space(&_UPT_accessors, 0);
	if (!as) {
		error(1, "libunwind: cannot create an address space");
		goto out;
	}
	qsort(d.threads, d.nthreads, sizeof(*d.threads), cmp_tid);
	for (size_t i = 0; i < d.nthreads; i++) {
		bool b = false;

		for (size_t k = 0; k < ntids; k++)
			if (tids[k] == d.threads[i].tid)
				b = blocked[k];
		if (i)
			putchar('\n');
		print_thread(&d, dwfl, as, &d.threads[i], b);
	}
	status = 0;
out:
	dump_resume_all(&d);
	if (as)
		unw_destroy_addr_space(as);
	if (dwfl)
		dwfl_end(dwfl);
	free(d.threads);
	free(tids);
	free(blocked);
	iodbg_objects_free(d.objs);
	iodbg_maps_free(d.maps);
	close_target(o, d.t);
	return status;
}

static const struct option stacks_opts[] = { OPT_HELP, OPT_END };

const struct command stacks_command = {
	"stacks", do_stacks, 1, "h", stacks_opts,
	"usage: iodbg stacks PID\n"
	"Print each thread's stack (unwound by libunwind over ptrace, while PID is stopped) and\n"
	"mark the threads blocked on device memory (waiting in the iodbg module's fault handler,\n"
	"as a thread that touches an SPU context's registers while the context is off the SPEs\n"
	"does) with the address they fault at and the iodbg object mapped there.\n"
};
