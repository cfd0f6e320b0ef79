// SPDX-License-Identifier: GPL-2.0-or-later
/* iodbg write: bytes into another process, given in hexadecimal or from a file. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"

static int do_write(struct options *o, int argc, char **argv)
{
	struct iodbg_target *t;
	unsigned char *data = NULL;
	uint64_t addr;
	size_t len = 0;
	pid_t pid;
	int status, err;

	if (!parse_pid(argv[0], &pid))
		return error(EXIT_USAGE, "bad PID '%s'", argv[0]);
	if (!parse_addr(argv[1], &addr))
		return error(EXIT_USAGE, "bad %s '%s' (hexadecimal)", o->object ? "OFFSET" : "ADDR",
			     argv[1]);
	if ((argc == 3) == !!o->file)
		return error(EXIT_USAGE, "write takes the bytes as HEX or from -f FILE, %s",
			     o->file ? "not both" : "and got neither");
	if (o->file) {
		err = read_file(o->file, &data, &len);
		if (err)
			return error(1, "cannot read %s: %s", o->file, strerror(-err));
		if (!len) {
			free(data);
			return error(EXIT_USAGE, "%s is empty: nothing to write", o->file);
		}
	} else if (parse_hex_bytes(argv[2], &data, &len)) {
		return error(EXIT_USAGE, "bad HEX '%s' (pairs of hexadecimal digits)", argv[2]);
	}
	if (len - 1 > UINT64_MAX - addr) {
		free(data);
		return error(EXIT_USAGE, "0x%" PRIx64 " + %zu passes the end of the %s", addr, len,
			     o->object ? "64-bit offsets" : "address space");
	}
	if (open_target(o, pid, &t)) {
		free(data);
		return 1;
	}
	status = transfer(o, t, true, addr, data, len, NULL);
	close_target(o, t);
	free(data);
	return status;
}

static const struct option write_opts[] = {
	OPT_HELP, OPT_JSON, OPT_PATH, OPT_REPORT, OPT_ATTACH, OPT_MMIO, OPT_OBJECT, OPT_WIDTH,
	{ "file", required_argument, NULL, 'f' }, OPT_END
};

const struct command write_command = {
	"write", do_write, -1, "hjp:ramf:w:", write_opts,
	"usage: iodbg write [OPTIONS] PID ADDR (HEX | -f FILE)\n"
	"       iodbg write --object=ID [OPTIONS] PID OFFSET (HEX | -f FILE)\n"
	"Write bytes at ADDR in PID (at OFFSET in object ID): HEX as pairs of hexadecimal\n"
	"digits (spaces and colons between them are ignored), or the contents of FILE\n"
	"('-': stdin).\n"
	"  -f, --file=FILE    the bytes to write\n" XFER_HELP
};
