// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The relay. gdb speaks first and waits for each reply (all-stop and non-stop alike: in
 * non-stop, events come as notifications, which pass through whenever they arrive), so the
 * proxy needs no queue: it forwards a packet, and what gdbserver sends next is the answer.
 * Where the proxy asks gdbserver questions of its own (the pieces of a large read), it does
 * so between gdb's request and its reply.
 */
#define _GNU_SOURCE
#include "proxy.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iodbg/iodbg.h>

#include "rsp.h"

#define log_debug(proxy, ...) \
	do { if ((proxy)->verbose) fprintf(stderr, "iodbg-gdbserver: " __VA_ARGS__); } while (0)

int proxy_init(struct proxy *proxy, int gdb_in, int gdb_out, int server_in, int server_out,
	       pid_t pid)
{
	int ret;

	memset(proxy, 0, sizeof(*proxy));
	proxy->pid = pid;
	proxy->listen_fd = -1;
	/* Until gdbserver says otherwise: the size gdb assumes of a stub that names none. */
	proxy->server_packet_size = 400;
	ret = link_init(&proxy->gdb, "gdb", gdb_in, gdb_out, PROXY_PACKET_SIZE);
	if (ret)
		return ret;
	ret = link_init(&proxy->server, "gdbserver", server_in, server_out,
			PROXY_SERVER_PACKET_MAX);
	if (ret)
		link_free(&proxy->gdb);
	return ret;
}

static void forget_target(struct proxy *proxy)
{
	iodbg_close(proxy->target);
	proxy->target = NULL;
}

void proxy_free(struct proxy *proxy)
{
	forget_target(proxy);
	link_free(&proxy->gdb);
	link_free(&proxy->server);
	free(proxy->out.data);
	free(proxy->bytes.data);
	free(proxy->hex.data);
	free(proxy->scratch.data);
	free(proxy->map_xml);
	free(proxy->breakpoints);
}

static void set_pid(struct proxy *proxy, pid_t pid)
{
	if (pid <= 0 || pid == proxy->pid)
		return;
	log_debug(proxy, "memory packets now address process %d\n", (int)pid);
	forget_target(proxy);
	proxy->pid = pid;
}

struct iodbg_target *proxy_target(struct proxy *proxy, int *err)
{
	*err = 0;
	if (!proxy->target) {
		if (proxy->pid <= 0) {
			*err = -ESRCH;
			return NULL;
		}
		*err = iodbg_open(proxy->pid, 0, &proxy->target);
		if (*err)
			return NULL;
		iodbg_set_allow_mmio(proxy->target, proxy->allow_mmio);
	}
	return proxy->target;
}

/* @buffer's memory, grown to at least @need bytes (its bytes kept); NULL if it cannot grow. */
static void *buffer_room(struct buffer *buffer, size_t need)
{
	void *bigger;

	if (need <= buffer->room)
		return buffer->data;
	bigger = realloc(buffer->data, need);
	if (!bigger)
		return NULL;
	buffer->data = bigger;
	buffer->room = need;
	return bigger;
}

/* ---- parsing what the packets say ---- */

/* A hex number of at most 16 digits at *@s; advances *@s. 0, or -1 if there is none. */
static int parse_hex(const char **s, const char *end, uint64_t *value)
{
	const char *p = *s;
	int digit;

	*value = 0;
	while (p < end && (digit = rsp_hex_digit((unsigned char)*p)) >= 0) {
		if (p - *s == 16)
			return -1;
		*value = *value << 4 | (uint64_t)digit;
		p++;
	}
	if (p == *s)
		return -1;
	*s = p;
	return 0;
}

/* The thread group of thread @tid, as Linux gdbserver without multiprocess names threads. */
static pid_t thread_group(pid_t tid)
{
	char path[64], line[256];
	pid_t tgid = 0;
	FILE *status;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	status = fopen(path, "re");
	if (!status)
		return 0;
	while (fgets(line, sizeof(line), status))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(status);
	return tgid;
}

