/* SPDX-License-Identifier: MIT */
/*
 * test_esp: ESP encapsulation and decapsulation (userspace/esp.c) against
 * published vectors:
 *  - AES-GCM ESP packets of draft-mcgrew-gcm-test-01 section 4 (the test
 *    cases for RFC 4106), 32-bit and extended sequence numbers;
 *  - AES-CBC ESP packets of RFC 3602 section 4 (cases 5 to 8);
 *  - HMAC-SHA-256-128 / -384-192 / -512-256 of RFC 4868 section 2.7.2;
 * plus round trips for every algorithm pair, ESN ICV coverage, padding
 * (RFC 4303 2.4) and tampering. The multi-buffer CBC encryption
 * (userspace/aesmb.c) is checked against FIPS-197 Appendix C and, byte for
 * byte, against OpenSSL's EVP for random keys, IVs, lengths and batches of
 * mixed SAs and key sizes; the SHA-NI SHA-256 (userspace/shamb.c) against
 * SHA256(); batched ESP sealing against EVP + HMAC(). Every transform
 * borrows its cipher context from one cache of a single slot per direction
 * (the SPUs' esp_cache, smallest), so the vectors and round trips go
 * through its misses and evictions; test_cache_* check the cache itself.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "aesmb.h"
#include "esp.h"
#include "gcmv.h"
#include "replay.h"
#include "shamb.h"

#include "../tools/xorshift.h"

/* the cache every test's transforms borrow their contexts from (1 slot) */
static struct esp_cache *cache;

static int
xform_init(struct esp_xform *x, enum dp_enc enc, const uint8_t *ekey, size_t eklen,
    enum dp_integ integ, const uint8_t *ikey, size_t iklen, bool encrypt, bool allow_null_integ,
    struct errbuf *err)
{
	int rc =
	    esp_xform_init(x, enc, ekey, eklen, integ, ikey, iklen, encrypt, allow_null_integ, err);

