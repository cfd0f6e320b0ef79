/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One side of the proxy: gdb, or the gdbserver it fronts. A link frames what arrives, answers
 * acknowledgements itself while the protocol uses them, and sends packets again on a '-'.
 */
#ifndef IODBG_LINK_H
#define IODBG_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "framer.h"

struct rsp_link {
	const char *name;	/* "gdb" or "gdbserver", for messages */
	int in_fd;
	int out_fd;
	bool noack;		/* QStartNoAckMode was agreed: no '+' or '-' any more */
	struct rsp_framer framer;
	char in[65536];
	size_t in_pos;
	size_t in_len;
	char *sent;		/* the last packet sent, framed, for a '-' */
	size_t sent_len;
	size_t sent_room;
};

int link_init(struct rsp_link *link, const char *name, int in_fd, int out_fd, size_t max);
void link_free(struct rsp_link *link);

/* True if bytes that came in are not yet framed: poll() would not announce them. */
bool link_pending(const struct rsp_link *link);

/*
 * The next event of this side from what is buffered and, if that holds none and @wait is
 * true, from one read (which blocks until bytes arrive): 1 with @event filled (packets,
 * notifications and interrupts; acknowledgements, garbled packets and noise are handled
 * here), 0 if no event is complete yet, -EPIPE at end of input, another negative errno if
 * reading or answering failed.
 */
int link_next(struct rsp_link *link, struct rsp_event *event, bool wait);

/* Frame and send one packet ('$') or notification ('%'). 0 or a negative errno. */
int link_send(struct rsp_link *link, char start, const char *payload, size_t len);
int link_send_str(struct rsp_link *link, const char *payload);
/* Send raw bytes (an interrupt). */
int link_write_raw(struct rsp_link *link, const char *data, size_t len);

#endif /* IODBG_LINK_H */
