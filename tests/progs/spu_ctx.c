// SPDX-License-Identifier: GPL-2.0
/*
 * spu_ctx: a target process that creates spu_sim contexts, maps each one's local store and
 * registers, fills each local store with a pattern of its own through the mapping and waits for
 * a debugger.
 *
 *   spu_ctx COUNT
 *
 * Prints one line per context, "ctx index=I id=CTX ls_id=ID regs_id=ID ls_fd=FD regs_fd=FD
 * ls=0xADDR regs=0xADDR regs_size=BYTES", then "ordinary addr=0xADDR size=BYTES" for a buffer
 * of ordinary memory the size of a local store (the 64-bit word at offset O holds O), then
 * "ready pid=PID addr=0xADDR size=BYTES" for the first local store, and serves commands on
 * stdin (I: a context's index):
 *   read I OFFSET LENGTH  print the bytes context I's local store mapping shows, as hex
 *   regs I OFFSET LENGTH  the same for its register mapping, which waits while the context is
 *                         off the SPEs
 *   yield I, stop I, start I
 *                         SPU_SIM_IOC_YIELD, _STOP, _START; print "ok" or "error ERRNO"
 *   mbox I                SPU_SIM_IOC_MBOX_READ; print "mbox DATA COUNT" or "error ERRNO"
 *   wbox I DATA           SPU_SIM_IOC_MBOX_WRITE; print "ok COUNT" or "error ERRNO"
 *   close I               close both files of context I (the mappings stay); print "ok"
 *   unmap I               unmap both mappings of context I; print "ok"
 *   map I                 map both files of context I again (after unmap, while the files
 *                         are open); print "ok" or "error ERRNO"
 *   thread                start a thread that only waits; print "thread tid=TID"
 *   time I OFFSET LENGTH CHUNK REPEAT read|write
 *                         time this program's own copy of that range of context I's local
 *                         store mapping (timecopy.h, make bench's ceiling); print "ns T"
 *   quit                  exit 0
 * SIGUSR1 prints "sigusr1", whatever the program is doing.
 * The pattern: the 64-bit word at byte offset O < SPU_SIM_LS_COUNTER of the local store whose
 * iodbg object id is ID holds SPU_PATTERN | ID << 32 | O.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/spu_sim.h>
#include "hexline.h"
#include "timecopy.h"

#define SPU_PATTERN 0x5000000000000000ULL
#define MAX_CTXS 16

struct ctx {
	struct spu_sim_create create;
	unsigned char *ls;
	unsigned char *regs;
	size_t regs_size;
};

static struct ctx ctxs[MAX_CTXS];

static void on_sigusr1(int sig)
{
	static const char msg[] = "sigusr1\n";
	ssize_t ret = write(STDOUT_FILENO, msg, sizeof(msg) - 1);

	(void)sig;
	(void)ret;
}

static void *map(int fd, size_t size)
{
	return mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

static void *map_or_exit(int fd, size_t size)
{
	void *addr = map(fd, size);

	if (addr == MAP_FAILED) {
		perror("spu_ctx: mmap");
		exit(1);
	}
	return addr;
}

static void create_ctx(int ctl, struct ctx *ctx)
{
	uint64_t *words;

	ctx->create.size = sizeof(ctx->create);
	if (ioctl(ctl, SPU_SIM_IOC_CREATE, &ctx->create)) {
		perror("spu_ctx: SPU_SIM_IOC_CREATE");
		exit(1);
	}
	ctx->regs_size = sysconf(_SC_PAGESIZE);
	ctx->ls = map_or_exit(ctx->create.ls_fd, SPU_SIM_LS_SIZE);
	ctx->regs = map_or_exit(ctx->create.regs_fd, ctx->regs_size);
	words = (uint64_t *)ctx->ls;
	for (size_t i = 0; i < SPU_SIM_LS_COUNTER / sizeof(*words); i++)
		words[i] = SPU_PATTERN | ctx->create.ls_id << 32 | (i * sizeof(*words));
}

static void print_bytes(const unsigned char *mem, size_t size, unsigned long off,
			unsigned long len)
{
	if (!mem || off > size || len > size - off) {
		printf("error: bad range\n");
		return;
	}
	print_hex_line(mem + off, len);
}

static void *idle_thread(void *tid)
{
	__atomic_store_n((pid_t *)tid, gettid(), __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

/* Start a thread that only waits, for debuggers to name the process by a thread id. */
static void start_thread(void)
{
	static pid_t tid;
	pthread_t thread;

	__atomic_store_n(&tid, 0, __ATOMIC_RELAXED);
	if (pthread_create(&thread, NULL, idle_thread, &tid)) {
		printf("error: pthread_create\n");
		return;
	}
	while (!__atomic_load_n(&tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	printf("thread tid=%d\n", (int)tid);
}

static void print_result(int ret)
{
	if (ret)
		printf("error %d\n", errno);
	else
		printf("ok\n");
}

static void mbox(struct ctx *ctx, unsigned long request, unsigned int data)
{
	struct spu_sim_mbox mbox = { .size = sizeof(mbox), .data = data };

	if (ioctl(ctx->create.ls_fd, request, &mbox))
		printf("error %d\n", errno);
	else if (request == SPU_SIM_IOC_MBOX_READ)
		printf("mbox %u %u\n", mbox.data, mbox.count);
	else
		printf("ok %u\n", mbox.count);
}

static void unmap(struct ctx *ctx)
{
	munmap(ctx->ls, SPU_SIM_LS_SIZE);
	munmap(ctx->regs, ctx->regs_size);
	ctx->ls = NULL;
	ctx->regs = NULL;
	printf("ok\n");
}

static void map_again(struct ctx *ctx)
{
	void *ls = map(ctx->create.ls_fd, SPU_SIM_LS_SIZE);
	void *regs = ls == MAP_FAILED ? MAP_FAILED : map(ctx->create.regs_fd, ctx->regs_size);

	if (regs == MAP_FAILED) {
		printf("error %d\n", errno);
		if (ls != MAP_FAILED)
			munmap(ls, SPU_SIM_LS_SIZE);
		return;
	}
	ctx->ls = ls;
	ctx->regs = regs;
	printf("ok\n");
}

static void close_files(struct ctx *ctx)
{
	close(ctx->create.ls_fd);
	close(ctx->create.regs_fd);
	printf("ok\n");
}

static void serve(int count)
{
	char line[128], cmd[16];

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long off = 0, len = 0;
		int i = -1, n;
		struct ctx *ctx;

		n = 0;
		if (sscanf(line, "time %d %n", &i, &n) == 1 && n && i >= 0 && i < count) {
			timecopy_serve(ctxs[i].ls, SPU_SIM_LS_SIZE, line + n);
			fflush(stdout);
			continue;
		}
		n = sscanf(line, "%15s %d %lu %lu", cmd, &i, &off, &len);
		if (n >= 1 && !strcmp(cmd, "quit"))
			return;
		if (n == 1 && !strcmp(cmd, "thread")) {
			start_thread();
			fflush(stdout);
			continue;
		}
		if (n < 2 || i < 0 || i >= count) {
			printf("error: bad command: %s", line);
			fflush(stdout);
			continue;
		}
		ctx = &ctxs[i];
		if (!strcmp(cmd, "read") && n == 4)
			print_bytes(ctx->ls, SPU_SIM_LS_SIZE, off, len);
		else if (!strcmp(cmd, "regs") && n == 4)
			print_bytes(ctx->regs, ctx->regs_size, off, len);
		else if (!strcmp(cmd, "yield"))
			print_result(ioctl(ctx->create.ls_fd, SPU_SIM_IOC_YIELD, 0));
		else if (!strcmp(cmd, "stop"))
			print_result(ioctl(ctx->create.ls_fd, SPU_SIM_IOC_STOP, 0));
		else if (!strcmp(cmd, "start"))
			print_result(ioctl(ctx->create.regs_fd, SPU_SIM_IOC_START, 0));
		else if (!strcmp(cmd, "mbox"))
			mbox(ctx, SPU_SIM_IOC_MBOX_READ, 0);
		else if (!strcmp(cmd, "wbox") && n == 3)
			mbox(ctx, SPU_SIM_IOC_MBOX_WRITE, off);
		else if (!strcmp(cmd, "close"))
			close_files(ctx);
		else if (!strcmp(cmd, "unmap"))
			unmap(ctx);
		else if (!strcmp(cmd, "map"))
			map_again(ctx);
		else
			printf("error: bad command: %s", line);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigusr1, .sa_flags = SA_RESTART };
	uint64_t *ordinary;
	int count, ctl;

	if (argc != 2) {
		fprintf(stderr, "usage: spu_ctx COUNT\n");
		return 2;
	}
	count = atoi(argv[1]);
	if (count < 1 || count > MAX_CTXS)
		return 2;
	sigaction(SIGUSR1, &sa, NULL);
	ctl = open("/dev/" SPU_SIM_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		perror("spu_ctx: /dev/" SPU_SIM_DEVICE_NAME);
		return 1;
	}
	for (int i = 0; i < count; i++)
		create_ctx(ctl, &ctxs[i]);
	close(ctl);
	for (int i = 0; i < count; i++) {
		struct ctx *ctx = &ctxs[i];

		printf("ctx index=%d id=%llu ls_id=%llu regs_id=%llu ls_fd=%d regs_fd=%d ls=%p "
		       "regs=%p regs_size=%zu\n", i, (unsigned long long)ctx->create.ctx_id,
		       (unsigned long long)ctx->create.ls_id,
		       (unsigned long long)ctx->create.regs_id, ctx->create.ls_fd,
		       ctx->create.regs_fd, (void *)ctx->ls, (void *)ctx->regs, ctx->regs_size);
	}
	ordinary = mmap(NULL, SPU_SIM_LS_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (ordinary == MAP_FAILED) {
		perror("spu_ctx: mmap");
		return 1;
	}
	for (size_t i = 0; i < SPU_SIM_LS_SIZE / sizeof(*ordinary); i++)
		ordinary[i] = i * sizeof(*ordinary);
	printf("ordinary addr=%p size=%u\n", (void *)ordinary, SPU_SIM_LS_SIZE);
	printf("ready pid=%d addr=%p size=%u\n", getpid(), (void *)ctxs[0].ls, SPU_SIM_LS_SIZE);
	fflush(stdout);
	serve(count);
	return 0;
}
