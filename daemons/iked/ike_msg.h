/* SPDX-License-Identifier: MIT */
/*
 * ike_msg: the IKEv2 message codec (RFC 7296 3). Decoding never trusts a
 * length: every structure is read through struct rd from its own bounded
 * sub-reader (STYLE.md §4), and results borrow the input bytes. Encoding
 * writes into a caller buffer through struct ike_enc, which chains the
 * "next payload" fields itself and reports overflow once at the end.
 *
 * Parsers take (bytes, length) and touch nothing else, so the fuzz target
 * (tests/fuzz/fuzz_ike_msg.c) reaches all of them.
 */
#ifndef CAIRN_IKE_MSG_H
#define CAIRN_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_crypto.h"
#include "ike_id.h"
#include "ike_ts.h"
#include "ike_wire.h"

#define IKE_MAX_PLDS  64 /* payloads per chain */
#define IKE_MAX_PROPS 16 /* proposals kept per SA payload; later ones are checked and skipped */
/* Transforms per proposal: all a proposal can carry (its count is an
 * octet). strongSwan's default IKE proposals carry 35 and 37. */
#define IKE_MAX_XFORMS 255
#define IKE_MSG_MAX    65535

struct ike_hdr {
	uint64_t spi_i, spi_r;
	uint8_t next, version, exchange, flags;
	uint32_t msgid, length;
};

/* One payload of a chain: its type and body (after the generic header). */
struct ike_pld {
	uint8_t type;
	bool critical;
	const uint8_t *p;
	size_t len;
};

struct ike_plds {
	unsigned n;
	struct ike_pld pld[IKE_MAX_PLDS];
	uint8_t unknown_critical; /* first unrecognised critical payload type, 0 = none */
	bool has_sk;              /* an SK payload ends the chain */
	size_t sk_off;            /* its generic header, from the start of the buffer */
	uint8_t sk_first;         /* the first payload type inside it */
};

/* Parses the 28-byte header of buf; -EBADMSG on a bad version or length. */
int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h);
/*
 * Parses a payload chain starting with type `first` over p[0..len); base is
 * the offset of p within the whole message (for sk_off). Unknown
 * non-critical payloads are skipped; an unknown critical one is noted in
 * unknown_critical. An SK payload must be last. 0 or -EBADMSG.
 */
int ike_plds_parse(uint8_t first, const uint8_t *p, size_t len, size_t base, struct ike_plds *out);
/* First payload of a type (or NULL); ike_plds_next for the following ones. */
const struct ike_pld *ike_plds_find(const struct ike_plds *pl, uint8_t type);
const struct ike_pld *ike_plds_next(
    const struct ike_plds *pl, const struct ike_pld *after, uint8_t type);

/* Typed views of payload bodies (all borrow the input). */
struct ike_xf {
	uint16_t id;
	uint16_t keylen; /* key length attribute in bits, 0 = absent */
	uint8_t type;
	bool unusable; /* carried an attribute we do not understand */
};

struct ike_prop_pl {
	uint8_t num, proto, spi_len;
	uint8_t spi[8];
	uint8_t n_xf;
	struct ike_xf xf[IKE_MAX_XFORMS];
};

struct ike_sa_pl {
	unsigned n;       /* proposals kept (at most IKE_MAX_PROPS) */
	unsigned skipped; /* well-formed proposals beyond those */
	struct ike_prop_pl prop[IKE_MAX_PROPS];
};

struct ike_notify_pl {
	uint8_t proto, spi_len;
	const uint8_t *spi;
	uint16_t type;
	const uint8_t *data;
	size_t len;
};

struct ike_ke_pl {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};

struct ike_auth_pl {
	uint8_t method;
	const uint8_t *data;
	size_t len;
};

struct ike_delete_pl {
	uint8_t proto, spi_len;
	uint16_t n;
	const uint8_t *spis; /* n * spi_len bytes */
};

struct ike_cp_pl {
	uint8_t type;
	unsigned n_attrs;
};

