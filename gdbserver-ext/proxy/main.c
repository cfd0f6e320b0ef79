// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iodbg-gdbserver: gdbserver's command line, gdbserver's behaviour, plus device memory. It
 * starts the stock gdbserver on a socket pair ("stdio" as gdbserver's COMM), or connects to
 * one that runs already, and puts itself between it and gdb on COMM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "proxy.h"

#define PROGRAM "iodbg-gdbserver"

static const char usage[] =
	"usage: " PROGRAM " [OPTIONS] [GDBSERVER-OPTIONS] COMM PROG [ARGS ...]\n"
	"       " PROGRAM " [OPTIONS] [GDBSERVER-OPTIONS] --attach COMM PID\n"
	"       " PROGRAM " [OPTIONS] [GDBSERVER-OPTIONS] --multi COMM\n"
	"       " PROGRAM " [OPTIONS] --connect=HOST:PORT COMM\n"
	"\n"
	"gdbserver with device memory: starts gdbserver with the same arguments and relays\n"
	"between it and gdb, serving the memory reads and writes gdbserver refuses through\n"
	"libiodbg, and adding \"monitor iodbg ...\" (\"monitor iodbg help\" lists them).\n"
	"COMM is [HOST]:PORT to wait for gdb on TCP (port 0: any free one, printed), or - or\n"
	"stdio for standard input and output (gdb's \"target remote | " PROGRAM " - ...\").\n"
	"\n"
	"Options of its own:\n"
	"  --gdbserver=PATH     the gdbserver to start (default: gdbserver, from PATH)\n"
	"  --connect=HOST:PORT  relay to a gdbserver that is already listening there\n"
	"  --iodbg-debug        say on stderr what the proxy does itself\n"
	"  --help               this text; gdbserver --help lists gdbserver's options\n";

struct options {
	const char *gdbserver;
	const char *connect;
	const char *comm;
	bool debug;
	pid_t attach_pid;
	char **server_argv;	/* gdbserver's arguments, COMM replaced by "stdio" */
	int server_argc;
};

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, PROGRAM ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	exit(2);
}

/* Sort our options from gdbserver's; find COMM, and with --attach the PID after it. */
static void parse_options(int argc, char **argv, struct options *opt)
{
	bool attach = false, wrapper = false;
	int i;

	opt->gdbserver = "gdbserver";
	opt->server_argv = calloc((size_t)argc + 2, sizeof(char *));
	if (!opt->server_argv)
		exit(1);
	for (i = 1; i < argc; i++) {
		char *arg = argv[i];

		if (wrapper) {
			/* --wrapper WRAPPER ... --: the wrapper's words are not options. */
			opt->server_argv[++opt->server_argc] = arg;
			wrapper = strcmp(arg, "--") != 0;
		} else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(usage, stdout);
			exit(0);
		} else if (!strncmp(arg, "--gdbserver=", 12)) {
			opt->gdbserver = arg + 12;
		} else if (!strncmp(arg, "--connect=", 10)) {
			opt->connect = arg + 10;
		} else if (!strcmp(arg, "--iodbg-debug")) {
			opt->debug = true;
		} else if (!strncmp(arg, "--", 2) && arg[2]) {
			opt->server_argv[++opt->server_argc] = arg;
			attach |= !strcmp(arg, "--attach");
			wrapper |= !strcmp(arg, "--wrapper");
		} else {
			break;
		}
	}
	if (i == argc)
		die_usage("no COMM%s", "");
	opt->comm = argv[i++];
	opt->server_argv[++opt->server_argc] = "stdio";
	if (attach && i < argc) {
		char *end;
		long pid = strtol(argv[i], &end, 10);

		if (*end || pid <= 0 || pid > INT32_MAX)
			die_usage("bad process id \"%s\"", argv[i]);
		opt->attach_pid = (pid_t)pid;
	}
	for (; i < argc; i++)
		opt->server_argv[++opt->server_argc] = argv[i];
	opt->server_argv[0] = (char *)opt->gdbserver;
	if (opt->connect && opt->server_argc > 1)
		die_usage("--connect takes no gdbserver arguments, only COMM (%s)", opt->comm);
}

/* Split "HOST:PORT" (HOST may be empty) into its parts; the copy is the caller's. */
static char *split_host_port(const char *spec, const char **host, const char **port)
{
	char *copy = strdup(spec), *colon;

	if (!copy)
		exit(1);
	colon = strrchr(copy, ':');
	if (!colon || !colon[1])
		die_usage("\"%s\" is no HOST:PORT", spec);
	*colon = '\0';
	*host = *copy ? copy : NULL;
	*port = colon + 1;
	return copy;
}

