/* SPDX-License-Identifier: MIT */
/*
 * esp: ESP tunnel-mode transforms with OpenSSL (RFC 4303, RFC 4106,
 * RFC 3602, RFC 4868). An SA borrows its cipher context from the thread's
 * esp_cache, keyed for it while it keeps the slot (re-keyed on a miss);
 * per packet only the IV is set (EVP_*Init_ex with NULL cipher and key).
 * HMAC (RFC 2104) runs on OpenSSL's SHA-2 block functions from inner and
 * outer states precomputed at SA setup: re-arming EVP_MAC per packet
 * duplicates a provider context, i.e. allocates, on every packet.
 *
 * CBC encryption on CPUs with AES-NI bypasses EVP: esp_seal_start() only
 * frames the packet and esp_seal_finish() encrypts a batch of packets with
 * their CBC chains interleaved (aesmb.c), then computes their ICVs.
 * CBC decryption with AES-NI bypasses EVP too (aesmb_cbc_decrypt(): the
 * blocks of a packet in parallel, 16 at a time with VAES; EVP's per-packet
 * re-initialisation alone cost as much as the decryption).
 * The batch's HMAC-SHA-256 ICVs are computed up to four packets at a time
 * with the SHA extensions (shamb.c) from our own copies of the pad states.
 *
 * AES-GCM on CPUs with VAES and VPCLMULQDQ bypasses EVP as well: the cache
 * slot then holds gcmv's key (AES schedule and powers of H, gcmv.h)
 * instead of an EVP context.
 */
/* the low-level SHA-2 API is deprecated in OpenSSL 3 but allocation-free */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "aesmb.h"
#include "esp.h"
#include "gcmv.h"
#include "rd.h"
#include "shamb.h"
#include "xmem.h"

union sha_ctx {
	SHA256_CTX s256;
	SHA512_CTX s512;
};

struct esp_hmac {
	size_t dlen, block;
	bool sha256;
	union sha_ctx inner, outer; /* after absorbing key ^ ipad, key ^ opad */
	/* SHA-256 on a CPU with SHA-NI: the same two states for shamb.c */
	bool ni;
	uint32_t ni_inner[8], ni_outer[8];
};

/* FIPS 180-4 5.3.3 */
static const uint32_t sha256_iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f,
	0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

static void
sha_init(struct esp_hmac *h, void *ctx)
{
	if (h->sha256)
		SHA256_Init(ctx);
	else if (h->dlen == 48)
		SHA384_Init(ctx);
	else
		SHA512_Init(ctx);
}

static void
sha_update(struct esp_hmac *h, void *ctx, const void *p, size_t n)
{
	if (h->sha256)
		SHA256_Update(ctx, p, n);
	else
		SHA512_Update(ctx, p, n); /* SHA-384 shares SHA-512's update */
}

static void
sha_final(struct esp_hmac *h, void *ctx, uint8_t *out)
{
	if (h->sha256)
		SHA256_Final(out, ctx);
	else if (h->dlen == 48)
		SHA384_Final(out, ctx);
	else
		SHA512_Final(out, ctx);
}

static struct esp_hmac *
hmac_new(enum dp_integ integ, const uint8_t *key, size_t klen)
{
	struct esp_hmac *h = xmem_zalloc(sizeof(*h));
	uint8_t pad[128];
	size_t i;

	if (h == NULL)
		return NULL;
	h->sha256 = integ == DP_INTEG_HMAC_SHA256_128;
	h->dlen = integ == DP_INTEG_HMAC_SHA256_128   ? 32
	          : integ == DP_INTEG_HMAC_SHA384_192 ? 48
	                                              : 64;
	h->block = h->sha256 ? 64 : 128;
	/* RFC 4868 keys are never longer than the block: no pre-hashing */
	for (i = 0; i < h->block; i++)
		pad[i] = (uint8_t)((i < klen ? key[i] : 0) ^ 0x36);
	sha_init(h, &h->inner);
	sha_update(h, &h->inner, pad, h->block);
	h->ni = h->sha256 && shamb_supported();
	if (h->ni) {
		memcpy(h->ni_inner, sha256_iv, sizeof(sha256_iv));
		shamb_sha256_x1(h->ni_inner, pad, 1);
	}
	for (i = 0; i < h->block; i++)
		pad[i] = (uint8_t)((i < klen ? key[i] : 0) ^ 0x5c);
	sha_init(h, &h->outer);
	sha_update(h, &h->outer, pad, h->block);
	if (h->ni) {
		memcpy(h->ni_outer, sha256_iv, sizeof(sha256_iv));
		shamb_sha256_x1(h->ni_outer, pad, 1);
	}
	explicit_bzero(pad, sizeof(pad));
	return h;
}

