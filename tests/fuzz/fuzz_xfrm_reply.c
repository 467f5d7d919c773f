/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: netlink replies and notifications as the kernel dataplane
 * reads them. Input: 4 bytes of request sequence number (host order), then
 * one datagram. The datagram goes through the reply walk (seq/portid
 * matching, acks, NLMSG_ERROR with extended ack, NLMSG_DONE) with every
 * data message handed to the SA, policy, acquire, expire and link parsers,
 * and once more message by message as the event socket reads it.
 * Corpus: corpus/xfrm_reply/ (real kernel replies and built messages,
 * made by gen_xfrm_corpus.c).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "xfrm.h"

static int
dispatch(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	union {
		struct xfrm_sa_info sa;
		struct xfrm_expire_info exp;
		struct xfrm_pol pol;
		struct xfrm_acquire_info acq;
		struct rtnl_link_info link;
	} u;

	(void)arg;
	switch (hdr->nlmsg_type) {
	case XFRM_MSG_NEWSA: /* = RTM_NEWLINK */
	case XFRM_MSG_UPDSA:
		if (xfrm_parse_sa(payload, &u.sa) == 0) {
			/* the overrun resync's tests, at a fixed time and the extremes */
			(void)xfrm_sa_is_acquire(&u.sa);
			(void)xfrm_sa_soft_passed(&u.sa, 1700000000);
			(void)xfrm_sa_soft_passed(&u.sa, 0);
			(void)xfrm_sa_soft_passed(&u.sa, UINT64_MAX);
		}
		rtnl_parse_link(payload, &u.link);
		break;
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		xfrm_parse_policy(payload, &u.pol);
		break;
	case XFRM_MSG_ACQUIRE:
		xfrm_parse_acquire(payload, &u.acq);
		break;
	case XFRM_MSG_EXPIRE:
		xfrm_parse_expire(payload, &u.exp);
		break;
	default:
		break;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[XNL_RCV_MAX] __attribute__((aligned(8)));
	struct nlp_err kerr;
	struct nlmsghdr hdr;
	struct rd r, payload;
	uint32_t seq;
	bool done = false;
	int cbrc = 0;

	if (size < sizeof(seq) || size - sizeof(seq) > sizeof(buf))
		return 0;
	memcpy(&seq, data, sizeof(seq));
	size -= sizeof(seq);
	memcpy(buf, data + sizeof(seq), size);
	xnl_walk(buf, size, seq, 0, dispatch, NULL, &done, &cbrc, &kerr);
	rd_init(&r, buf, size);
	while (nlp_next_msg(&r, &hdr, &payload) == 0) {
		if (hdr.nlmsg_type == NLMSG_ERROR)
			nlp_parse_err(&hdr, payload, &kerr);
		else
			dispatch(&hdr, payload, NULL);
	}
	return 0;
}
