// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Transfers by (object id, offset). The best way in is a file of the object that the target
 * holds open: IODBG_IOC_RW_OBJECT on it reaches the object wherever it lives, mapped or not,
 * and never waits for a context to be put on its device. A copy of that file comes from
 * pidfd_getfd(), which takes the right to ptrace the target (PTRACE_MODE_ATTACH_REALCREDS),
 * so it grants nothing the other paths would refuse. An object the target only maps goes by
 * the chain, at the address a mapping of it gives.
 *
 * The target's files are found in /proc/PID/fd. Only a descriptor whose link reads
 * "iodbg:[NAME]" (IODBG_FD_LINK_PREFIX), which no file of a mounted filesystem's does, is
 * looked at further, so nothing here waits on a FUSE or NFS server; statfs() of its magic
 * link then confirms the filesystem without opening the file, so only iodbgfs files are
 * copied and only they are ever given an ioctl. The copies stay with the target handle;
 * before one is used again, a stat() of the target's descriptor must still find the object's
 * inode (each object has an inode of its own), because the target may have closed that
 * descriptor and reused its number for another file.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/iodbg.h>

#include "internal.h"

void iodbg__held_free(struct iodbg_target *t)
{
	for (size_t i = 0; i < t->nheld; i++)
		close(t->held[i].fd);
	free(t->held);
	t->held = NULL;
	t->nheld = 0;
}

/* The magic link of the target's descriptor @tfd, reached through our /proc/PID descriptor. */
static void fd_link(const struct iodbg_target *t, int tfd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d/fd/%d", t->dirfd, tfd);
}

/*
 * Whether the target's descriptor whose magic link is @link looks like an iodbg object file,
 * by the link alone: a statfs() or stat() of a file on FUSE would ask the FUSE server, which
 * never answers if it is the stopped target itself.
 */
static bool object_link(const char *link)
{
	char text[sizeof(IODBG_FD_LINK_PREFIX)];
	ssize_t n = readlink(link, text, sizeof(text));

	return n == (ssize_t)sizeof(text) &&
	       !memcmp(text, IODBG_FD_LINK_PREFIX, sizeof(text) - 1);
}

/*
 * A pidfd of the target, whose files are those /proc/PID/fd lists: the one iodbg_open() took.
 * A thread id has none before Linux 6.9; then the thread group leader's serves, whose files
 * the threads share unless one unshared them (take() then finds another inode than the
 * listing did, and skips the file).
 */
static int pidfd(struct iodbg_target *t)
{
	long tgid;
	int fd;

	if (t->pidfd >= 0)
		return t->pidfd;
	if (t->leader_pidfd >= 0)
		return t->leader_pidfd;
	tgid = iodbg__proc_status(t, "Tgid");
	if (tgid <= 0 || tgid == t->pid)
		return tgid == -ESRCH ? -ESRCH : -EINVAL;
	fd = syscall(SYS_pidfd_open, (pid_t)tgid, 0);
	if (fd < 0)
		return -errno;
	/*
	 * The leader's pid may have been reused since we read it. While our /proc/PID folder
	 * still answers, the thread it was opened on is not reaped, and neither is its leader.
	 */
	if (iodbg__target_gone(t)) {
		close(fd);
		return -ESRCH;
	}
	t->leader_pidfd = fd;
	return fd;
}

/*
 * Our copy of the target's descriptor @tfd, if that still is the iodbg object file @listed
 * (the stat() of its magic link); else < 0.
 */
static int take(struct iodbg_target *t, int tfd, const struct stat *listed,
		struct iodbg__held *h)
{
	struct iodbg_object_info info = { 0 };
	struct statfs sfs;
	struct stat st;
	int fd = pidfd(t), err;

