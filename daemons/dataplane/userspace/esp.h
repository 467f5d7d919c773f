/* SPDX-License-Identifier: MIT */
/*
 * esp: ESP (RFC 4303) packet transforms, in place, on caller buffers. No
 * sockets, clocks or globals: the SPU workers, the unit tests (RFC 4106 /
 * draft-mcgrew-gcm-test, RFC 3602 and RFC 4868 vectors) and the fuzz
 * target all drive the same code.
 *
 * An esp_xform holds one SA's algorithm parameters and keys; it is used by
 * one thread. Its cipher context (OpenSSL's, or gcmv's key for AES-GCM on
 * CPUs with VAES) is not its own: it borrows one of the bounded set of
 * contexts of the thread's esp_cache (one per SPU; the tests and the fuzz
 * target make their own), re-keyed from the SA's key on a miss. See
 * docs/dataplane.md, "Crypto context cache".
 */
#ifndef CAIRN_DP_ESP_H
#define CAIRN_DP_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "dp.h"
#include "errbuf.h"

#define ESP_HDR_LEN 8 /* SPI + sequence number */
#define ESP_TRL_LEN 2 /* pad length + next header */
#define ESP_IV_MAX  16
#define ESP_ICV_MAX 32
#define ESP_BLK_MAX 16
/* Worst-case bytes an ESP encapsulation adds to a payload. */
#define ESP_OVERHEAD_MAX (ESP_HDR_LEN + ESP_IV_MAX + ESP_BLK_MAX - 1 + ESP_TRL_LEN + ESP_ICV_MAX)

struct esp_hmac;
struct aesmb_key;
struct esp_cache;
struct esp_cslot;

/* Cipher contexts per esp_cache and direction in the SPUs (docs/dataplane.md). */
#define ESP_CACHE_SLOTS 512

struct esp_xform {
	enum dp_enc enc;
	enum dp_integ integ;
	bool aead;
	bool encrypt;    /* direction the contexts were set up for */
	uint8_t iv_len;  /* on the wire: 8 (GCM), 16 (CBC) */
	uint8_t blk;     /* payload+trailer alignment: 4 (GCM), 16 (CBC) */
	uint8_t icv_len; /* 16 (GCM), 16/24/32 (HMAC-SHA2 truncated) */
	uint8_t salt[4]; /* GCM nonce salt (RFC 4106 4) */
	uint8_t key_len; /* AES key bytes: 16 or 32 */
	uint8_t key[32]; /* AES key (without the salt), for re-keying a cache slot */
	/* the cipher context: cache's slot, ours while slot->gen == gen */
	struct esp_cache *cache;
	struct esp_cslot *slot;
	uint64_t gen;
	struct esp_hmac *hmac; /* precomputed HMAC pad states; NULL with GCM */
	/* CBC on a CPU with AES-NI: our own key schedule (aesmb.h), for the
	 * direction of `encrypt`: encrypting, esp_seal_finish() interleaves
	 * several packets' CBC chains; decrypting, esp_open() decrypts with
	 * aesmb_cbc_decrypt(). NULL otherwise (OpenSSL's EVP does the work) */
	struct aesmb_key *aes;
};

/*
 * An encapsulation whose CBC encryption and ICV are deferred to
 * esp_seal_finish(), so that a batch of packets is encrypted together.
 */
struct esp_seal_job {
	struct esp_xform *x;
	uint8_t *pkt;
	size_t body; /* payload + padding + trailer */
	uint64_t seq;
	bool esn;
};

/*
 * Sets up x for one direction. ekey includes the 4-byte GCM salt; CBC
 * requires an integrity algorithm unless allow_null_integ (tests only).
 * -EINVAL (bad algorithm or key length, message in err), -ENOMEM, -EIO.
 */
int esp_xform_init(struct esp_xform *x, enum dp_enc enc, const uint8_t *ekey, size_t eklen,
    enum dp_integ integ, const uint8_t *ikey, size_t iklen, bool encrypt, bool allow_null_integ,
    struct errbuf *err);
/* Releases x's cache slot (its key schedule wiped), wipes and frees x's keys. */
void esp_xform_fini(struct esp_xform *x);

/*
 * The cache of cipher contexts of one thread: nslot contexts per direction,
 * allocated when first used, each holding the key schedule of the SA that
 * used it last; a clock picks the slot to re-key on a miss. Only the thread
 * that seals and opens with the bound xforms may use it (no locks).
 * -EINVAL (nslot 0), -ENOMEM, -EIO (OpenSSL has no AES-GCM/CBC).
 */
int esp_cache_new(struct esp_cache **cache, uint32_t nslot, struct errbuf *err);
void esp_cache_free(struct esp_cache *cache); /* every context wiped and freed */

struct esp_cache_stats {
	uint32_t nslot;     /* per direction */
	uint32_t keyed;     /* slots of both directions holding an SA's key */
	uint32_t contexts;  /* contexts allocated, both directions */
	uint64_t misses;    /* slot (re-)keyed for an SA */
	uint64_t evictions; /* of them, taking a slot another SA's key was in */
};
void esp_cache_get_stats(const struct esp_cache *cache, struct esp_cache_stats *st);