static const char *
integ_digest(enum dp_integ integ, uint8_t *icv, size_t *klen)
{
	switch (integ) {
	case DP_INTEG_HMAC_SHA256_128:
		*icv = 16;
		*klen = 32;
		return "SHA256";
	case DP_INTEG_HMAC_SHA384_192:
		*icv = 24;
		*klen = 48;
		return "SHA384";
	case DP_INTEG_HMAC_SHA512_256:
		*icv = 32;
		*klen = 64;
		return "SHA512";
	case DP_INTEG_NONE:
		break;
	}
	return NULL;
}

int
esp_xform_init(struct esp_xform *x, enum dp_enc enc, const uint8_t *ekey, size_t eklen,
    enum dp_integ integ, const uint8_t *ikey, size_t iklen, bool encrypt, bool allow_null_integ,
    struct errbuf *err)
{
	size_t want_ek = 0, want_ik = 0;
	const char *md = NULL;
	int rc = 0;

	memset(x, 0, sizeof(*x));
	x->enc = enc;
	x->integ = integ;
	x->encrypt = encrypt;
	switch (enc) {
	case DP_ENC_AES_GCM_128:
		want_ek = 16 + 4;
		break;
	case DP_ENC_AES_GCM_256:
		want_ek = 32 + 4;
		break;
	case DP_ENC_AES_CBC_128:
		want_ek = 16;
		break;
	case DP_ENC_AES_CBC_256:
		want_ek = 32;
		break;
	default:
		return errbuf_set(err, -EINVAL, "unknown encryption algorithm %d", (int)enc);
	}
	x->aead = enc == DP_ENC_AES_GCM_128 || enc == DP_ENC_AES_GCM_256;
	if (eklen != want_ek)
		return errbuf_set(err, -EINVAL, "encryption key must be %zu bytes (%s), not %zu",
		    want_ek, x->aead ? "key + 4-byte salt" : "key", eklen);
	if (x->aead) {
		if (integ != DP_INTEG_NONE)
			return errbuf_set(err, -EINVAL,
			    "AES-GCM is combined-mode: no integrity algorithm allowed");
		x->iv_len = 8;
		x->blk = 4;
		x->icv_len = 16;
		memcpy(x->salt, ekey + eklen - 4, 4);
	} else {
		x->iv_len = 16;
		x->blk = 16;
		if (integ == DP_INTEG_NONE) {
			if (!allow_null_integ)
				return errbuf_set(err, -EINVAL,
				    "AES-CBC needs an integrity algorithm (RFC 8221)");
		} else {
			md = integ_digest(integ, &x->icv_len, &want_ik);
			if (md == NULL)
				return errbuf_set(
				    err, -EINVAL, "unknown integrity algorithm %d", (int)integ);
			if (iklen != want_ik)
				return errbuf_set(err, -EINVAL,
				    "integrity key must be %zu bytes, not %zu", want_ik, iklen);
		}
	}