	if (fd < 0)
		return iodbg__error(t, fd, "cannot open a pidfd of process %d: %s", (int)t->pid,
				    strerror(-fd));
	fd = syscall(SYS_pidfd_getfd, fd, tfd, 0);
	if (fd < 0) {
		err = errno == EACCES ? -EPERM : -errno;
		return iodbg__error(t, err, "cannot copy file descriptor %d of process %d "
				    "(pidfd_getfd): %s%s", tfd, (int)t->pid, strerror(-err),
				    err == -EPERM ? " (no permission to debug it)" : "");
	}
	/*
	 * The target may have put another file at @tfd since we looked, or the copy came from
	 * another file table than the listing (see pidfd_open_target()): look again.
	 */
	if (fstatfs(fd, &sfs) || sfs.f_type != IODBG_FS_MAGIC || fstat(fd, &st) ||
	    st.st_dev != listed->st_dev || st.st_ino != listed->st_ino) {
		close(fd);
		return -EBADF;
	}
	if (ioctl(fd, IODBG_IOC_OBJECT_INFO, &info)) {
		err = -errno;
		close(fd);
		return iodbg__error(t, err, "IODBG_IOC_OBJECT_INFO on file descriptor %d of "
				    "process %d: %s", tfd, (int)t->pid, strerror(-err));
	}
	*h = (struct iodbg__held){
		.tfd = tfd, .fd = fd, .dev = st.st_dev, .ino = st.st_ino, .id = info.id,
		.size = info.size,
	};
	return 0;
}

static int by_tfd(const void *a, const void *b)
{
	const struct iodbg__held *x = a, *y = b;

	return (x->tfd > y->tfd) - (x->tfd < y->tfd);
}

/*
 * The entry of @old (@n of them, sorted by descriptor) for descriptor @tfd if it still is the
 * file @st; NULL otherwise.
 */
static struct iodbg__held *same(struct iodbg__held *old, size_t n, int tfd,
				const struct stat *st)
{
	struct iodbg__held key = { .tfd = tfd };
	struct iodbg__held *h = n ? bsearch(&key, old, n, sizeof(*old), by_tfd) : NULL;

	if (h && h->fd >= 0 && h->dev == st->st_dev && h->ino == st->st_ino)
		return h;
	return NULL;
}

int iodbg__held_scan(struct iodbg_target *t)
{
	struct iodbg__held *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int fd, err = 0;
	DIR *dir;

	fd = iodbg__open_proc(t, "fd", O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		err = fd == -ENOENT ? -ESRCH : fd == -EACCES ? -EPERM : fd;
		return iodbg__error(t, err, "cannot list the files of process %d: %s", (int)t->pid,
				    err == -ESRCH ? "it is gone" : err == -EPERM ?
				    "no permission to debug it" : strerror(-err));
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return iodbg__error(t, -errno, "cannot list the files of process %d: %m",
				    (int)t->pid);
	}
	while (!err && (errno = 0, de = readdir(dir))) {
		char link[64], *end;
		struct iodbg__held *old;
		struct statfs sfs;
		struct stat st;
		long tfd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || tfd < 0 || tfd > INT_MAX)
			continue;	/* "." and ".." */
		fd_link(t, tfd, link, sizeof(link));
		/* A descriptor closed since the listing is no error: it is no longer held. */
		if (!object_link(link) || statfs(link, &sfs) || sfs.f_type != IODBG_FS_MAGIC ||
		    stat(link, &st))
			continue;
		if (n == cap) {
			struct iodbg__held *bigger = reallocarray(v, cap = cap ? 2 * cap : 8,
								  sizeof(*v));

			if (!bigger) {
				err = iodbg__error(t, -ENOMEM, "out of memory");
				break;
			}
			v = bigger;
		}
		old = same(t->held, t->nheld, tfd, &st);
		if (old) {
			v[n++] = *old;
			old->fd = -1;	/* moved to @v */
			continue;
		}
		err = take(t, tfd, &st, &v[n]);
		if (!err)
			n++;
		else if (err == -EBADF)
			err = 0;	/* closed or replaced since the listing */
	}
	if (!err && errno)
		err = iodbg__error(t, -errno, "cannot list the files of process %d: %m",
				   (int)t->pid);
	closedir(dir);
	/* Kept sorted for same() next time; readdir() promises no order. */
	if (n)
		qsort(v, n, sizeof(*v), by_tfd);
	/* The copies of files the target no longer holds go; so does all on an error. */
	for (size_t i = 0; i < t->nheld; i++)
		if (t->held[i].fd >= 0)
			close(t->held[i].fd);
	free(t->held);
	t->held = v;
	t->nheld = n;
	if (err)
		iodbg__held_free(t);
	return err;
}