	if (rc == 0)
		esp_xform_bind(x, cache);
	return rc;
}

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*s != '\0') {
		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		assert_true(n < cap);
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

struct gcm_vec {
	const char *name;
	enum dp_enc enc;
	const char *key; /* key || salt */
	uint64_t seq;    /* full sequence number */
	bool esn;
	const char *plain;  /* payload || padding || pad length || next header */
	const char *packet; /* SPI || seq || IV || ciphertext || ICV */
};

/* draft-mcgrew-gcm-test-01, section 4 */
static const struct gcm_vec gcm_vecs[] = {
	{ "case 1: AES-128, 32-bit seq", DP_ENC_AES_GCM_128,
	    "feffe9928665731c6d6a8f9467308308 cafebabe", 0x0a, false,
	    "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100"
	    "00010000000000000373697009637962 65726369747902646b00000100010001",
	    "0000a5f80000000afacedbaddecaf888 deb22cd9b07c72c16e3a65beeb8df304"
	    "a5a5897d33ae530f1ba76d5d114d2a5c 3de81827c10e9a4f51330d0eec416642"
	    "cfbb85a5b47e48a4ec3b9ba95d918bd1 83b70d3aa8bc6ee4c309e9d85a41ad4a" },
	{ "case 2: AES-256, 32-bit seq", DP_ENC_AES_GCM_256,
	    "abbccddef00112233445566778899aab abbccddef00112233445566778899aab 11223344", 2, false,
	    "4500003069a6400080062690c0a80102 9389155e0a9e008b2dc57ee000000000"
	    "7002400020bf0000020405b401010402 01020201",
	    "4a2cbfe3000000020102030405060708 ff425c9b724599df7a3bcd510194e00d"
	    "6a78107f1b0b1cbf06efae9d65a5d763 748a637985771d347f0545659f14e99d"
	    "ef842d8eb335f4eecfdbf831824b4c49 15956c96" },
	{ "case 3: AES-128, ESN", DP_ENC_AES_GCM_128, "4c80cdefbb5d10da906ac73c3613a634 2e443b68",
	    0x8765432100000000ULL, true,
	    "45000048699a000080114db7c0a80102 c0a801010a9bf15638d3010000010000"
	    "00000000045f736970045f7564700373 69700963796265726369747902646b00"
	    "0021000101020201",
	    "00004321000000004956ed7e3b244cfe fecf537e729d5b07dc30df528dd22b76"
	    "8d1b98736696a6fd348509fa13ceac34 cfa2436f14a3f3cf65925bf1f4a13c5d"
	    "15b21e1884f5ff6247aeabb786b93bce 61bc17d768fd9732459018148f6cbe72"
	    "2fd04796562dfdb4" },
	{ "case 4: AES-128, ESN, all-zero key", DP_ENC_AES_GCM_128,
	    "00000000000000000000000000000000 00000000", 1, false,
	    "4500003c99c500008001cb7a40679318 010101010800075c0200440061626364"
	    "65666768696a6b6c6d6e6f7071727374 75767761626364656667686901020201",
	    "00000000000000010000000000000000 4688daf2f973a392732909c331d56d60"
	    "f694abaa414b5e7ff5fdcdfff5e9a284 456476492719ffb64de7d9dca1e1d894"
	    "bc3bd57873ed4d181d19d4d5c8c18af3 f821d496eeb096e98ad2b69e4799c71d" },
	{ "case 5: AES-128, ESN 1010101010101010", DP_ENC_AES_GCM_128,
	    "3de09874b388e6491988d0c3607eae1f 57690e43", 0x1010101010101010ULL, true,
	    "4500003c99c300008001cb7c40679318 010101010800085c0200430061626364"
	    "65666768696a6b6c6d6e6f7071727374 75767761626364656667686901020201",
	    "42f67e3f101010104e280000a2fca1a3 fba2caa4853cf9f0f22cb10d86dd83b0"
	    "fec75691cf1a04b00d1138ec9c357917 65acbd8701ad79845bf9fe3fba487bc9"
	    "1755e6662b4c8d0d1f5e22739530320a e0d731cc978ecafaeae88f00e80d6e48" },
	{ "case 6: AES-256, ESN", DP_ENC_AES_GCM_256,
	    "abbccddef00112233445566778899aab abbccddef00112233445566778899aab 73616c74",
	    0x156f3126dd0db99bULL, true,
	    "45080028732c00004006e9f90a010612 0a01038f06b88023dd6bafbecb712602"
	    "50101f646d540001",
	    "17405e67dd0db99b616e640169766563 f2d69ecdbd5a0d5b8d5ef38bad4da58d"
	    "1f278fde98ef67549d524a3018d9a57f f4d3a31ce673119e451626c2415771e3"
	    "b7eebca614c89b35" },
	{ "case 7: AES-128, seq ffffffff, empty payload", DP_ENC_AES_GCM_128,
	    "7d773d00c144c525ac619d18c84a3f47 d9664267", 0xffffffffULL, false, "01020201",
	    "335467aeffffffff43457e9182443bc6 437f866bcb3f699fe9b0822bac961c45 04bef270" },
	{ "case 8: AES-256, ESN ffffffffffffffff", DP_ENC_AES_GCM_256,
	    "6c6567616c697a656d6172696a75616e 61616e64646f69746265666f72656961 7475726e",
	    0xffffffffffffffffULL, true,
	    "45000030da3a00008001df3bc0a80005 c0a800010800c6cd0200070061626364"
	    "65666768696a6b6c6d6e6f7071727374 01020201",
	    "796b6963ffffffff333021696765746d f97ab2aa356d8edce17644ac8c78e25d"
	    "d24dedbb29ebf1b64a274b39b49c3a86 4cd3d78ca4ae68a32b42458fb57dbe82"
	    "1dcc63b9d0937ba2945f669368661a32 9fb4c053" },
};

/*
 * The GCM tests run on both paths: gcmv (where the CPU has it) and, as
 * fn_evp, EVP (an SA picks its path when it first takes a cache slot).
 */
#define EVP_TOO(fn)                                                                                \
	static void fn(void **state);                                                              \
	static void fn##_evp(void **state)                                                         \
	{                                                                                          \
		bool was = gcmv_use(false);                                                        \
		fn(state);                                                                         \
		gcmv_use(was);                                                                     \
	}

EVP_TOO(test_gcm_vectors)
EVP_TOO(test_cache_hit_miss_evict)
EVP_TOO(test_cache_free_invalidates)
EVP_TOO(test_cache_rebind)
EVP_TOO(test_cache_cipher_switch)

static void
test_gcm_vectors(void **state)
{
	uint8_t key[64], plain[256], pkt[512], buf[512];
	size_t kl, pl, kn, i, out, off, plen;
	struct esp_xform enc, dec;
	struct errbuf err = { .msg = "" };
	uint32_t spi;
	uint8_t nh;

	(void)state;
	for (i = 0; i < sizeof(gcm_vecs) / sizeof(gcm_vecs[0]); i++) {
		const struct gcm_vec *v = &gcm_vecs[i];

		print_message("%s\n", v->name);
		kl = unhex(v->key, key, sizeof(key));
		pl = unhex(v->plain, plain, sizeof(plain));
		kn = unhex(v->packet, pkt, sizeof(pkt));
		spi = (uint32_t)pkt[0] << 24 | (uint32_t)pkt[1] << 16 | (uint32_t)pkt[2] << 8 |
		      pkt[3];
		assert_int_equal(
		    xform_init(&enc, v->enc, key, kl, DP_INTEG_NONE, NULL, 0, true, false, &err),
		    0);
		assert_int_equal(
		    xform_init(&dec, v->enc, key, kl, DP_INTEG_NONE, NULL, 0, false, false, &err),
		    0);
		/* the vector's payload is the plaintext without its (minimal) trailer */
		size_t padlen = plain[pl - 2], payload = pl - 2 - padlen;
		uint8_t next = plain[pl - 1];
		assert_int_equal(esp_pad_len(&enc, payload), padlen);

		/* encapsulation reproduces the packet byte for byte */
		memset(buf, 0xee, sizeof(buf));
		memcpy(buf + ESP_HDR_LEN + 8, plain, payload);
		assert_int_equal(esp_seal(&enc, spi, v->seq, v->esn, pkt + 8, next, buf, payload,
		                     sizeof(buf), &out),
		    0);
		assert_int_equal(out, kn);
		assert_int_equal(esp_total_len(&enc, payload), kn);
		assert_memory_equal(buf, pkt, kn);

		/* decapsulation returns the payload and next header */
		memcpy(buf, pkt, kn);
		assert_int_equal(esp_open(&dec, v->seq, v->esn, buf, kn, &off, &plen, &nh), 0);
		assert_int_equal(plen, payload);
		assert_int_equal(nh, next);
		assert_memory_equal(buf + off, plain, payload);

		/* one flipped bit anywhere: authentication fails */
		memcpy(buf, pkt, kn);
		buf[kn / 2] ^= 0x01;
		assert_int_equal(
		    esp_open(&dec, v->seq, v->esn, buf, kn, &off, &plen, &nh), -EACCES);
		memcpy(buf, pkt, kn);
		buf[5] ^= 0x80; /* the sequence number is authenticated too */
		assert_int_equal(esp_open(&dec, v->seq ^ ((uint64_t)0x80 << 16), v->esn, buf, kn,
		                     &off, &plen, &nh),
		    -EACCES);
		/* ESN: the high half is authenticated though not sent */
		if (v->esn) {
			memcpy(buf, pkt, kn);
			assert_int_equal(
			    esp_open(&dec, v->seq + (1ULL << 32), true, buf, kn, &off, &plen, &nh),
			    -EACCES);
		}
		esp_xform_fini(&enc);
		esp_xform_fini(&dec);
	}
}

struct cbc_vec {
	const char *name;
	const char *key, *iv;
	uint32_t spi, seq;
	uint8_t next;
	const char *payload, *packet;
};

/* RFC 3602 section 4, cases 5-8 (ESP packets, encryption only) */
static const struct cbc_vec cbc_vecs[] = {
	{ "case 5", "90d382b410eeba7ad938c46cec1a82bf", "e96e8c08ab465763fd098d45dd3ff893", 0x4321,
	    1, 1,
	    "08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "202122232425262728292a2b2c2d2e2f3031323334353637",
	    "0000432100000001e96e8c08ab465763fd098d45dd3ff893f663c25d325c18c6a9453e194e120849"
	    "a4870b66cc6b9965330013b4898dc856a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c"
	    "538ab50c551b874aa269add047ad2d5913ac19b7cfbad4a6" },
	{ "case 6", "90d382b410eeba7ad938c46cec1a82bf", "69d08df7d203329db093fc4924e5bd80", 0x4321,
	    8, 1, "0800b5e8a80a0500a69c083d0b660e00777777777777777777777777",
	    "000043210000000869d08df7d203329db093fc4924e5bd80f51995881ec4e0c4488987ce742e8109"
	    "689bb379d2d750c0d915dca346a89f75" },
	{ "case 7 (tunnel mode)", "0123456789abcdef0123456789abcdef",
	    "f4e765244f6407adf13dc1380f673f37", 0x8765, 2, 4,
	    "45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d02a2040008090a0b"
	    "0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233"
	    "34353637",
	    "0000876500000002f4e765244f6407adf13dc1380f673f37773b5241a4c449225e4f3ce5ed611b0c"
	    "237ca96cf74a93013c1b0ea1a0cf70f8e4ecaec78ac53aad7a0f022b859243c647752e94a859352b"
	    "8a4d4d2decd136e5c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d" },
	{ "case 8 (tunnel mode)", "0123456789abcdef0123456789abcdef",
	    "85d47224b5f3dd5d2101d4ea8dffab22", 0x8765, 5, 4,
	    "45000044090c00004001f990c0a87b03c0a87bc80800d63caa0a0200c69c083da3de0300ffffffff"
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	    "000087650000000585d47224b5f3dd5d2101d4ea8dffab2215b92683819596a8047232cc00f7048f"
	    "e45318e11f8a0f62ede3c3fc61203bb50f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb3512e5de"
	    "435e7207ed971ef3d2726d9b5ef6affc6d17a0decbb13892" },
};

static void
test_cbc_vectors(void **state)
{
	uint8_t key[32], iv[16], payload[256], pkt[512], buf[512];
	size_t kl, pl, kn, i, out, off, plen;
	struct esp_xform enc, dec;
	struct errbuf err = { .msg = "" };
	uint8_t nh;

	(void)state;
	for (i = 0; i < sizeof(cbc_vecs) / sizeof(cbc_vecs[0]); i++) {
		const struct cbc_vec *v = &cbc_vecs[i];

		print_message("RFC 3602 %s\n", v->name);
		kl = unhex(v->key, key, sizeof(key));
		unhex(v->iv, iv, sizeof(iv));
		pl = unhex(v->payload, payload, sizeof(payload));
		kn = unhex(v->packet, pkt, sizeof(pkt));
		/* null integrity is allowed only by the test hook */
		assert_int_equal(xform_init(&enc, DP_ENC_AES_CBC_128, key, kl, DP_INTEG_NONE, NULL,
		                     0, true, false, &err),
		    -EINVAL);
		assert_int_equal(xform_init(&enc, DP_ENC_AES_CBC_128, key, kl, DP_INTEG_NONE, NULL,
		                     0, true, true, &err),
		    0);
		assert_int_equal(xform_init(&dec, DP_ENC_AES_CBC_128, key, kl, DP_INTEG_NONE, NULL,
		                     0, false, true, &err),
		    0);
		memcpy(buf + ESP_HDR_LEN + 16, payload, pl);
		assert_int_equal(
		    esp_seal(&enc, v->spi, v->seq, false, iv, v->next, buf, pl, sizeof(buf), &out),
		    0);
		assert_int_equal(out, kn);
		assert_memory_equal(buf, pkt, kn);
		memcpy(buf, pkt, kn);
		assert_int_equal(esp_open(&dec, v->seq, false, buf, kn, &off, &plen, &nh), 0);
		assert_int_equal(plen, pl);
		assert_int_equal(nh, v->next);
		assert_memory_equal(buf + off, payload, pl);
		esp_xform_fini(&enc);
		esp_xform_fini(&dec);
	}
}

/* RFC 4868 2.7.2: authentication test cases (truncated HMAC) */
static void
test_hmac_vectors(void **state)
{
	static const struct {
		enum dp_integ integ;
		size_t klen;
		const char *key, *data, *icv;
	} v[] = {
		{ DP_INTEG_HMAC_SHA256_128, 32, NULL, "4869205468657265",
		    "198a607eb44bfbc69903a0f1cf2bbdc5" },
		{ DP_INTEG_HMAC_SHA256_128, 32,
		    "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
		    "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		    "167f928588c5cc2eef8e3093caa0e87c" },
		{ DP_INTEG_HMAC_SHA384_192, 48, NULL, "4869205468657265",
		    "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973" },
		{ DP_INTEG_HMAC_SHA384_192, 48,
		    "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665"
		    "4a6566654a6566654a6566654a656665",
		    "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		    "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d" },
		{ DP_INTEG_HMAC_SHA512_256, 64, NULL, "4869205468657265",
		    "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8" },
	};
	uint8_t key[64], data[64], icv[32], ekey[16] = { 0 }, iv[16] = { 0 };
	uint8_t pkt[256];
	struct esp_xform x;
	struct errbuf err = { .msg = "" };
	size_t i, kl, dl, il, out;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].key == NULL) {
			memset(key, 0x0b, v[i].klen);
			kl = v[i].klen;
		} else {
			kl = unhex(v[i].key, key, sizeof(key));
		}
		dl = unhex(v[i].data, data, sizeof(data));
		il = unhex(v[i].icv, icv, sizeof(icv));
		/* wrong key length is refused */
		assert_int_equal(xform_init(&x, DP_ENC_AES_CBC_128, ekey, 16, v[i].integ, key,
		                     kl - 1, true, false, &err),
		    -EINVAL);
		assert_int_equal(xform_init(&x, DP_ENC_AES_CBC_128, ekey, 16, v[i].integ, key, kl,
		                     true, false, &err),
		    0);
		assert_int_equal(x.icv_len, il);
		/*
		 * The ESP ICV is HMAC over header..ciphertext. Check the
		 * truncated HMAC through a packet: compute our ICV of a sealed
		 * packet and compare with OpenSSL's one-shot HMAC truncated.
		 */
		memcpy(pkt + ESP_HDR_LEN + 16, data, dl);
		assert_int_equal(
		    esp_seal(&x, 0x1234, 7, false, iv, 4, pkt, dl, sizeof(pkt), &out), 0);
		{
			unsigned int ml = 0;
			uint8_t mac[64];
			const EVP_MD *md = v[i].integ == DP_INTEG_HMAC_SHA256_128   ? EVP_sha256()
			                   : v[i].integ == DP_INTEG_HMAC_SHA384_192 ? EVP_sha384()
			                                                            : EVP_sha512();
			HMAC(md, key, (int)kl, pkt, out - il, mac, &ml);
			assert_memory_equal(pkt + out - il, mac, il);
			/* and the RFC 4868 vector itself through the same digest */
			HMAC(md, key, (int)kl, data, dl, mac, &ml);
			assert_memory_equal(mac, icv, il);
		}
		esp_xform_fini(&x);
	}
}

