/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command layer of the SPU stub: what the packets mean, for an address space that is one
 * SPU context's local store. Where the bytes come from is the backend's business (struct
 * spu_space_ops), so the same commands serve a live context through libiodbg and, in the host
 * tests, a buffer in memory.
 */
#ifndef IODBG_SPU_STUB_H
#define IODBG_SPU_STUB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rsp.h"

struct spu_space_ops {
	/*
	 * Transfer at most @len bytes at local store offset @offset (< the space's size, and
	 * @len does not run past it). The number of bytes transferred from @offset on, or a
	 * negative errno when not even one could be; the backend says why on stderr.
	 */
	ssize_t (*read)(void *priv, uint64_t offset, void *buf, size_t len);
	ssize_t (*write)(void *priv, uint64_t offset, const void *buf, size_t len);
	/* The context's next program counter, or a negative errno. */
	int (*npc)(void *priv, uint32_t *npc);
	/* 'monitor info': describe the context, one or more lines, into @buf. */
	void (*describe)(void *priv, char *buf, size_t size);
};

struct spu_space {
	const struct spu_space_ops *ops;
	void *priv;
	uint64_t size;		/* addresses from 0 up to this exist, no others */
};

/*
 * Serve the debugger on @rsp until it detaches or kills (0) or the connection fails (1).
 * The exit status of the stub.
 */
int stub_serve(struct rsp *rsp, const struct spu_space *space);

#endif /* IODBG_SPU_STUB_H */
