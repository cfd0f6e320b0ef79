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
 *
 * iodbg-spu-stub --ls-fd FD --regs-fd FD PID: the same, through files of the two objects that
 * the stub inherits. Finding the objects in the process needs the right to ptrace it, which
 * Yama's ptrace_scope=1 leaves to its ancestors: gdb, which started the program, has it and
 * the stub does not. So gdb copies the program's files (pidfd_getfd) and hands them over;
 * holding an object's file is the kernel's permission to read and write it. The stub serves
 * them only while the process still holds or maps the object, which it checks in /proc/PID/fd
 * and /proc/PID/maps (read access, which Yama leaves to the same user).
 *
 * --listen-fd FD: speak the protocol to the one connection accepted on the listening socket
 * FD, from the process that started the stub, instead of stdin/stdout; print "ready" on
 * stdout when the context is found (spu attach in gdb, which has to start the stub itself to
 * pass it files).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <iodbg/iodbg.h>
#include <linux/spu_sim.h>

#include "stub.h"

#define PROG "iodbg-spu-stub"

/* A file of an object, handed over by gdb: -1 when the stub finds the objects by pid. */
struct object_file {
	int fd;
	struct stat st;		/* its inode, to find it in the process */
};

struct spu_ctx {
	struct iodbg_target *target;	/* by pid: libiodbg finds the objects in the process */
	pid_t pid;
	uint64_t ls_id;		/* the context's local store object, */
	uint64_t regs_id;	/* and its register object, the local store's owner */
	uint64_t ls_size;
	struct object_file ls_file, regs_file;	/* by file */
};

/* How long a stub started with --listen-fd waits for gdb to connect. */
#define LISTEN_TIMEOUT_MS	60000
/* How long a stub that cannot start waits for gdb's first packet (failed_to_start()). */
#define START_FAILURE_WAIT_MS	5000

static void __attribute__((format(printf, 1, 2))) warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4))) append(char *buf, size_t size,
							  const char *fmt, ...);

/* Say why a transfer of @len bytes came up short. */
static ssize_t check_transfer(struct spu_ctx *ctx, ssize_t n, size_t len)
{
	if (n < (ssize_t)len)
		warn_msg("%s", iodbg_errmsg(ctx->target));
	return n;
}

/* Whether the magic link /proc/PID/fd/@name, in @dir, is a file of the object of inode @st. */
static int fd_is_object(int dir, const char *name, const struct stat *st)
{
	char link[sizeof(IODBG_FD_LINK_PREFIX) + 64];
	ssize_t n = readlinkat(dir, name, link, sizeof(link) - 1);
	struct stat fst;

	/* Only iodbg's own files are stat()ed: no FUSE or NFS server is ever asked. */
	if (n < (ssize_t)strlen(IODBG_FD_LINK_PREFIX) ||
	    memcmp(link, IODBG_FD_LINK_PREFIX, strlen(IODBG_FD_LINK_PREFIX)))
		return 0;
	return !fstatat(dir, name, &fst, 0) && fst.st_dev == st->st_dev && fst.st_ino == st->st_ino;
}

/*
 * Whether process @pid holds a file of the object of inode @st (*@held) or maps it, and then
 * 1. With @buf, each mapping of it is appended there as "%s0xSTART-0xEND (offset 0xOFF)".
 * Reads only /proc/PID/fd and /proc/PID/maps, whatever the process writes into them.
 */
static int process_has(pid_t pid, const struct stat *st, int *held, char *buf, size_t size)
{
	unsigned long long start, end, offset, ino;
	unsigned int dev_major, dev_minor;
	char path[64], *line = NULL;
	size_t line_size = 0;
	struct dirent *d;
	int mapped = 0;
	DIR *dir;
	FILE *f;

	*held = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (dir) {
		while (!*held && (d = readdir(dir)))
			*held = d->d_name[0] != '.' && fd_is_object(dirfd(dir), d->d_name, st);
		closedir(dir);
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	while (f && getline(&line, &line_size, f) > 0) {
		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &start, &end, &offset, &dev_major,
			   &dev_minor, &ino) != 6 || ino != st->st_ino ||
		    makedev(dev_major, dev_minor) != st->st_dev)
			continue;
		if (buf)
			append(buf, size, "%s0x%llx-0x%llx (offset 0x%llx)", mapped ? ", " : "",
			       start, end, offset);
		mapped = 1;
	}
	free(line);
	if (f)
		fclose(f);
	return *held || mapped;
}

static void forget_file(struct object_file *file)
{
	if (file->fd >= 0)
		close(file->fd);
	file->fd = -1;
}

/*
 * A transfer through a file gdb handed over, while the process still holds or maps the
 * object; once it does neither, both files are closed, so that the stub does not keep alive a
 * context the program is done with.
 */