/*
 * Binds x to the cache whose contexts it borrows (the owner SPU's), which
 * esp_seal*() and esp_open*() need (-EIO without one); unbind releases
 * its slot, wiped: an SA moving to another SPU is unbound on the old one
 * and bound on the new one, each on its own thread.
 */
void esp_xform_bind(struct esp_xform *x, struct esp_cache *cache);
void esp_xform_unbind(struct esp_xform *x);

/*
 * x's EVP cipher context, keyed for x and initialised for its direction
 * (taking and re-keying a slot on a miss; a slot holding x's key for
 * gcmv is re-keyed for EVP, which the transforms then use for x); NULL if
 * unbound or on an OpenSSL failure. Valid until the next call for another
 * xform on the same cache. For tests that craft packets.
 */
EVP_CIPHER_CTX *esp_xform_ctx(struct esp_xform *x);

/* Padding bytes RFC 4303 2.4 needs after plen payload bytes (minimal). */
size_t esp_pad_len(const struct esp_xform *x, size_t plen);
/* ESP packet length (header through ICV) for plen payload bytes. */
size_t esp_total_len(const struct esp_xform *x, size_t plen);
/* The largest payload whose ESP packet fits in `space` bytes (0 if none). */
size_t esp_max_payload(const struct esp_xform *x, size_t space);

/*
 * Encapsulates in place. pkt[0 .. ESP_HDR_LEN + iv_len) receives the ESP
 * header and IV; the payload (plen bytes) is already at
 * pkt + ESP_HDR_LEN + iv_len; cap is the room from pkt on. The wire IV is
 * iv (iv_len bytes; GCM: must never repeat under one key; CBC:
 * unpredictable). The low 32 bits of seq go on the wire; with esn the high
 * 32 bits are authenticated too (RFC 4303 2.2.1). *out_len receives the
 * ESP packet length. -EMSGSIZE if cap is too small, -EIO on a crypto error.
 */
int esp_seal(struct esp_xform *x, uint32_t spi, uint64_t seq, bool esn, const uint8_t *iv,
    uint8_t next_hdr, uint8_t *pkt, size_t plen, size_t cap, size_t *out_len);

/*
 * esp_seal(), split: writes the ESP header, IV, padding and trailer and
 * returns 1 with *job filled when the encryption and ICV can be deferred
 * (x->aes set), after which pkt[0 .. *out_len) is complete only once
 * esp_seal_finish() has run on the job; x and pkt must stay valid until
 * then. Otherwise seals at once like esp_seal() (0 or -errno).
 */
int esp_seal_start(struct esp_xform *x, uint32_t spi, uint64_t seq, bool esn, const uint8_t *iv,
    uint8_t next_hdr, uint8_t *pkt, size_t plen, size_t cap, size_t *out_len,
    struct esp_seal_job *job);
/* Encrypts (multi-buffer CBC) and authenticates n deferred jobs. */
void esp_seal_finish(const struct esp_seal_job *jobs, size_t n);

/* Reads SPI and low sequence number from the ESP header; false if too short. */
bool esp_peek(const uint8_t *pkt, size_t len, uint32_t *spi, uint32_t *seq_lo);

/*
 * Verifies and decrypts pkt[0..len) (ESP header through ICV) in place,
 * with seq the full (inferred) sequence number. On success the payload is
 * pkt[*off .. *off + *plen) and *next_hdr its protocol.
 * -EBADMSG: malformed (too short, misaligned); -EACCES: ICV mismatch;
 * -EPROTO: bad padding or pad length; -EIO: crypto library failure.
 */
int esp_open(struct esp_xform *x, uint64_t seq, bool esn, uint8_t *pkt, size_t len, size_t *off,
    size_t *plen, uint8_t *next_hdr);

/*
 * Inbound HMAC-SHA-256 several packets at a time: esp_icv_pairable() says
 * whether a packet of len bytes can have its ICV precomputed (SHA-NI, a
 * well-formed length); esp_icv_group() computes the ICVs n such packets
 * should carry under the sequence numbers given (ESP_ICV_GROUP of them in
 * step, any n); esp_icv_pair() is the same for two packets;
 * esp_open_icv() is esp_open() with such a precomputed ICV for exactly
 * this packet and seq (NULL: computed inside).
 */
#define ESP_ICV_GROUP 4
struct esp_icv_req {
	const struct esp_xform *x;
	const uint8_t *pkt; /* the ESP packet, header through ICV */
	size_t len;
	uint64_t seq;
	bool esn;
	uint8_t icv[ESP_ICV_MAX]; /* out: the ICV it should carry (x->icv_len bytes) */
};
bool esp_icv_pairable(const struct esp_xform *x, size_t len);
void esp_icv_group(struct esp_icv_req *r, size_t n);
void esp_icv_pair(const struct esp_xform *xa, const uint8_t *pa, size_t lena, uint64_t seqa,
    bool esna, uint8_t *icva, const struct esp_xform *xb, const uint8_t *pb, size_t lenb,
    uint64_t seqb, bool esnb, uint8_t *icvb);
int esp_open_icv(struct esp_xform *x, uint64_t seq, bool esn, uint8_t *pkt, size_t len,
    const uint8_t *icv, size_t *off, size_t *plen, uint8_t *next_hdr);

#endif
