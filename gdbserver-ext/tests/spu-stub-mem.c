// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spu-stub-mem ID [FAIL_AT]: the SPU stub's packet and command layers over a local store held
 * in this process's memory, for the host tests, which have no spu_sim to debug.
 *
 * The local store holds spu_ctx's pattern for local store object ID (the 64-bit word at offset
 * O < SPU_SIM_LS_COUNTER is 0x5000000000000000 | ID << 32 | O); npc is 0x100. With FAIL_AT,
 * a transfer stops at that offset, as one through a mapping that ends there would: the bytes
 * before it are served, a transfer that starts there fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/spu_sim.h>

#include "../spu-stub/stub.h"

#define SPU_PATTERN 0x5000000000000000ULL

static unsigned char ls[SPU_SIM_LS_SIZE];
static uint64_t fail_at = UINT64_MAX;

/* How much of [offset, offset + len) can be transferred, or -EIO where none can. */
static ssize_t servable(uint64_t offset, size_t len)
{
	if (offset <= fail_at && fail_at < offset + len)
		len = (size_t)(fail_at - offset);
	if (!len) {
		fprintf(stderr, "spu-stub-mem: offset 0x%llx fails by request\n",
			(unsigned long long)offset);
		return -5;
	}
	return (ssize_t)len;
}

static ssize_t mem_read(void *priv, uint64_t offset, void *buf, size_t len)
{
	ssize_t n = servable(offset, len);

	(void)priv;
	if (n > 0)
		memcpy(buf, ls + offset, (size_t)n);
	return n;
}

static ssize_t mem_write(void *priv, uint64_t offset, const void *buf, size_t len)
{
	ssize_t n = servable(offset, len);

	(void)priv;
	if (n > 0)
		memcpy(ls + offset, buf, (size_t)n);
	return n;
}

static int mem_npc(void *priv, uint32_t *npc)
{
	(void)priv;
	*npc = 0x100;
	return 0;
}

static void mem_describe(void *priv, char *buf, size_t size)
{
	(void)priv;
	snprintf(buf, size, "a local store in memory (spu-stub-mem), npc 0x00100\n");
}

static const struct spu_space_ops mem_ops = {
	.read = mem_read,
	.write = mem_write,
	.npc = mem_npc,
	.describe = mem_describe,
};

int main(int argc, char **argv)
{
	static struct rsp rsp;
	struct spu_space space = { .ops = &mem_ops, .size = sizeof(ls) };
	uint64_t id;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: spu-stub-mem ID [FAIL_AT]\n");
		return 2;
	}
	id = strtoull(argv[1], NULL, 0);
	if (argc == 3)
		fail_at = strtoull(argv[2], NULL, 0);
	for (uint64_t o = 0; o < SPU_SIM_LS_COUNTER; o += 8) {
		uint64_t word = SPU_PATTERN | id << 32 | o;

		memcpy(ls + o, &word, sizeof(word));
	}
	rsp_init(&rsp, STDIN_FILENO, STDOUT_FILENO);
	return stub_serve(&rsp, &space);
}
