// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the kernel side offers: the iodbg module answers IODBG_IOC_VERSION on its control
 * device. Without it libiodbg still reads ordinary memory, so its absence is not an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
