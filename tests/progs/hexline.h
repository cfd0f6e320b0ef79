/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The answer the test programs give to "read": the bytes as one line of hex, which the tests
 * compare with what a debugger read.
 */
#ifndef TESTS_PROGS_HEXLINE_H
#define TESTS_PROGS_HEXLINE_H

#include <stddef.h>
#include <stdio.h>

static inline void print_hex_line(const unsigned char *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", bytes[i]);
	printf("\n");
}

#endif
