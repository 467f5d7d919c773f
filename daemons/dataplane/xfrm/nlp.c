/* SPDX-License-Identifier: MIT */
/* nlp: netlink message and attribute walking over struct rd. */
#include "nlp.h"

#include <errno.h>
#include <string.h>

#include "banned.h"

int
nlp_next_msg(struct rd *buf, struct nlmsghdr *hdr, struct rd *payload)
{
	size_t pad;

	if (buf->left == 0)
		return -ENOENT;
	if (!rd_bytes(buf, hdr, sizeof(*hdr)))
		return -EBADMSG; /* 1. room for the header */
	if (hdr->nlmsg_len < sizeof(*hdr))
		return -EBADMSG; /* 2. length covers the header */
	if (!rd_sub(buf, hdr->nlmsg_len - sizeof(*hdr), payload))
		return -EBADMSG; /* 3. length fits what remains */
	pad = NLP_ALIGN(hdr->nlmsg_len) - hdr->nlmsg_len;
	if (!rd_skip(buf, pad < buf->left ? pad : buf->left))
		return -EBADMSG;
	return 0;
}

int
nlp_attrs(struct rd r, struct rd *tb, size_t max)
{
	struct nlattr a;
	struct rd body;
	size_t pad, type;

	memset(tb, 0, max * sizeof(*tb));
	while (r.left > 0) {
		if (!rd_bytes(&r, &a, sizeof(a)))
			return -EBADMSG;
		if (a.nla_len < sizeof(a))
			return -EBADMSG;
		if (!rd_sub(&r, a.nla_len - sizeof(a), &body))
			return -EBADMSG;
		pad = NLP_ALIGN(a.nla_len) - a.nla_len;
		rd_skip(&r, pad < r.left ? pad : r.left);
		type = a.nla_type & NLA_TYPE_MASK;
		if (type < max) {
			tb[type] = body;
			if (tb[type].p == NULL) /* empty body at end of buffer */
				tb[type].p = (const uint8_t *)"";
		}
	}
	return 0;
}

bool
nlp_get(const struct rd *a, void *dst, size_t n)
{
	struct rd c = *a;

	return a->p != NULL && rd_bytes(&c, dst, n);
}

bool
nlp_u8(const struct rd *a, uint8_t *v)
{
	return nlp_get(a, v, sizeof(*v));
}

bool
nlp_u32(const struct rd *a, uint32_t *v)
{
	return nlp_get(a, v, sizeof(*v));
}

bool
nlp_str(const struct rd *a, char *dst, size_t cap)
{
	size_t n;

	if (a->p == NULL || cap == 0)
		return false;
	n = strnlen((const char *)a->p, a->left);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, a->p, n);
	dst[n] = '\0';
	return true;
}

/* The extended-ack TLVs (NLMSGERR_ATTR_*) of an error or of a dump's end:
 * the kernel's text and the offending attribute's offset. */
static int
ack_tlvs(struct rd payload, struct nlp_err *out)
{
	struct rd tb[NLMSGERR_ATTR_MAX + 1];

	if (nlp_attrs(payload, tb, NLMSGERR_ATTR_MAX + 1) < 0)
		return -EBADMSG;
	if (nlp_has(tb, NLMSGERR_ATTR_MSG))
		nlp_str(&tb[NLMSGERR_ATTR_MSG], out->msg, sizeof(out->msg));
	if (nlp_has(tb, NLMSGERR_ATTR_OFFS))
		nlp_u32(&tb[NLMSGERR_ATTR_OFFS], &out->attr_off);
	return 0;
}

int
nlp_parse_err(const struct nlmsghdr *hdr, struct rd payload, struct nlp_err *out)
{
	struct nlmsghdr orig;
	int32_t error;
	size_t skip;

	memset(out, 0, sizeof(*out));
	if (!rd_bytes(&payload, &error, sizeof(error)) || !rd_bytes(&payload, &orig, sizeof(orig)))
		return -EBADMSG;
	if (error > 0 || error < -4095)
		return -EBADMSG;
	out->error = error;
	out->seq = orig.nlmsg_seq;
	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	/* Without NLM_F_CAPPED the original request follows its header. */
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) {
		if (orig.nlmsg_len < sizeof(orig))
			return -EBADMSG;
		skip = NLP_ALIGN(orig.nlmsg_len - sizeof(orig));
		if (!rd_skip(&payload, skip < payload.left ? skip : payload.left))
			return -EBADMSG;
	}
	return ack_tlvs(payload, out);
}

int
nlp_parse_done(const struct nlmsghdr *hdr, struct rd payload, struct nlp_err *out)
{
	int32_t error;

	memset(out, 0, sizeof(*out));
	out->seq = hdr->nlmsg_seq;
	/* Old kernels end a dump with an empty NLMSG_DONE: no error. */
	if (!rd_bytes(&payload, &error, sizeof(error)))
		return 0;
	if (error < 0 && error >= -4095)
		out->error = error;
	/* Unlike NLMSG_ERROR, no request is echoed: the TLVs follow the int. */
	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	return ack_tlvs(payload, out);
}