/*
 * The process of a thread id ("pPID.TID", "TID"; -1 and 0 name none), from @s up to @end or
 * the first ';'. 0 if it names none.
 */
static pid_t thread_id_pid(const char *s, const char *end)
{
	uint64_t value;

	if (s < end && *s == 'p') {
		s++;
		if (parse_hex(&s, end, &value) || !value || value > INT32_MAX)
			return 0;
		return (pid_t)value;
	}
	if (parse_hex(&s, end, &value) || !value || value > INT32_MAX)
		return 0;
	return thread_group((pid_t)value);
}

/* The value of "@key:" among a stop reply's ';'-separated pairs, or NULL. */
static const char *stop_field(const char *payload, size_t len, const char *key)
{
	const char *end = payload + len, *p = payload + 3;	/* past "Txx" */
	size_t klen = strlen(key);

	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));

		if ((size_t)(end - p) > klen && !memcmp(p, key, klen) && p[klen] == ':')
			return p + klen + 1;
		if (!semi)
			break;
		p = semi + 1;
	}
	return NULL;
}

/* Learn from a stop reply ("T05thread:p1a.1a;...", "W00;process:1a", ...) whom it concerns. */
static void learn_from_stop(struct proxy *proxy, const char *payload, size_t len)
{
	const char *end = payload + len, *field;

	if (len >= 3 && payload[0] == 'T') {
		field = stop_field(payload, len, "thread");
		if (field)
			set_pid(proxy, thread_id_pid(field, end));
		/* A new program: none of the old one's mappings or descriptors are its. */
		if (stop_field(payload, len, "exec")) {
			log_debug(proxy, "process %d ran a new program\n", (int)proxy->pid);
			forget_target(proxy);
		}
	} else if (len >= 3 && (payload[0] == 'W' || payload[0] == 'X')) {
		const char *process = memmem(payload, len, ";process:", 9);
		uint64_t pid;

		/* Without multiprocess the only process exited. */
		if (!process || (process += 9, !parse_hex(&process, end, &pid) &&
				 pid == (uint64_t)proxy->pid)) {
			log_debug(proxy, "process %d exited\n", (int)proxy->pid);
			forget_target(proxy);
			proxy->pid = 0;
		}
	}
}

static bool starts_with(const char *payload, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	return len >= plen && !memcmp(payload, prefix, plen);
}

/* ---- talking to gdbserver on the proxy's own account ---- */

static int forward_notification(struct proxy *proxy, const struct rsp_event *event)
{
	if (starts_with(event->payload, event->len, "Stop:"))
		learn_from_stop(proxy, event->payload + 5, event->len - 5);
	return link_send(&proxy->gdb, '%', event->payload, event->len);
}

/*
 * Send @payload to gdbserver and wait for its reply packet, passing notifications to gdb
 * meanwhile. The reply is in proxy->server.framer until the next event of that link.
 */
static int server_call(struct proxy *proxy, const char *payload, size_t len,
		       struct rsp_event *reply)
{
	int ret = link_send(&proxy->server, '$', payload, len);

	while (!ret) {
		ret = link_next(&proxy->server, reply, true);
		if (ret <= 0)
			continue;
		if (reply->kind == RSP_EV_PACKET)
			return 0;
		ret = reply->kind == RSP_EV_NOTIFY ? forward_notification(proxy, reply) : 0;
	}
	return ret;
}

/* The longest 'm' or 'M' data gdbserver takes whole: two hex digits a byte, and a header. */
static size_t server_chunk(const struct proxy *proxy)
{
	size_t room = proxy->server_packet_size > 64 ? proxy->server_packet_size - 64 : 16;

	return room / 2;
}

/* Whether @len characters at @text are all hex digits. */
static bool all_hex(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (rsp_hex_digit((unsigned char)text[i]) < 0)
			return false;
	return true;
}

