// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target of iodbg-gdbserver's packet layer: the framer over hostile bytes cut at
 * arbitrary points, and the run-length expansion of replies. Each packet it passes on must
 * carry the checksum it was sent with, and no event may come from bytes it was not given.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "framer.h"
#include "rsp.h"

#define MAX_PAYLOAD 512

/* A packet passed on carries the checksum it came with: @digits, the last two bytes fed. */
static void check_packet(const struct rsp_event *event, const char digits[2])
{
	unsigned char sum = 0;

	assert(event->len <= MAX_PAYLOAD);
	for (size_t i = 0; i < event->len; i++)
		sum += (unsigned char)event->payload[i];
	assert((rsp_hex_digit((unsigned char)digits[0]) << 4 |
		rsp_hex_digit((unsigned char)digits[1])) == sum);
}

static void fuzz_framer(const uint8_t *data, size_t size)
{
	static struct rsp_framer framer;
	static int ready;
	char last[2] = { 0, 0 };
	size_t pos = 0;

	if (!ready)
		ready = !rsp_framer_init(&framer, MAX_PAYLOAD);
	framer.state = 0;
	framer.len = 0;
	while (pos < size) {
		/* The first byte of each piece says how long the piece is. */
		size_t piece = 1 + data[pos] % 64, consumed = 0;
		const char *bytes;

		pos++;
		if (piece > size - pos)
			piece = size - pos;
		bytes = (const char *)data + pos;
		while (consumed < piece) {
			struct rsp_event event;
			size_t n = rsp_framer_feed(&framer, bytes + consumed, piece - consumed,
						   &event);

			assert(n > 0 && n <= piece - consumed);
			consumed += n;
			last[0] = n >= 2 ? bytes[consumed - 2] : last[1];
			last[1] = bytes[consumed - 1];
			if (event.kind == RSP_EV_PACKET || event.kind == RSP_EV_NOTIFY)
				check_packet(&event, last);
			else if (event.kind == RSP_EV_NONE)
				assert(consumed == piece);
		}
		pos += piece;
	}
}

static void fuzz_rle(const uint8_t *data, size_t size)
{
	char out[4096], text[4096], encoded[4096];
	ssize_t n = rsp_expand_rle((const char *)data, size, out, sizeof(out));
	size_t len = size < sizeof(text) ? size : sizeof(text), m;

	assert(n >= -1 && n <= (ssize_t)sizeof(out));
	if (n >= 0 && !memchr(data, '*', size))
		assert((size_t)n == size && !memcmp(out, data, size));
	/* The proxy's encoding of hex digits made of the input: shorter, unframed, undone. */
	for (size_t i = 0; i < len; i++)
		text[i] = "0123456789abcdef"[data[i] % 3 ? 0 : data[i] & 15];
	memcpy(encoded, text, len);
	m = rsp_encode_rle(encoded, len);
	assert(m <= len && !memchr(encoded, '#', m) && !memchr(encoded, '$', m));
	n = rsp_expand_rle(encoded, m, out, sizeof(out));
	assert(n == (ssize_t)len && !memcmp(out, text, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		fuzz_rle(data + 1, size - 1);
	else
		fuzz_framer(data + 1, size - 1);
	return 0;
}
