// SPDX-License-Identifier: GPL-2.0-or-later
/* iodbg info: the library, its paths and the kernel side. */
#define _GNU_SOURCE
#include <inttypes.h>

#include <linux/iodbg.h>

#include "main.h"

static int do_info(struct options *o, int argc, char **argv)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} features[] = {
		{ IODBG_FEATURE_RW_ADDR, "rw_addr" },
		{ IODBG_FEATURE_RW_OBJECT, "rw_object" },
		{ IODBG_FEATURE_LIST_OBJECTS, "list_objects" },
		{ IODBG_FEATURE_GENERIC, "generic" },
		{ IODBG_FEATURE_PIDFD, "pidfd" },
		{ IODBG_FEATURE_LIST_CURSOR, "list_cursor" },
		{ IODBG_FEATURE_WIDTH, "width" },
	};
	struct iodbg_kernel_info k;
	uint64_t unknown;
	int err;

	(void)argc;
	(void)argv;
	err = iodbg_kernel_info(&k);
	unknown = k.features;
	if (o->json) {
		printf("{\"version\": \"%s\", \"paths\": [", iodbg_version());
		for (int id = IODBG_PATH_AUTO + 1; iodbg_path_name(id); id++)
			printf("%s\"%s\"", id > 1 ? ", " : "", iodbg_path_name(id));
		printf("], \"kernel\": {\"loaded\": %s, \"abi_version\": %u, \"features\": [",
		       k.loaded ? "true" : "false", k.abi_version);
		for (size_t i = 0, n = 0; i < sizeof(features) / sizeof(features[0]); i++)
			if (k.features & features[i].bit)
				printf("%s\"%s\"", n++ ? ", " : "", features[i].name);
		printf("], \"message\": ");
		json_str(stdout, iodbg_errmsg(NULL));
		printf("}}\n");
		return err ? 1 : 0;
	}
	printf("libiodbg %s\npaths: ", iodbg_version());
	for (int id = IODBG_PATH_AUTO + 1; iodbg_path_name(id); id++)
		printf("%s%s", id > 1 ? " " : "", iodbg_path_name(id));
	printf("\nkernel: %s\n", iodbg_errmsg(NULL));
	if (err)
		return error(1, "%s", iodbg_errmsg(NULL));
	if (!k.loaded) {
		printf("VM_IO and VM_PFNMAP mappings are readable only where their driver has "
		       "->access\n");
		return 0;
	}
	printf("features:");
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (k.features & features[i].bit) {
			printf(" %s", features[i].name);
			unknown &= ~features[i].bit;
		}
	if (unknown)
		printf(" 0x%" PRIx64, unknown);
	printf("\n");
	return 0;
}

static const struct option info_opts[] = { OPT_HELP, OPT_JSON, OPT_END };

const struct command info_command = {
	"info", do_info, 0, "hj", info_opts,
	"usage: iodbg info [--json]\n"
	"The library version, its paths, and whether the iodbg module is loaded (its ABI\n"
	"version and features).\n"
	"  --json      one JSON object\n"
};