/*
 * Read @len bytes at @addr through gdbserver, as hex into @hex (room for 2 * @len): gdb
 * takes the digits as gdbserver sent them, run-length encoding undone, never decoded and
 * encoded again. The count of bytes it read (its reply may be short), 0 if it refused (its
 * error reply copied to @error), or a negative errno if the link failed.
 */
static ssize_t server_read(struct proxy *proxy, uint64_t addr, char *hex, size_t len,
			   char *error, size_t error_size)
{
	struct rsp_event reply;
	char request[48];
	int n = snprintf(request, sizeof(request), "m%" PRIx64 ",%zx", addr, len);
	int ret = server_call(proxy, request, (size_t)n, &reply);
	ssize_t hexlen;

	if (ret)
		return ret;
	hexlen = rsp_expand_rle(reply.payload, reply.len, hex, 2 * len);
	if (hexlen <= 0 || hexlen % 2 || !all_hex(hex, (size_t)hexlen)) {
		/* An error reply ("E01"), or one the proxy does not understand: both refuse. */
		snprintf(error, error_size, "%.*s", (int)reply.len, reply.payload);
		return 0;
	}
	return hexlen / 2;
}

/* Write through gdbserver: 1 if it did, 0 if it refused, or a negative errno. */
static int server_write(struct proxy *proxy, uint64_t addr, const unsigned char *buf,
			size_t len, char *error, size_t error_size)
{
	struct rsp_event reply;
	char *request = buffer_room(&proxy->out, 2 * len + 48);
	int n, ret;

	if (!request)
		return -ENOMEM;
	n = snprintf(request, 48, "M%" PRIx64 ",%zx:", addr, len);
	rsp_hex_encode(request + n, buf, len);
	ret = server_call(proxy, request, (size_t)n + 2 * len, &reply);
	if (ret)
		return ret;
	if (reply.len == 2 && !memcmp(reply.payload, "OK", 2))
		return 1;
	snprintf(error, error_size, "%.*s", (int)reply.len, reply.payload);
	return 0;
}

/* ---- memory packets ---- */

/*
 * Read @len bytes at @addr through libiodbg, as hex into @hex (room for 2 * @len): the count
 * of bytes, or a negative errno.
 */
static ssize_t libiodbg_read(struct proxy *proxy, uint64_t addr, char *hex, size_t len)
{
	unsigned char *buf = buffer_room(&proxy->scratch, len);
	struct iodbg_target *target;
	ssize_t got;
	int err;

	if (!buf)
		return -ENOMEM;
	target = proxy_target(proxy, &err);
	if (!target)
		return err;
	got = iodbg_read(target, addr, buf, len, NULL);
	log_debug(proxy, "read %#" PRIx64 "+%zu through libiodbg: %zd%s%s\n", addr, len, got,
		  got < (ssize_t)len ? ": " : "", got < (ssize_t)len ? iodbg_errmsg(target) : "");
	if (got > 0)
		rsp_hex_encode(hex, buf, (size_t)got);
	return got;
}

static ssize_t fallback_write(struct proxy *proxy, uint64_t addr, const unsigned char *buf,
			      size_t len)
{
	struct iodbg_target *target;
	ssize_t done;
	int err;

	target = proxy_target(proxy, &err);
	if (!target)
		return err;
	done = iodbg_write(target, addr, buf, len, NULL);
	log_debug(proxy, "wrote %#" PRIx64 "+%zu through libiodbg: %zd%s%s\n", addr, len, done,
		  done < (ssize_t)len ? ": " : "",
		  done < (ssize_t)len ? iodbg_errmsg(target) : "");
	return done;
}

/* Whether a software breakpoint inserted in the current process lies in [@addr, +@len). */
static bool breakpoint_in(const struct proxy *proxy, uint64_t addr, size_t len)
{
	if (proxy->breakpoints_lost)
		return true;
	for (size_t i = 0; i < proxy->nbreakpoints; i++) {
		const struct sw_breakpoint *b = &proxy->breakpoints[i];

		if (b->pid == proxy->pid &&
		    (addr <= b->addr ? b->addr - addr < len : addr - b->addr < b->len))
			return true;
	}
	return false;
}

