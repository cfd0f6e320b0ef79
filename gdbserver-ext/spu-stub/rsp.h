/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The packet layer of GDB's remote serial protocol: framing, checksums and acknowledgements on
 * a pair of file descriptors. It knows nothing of what the packets mean.
 */
#ifndef IODBG_RSP_H
#define IODBG_RSP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The largest payload we take or send, advertised as PacketSize in the qSupported reply: gdb
 * then never sends more, and asks for at most half of it in an 'm' (each byte as two hex digits).
 */
#define RSP_PACKET_SIZE 16384

enum rsp_status {
	RSP_PACKET = 0,		/* a packet with a good checksum, acknowledged with '+' */
	RSP_EOF = -1,		/* the debugger closed the connection */
	RSP_IO_ERROR = -2,	/* reading or writing failed; errno says why */
	RSP_TOO_LONG = -3,	/* a packet longer than RSP_PACKET_SIZE: acknowledged, dropped */
};

struct rsp {
	int in_fd;
	int out_fd;
	unsigned char in[4096];
	size_t in_pos;
	size_t in_len;
	char packet[RSP_PACKET_SIZE + 1];	/* the payload received, NUL-terminated */
	size_t packet_len;			/* which can hold NULs: X packets are binary */
	char sent[RSP_PACKET_SIZE + 4];		/* the last packet sent, framed, for a '-' */
	size_t sent_len;
};

void rsp_init(struct rsp *rsp, int in_fd, int out_fd);

/* Wait for the next packet (enum rsp_status); its payload is in rsp->packet. */
int rsp_recv(struct rsp *rsp);

/* Send one packet; @len at most RSP_PACKET_SIZE. 0, or RSP_IO_ERROR. */
int rsp_send(struct rsp *rsp, const char *payload, size_t len);
int rsp_send_str(struct rsp *rsp, const char *payload);

/*
 * Wait until the debugger acknowledged the last packet sent (sending it again on a '-'), the
 * connection closed, or something else arrived. Before exiting: gdb writes its '+' after our
 * last reply, and would get EPIPE ("Remote communication error") if we were gone by then.
 */
void rsp_wait_ack(struct rsp *rsp);

/* Undo the '}' escapes of binary data in place. The new length, or -1 on a dangling '}'. */
ssize_t rsp_unescape(char *data, size_t len);

/* The value of one hex digit, or -1. */
int rsp_hex_digit(int c);
/* Write 2 * @len hex digits (no NUL). */
void rsp_hex_encode(char *out, const void *data, size_t len);
/* Decode exactly @hexlen digits into @hexlen / 2 bytes: 0, or -1 on an odd length or a non-digit. */
int rsp_hex_decode(void *out, const char *hex, size_t hexlen);

#endif /* IODBG_RSP_H */
