// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The packet layer of GDB's remote serial protocol ("Overview" in the GDB manual's "Remote
 * Protocol" appendix): $payload#xx, xx the modulo-256 sum of the payload's bytes in hex, each
 * packet answered with '+' (good) or '-' (send it again). We never enter no-ack mode.
 */
#include "rsp.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void rsp_init(struct rsp *rsp, int in_fd, int out_fd)
{
	memset(rsp, 0, sizeof(*rsp));
	rsp->in_fd = in_fd;
	rsp->out_fd = out_fd;
}

/* The next byte from the debugger, or RSP_EOF / RSP_IO_ERROR. */
static int next_byte(struct rsp *rsp)
{
	if (rsp->in_pos == rsp->in_len) {
		ssize_t n;

		do
			n = read(rsp->in_fd, rsp->in, sizeof(rsp->in));
		while (n < 0 && errno == EINTR);
		if (n == 0)
			return RSP_EOF;
		if (n < 0)
			return RSP_IO_ERROR;
		rsp->in_pos = 0;
		rsp->in_len = (size_t)n;
	}
	return rsp->in[rsp->in_pos++];
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return RSP_IO_ERROR;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int rsp_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void rsp_hex_encode(char *out, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
}

int rsp_hex_decode(void *out, const char *hex, size_t hexlen)
{
	unsigned char *p = out;

	if (hexlen % 2)
		return -1;
	for (size_t i = 0; i < hexlen; i += 2) {
		int hi = rsp_hex_digit((unsigned char)hex[i]);
		int lo = rsp_hex_digit((unsigned char)hex[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		p[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

ssize_t rsp_unescape(char *data, size_t len)
{
	size_t out = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '}') {
			if (++i == len)
				return -1;
			data[out++] = (char)(data[i] ^ 0x20);
		} else {
			data[out++] = data[i];
		}
	}
	return (ssize_t)out;
}

/*
 * Read a payload up to its '#' and sum it. A '$' inside starts the payload over: binary data
 * has its '$' escaped, so a raw one means the debugger gave up on a packet and sent a new one.
 */
static int read_payload(struct rsp *rsp, unsigned char *sum, int *too_long)
{
	size_t len = 0;

	*sum = 0;
	*too_long = 0;
	for (;;) {
		int c = next_byte(rsp);

		if (c < 0)
			return c;
		if (c == '#')
			break;
		if (c == '$') {
			len = 0;
			*sum = 0;
			*too_long = 0;
			continue;
		}
		*sum += (unsigned char)c;
		if (len < RSP_PACKET_SIZE)
			rsp->packet[len++] = (char)c;
		else
			*too_long = 1;
	}
	rsp->packet[len] = '\0';
	rsp->packet_len = len;
	return 0;
}

/*
 * Read the two checksum digits: their value, 256 (which no sum matches) if they are not hex, or
 * RSP_EOF / RSP_IO_ERROR.
 */
static int read_checksum(struct rsp *rsp)
{
	int hi = next_byte(rsp), lo;

	if (hi < 0)
		return hi;
	lo = next_byte(rsp);
	if (lo < 0)
		return lo;
	hi = rsp_hex_digit(hi);
	lo = rsp_hex_digit(lo);
	return hi < 0 || lo < 0 ? 256 : hi << 4 | lo;
}

int rsp_recv(struct rsp *rsp)
{
	for (;;) {
		unsigned char sum;
		int c = next_byte(rsp), too_long, ret, expected;

		if (c < 0)
			return c;
		if (c == '-') {
			/* The debugger got our last packet garbled: send it again. */
			if (rsp->sent_len && write_all(rsp->out_fd, rsp->sent, rsp->sent_len))
				return RSP_IO_ERROR;
			continue;
		}
		/*
		 * '+' acknowledges what we sent; ^C (0x03) would interrupt a running target but
		 * nothing of ours runs; anything else is line noise between packets.
		 */
		if (c != '$')
			continue;
		ret = read_payload(rsp, &sum, &too_long);
		if (ret < 0)
			return ret;
		expected = read_checksum(rsp);
		if (expected < 0)
			return expected;
		if (expected != sum) {
			if (write_all(rsp->out_fd, "-", 1))
				return RSP_IO_ERROR;
			continue;
		}
		if (write_all(rsp->out_fd, "+", 1))
			return RSP_IO_ERROR;
		return too_long ? RSP_TOO_LONG : RSP_PACKET;
	}
}

void rsp_wait_ack(struct rsp *rsp)
{
	for (;;) {
		int c = next_byte(rsp);

		if (c != '-')
			return;
		if (write_all(rsp->out_fd, rsp->sent, rsp->sent_len))
			return;
	}
}

int rsp_send(struct rsp *rsp, const char *payload, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char sum = 0;

	if (len > RSP_PACKET_SIZE) {
		errno = EMSGSIZE;
		return RSP_IO_ERROR;
	}
	for (size_t i = 0; i < len; i++)
		sum += (unsigned char)payload[i];
	rsp->sent[0] = '$';
	memcpy(rsp->sent + 1, payload, len);
	rsp->sent[len + 1] = '#';
	rsp->sent[len + 2] = digits[sum >> 4];
	rsp->sent[len + 3] = digits[sum & 0xf];
	rsp->sent_len = len + 4;
	return write_all(rsp->out_fd, rsp->sent, rsp->sent_len);
}

int rsp_send_str(struct rsp *rsp, const char *payload)
{
	return rsp_send(rsp, payload, strlen(payload));
}
