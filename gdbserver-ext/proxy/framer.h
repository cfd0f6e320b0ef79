/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An incremental parser of GDB's remote serial protocol: bytes go in as they arrive from either
 * side, whole events come out. It allocates nothing after rsp_framer_init() and never reads
 * past what it was given, so it can take bytes from a hostile peer.
 */
#ifndef IODBG_FRAMER_H
#define IODBG_FRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum rsp_event_kind {
	RSP_EV_NONE = 0,	/* all input consumed, no event complete yet */
	RSP_EV_PACKET,		/* $payload#xx with a good checksum */
	RSP_EV_NOTIFY,		/* %payload#xx with a good checksum (an asynchronous notification) */
	RSP_EV_ACK,		/* '+' */
	RSP_EV_NAK,		/* '-': send the last packet again */
	RSP_EV_INTERRUPT,	/* 0x03, outside a packet */
	RSP_EV_BAD_CHECKSUM,	/* a packet whose checksum does not match: answer '-' */
	RSP_EV_TOO_LONG,	/* a packet longer than the framer holds: dropped */
};

struct rsp_event {
	enum rsp_event_kind kind;
	const char *payload;	/* PACKET, NOTIFY: the payload as sent (escapes and all) */
	size_t len;
};

struct rsp_framer {
	char *buf;		/* max + 1 bytes: the payload being read, then NUL */
	size_t max;
	size_t len;
	unsigned char sum;
	int state;
	int sum_hi;
	bool notify;
	bool too_long;
};

/* 0, or -ENOMEM. @max is the longest payload taken whole. */
int rsp_framer_init(struct rsp_framer *framer, size_t max);
void rsp_framer_free(struct rsp_framer *framer);

/*
 * Consume bytes of @data up to the end of the next event, store it in @event (RSP_EV_NONE if
 * @data ends first) and return how many bytes were consumed. The payload stays valid until
 * the next call.
 */
size_t rsp_framer_feed(struct rsp_framer *framer, const char *data, size_t len,
		       struct rsp_event *event);

/*
 * Undo the run-length encoding of a reply ("0*#" is "0" and 6 more: the count is the
 * character after '*' minus 29) into @out, which has room for @room bytes. The length, or -1
 * if it does not fit or a '*' repeats nothing.
 */
ssize_t rsp_expand_rle(const char *in, size_t len, char *out, size_t room);

/*
 * Run-length encode @len characters of hex digits at @text in place, as gdbserver encodes its
 * replies, which gdb reads faster; the new length (never more than @len).
 */
size_t rsp_encode_rle(char *text, size_t len);

/* True once a packet or notification is begun but not complete. */
bool rsp_framer_busy(const struct rsp_framer *framer);

#endif /* IODBG_FRAMER_H */
