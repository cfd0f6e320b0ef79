// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the kernel side offers: the iodbg module answers IODBG_IOC_VERSION on its control
 * device. Without it libiodbg still reads ordinary memory, so its absence is not an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iodbg.h>

#include "internal.h"

#define IODBG_DEVICE "/dev/" IODBG_DEVICE_NAME

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

/* Entries asked for per IODBG_IOC_LIST_OBJECTS call; the list is paged by address. */
#define LIST_PAGE 256

/* Append the @n entries of @k to the growing array *@v of *@count objects. */
static int append_objects(struct iodbg_object **v, size_t *count,
			  const struct iodbg_object_info *k, uint32_t n)
{
	struct iodbg_object *bigger = reallocarray(*v, *count + n + 1, sizeof(**v));

	if (!bigger)
		return -ENOMEM;
	*v = bigger;
	for (uint32_t i = 0; i < n; i++)
		iodbg__object_from_uapi(&bigger[*count + i], &k[i]);
	*count += n;
	return 0;
}

int iodbg__list_objects(struct iodbg_target *t, struct iodbg_object **out, size_t *count)
{
	struct iodbg_object_info k[LIST_PAGE];
	struct iodbg_object *v = NULL;
	uint64_t start = 0;
	int fd, err = 0;

	*out = NULL;
	*count = 0;
	fd = iodbg__open_ctl();
	if (fd == -ENODEV)
		return iodbg__error(t, fd, "iodbg module not loaded (" IODBG_DEVICE " missing)");
	if (fd < 0)
		return iodbg__error(t, fd, "cannot open " IODBG_DEVICE ": %s", strerror(-fd));
	for (;;) {
		struct iodbg_list_objects l = {
			.size = sizeof(l), .pid = t->pid, .count = LIST_PAGE,
			.entry_size = sizeof(k[0]), .objects = (uintptr_t)k, .start = start,
		};

		if (ioctl(fd, IODBG_IOC_LIST_OBJECTS, &l) < 0) {
			err = -errno;
			if (err == -EACCES)
				err = -EPERM;
			iodbg__error(t, err, "cannot list the iodbg objects of process %d: %s%s",
				     (int)t->pid, strerror(-err), err == -EPERM ?
				     " (no permission to debug it)" : "");
			break;
		}
		if (l.count > LIST_PAGE) {
			err = iodbg__error(t, -EPROTO, "the iodbg module answered %u entries for room "
					   "for %u: an older module (ABI 1)?", l.count, LIST_PAGE);
			break;
		}
		if (append_objects(&v, count, k, l.count)) {
			err = iodbg__error(t, -ENOMEM, "out of memory");
			break;
		}
		if (!(l.flags & IODBG_LIST_MORE))
			break;
		if (!l.count) {
			err = iodbg__error(t, -EPROTO, "the iodbg module listed nothing but said more");
			break;
		}
		start = k[l.count - 1].start + k[l.count - 1].length;
	}
	if (err) {
		free(v);
		*count = 0;
		v = NULL;
	} else if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			err = iodbg__error(t, -ENOMEM, "out of memory");
	}
	*out = v;
	close(fd);
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

	if (!t || !out)
		return -EINVAL;
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