/*
 * Which GCM implementation seals and which opens (an SA's is chosen when
 * it first takes a cache slot): the default (gcmv where the CPU has it),
 * or one each way, so that each opens what the other sealed.
 */
enum gcm_mix { MIX_DEFAULT, MIX_GCMV_TO_EVP, MIX_EVP_TO_GCMV };

static void roundtrip_mix(
    enum dp_enc enc, size_t eklen, enum dp_integ integ, size_t iklen, bool esn, enum gcm_mix mix);

static void
roundtrip(enum dp_enc enc, size_t eklen, enum dp_integ integ, size_t iklen, bool esn)
{
	roundtrip_mix(enc, eklen, integ, iklen, esn, MIX_DEFAULT);
}

static void
roundtrip_mix(
    enum dp_enc enc, size_t eklen, enum dp_integ integ, size_t iklen, bool esn, enum gcm_mix mix)
{
	bool was = gcmv_use(mix != MIX_EVP_TO_GCMV);

	uint8_t ek[36], ik[64], iv[16], payload[1500], buf[1700];
	struct esp_xform e, d;
	struct errbuf err = { .msg = "" };
	size_t len, out, off, plen;
	uint64_t seq = esn ? 0x100000005ULL : 5;
	uint8_t nh;

	for (size_t i = 0; i < sizeof(ek); i++)
		ek[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(ik); i++)
		ik[i] = (uint8_t)(i * 13 + 3);
	memset(iv, 0x42, sizeof(iv));
	assert_int_equal(xform_init(&e, enc, ek, eklen, integ, ik, iklen, true, false, &err), 0);
	assert_int_equal(xform_init(&d, enc, ek, eklen, integ, ik, iklen, false, false, &err), 0);
	for (len = 0; len <= 1400; len += (len < 40 ? 1 : 97)) {
		for (size_t i = 0; i < len; i++)
			payload[i] = (uint8_t)(i ^ len);
		memcpy(buf + ESP_HDR_LEN + e.iv_len, payload, len);
		assert_int_equal(
		    esp_seal(&e, 0xabcd, seq, esn, iv, 41, buf, len, sizeof(buf), &out), 0);
		if (mix != MIX_DEFAULT)
			gcmv_use(mix == MIX_EVP_TO_GCMV); /* for d's first use */
		/* RFC 4303 2.4: aligned, minimal padding of 1, 2, 3, ... */
		assert_int_equal((out - ESP_HDR_LEN - e.iv_len - e.icv_len) % e.blk, 0);
		assert_true(esp_pad_len(&e, len) < e.blk);
		assert_int_equal(out, esp_total_len(&e, len));
		assert_true(esp_max_payload(&e, out) >= len);
		if (len > 0)
			assert_true(esp_max_payload(&e, out - 1) < len);
		assert_int_equal(esp_open(&d, seq, esn, buf, out, &off, &plen, &nh), 0);
		assert_int_equal(plen, len);
		assert_int_equal(nh, 41);
		assert_memory_equal(buf + off, payload, len);
		/* truncated and misaligned packets are malformed, not auth failures */
		assert_int_equal(esp_open(&d, seq, esn, buf, 10, &off, &plen, &nh), -EBADMSG);
	}
	/* a wrong integrity key fails authentication */
	esp_xform_fini(&d);
	ik[0] ^= 1;
	ek[0] ^= (integ == DP_INTEG_NONE); /* GCM: the key is the integrity key */
	assert_int_equal(xform_init(&d, enc, ek, eklen, integ, ik, iklen, false, false, &err), 0);
	memcpy(buf + ESP_HDR_LEN + e.iv_len, payload, 100);
	assert_int_equal(esp_seal(&e, 0xabcd, seq, esn, iv, 4, buf, 100, sizeof(buf), &out), 0);
	assert_int_equal(esp_open(&d, seq, esn, buf, out, &off, &plen, &nh), -EACCES);
	esp_xform_fini(&e);
	esp_xform_fini(&d);
	gcmv_use(was);
}

static void
test_roundtrips(void **state)
{
	(void)state;
	roundtrip(DP_ENC_AES_GCM_128, 20, DP_INTEG_NONE, 0, false);
	roundtrip(DP_ENC_AES_GCM_256, 36, DP_INTEG_NONE, 0, true);
	roundtrip(DP_ENC_AES_CBC_128, 16, DP_INTEG_HMAC_SHA256_128, 32, false);
	roundtrip(DP_ENC_AES_CBC_256, 32, DP_INTEG_HMAC_SHA256_128, 32, true);
	roundtrip(DP_ENC_AES_CBC_128, 16, DP_INTEG_HMAC_SHA384_192, 48, true);
	roundtrip(DP_ENC_AES_CBC_256, 32, DP_INTEG_HMAC_SHA512_256, 64, false);
	/* GCM: each implementation opens what the other sealed */
	roundtrip_mix(DP_ENC_AES_GCM_128, 20, DP_INTEG_NONE, 0, false, MIX_GCMV_TO_EVP);
	roundtrip_mix(DP_ENC_AES_GCM_256, 36, DP_INTEG_NONE, 0, true, MIX_EVP_TO_GCMV);
	roundtrip_mix(DP_ENC_AES_GCM_128, 20, DP_INTEG_NONE, 0, true, MIX_EVP_TO_GCMV);
}

