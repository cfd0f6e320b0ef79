// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the kernel side offers: the iodbg module answers IODBG_IOC_VERSION on its control
 * device. Without it libiodbg still reads ordinary memory, so its absence is not an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iodbg.h>

#include "internal.h"

#define IODBG_DEVICE "/dev/" IODBG_DEVICE_NAME
/* The most iodbg mappings listed: a process has at most vm.max_map_count mappings. */
#define LIST_MAX	(1U << 20)
/* Entries per LIST_OBJECTS call with the cursor. */
#define LIST_BATCH	256

IODBG_API int iodbg_kernel_info(struct iodbg_kernel_info *info)
{
	struct iodbg_version v = { .size = sizeof(v) };
	int fd, err = 0;

	if (!info)
		return iodbg__error(NULL, -EINVAL, "no place for the kernel info");
	memset(info, 0, sizeof(*info));
	fd = open(IODBG_DEVICE, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* A module without its node means no devtmpfs or udev, not no module. */
		if (!access("/sys/module/" IODBG_DEVICE_NAME, F_OK))
			return iodbg__error(NULL, -ENOENT, "the iodbg module is loaded but "
					    IODBG_DEVICE " is missing");
		iodbg__error(NULL, 0, "the iodbg module is not loaded (no " IODBG_DEVICE ")");
		return 0;
	}
	if (fd < 0)
		return iodbg__error(NULL, -errno, "cannot open " IODBG_DEVICE ": %m");
	if (ioctl(fd, IODBG_IOC_VERSION, &v) < 0)
		err = iodbg__error(NULL, -errno, IODBG_DEVICE " does not answer "
				   "IODBG_IOC_VERSION: %m");
	close(fd);
	if (err)
		return err;
	info->loaded = 1;
	info->abi_version = v.abi_version;
	info->features = v.features;
	iodbg__error(NULL, 0, "the iodbg module is loaded, ABI version %u", v.abi_version);
	return 0;
}

