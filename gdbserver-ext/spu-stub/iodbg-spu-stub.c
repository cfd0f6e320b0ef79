// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iodbg-spu-stub PID CTX: serve the local store of one SPU context of process PID to gdb over
 * the remote protocol on stdin/stdout, as its own address space:
 *
 *	(gdb) target remote | iodbg-spu-stub PID CTX
 *	(gdb) x/4wx 0x100
 *
 * CTX is the iodbg object id of the context's local store, as "iodbg objects PID" lists it
 * (kind spu_ls): one the process maps or holds open. Address 0 is local store offset 0. The
 * bytes are read and written by object through libiodbg, so wherever the context is now (on an
 * SPE or saved, mapped or not) gdb sees its current contents.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <iodbg/iodbg.h>
#include <linux/spu_sim.h>

#include "stub.h"

#define PROG "iodbg-spu-stub"

struct spu_ctx {
	struct iodbg_target *target;
	pid_t pid;
	uint64_t ls_id;		/* the context's local store object, */
	uint64_t regs_id;	/* and its register object, the local store's owner */
	uint64_t ls_size;
};

static void __attribute__((format(printf, 1, 2))) warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Say why a transfer of @len bytes came up short. */
static ssize_t check_transfer(struct spu_ctx *ctx, ssize_t n, size_t len)
{
	if (n < (ssize_t)len)
		warn_msg("%s", iodbg_errmsg(ctx->target));
	return n;
}

/*
 * The two places that move the context's bytes: by object id, so that gdb sees the context
 * whether or not the process maps it now, and never bytes of whatever a stale address maps.
 */
static ssize_t object_read(struct spu_ctx *ctx, uint64_t id, uint64_t offset, void *buf,
			   size_t len)
{
	return check_transfer(ctx, iodbg_object_read(ctx->target, id, offset, buf, len, NULL),
			      len);
}

static ssize_t object_write(struct spu_ctx *ctx, uint64_t id, uint64_t offset, const void *buf,
			    size_t len)
{
	return check_transfer(ctx, iodbg_object_write(ctx->target, id, offset, buf, len, NULL),
			      len);
}

static ssize_t ls_read(void *priv, uint64_t offset, void *buf, size_t len)
{
	struct spu_ctx *ctx = priv;

	return object_read(ctx, ctx->ls_id, offset, buf, len);
}

static ssize_t ls_write(void *priv, uint64_t offset, const void *buf, size_t len)
{
	struct spu_ctx *ctx = priv;

	return object_write(ctx, ctx->ls_id, offset, buf, len);
}

/* The whole struct spu_sim_regs, or a negative errno. */
static int read_regs(struct spu_ctx *ctx, struct spu_sim_regs *regs)
{
	ssize_t n = object_read(ctx, ctx->regs_id, 0, regs, sizeof(*regs));

	if (n < 0)
		return (int)n;
	return n == sizeof(*regs) ? 0 : -EIO;
}

static int ctx_npc(void *priv, uint32_t *npc)
{
	ssize_t n = object_read(priv, ((struct spu_ctx *)priv)->regs_id,
				offsetof(struct spu_sim_regs, npc), npc, sizeof(*npc));

	if (n < 0)
		return (int)n;
	return n == sizeof(*npc) ? 0 : -EIO;
}