	/* the cipher context comes from the cache, keyed on first use */
	x->key_len = (uint8_t)(x->aead ? eklen - 4 : eklen);
	memcpy(x->key, ekey, x->key_len);
	if (!x->aead && aesmb_supported()) {
		/* 16-byte aligned: the round keys are AESENC memory operands */
		x->aes = aligned_alloc(16, sizeof(*x->aes));
		if (x->aes == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		if (aesmb_key_init(x->aes, ekey, eklen) < 0) {
			free(x->aes);
			x->aes = NULL;
			rc = -EIO;
			goto fail;
		}
		if (!encrypt)
			aesmb_key_to_decrypt(x->aes);
	}
	if (md != NULL) {
		x->hmac = hmac_new(integ, ikey, iklen);
		if (x->hmac == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	return 0;
fail:
	esp_xform_fini(x);
	return errbuf_set(err, rc, "OpenSSL could not set up the %s transform",
	    rc == -ENOMEM ? "(out of memory)" : "ESP");
}

void
esp_xform_fini(struct esp_xform *x)
{
	esp_xform_unbind(x);
	xmem_free(x->hmac, sizeof(*x->hmac));
	if (x->aes != NULL) {
		aesmb_key_wipe(x->aes);
		free(x->aes);
	}
	x->hmac = NULL;
	x->aes = NULL;
	explicit_bzero(x->salt, sizeof(x->salt));
	explicit_bzero(x->key, sizeof(x->key));
}

/* ---- the per-thread cipher context cache ---- */

struct esp_cslot {
	EVP_CIPHER_CTX *ctx;      /* allocated on first use */
	const EVP_CIPHER *cipher; /* what ctx is initialised for; NULL: nothing */
	struct gcmv_key *gk;      /* GCM without EVP (gcmv.h): allocated on first use */
	uint64_t gen;             /* the key it holds (esp_xform.gen); 0: none */
	bool ref;                 /* used since the clock hand last passed */
	bool own;                 /* the key is in gk (gcmv), not in ctx */
};

enum { CIPHER_GCM128, CIPHER_GCM256, CIPHER_CBC128, CIPHER_CBC256, CIPHER_N };

struct esp_cache {
	uint32_t nslot;
	uint32_t hand[2];
	uint64_t gen;              /* the last one handed out */
	struct esp_cslot *slot[2]; /* [0] decrypting, [1] encrypting */
	EVP_CIPHER *cipher[CIPHER_N];
	uint64_t misses, evictions;
};

static const char *const cipher_name[CIPHER_N] = { "AES-128-GCM", "AES-256-GCM", "AES-128-CBC",
	"AES-256-CBC" };

static int
cipher_idx(enum dp_enc enc)
{
	switch (enc) {
	case DP_ENC_AES_GCM_128:
		return CIPHER_GCM128;
	case DP_ENC_AES_GCM_256:
		return CIPHER_GCM256;
	case DP_ENC_AES_CBC_128:
		return CIPHER_CBC128;
	default:
		return CIPHER_CBC256;
	}
}

int
esp_cache_new(struct esp_cache **cache, uint32_t nslot, struct errbuf *err)
{
	struct esp_cache *c;
	int i;

	*cache = NULL;
	if (nslot == 0)
		return errbuf_set(err, -EINVAL, "a context cache needs at least one slot");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return errbuf_set(err, -ENOMEM, "out of memory");
	c->nslot = nslot;
	c->slot[0] = calloc(nslot, sizeof(*c->slot[0]));
	c->slot[1] = calloc(nslot, sizeof(*c->slot[1]));
	if (c->slot[0] == NULL || c->slot[1] == NULL) {
		esp_cache_free(c);
		return errbuf_set(err, -ENOMEM, "out of memory");
	}
	/* fetched once: EVP_aes_*() would look the cipher up on every init */
	for (i = 0; i < CIPHER_N; i++) {
		c->cipher[i] = EVP_CIPHER_fetch(NULL, cipher_name[i], NULL);
		if (c->cipher[i] == NULL) {
			esp_cache_free(c);
			return errbuf_set(err, -EIO, "OpenSSL has no %s", cipher_name[i]);
		}
	}
	*cache = c;
	return 0;
}

void
esp_cache_free(struct esp_cache *c)
{
	uint32_t i;
	int d;

	if (c == NULL)
		return;
	for (d = 0; d < 2; d++) {
		for (i = 0; c->slot[d] != NULL && i < c->nslot; i++) {
			EVP_CIPHER_CTX_free(c->slot[d][i].ctx); /* the provider wipes the key */
			if (c->slot[d][i].gk != NULL) {
				gcmv_key_wipe(c->slot[d][i].gk);
				free(c->slot[d][i].gk);
			}
		}
		free(c->slot[d]);
	}
	for (d = 0; d < CIPHER_N; d++)
		EVP_CIPHER_free(c->cipher[d]);
	free(c);
}

void
esp_cache_get_stats(const struct esp_cache *c, struct esp_cache_stats *st)
{
	uint32_t i;
	int d;

	memset(st, 0, sizeof(*st));
	st->nslot = c->nslot;
	st->misses = c->misses;
	st->evictions = c->evictions;
	for (d = 0; d < 2; d++) {
		for (i = 0; i < c->nslot; i++) {
			st->keyed += c->slot[d][i].gen != 0;
			st->contexts += c->slot[d][i].ctx != NULL;
			st->contexts += c->slot[d][i].gk != NULL;
		}
	}
}

/* Empties a slot: the provider context, with the key schedule, is wiped and freed. */
static void
slot_wipe(struct esp_cslot *s)
{
	if (s->ctx != NULL)
		EVP_CIPHER_CTX_reset(s->ctx);
	if (s->gk != NULL)
		gcmv_key_wipe(s->gk);
	s->cipher = NULL;
	s->gen = 0;
	s->ref = false;
	s->own = false;
}

/* Keys s for x with gcmv: its AES schedule and powers of H (x is GCM). */
static int
slot_key_own(struct esp_cslot *s, const struct esp_xform *x)
{
	if (s->ctx != NULL && s->cipher != NULL) {
		/* the provider context may hold another SA's key: wiped */
		EVP_CIPHER_CTX_reset(s->ctx);
		s->cipher = NULL;
	}
	/* 64-byte aligned: the powers of H are 512-bit memory operands */
	if (s->gk == NULL && (s->gk = aligned_alloc(64, sizeof(*s->gk))) == NULL)
		return -ENOMEM;
	if (gcmv_key_init(s->gk, x->key, x->key_len) < 0)
		return -EIO;
	s->own = true;
	return 0;
}

/* Keys s's EVP context for x. */
static int
slot_key_evp(struct esp_cslot *s, const struct esp_xform *x, const EVP_CIPHER *want)
{
	int enc = x->encrypt ? 1 : 0;

	if (s->gk != NULL)
		gcmv_key_wipe(s->gk);
	s->own = false;
	if (s->ctx == NULL && (s->ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -ENOMEM;
	if (s->cipher != want) {
		/* another algorithm: a new provider context (the old one wiped) */
		EVP_CIPHER_CTX_reset(s->ctx);
		s->cipher = NULL;
		if (EVP_CipherInit_ex2(s->ctx, want, x->key, NULL, enc, NULL) != 1)
			return -EIO;
		s->cipher = want;
	} else if (EVP_CipherInit_ex2(s->ctx, NULL, x->key, NULL, enc, NULL) != 1) {
		return -EIO;
	}
	/* CBC: whole blocks in, whole blocks out (no block held back) */
	if (!x->aead && EVP_CIPHER_CTX_set_padding(s->ctx, 0) != 1)
		return -EIO;
	return 0;
}

/*
 * A miss: the clock hand passes over slots used since its last round
 * (clearing their mark) and takes the first unused or empty one, at most
 * one round later; the slot is re-keyed for x: with gcmv for GCM where the
 * CPU has it (unless evp), else its EVP context (the provider context kept
 * when the cipher is the same).
 */
static struct esp_cslot *
cache_miss(struct esp_xform *x, bool evp)
{
	struct esp_cache *c = x->cache;
	struct esp_cslot *s, *tab;
	uint32_t *hand;
	int enc = x->encrypt ? 1 : 0;

	if (c == NULL)
		return NULL;
	tab = c->slot[enc];
	hand = &c->hand[enc];
	for (;;) {
		s = &tab[*hand];
		*hand = *hand + 1 == c->nslot ? 0 : *hand + 1;
		if (s->gen == 0 || !s->ref)
			break;
		s->ref = false;
	}
	c->misses++;
	if (s->gen != 0)
		c->evictions++;
	s->gen = 0;
	x->slot = NULL;
	if (x->aead && !evp && gcmv_supported()
	        ? slot_key_own(s, x) < 0
	        : slot_key_evp(s, x, c->cipher[cipher_idx(x->enc)]) < 0) {
		slot_wipe(s);
		return NULL;
	}
	s->gen = ++c->gen;
	s->ref = true;
	x->slot = s;
	x->gen = s->gen;
	return s;
}

/* The hit costs a load and a compare; the GCM default IV length (12) is RFC 4106's. */
static inline struct esp_cslot *
xslot(struct esp_xform *x)
{
	struct esp_cslot *s = x->slot;

	if (s != NULL && s->gen == x->gen) {
		s->ref = true;
		return s;
	}
	return cache_miss(x, false);
}

static inline EVP_CIPHER_CTX *
xctx(struct esp_xform *x)
{
	struct esp_cslot *s = xslot(x);

	return s != NULL ? s->ctx : NULL;
}

EVP_CIPHER_CTX *
esp_xform_ctx(struct esp_xform *x)
{
	struct esp_cslot *s = x->slot;

	if (s != NULL && s->gen == x->gen && !s->own) {
		s->ref = true;
		return s->ctx;
	}
	s = cache_miss(x, true);
	return s != NULL ? s->ctx : NULL;
}

void
esp_xform_bind(struct esp_xform *x, struct esp_cache *c)
{
	if (x->cache != c)
		esp_xform_unbind(x);
	x->cache = c;
}

void
esp_xform_unbind(struct esp_xform *x)
{
	struct esp_cslot *s = x->slot;

	if (s != NULL && s->gen == x->gen)
		slot_wipe(s);
	x->slot = NULL;
	x->gen = 0;
	x->cache = NULL;
}

size_t
esp_pad_len(const struct esp_xform *x, size_t plen)
{
	size_t r = (plen + ESP_TRL_LEN) % x->blk;

	return r == 0 ? 0 : x->blk - r;
}

size_t
esp_total_len(const struct esp_xform *x, size_t plen)
{
	return ESP_HDR_LEN + x->iv_len + plen + esp_pad_len(x, plen) + ESP_TRL_LEN + x->icv_len;
}

size_t
esp_max_payload(const struct esp_xform *x, size_t space)
{
	size_t fixed = ESP_HDR_LEN + x->iv_len + x->icv_len, body;

	if (space < fixed + x->blk)
		return 0;
	body = ((space - fixed) / x->blk) * x->blk; /* payload + pad + trailer */
	return body - ESP_TRL_LEN;
}

/* HMAC over data[0..len) and, with ESN, the high sequence bits (RFC 4303 3.3.2.1). */
static int
esp_icv(struct esp_xform *x, const uint8_t *data, size_t len, bool esn, uint64_t seq, uint8_t *icv)
{
	struct esp_hmac *h = x->hmac;
	union sha_ctx c;
	uint8_t ihash[64], full[64], hi[4];

	c = h->inner;
	sha_update(h, &c, data, len);
	if (esn) {
		wr_be32(hi, (uint32_t)(seq >> 32));
		sha_update(h, &c, hi, 4);
	}
	sha_final(h, &c, ihash);
	c = h->outer;
	sha_update(h, &c, ihash, h->dlen);
	sha_final(h, &c, full);
	memcpy(icv, full, x->icv_len);
	explicit_bzero(&c, sizeof(c));
	return 0;
}

/* RFC 4106 5: AAD is SPI || seq (32-bit) or SPI || seq_hi || seq_lo (ESN). */
static size_t
gcm_aad(uint8_t *aad, uint32_t spi, uint64_t seq, bool esn)
{
	wr_be32(aad, spi);
	if (esn) {
		wr_be32(aad + 4, (uint32_t)(seq >> 32));
		wr_be32(aad + 8, (uint32_t)seq);
		return 12;
	}
	wr_be32(aad + 4, (uint32_t)seq);
	return 8;
}

int
esp_seal_start(struct esp_xform *x, uint32_t spi, uint64_t seq, bool esn, const uint8_t *iv,
    uint8_t next_hdr, uint8_t *pkt, size_t plen, size_t cap, size_t *out_len,
    struct esp_seal_job *job)
{
	size_t pad = esp_pad_len(x, plen), i, body, total;
	uint8_t *payload = pkt + ESP_HDR_LEN + x->iv_len, *trl;
	uint8_t nonce[12], aad[12];
	int outl;

	total = ESP_HDR_LEN + x->iv_len + plen + pad + ESP_TRL_LEN + x->icv_len;
	if (total > cap)
		return -EMSGSIZE;
	/* RFC 4303 2.4: padding bytes are 1, 2, 3, ... */
	trl = payload + plen;
	for (i = 0; i < pad; i++)
		trl[i] = (uint8_t)(i + 1);
	trl[pad] = (uint8_t)pad;
	trl[pad + 1] = next_hdr;
	body = plen + pad + ESP_TRL_LEN;

	wr_be32(pkt, spi);
	wr_be32(pkt + 4, (uint32_t)seq);
	memcpy(pkt + ESP_HDR_LEN, iv, x->iv_len);

	if (x->aead) {
		size_t alen = gcm_aad(aad, spi, seq, esn);
		struct esp_cslot *s = xslot(x);
		EVP_CIPHER_CTX *cctx = s != NULL ? s->ctx : NULL;

		memcpy(nonce, x->salt, 4);
		memcpy(nonce + 4, iv, 8);
		if (s != NULL && s->own) {
			gcmv_seal(s->gk, nonce, aad, alen, payload, payload, body, payload + body);
			*out_len = total;
			return 0;
		}
		if (cctx == NULL || EVP_EncryptInit_ex(cctx, NULL, NULL, NULL, nonce) != 1 ||
		    EVP_EncryptUpdate(cctx, NULL, &outl, aad, (int)alen) != 1 ||
		    EVP_EncryptUpdate(cctx, payload, &outl, payload, (int)body) != 1 ||
		    EVP_EncryptFinal_ex(cctx, payload + body, &outl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_GET_TAG, 16, payload + body) != 1)
			return -EIO;
	} else if (x->aes != NULL && x->encrypt) {
		job->x = x;
		job->pkt = pkt;
		job->body = body;
		job->seq = seq;
		job->esn = esn;
		*out_len = total;
		return 1;
	} else {
		EVP_CIPHER_CTX *cctx = xctx(x);

		if (cctx == NULL || EVP_EncryptInit_ex(cctx, NULL, NULL, NULL, iv) != 1 ||
		    EVP_EncryptUpdate(cctx, payload, &outl, payload, (int)body) != 1 ||
		    (size_t)outl != body)
			return -EIO;
		if (x->hmac != NULL &&
		    esp_icv(x, pkt, ESP_HDR_LEN + x->iv_len + body, esn, seq, payload + body) < 0)
			return -EIO;
	}
	*out_len = total;
	return 0;
}

/*
 * One HMAC-SHA-256 computation with shamb.c: the message is the packet's
 * full 64-byte blocks (read in place), then a tail of its last bytes, the
 * ESN high bits and the SHA-256 padding (1 or 2 blocks), then the outer
 * hash's one block. The state starts as the precomputed inner state.
 */
enum ni_stage { NI_MAIN, NI_TAIL, NI_OUTER, NI_DONE };

struct ni_hmac {
	uint32_t h[8];
	const uint8_t *p; /* blocks still to compress in this stage */
	size_t n;
	enum ni_stage stage;
	size_t ntail;
	const struct esp_hmac *hm;
	uint8_t tail[128];
};

static void
ni_hmac_init(struct ni_hmac *j, const struct esp_hmac *h, const uint8_t *data, size_t len, bool esn,
    uint64_t seq)
{
	size_t r = len % 64, t, total = len + (esn ? 4 : 0);

	memcpy(j->h, h->ni_inner, sizeof(j->h));
	j->hm = h;
	j->p = data;
	j->n = len / 64;
	j->stage = NI_MAIN;
	memset(j->tail, 0, sizeof(j->tail));
	memcpy(j->tail, data + len - r, r);
	t = r;
	if (esn) {
		wr_be32(j->tail + t, (uint32_t)(seq >> 32));
		t += 4;
	}
	j->tail[t] = 0x80;
	j->ntail = (t + 1 + 8 + 63) / 64;
	/* the length counts the key block absorbed before */
	wr_be64(j->tail + j->ntail * 64 - 8, (uint64_t)(64 + total) * 8);
	if (j->n == 0) {
		j->p = j->tail;
		j->n = j->ntail;
		j->stage = NI_TAIL;
	}
}

/* The outer hash's only block: inner digest, padding, length (64 + 32) * 8. */
static void
ni_outer_block(struct ni_hmac *j)
{
	size_t i;

	memset(j->tail, 0, 64);
	for (i = 0; i < 8; i++)
		wr_be32(j->tail + 4 * i, j->h[i]);
	j->tail[32] = 0x80;
	wr_be64(j->tail + 56, (64 + 32) * 8);
	memcpy(j->h, j->hm->ni_outer, sizeof(j->h));
}

/* Marks k blocks done; at the end of a stage moves on to the next one. */
static void
ni_hmac_advance(struct ni_hmac *j, size_t k)
{
	j->p += 64 * k;
	j->n -= k;
	if (j->n > 0)
		return;
	switch (j->stage) {
	case NI_MAIN:
		j->p = j->tail;
		j->n = j->ntail;
		j->stage = NI_TAIL;
		break;
	case NI_TAIL:
		ni_outer_block(j);
		j->p = j->tail;
		j->n = 1;
		j->stage = NI_OUTER;
		break;
	default:
		j->stage = NI_DONE;
		break;
	}
}

/* The largest number of computations ni_hmac_run() keeps in step. */
#define NI_LANES 4

/*
 * HMAC-SHA-256 of js[0..n) (n <= NI_LANES) with SHA-NI: as many lanes in
 * step as have blocks left, each step as long as the shortest of them.
 */
static void
ni_hmac_run(struct ni_hmac *const *js, size_t n)
{
	for (;;) {
		struct ni_hmac *a[NI_LANES];
		uint32_t *h[NI_LANES];
		const uint8_t *p[NI_LANES];
		size_t m = 0, k = SIZE_MAX, i;

		for (i = 0; i < n; i++) {
			if (js[i]->stage == NI_DONE)
				continue;
			a[m] = js[i];
			h[m] = js[i]->h;
			p[m] = js[i]->p;
			if (js[i]->n < k)
				k = js[i]->n;
			m++;
		}
		switch (m) {
		case 0:
			return;
		case 1:
			shamb_sha256_x1(h[0], p[0], k);
			break;
		case 2:
			shamb_sha256_x2(h[0], p[0], h[1], p[1], k);
			break;
		case 3:
			shamb_sha256_x3(h, p, k);
			break;
		default:
			shamb_sha256_x4(h, p, k);
			break;
		}
		for (i = 0; i < m; i++)
			ni_hmac_advance(a[i], k);
	}
}

static void
ni_icv_out(const struct ni_hmac *j, uint8_t *icv, size_t icv_len)
{
	uint8_t full[32];
	size_t i;

	for (i = 0; i < 8; i++)
		wr_be32(full + 4 * i, j->h[i]);
	memcpy(icv, full, icv_len);
}

/* ICVs of a batch of sealed (encrypted) jobs, SHA-256 ones NI_LANES at a time. */
static void
seal_icvs(const struct esp_seal_job *jobs, size_t n)
{
	struct ni_hmac nj[NI_LANES];
	struct ni_hmac *js[NI_LANES];
	const struct esp_seal_job *pend[NI_LANES];
	size_t i, m = 0;

	for (i = 0; i < NI_LANES; i++)
		js[i] = &nj[i];
	for (i = 0; i <= n; i++) {
		const struct esp_seal_job *j = i < n ? &jobs[i] : NULL;
		size_t hlen = 0, l;

		if (j != NULL) {
			struct esp_hmac *h = j->x->hmac;

			hlen = ESP_HDR_LEN + j->x->iv_len + j->body;
			if (h == NULL)
				continue;
			if (!h->ni) {
				esp_icv(j->x, j->pkt, hlen, j->esn, j->seq, j->pkt + hlen);
				continue;
			}
			ni_hmac_init(&nj[m], h, j->pkt, hlen, j->esn, j->seq);
			pend[m++] = j;
			if (m < NI_LANES)
				continue;
		}
		ni_hmac_run(js, m);
		for (l = 0; l < m; l++) {
			hlen = ESP_HDR_LEN + pend[l]->x->iv_len + pend[l]->body;
			ni_icv_out(&nj[l], pend[l]->pkt + hlen, pend[l]->x->icv_len);
		}
		m = 0;
	}
	/* the states derive from the integrity keys */
	explicit_bzero(nj, sizeof(nj));
}

void
esp_seal_finish(const struct esp_seal_job *jobs, size_t n)
{
	struct aesmb_job aj[64];
	size_t i, k, done;

	for (done = 0; done < n; done += k) {
		k = n - done < 64 ? n - done : 64;
		for (i = 0; i < k; i++) {
			const struct esp_seal_job *j = &jobs[done + i];

			aj[i].key = j->x->aes;
			aj[i].iv = j->pkt + ESP_HDR_LEN;
			aj[i].buf = j->pkt + ESP_HDR_LEN + j->x->iv_len;
			aj[i].nblk = j->body / 16;
		}
		aesmb_cbc_encrypt(aj, k);
		seal_icvs(jobs + done, k);
	}
}

int
esp_seal(struct esp_xform *x, uint32_t spi, uint64_t seq, bool esn, const uint8_t *iv,
    uint8_t next_hdr, uint8_t *pkt, size_t plen, size_t cap, size_t *out_len)
{
	struct esp_seal_job job;
	int rc;

	rc = esp_seal_start(x, spi, seq, esn, iv, next_hdr, pkt, plen, cap, out_len, &job);
	if (rc == 1) {
		esp_seal_finish(&job, 1);
		rc = 0;
	}
	return rc;
}

bool
esp_peek(const uint8_t *pkt, size_t len, uint32_t *spi, uint32_t *seq_lo)
{
	struct rd r;

	rd_init(&r, pkt, len);
	return rd_be32(&r, spi) && rd_be32(&r, seq_lo);
}

bool
esp_icv_pairable(const struct esp_xform *x, size_t len)
{
	size_t hdr = ESP_HDR_LEN + x->iv_len;

	/* the length checks of esp_open() steps 1 and 2 */
	return !x->aead && x->hmac != NULL && x->hmac->ni && len >= hdr + x->icv_len + x->blk &&
	       (len - hdr - x->icv_len) % x->blk == 0;
}

void
esp_icv_group(struct esp_icv_req *r, size_t n)
{
	struct ni_hmac nj[NI_LANES];
	struct ni_hmac *js[NI_LANES];
	size_t i, done, k;

	for (i = 0; i < NI_LANES; i++)
		js[i] = &nj[i];
	for (done = 0; done < n; done += k) {
		k = n - done < NI_LANES ? n - done : NI_LANES;
		for (i = 0; i < k; i++) {
			const struct esp_icv_req *q = &r[done + i];

			ni_hmac_init(
			    &nj[i], q->x->hmac, q->pkt, q->len - q->x->icv_len, q->esn, q->seq);
		}
		ni_hmac_run(js, k);
		for (i = 0; i < k; i++)
			ni_icv_out(&nj[i], r[done + i].icv, r[done + i].x->icv_len);
	}
	explicit_bzero(nj, sizeof(nj));
}

void
esp_icv_pair(const struct esp_xform *xa, const uint8_t *pa, size_t lena, uint64_t seqa, bool esna,
    uint8_t *icva, const struct esp_xform *xb, const uint8_t *pb, size_t lenb, uint64_t seqb,
    bool esnb, uint8_t *icvb)
{
	struct esp_icv_req r[2] = {
		{ .x = xa, .pkt = pa, .len = lena, .seq = seqa, .esn = esna },
		{ .x = xb, .pkt = pb, .len = lenb, .seq = seqb, .esn = esnb },
	};

	esp_icv_group(r, 2);
	memcpy(icva, r[0].icv, xa->icv_len);
	memcpy(icvb, r[1].icv, xb->icv_len);
	explicit_bzero(r, sizeof(r));
}

int
esp_open(struct esp_xform *x, uint64_t seq, bool esn, uint8_t *pkt, size_t len, size_t *off,
    size_t *plen, uint8_t *next_hdr)
{
	return esp_open_icv(x, seq, esn, pkt, len, NULL, off, plen, next_hdr);
}

int
esp_open_icv(struct esp_xform *x, uint64_t seq, bool esn, uint8_t *pkt, size_t len,
    const uint8_t *pre_icv, size_t *off, size_t *plen, uint8_t *next_hdr)
{
	size_t hdr = ESP_HDR_LEN + x->iv_len, body, pad, i;
	uint8_t *payload = pkt + hdr, *icv;
	uint8_t nonce[12], aad[12], want[ESP_ICV_MAX];
	uint32_t spi;
	int outl;

	/* 1. room for header, IV, one aligned block holding the trailer, ICV */
	if (len < hdr + x->icv_len + x->blk)
		return -EBADMSG;
	body = len - hdr - x->icv_len;
	/* 2. the encrypted part is aligned (RFC 4303 2.4) */
	if (body % x->blk != 0)
		return -EBADMSG;
	spi = (uint32_t)pkt[0] << 24 | (uint32_t)pkt[1] << 16 | (uint32_t)pkt[2] << 8 | pkt[3];
	icv = payload + body;

	if (x->aead) {
		size_t alen = gcm_aad(aad, spi, seq, esn);
		struct esp_cslot *s = xslot(x);
		EVP_CIPHER_CTX *cctx = s != NULL ? s->ctx : NULL;

		memcpy(nonce, x->salt, 4);
		memcpy(nonce + 4, pkt + ESP_HDR_LEN, 8);
		if (s != NULL && s->own) {
			/* authenticated before anything is decrypted */
			if (gcmv_open(s->gk, nonce, aad, alen, payload, payload, body, icv) < 0)
				return -EACCES;
		} else if (cctx == NULL || EVP_DecryptInit_ex(cctx, NULL, NULL, NULL, nonce) != 1 ||
		           EVP_DecryptUpdate(cctx, NULL, &outl, aad, (int)alen) != 1 ||
		           EVP_DecryptUpdate(cctx, payload, &outl, payload, (int)body) != 1 ||
		           EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_SET_TAG, 16, icv) != 1)
			return -EIO;
		else if (EVP_DecryptFinal_ex(cctx, payload + body, &outl) != 1)
			return -EACCES;
	} else {
		/* 3. authenticate before decrypting (RFC 4303 3.4.4) */
		if (x->hmac != NULL) {
			if (pre_icv != NULL)
				memcpy(want, pre_icv, x->icv_len);
			else if (esp_icv(x, pkt, hdr + body, esn, seq, want) < 0)
				return -EIO;
			if (CRYPTO_memcmp(want, icv, x->icv_len) != 0)
				return -EACCES;
		}
		EVP_CIPHER_CTX *cctx;

		if (x->aes != NULL && !x->encrypt)
			aesmb_cbc_decrypt(x->aes, pkt + ESP_HDR_LEN, payload, body / 16);
		else if ((cctx = xctx(x)) == NULL ||
		         EVP_DecryptInit_ex(cctx, NULL, NULL, NULL, pkt + ESP_HDR_LEN) != 1 ||
		         EVP_DecryptUpdate(cctx, payload, &outl, payload, (int)body) != 1 ||
		         (size_t)outl != body)
			return -EIO;
	}

	/* 4. trailer: pad length fits, padding is 1, 2, 3, ... */
	pad = payload[body - 2];
	if (pad + ESP_TRL_LEN > body)
		return -EPROTO;
	for (i = 0; i < pad; i++)
		if (payload[body - ESP_TRL_LEN - pad + i] != (uint8_t)(i + 1))
			return -EPROTO;
	*next_hdr = payload[body - 1];
	*off = hdr;
	*plen = body - ESP_TRL_LEN - pad;
	return 0;
}
