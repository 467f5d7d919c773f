/* SPDX-License-Identifier: MIT */
/* ipc_frame: the frame header reader and writer (ipc_wire.h). */
#include "ipc_frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rd.h"
#include "banned.h"

long
ipc_frame_decode(const uint8_t *p, size_t len, struct ipc_frame *f, size_t *need)
{
	struct rd r, body;
	uint32_t magic, id, blen;
	uint8_t type, flags;
	uint16_t reserved;

	rd_init(&r, p, len);
	if (!rd_be32(&r, &magic) || !rd_u8(&r, &type) || !rd_u8(&r, &flags) ||
	    !rd_be16(&r, &reserved) || !rd_be32(&r, &id) || !rd_be32(&r, &blen)) {
		/* 1. room for the header; but reject garbage as early as we can */
		if (len >= 4 && !(p[0] == 0x43 && p[1] == 0x52 && p[2] == 0x4e && p[3] == 0x31))
			return -EBADMSG;
		if (need)
			*need = IPC_HDR_LEN;
		return 0;
	}
	if (magic != IPC_MAGIC || flags != 0 || reserved != 0)
		return -EBADMSG;
	if (type < IPC_REQUEST || type > IPC_NOTIFY)
		return -EBADMSG;
	if ((type == IPC_REQUEST || type == IPC_REPLY || type == IPC_ERROR) && id == 0)
		return -EBADMSG;
	if (type == IPC_NOTIFY && id != 0)
		return -EBADMSG;
	/* 2. the length is capped before anyone allocates for it */
	if (blen > IPC_MAX_BODY)
		return -EMSGSIZE;
	/* 3. the body fits what we have */
	if (!rd_sub(&r, blen, &body)) {
		if (need)
			*need = IPC_HDR_LEN + (size_t)blen;
		return 0;
	}
	f->type = (enum ipc_type)type;
	f->id = id;
	f->body = body.p;
	f->len = blen;
	return (long)(IPC_HDR_LEN + blen);
}

int
ipc_frame_put_hdr(struct buf *out, enum ipc_type type, uint32_t id, size_t len)
{
	uint8_t h[IPC_HDR_LEN];

	if (len > IPC_MAX_BODY)
		return -EMSGSIZE;
	wr_be32(h, IPC_MAGIC);
	h[4] = (uint8_t)type;
	h[5] = 0;
	wr_be16(h + 6, 0);
	wr_be32(h + 8, id);
	wr_be32(h + 12, (uint32_t)len);
	buf_append(out, h, sizeof(h));
	return buf_failed(out) ? -ENOMEM : 0;
}

int
ipc_error_encode(struct buf *out, uint32_t id, int code, const char *msg)
{
	uint8_t c[4];
	size_t mlen = msg ? strlen(msg) : 0;
	int rc;

	if (mlen > IPC_MAX_BODY - 4)
		mlen = IPC_MAX_BODY - 4;
	if ((rc = ipc_frame_put_hdr(out, IPC_ERROR, id, 4 + mlen)) < 0)
		return rc;
	wr_be32(c, (uint32_t)(code < 0 ? -code : code));
	buf_append(out, c, sizeof(c));
	buf_append(out, msg, mlen);
	return buf_failed(out) ? -ENOMEM : 0;
}

int
ipc_error_decode(const uint8_t *body, size_t len, int *code, char **msg)
{
	struct rd r;
	uint32_t c;
	const uint8_t *text;
	size_t tlen;
	char *m;

	rd_init(&r, body, len);
	if (!rd_be32(&r, &c))
		return -EBADMSG;
	if (c == 0 || c > 4095)
		return -EBADMSG;
	tlen = r.left;
	if (!rd_view(&r, tlen, &text))
		return -EBADMSG;
	if (memchr(text, '\0', tlen))
		return -EBADMSG;
	m = malloc(tlen + 1);
	if (!m)
		return -ENOMEM;
	if (tlen)
		memcpy(m, text, tlen);
	m[tlen] = '\0';
	*code = (int)c;
	*msg = m;
	return 0;
}