/* Append to @buf, never past @size. */
static void __attribute__((format(printf, 3, 4))) append(char *buf, size_t size,
							  const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

static void describe_object(char *buf, size_t size, const char *what, uint64_t id,
			    const struct iodbg_objects *objs)
{
	const struct iodbg_object *first = iodbg_objects_find(objs, id);
	int mapped = 0;

	if (!first) {
		append(buf, size, "%s: object %" PRIu64 ", neither mapped nor held by the process\n",
		       what, id);
		return;
	}
	append(buf, size, "%s: object %" PRIu64 ", %" PRIu64 " bytes, placement %s", what, id,
	       first->size, iodbg_placement_name(first->placement));
	if (first->unit >= 0)
		append(buf, size, " (unit %d)", (int)first->unit);
	for (size_t i = 0; i < iodbg_objects_count(objs); i++) {
		const struct iodbg_object *o = iodbg_objects_get(objs, i);

		if (o->id != id || !o->length)
			continue;
		append(buf, size, "%s mapped at 0x%" PRIx64 "-0x%" PRIx64 " (offset 0x%" PRIx64 ")",
		       mapped ? "," : ";", o->start, o->start + o->length, o->offset);
		mapped = 1;
	}
	append(buf, size, "%s\n", mapped ? "" : "; not mapped, its file held open");
}

static void ctx_describe(void *priv, char *buf, size_t size)
{
	struct spu_ctx *ctx = priv;
	struct iodbg_objects *objs;
	struct spu_sim_regs regs;

	append(buf, size, "process %d, SPU context of local store object %" PRIu64 "\n",
	       (int)ctx->pid, ctx->ls_id);
	if (iodbg_objects(ctx->target, &objs) < 0) {
		append(buf, size, "cannot list its objects: %s\n", iodbg_errmsg(ctx->target));
		return;
	}
	describe_object(buf, size, "local store", ctx->ls_id, objs);
	describe_object(buf, size, "registers", ctx->regs_id, objs);
	iodbg_objects_free(objs);
	if (read_regs(ctx, &regs) < 0) {
		append(buf, size, "npc: cannot read the registers\n");
		return;
	}
	append(buf, size, "npc 0x%05" PRIx32 ", status %s%s, %llu steps run, %llu loads onto an "
	       "SPE\n", regs.npc, regs.status & SPU_SIM_STATUS_RUNNING ? "running" : "saved",
	       regs.status & SPU_SIM_STATUS_STOPPED ? " (stopped)" : "",
	       (unsigned long long)regs.run_ticks, (unsigned long long)regs.loads);
}

static const struct spu_space_ops ctx_ops = {
	.read = ls_read,
	.write = ls_write,
	.npc = ctx_npc,
	.describe = ctx_describe,
};

static int compare_ids(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The ids of the SPU local stores the process maps, in order, for a message: "5, 7" or "none". */
static void list_local_stores(const struct iodbg_objects *objs, char *buf, size_t size)
{
	size_t count = iodbg_objects_count(objs), n = 0;
	uint64_t *ids = calloc(count ? count : 1, sizeof(*ids));

	snprintf(buf, size, "none");
	if (!ids)
		return;
	for (size_t i = 0; i < count; i++)
		if (iodbg_objects_get(objs, i)->kind == IODBG_KIND_SPU_LS)
			ids[n++] = iodbg_objects_get(objs, i)->id;
	qsort(ids, n, sizeof(*ids), compare_ids);
	if (n)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!i || ids[i] != ids[i - 1])
			append(buf, size, "%s%" PRIu64, i ? ", " : "", ids[i]);
	free(ids);
}

/* Check that @ctx->ls_id is a local store the process maps or holds; fill in the rest of @ctx. */
static int find_context(struct spu_ctx *ctx)
{
	struct iodbg_objects *objs;
	const struct iodbg_object *found;
	char ids[256];

	if (iodbg_objects(ctx->target, &objs) < 0) {
		warn_msg("cannot list the iodbg objects of process %d: %s", (int)ctx->pid,
			 iodbg_errmsg(ctx->target));
		return -1;
	}
	found = iodbg_objects_find(objs, ctx->ls_id);
	list_local_stores(objs, ids, sizeof(ids));
	if (!found)
		warn_msg("process %d has no iodbg object %" PRIu64 " (its SPU local stores: %s)",
			 (int)ctx->pid, ctx->ls_id, ids);
	else if (found->kind != IODBG_KIND_SPU_LS)
		warn_msg("object %" PRIu64 " of process %d is a %s, not an SPU local store "
			 "(its SPU local stores: %s)", ctx->ls_id, (int)ctx->pid,
			 iodbg_object_kind_name(found->kind), ids);
	if (found && found->kind == IODBG_KIND_SPU_LS) {
		ctx->regs_id = found->owner;
		ctx->ls_size = found->size;
	}
	iodbg_objects_free(objs);
	return ctx->ls_size ? 0 : -1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " PID CTX\n"
		"Serve the local store of an SPU context of process PID to gdb as an address space:\n"
		"  (gdb) target remote | " PROG " PID CTX\n"
		"CTX is the iodbg object id of the context's local store (kind spu_ls in\n"
		"'iodbg objects PID'). The remote protocol runs on stdin and stdout.\n");
}

/* A whole decimal (or 0x hex) number no larger than @max. */
static int parse_number(const char *s, uint64_t max, uint64_t *value)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*value = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct spu_ctx ctx = { 0 };
	struct spu_space space;
	struct rsp *rsp;
	uint64_t pid;
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 3) {
		usage(stderr);
		return 2;
	}
	if (parse_number(argv[1], INT32_MAX, &pid) || !pid) {
		warn_msg("bad process id \"%s\"", argv[1]);
		return 2;
	}
	if (parse_number(argv[2], UINT64_MAX, &ctx.ls_id) || !ctx.ls_id) {
		warn_msg("bad context (local store object id) \"%s\"", argv[2]);
		return 2;
	}
	ctx.pid = (pid_t)pid;
	ret = iodbg_open(ctx.pid, 0, &ctx.target);
	if (ret < 0) {
		warn_msg("%s", iodbg_errmsg(NULL));
		return 1;
	}
	if (find_context(&ctx) < 0) {
		iodbg_close(ctx.target);
		return 1;
	}
	/* gdb going away mid-reply is an EPIPE to report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	if (isatty(STDIN_FILENO))
		warn_msg("speaks gdb's remote protocol on stdin/stdout: in gdb, "
			 "target remote | " PROG " %s %s", argv[1], argv[2]);
	space = (struct spu_space){ .ops = &ctx_ops, .priv = &ctx, .size = ctx.ls_size };
	rsp = malloc(sizeof(*rsp));
	if (!rsp) {
		warn_msg("out of memory");
		iodbg_close(ctx.target);
		return 1;
	}
	rsp_init(rsp, STDIN_FILENO, STDOUT_FILENO);
	ret = stub_serve(rsp, &space);
	free(rsp);
	iodbg_close(ctx.target);
	return ret;
}
