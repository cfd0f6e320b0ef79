// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iodbg-spu-stub PID CTX: serve the local store of one SPU context of process PID to gdb over
 * the remote protocol on stdin/stdout, as its own address space:
 *
 *	(gdb) target remote | iodbg-spu-stub PID CTX
 *	(gdb) x/4wx 0x100
 *
 * CTX is the iodbg object id of the context's local store, as "iodbg objects PID" lists it
 * (kind spu_ls). Address 0 is local store offset 0. The bytes are read and written through
 * libiodbg, so wherever the context is now (on an SPE or saved) gdb sees its current contents.
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
#include <linux/iodbg.h>

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

/*
 * A mapping of object @id in the process that holds @offset, looked up again on every access:
 * the process may unmap or remap its objects at any time, and a stale address would read
 * whatever is mapped there now.
 */
static int find_mapping(struct spu_ctx *ctx, uint64_t id, uint64_t offset,
			struct iodbg_object *map)
{
	struct iodbg_objects *objs;
	int ret = iodbg_objects(ctx->target, &objs), mapped = 0;

	if (ret < 0) {
		warn_msg("%s", iodbg_errmsg(ctx->target));
		return ret;
	}
	ret = -EFAULT;
	for (size_t i = 0; i < iodbg_objects_count(objs); i++) {
		const struct iodbg_object *o = iodbg_objects_get(objs, i);

		if (o->id != id)
			continue;
		mapped = 1;
		if (offset >= o->offset && offset - o->offset < o->length) {
			*map = *o;
			ret = 0;
			break;
		}
	}
	iodbg_objects_free(objs);
	if (ret)
		warn_msg("process %d maps %s of object %" PRIu64 " at offset 0x%" PRIx64
			 " (libiodbg reads objects only through a mapping yet)", (int)ctx->pid,
			 mapped ? "no part" : "nothing", id, offset);
	return ret;
}

/*
 * Where object @id is at @offset in the process: the address of a mapping that holds it, and
 * how many bytes from there that mapping holds.
 */
static int mapped_address(struct spu_ctx *ctx, uint64_t id, uint64_t offset, uint64_t *addr,
			  uint64_t *room)
{
	struct iodbg_object map;
	int ret = find_mapping(ctx, id, offset, &map);

	if (ret < 0)
		return ret;
	*addr = map.start + (offset - map.offset);
	*room = map.offset + map.length - offset;
	return 0;
}

/* Say why a transfer of @len bytes came up short. */
static ssize_t check_transfer(struct spu_ctx *ctx, ssize_t n, size_t len)
{
	if (n < (ssize_t)len)
		warn_msg("%s", iodbg_errmsg(ctx->target));
	return n;
}

/*
 * The two places that move the context's bytes, through the process's mapping of the object,
 * up to the end of that mapping. When libiodbg has iodbg_object_read() and
 * iodbg_object_write() (by object id, mapped or not), each body becomes that one call.
 */
static ssize_t object_read(struct spu_ctx *ctx, uint64_t id, uint64_t offset, void *buf,
			   size_t len)
{
	uint64_t addr, room;
	int ret = mapped_address(ctx, id, offset, &addr, &room);

	if (ret < 0)
		return ret;
	if (len > room)
		len = (size_t)room;
	return check_transfer(ctx, iodbg_read(ctx->target, addr, buf, len, NULL), len);
}

static ssize_t object_write(struct spu_ctx *ctx, uint64_t id, uint64_t offset, const void *buf,
			    size_t len)
{
	uint64_t addr, room;
	int ret = mapped_address(ctx, id, offset, &addr, &room);

	if (ret < 0)
		return ret;
	if (len > room)
		len = (size_t)room;
	return check_transfer(ctx, iodbg_write(ctx->target, addr, buf, len, NULL), len);
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
	struct spu_sim_regs regs;
	int ret = read_regs(priv, &regs);

	if (!ret)
		*npc = regs.npc;
	return ret;
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
	int mapped = 0;

	for (size_t i = 0; i < iodbg_objects_count(objs); i++) {
		const struct iodbg_object *o = iodbg_objects_get(objs, i);

		if (o->id != id)
			continue;
		if (!mapped)
			append(buf, size, "%s: object %" PRIu64 ", %" PRIu64 " bytes, placement %s",
			       what, id, o->size, iodbg_placement_name(o->placement));
		if (!mapped && o->unit >= 0)
			append(buf, size, " (unit %d)", (int)o->unit);
		append(buf, size, "%s mapped at 0x%" PRIx64 "-0x%" PRIx64 " (offset 0x%" PRIx64 ")",
		       mapped ? "," : ";", o->start, o->start + o->length, o->offset);
		mapped = 1;
	}
	append(buf, size, mapped ? "\n" : "%s: object %" PRIu64 ", not mapped by the process\n",
	       what, id);
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

/* Check that @ctx->ls_id is a local store the process maps; fill in the rest of @ctx. */
static int find_context(struct spu_ctx *ctx)
{
	struct iodbg_objects *objs;
	const struct iodbg_object *found = NULL;
	char ids[256];

	if (iodbg_objects(ctx->target, &objs) < 0) {
		warn_msg("cannot list the iodbg objects of process %d: %s", (int)ctx->pid,
			 iodbg_errmsg(ctx->target));
		return -1;
	}
	for (size_t i = 0; i < iodbg_objects_count(objs) && !found; i++)
		if (iodbg_objects_get(objs, i)->id == ctx->ls_id)
			found = iodbg_objects_get(objs, i);
	list_local_stores(objs, ids, sizeof(ids));
	if (!found)
		warn_msg("process %d maps no iodbg object %" PRIu64 " (its SPU local stores: %s)",
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
