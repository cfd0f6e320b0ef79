// SPDX-License-Identifier: GPL-2.0-or-later
#include "link.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int link_init(struct rsp_link *link, const char *name, int in_fd, int out_fd, size_t max)
{
	memset(link, 0, sizeof(*link));
	link->name = name;
	link->in_fd = in_fd;
	link->out_fd = out_fd;
	return rsp_framer_init(&link->framer, max);
}

void link_free(struct rsp_link *link)
{
	rsp_framer_free(&link->framer);
	free(link->sent);
	link->sent = NULL;
}

bool link_pending(const struct rsp_link *link)
{
	return link->in_pos < link->in_len;
}

int link_write_raw(struct rsp_link *link, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(link->out_fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fill(struct rsp_link *link)
{
	ssize_t n;

	do
		n = read(link->in_fd, link->in, sizeof(link->in));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	link->in_pos = 0;
	link->in_len = (size_t)n;
	return 0;
}

/* Answer what the link answers itself. 1 if @event is for the caller. */
static int handle(struct rsp_link *link, const struct rsp_event *event)
{
	switch (event->kind) {
	case RSP_EV_PACKET:
	case RSP_EV_NOTIFY:
		if (!link->noack && event->kind == RSP_EV_PACKET)
			return link_write_raw(link, "+", 1) ?: 1;
		return 1;
	case RSP_EV_NAK:
		if (link->noack || !link->sent_len)
			return 0;
		return link_write_raw(link, link->sent, link->sent_len);
	case RSP_EV_BAD_CHECKSUM:
	case RSP_EV_TOO_LONG:
		/* A packet too long to hold is refused like a garbled one: the sender may retry. */
		return link->noack ? 0 : link_write_raw(link, "-", 1);
	default:
		return 0;
	}
}

int link_next(struct rsp_link *link, struct rsp_event *event, bool wait)
{
	for (;;) {
		int ret;

		while (link->in_pos < link->in_len) {
			link->in_pos += rsp_framer_feed(&link->framer, link->in + link->in_pos,
							link->in_len - link->in_pos, event);
			if (event->kind == RSP_EV_INTERRUPT)
				return 1;
			ret = handle(link, event);
			if (ret)
				return ret;
		}
		if (!wait)
			return 0;
		ret = fill(link);
		if (ret)
			return ret;
		/* One read per call: poll() decides when to wait again. */
		wait = false;
	}
}

/* Without acknowledgements nothing is sent again: no copy to keep, one writev. */
static int send_noack(struct rsp_link *link, char start, const char *payload, size_t len,
		      unsigned char sum)
{
	static const char digits[] = "0123456789abcdef";
	char trailer[3] = { '#', digits[sum >> 4], digits[sum & 0xf] };
	struct iovec iov[3] = { { &start, 1 }, { (void *)payload, len }, { trailer, 3 } };
	size_t left = len + 4;

	while (left) {
		ssize_t n = writev(link->out_fd, iov, 3);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		left -= (size_t)n;
		for (int i = 0; i < 3; i++) {
			size_t step = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + step;
			iov[i].iov_len -= step;
			n -= (ssize_t)step;
		}
	}
	return 0;
}

int link_send(struct rsp_link *link, char start, const char *payload, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char sum = 0;

	if (link->noack) {
		for (size_t i = 0; i < len; i++)
			sum += (unsigned char)payload[i];
		return send_noack(link, start, payload, len, sum);
	}

	if (len + 4 > link->sent_room) {
		char *room = realloc(link->sent, len + 4);

		if (!room)
			return -ENOMEM;
		link->sent = room;
		link->sent_room = len + 4;
	}
	for (size_t i = 0; i < len; i++)
		sum += (unsigned char)payload[i];
	link->sent[0] = start;
	memcpy(link->sent + 1, payload, len);
	link->sent[len + 1] = '#';
	link->sent[len + 2] = digits[sum >> 4];
	link->sent[len + 3] = digits[sum & 0xf];
	link->sent_len = start == '$' ? len + 4 : 0;
	return link_write_raw(link, link->sent, len + 4);
}

int link_send_str(struct rsp_link *link, const char *payload)
{
	return link_send(link, '$', payload, strlen(payload));
}
