// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The framing of the "Overview" of the GDB manual's "Remote Protocol" appendix, as a state
 * machine: $ or % starts a payload, # ends it, two hex digits follow. A '$' inside a payload
 * starts it over, as gdbserver takes it: binary data escapes its '$', '#' and '}', so a raw
 * '$' means the sender gave up on a packet and began another.
 */
#include "framer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rsp.h"

enum { IDLE, PAYLOAD, SUM_HI, SUM_LO };

int rsp_framer_init(struct rsp_framer *framer, size_t max)
{
	*framer = (struct rsp_framer){ .max = max };
	framer->buf = malloc(max + 1);
	return framer->buf ? 0 : -ENOMEM;
}

void rsp_framer_free(struct rsp_framer *framer)
{
	free(framer->buf);
	framer->buf = NULL;
}

bool rsp_framer_busy(const struct rsp_framer *framer)
{
	return framer->state != IDLE;
}

static void start_payload(struct rsp_framer *framer, bool notify)
{
	framer->state = PAYLOAD;
	framer->notify = notify;
	framer->len = 0;
	framer->sum = 0;
	framer->too_long = false;
}

/* The event between packets that byte @c is, or RSP_EV_NONE for line noise. */
static enum rsp_event_kind idle_byte(struct rsp_framer *framer, char c)
{
	switch (c) {
	case '$':
		start_payload(framer, false);
		break;
	case '%':
		start_payload(framer, true);
		break;
	case '+':
		return RSP_EV_ACK;
	case '-':
		return RSP_EV_NAK;
	case 0x03:
		return RSP_EV_INTERRUPT;
	}
	return RSP_EV_NONE;
}

static enum rsp_event_kind complete(struct rsp_framer *framer, int lo)
{
	int hi = framer->sum_hi;

	framer->state = IDLE;
	framer->buf[framer->len] = '\0';
	if (framer->too_long)
		return RSP_EV_TOO_LONG;
	if (hi < 0 || lo < 0 || (hi << 4 | lo) != framer->sum)
		return RSP_EV_BAD_CHECKSUM;
	return framer->notify ? RSP_EV_NOTIFY : RSP_EV_PACKET;
}

/*
 * Take the payload bytes at @data up to the next '#' or '$' (which end or restart it), all at
 * once: the payload of a memory reply is most of what passes, and a byte at a time through
 * the state machine would be its main cost. The count taken, at least 1.
 */
static size_t take_payload(struct rsp_framer *framer, const char *data, size_t len)
{
	const char *hash = memchr(data, '#', len);
	const char *dollar = memchr(data, '$', hash ? (size_t)(hash - data) : len);
	size_t n = (size_t)((dollar ?: hash ?: data + len) - data);
	size_t room = framer->max - framer->len, keep = n < room ? n : room;
	unsigned char sum = framer->sum;

	for (size_t i = 0; i < keep; i++)
		sum += (unsigned char)data[i];
	memcpy(framer->buf + framer->len, data, keep);
	framer->len += keep;
	framer->sum = sum;
	if (keep < n)
		framer->too_long = true;
	return n;
}

size_t rsp_framer_feed(struct rsp_framer *framer, const char *data, size_t len,
		       struct rsp_event *event)
{
	size_t i;

	*event = (struct rsp_event){ .kind = RSP_EV_NONE };
	for (i = 0; i < len && event->kind == RSP_EV_NONE; i++) {
		char c = data[i];

		switch (framer->state) {
		case IDLE:
			event->kind = idle_byte(framer, c);
			break;
		case PAYLOAD:
			if (c == '#') {
				framer->state = SUM_HI;
			} else if (c == '$') {
				start_payload(framer, false);
			} else {
				i += take_payload(framer, data + i, len - i) - 1;
			}
			break;
		case SUM_HI:
			framer->sum_hi = rsp_hex_digit((unsigned char)c);
			framer->state = SUM_LO;
			break;
		case SUM_LO:
			event->kind = complete(framer, rsp_hex_digit((unsigned char)c));
			break;
		}
	}
	if (event->kind == RSP_EV_PACKET || event->kind == RSP_EV_NOTIFY) {
		event->payload = framer->buf;
		event->len = framer->len;
	}
	return i;
}

ssize_t rsp_expand_rle(const char *in, size_t len, char *out, size_t room)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] != '*') {
			if (n == room)
				return -1;
			out[n++] = in[i];
			continue;
		}
		if (!n || ++i == len || (unsigned char)in[i] < 29 + 3)
			return -1;
		for (int repeat = (unsigned char)in[i] - 29; repeat > 0; repeat--) {
			if (n == room)
				return -1;
			out[n] = out[n - 1];
			n++;
		}
	}
	return (ssize_t)n;
}

/*
 * A run of n > 3 copies of a character becomes the character, '*' and the count of the copies
 * after the first plus 29, at most 97 of them; counts that would give '#' or '$', which frame
 * packets, are cut to 5. Each count follows a copy of the character, never another count, so
 * the output is never longer than the input and can overwrite it.
 */
size_t rsp_encode_rle(char *text, size_t len)
{
	size_t in = 0, out = 0;

	while (in < len) {
		size_t run = 1, more;

		while (in + run < len && text[in + run] == text[in])
			run++;
		text[out++] = text[in];
		more = run - 1;
		if (more > 97)
			more = 97;
		if (more == 6 || more == 7)
			more = 5;
		if (more >= 3) {
			text[out++] = '*';
			text[out++] = (char)(more + 29);
		} else {
			for (size_t i = 0; i < more; i++)
				text[out++] = text[in];
		}
		in += 1 + more;
	}
	return out;
}
