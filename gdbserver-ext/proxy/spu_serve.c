// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An SPU context's local store as an address space of its own over the wire: the remote form
 * of "spu attach". After "monitor iodbg spu-serve CTX", gdb opens a second connection to the
 * port it debugs the program through, and the proxy hands it to iodbg-spu-stub, which speaks
 * the remote protocol on it as it does on the pipe gdb starts it on natively. No other port
 * is opened, so a board reached through one forwarded port serves it too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proxy.h"

#define STUB "iodbg-spu-stub"

/*
 * Run the stub on @fd as its standard input and output: $IODBG_SPU_STUB, else the one beside
 * this program (installed or built, they are side by side), else $PATH's. Never returns.
 */
static void exec_stub(int fd, pid_t pid, uint64_t ctx)
{
	char pid_text[16], ctx_text[24], self[PATH_MAX];
	char *argv[] = { STUB, pid_text, ctx_text, NULL };
	const char *env = getenv("IODBG_SPU_STUB");
	char *slash = NULL;
	ssize_t n;

	snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
	snprintf(ctx_text, sizeof(ctx_text), "%" PRIu64, ctx);
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0)
		_exit(127);
	close(fd);
	if (env && *env)
		execv(env, argv);
	n = readlink("/proc/self/exe", self, sizeof(self) - sizeof(STUB));
	if (n > 0)
		slash = memrchr(self, '/', n);
	if (slash) {
		memcpy(slash + 1, STUB, sizeof(STUB));
		execv(self, argv);
	}
	execvp(STUB, argv);
	fprintf(stderr, "iodbg-gdbserver: cannot run " STUB ": %s\n", strerror(errno));
	_exit(127);
}

int spu_serve_accept(struct proxy *proxy)
{
	int fd = accept4(proxy->listen_fd, NULL, NULL, SOCK_CLOEXEC), one = 1, status;
	uint64_t ctx = proxy->spu_ctx;
	pid_t child;

	if (fd < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (!ctx) {
		/* Unannounced: refused at once, as a busy gdbserver refuses, not left waiting. */
		close(fd);
		return 0;
	}
	proxy->spu_ctx = 0;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	child = fork();
	if (!child) {
		/*
		 * In a session of its own, as gdb starts it (a Ctrl-C for the program must not
		 * end it), and reparented at once, so that the proxy need not reap it.
		 */
		setsid();
		if (!fork())
			exec_stub(fd, proxy->spu_pid, ctx);
		_exit(0);
	}
	close(fd);
	if (child < 0)
		return -errno;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}
