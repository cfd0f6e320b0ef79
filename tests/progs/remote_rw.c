// SPDX-License-Identifier: GPL-2.0
/*
 * remote_rw: one read or write of another process's memory, the way a debugger makes it,
 * for tests that run it as a plain user.
 *
 *   remote_rw vm|mem read PID ADDR LENGTH
 *   remote_rw vm|mem write PID ADDR HEXBYTES
 *
 * "vm" is one process_vm_readv() or process_vm_writev() call of the whole range, as lldb,
 * rr and perf make them; "mem" one pread() or pwrite() of /proc/PID/mem, as gdb and
 * gdbserver make them. Prints "ok N HEX" (a read: N bytes, which may be fewer than asked
 * for) or "ok N" (a write), or "error ENAME" when the call failed; exit status 0 either way,
 * 2 for bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
#include "hexline.h"

static int usage(void)
{
	fprintf(stderr, "usage: remote_rw vm|mem read PID ADDR LENGTH\n"
			"       remote_rw vm|mem write PID ADDR HEXBYTES\n");
	return 2;
}

static ssize_t parse_hex(const char *hex, unsigned char *buf, size_t max)
{
	size_t n = strlen(hex) / 2;

	if (strlen(hex) % 2 || n > max)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &buf[i]) != 1)
			return -1;
	return n;
}

static ssize_t proc_mem(pid_t pid, unsigned long addr, unsigned char *buf, size_t len,
			int write)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, write ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return -1;
	n = write ? pwrite(fd, buf, len, addr) : pread(fd, buf, len, addr);
	if (n < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return n;
}

int main(int argc, char **argv)
{
	static unsigned char buf[1 << 20];
	struct iovec local, remote;
	unsigned long addr;
	ssize_t len, n;
	int write, vm;
	pid_t pid;

	if (argc != 6)
		return usage();
	vm = !strcmp(argv[1], "vm");
	write = !strcmp(argv[2], "write");
	if ((!vm && strcmp(argv[1], "mem")) || (!write && strcmp(argv[2], "read")))
		return usage();
	pid = strtol(argv[3], NULL, 0);
	addr = strtoul(argv[4], NULL, 0);
	len = write ? parse_hex(argv[5], buf, sizeof(buf)) : strtol(argv[5], NULL, 0);
	if (len < 0 || (size_t)len > sizeof(buf))
		return usage();

	local = (struct iovec){ .iov_base = buf, .iov_len = len };
	remote = (struct iovec){ .iov_base = (void *)addr, .iov_len = len };
	if (vm)
		n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0) :
			    process_vm_readv(pid, &local, 1, &remote, 1, 0);
	else
		n = proc_mem(pid, addr, buf, len, write);
	if (n < 0) {
		printf("error %s\n", strerrorname_np(errno) ?: "unknown");
		return 0;
	}
	printf("ok %zd", n);
	if (!write) {
		printf(" ");
		print_hex_line(buf, n);
	} else {
		printf("\n");
	}
	return 0;
}