/* A held file of object @id that the target still holds at the same descriptor, or NULL. */
static const struct iodbg__held *held_find(struct iodbg_target *t, uint64_t id)
{
	for (size_t i = 0; i < t->nheld; i++) {
		const struct iodbg__held *h = &t->held[i];
		struct stat st;
		char link[64];

		if (h->id != id)
			continue;
		fd_link(t, h->tfd, link, sizeof(link));
		if (object_link(link) && !stat(link, &st) && st.st_dev == h->dev &&
		    st.st_ino == h->ino)
			return h;
	}
	return NULL;
}

IODBG_API int iodbg_object_fd(struct iodbg_target *t, uint64_t id)
{
	const struct iodbg__held *h;
	int err;

	if (!t)
		return iodbg__error(NULL, -EINVAL, "iodbg_object_fd: no target handle");
	err = iodbg__held_scan(t);
	if (err)
		return err;
	/* Sorted by descriptor: the first found is the lowest. */
	h = held_find(t, id);
	if (!h)
		return iodbg__error(t, -ENOENT, "process %d holds no file of iodbg object %" PRIu64,
				    (int)t->pid, id);
	return h->tfd;
}

int iodbg__held_info(struct iodbg_target *t, const struct iodbg__held *h, struct iodbg_object *o)
{
	struct iodbg_object_info info = { 0 };

	if (ioctl(h->fd, IODBG_IOC_OBJECT_INFO, &info))
		return iodbg__error(t, -errno, "IODBG_IOC_OBJECT_INFO on file descriptor %d of "
				    "process %d: %m", h->tfd, (int)t->pid);
	iodbg__object_from_uapi(o, &info);
	return 0;
}

/* An object id, and whether the listing has it yet. */
struct id_seen {
	uint64_t id;
	bool seen;
};

