/* SPDX-License-Identifier: MIT */
/*
 * ipc_frame: decoding and encoding of IPC frames (ipc_wire.h), with no
 * sockets, clocks or globals, so the decoder is cheap to fuzz.
 */
#ifndef CAIRN_IPC_FRAME_H
#define CAIRN_IPC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ipc_wire.h"

struct ipc_frame {
	enum ipc_type type;
	uint32_t id;
	const uint8_t *body; /* borrowed from the input */
	uint32_t len;
};

/*
 * Decodes one frame from the start of p[0..len). Returns the number of
 * bytes the frame takes (header + body) when it is complete, 0 when more
 * bytes are needed (*need: how many in total), or -EBADMSG (bad magic,
 * type or flags) / -EMSGSIZE (length over IPC_MAX_BODY). The length is
 * checked before the caller allocates anything for the body.
 */
long ipc_frame_decode(const uint8_t *p, size_t len, struct ipc_frame *f, size_t *need);

/* Appends a frame header for a body of len bytes. 0 or -EMSGSIZE. */
int ipc_frame_put_hdr(struct buf *out, enum ipc_type type, uint32_t id, size_t len);

/* ERROR bodies: code is a positive errno. */
int ipc_error_encode(struct buf *out, uint32_t id, int code, const char *msg);
/* Parses an ERROR body; *msg is a NUL-terminated copy (caller frees).
 * 0 or -EBADMSG / -ENOMEM. */
int ipc_error_decode(const uint8_t *body, size_t len, int *code, char **msg);

#endif
