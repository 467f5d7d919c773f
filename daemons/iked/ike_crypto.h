/* SPDX-License-Identifier: MIT */
/*
 * ike_crypto: every cryptographic operation of the IKE engine, through
 * OpenSSL 3 EVP only: Diffie-Hellman (MODP 14/15/16, ECP 19/20/21 with the
 * RFC 5903 x||y encoding, Curve25519), the PRF and prf+ (RFC 7296 2.13),
 * SKEYSEED and the seven IKE SA keys (2.14, 2.18), the SK payload with
 * AES-CBC + HMAC-SHA2 or AES-GCM (3.14, RFC 5282), PSK authentication
 * (2.15), NAT detection hashes (2.23) and cookie hashes (2.6).
 *
 * A struct ike_crypto holds the fetched algorithms and reusable contexts of
 * one engine (single-threaded); nothing is fetched per message.
 * Functions return 0 or -errno: -EINVAL for unsupported parameters,
 * -EBADMSG for bad peer input (an invalid public value, a wrong ICV),
 * -EIO when OpenSSL fails.
 */
#ifndef CAIRN_IKE_CRYPTO_H
#define CAIRN_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_addr.h"

#define IKE_PRF_MAX     64  /* HMAC-SHA2-512 output */
#define IKE_ENC_KEY_MAX 36  /* AES-256 key + 4-byte GCM salt */
#define IKE_DH_PUB_MAX  512 /* MODP 4096 */
#define IKE_DH_SEC_MAX  512
#define IKE_ICV_MAX     32
#define IKE_IV_MAX      16
#define IKE_NONCE_MAX   256 /* RFC 7296 3.9 */
#define IKE_NONCE_MIN   16
#define IKE_NATD_LEN    20 /* SHA-1 */

/* A negotiated transform set (IANA transform IDs; 0 = absent). */
struct ike_suite {
	uint16_t encr, encr_bits; /* ENCR transform and key length in bits */
	uint16_t prf;             /* IKE only */
	uint16_t integ;           /* 0 with AES-GCM */
	uint16_t dh;              /* IKE: the group; ESP: the PFS group or 0 */
	uint16_t esn;             /* ESP only: 0 or 1 */
};

struct ike_iov {
	const void *p;
	size_t len;
};

struct ike_crypto;
struct ike_dh;

/*
 * The seven IKE SA keys of RFC 7296 2.14, in one buffer allocated to their
 * lengths (the pointers point into it; sk_ai/sk_ar are empty with AEAD).
 * sk_pi/sk_pr are NULL once ike_keys_drop_auth() dropped them. Zeroed
 * before ike_keys_derive(); freed and wiped with ike_keys_wipe().
 */
/*
 * An IKE SA's keys, in one buffer in the order of the key stream (RFC 7296
 * 2.14): SK_d | SK_ai | SK_ar | SK_ei | SK_er, then SK_pi | SK_pr until
 * ike_keys_drop_auth(). 16 bytes: the keys are found by their lengths
 * (ike_sk_d() ... ike_sk_pr(), NULL when absent) rather than kept as seven
 * pointers.
 */
struct ike_sa_keys {
	uint8_t *buf;
	uint8_t prf_len, integ_len, enc_len;
	bool auth; /* SK_pi and SK_pr are in buf */
};

static inline uint8_t *
ike_sk_at(const struct ike_sa_keys *k, size_t off)
{
	return k->buf != NULL ? k->buf + off : NULL;
}
static inline uint8_t *
ike_sk_d(const struct ike_sa_keys *k)
{
	return ike_sk_at(k, 0);
}
static inline uint8_t *
ike_sk_ai(const struct ike_sa_keys *k)
{
	return ike_sk_at(k, k->prf_len);
}
static inline uint8_t *
ike_sk_ar(const struct ike_sa_keys *k)
{
	return ike_sk_at(k, (size_t)k->prf_len + k->integ_len);
}
static inline uint8_t *
ike_sk_ei(const struct ike_sa_keys *k)
{
	return ike_sk_at(k, (size_t)k->prf_len + 2u * k->integ_len);
}
static inline uint8_t *
ike_sk_er(const struct ike_sa_keys *k)
{
	return ike_sk_at(k, (size_t)k->prf_len + 2u * k->integ_len + k->enc_len);
}
static inline uint8_t *
ike_sk_pi(const struct ike_sa_keys *k)
{
	return k->auth ? ike_sk_at(k, (size_t)k->prf_len + 2u * k->integ_len + 2u * k->enc_len)
	               : NULL;
}
static inline uint8_t *
ike_sk_pr(const struct ike_sa_keys *k)
{
	return k->auth ? ike_sk_at(k, 2u * k->prf_len + 2u * k->integ_len + 2u * k->enc_len) : NULL;
}

struct ike_crypto *ike_crypto_new(void); /* NULL and errno on failure */
void ike_crypto_free(struct ike_crypto *c);

/* Transform properties; 0 when the transform is not supported. */
size_t ike_prf_len(uint16_t prf);
size_t ike_encr_key_len(uint16_t encr, uint16_t bits); /* includes the GCM salt */
size_t ike_encr_iv_len(uint16_t encr);
size_t ike_integ_key_len(uint16_t integ);
size_t ike_integ_icv_len(uint16_t integ);
size_t ike_suite_icv_len(const struct ike_suite *s);
bool ike_encr_is_aead(uint16_t encr);
size_t ike_dh_pub_len(uint16_t group);
size_t ike_dh_secret_len(uint16_t group);
/* true when the suite can protect IKE messages (SK payload). */
bool ike_suite_ike_ok(const struct ike_suite *s);

