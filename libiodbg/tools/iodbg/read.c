// SPDX-License-Identifier: GPL-2.0-or-later
/* iodbg read: bytes of another process, as xxd prints them or raw. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <string.h>

#include "main.h"

static int do_read(struct options *o, int argc, char **argv)
{
	struct iodbg_target *t;
	uint64_t addr, len;
	FILE *out = NULL;
	pid_t pid;
	int status;

	(void)argc;
	if (!parse_pid(argv[0], &pid))
		return error(EXIT_USAGE, "bad PID '%s'", argv[0]);
	if (!parse_addr(argv[1], &addr))
		return error(EXIT_USAGE, "bad %s '%s' (hexadecimal)", o->object ? "OFFSET" : "ADDR",
			     argv[1]);
	if (!parse_len(argv[2], &len) || !len)
		return error(EXIT_USAGE, "bad LEN '%s' (at least 1)", argv[2]);
	if (len - 1 > UINT64_MAX - addr)
		return error(EXIT_USAGE, "0x%" PRIx64 " + %" PRIu64 " passes the end of the %s",
			     addr, len, o->object ? "64-bit offsets" : "address space");
	if (o->file) {
		out = strcmp(o->file, "-") ? fopen(o->file, "we") : stdout;
		if (!out)
			return error(1, "cannot open %s: %m", o->file);
	}
	if (open_target(o, pid, &t)) {
		if (out && out != stdout)
			fclose(out);
		return 1;
	}
	status = transfer(o, t, false, addr, NULL, len, out);
	close_target(o, t);
	if (out && out != stdout && fclose(out) && !o->output_failed)
		return error(1, "cannot write %s: %m", o->file);
	if (fflush(stdout) && !o->output_failed)
		return error(1, "cannot write the output: %m");
	return status;
}

static const struct option read_opts[] = {
	OPT_HELP, OPT_JSON, OPT_PATH, OPT_REPORT, OPT_ATTACH, OPT_MMIO, OPT_OBJECT, OPT_WIDTH,
	{ "output", required_argument, NULL, 'o' }, OPT_END
};

const struct command read_command = {
	"read", do_read, 3, "hjp:ramo:w:", read_opts,
	"usage: iodbg read [OPTIONS] PID ADDR LEN\n"
	"       iodbg read --object=ID [OPTIONS] PID OFFSET LEN\n"
	"Read LEN bytes at ADDR in PID (at OFFSET in object ID) and print them as xxd does\n"
	"(xxd -o ADDR), or raw.\n"
	"  -o, --output=FILE  write the raw bytes to FILE ('-': stdout)\n" XFER_HELP
};
