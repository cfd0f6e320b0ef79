// SPDX-License-Identifier: GPL-2.0-or-later
/* iodbg read: bytes of another process, as xxd prints them or raw. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"

/*
 * @len bytes at @addr of the process a core was taken from (at offset @addr of its object
 * o->id with --object), in chunks as transfer() does.
 */
static int core_read(struct options *o, uint64_t addr, uint64_t len, FILE *out)
{
	unsigned char *buf = malloc(len < CHUNK ? len : CHUNK);
	struct iodbg_core *core;
	uint64_t done = 0;
	int status = 0;

	if (!buf)
		return error(1, "out of memory");
	if (iodbg_core_open(o->core, &core)) {
		free(buf);
		return error(1, "%s", iodbg_errmsg(NULL));
	}
	while (done < len) {
		size_t want = len - done < CHUNK ? len - done : CHUNK;
		ssize_t n = o->object ? iodbg_core_object_read(core, o->id, addr + done, buf, want)
				      : iodbg_core_read(core, addr + done, buf, want);

		if (n > 0 && !write_out(out, addr + done, buf, n)) {
			o->output_failed = true;
			status = error(1, "cannot write %s: %m", o->file && strcmp(o->file, "-") ?
				       o->file : "the output");
			break;
		}
		if (n > 0)
			done += n;
		if (n < (ssize_t)want) {
			status = done ? EXIT_PARTIAL : 1;
			error(status, "%s: %s", o->core, iodbg_errmsg(NULL));
			break;
		}
	}
	iodbg_core_close(core);
	free(buf);
	return status;
}

static int do_read(struct options *o, int argc, char **argv)
{
	struct iodbg_target *t;
	uint64_t addr, len;
	FILE *out = NULL;
	pid_t pid = 0;
	int status;

	(void)argc;
	if (o->core && (o->path != IODBG_PATH_AUTO || o->attach || o->allow_mmio || o->width ||
			o->report))
		return error(EXIT_USAGE, "--core reads the core file alone: no --path, --attach, "
			     "--allow-mmio, --width or --report");
	if (!o->core && !parse_pid(argv[0], &pid))
		return error(EXIT_USAGE, "bad PID '%s'", argv[0]);
	if (!o->core)
		argv++;		/* with --core, no PID: ADDR and LEN come first */
	if (!parse_addr(argv[0], &addr))
		return error(EXIT_USAGE, "bad %s '%s' (hexadecimal)", o->object ? "OFFSET" : "ADDR",
			     argv[0]);
	if (!parse_len(argv[1], &len) || !len)
		return error(EXIT_USAGE, "bad LEN '%s' (at least 1)", argv[1]);
	if (len - 1 > UINT64_MAX - addr)
		return error(EXIT_USAGE, "0x%" PRIx64 " + %" PRIu64 " passes the end of the %s",
			     addr, len, o->object ? "64-bit offsets" : "address space");
	if (o->file) {
		out = strcmp(o->file, "-") ? fopen(o->file, "we") : stdout;
		if (!out)
			return error(1, "cannot open %s: %m", o->file);
	}
	if (o->core) {
		status = core_read(o, addr, len, out);
		goto out;
	}
	if (open_target(o, pid, &t)) {
		if (out && out != stdout)
			fclose(out);
		return 1;
	}
	status = transfer(o, t, false, addr, NULL, len, out);
	close_target(o, t);
out:
	if (out && out != stdout && fclose(out) && !o->output_failed)
		return error(1, "cannot write %s: %m", o->file);
	if (fflush(stdout) && !o->output_failed)
		return error(1, "cannot write the output: %m");
	return status;
}

static const struct option read_opts[] = {
	OPT_HELP, OPT_JSON, OPT_PATH, OPT_REPORT, OPT_ATTACH, OPT_MMIO, OPT_OBJECT, OPT_WIDTH,
	OPT_CORE, { "output", required_argument, NULL, 'o' }, OPT_END
};

const struct command read_command = {
	"read", do_read, 3, "hjp:ramo:w:", read_opts,
	"usage: iodbg read [OPTIONS] PID ADDR LEN\n"
	"       iodbg read --object=ID [OPTIONS] PID OFFSET LEN\n"
	"       iodbg read --core=FILE [--object=ID] [-o FILE] ADDR LEN\n"
	"Read LEN bytes at ADDR in PID (at OFFSET in object ID) and print them as xxd does\n"
	"(xxd -o ADDR), or raw.\n"
	"  -o, --output=FILE  write the raw bytes to FILE ('-': stdout)\n"
	"  --core=FILE the memory of the process a core of 'iodbg core' was taken from, device\n"
	"              mappings included, or with --object its objects as the core holds them\n"
	"              (also a Cell Linux core's SPU contexts, ID their descriptor); the core\n"
	"              alone: no other option below\n" XFER_HELP
};