int ike_sa_pl_parse(const struct ike_pld *pl, struct ike_sa_pl *out);
int ike_notify_parse(const struct ike_pld *pl, struct ike_notify_pl *out);
int ike_ke_parse(const struct ike_pld *pl, struct ike_ke_pl *out);
int ike_nonce_parse(const struct ike_pld *pl, const uint8_t **nonce, size_t *len);
int ike_id_parse(const struct ike_pld *pl, struct ike_id *out);
int ike_auth_parse(const struct ike_pld *pl, struct ike_auth_pl *out);
int ike_delete_parse(const struct ike_pld *pl, struct ike_delete_pl *out);
uint32_t ike_delete_spi(const struct ike_delete_pl *d, unsigned i); /* ESP only */
/* Traffic selectors: IPv4/IPv6 ranges; other types are -ENOTSUP. */
int ike_ts_parse(const struct ike_pld *pl, struct ike_ts *out, unsigned max, unsigned *n);
int ike_cp_parse(const struct ike_pld *pl, struct ike_cp_pl *out);
/* Finds the first notify of a type in a chain (the parsed body in *out). */
bool ike_plds_notify(const struct ike_plds *pl, uint16_t type, struct ike_notify_pl *out);
/* The first error notify (type < 16384) of a chain, 0 when none. */
uint16_t ike_plds_error(const struct ike_plds *pl);

/* An offer in an SA payload: one proposal of one transform of each type. */
struct ike_offer {
	uint8_t num, proto, spi_len;
	uint8_t spi[8];
	struct ike_suite s;
};

/* ID payload body (type, three reserved bytes, data) as AUTH signs it. */
size_t ike_id_body(const struct ike_id *id, uint8_t *out, size_t cap);

struct ike_enc {
	uint8_t *buf;
	size_t cap, len;
	size_t next_at; /* offset of the next-payload byte the next payload patches */
	bool overflow;
};

void ike_enc_init(struct ike_enc *e, uint8_t *buf, size_t cap);
/* Writes the header (length patched by ike_enc_finish or ike_sk_seal). */
void ike_enc_hdr(struct ike_enc *e, const struct ike_hdr *h);
/* Starts a payload (generic header) and returns its offset for ike_enc_end. */
size_t ike_enc_begin(struct ike_enc *e, uint8_t type);
void ike_enc_end(struct ike_enc *e, size_t start);
void ike_enc_bytes(struct ike_enc *e, const void *p, size_t n);
void ike_enc_u8(struct ike_enc *e, uint8_t v);
void ike_enc_be16(struct ike_enc *e, uint16_t v);
void ike_enc_be32(struct ike_enc *e, uint32_t v);
/* Starts the SK payload and reserves the IV; payloads after it go inside. */
size_t ike_enc_sk_begin(struct ike_enc *e, size_t iv_len);
/* Clear message: patches the header length; returns the length or -EMSGSIZE. */
int ike_enc_finish(struct ike_enc *e, size_t *len);

void ike_enc_sa(struct ike_enc *e, const struct ike_offer *offers, unsigned n);
void ike_enc_ke(struct ike_enc *e, uint16_t group, const uint8_t *pub, size_t len);
void ike_enc_nonce(struct ike_enc *e, const uint8_t *n, size_t len);
void ike_enc_notify(struct ike_enc *e, uint8_t proto, const uint8_t *spi, size_t spi_len,
    uint16_t type, const uint8_t *data, size_t len);
void ike_enc_id(struct ike_enc *e, uint8_t pld_type, const struct ike_id *id);
void ike_enc_auth(struct ike_enc *e, uint8_t method, const uint8_t *data, size_t len);
void ike_enc_delete(struct ike_enc *e, uint8_t proto, const uint32_t *spis, unsigned n);
void ike_enc_ts(struct ike_enc *e, uint8_t pld_type, const struct ike_ts *ts, unsigned n);
void ike_enc_vendor(struct ike_enc *e, const uint8_t *data, size_t len);
void ike_enc_cp(struct ike_enc *e, uint8_t cfg_type, const uint16_t *attr_types, unsigned n);

const char *ike_exchange_str(uint8_t x);
const char *ike_notify_str(uint16_t type);
const char *ike_pld_str(uint8_t type);

#endif