static ssize_t file_transfer(struct spu_ctx *ctx, struct object_file *file, uint64_t id,
			     uint64_t offset, void *buf, size_t len, uint32_t flags)
{
	struct iodbg_rw rw = {
		.size = sizeof(rw), .addr = offset, .buf = (uintptr_t)buf, .len = len,
		.flags = flags,
	};
	int held;

	if (file->fd >= 0 && !process_has(ctx->pid, &file->st, &held, NULL, 0)) {
		forget_file(&ctx->ls_file);
		forget_file(&ctx->regs_file);
	}
	if (file->fd < 0) {
		warn_msg("process %d neither holds nor maps SPU context %" PRIu64 " any more",
			 (int)ctx->pid, ctx->ls_id);
		return -ENOENT;
	}
	if (ioctl(file->fd, IODBG_IOC_RW_OBJECT, &rw) < 0) {
		int err = errno;

		warn_msg("%s of %zu bytes at offset 0x%" PRIx64 " of object %" PRIu64 " stopped "
			 "after %llu bytes: %s", flags & IODBG_RW_WRITE ? "write" : "read", len,
			 offset, id, (unsigned long long)rw.done, strerror(err));
		return rw.done ? (ssize_t)rw.done : -err;
	}
	return (ssize_t)rw.done;
}

/*
 * The two places that move the context's bytes: by object, so that gdb sees the context
 * whether or not the process maps it now, and never bytes of whatever a stale address maps.
 */
static ssize_t object_read(struct spu_ctx *ctx, uint64_t id, uint64_t offset, void *buf,
			   size_t len)
{
	if (!ctx->target)
		return file_transfer(ctx, id == ctx->ls_id ? &ctx->ls_file : &ctx->regs_file, id,
				     offset, buf, len, 0);
	return check_transfer(ctx, iodbg_object_read(ctx->target, id, offset, buf, len, NULL),
			      len);
}