/*
 * Read what can be read of @len bytes at @addr, as hex into @hex (room for 2 * @len).
 * libiodbg reads first, in one call, where gdbserver would take a round trip per piece its
 * packet size allows; unless a breakpoint lies in the range (gdbserver hides its trap
 * instruction). From where libiodbg stopped, gdbserver reads what it can, in pieces it takes
 * whole, and libiodbg again from where gdbserver stopped. The count of bytes read from @addr
 * on (0 if not even the first one, with gdbserver's error reply in @error), or a negative
 * errno if a link failed.
 */
static ssize_t read_range(struct proxy *proxy, uint64_t addr, char *hex, size_t len,
			  char *error, size_t error_size)
{
	size_t done = 0;

	if (!breakpoint_in(proxy, addr, len)) {
		ssize_t got = libiodbg_read(proxy, addr, hex, len);

		if (got > 0)
			done = (size_t)got;
	}
	while (done < len) {
		size_t piece = len - done < server_chunk(proxy) ? len - done : server_chunk(proxy);
		ssize_t got = server_read(proxy, addr + done, hex + 2 * done, piece, error,
					  error_size);

		if (got < 0)
			return got;
		if (got == 0)
			got = libiodbg_read(proxy, addr + done, hex + 2 * done, len - done);
		if (got <= 0)
			break;
		done += (size_t)got;
	}
	return (ssize_t)done;
}

/* "mADDR,LEN": as many bytes as could be read from ADDR on, as gdb expects of 'm'. */
static int serve_read(struct proxy *proxy, uint64_t addr, size_t len)
{
	char error[64] = "E01";
	char *hex;
	ssize_t done;

	if (!len)
		return link_send_str(&proxy->gdb, "");
	hex = buffer_room(&proxy->hex, 2 * len);
	if (!hex)
		return link_send_str(&proxy->gdb, "E0c");
	done = read_range(proxy, addr, hex, len, error, sizeof(error));
	if (done < 0)
		return (int)done;
	if (!done)
		return link_send_str(&proxy->gdb, error);
	return link_send(&proxy->gdb, '$', hex, rsp_encode_rle(hex, 2 * (size_t)done));
}

/*
 * "qSearch:memory:ADDR;LEN;PATTERN": gdbserver would search only what it can read, so the
 * proxy searches, window by window, each window overlapping the last by the pattern's length
 * less one. "1,ADDR" where found, "0" if not, an error where the range stops being readable.
 */
static int serve_search(struct proxy *proxy, uint64_t addr, uint64_t len, const char *pattern,
			size_t plen)
{
	size_t window = 64 * 1024, keep = 0, held;
	unsigned char *buf = buffer_room(&proxy->bytes, window + plen);
	char *hex = buffer_room(&proxy->hex, 2 * window);
	uint64_t at = addr, end = addr + len;
	char error[64] = "E01";

	if (!buf || !hex)
		return link_send_str(&proxy->gdb, "E0c");
	if (!plen || plen > len)
		return link_send_str(&proxy->gdb, plen ? "0" : "E16");
	while (at < end) {
		size_t want = end - at < window ? (size_t)(end - at) : window;
		ssize_t got = read_range(proxy, at, hex, want, error, sizeof(error));
		const unsigned char *hit;
		char reply[32];

		if (got < 0)
			return (int)got;
		if ((size_t)got < want)
			return link_send_str(&proxy->gdb, error);
		rsp_hex_decode(buf + keep, hex, 2 * (size_t)got);
		hit = memmem(buf, keep + (size_t)got, pattern, plen);
		if (hit) {
			snprintf(reply, sizeof(reply), "1,%" PRIx64, at - keep + (uint64_t)(hit - buf));
			return link_send_str(&proxy->gdb, reply);
		}
		held = keep + (size_t)got;
		keep = plen - 1 < held ? plen - 1 : held;
		memmove(buf, buf + held - keep, keep);
		at += (uint64_t)got;
	}
	return link_send_str(&proxy->gdb, "0");
}