static int tcp_socket(const char *spec, bool listening)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = listening ? AI_PASSIVE : 0 };
	struct addrinfo *list, *ai;
	const char *host, *port;
	char *copy = split_host_port(spec, &host, &port);
	int fd = -1, one = 1, err;

	err = getaddrinfo(host, port, &hints, &list);
	if (err) {
		fprintf(stderr, PROGRAM ": %s: %s\n", spec, gai_strerror(err));
		exit(1);
	}
	for (ai = list; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (listening ? bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 1)
			      : connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			close(fd);
			fd = -1;
		}
	}
	err = errno;
	freeaddrinfo(list);
	free(copy);
	if (fd < 0) {
		fprintf(stderr, PROGRAM ": %s %s: %s\n", listening ? "cannot listen on" :
			"cannot connect to", spec, strerror(err));
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int listening_port(int fd)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);

	if (getsockname(fd, (struct sockaddr *)&addr, &len))
		return -1;
	if (addr.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
	return ntohs(((struct sockaddr_in *)&addr)->sin_port);
}

static pid_t start_gdbserver(const struct options *opt, int *fd)
{
	int pair[2];
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair)) {
		perror(PROGRAM ": socketpair");
		exit(1);
	}
	child = fork();
	if (child < 0) {
		perror(PROGRAM ": fork");
		exit(1);
	}
	if (child == 0) {
		/* dup2 clears close-on-exec on the copies. */
		if (dup2(pair[1], 0) < 0 || dup2(pair[1], 1) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execvp(opt->gdbserver, opt->server_argv);
		fprintf(stderr, PROGRAM ": cannot run %s: %s\n", opt->gdbserver, strerror(errno));
		_exit(127);
	}
	close(pair[1]);
	*fd = pair[0];
	return child;
}

/* gdbserver's exit status as ours. */
static int child_status(pid_t child)
{
	int status;

	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/*
 * Wait for gdb on @listen_fd; 0 with *@gdb_fd, or gdbserver's exit status if it ended first
 * (it could not start the program, say).
 */
static int accept_gdb(int listen_fd, int server_fd, pid_t child, int *gdb_fd)
{
	for (;;) {
		struct pollfd fds[2] = { { .fd = listen_fd, .events = POLLIN },
					 { .fd = server_fd, .events = POLLIN } };
		char byte;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (fds[1].revents && recv(server_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
			fprintf(stderr, PROGRAM ": gdbserver ended before gdb connected\n");
			return child > 0 ? child_status(child) ?: 1 : 1;
		}
		if (fds[0].revents) {
			*gdb_fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (*gdb_fd >= 0) {
				int one = 1;

				setsockopt(*gdb_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				return 0;
			}
		}
	}
}

/*
 * After the session. When gdb has gone, gdbserver on stdio would wait for the next connection
 * for ever: it is ended, which leaves the program as "gdbserver --once" leaves it when gdb goes
 * (not --once itself: that also ends the session on the first malformed packet). A program it
 * started is killed with it, as it traces it with PTRACE_O_EXITKILL; one it attached to is
 * detached by the kernel and runs on. The exit status: 0, or gdbserver's if it ended first.
 */
static int finish_gdbserver(pid_t child, int server_fd, bool gdb_left)
{
	shutdown(server_fd, SHUT_RDWR);
	close(server_fd);
	if (!gdb_left)
		return child_status(child);
	kill(child, SIGTERM);
	child_status(child);
	return 0;
}

/* Wait for gdb on COMM and relay its session: the exit status. */
static int serve(const struct options *opt, bool stdio, pid_t child, int server_fd)
{
	int gdb_in = 0, gdb_out = 1, listen_fd = -1, ret;
	struct proxy proxy;

	if (!stdio) {
		listen_fd = tcp_socket(opt->comm, true);
		fprintf(stderr, "Listening on port %d\n", listening_port(listen_fd));
		ret = accept_gdb(listen_fd, server_fd, child, &gdb_in);
		if (ret) {
			close(listen_fd);
			return ret;
		}
		gdb_out = gdb_in;
	}
	ret = proxy_init(&proxy, gdb_in, gdb_out, server_fd, server_fd, opt->attach_pid);
	if (!ret) {
		/* Kept for "monitor iodbg spu-serve"; other connections are closed at once. */
		proxy.listen_fd = listen_fd;
		proxy.verbose = opt->debug;
		ret = proxy_run(&proxy);
		proxy_free(&proxy);
	}
	if (listen_fd >= 0)
		close(listen_fd);
	if (ret < 0)
		fprintf(stderr, PROGRAM ": %s\n", strerror(-ret));
	if (child > 0)
		return finish_gdbserver(child, server_fd, ret != PROXY_SERVER_LEFT) ?: ret < 0;
	close(server_fd);
	return ret < 0;
}

int main(int argc, char **argv)
{
	struct options opt = { 0 };
	pid_t child = 0;
	int server_fd, status;
	bool stdio;

	signal(SIGPIPE, SIG_IGN);
	parse_options(argc, argv, &opt);
	stdio = !strcmp(opt.comm, "-") || !strcmp(opt.comm, "stdio");
	if (!stdio && !strchr(opt.comm, ':'))
		die_usage("COMM \"%s\": a serial device is not supported; use [HOST]:PORT or -",
			  opt.comm);
	if (opt.connect)
		server_fd = tcp_socket(opt.connect, false);
	else
		child = start_gdbserver(&opt, &server_fd);
	status = serve(&opt, stdio, child, server_fd);
	free(opt.server_argv);
	return status;
}