static ssize_t object_write(struct spu_ctx *ctx, uint64_t id, uint64_t offset, const void *buf,
			    size_t len)
{
	if (!ctx->target)
		return file_transfer(ctx, id == ctx->ls_id ? &ctx->ls_file : &ctx->regs_file, id,
				     offset, (void *)buf, len, IODBG_RW_WRITE);
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

/* describe_object() for an object gdb handed over a file of. */
static void describe_file(char *buf, size_t size, const char *what, uint64_t id,
			  const struct spu_ctx *ctx, const struct object_file *file)
{
	struct iodbg_object_info info;
	char mappings[512] = "";
	int held;

	if (file->fd < 0 || ioctl(file->fd, IODBG_IOC_OBJECT_INFO, &info) < 0 ||
	    !process_has(ctx->pid, &file->st, &held, mappings, sizeof(mappings))) {
		append(buf, size, "%s: object %" PRIu64 ", neither mapped nor held by the process\n",
		       what, id);
		return;
	}
	append(buf, size, "%s: object %" PRIu64 ", %llu bytes, placement %s", what, id,
	       (unsigned long long)info.size, iodbg_placement_name(info.placement));
	if (info.unit >= 0)
		append(buf, size, " (unit %d)", (int)info.unit);
	if (mappings[0])
		append(buf, size, "; mapped at %s\n", mappings);
	else
		append(buf, size, "; not mapped, its file held open\n");
}

static void ctx_describe(void *priv, char *buf, size_t size)
{
	struct spu_ctx *ctx = priv;
	struct iodbg_objects *objs;
	struct spu_sim_regs regs;

	append(buf, size, "process %d, SPU context of local store object %" PRIu64 "\n",
	       (int)ctx->pid, ctx->ls_id);
	if (!ctx->target) {
		describe_file(buf, size, "local store", ctx->ls_id, ctx, &ctx->ls_file);
		describe_file(buf, size, "registers", ctx->regs_id, ctx, &ctx->regs_file);
	} else if (iodbg_objects(ctx->target, &objs) < 0) {
		append(buf, size, "cannot list its objects: %s\n", iodbg_errmsg(ctx->target));
		return;
	} else {
		describe_object(buf, size, "local store", ctx->ls_id, objs);
		describe_object(buf, size, "registers", ctx->regs_id, objs);
		iodbg_objects_free(objs);
	}
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

/* Check a file gdb handed over: an iodbg object of @kind that process @pid holds or maps. */
static int check_file(struct spu_ctx *ctx, struct object_file *file, uint32_t kind,
		      const char *option, struct iodbg_object_info *info)
{
	struct statfs sfs;
	int held;

	if (fstat(file->fd, &file->st) < 0) {
		warn_msg("%s %d: %s", option, file->fd, strerror(errno));
		return -1;
	}
	/* Only iodbg's own files get an iodbg ioctl. */
	if (fstatfs(file->fd, &sfs) < 0 || sfs.f_type != IODBG_FS_MAGIC ||
	    ioctl(file->fd, IODBG_IOC_OBJECT_INFO, info) < 0) {
		warn_msg("%s %d is not a file of an iodbg object", option, file->fd);
		return -1;
	}
	if (info->kind != kind) {
		warn_msg("%s %d is a file of object %llu, a %s, not an %s", option, file->fd,
			 (unsigned long long)info->id, iodbg_object_kind_name(info->kind),
			 kind == IODBG_KIND_SPU_LS ? "SPU local store" : "SPU register object");
		return -1;
	}
	if (!process_has(ctx->pid, &file->st, &held, NULL, 0)) {
		warn_msg("process %d neither holds nor maps object %llu (%s %d)", (int)ctx->pid,
			 (unsigned long long)info->id, option, file->fd);
		return -1;
	}
	return 0;
}

/* find_context() for the files gdb handed over: they must be the two objects of a context. */
static int find_context_by_files(struct spu_ctx *ctx)
{
	struct iodbg_object_info ls, regs;

	if (kill(ctx->pid, 0) < 0 && errno == ESRCH) {
		warn_msg("no process %d", (int)ctx->pid);
		return -1;
	}
	if (check_file(ctx, &ctx->ls_file, IODBG_KIND_SPU_LS, "--ls-fd", &ls) < 0 ||
	    check_file(ctx, &ctx->regs_file, IODBG_KIND_SPU_REGS, "--regs-fd", &regs) < 0)
		return -1;
	if (ls.owner != regs.id) {
		warn_msg("--regs-fd %d is object %llu, not the registers of SPU context %llu",
			 ctx->regs_file.fd, (unsigned long long)regs.id, (unsigned long long)ls.id);
		return -1;
	}
	ctx->ls_id = ls.id;
	ctx->regs_id = regs.id;
	ctx->ls_size = ls.size;
	return 0;
}

/*
 * The one connection gdb makes to @listen_fd. Only the process that started the stub may
 * connect: another process of the same user could otherwise get at the context first.
 */
static int accept_gdb(int listen_fd)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
	struct ucred cred;
	socklen_t len;
	int fd, ret;

	for (;;) {
		ret = poll(&pfd, 1, LISTEN_TIMEOUT_MS);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			warn_msg("--listen-fd %d: %s", listen_fd,
				 ret ? strerror(errno) : "nobody connected");
			return -1;
		}
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			warn_msg("--listen-fd %d: %s", listen_fd, strerror(errno));
			return -1;
		}
		len = sizeof(cred);
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) && cred.pid == getppid())
			break;
		warn_msg("refused a connection from process %d: only the process that started the "
			 "stub may connect", (int)cred.pid);
		close(fd);
	}
	close(listen_fd);
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " PID CTX\n"
		"       " PROG " --ls-fd FD --regs-fd FD PID\n"
		"Serve the local store of an SPU context of process PID to gdb as an address space:\n"
		"  (gdb) target remote | " PROG " PID CTX\n"
		"CTX is the iodbg object id of the context's local store (kind spu_ls in\n"
		"'iodbg objects PID'). The remote protocol runs on stdin and stdout.\n"
		"  --ls-fd FD, --regs-fd FD  serve the context of these inherited files of its local\n"
		"                            store and register objects (what gdb's 'spu attach' does)\n"
		"  --listen-fd FD            speak the protocol to one connection accepted on this\n"
		"                            listening socket, from the stub's parent; print \"ready\"\n"
		"                            on stdout once the context is found\n");
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

/* An inherited, open file descriptor, for @option. */
static int parse_fd(const char *option, const char *arg, int *fd)
{
	uint64_t v;

	if (parse_number(arg, INT_MAX, &v) || fcntl((int)v, F_GETFD) < 0) {
		warn_msg("%s: \"%s\" is not an open file descriptor", option, arg);
		return -1;
	}
	*fd = (int)v;
	return 0;
}

/*
 * The options, "--NAME VALUE" or "--NAME=VALUE", before PID: by hand, since a getopt would take
 * a PID of "-1" for an option instead of reporting it as a bad process id.
 */