static int by_id(const void *a, const void *b)
{
	const struct id_seen *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * The ids of the @listed objects of @v (seen) and of the held files (not yet), sorted, each
 * once: a set to look each held file up in, in log time. Returns how many, or 0 on ENOMEM.
 */
static size_t id_set(const struct iodbg_target *t, const struct iodbg_object *v, size_t listed,
		     struct id_seen **out)
{
	size_t total = listed + t->nheld, n = 0;
	struct id_seen *ids = malloc(total * sizeof(*ids));

	*out = ids;
	if (!ids)
		return 0;
	for (size_t i = 0; i < listed; i++)
		ids[i] = (struct id_seen){ .id = v[i].id, .seen = true };
	for (size_t i = 0; i < t->nheld; i++)
		ids[listed + i] = (struct id_seen){ .id = t->held[i].id };
	qsort(ids, total, sizeof(*ids), by_id);
	for (size_t i = 0; i < total; i++) {
		if (n && ids[n - 1].id == ids[i].id)
			ids[n - 1].seen |= ids[i].seen;
		else
			ids[n++] = ids[i];
	}
	return n;
}

int iodbg__held_append(struct iodbg_target *t, struct iodbg_object **v, size_t *n)
{
	struct iodbg_object *bigger;
	struct id_seen *ids;
	size_t nids;
	int err;

	err = iodbg__held_scan(t);
	if (err || !t->nheld)
		return err;
	nids = id_set(t, *v, *n, &ids);
	bigger = nids ? reallocarray(*v, *n + t->nheld, sizeof(**v)) : NULL;
	if (!bigger) {
		free(ids);
		return iodbg__error(t, -ENOMEM, "out of memory");
	}
	*v = bigger;
	for (size_t i = 0; !err && i < t->nheld; i++) {
		struct id_seen key = { .id = t->held[i].id };
		struct id_seen *e = bsearch(&key, ids, nids, sizeof(*ids), by_id);
		struct iodbg_object *o = &bigger[*n];

		/* Mapped, or held at another descriptor too: listed once. */
		if (e->seen)
			continue;
		e->seen = true;
		err = iodbg__held_info(t, &t->held[i], o);
		if (err)
			break;
		/* Held, not mapped: no mapping to describe. */
		o->start = o->length = o->offset = 0;
		++*n;
	}
	free(ids);
	return err;
}

/* IODBG_IOC_RW_OBJECT on our copy of a held file: the bytes done, or a negative errno. */
static ssize_t held_rw(struct iodbg_target *t, const struct iodbg__held *h, bool write,
		       uint64_t offset, unsigned char *buf, size_t len, struct iodbg_attempt_log *a)
{
	bool rw_failed = false;
	size_t done = 0;
	int err = 0;

	while (done < len) {
		struct iodbg_rw rw = {
			.size = sizeof(rw), .addr = offset + done, .buf = (uintptr_t)(buf + done),
			.len = MIN(len - done, (size_t)IODBG_RW_MAX_LEN),
			.flags = write ? IODBG_RW_WRITE : 0,
		};

		if (ioctl(h->fd, IODBG_IOC_RW_OBJECT, &rw) < 0) {
			done += rw.done;
			if (errno == EINTR)
				continue;
			rw_failed = true;
			err = -errno;
			break;
		}
		done += rw.done;
		/* Success without progress would never end: take it as a refusal. */
		if (!rw.done) {
			err = -EIO;
			break;
		}
	}
	if (done)
		return done;
	a->error = err;
	snprintf(a->why, sizeof(a->why), "IODBG_IOC_RW_OBJECT on its file (descriptor %d of "
		 "process %d) %s the %s at offset 0x%" PRIx64, h->tfd, (int)t->pid,
		 err == -EIO && !rw_failed ? "transferred nothing of" : "refused",
		 write ? "write" : "read", offset);
	return err;
}

/* The first mapping in @v of object @id that holds @offset, or NULL. */
static const struct iodbg_object *mapping_at(const struct iodbg_object *v, size_t n,
					     uint64_t id, uint64_t offset)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id && v[i].length && offset >= v[i].offset &&
		    offset - v[i].offset < v[i].length)
			return &v[i];
	return NULL;
}

struct object_xfer {
	struct iodbg_target *t;
	bool write;
	uint64_t id;
	unsigned char *buf;
	struct iodbg_report *report;
	bool report_failed;
	const struct iodbg__held *held;	/* NULL: none, or the policy forbids the object path */
	bool use_maps;			/* the policy allows the chain through a mapping */
	struct iodbg_object *maps;	/* the target's iodbg mappings, once needed */
	size_t nmaps;
	bool listed;
	struct iodbg_attempt_log obj;	/* the object path's attempt, if @nobj */
	size_t nobj;
	bool stopped;			/* a piece was not served: the transfer ends there */
	char why[IODBG_MSG_SIZE];	/* why it stopped */
};

static void record(struct object_xfer *x, uint64_t offset, uint64_t len, int path, int err,
		   const char *why)
{
	if (x->report && iodbg__report_add(x->report, offset, len, path, err, why, &x->obj,
					   x->nobj))
		x->report_failed = true;
}

static int list_mappings(struct object_xfer *x)
{
	int err;

	if (x->listed)
		return 0;
	err = iodbg__list_objects(x->t, &x->maps, &x->nmaps);
	if (!err)
		x->listed = true;
	return err;
}

/*
 * Transfer a prefix of [@offset, @offset + @len) of the object: by its held file, else through
 * a mapping. The bytes done, or a negative errno; x->stopped and x->why once a piece failed.
 */