/* A packet whose trailer is bad after correct authentication. */
static void
test_bad_padding(void **state)
{
	uint8_t ek[20] = { 1 }, buf[256], iv[8] = { 0 }, nh;
	struct esp_xform e, d;
	struct errbuf err = { .msg = "" };
	size_t out, off, plen, body;
	int outl;

	(void)state;
	assert_int_equal(
	    xform_init(&e, DP_ENC_AES_GCM_128, ek, 20, DP_INTEG_NONE, NULL, 0, true, false, &err),
	    0);
	assert_int_equal(
	    xform_init(&d, DP_ENC_AES_GCM_128, ek, 20, DP_INTEG_NONE, NULL, 0, false, false, &err),
	    0);
	/* 5 payload bytes -> 1 pad byte; re-seal with a wrong pad byte */
	memset(buf + 16, 0xaa, 5);
	assert_int_equal(esp_seal(&e, 0x100, 1, false, iv, 4, buf, 5, sizeof(buf), &out), 0);
	assert_int_equal(esp_open(&d, 1, false, buf, out, &off, &plen, &nh), 0);
	/* build by hand: payload aa*5, pad byte 7 (should be 1), pad length 1 */
	{
		uint8_t nonce[12], aad[8], *p = buf + 16;
		memset(p, 0xaa, 5);
		p[5] = 7;
		p[6] = 1;
		p[7] = 4;
		body = 8;
		memcpy(nonce, e.salt, 4);
		memcpy(nonce + 4, iv, 8);
		aad[0] = 0, aad[1] = 0, aad[2] = 1, aad[3] = 0, aad[4] = 0, aad[5] = 0, aad[6] = 0,
		aad[7] = 2;
		buf[7] = 2;
		assert_int_equal(EVP_EncryptInit_ex(esp_xform_ctx(&e), NULL, NULL, NULL, nonce), 1);
		assert_int_equal(EVP_EncryptUpdate(esp_xform_ctx(&e), NULL, &outl, aad, 8), 1);
		assert_int_equal(EVP_EncryptUpdate(esp_xform_ctx(&e), p, &outl, p, (int)body), 1);
		assert_int_equal(EVP_EncryptFinal_ex(esp_xform_ctx(&e), p + body, &outl), 1);
		assert_int_equal(
		    EVP_CIPHER_CTX_ctrl(esp_xform_ctx(&e), EVP_CTRL_GCM_GET_TAG, 16, p + body), 1);
		assert_int_equal(
		    esp_open(&d, 2, false, buf, 16 + body + 16, &off, &plen, &nh), -EPROTO);
		/* pad length larger than the payload */
		memset(p, 0xaa, 5);
		p[5] = 1;
		p[6] = 200;
		p[7] = 4;
		buf[7] = 3;
		aad[7] = 3;
		assert_int_equal(EVP_EncryptInit_ex(esp_xform_ctx(&e), NULL, NULL, NULL, nonce), 1);
		assert_int_equal(EVP_EncryptUpdate(esp_xform_ctx(&e), NULL, &outl, aad, 8), 1);
		assert_int_equal(EVP_EncryptUpdate(esp_xform_ctx(&e), p, &outl, p, (int)body), 1);
		assert_int_equal(EVP_EncryptFinal_ex(esp_xform_ctx(&e), p + body, &outl), 1);
		assert_int_equal(
		    EVP_CIPHER_CTX_ctrl(esp_xform_ctx(&e), EVP_CTRL_GCM_GET_TAG, 16, p + body), 1);
		assert_int_equal(
		    esp_open(&d, 3, false, buf, 16 + body + 16, &off, &plen, &nh), -EPROTO);
	}
	esp_xform_fini(&e);
	esp_xform_fini(&d);
}

static void
test_key_checks(void **state)
{
	uint8_t k[64] = { 0 };
	struct esp_xform x;
	struct errbuf err = { .msg = "" };

	(void)state;
	errbuf_clear(&err);
	assert_int_equal(
	    xform_init(&x, DP_ENC_AES_GCM_128, k, 16, DP_INTEG_NONE, NULL, 0, true, false, &err),
	    -EINVAL);
	assert_non_null(strstr(err.msg, "salt"));
	assert_int_equal(xform_init(&x, DP_ENC_AES_GCM_128, k, 20, DP_INTEG_HMAC_SHA256_128, k, 32,
	                     true, false, NULL),
	    -EINVAL);
	assert_int_equal(xform_init(&x, DP_ENC_AES_CBC_256, k, 16, DP_INTEG_HMAC_SHA256_128, k, 32,
	                     true, false, NULL),
	    -EINVAL);
	assert_int_equal(
	    xform_init(&x, (enum dp_enc)99, k, 16, DP_INTEG_NONE, NULL, 0, true, false, NULL),
	    -EINVAL);
}

/* reproducible "random" test data */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	return xorshift64s(&rng_state);
}

static void
rng_fill(uint8_t *p, size_t n)
{
	xorshift64s_fill(&rng_state, p, n);
}

/* Reference CBC encryption (no padding) with OpenSSL's EVP. */
static void
evp_cbc(
    const uint8_t *key, size_t klen, const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;

	assert_non_null(c);
	assert_int_equal(EVP_EncryptInit_ex(
	                     c, klen == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc(), NULL, key, iv),
	    1);
	assert_int_equal(EVP_CIPHER_CTX_set_padding(c, 0), 1);
	assert_int_equal(EVP_EncryptUpdate(c, out, &n1, in, (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, out + n1, &n2), 1);
	assert_int_equal((size_t)(n1 + n2), len);
	EVP_CIPHER_CTX_free(c);
}

/* FIPS-197 Appendix C.1 and C.3: one block, zero IV (CBC = the cipher). */
static void
test_aesmb_fips197(void **state)
{
	uint8_t key[32], pt[16], ct[16], want[16], iv[16] = { 0 };
	struct aesmb_key k;
	struct aesmb_job j = { .key = &k, .iv = iv, .buf = ct, .nblk = 1 };

	(void)state;
	if (!aesmb_supported())
		skip();
	unhex("00112233445566778899aabbccddeeff", pt, sizeof(pt));
	unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key, sizeof(key));
	assert_int_equal(aesmb_key_init(&k, key, 16), 0);
	assert_int_equal(k.rounds, 10);
	memcpy(ct, pt, 16);
	aesmb_cbc_encrypt(&j, 1);
	unhex("69c4e0d86a7b0430d8cdb78070b4c55a", want, sizeof(want));
	assert_memory_equal(ct, want, 16);
	assert_int_equal(aesmb_key_init(&k, key, 32), 0);
	assert_int_equal(k.rounds, 14);
	memcpy(ct, pt, 16);
	aesmb_cbc_encrypt(&j, 1);
	unhex("8ea2b7ca516745bfeafc49904b496089", want, sizeof(want));
	assert_memory_equal(ct, want, 16);
	assert_int_equal(aesmb_key_init(&k, key, 24), -EINVAL);
	aesmb_key_wipe(&k);
	assert_int_equal(k.rounds, 0);
}

/*
 * CBC decryption in place against EVP's encryption: keys of 128 and 256
 * bits, 0..200 blocks (every remainder modulo 8 and 16), the IV in front
 * of the ciphertext (as in ESP) or elsewhere, with the VAES path (where
 * the CPU has it) and the AES-NI one; FIPS-197 C.1 / C.3 decrypt too.
 */
static void
test_aesmb_decrypt(void **state)
{
	enum { MAXB = 200 };
	static uint8_t plain[MAXB * 16], buf[16 + MAXB * 16 + 16];
	uint8_t key[32], iv[16], ct[16], want[16];
	struct aesmb_key *k;
	bool vaes;

	(void)state;
	if (!aesmb_supported())
		skip();
	k = aligned_alloc(16, sizeof(*k));
	assert_non_null(k);
	vaes = aesmb_use_vaes(true);
	unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key, sizeof(key));
	unhex("00112233445566778899aabbccddeeff", want, sizeof(want));
	memset(iv, 0, sizeof(iv));
	for (int path = 0; path < 2; path++) {
		aesmb_use_vaes(path == 0);
		assert_int_equal(aesmb_key_init(k, key, 16), 0);
		aesmb_key_to_decrypt(k);
		unhex("69c4e0d86a7b0430d8cdb78070b4c55a", ct, sizeof(ct));
		aesmb_cbc_decrypt(k, iv, ct, 1);
		assert_memory_equal(ct, want, 16);
		assert_int_equal(aesmb_key_init(k, key, 32), 0);
		aesmb_key_to_decrypt(k);
		unhex("8ea2b7ca516745bfeafc49904b496089", ct, sizeof(ct));
		aesmb_cbc_decrypt(k, iv, ct, 1);
		assert_memory_equal(ct, want, 16);
	}
	for (int trial = 0; trial < 800; trial++) {
		size_t nblk = trial <= MAXB ? (size_t)trial : rng() % (MAXB + 1);
		size_t klen = rng() & 1 ? 32 : 16;
		bool front = rng() & 1;
		uint8_t *ctp = buf + 16;

		aesmb_use_vaes(trial % 2 == 0);
		rng_fill(key, klen);
		rng_fill(iv, 16);
		rng_fill(plain, nblk * 16);
		assert_int_equal(aesmb_key_init(k, key, klen), 0);
		aesmb_key_to_decrypt(k);
		memset(buf, 0xa5, sizeof(buf));
		memcpy(buf, iv, 16);
		if (nblk > 0)
			evp_cbc(key, klen, iv, plain, nblk * 16, ctp);
		aesmb_cbc_decrypt(k, front ? buf : iv, ctp, nblk);
		assert_memory_equal(ctp, plain, nblk * 16);
		/* nothing outside the message is touched */
		assert_memory_equal(buf, iv, 16);
		for (size_t b = 16 + nblk * 16; b < sizeof(buf); b++)
			assert_int_equal(buf[b], 0xa5);
	}
	aesmb_use_vaes(vaes);
	aesmb_key_wipe(k);
	free(k);
}