/* "M" and "X": all of it, or an error, in pieces gdbserver takes whole. */
static int serve_write(struct proxy *proxy, uint64_t addr, const unsigned char *data, size_t len)
{
	char error[64] = "E01";
	size_t done = 0;

	while (done < len) {
		size_t piece = len - done < server_chunk(proxy) ? len - done : server_chunk(proxy);
		int ret = server_write(proxy, addr + done, data + done, piece, error,
				       sizeof(error));

		if (ret < 0)
			return ret;
		if (!ret && fallback_write(proxy, addr + done, data + done, piece) != (ssize_t)piece)
			return link_send_str(&proxy->gdb, error);
		done += piece;
	}
	return link_send_str(&proxy->gdb, "OK");
}

/*
 * Decode "ADDR,LEN" and what follows (':' and the data for writes). -1 for a packet that does
 * not parse: the proxy then leaves it to gdbserver, which answers as it always does.
 */
static int parse_memory_packet(const char *payload, size_t plen, uint64_t *addr, uint64_t *len,
			       const char **data)
{
	const char *p = payload + 1, *end = payload + plen;

	if (parse_hex(&p, end, addr) || p == end || *p++ != ',' || parse_hex(&p, end, len))
		return -1;
	if (*len > PROXY_PACKET_SIZE || *addr + *len < *addr)
		return -1;
	if (payload[0] == 'm')
		return p == end ? 0 : -1;
	if (p == end || *p++ != ':')
		return -1;
	*data = p;
	return 0;
}

static int forward(struct proxy *proxy, const char *payload, size_t len);

static int memory_packet(struct proxy *proxy, char *payload, size_t len)
{
	uint64_t addr, count;
	const char *data;
	unsigned char *bytes;
	ssize_t n;

	if (parse_memory_packet(payload, len, &addr, &count, &data))
		return forward(proxy, payload, len);
	if (payload[0] == 'm')
		return serve_read(proxy, addr, count);
	if (payload[0] == 'M') {
		bytes = buffer_room(&proxy->bytes, count ?: 1);
		if (!bytes)
			return link_send_str(&proxy->gdb, "E0c");
		if ((size_t)(payload + len - data) != 2 * count ||
		    rsp_hex_decode(bytes, data, 2 * count))
			return forward(proxy, payload, len);
		return serve_write(proxy, addr, bytes, count);
	}
	/* 'X': binary, escaped in place; "X addr,0:" probes whether X works, which it does. */
	/* Unescaped in place: from here on, a bad packet is answered as gdbserver would. */
	n = rsp_unescape((char *)data, (size_t)(payload + len - data));
	if (n < 0 || (uint64_t)n != count)
		return link_send_str(&proxy->gdb, "E01");
	return serve_write(proxy, addr, (const unsigned char *)data, count);
}

static int search_packet(struct proxy *proxy, char *payload, size_t len)
{
	const char *p = payload + 15, *end = payload + len;
	uint64_t addr, count;
	ssize_t plen;

	if (parse_hex(&p, end, &addr) || p == end || *p++ != ';' || parse_hex(&p, end, &count) ||
	    p == end || *p++ != ';' || addr + count < addr)
		return forward(proxy, payload, len);
	plen = rsp_unescape((char *)p, (size_t)(end - p));
	if (plen < 0)
		return link_send_str(&proxy->gdb, "E01");
	return serve_search(proxy, addr, count, p, (size_t)plen);
}

/*
 * "qXfer:memory-map:read::OFFSET,LENGTH": a piece of the map memmap.c makes, made afresh
 * when gdb asks from offset 0 and kept for the pieces that follow.
 */