static ssize_t serve(struct object_xfer *x, uint64_t offset, unsigned char *buf, size_t len)
{
	struct iodbg__chain_args a = {
		.write = x->write, .buf = buf, .report = x->report, .report_addr = offset,
		.pre = &x->obj, .npre = x->nobj,
	};
	const struct iodbg_object *m;
	size_t off = 0;
	ssize_t n;
	int err;

	if (x->held) {
		n = held_rw(x->t, x->held, x->write, offset, buf, len, &x->obj);
		if (n > 0) {
			record(x, offset, n, IODBG_PATH_OBJECT, 0, "");
			return n;
		}
		/* It failed once; the rest goes by a mapping, with this attempt as the reason. */
		x->held = NULL;
	}
	x->stopped = true;	/* unless the chain serves all of its piece, below */
	err = x->nobj && !(x->obj.flags & IODBG_ATTEMPT_SKIPPED) ? x->obj.error : 0;
	if (!x->use_maps) {
		iodbg__append(x->why, sizeof(x->why), &off, "%s (the path policy is \"object\")",
			      x->obj.why);
		record(x, offset, len, IODBG_PATH_NONE, x->obj.error, x->why);
		return x->obj.error;
	}
	err = list_mappings(x) ?: err;
	m = x->listed ? mapping_at(x->maps, x->nmaps, x->id, offset) : NULL;
	if (!m) {
		if (!err)
			err = -EFAULT;
		iodbg__append(x->why, sizeof(x->why), &off, "%s%s%s", x->nobj ? x->obj.why : "",
			      x->nobj ? "; " : "", !x->listed ? x->t->msg :
			      "no mapping of the object holds that offset");
		record(x, offset, len, IODBG_PATH_NONE, err, x->why);
		return err;
	}
	a.addr = m->start + (offset - m->offset);
	a.len = MIN(len, m->offset + m->length - offset);
	n = iodbg__chain(x->t, &a);
	x->stopped = n < (ssize_t)a.len;
	if (x->stopped)
		iodbg__append(x->why, sizeof(x->why), &off, "through its mapping at 0x%" PRIx64
			      ": %s", m->start, x->t->msg);
	return n;
}