/*
 * Batches of 1..40 jobs (more than the lanes, so lanes are refilled), of
 * 0..130 blocks each (more than an idle VAES lane's scratch area), with the
 * VAES 16-lane path (where the CPU has it) and the AES-NI 8-lane one, keys of 128 and 256 bits mixed in one batch, some
 * jobs sharing a key: every output equals EVP's, byte for byte.
 */
static void
test_aesmb_vs_evp(void **state)
{
	enum { NKEY = 6, MAXJ = 40, MAXB = 130 };
	static uint8_t plain[MAXJ][MAXB * 16], buf[MAXJ][MAXB * 16], want[MAXB * 16];
	uint8_t keys[NKEY][32], ivs[MAXJ][16];
	size_t klen[NKEY], kof[MAXJ];
	struct aesmb_key *ks;
	struct aesmb_job jobs[MAXJ];

	(void)state;
	if (!aesmb_supported())
		skip();
	ks = aligned_alloc(16, NKEY * sizeof(*ks));
	assert_non_null(ks);
	for (int trial = 0; trial < 600; trial++) {
		aesmb_use_vaes(trial % 2 == 0);
		size_t n = trial < MAXJ ? (size_t)trial + 1 : 1 + rng() % MAXJ;

		for (size_t i = 0; i < NKEY; i++) {
			klen[i] = rng() & 1 ? 32 : 16;
			rng_fill(keys[i], klen[i]);
			assert_int_equal(aesmb_key_init(&ks[i], keys[i], klen[i]), 0);
		}
		for (size_t i = 0; i < n; i++) {
			/* mostly full-size packets of one length, like a GSO batch */
			size_t nblk = rng() % 4 == 0 ? (size_t)(rng() % (MAXB + 1))
			                             : (size_t)(trial % 7) * 17 + 1;

			kof[i] = rng() % 3 == 0 ? rng() % NKEY : (size_t)trial % NKEY;
			rng_fill(ivs[i], 16);
			rng_fill(plain[i], nblk * 16);
			memcpy(buf[i], plain[i], nblk * 16);
			jobs[i] = (struct aesmb_job){
				.key = &ks[kof[i]], .iv = ivs[i], .buf = buf[i], .nblk = nblk
			};
		}
		aesmb_cbc_encrypt(jobs, n);
		for (size_t i = 0; i < n; i++) {
			if (jobs[i].nblk == 0)
				continue;
			evp_cbc(
			    keys[kof[i]], klen[kof[i]], ivs[i], plain[i], jobs[i].nblk * 16, want);
			assert_memory_equal(buf[i], want, jobs[i].nblk * 16);
		}
	}
	aesmb_use_vaes(true); /* back to the default: VAES where the CPU has it */
	for (size_t i = 0; i < NKEY; i++)
		aesmb_key_wipe(&ks[i]);
	free(ks);
}

/* SHA-256 padding of an l-byte message m into out; returns the block count. */
static size_t
sha256_pad(const uint8_t *m, size_t l, uint8_t *out)
{
	size_t nblk = (l + 9 + 63) / 64;

	memset(out, 0, nblk * 64);
	memcpy(out, m, l);
	out[l] = 0x80;
	for (int b = 0; b < 8; b++)
		out[nblk * 64 - 1 - b] = (uint8_t)((uint64_t)l * 8 >> (8 * b));
	return nblk;
}

/* shamb's one- to four-lane SHA-256 against OpenSSL's SHA256(), lengths
 * 0..400, with the build for 32 XMM registers (where the CPU has them)
 * and with the SSE one. */
static void
test_shamb_vs_openssl(void **state)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f,
		0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint8_t m[4][400], pad[4][480], want[32], got[32];
	uint32_t h[4][8];
	bool evex;

	(void)state;
	if (!shamb_supported())
		skip();
	evex = shamb_use_evex(true);
	for (int pass = 0; pass < 2; pass++) {
		shamb_use_evex(pass == 0);
		for (size_t l = 0; l <= 400; l++) {
			uint32_t *hp[4] = { h[0], h[1], h[2], h[3] };
			const uint8_t *pp[4] = { pad[0], pad[1], pad[2], pad[3] };
			size_t nb[4];

			for (int k = 0; k < 4; k++) {
				rng_fill(m[k], l);
				nb[k] = sha256_pad(m[k], l, pad[k]);
				assert_int_equal(nb[k], nb[0]);
				memcpy(h[k], iv, sizeof(iv));
			}
			switch (l % 4) {
			case 0:
				for (int k = 0; k < 4; k++)
					shamb_sha256_x1(h[k], pad[k], nb[k]);
				break;
			case 1:
				shamb_sha256_x2(h[0], pad[0], h[1], pad[1], nb[0]);
				shamb_sha256_x2(h[2], pad[2], h[3], pad[3], nb[0]);
				break;
			case 2:
				shamb_sha256_x3(hp, pp, nb[0]);
				shamb_sha256_x1(h[3], pad[3], nb[3]);
				break;
			default:
				shamb_sha256_x4(hp, pp, nb[0]);
				break;
			}
			for (int k = 0; k < 4; k++) {
				for (int i = 0; i < 8; i++)
					for (int b = 0; b < 4; b++)
						got[4 * i + b] = (uint8_t)(h[k][i] >> (24 - 8 * b));
				SHA256(m[k], l, want);
				assert_memory_equal(got, want, 32);
			}
		}
	}
	shamb_use_evex(evex);
}

/*
 * An inbound group as sock_rx() / in_esp_group() handle it, with ESN: all
 * sequence numbers inferred and the ICVs computed before the first packet
 * moves the window; each packet then opened in order, with its
 * precomputed ICV only if the inference still gives the same number.
 * Packet 0 moves the window into the next epoch, which makes packet 1
 * (an old packet of the previous epoch, sent before packet 0) infer a
 * different sequence number: its precomputed ICV is right for the number
 * it was sent with and must not be used (it would authenticate the packet
 * under the wrong number and move the window 2^32 ahead). Packet 3 is
 * tampered.
 */