static int memory_map_packet(struct proxy *proxy, const char *payload, size_t len)
{
	const char *p = payload + 23, *end = payload + len;
	struct iodbg_target *target;
	uint64_t offset, count;
	char *reply;
	size_t n;
	int err;

	if (parse_hex(&p, end, &offset) || p == end || *p++ != ',' ||
	    parse_hex(&p, end, &count) || p != end || !count)
		return link_send_str(&proxy->gdb, "E00");
	if (!offset || !proxy->map_xml) {
		free(proxy->map_xml);
		proxy->map_xml = NULL;
		/* No process yet, or none libiodbg can open: the map of no device memory. */
		target = proxy_target(proxy, &err);
		if (memory_map_xml(target, &proxy->map_xml, &proxy->map_len))
			return link_send_str(&proxy->gdb, "E0c");
	}
	if (offset >= proxy->map_len)
		return link_send_str(&proxy->gdb, "l");
	n = proxy->map_len - offset;
	if (count < n)
		n = count;
	if (n > PROXY_PACKET_SIZE - 16)
		n = PROXY_PACKET_SIZE - 16;
	reply = buffer_room(&proxy->out, n + 1);
	if (!reply)
		return link_send_str(&proxy->gdb, "E0c");
	/* The XML is numbers and fixed text: nothing in it needs the protocol's escapes. */
	reply[0] = offset + n < proxy->map_len ? 'm' : 'l';
	memcpy(reply + 1, proxy->map_xml + offset, n);
	return link_send(&proxy->gdb, '$', reply, n + 1);
}

/* ---- everything else ---- */

/*
 * "Z0,ADDR,KIND[;...]" and "z0,ADDR,KIND": the software breakpoints of the current process.
 * Taken as inserted from the request on: a refused one only sends reads near it through
 * gdbserver, which is always right.
 */
static void note_breakpoint(struct proxy *proxy, const char *payload, size_t len)
{
	const char *p = payload + 3, *end = payload + len;
	uint64_t addr, kind;
	size_t i;

	if (parse_hex(&p, end, &addr) || p == end || *p++ != ',' || parse_hex(&p, end, &kind))
		return;
	for (i = 0; i < proxy->nbreakpoints; i++)
		if (proxy->breakpoints[i].pid == proxy->pid && proxy->breakpoints[i].addr == addr)
			break;
	if (payload[0] == 'z') {
		if (i < proxy->nbreakpoints)
			proxy->breakpoints[i] = proxy->breakpoints[--proxy->nbreakpoints];
		return;
	}
	if (i == proxy->nbreakpoints) {
		struct sw_breakpoint *more = reallocarray(proxy->breakpoints, i + 1, sizeof(*more));

		if (!more) {
			/* Untracked, it would show: no read goes around gdbserver any more. */
			proxy->breakpoints_lost = true;
			return;
		}
		proxy->breakpoints = more;
		proxy->nbreakpoints++;
	}
	proxy->breakpoints[i] = (struct sw_breakpoint){ proxy->pid, addr, kind ?: 1 };
}

/* What a packet gdb sent tells the proxy before gdbserver answers it. */
static void note_request(struct proxy *proxy, const char *payload, size_t len)
{
	const char *end = payload + len;
	uint64_t pid;

	if (starts_with(payload, len, "Z0,") || starts_with(payload, len, "z0,"))
		note_breakpoint(proxy, payload, len);
	proxy->stop_expected = len && payload[0] && strchr("?cCsSk", payload[0]);
	if (starts_with(payload, len, "vCont") && !starts_with(payload, len, "vCont?"))
		proxy->stop_expected = true;
	if (starts_with(payload, len, "vRun") || starts_with(payload, len, "vAttach;") ||
	    starts_with(payload, len, "vStopped"))
		proxy->stop_expected = true;
	proxy->noack_requested = starts_with(payload, len, "QStartNoAckMode");
	proxy->features_requested = starts_with(payload, len, "qSupported");
	proxy->attaching = 0;
	if (starts_with(payload, len, "vAttach;")) {
		const char *p = payload + 8;

		if (!parse_hex(&p, end, &pid) && pid && pid <= INT32_MAX)
			proxy->attaching = (pid_t)pid;
	}
	proxy->selecting = 0;
	if (starts_with(payload, len, "Hg"))
		proxy->selecting = thread_id_pid(payload + 2, end);
}

