/* SPDX-License-Identifier: MIT */
/*
 * ike_prop: SA proposal negotiation (RFC 7296 2.7, 3.3). Our side always
 * offers single-combination proposals (one transform of each type, as a
 * Junos proposal is one combination); the peer may offer any mix. The
 * responder picks the first of its own suites, in configured order, that
 * some peer proposal contains; the initiator checks that the answer is one
 * of the suites it offered.
 */
#ifndef CAIRN_IKE_PROP_H
#define CAIRN_IKE_PROP_H

#include <stdbool.h>
#include <stdint.h>

#include "ike_crypto.h"
#include "ike_msg.h"

struct ike_choice {
	unsigned ours;   /* index of the chosen suite in ours[] */
	uint8_t num;     /* the peer's proposal number */
	uint8_t spi_len; /* the peer's SPI for this proposal */
	uint8_t spi[8];
	struct ike_suite s;
};

/* Selection flags. */
enum {
	IKE_SEL_IGNORE_DH = 1 << 0, /* IKE_AUTH CHILD SA: no KE, DH transforms ignored */
};

/* true when peer proposal p offers suite s for protocol proto. */
bool ike_prop_contains(
    const struct ike_prop_pl *p, uint8_t proto, const struct ike_suite *s, unsigned flags);
/*
 * Responder: the first of ours[0..n) contained in a proposal of peer.
 * When want_dh is not 0, suites with that DH group are preferred (the
 * group of the KE payload, to avoid an INVALID_KE_PAYLOAD round trip).
 * 0 or -ENOENT.
 */
int ike_prop_select(const struct ike_sa_pl *peer, uint8_t proto, const struct ike_suite *ours,
    unsigned n, unsigned flags, uint16_t want_dh, struct ike_choice *out);
/*
 * Initiator: the responder's answer must be one proposal with one
 * transform of each type, equal to one of ours. 0 or -EBADMSG.
 */
int ike_prop_accept(const struct ike_sa_pl *resp, uint8_t proto, const struct ike_suite *ours,
    unsigned n, unsigned flags, struct ike_choice *out);
/* Text of a suite, "aes-gcm-128/prf-hmac-sha256/ecp256" style. */
const char *ike_suite_str(const struct ike_suite *s, uint8_t proto, char *buf, size_t len);
/* Several suites joined with ", " (truncated to len). */
const char *ike_suites_str(
    const struct ike_suite *s, unsigned n, uint8_t proto, char *buf, size_t len);
/* Text of a peer's proposals of protocol proto, for the log when none was
 * chosen: "#1 aes-cbc-256/hmac-sha256-128/prf-hmac-sha256/dh14,dh19; #2 ...",
 * transform types joined with '/', alternatives of one type with ',',
 * unknown IDs as numbers ("encr28"). Truncated to len. */
const char *ike_sa_pl_str(const struct ike_sa_pl *p, uint8_t proto, char *buf, size_t len);

#endif