static void
test_icv_group_esn(void **state)
{
	enum { N = 4, PLEN = 1200, CAP = PLEN + 100 };
	static const uint64_t sent[N] = { (1ULL << 32) + 100, (1ULL << 32) - 5, (1ULL << 32) + 101,
		(1ULL << 32) + 102 };
	static const int want[N] = { 0, -EACCES, 0, -EACCES };
	static uint8_t pkt[N][CAP], copy[N][CAP];
	uint8_t ek[16], ik[32], iv[16];
	struct esp_xform e, d;
	struct esp_seal_job jobs[N];
	struct esp_icv_req r[N];
	struct replay rp;
	size_t out[N], nj = 0;
	struct errbuf err = { .msg = "" };

	(void)state;
	rng_fill(ek, sizeof(ek));
	rng_fill(ik, sizeof(ik));
	assert_int_equal(xform_init(&e, DP_ENC_AES_CBC_128, ek, 16, DP_INTEG_HMAC_SHA256_128, ik,
	                     32, true, false, &err),
	    0);
	assert_int_equal(xform_init(&d, DP_ENC_AES_CBC_128, ek, 16, DP_INTEG_HMAC_SHA256_128, ik,
	                     32, false, false, &err),
	    0);
	for (size_t i = 0; i < N; i++) {
		int rc;

		rng_fill(iv, sizeof(iv));
		rng_fill(pkt[i] + ESP_HDR_LEN + 16, PLEN);
		rc = esp_seal_start(
		    &e, 0x4242, sent[i], true, iv, 4, pkt[i], PLEN, CAP, &out[i], &jobs[nj]);
		assert_true(rc == 0 || rc == 1);
		nj += (size_t)rc;
	}
	esp_seal_finish(jobs, nj);
	pkt[3][ESP_HDR_LEN + 40] ^= 0x80;
	memcpy(copy, pkt, sizeof(copy));
	if (!esp_icv_pairable(&d, out[0])) {
		esp_xform_fini(&e);
		esp_xform_fini(&d);
		skip();
	}
	assert_int_equal(replay_init(&rp, 64), 0);
	replay_update(&rp, (1ULL << 32) - 10);
	for (size_t i = 0; i < N; i++)
		r[i] = (struct esp_icv_req){ .x = &d,
			.pkt = pkt[i],
			.len = out[i],
			.seq = replay_infer(&rp, (uint32_t)sent[i], true),
			.esn = true };
	for (size_t i = 0; i < N; i++)
		assert_int_equal(r[i].seq, sent[i]); /* before the window moves */
	esp_icv_group(r, N);
	for (size_t i = 0; i < N; i++) {
		uint64_t seq = replay_infer(&rp, (uint32_t)sent[i], true);
		size_t off, pl, off2, pl2;
		uint8_t nh, nh2;
		int rc, rc2;

		/* the precomputed ICVs are the ones sent (bar the tampered packet) */
		assert_true((memcmp(r[i].icv, pkt[i] + out[i] - 16, 16) == 0) == (i != 3));
		assert_true(replay_check(&rp, seq));
		assert_true((seq == r[i].seq) == (i != 1));
		rc = esp_open_icv(&d, seq, true, pkt[i], out[i], seq == r[i].seq ? r[i].icv : NULL,
		    &off, &pl, &nh);
		rc2 = esp_open(&d, seq, true, copy[i], out[i], &off2, &pl2, &nh2);
		assert_int_equal(rc, want[i]);
		assert_int_equal(rc, rc2);
		if (rc == 0) {
			assert_int_equal(pl, PLEN);
			replay_update(&rp, seq);
		}
	}
	replay_fini(&rp);
	esp_xform_fini(&e);
	esp_xform_fini(&d);
}

/*
 * Batched sealing (esp_seal_start() + esp_seal_finish()) of up to 150
 * packets (more than one internal chunk of 64) over SAs of every CBC
 * algorithm pair, random lengths, IVs and sequence numbers, with and
 * without ESN: every packet equals an independent EVP CBC + HMAC()
 * encapsulation and opens with esp_open().
 */
static void
test_seal_batch(void **state)
{
	enum { NSA = 6, MAXP = 150, PLEN = 1500, CAP = PLEN + 100 };
	static const struct {
		enum dp_enc enc;
		size_t eklen;
		enum dp_integ integ;
		size_t iklen;
		const char *md;
		size_t icv;
	} algs[NSA] = {
		{ DP_ENC_AES_CBC_128, 16, DP_INTEG_HMAC_SHA256_128, 32, "SHA256", 16 },
		{ DP_ENC_AES_CBC_256, 32, DP_INTEG_HMAC_SHA256_128, 32, "SHA256", 16 },
		{ DP_ENC_AES_CBC_128, 16, DP_INTEG_HMAC_SHA384_192, 48, "SHA384", 24 },
		{ DP_ENC_AES_CBC_256, 32, DP_INTEG_HMAC_SHA384_192, 48, "SHA384", 24 },
		{ DP_ENC_AES_CBC_128, 16, DP_INTEG_HMAC_SHA512_256, 64, "SHA512", 32 },
		{ DP_ENC_AES_CBC_256, 32, DP_INTEG_HMAC_SHA512_256, 64, "SHA512", 32 },
	};
	static uint8_t pkt[MAXP][CAP], payload[MAXP][PLEN], ref[CAP];
	uint8_t ek[NSA][32], ik[NSA][64], iv[MAXP][16];
	struct esp_xform enc[NSA], dec[NSA];
	struct esp_seal_job jobs[MAXP];
	size_t sa[MAXP], plen[MAXP], out[MAXP];
	uint64_t seq[MAXP];
	bool esn[MAXP];
	struct errbuf err = { .msg = "" };

	(void)state;
	for (int trial = 0; trial < 40; trial++) {
		size_t n = trial < 10 ? (size_t)trial + 1 : 1 + rng() % MAXP, nj = 0;

		for (size_t a = 0; a < NSA; a++) {
			rng_fill(ek[a], algs[a].eklen);
			rng_fill(ik[a], algs[a].iklen);
			assert_int_equal(
			    xform_init(&enc[a], algs[a].enc, ek[a], algs[a].eklen, algs[a].integ,
			        ik[a], algs[a].iklen, true, false, &err),
			    0);
			assert_int_equal(
			    xform_init(&dec[a], algs[a].enc, ek[a], algs[a].eklen, algs[a].integ,
			        ik[a], algs[a].iklen, false, false, &err),
			    0);
			assert_int_equal(enc[a].aes != NULL, aesmb_supported());
			assert_int_equal(dec[a].aes != NULL, aesmb_supported());
		}
		for (size_t i = 0; i < n; i++) {
			int rc;

			sa[i] = rng() % 2 ? (size_t)trial % NSA : rng() % NSA;
			plen[i] = rng() % 3 ? 1400 : rng() % (PLEN - 31);
			seq[i] = rng() % 2 ? rng() : (uint32_t)rng();
			esn[i] = rng() % 2;
			rng_fill(iv[i], 16);
			rng_fill(payload[i], plen[i]);
			memcpy(pkt[i] + ESP_HDR_LEN + 16, payload[i], plen[i]);
			rc = esp_seal_start(&enc[sa[i]], 0x1000 + (uint32_t)i, seq[i], esn[i],
			    iv[i], 4, pkt[i], plen[i], CAP, &out[i], &jobs[nj]);
			assert_true(rc == 0 || rc == 1);
			assert_int_equal(rc == 1, aesmb_supported());
			nj += (size_t)rc;
		}
		esp_seal_finish(jobs, nj);
		/* inbound pairs: the precomputed ICVs are the ones sent */
		for (size_t i = 0; i + 1 < n; i += 2) {
			uint8_t icv[2][ESP_ICV_MAX], bad[ESP_ICV_MAX];
			const struct esp_xform *da = &dec[sa[i]], *db = &dec[sa[i + 1]];
			size_t off, pl;
			uint8_t nh;

			assert_int_equal(esp_icv_pairable(da, out[i]),
			    shamb_supported() && algs[sa[i]].integ == DP_INTEG_HMAC_SHA256_128);
			if (!esp_icv_pairable(da, out[i]) || !esp_icv_pairable(db, out[i + 1]))
				continue;
			assert_false(esp_icv_pairable(da, out[i] - 1));
			esp_icv_pair(da, pkt[i], out[i], seq[i], esn[i], icv[0], db, pkt[i + 1],
			    out[i + 1], seq[i + 1], esn[i + 1], icv[1]);
			assert_memory_equal(icv[0], pkt[i] + out[i] - 16, 16);
			assert_memory_equal(icv[1], pkt[i + 1] + out[i + 1] - 16, 16);
			/* a wrong precomputed ICV is an authentication failure */
			memcpy(bad, icv[0], sizeof(bad));
			bad[3] ^= 0x10;
			assert_int_equal(esp_open_icv(&dec[sa[i]], seq[i], esn[i], pkt[i], out[i],
			                     bad, &off, &pl, &nh),
			    -EACCES);
		}
		/* inbound groups of 1..7 pairable packets (mixed SAs, key sizes,
		 * lengths, ESN): the ICVs sent; one packet of each group of three
		 * or more tampered in the middle: only its ICV differs */
		for (size_t i = 0; i < n;) {
			struct esp_icv_req r[7];
			size_t at[7], m = 0, want = 1 + rng() % 7, t,
			              tb = ESP_HDR_LEN + 16 + rng() % 16;

			for (; i < n && m < want; i++) {
				if (!esp_icv_pairable(&dec[sa[i]], out[i]))
					continue;
				r[m] = (struct esp_icv_req){ .x = &dec[sa[i]],
					.pkt = pkt[i],
					.len = out[i],
					.seq = seq[i],
					.esn = esn[i] };
				at[m++] = i;
			}
			if (m == 0)
				continue;
			t = m >= 3 ? 1 + rng() % (m - 2) : m;
			if (t < m)
				pkt[at[t]][tb] ^= 0x01;
			esp_icv_group(r, m);
			for (size_t g = 0; g < m; g++) {
				bool same = memcmp(r[g].icv, pkt[at[g]] + out[at[g]] - 16, 16) == 0;

				assert_true(g == t ? !same : same);
			}
			if (t < m) {
				size_t off, pl;
				uint8_t nh;

				assert_int_equal(
				    esp_open_icv(&dec[sa[at[t]]], seq[at[t]], esn[at[t]],
				        pkt[at[t]], out[at[t]], r[t].icv, &off, &pl, &nh),
				    -EACCES);
				assert_int_equal(esp_open(&dec[sa[at[t]]], seq[at[t]], esn[at[t]],
				                     pkt[at[t]], out[at[t]], &off, &pl, &nh),
				    -EACCES);
				/* undone, the packet's ICV is right again */
				pkt[at[t]][tb] ^= 0x01;
				esp_icv_group(&r[t], 1);
				assert_memory_equal(r[t].icv, pkt[at[t]] + out[at[t]] - 16, 16);
			}
		}
		for (size_t i = 0; i < n; i++) {
			const struct esp_xform *x = &enc[sa[i]];
			size_t pad = esp_pad_len(x, plen[i]), body = plen[i] + pad + 2, hl;
			unsigned mlen = 0;
			uint8_t mac[64], hi[4], full[CAP + 4], nh;
			size_t off, pl;

			/* reference: header, IV, EVP CBC of payload||padding||trailer, HMAC */
			ref[0] = 0;
			ref[1] = 0;
			ref[2] = (uint8_t)((0x1000 + i) >> 8);
			ref[3] = (uint8_t)(0x1000 + i);
			for (int b = 0; b < 4; b++)
				ref[4 + b] = (uint8_t)(seq[i] >> (24 - 8 * b));
			memcpy(ref + 8, iv[i], 16);
			memcpy(full, payload[i], plen[i]);
			for (size_t p = 0; p < pad; p++)
				full[plen[i] + p] = (uint8_t)(p + 1);
			full[plen[i] + pad] = (uint8_t)pad;
			full[plen[i] + pad + 1] = 4;
			evp_cbc(ek[sa[i]], algs[sa[i]].eklen, iv[i], full, body, ref + 24);
			hl = 24 + body;
			memcpy(full, ref, hl);
			for (int b = 0; b < 4; b++)
				hi[b] = (uint8_t)(seq[i] >> (56 - 8 * b));
			memcpy(full + hl, hi, 4);
			assert_non_null(HMAC(EVP_get_digestbyname(algs[sa[i]].md), ik[sa[i]],
			    (int)algs[sa[i]].iklen, full, hl + (esn[i] ? 4 : 0), mac, &mlen));
			memcpy(ref + hl, mac, algs[sa[i]].icv);
			assert_int_equal(out[i], hl + algs[sa[i]].icv);
			assert_memory_equal(pkt[i], ref, out[i]);
			assert_int_equal(
			    esp_open(&dec[sa[i]], seq[i], esn[i], pkt[i], out[i], &off, &pl, &nh),
			    0);
			assert_int_equal(pl, plen[i]);
			assert_memory_equal(pkt[i] + off, payload[i], pl);
		}
		for (size_t a = 0; a < NSA; a++) {
			esp_xform_fini(&enc[a]);
			esp_xform_fini(&dec[a]);
		}
	}
}

