/* SPDX-License-Identifier: MIT */
/*
 * nlp: bounds-checked parsing of netlink messages and attributes with
 * struct rd (STYLE.md §4). Kernel replies are untrusted input: every header
 * and attribute gets the three length checks, and fixed structures are
 * copied out (never cast), so a 4-byte aligned netlink buffer holding
 * 8-byte fields is read without alignment faults.
 *
 * Pure functions: no sockets, clocks or globals (fuzzed by fuzz_xfrm_reply).
 */
#ifndef CAIRN_NLP_H
#define CAIRN_NLP_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rd.h"

#define NLP_ALIGN(n) (((n) + 3u) & ~(size_t)3u)

/*
 * Reads the next message of a datagram: *hdr is a copy of its header,
 * *payload a child reader over the bytes after the header. Skips the
 * alignment padding after the message. Returns 0, -ENOENT at the end of
 * the buffer, -EBADMSG when the header or its length is malformed.
 */
int nlp_next_msg(struct rd *buf, struct nlmsghdr *hdr, struct rd *payload);

/*
 * Splits a sequence of attributes into tb[type] (readers over each body;
 * tb[t].p == NULL when absent). Types >= max are skipped; the nested and
 * byte-order flags are masked off. A later duplicate replaces an earlier
 * one. Returns 0 or -EBADMSG.
 */
int nlp_attrs(struct rd r, struct rd *tb, size_t max);

static inline bool
nlp_has(const struct rd *tb, size_t type)
{
	return tb[type].p != NULL;
}

/* Copies exactly n bytes of an attribute (which must be at least n long). */
bool nlp_get(const struct rd *a, void *dst, size_t n);
bool nlp_u8(const struct rd *a, uint8_t *v);
bool nlp_u32(const struct rd *a, uint32_t *v);
/* A NUL-terminated string attribute copied into dst (truncated to cap-1). */
bool nlp_str(const struct rd *a, char *dst, size_t cap);

/* The kernel's answer to a request: NLMSG_ERROR with extended ack. */
struct nlp_err {
	int error;         /* 0 (ack) or -errno */
	uint32_t seq;      /* of the request it answers */
	uint32_t attr_off; /* NLMSGERR_ATTR_OFFS, 0 = none */
	char msg[256];     /* NLMSGERR_ATTR_MSG, "" = none */
};

/* Parses the payload of an NLMSG_ERROR message (hdr is that message's). */
int nlp_parse_err(const struct nlmsghdr *hdr, struct rd payload, struct nlp_err *out);

/*
 * Parses the payload of the NLMSG_DONE that ends a dump: an int error
 * (0 or -errno; absent from old kernels) and, with NLM_F_ACK_TLVS, the
 * extended-ack attributes right after it. Returns 0 or -EBADMSG.
 */
int nlp_parse_done(const struct nlmsghdr *hdr, struct rd payload, struct nlp_err *out);

#endif