static ssize_t object_transfer(struct iodbg_target *t, bool write, uint64_t id, uint64_t offset,
			       void *buf, size_t len, struct iodbg_report *report)
{
	const char *verb = write ? "write" : "read";
	struct object_xfer x = {
		.t = t, .write = write, .id = id, .buf = buf, .report = report,
	};
	const struct iodbg_object *m;
	uint64_t size;
	size_t want, done = 0, off = 0;
	ssize_t n = 0;
	int err;

	if (!t)
		return iodbg__error(NULL, -EINVAL, "iodbg_object_%s: no target handle", verb);
	if (report)
		iodbg__report_clear(report);
	if (!buf || !len || len > SSIZE_MAX)
		return iodbg__error(t, -EINVAL, "cannot %s %zu bytes of object %" PRIu64 " at "
				    "offset 0x%" PRIx64 ": %s", verb, len, id, offset,
				    !buf ? "no buffer" : !len ? "zero length" :
				    "length above SSIZE_MAX");

	/* As iodbg_read(): a policy that names an address path is that path alone. */
	x.use_maps = t->path != IODBG_PATH_OBJECT;
	if (t->path == IODBG_PATH_AUTO || t->path == IODBG_PATH_OBJECT) {
		x.nobj = 1;
		x.obj.path = IODBG_PATH_OBJECT;
		x.held = held_find(t, id);
		err = x.held ? 0 : iodbg__held_scan(t);
		if (!x.held && !err)
			x.held = held_find(t, id);
		/* Gone, or no right to debug it: no mapping would serve either. */
		if (err == -ESRCH || err == -EPERM) {
			char msg[IODBG_MSG_SIZE];

			iodbg__append(msg, sizeof(msg), &off, "%s", t->msg);
			return iodbg__error(t, err, "cannot %s %zu bytes of object %" PRIu64 ": %s",
					    verb, len, id, msg);
		}
		if (err) {
			x.obj.error = err;
			iodbg__append(x.obj.why, sizeof(x.obj.why), &off, "%s", t->msg);
		} else if (!x.held) {
			x.obj.error = -ENOENT;
			x.obj.flags = IODBG_ATTEMPT_SKIPPED;
			snprintf(x.obj.why, sizeof(x.obj.why), "process %d holds no file of the "
				 "object", (int)t->pid);
		}
	}

	if (x.held) {
		size = x.held->size;
	} else if (!x.use_maps) {
		/* Nothing to check the range against: the one path there was has failed. */
		iodbg__append(x.why, sizeof(x.why), &off, "%s (the path policy is \"object\")",
			      x.obj.why);
		record(&x, offset, len, IODBG_PATH_NONE, x.obj.error, x.why);
		return iodbg__error(t, x.obj.error, "cannot %s %zu bytes of object %" PRIu64
				    ": %s", verb, len, id, x.why);
	} else {
		err = list_mappings(&x);
		if (err) {
			char msg[IODBG_MSG_SIZE];

			iodbg__append(msg, sizeof(msg), &off, "%s", t->msg);
			return iodbg__error(t, err, "cannot %s %zu bytes of object %" PRIu64 ": %s",
					    verb, len, id, msg);
		}
		m = NULL;
		for (size_t i = 0; !m && i < x.nmaps; i++)
			if (x.maps[i].id == id)
				m = &x.maps[i];
		if (!m) {
			free(x.maps);
			return iodbg__error(t, x.nobj && x.obj.error != -ENOENT ? x.obj.error :
					    -ENOENT, "process %d has no iodbg object %" PRIu64
					    ": it neither maps it nor holds a file of it%s%s",
					    (int)t->pid, id, x.nobj && x.obj.error != -ENOENT ?
					    " that could be seen: " : "",
					    x.nobj && x.obj.error != -ENOENT ? x.obj.why : "");
		}
		size = m->size;
	}
	if (offset >= size) {
		free(x.maps);
		return iodbg__error(t, -EINVAL, "cannot %s %zu bytes of object %" PRIu64 " at "
				    "offset 0x%" PRIx64 ": past its end (it has %" PRIu64 " bytes)",
				    verb, len, id, offset, size);
	}

	want = MIN(len, size - offset);
	while (done < want && !x.stopped && !x.report_failed) {
		n = serve(&x, offset + done, x.buf + done, want - done);
		if (n > 0)
			done += n;
	}
	free(x.maps);

	if (x.report_failed) {
		iodbg__error(t, -ENOMEM, "%s of %zu bytes of object %" PRIu64 " at offset 0x%"
			     PRIx64 " stopped after %zu bytes: out of memory for the report", verb,
			     len, id, offset, done);
		return done ? (ssize_t)done : -ENOMEM;
	}
	if (done == want && want < len) {
		snprintf(x.why, sizeof(x.why), "the object ends there (it has %" PRIu64 " bytes)",
			 size);
		x.nobj = 0;
		record(&x, offset + want, len - want, IODBG_PATH_NONE, -EINVAL, x.why);
	}
	if (!done)
		return iodbg__error(t, n, "cannot %s %zu bytes of object %" PRIu64 " at offset "
				    "0x%" PRIx64 ": %s", verb, len, id, offset, x.why);
	if (done < len)
		iodbg__error(t, 0, "%s of %zu bytes of object %" PRIu64 " at offset 0x%" PRIx64
			     " stopped at offset 0x%" PRIx64 " after %zu bytes: %s", verb, len, id,
			     offset, offset + done, done, x.why);
	return done;
}

IODBG_API ssize_t iodbg_object_read(struct iodbg_target *t, uint64_t id, uint64_t offset,
				    void *buf, size_t len, struct iodbg_report *report)
{
	return object_transfer(t, false, id, offset, buf, len, report);
}

IODBG_API ssize_t iodbg_object_write(struct iodbg_target *t, uint64_t id, uint64_t offset,
				     const void *buf, size_t len, struct iodbg_report *report)
{
	/* As iodbg_write(): one engine serves both directions and only reads @buf to write. */
	return object_transfer(t, true, id, offset, (void *)buf, len, report);
}