/* ---- the cipher context cache ---- */

static void
cache_new(struct esp_cache **c, uint32_t nslot)
{
	struct errbuf err = { .msg = "" };

	assert_int_equal(esp_cache_new(c, nslot, &err), 0);
}

static void
sa_new(struct esp_xform *x, struct esp_cache *c, enum dp_enc enc, uint8_t seed, bool encrypt)
{
	uint8_t ek[36], ik[32];
	size_t eklen = enc == DP_ENC_AES_GCM_128   ? 20
	               : enc == DP_ENC_AES_GCM_256 ? 36
	               : enc == DP_ENC_AES_CBC_128 ? 16
	                                           : 32;
	bool cbc = enc == DP_ENC_AES_CBC_128 || enc == DP_ENC_AES_CBC_256;
	struct errbuf err = { .msg = "" };

	for (size_t i = 0; i < sizeof(ek); i++)
		ek[i] = (uint8_t)(seed * 31 + i);
	for (size_t i = 0; i < sizeof(ik); i++)
		ik[i] = (uint8_t)(seed * 17 + i);
	assert_int_equal(
	    esp_xform_init(x, enc, ek, eklen, cbc ? DP_INTEG_HMAC_SHA256_128 : DP_INTEG_NONE, ik,
	        cbc ? 32 : 0, encrypt, false, &err),
	    0);
	if (c != NULL)
		esp_xform_bind(x, c);
}

/* Seals a fixed 300-byte payload (fixed IV and sequence number) into buf. */
static size_t
seal_fixed(struct esp_xform *x, uint8_t *buf, size_t cap)
{
	uint8_t iv[16] = { 9, 8, 7 };
	size_t out = 0;

	for (size_t i = 0; i < 300; i++)
		buf[ESP_HDR_LEN + x->iv_len + i] = (uint8_t)(i * 3);
	assert_int_equal(esp_seal(x, 0x5151, 42, false, iv, 4, buf, 300, cap, &out), 0);
	return out;
}

static void
stats(struct esp_cache *c, uint64_t misses, uint64_t evictions, uint32_t keyed)
{
	struct esp_cache_stats st;

	esp_cache_get_stats(c, &st);
	assert_int_equal(st.misses, misses);
	assert_int_equal(st.evictions, evictions);
	assert_int_equal(st.keyed, keyed);
}

/* Hits keep the slot; a second SA on one slot evicts the first, which re-keys. */
static void
test_cache_hit_miss_evict(void **state)
{
	struct esp_cache *c, *rc;
	struct esp_xform a, b, ra, rb;
	uint8_t pa[512], pb[512], ref[512];
	EVP_CIPHER_CTX *ctx;
	size_t na, nb;

	(void)state;
	cache_new(&c, 1);
	cache_new(&rc, 2);
	sa_new(&a, c, DP_ENC_AES_GCM_128, 1, true);
	sa_new(&b, c, DP_ENC_AES_GCM_128, 2, true);
	sa_new(&ra, rc, DP_ENC_AES_GCM_128, 1, true);
	sa_new(&rb, rc, DP_ENC_AES_GCM_128, 2, true);
	stats(c, 0, 0, 0); /* nothing keyed before the first packet */

	na = seal_fixed(&a, pa, sizeof(pa));
	stats(c, 1, 0, 1);
	/* EVP: the context stays; gcmv: esp_xform_ctx() would re-key for EVP */
	ctx = gcmv_supported() ? NULL : esp_xform_ctx(&a);
	assert_true(gcmv_supported() || ctx != NULL);
	assert_int_equal(seal_fixed(&a, pa, sizeof(pa)), na); /* a hit */
	if (ctx != NULL)
		assert_ptr_equal(esp_xform_ctx(&a), ctx);
	stats(c, 1, 0, 1);

	/* b takes the only slot: a's key schedule is overwritten */
	nb = seal_fixed(&b, pb, sizeof(pb));
	stats(c, 2, 1, 1);
	assert_int_equal(seal_fixed(&rb, ref, sizeof(ref)), nb);
	assert_memory_equal(pb, ref, nb);
	/* a misses and re-keys: its own key, never b's */
	assert_int_equal(seal_fixed(&a, pa, sizeof(pa)), na);
	stats(c, 3, 2, 1);
	assert_int_equal(seal_fixed(&ra, ref, sizeof(ref)), na);
	assert_memory_equal(pa, ref, na);
	assert_memory_not_equal(pa, pb, na);

	/* two slots hold both: alternating costs no miss once keyed */
	esp_xform_fini(&a);
	esp_xform_fini(&b);
	esp_cache_free(c);
	cache_new(&c, 2);
	sa_new(&a, c, DP_ENC_AES_GCM_128, 1, true);
	sa_new(&b, c, DP_ENC_AES_GCM_128, 2, true);
	for (int i = 0; i < 10; i++) {
		seal_fixed(&a, pa, sizeof(pa));
		seal_fixed(&b, pb, sizeof(pb));
	}
	stats(c, 2, 0, 2);
	assert_memory_equal(pa, ref, na);
	esp_xform_fini(&a);
	esp_xform_fini(&b);
	esp_xform_fini(&ra);
	esp_xform_fini(&rb);
	esp_cache_free(c);
	esp_cache_free(rc);
}