/* prf(key, iov...) into out (ike_prf_len bytes). */
int ike_prf(struct ike_crypto *c, uint16_t prf, const uint8_t *key, size_t klen,
    const struct ike_iov *iov, size_t n, uint8_t *out);
/* prf+(key, iov...) = T1 | T2 | ... truncated to outlen (RFC 7296 2.13). */
int ike_prfplus(struct ike_crypto *c, uint16_t prf, const uint8_t *key, size_t klen,
    const struct ike_iov *iov, size_t n, uint8_t *out, size_t outlen);
/* SKEYSEED = prf(Ni | Nr, g^ir) (2.14). out: ike_prf_len bytes. */
int ike_skeyseed(struct ike_crypto *c, uint16_t prf, const uint8_t *ni, size_t ni_len,
    const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len, uint8_t *out);
/* Rekey: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), old PRF (2.18). */
int ike_skeyseed_rekey(struct ike_crypto *c, uint16_t old_prf, const uint8_t *sk_d, size_t sk_d_len,
    const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
    size_t nr_len, uint8_t *out);
/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni|Nr|SPIi|SPIr). */
int ike_keys_derive(struct ike_crypto *c, const struct ike_suite *s, const uint8_t *skeyseed,
    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, uint64_t spi_i,
    uint64_t spi_r, struct ike_sa_keys *out);
void ike_keys_wipe(struct ike_sa_keys *k);
/* Drops SK_pi and SK_pr (only AUTH payloads use them, RFC 7296 2.15): the
 * buffer shrinks to the others. Keeps them if the smaller one cannot be had. */
void ike_keys_drop_auth(struct ike_sa_keys *k);

/*
 * SK payload (RFC 7296 3.14; RFC 5282 for AES-GCM), in place. msg holds the
 * IKE header and any clear payloads up to sk_off, the SK generic header at
 * sk_off, room for the IV, then inner_len bytes of plaintext payloads.
 * ike_sk_seal pads, encrypts, appends the ICV and fixes the SK payload and
 * IKE header lengths; *msg_len receives the total. iv: ike_encr_iv_len bytes
 * (random for CBC, unique for GCM).
 */
int ike_sk_seal(struct ike_crypto *c, const struct ike_suite *s, const uint8_t *ke,
    const uint8_t *ka, const uint8_t *iv, uint8_t *msg, size_t cap, size_t sk_off, size_t inner_len,
    size_t *msg_len);
/*
 * Verifies and decrypts the SK payload that starts at sk_off and ends the
 * message (msg_len bytes in all) into out (cap bytes); *out_len receives the
 * plaintext payload chain without padding. -EBADMSG on a wrong ICV or
 * padding.
 */
int ike_sk_open(struct ike_crypto *c, const struct ike_suite *s, const uint8_t *ke,
    const uint8_t *ka, const uint8_t *msg, size_t msg_len, size_t sk_off, uint8_t *out, size_t cap,
    size_t *out_len);

/* Raw AEAD/CBC primitives (exposed for the vector tests). */
int ike_aes_gcm_seal(struct ike_crypto *c, const uint8_t *key, size_t klen, const uint8_t *nonce12,
    const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag16);
int ike_aes_gcm_open(struct ike_crypto *c, const uint8_t *key, size_t klen, const uint8_t *nonce12,
    const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len, const uint8_t *tag16);
int ike_aes_cbc(struct ike_crypto *c, bool enc, const uint8_t *key, size_t klen,
    const uint8_t *iv16, uint8_t *buf, size_t len);
/* HMAC-SHA2-<bits>, truncated to outlen. */
int ike_hmac(struct ike_crypto *c, unsigned bits, const uint8_t *key, size_t klen,
    const struct ike_iov *iov, size_t n, uint8_t *out, size_t outlen);

/*
 * PSK authentication data (RFC 7296 2.15):
 * prf(prf(PSK, "Key Pad for IKEv2"), msg | nonce | prf(SK_p, id_body)),
 * where id_body is the ID payload body (type, reserved, data).
 */
int ike_psk_auth(struct ike_crypto *c, uint16_t prf, const uint8_t *psk, size_t psk_len,
    const uint8_t *msg, size_t msg_len, const uint8_t *nonce, size_t nonce_len, const uint8_t *sk_p,
    const uint8_t *id_body, size_t id_len, uint8_t *out);

/* NAT detection hash: SHA-1(SPIi | SPIr | IP | port) (2.23). */
int ike_natd_hash(struct ike_crypto *c, uint64_t spi_i, uint64_t spi_r,
    const struct ike_endpoint *ep, uint8_t out[IKE_NATD_LEN]);
/* SHA-256 over the iovs (cookies). */
int ike_sha256(struct ike_crypto *c, const struct ike_iov *iov, size_t n, uint8_t out[32]);

/* Diffie-Hellman. ike_dh_new generates a fresh key pair (NULL, errno). */
struct ike_dh *ike_dh_new(struct ike_crypto *c, uint16_t group);
/* Test hook: a key pair from a known private value (ECP: pub = x||y, MODP: unsupported). */
struct ike_dh *ike_dh_new_private(struct ike_crypto *c, uint16_t group, const uint8_t *priv,
    size_t priv_len, const uint8_t *pub, size_t pub_len);
uint16_t ike_dh_group(const struct ike_dh *dh);
/* Our public value in IKE encoding (borrowed; ike_dh_pub_len bytes). */
const uint8_t *ike_dh_public(const struct ike_dh *dh, size_t *len);
/* g^ir from the peer's public value (ike_dh_secret_len bytes into out). */
int ike_dh_derive(struct ike_crypto *c, struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
    uint8_t *out, size_t cap, size_t *len);
void ike_dh_free(struct ike_dh *dh);

#endif