static int parse_options(int argc, char **argv, int *optind_out, struct spu_ctx *ctx,
			 int *listen_fd)
{
	static const struct { const char *name; size_t off; } fd_options[] = {
		{ "--ls-fd", offsetof(struct spu_ctx, ls_file.fd) },
		{ "--regs-fd", offsetof(struct spu_ctx, regs_file.fd) },
		{ "--listen-fd", (size_t)-1 },
	};
	int i = 1;

	while (i < argc && !strncmp(argv[i], "--", 2)) {
		const char *arg = argv[i], *value = NULL;
		size_t k, len;

		if (!strcmp(arg, "--")) {
			i++;
			break;
		}
		for (k = 0; k < sizeof(fd_options) / sizeof(fd_options[0]); k++) {
			len = strlen(fd_options[k].name);
			if (!strncmp(arg, fd_options[k].name, len) && (!arg[len] || arg[len] == '='))
				break;
		}
		if (k == sizeof(fd_options) / sizeof(fd_options[0])) {
			warn_msg("unknown option \"%s\"", arg);
			return -1;
		}
		value = arg[len] == '=' ? arg + len + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!value) {
			warn_msg("%s needs a file descriptor", fd_options[k].name);
			return -1;
		}
		if (parse_fd(fd_options[k].name, value, fd_options[k].off == (size_t)-1 ? listen_fd :
			     (int *)((char *)ctx + fd_options[k].off)))
			return -1;
		i++;
	}
	*optind_out = i;
	return 0;
}

/*
 * Exit status 1 for a stub that could not start and has said why on stderr. gdb, which runs
 * it over a pipe, shows that only when it next reads the connection; were the stub gone
 * before gdb wrote its first packet, that write would fail (EPIPE) and the reason be lost.
 * So take the first packet (a little while) before going.
 */
static int failed_to_start(int listen_fd)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct rsp *rsp;

	if (listen_fd >= 0 || isatty(STDIN_FILENO) ||
	    poll(&pfd, 1, START_FAILURE_WAIT_MS) <= 0)
		return 1;
	rsp = malloc(sizeof(*rsp));
	if (rsp) {
		signal(SIGPIPE, SIG_IGN);
		rsp_init(rsp, STDIN_FILENO, STDOUT_FILENO);
		rsp_recv(rsp);
		free(rsp);
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct spu_ctx ctx = { .ls_file.fd = -1, .regs_file.fd = -1 };
	int listen_fd = -1, in_fd = STDIN_FILENO, out_fd = STDOUT_FILENO;
	struct spu_space space;
	struct rsp *rsp;
	uint64_t pid;
	int first, ret, by_file;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (parse_options(argc, argv, &first, &ctx, &listen_fd) < 0)
		return 2;
	by_file = ctx.ls_file.fd >= 0 || ctx.regs_file.fd >= 0;
	if ((by_file && (ctx.ls_file.fd < 0 || ctx.regs_file.fd < 0)) ||
	    argc - first != (by_file ? 1 : 2)) {
		usage(stderr);
		return 2;
	}
	if (parse_number(argv[first], INT32_MAX, &pid) || !pid) {
		warn_msg("bad process id \"%s\"", argv[first]);
		return 2;
	}
	if (!by_file && (parse_number(argv[first + 1], UINT64_MAX, &ctx.ls_id) || !ctx.ls_id)) {
		warn_msg("bad context (local store object id) \"%s\"", argv[first + 1]);
		return 2;
	}
	ctx.pid = (pid_t)pid;
	if (by_file) {
		if (find_context_by_files(&ctx) < 0)
			return failed_to_start(listen_fd);
	} else {
		ret = iodbg_open(ctx.pid, 0, &ctx.target);
		if (ret < 0) {
			warn_msg("%s", iodbg_errmsg(NULL));
			return failed_to_start(listen_fd);
		}
		if (find_context(&ctx) < 0) {
			iodbg_close(ctx.target);
			return failed_to_start(listen_fd);
		}
	}
	/* gdb going away mid-reply is an EPIPE to report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	if (listen_fd >= 0) {
		if (printf("ready\n") < 0 || fclose(stdout)) {
			ret = 1;
			goto out;
		}
		in_fd = out_fd = accept_gdb(listen_fd);
		if (in_fd < 0) {
			ret = 1;
			goto out;
		}
	} else if (isatty(STDIN_FILENO)) {
		warn_msg("speaks gdb's remote protocol on stdin/stdout: in gdb, "
			 "target remote | " PROG " %s %s", argv[first],
			 by_file ? "CTX" : argv[first + 1]);
	}
	space = (struct spu_space){ .ops = &ctx_ops, .priv = &ctx, .size = ctx.ls_size };
	rsp = malloc(sizeof(*rsp));
	if (!rsp) {
		warn_msg("out of memory");
		ret = 1;
		goto out;
	}
	rsp_init(rsp, in_fd, out_fd);
	ret = stub_serve(rsp, &space);
	free(rsp);
out:
	forget_file(&ctx.ls_file);
	forget_file(&ctx.regs_file);
	iodbg_close(ctx.target);
	return ret;
}