static int forward(struct proxy *proxy, const char *payload, size_t len)
{
	note_request(proxy, payload, len);
	return link_send(&proxy->server, '$', payload, len);
}

/* gdbserver's qSupported reply, with the proxy's packet size for gdb. */
static int answer_qsupported(struct proxy *proxy, const char *payload, size_t len)
{
	static const char map_feature[] = "qXfer:memory-map:read+";
	char *reply = buffer_room(&proxy->out, len + 64 + sizeof(map_feature)), *p = reply;
	const char *end = payload + len, *feature = payload;

	if (!reply)
		return -ENOMEM;
	proxy->memory_map = true;
	while (feature < end) {
		const char *semi = memchr(feature, ';', (size_t)(end - feature));
		size_t flen = (size_t)((semi ? semi : end) - feature);
		uint64_t size;
		const char *value = feature + 11;

		if (flen == strlen(map_feature) && starts_with(feature, flen, map_feature))
			proxy->memory_map = false;	/* gdbserver's own */
		if (starts_with(feature, flen, "PacketSize=")) {
			if (!parse_hex(&value, feature + flen, &size) && size >= 64)
				proxy->server_packet_size = size < PROXY_SERVER_PACKET_MAX ?
							    (size_t)size : PROXY_SERVER_PACKET_MAX;
			p += sprintf(p, "PacketSize=%x", PROXY_PACKET_SIZE);
		} else {
			memcpy(p, feature, flen);
			p += flen;
		}
		if (semi)
			*p++ = ';';
		feature = semi ? semi + 1 : end;
	}
	if (proxy->memory_map)
		p += sprintf(p, "%s%s", p > reply ? ";" : "", map_feature);
	log_debug(proxy, "gdbserver's packet size %#zx, gdb's %#x\n",
		  proxy->server_packet_size, PROXY_PACKET_SIZE);
	return link_send(&proxy->gdb, '$', reply, (size_t)(p - reply));
}

int proxy_console(struct proxy *proxy, const char *text, size_t len)
{
	while (len) {
		size_t piece = len < 4096 ? len : 4096;
		char *packet = buffer_room(&proxy->out, 1 + 2 * piece);
		int ret;

		if (!packet)
			return -ENOMEM;
		packet[0] = 'O';
		rsp_hex_encode(packet + 1, text, piece);
		ret = link_send(&proxy->gdb, '$', packet, 1 + 2 * piece);
		if (ret)
			return ret;
		text += piece;
		len -= piece;
	}
	return 0;
}

int proxy_printf(struct proxy *proxy, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int len, ret;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (len < 0)
		return -ENOMEM;
	ret = proxy_console(proxy, text, (size_t)len);
	free(text);
	return ret;
}

/* "qRcmd,HEX": "monitor iodbg ..." is the proxy's, any other command gdbserver's. */
static int remote_command(struct proxy *proxy, const char *payload, size_t len)
{
	size_t hexlen = len - 6;
	char *line = malloc(hexlen / 2 + 1);
	int ret;

	if (!line)
		return -ENOMEM;
	if (hexlen % 2 || rsp_hex_decode(line, payload + 6, hexlen)) {
		free(line);
		return forward(proxy, payload, len);
	}
	line[hexlen / 2] = '\0';
	if (strlen(line) != hexlen / 2 || strncmp(line, "iodbg", 5) ||
	    (line[5] != '\0' && line[5] != ' ')) {
		free(line);
		return forward(proxy, payload, len);
	}
	ret = monitor_iodbg(proxy, line + 5);
	free(line);
	return ret;
}