/*
 * Freeing an SA wipes its slot (the provider context, with the key
 * schedule, is freed) and its key copy; a new SA at the same address
 * misses; freeing an SA whose slot was taken leaves the new owner alone.
 */
static void
test_cache_free_invalidates(void **state)
{
	struct esp_cache *c, *rc;
	struct esp_xform a, b, rb;
	uint8_t p[512], ref[512], zero[32] = { 0 };
	EVP_CIPHER_CTX *ctx;
	size_t n;

	(void)state;
	cache_new(&c, 2);
	cache_new(&rc, 1);
	sa_new(&a, c, DP_ENC_AES_GCM_256, 1, true);
	seal_fixed(&a, p, sizeof(p));
	stats(c, 1, 0, 1);
	ctx = gcmv_supported() ? NULL : esp_xform_ctx(&a);
	if (ctx != NULL)
		assert_non_null(EVP_CIPHER_CTX_get0_cipher(ctx));
	esp_xform_fini(&a);
	stats(c, 1, 0, 0);
	if (ctx != NULL)
		assert_null(EVP_CIPHER_CTX_get0_cipher(ctx)); /* reset: provider context freed */
	assert_memory_equal(a.key, zero, sizeof(a.key));
	assert_memory_equal(a.salt, zero, sizeof(a.salt));
	assert_null(a.cache);
	assert_null(a.slot);

	/* the same struct, another key: a miss, never the old schedule */
	sa_new(&a, c, DP_ENC_AES_GCM_256, 2, true);
	sa_new(&rb, rc, DP_ENC_AES_GCM_256, 2, true);
	n = seal_fixed(&a, p, sizeof(p));
	stats(c, 2, 0, 1);
	assert_int_equal(seal_fixed(&rb, ref, sizeof(ref)), n);
	assert_memory_equal(p, ref, n);
	esp_xform_fini(&a);
	esp_cache_free(c);

	/* one slot: b evicts a; freeing a must not wipe b's slot */
	cache_new(&c, 1);
	sa_new(&a, c, DP_ENC_AES_GCM_256, 1, true);
	sa_new(&b, c, DP_ENC_AES_GCM_256, 2, true);
	seal_fixed(&a, p, sizeof(p));
	seal_fixed(&b, p, sizeof(p));
	stats(c, 2, 1, 1);
	esp_xform_fini(&a);
	stats(c, 2, 1, 1);
	assert_int_equal(seal_fixed(&b, p, sizeof(p)), n);
	stats(c, 2, 1, 1); /* still a hit */
	assert_memory_equal(p, ref, n);
	esp_xform_fini(&b);
	stats(c, 2, 1, 0);
	esp_xform_fini(&rb);
	esp_cache_free(c);
	esp_cache_free(rc);
}

/* An SA moving to another SPU: unbound (slot wiped) on one cache, bound on the other. */
static void
test_cache_rebind(void **state)
{
	struct esp_cache *c1, *c2;
	struct esp_xform a, d;
	uint8_t p[512], iv[8] = { 0 }, nh;
	size_t n, off, plen;

	(void)state;
	cache_new(&c1, 4);
	cache_new(&c2, 4);
	sa_new(&a, c1, DP_ENC_AES_GCM_128, 5, true);
	sa_new(&d, c1, DP_ENC_AES_GCM_128, 5, false);
	n = seal_fixed(&a, p, sizeof(p));
	assert_int_equal(esp_open(&d, 42, false, p, n, &off, &plen, &nh), 0);
	stats(c1, 2, 0, 2);
	esp_xform_unbind(&a);
	stats(c1, 2, 0, 1);
	assert_null(esp_xform_ctx(&a));
	assert_int_equal(esp_seal(&a, 1, 1, false, iv, 4, p, 0, sizeof(p), &n), -EIO);
	esp_xform_bind(&a, c2);
	esp_xform_bind(&d, c2); /* a bind elsewhere releases the old slot too */
	stats(c1, 2, 0, 0);
	n = seal_fixed(&a, p, sizeof(p));
	assert_int_equal(esp_open(&d, 42, false, p, n, &off, &plen, &nh), 0);
	assert_int_equal(plen, 300);
	stats(c2, 2, 0, 2);
	esp_xform_fini(&a);
	esp_xform_fini(&d);
	stats(c2, 2, 0, 0);
	esp_cache_free(c1);
	esp_cache_free(c2);
	assert_int_equal(esp_cache_new(&c1, 0, NULL), -EINVAL);
	assert_null(c1);
}

/*
 * One slot per direction shared by GCM and CBC SAs: every packet changes
 * the slot's algorithm (CBC through EVP, as on CPUs without AES-NI: forced
 * here by dropping the SAs' own AES-NI key schedules).
 */
static void
test_cache_cipher_switch(void **state)
{
	struct esp_cache *c, *rc;
	struct esp_xform e[3], d[3], r[3];
	static const enum dp_enc algs[3] = { DP_ENC_AES_GCM_256, DP_ENC_AES_CBC_128,
		DP_ENC_AES_CBC_256 };
	uint8_t p[512], ref[512], nh;
	size_t n, off, plen;

	(void)state;
	cache_new(&c, 1);
	cache_new(&rc, 3);
	for (int k = 0; k < 3; k++) {
		sa_new(&e[k], c, algs[k], (uint8_t)(10 + k), true);
		sa_new(&d[k], c, algs[k], (uint8_t)(10 + k), false);
		sa_new(&r[k], rc, algs[k], (uint8_t)(10 + k), true);
		/* the EVP paths: CBC without AES-NI (either direction) */
		if (e[k].aes != NULL) {
			aesmb_key_wipe(e[k].aes);
			free(e[k].aes);
			e[k].aes = NULL;
		}
		if (d[k].aes != NULL) {
			aesmb_key_wipe(d[k].aes);
			free(d[k].aes);
			d[k].aes = NULL;
		}
	}
	for (int round = 0; round < 6; round++) {
		for (int k = 0; k < 3; k++) {
			n = seal_fixed(&e[k], p, sizeof(p));
			assert_int_equal(seal_fixed(&r[k], ref, sizeof(ref)), n);
			assert_memory_equal(p, ref, n);
			assert_int_equal(esp_open(&d[k], 42, false, p, n, &off, &plen, &nh), 0);
			assert_int_equal(plen, 300);
			for (size_t i = 0; i < 300; i++)
				assert_int_equal(p[off + i], (uint8_t)(i * 3));
		}
	}
	stats(c, 36, 34, 2);
	for (int k = 0; k < 3; k++) {
		esp_xform_fini(&e[k]);
		esp_xform_fini(&d[k]);
		esp_xform_fini(&r[k]);
	}
	esp_cache_free(c);
	esp_cache_free(rc);
}

static int
group_setup(void **state)
{
	(void)state;
	return esp_cache_new(&cache, 1, NULL);
}

static int
group_teardown(void **state)
{
	(void)state;
	esp_cache_free(cache);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcm_vectors),
		cmocka_unit_test(test_gcm_vectors_evp),
		cmocka_unit_test(test_cbc_vectors),
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_bad_padding),
		cmocka_unit_test(test_key_checks),
		cmocka_unit_test(test_aesmb_fips197),
		cmocka_unit_test(test_aesmb_vs_evp),
		cmocka_unit_test(test_aesmb_decrypt),
		cmocka_unit_test(test_shamb_vs_openssl),
		cmocka_unit_test(test_seal_batch),
		cmocka_unit_test(test_cache_hit_miss_evict),
		cmocka_unit_test(test_cache_hit_miss_evict_evp),
		cmocka_unit_test(test_cache_free_invalidates),
		cmocka_unit_test(test_cache_free_invalidates_evp),
		cmocka_unit_test(test_cache_rebind),
		cmocka_unit_test(test_cache_rebind_evp),
		cmocka_unit_test(test_cache_cipher_switch),
		cmocka_unit_test(test_cache_cipher_switch_evp),
		cmocka_unit_test(test_icv_group_esn),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
