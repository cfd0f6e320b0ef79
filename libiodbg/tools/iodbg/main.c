// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iodbg: read and write another process's memory by the best path that works, and say which.
 *
 *   iodbg maps PID                 iodbg read PID ADDR LEN      iodbg info
 *   iodbg write PID ADDR (HEX | -f FILE)                         iodbg objects PID
 *   iodbg read --object=ID PID OFFSET LEN, iodbg write --object=ID PID OFFSET (HEX | -f FILE)
 *
 * Each subcommand is in the file of its name (maps.c, read.c, ...); what they share is in
 * common.c (arguments, the target), output.c (xxd, JSON, reports, progress) and transfer.c.
 * Transfers go in chunks, so that any length streams in bounded memory and a progress line
 * can follow them; what a chunk could not transfer ends the command with the library's
 * message. Exit status: 0 done, 1 failed, 2 usage, 3 partial (see usage_text).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "main.h"

static const char usage_text[] =
	"usage: iodbg [--help] [--version] COMMAND [ARGS]\n"
	"\n"
	"  maps PID                      the mappings of PID and their kind\n"
	"  read PID ADDR LEN             LEN bytes at ADDR, as a hexdump or raw (-o FILE)\n"
	"  write PID ADDR (HEX|-f FILE)  write bytes at ADDR\n"
	"  objects PID                   the iodbg objects PID maps or holds open (needs the\n"
	"                                iodbg module)\n"
	"  info                          the library and the kernel side\n"
	"  core PID [-o FILE]            an ELF core of PID with its device memory\n"
	"  stacks PID                    each thread's stack, the threads blocked on device\n"
	"                                memory marked\n"
	"\n"
	"ADDR is hexadecimal (0x optional); LEN is decimal or 0x hexadecimal, with an optional\n"
	"k, M or G suffix (powers of 1024). With read and write --object=ID, ADDR is an offset\n"
	"in iodbg object ID of PID. 'iodbg objects --core FILE' and 'iodbg read --core FILE\n"
	"ADDR LEN' read a core file that 'iodbg core' wrote instead of PID. 'iodbg COMMAND\n"
	"--help' describes each command.\n"
	"\n"
	"Exit status: 0 success; 1 failure (nothing transferred, or the target or the kernel\n"
	"side could not be read); 2 bad usage; 3 partial transfer (the bytes before the first\n"
	"that no path could reach were transferred; the message says where and why).\n";

static const struct command *const commands[] = {
	&maps_command, &read_command, &write_command, &objects_command, &info_command,
	&core_command, &stacks_command,
};

static int run(const struct command *c, int argc, char **argv)
{
	struct options o = { .path = IODBG_PATH_AUTO };
	int opt, nargs;

	optind = 1;
	while ((opt = getopt_long(argc, argv, c->shortopts, c->longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(c->help, stdout);
			return 0;
		case 'j':
			o.json = true;
			break;
		case 'r':
			o.report = true;
			break;
		case 'a':
			o.attach = true;
			break;
		case 'm':
			o.allow_mmio = true;
			break;
		case 'p':
			o.path = iodbg_path_from_name(optarg);
			if (o.path < 0)
				return error(EXIT_USAGE, "%s", iodbg_errmsg(NULL));
			break;
		case 'o':
		case 'f':
			o.file = optarg;
			break;
		case 'w':
			if (strlen(optarg) != 1 || !strchr("1248", *optarg))
				return error(EXIT_USAGE, "bad --width '%s' (1, 2, 4 or 8)", optarg);
			o.width = *optarg - '0';
			break;
		case 'C':
			o.core = optarg;
			break;
		case 'O':
			if (!parse_id(optarg, &o.id))
				return error(EXIT_USAGE, "bad object ID '%s' (decimal)", optarg);
			o.object = true;
			break;
		default:
			fputs(c->help, stderr);
			return EXIT_USAGE;
		}
	}
	if (o.path == IODBG_PATH_OBJECT && !o.object)
		return error(EXIT_USAGE, "--path=object needs --object=ID");
	nargs = argc - optind;
	if (c->nargs >= 0 ? nargs != c->nargs - !!o.core : nargs < 2 || nargs > 3) {
		fputs(c->help, stderr);
		return EXIT_USAGE;
	}
	return c->run(&o, nargs, argv + optind);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("iodbg %s\n", iodbg_version());
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i]->name))
			return run(commands[i], argc - 1, argv + 1);
	error(EXIT_USAGE, "no command '%s'", argv[1]);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}
