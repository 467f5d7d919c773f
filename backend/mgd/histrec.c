/* SPDX-License-Identifier: MIT */
/* histrec: encoder and bounds-checked decoder of commit history files. */
#include "histrec.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "rd.h"
#include "banned.h"

static void
put_field(struct buf *b, uint16_t type, const void *v, size_t len)
{
	uint8_t h[6];

	wr_be16(h, type);
	wr_be32(h + 2, (uint32_t)len);
	buf_append(b, h, sizeof(h));
	buf_append(b, v, len);
}

static void
put_u64(struct buf *b, uint16_t type, uint64_t v)
{
	uint8_t x[8];

	wr_be64(x, v);
	put_field(b, type, x, sizeof(x));
}

static int
sha256(const void *p, size_t len, uint8_t out[32])
{
	unsigned int olen = 32;

	return EVP_Digest(p, len, out, &olen, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

int
histrec_encode(struct buf *out, uint64_t seq, uint64_t time, uint32_t flags, const char *user,
    const char *client, const char *comment, const char *fwd, size_t fwd_len, const char *data,
    size_t data_len)
{
	uint8_t v[4], sum[32];
	size_t start = out->len;

	buf_append(out, HISTREC_MAGIC, 8);
	wr_be32(v, HISTREC_VERSION);
	buf_append(out, v, 4);
	put_u64(out, HR_SEQ, seq);
	put_u64(out, HR_TIME, time);
	if (user)
		put_field(out, HR_USER, user, strlen(user));
	if (client)
		put_field(out, HR_CLIENT, client, strlen(client));
	if (comment)
		put_field(out, HR_COMMENT, comment, strlen(comment));
	wr_be32(v, flags);
	put_field(out, HR_FLAGS, v, 4);
	if (fwd)
		put_field(out, HR_FWD, fwd, fwd_len);
	if (data)
		put_field(out, HR_DATA, data, data_len);
	if (buf_failed(out))
		return -ENOMEM;
	if (sha256(out->p + start, out->len - start, sum) < 0)
		return -EIO;
	put_field(out, HR_SUM, sum, sizeof(sum));
	return buf_failed(out) ? -ENOMEM : 0;
}

int
histrec_encode_confirm(
    struct buf *out, uint64_t seq, uint64_t deadline, uint64_t base, const char *user)
{
	uint8_t sum[32];
	uint8_t v[4];
	size_t start = out->len;

	buf_append(out, HISTREC_MAGIC, 8);
	wr_be32(v, HISTREC_VERSION);
	buf_append(out, v, 4);
	put_u64(out, HR_SEQ, seq);
	put_u64(out, HR_TIME, deadline);
	put_u64(out, HR_BASE, base);
	if (user)
		put_field(out, HR_USER, user, strlen(user));
	if (buf_failed(out))
		return -ENOMEM;
	if (sha256(out->p + start, out->len - start, sum) < 0)
		return -EIO;
	put_field(out, HR_SUM, sum, sizeof(sum));
	return buf_failed(out) ? -ENOMEM : 0;
}

static bool
text_field(struct rd *v, const char **p, size_t *len)
{
	const uint8_t *b;
	size_t n = v->left;

	if (!rd_view(v, n, &b))
		return false;
	if (memchr(b, '\0', n))
		return false;
	*p = (const char *)b;
	*len = n;
	return true;
}

int
histrec_decode(const uint8_t *p, size_t len, struct histrec *r)
{
	struct rd rd, v;
	uint8_t magic[8], sum[32];
	const uint8_t *want;
	uint32_t version, flen;
	uint16_t type;
	size_t before;

	memset(r, 0, sizeof(*r));
	rd_init(&rd, p, len);
	if (!rd_bytes(&rd, magic, sizeof(magic)) || memcmp(magic, HISTREC_MAGIC, 8) != 0)
		return -EBADMSG;
	if (!rd_be32(&rd, &version) || version != HISTREC_VERSION)
		return -EBADMSG;
	for (;;) {
		before = len - rd.left;
		/* 1. room for the field header */
		if (!rd_be16(&rd, &type) || !rd_be32(&rd, &flen))
			return -EBADMSG;
		/* 2. a sane length; 3. it fits what remains */
		if (flen > HISTREC_MAX_FIELD || !rd_sub(&rd, flen, &v))
			return -EBADMSG;
		switch (type) {
		case HR_SEQ:
			if (v.left != 8 || !rd_be64(&v, &r->seq))
				return -EBADMSG;
			r->has_seq = true;
			break;
		case HR_TIME:
			if (v.left != 8 || !rd_be64(&v, &r->time))
				return -EBADMSG;
			break;
		case HR_BASE:
			if (v.left != 8 || !rd_be64(&v, &r->base))
				return -EBADMSG;
			break;
		case HR_FLAGS:
			if (v.left != 4 || !rd_be32(&v, &r->flags))
				return -EBADMSG;
			break;
		case HR_USER:
			if (!text_field(&v, &r->user, &r->user_len))
				return -EBADMSG;
			break;
		case HR_CLIENT:
			if (!text_field(&v, &r->client, &r->client_len))
				return -EBADMSG;
			break;
		case HR_COMMENT:
			if (!text_field(&v, &r->comment, &r->comment_len))
				return -EBADMSG;
			break;
		case HR_FWD:
			if (!text_field(&v, &r->fwd, &r->fwd_len))
				return -EBADMSG;
			break;
		case HR_DATA:
			if (!text_field(&v, &r->data, &r->data_len))
				return -EBADMSG;
			break;
		case HR_SUM:
			/* the last field: the checksum of all bytes before it */
			if (v.left != 32 || rd.left != 0 || !rd_view(&v, 32, &want))
				return -EBADMSG;
			if (sha256(p, before, sum) < 0 || memcmp(sum, want, 32) != 0)
				return -EBADMSG;
			return r->has_seq ? 0 : -EBADMSG;
		default:
			break; /* a newer writer's field: skip it */
		}
	}
}