int iodbg__open_ctl(void)
{
	int fd = open(IODBG_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	return errno == ENOENT || errno == ENXIO || errno == ENODEV ? -ENODEV : -errno;
}

void iodbg__object_from_uapi(struct iodbg_object *o, const struct iodbg_object_info *k)
{
	*o = (struct iodbg_object){
		.id = k->id, .size = k->size, .start = k->start, .length = k->length,
		.offset = k->offset, .owner = k->owner, .kind = k->kind,
		.placement = k->placement, .flags = k->flags, .unit = k->unit,
	};
}

int iodbg__ctl(struct iodbg_target *t)
{
	struct iodbg_version v = { .size = sizeof(v) };
	int fd;

	if (t->ctl_fd >= 0)
		return t->ctl_fd;
	fd = iodbg__open_ctl();
	if (fd < 0)
		return fd;
	/* A module that does not answer offers none of the features asked for below. */
	if (!ioctl(fd, IODBG_IOC_VERSION, &v)) {
		t->kernel_abi = v.abi_version;
		t->kernel_features = v.features;
	}
	t->ctl_fd = fd;
	return fd;
}

bool iodbg__kernel_pidfd(const struct iodbg_target *t)
{
	return t->pidfd >= 0 && (t->kernel_features & IODBG_FEATURE_PIDFD);
}

void iodbg__rw_target(const struct iodbg_target *t, struct iodbg_rw *rw)
{
	rw->width = t->mmio_width;
	if (iodbg__kernel_pidfd(t)) {
		rw->pid = t->pidfd;
		rw->flags |= IODBG_RW_PIDFD;
		return;
	}
	rw->pid = t->pid;
}

IODBG_API int iodbg_set_mmio_width(struct iodbg_target *t, unsigned int width)
{
	int fd;

	if (!t)
		return iodbg__no_target();
	if (width != 0 && width != 1 && width != 2 && width != 4 && width != 8)
		return iodbg__error(t, -EINVAL, "bad MMIO access width %u (1, 2, 4 or 8 bytes)",
				    width);
	if (width) {
		fd = iodbg__ctl(t);
		if (fd == -ENODEV)
			return iodbg__error(t, fd, "an MMIO access width needs the iodbg module "
					    "(" IODBG_DEVICE " missing)");
		if (fd < 0)
			return iodbg__error(t, fd, "cannot open " IODBG_DEVICE ": %s",
					    strerror(-fd));
		if (!(t->kernel_features & IODBG_FEATURE_WIDTH))
			return iodbg__error(t, -EOPNOTSUPP, "the loaded iodbg module (ABI version "
					    "%u) cannot choose the MMIO access width (no "
					    "IODBG_FEATURE_WIDTH)", t->kernel_abi);
	}
	t->mmio_width = width;
	return 0;
}

/* Append @n entries of @k to @v (@count of them so far). */
static int append_objects(struct iodbg_target *t, struct iodbg_object **v, size_t *count,
			  const struct iodbg_object_info *k, size_t n)
{
	struct iodbg_object *bigger;

	if (*count + n > LIST_MAX)
		return iodbg__error(t, -E2BIG, "process %d has more than %u iodbg mappings",
				    (int)t->pid, LIST_MAX);
	bigger = reallocarray(*v, *count + n ? *count + n : 1, sizeof(**v));
	if (!bigger)
		return iodbg__error(t, -ENOMEM, "out of memory");
	*v = bigger;
	for (size_t i = 0; i < n; i++)
		iodbg__object_from_uapi(&bigger[*count + i], &k[i]);
	*count += n;
	return 0;
}

static int list_failed(struct iodbg_target *t, const char *what, int err)
{
	if (err == -ESRCH)
		return iodbg__error(t, err, "process %d is gone", (int)t->pid);
	if (err == -EACCES)
		err = -EPERM;
	return iodbg__error(t, err, "cannot list the %s of process %d: %s%s", what, (int)t->pid,
			    strerror(-err), err == -EPERM ? " (no permission to debug it)" : "");
}

/*
 * A listing ioctl of ABI 2, paged by address: LIST_OBJECTS or LIST_VMAS. ->call() issues one
 * call for [@start, @end) (@end 0: no bound) into @batch and says how many entries it wrote
 * and whether more follow; ->end() is the end of an entry's mapping, where the next call
 * starts.
 */
struct listing {
	const char *what;
	size_t entry_size;
	int (*call)(struct iodbg_target *t, int fd, uint64_t start, uint64_t end, void *batch,
		    uint32_t *count, bool *more);
	uint64_t (*end)(const void *entry);
};

/* Fill in what every listing call of ABI 2 shares: the target, by pidfd where possible. */
static void list_target(const struct iodbg_target *t, int32_t *pid, uint32_t *flags)
{
	*pid = t->pid;
	*flags = 0;
	if (iodbg__kernel_pidfd(t)) {
		*pid = t->pidfd;
		*flags = IODBG_LIST_PIDFD;
	}
}

/* @end for a module that may not know it: without IODBG_FEATURE_LIST_END, it lists to the top. */
static uint64_t list_end(const struct iodbg_target *t, uint64_t end)
{
	return t->kernel_features & IODBG_FEATURE_LIST_END ? end : 0;
}

static int call_list_objects(struct iodbg_target *t, int fd, uint64_t start, uint64_t end,
			     void *batch, uint32_t *count, bool *more)
{
	struct iodbg_list_objects l = {
		.size = sizeof(l), .count = *count, .entry_size = sizeof(struct iodbg_object_info),
		.objects = (uintptr_t)batch, .start = start, .end = list_end(t, end),
	};

	list_target(t, &l.pid, &l.flags);
	if (ioctl(fd, IODBG_IOC_LIST_OBJECTS, &l) < 0)
		return -errno;
	*count = l.count;
	*more = l.flags & IODBG_LIST_MORE;
	return 0;
}

static uint64_t object_end(const void *entry)
{
	const struct iodbg_object_info *k = entry;

	return k->start + k->length;
}

static const struct listing object_listing = {
	.what = "iodbg objects", .entry_size = sizeof(struct iodbg_object_info),
	.call = call_list_objects, .end = object_end,
};

static int call_list_vmas(struct iodbg_target *t, int fd, uint64_t start, uint64_t end,
			  void *batch, uint32_t *count, bool *more)
{
	struct iodbg_list_vmas l = {
		.size = sizeof(l), .count = *count, .entry_size = sizeof(struct iodbg_vma_info),
		.vmas = (uintptr_t)batch, .start = start, .match = IODBG_VMA_FLAGS,
		.end = list_end(t, end),
	};

	list_target(t, &l.pid, &l.flags);
	if (ioctl(fd, IODBG_IOC_LIST_VMAS, &l) < 0)
		return -errno;
	*count = l.count;
	*more = l.flags & IODBG_LIST_MORE;
	return 0;
}

static uint64_t vma_end(const void *entry)
{
	return ((const struct iodbg_vma_info *)entry)->end;
}

static const struct listing vma_listing = {
	.what = "device mappings", .entry_size = sizeof(struct iodbg_vma_info),
	.call = call_list_vmas, .end = vma_end,
};

/*
 * Every entry of listing @l from @start below @end (0: no bound), a batch at a time from a
 * cursor, into *@out (@count entries of l->entry_size, which the caller frees).
 */
static int list_paged(struct iodbg_target *t, int fd, const struct listing *l, uint64_t start,
		      uint64_t end, void **out, size_t *count)
{
	size_t cap = LIST_BATCH;
	char *v = malloc(cap * l->entry_size);
	int err = 0;

	*count = 0;
	if (!v)
		return iodbg__error(t, -ENOMEM, "out of memory");
	for (;;) {
		uint32_t n = LIST_BATCH;
		const char *last;
		bool more;

		/* Room for one more batch: the array doubles, so the copies stay linear. */
		if (cap - *count < LIST_BATCH) {
			char *bigger = reallocarray(v, cap *= 2, l->entry_size);

			if (!bigger) {
				err = iodbg__error(t, -ENOMEM, "out of memory");
				break;
			}
			v = bigger;
		}
		err = l->call(t, fd, start, end, v + *count * l->entry_size, &n, &more);
		if (err) {
			err = list_failed(t, l->what, err);
			break;
		}
		if (n > LIST_BATCH) {
			err = iodbg__error(t, -EPROTO, "the iodbg module listed %u %s in room for "
					   "%u", n, l->what, LIST_BATCH);
			break;
		}
		*count += n;
		if (*count > LIST_MAX) {
			err = iodbg__error(t, -E2BIG, "process %d has more than %u %s",
					   (int)t->pid, LIST_MAX, l->what);
			break;
		}
		if (!more)
			break;
		/* The next batch starts past the last mapping: it must move on. */
		last = n ? v + (*count - 1) * l->entry_size : NULL;
		if (!last || l->end(last) <= start) {
			err = iodbg__error(t, -EPROTO, "the iodbg module's listing of the %s of "
					   "process %d does not move on from 0x%" PRIx64, l->what,
					   (int)t->pid, start);
			break;
		}
		start = l->end(last);
	}
	if (err) {
		free(v);
		*count = 0;
		return err;
	}
	*out = v;
	return 0;
}

/*
 * ABI 1: one call with room for all, the count from a first call; again if it grew. A module
 * of ABI 1 writes at most IODBG_LIST_MAX (4096) entries but counts them all: what it did not
 * write stays zero, and every entry it writes has a length.
 */
static int list_at_once(struct iodbg_target *t, int fd, struct iodbg_object **v,
			size_t *count)
{
	struct iodbg_object_info *k = NULL;
	uint32_t room = 16;
	int err = 0;

	for (;;) {
		struct iodbg_list_objects l = {
			.size = sizeof(l), .pid = t->pid, .count = room,
			.entry_size = sizeof(*k),
		};
		struct iodbg_object_info *bigger = reallocarray(k, room, sizeof(*k));
		uint32_t written = 0;

		if (!bigger) {
			err = iodbg__error(t, -ENOMEM, "out of memory");
			break;
		}
		k = bigger;
		memset(k, 0, room * sizeof(*k));
		l.objects = (uintptr_t)k;
		if (ioctl(fd, IODBG_IOC_LIST_OBJECTS, &l) < 0) {
			err = list_failed(t, object_listing.what, -errno);
			break;
		}
		if (l.count <= room) {
			while (written < l.count && k[written].length)
				written++;
			if (written < l.count)
				err = iodbg__error(t, -E2BIG, "the iodbg module (ABI version %u) "
						   "lists only %u of the %u iodbg mappings of "
						   "process %d; one of ABI 2 lists them all",
						   t->kernel_abi, written, l.count, (int)t->pid);
			else
				err = append_objects(t, v, count, k, l.count);
			break;
		}
		if (l.count > LIST_MAX) {
			err = iodbg__error(t, -E2BIG, "process %d has more than %u iodbg mappings",
					   (int)t->pid, LIST_MAX);
			break;
		}
		/* Cut short: more mappings than room. Ask again with room for them all. */
		room = l.count + 16;
	}
	free(k);
	return err;
}

/* The control device's descriptor, or an error that says why there is none. */
static int ctl_for_listing(struct iodbg_target *t)
{
	int fd = iodbg__ctl(t);

	if (fd == -ENODEV)
		return iodbg__error(t, fd, "iodbg module not loaded (" IODBG_DEVICE " missing)");
	if (fd < 0)
		return iodbg__error(t, fd, "cannot open " IODBG_DEVICE ": %s", strerror(-fd));
	return fd;
}

/* A listing by pid is of the process opened only if that process still holds the pid. */
static int check_listed_target(struct iodbg_target *t)
{
	if (!iodbg__kernel_pidfd(t) && iodbg__target_gone(t))
		return iodbg__error(t, -ESRCH, "process %d is gone", (int)t->pid);
	return 0;
}

int iodbg__list_objects_in(struct iodbg_target *t, uint64_t start, uint64_t end,
			   struct iodbg_object **out, size_t *count)
{
	struct iodbg_object_info *k = NULL;
	size_t n = 0;
	int fd, err;

	*out = NULL;
	*count = 0;
	fd = ctl_for_listing(t);
	if (fd < 0)
		return fd;
	if (t->kernel_features & IODBG_FEATURE_LIST_CURSOR) {
		err = list_paged(t, fd, &object_listing, start, end, (void **)&k, &n);
		if (!err)
			err = append_objects(t, out, count, k, n);
		free(k);
	} else {
		err = list_at_once(t, fd, out, count);
	}
	if (!err)
		err = check_listed_target(t);
	if (err) {
		free(*out);
		*out = NULL;
		*count = 0;
	}
	return err;
}

int iodbg__list_objects(struct iodbg_target *t, struct iodbg_object **out, size_t *count)
{
	return iodbg__list_objects_in(t, 0, 0, out, count);
}

int iodbg__list_vmas(struct iodbg_target *t, struct iodbg_vma_info **out, size_t *count)
{
	int fd, err;

	*out = NULL;
	*count = 0;
	fd = ctl_for_listing(t);
	if (fd < 0)
		return fd;
	if (!(t->kernel_features & IODBG_FEATURE_LIST_VMAS))
		return iodbg__error(t, -EOPNOTSUPP, "the loaded iodbg module (ABI version %u) "
				    "cannot list device mappings (no IODBG_FEATURE_LIST_VMAS)",
				    t->kernel_abi);
	err = list_paged(t, fd, &vma_listing, 0, 0, (void **)out, count);
	if (!err)
		err = check_listed_target(t);
	if (err) {
		free(*out);
		*out = NULL;
		*count = 0;
	}
	return err;
}

struct iodbg_objects {
	size_t count;
	struct iodbg_object *v;
};

IODBG_API int iodbg_objects(struct iodbg_target *t, struct iodbg_objects **out)
{
	struct iodbg_objects *o;
	int err;

	if (!t)
		return iodbg__no_target();
	if (!out)
		return iodbg__error(t, -EINVAL, "no place for the objects");
	*out = NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return iodbg__error(t, -ENOMEM, "out of memory");
	err = iodbg__list_objects(t, &o->v, &o->count);
	if (!err)
		err = iodbg__held_append(t, &o->v, &o->count);
	if (err) {
		iodbg_objects_free(o);
		return err;
	}
	*out = o;
	return 0;
}

struct iodbg_objects *iodbg__objects_new(struct iodbg_object *v, size_t count)
{
	struct iodbg_objects *o = calloc(1, sizeof(*o));

	if (o) {
		o->v = v;
		o->count = count;
	}
	return o;
}

IODBG_API size_t iodbg_objects_count(const struct iodbg_objects *o)
{
	return o ? o->count : 0;
}

IODBG_API const struct iodbg_object *iodbg_objects_get(const struct iodbg_objects *o, size_t i)
{
	return o && i < o->count ? &o->v[i] : NULL;
}

IODBG_API const struct iodbg_object *iodbg_objects_find(const struct iodbg_objects *o,
							uint64_t id)
{
	for (size_t i = 0; o && i < o->count; i++)
		if (o->v[i].id == id)
			return &o->v[i];
	return NULL;
}

IODBG_API void iodbg_objects_free(struct iodbg_objects *o)
{
	if (!o)
		return;
	free(o->v);
	free(o);
}

IODBG_API const char *iodbg_object_kind_name(uint32_t kind)
{
	switch (kind) {
	case IODBG_KIND_SCRATCH:
		return "scratch";
	case IODBG_KIND_GPU_BO:
		return "gpu_bo";
	case IODBG_KIND_SPU_LS:
		return "spu_ls";
	case IODBG_KIND_SPU_REGS:
		return "spu_regs";
	}
	return "unknown";
}

IODBG_API const char *iodbg_placement_name(uint32_t placement)
{
	switch (placement) {
	case IODBG_PLACEMENT_NONE:
		return "none";
	case IODBG_PLACEMENT_DEVICE:
		return "device";
	case IODBG_PLACEMENT_GART:
		return "gart";
	case IODBG_PLACEMENT_SYSTEM:
		return "system";
	case IODBG_PLACEMENT_SAVED:
		return "saved";
	}
	return "unknown";
}