static int from_gdb(struct proxy *proxy, const struct rsp_event *event)
{
	char *payload = (char *)event->payload;
	size_t len = event->len;

	if (event->kind == RSP_EV_INTERRUPT)
		return link_write_raw(&proxy->server, "\x03", 1);
	if (event->kind == RSP_EV_NOTIFY)
		return link_send(&proxy->server, '%', payload, len);
	if (len && (payload[0] == 'm' || payload[0] == 'M' || payload[0] == 'X'))
		return memory_packet(proxy, payload, len);
	if (starts_with(payload, len, "qRcmd,"))
		return remote_command(proxy, payload, len);
	if (starts_with(payload, len, "qSearch:memory:"))
		return search_packet(proxy, payload, len);
	if (proxy->memory_map && starts_with(payload, len, "qXfer:memory-map:read::"))
		return memory_map_packet(proxy, payload, len);
	return forward(proxy, payload, len);
}

/* A packet from gdbserver that no request of the proxy's waits for: gdb's answer. */
static int from_server(struct proxy *proxy, const struct rsp_event *event)
{
	const char *payload = event->payload;
	size_t len = event->len;
	bool ok = len == 2 && !memcmp(payload, "OK", 2);
	int ret;

	if (event->kind == RSP_EV_INTERRUPT)
		return 0;
	if (event->kind == RSP_EV_NOTIFY)
		return forward_notification(proxy, event);
	if (proxy->features_requested) {
		proxy->features_requested = false;
		return answer_qsupported(proxy, payload, len);
	}
	if (proxy->stop_expected && len && payload[0] && strchr("TSWX", payload[0]))
		learn_from_stop(proxy, payload, len);
	if (proxy->attaching && len && payload[0] != 'E')
		set_pid(proxy, proxy->attaching);
	if (proxy->selecting && ok)
		set_pid(proxy, proxy->selecting);
	if (starts_with(payload, len, "QC"))
		set_pid(proxy, thread_id_pid(payload + 2, payload + len));
	/* 'O' packets come before the real answer: what they answer is still to come. */
	if (!(len > 1 && payload[0] == 'O' && rsp_hex_digit((unsigned char)payload[1]) >= 0))
		proxy->attaching = proxy->selecting = 0;
	ret = link_send(&proxy->gdb, '$', payload, len);
	if (!ret && proxy->noack_requested && ok) {
		/* Both sides leave acknowledgements behind after this OK, gdb after its '+'. */
		proxy->gdb.noack = proxy->server.noack = true;
		proxy->noack_requested = false;
	}
	return ret;
}

int proxy_run(struct proxy *proxy)
{
	struct rsp_event event;
	int ret;

	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = proxy->gdb.in_fd, .events = POLLIN },
			{ .fd = proxy->server.in_fd, .events = POLLIN },
			/* Connections to the port: the one spu-serve announced, or refused. */
			{ .fd = proxy->listen_fd, .events = POLLIN },
		};

		if (!link_pending(&proxy->gdb) && !link_pending(&proxy->server) &&
		    poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[2].revents) {
			ret = spu_serve_accept(proxy);
			if (ret)
				fprintf(stderr, "iodbg-gdbserver: spu-serve: %s\n", strerror(-ret));
		}
		if (link_pending(&proxy->gdb) || fds[0].revents) {
			ret = link_next(&proxy->gdb, &event, !link_pending(&proxy->gdb));
			if (ret > 0)
				ret = from_gdb(proxy, &event);
			if (ret < 0)
				return ret == -EPIPE ? PROXY_GDB_LEFT : ret;
		}
		if (link_pending(&proxy->server) || fds[1].revents) {
			ret = link_next(&proxy->server, &event, !link_pending(&proxy->server));
			if (ret > 0)
				ret = from_server(proxy, &event);
			if (ret < 0)
				return ret == -EPIPE ? PROXY_SERVER_LEFT : ret;
		}
	}
}
