/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ike_crypto against published vectors: RFC 4231 (HMAC-SHA2),
 * the NIST CAVS IKEv2 KDF sample (SHA-256: SKEYSEED, prf+, rekey SKEYSEED),
 * RFC 5903 (ECDH groups 19, 20, 21), RFC 7748 (X25519), the GCM
 * specification's test cases 4 and 16 (AES-GCM-128/256 with AAD), NIST SP
 * 800-38A F.2 (AES-CBC), plus SK payload and PSK AUTH round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ike_crypto.h"
#include "ike_msg.h"
#include "ike_wire.h"

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] && s[1]) {
		unsigned v;

		if (s[0] == ' ') {
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

static void
assert_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[1024];
	size_t n = unhex(want, w, sizeof(w));

	assert_int_equal(len, n);
	assert_memory_equal(got, w, n);
}

static struct ike_crypto *c;

static int
setup(void **state)
{
	(void)state;
	c = ike_crypto_new();
	return c ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	ike_crypto_free(c);
	return 0;
}

/* RFC 4231 test cases 1 and 2. */
static void
test_hmac_rfc4231(void **state)
{
	uint8_t key[20], out[64];
	struct ike_iov v1 = { "Hi There", 8 }, v2 = { "what do ya want for nothing?", 28 };

	(void)state;
	memset(key, 0x0b, sizeof(key));
	assert_int_equal(ike_hmac(c, 256, key, 20, &v1, 1, out, 32), 0);
	assert_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(ike_hmac(c, 384, key, 20, &v1, 1, out, 48), 0);
	assert_hex(out, 48,
	    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	    "faea9ea9076ede7f4af152e8b2fa9cb6");
	assert_int_equal(ike_hmac(c, 512, key, 20, &v1, 1, out, 64), 0);
	assert_hex(out, 64,
	    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	    "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
	assert_int_equal(
	    ike_prf(c, IKE_PRF_HMAC_SHA2_256, (const uint8_t *)"Jefe", 4, &v2, 1, out), 0);
	assert_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_int_equal(
	    ike_prf(c, IKE_PRF_HMAC_SHA2_384, (const uint8_t *)"Jefe", 4, &v2, 1, out), 0);
	assert_hex(out, 48,
	    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
	    "8e2240ca5e69e2c78b3239ecfab21649");
	assert_int_equal(
	    ike_prf(c, IKE_PRF_HMAC_SHA2_512, (const uint8_t *)"Jefe", 4, &v2, 1, out), 0);
	assert_hex(out, 64,
	    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
	/* HMAC-SHA-256-128 truncation (RFC 4868): the first 16 bytes. */
	assert_int_equal(ike_hmac(c, 256, key, 20, &v1, 1, out, 16), 0);
	assert_hex(out, 16, "b0344c61d8db38535ca8afceaf0bf12b");
}

/* NIST CAVS IKEv2 KDF sample, SHA-256 (SP 800-135 "ikev2" test). */
#define KDF_NI   "3f302be1abcb28e1"
#define KDF_NR   "8c332ee006064c9b"
#define KDF_SPII "40dac39e1e1a8640"
#define KDF_SPIR "8619a1cf9a6e4c07"
#define KDF_GIR  "0f4d257d7a58fc4545c7d7a88119eee5d5c9690c5b4c989171d3abbfd99d1d29"
#define KDF_SEED "5f00d1bd2c58ec224b1e6b71fa0f19a1faa7a193952c444411b47c1a9d8ba6fe"
#define KDF_DKM                                                                                    \
	"0b137d669b0947d7d026d593f0305ad401ff0c471357d695778a9c7f4b4869ec"                         \
	"e98aca531188d16041b3bb936d2dbb3b4993a6e768a809160de45d0283f273a6"                         \
	"cdf6854379e31be72b8d3d1fa990cf9c5b015ca9f918a7df6253c958114a09d4"                         \
	"e1c19bdcd4db14b29d98db1a74ad405c588662c14a04d0d36aa4ab55e90f8986"                         \
	"d12d4aad"

static void
test_kdf_cavs(void **state)
{
	uint8_t ni[8], nr[8], gir[32], seed[32], spis[16], dkm[132], girnew[32], out[32];
	struct ike_iov v[3];
	struct ike_suite s = { IKE_ENCR_AES_CBC, 128, IKE_PRF_HMAC_SHA2_256,
		IKE_INTEG_HMAC_SHA2_256_128, IKE_DH_ECP256, 0 };
	struct ike_sa_keys k;

	(void)state;
	memset(&k, 0, sizeof(k));
	unhex(KDF_NI, ni, 8);
	unhex(KDF_NR, nr, 8);
	unhex(KDF_GIR, gir, 32);
	unhex(KDF_SPII KDF_SPIR, spis, 16);
	/* SKEYSEED = prf(Ni | Nr, g^ir) */
	assert_int_equal(ike_skeyseed(c, IKE_PRF_HMAC_SHA2_256, ni, 8, nr, 8, gir, 32, seed), 0);
	assert_hex(seed, 32, KDF_SEED);
	/* prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), 132 bytes */
	v[0] = (struct ike_iov){ ni, 8 };
	v[1] = (struct ike_iov){ nr, 8 };
	v[2] = (struct ike_iov){ spis, 16 };
	assert_int_equal(ike_prfplus(c, IKE_PRF_HMAC_SHA2_256, seed, 32, v, 3, dkm, 132), 0);
	assert_hex(dkm, 132, KDF_DKM);
	/* The seven keys are cut from the same stream in RFC 7296 2.14 order. */
	assert_int_equal(ike_keys_derive(c, &s, seed, ni, 8, nr, 8, 0x40dac39e1e1a8640ull,
	                     0x8619a1cf9a6e4c07ull, &k),
	    0);
	assert_int_equal(k.prf_len, 32);
	assert_int_equal(k.integ_len, 32);
	assert_int_equal(k.enc_len, 16);
	assert_memory_equal(ike_sk_d(&k), dkm, 32);
	assert_memory_equal(ike_sk_ai(&k), dkm + 32, 32);
	assert_memory_equal(ike_sk_ar(&k), dkm + 64, 32);
	assert_memory_equal(ike_sk_ei(&k), dkm + 96, 16);
	assert_memory_equal(ike_sk_er(&k), dkm + 112, 16);
	assert_memory_equal(ike_sk_pi(&k), dkm + 128, 4);
	/* once authenticated, SK_pi/SK_pr go and the others stay */
	ike_keys_drop_auth(&k);
	assert_null(ike_sk_pi(&k));
	assert_null(ike_sk_pr(&k));
	assert_memory_equal(ike_sk_d(&k), dkm, 32);
	assert_memory_equal(ike_sk_ai(&k), dkm + 32, 32);
	assert_memory_equal(ike_sk_ar(&k), dkm + 64, 32);
	assert_memory_equal(ike_sk_ei(&k), dkm + 96, 16);
	assert_memory_equal(ike_sk_er(&k), dkm + 112, 16);
	ike_keys_drop_auth(&k);
	assert_memory_equal(ike_sk_er(&k), dkm + 112, 16);
	ike_keys_wipe(&k);
	assert_null(k.buf);
	ike_keys_wipe(&k);
	/* SKEYSEED(rekey) = prf(SK_d (old), g^ir (new) | Ni | Nr) */
	unhex("25f3b12d6f282739256e39bf54eda53b60ffcf379bb7bcc90c27b4c4c578616c", girnew, 32);
	assert_int_equal(
	    ike_skeyseed_rekey(c, IKE_PRF_HMAC_SHA2_256, dkm, 32, girnew, 32, ni, 8, nr, 8, out),
	    0);
	assert_hex(out, 32, "2d63f6debc92048b4fef3889c4c99ca67d6496e0fac14a2bca9a2d6566ff2398");
	/* prf+ beyond 255 blocks is refused (RFC 7296 2.13). */
	{
		static uint8_t big[32 * 256];

		assert_int_equal(
		    ike_prfplus(c, IKE_PRF_HMAC_SHA2_256, seed, 32, v, 3, big, sizeof(big)),
		    -EINVAL);
	}
}

static void
ecdh_check(
    uint16_t group, const char *i, const char *gi, const char *r, const char *gr, const char *z)
{
	uint8_t ib[80], gib[160], rb[80], grb[160], out[80];
	size_t il = unhex(i, ib, sizeof(ib)), gil = unhex(gi, gib, sizeof(gib));
	size_t rl = unhex(r, rb, sizeof(rb)), grl = unhex(gr, grb, sizeof(grb)), len, pl;
	struct ike_dh *di = ike_dh_new_private(c, group, ib, il, gib, gil);
	struct ike_dh *dr = ike_dh_new_private(c, group, rb, rl, grb, grl);
	const uint8_t *pub;

	assert_non_null(di);
	assert_non_null(dr);
	pub = ike_dh_public(di, &pl);
	assert_int_equal(pl, ike_dh_pub_len(group));
	assert_memory_equal(pub, gib, pl);
	assert_int_equal(ike_dh_derive(c, di, grb, grl, out, sizeof(out), &len), 0);
	assert_int_equal(len, ike_dh_secret_len(group));
	assert_hex(out, len, z);
	assert_int_equal(ike_dh_derive(c, dr, gib, gil, out, sizeof(out), &len), 0);
	assert_hex(out, len, z);
	/* A point off the curve is refused (RFC 5903 / RFC 7296 5). */
	grb[grl - 1] ^= 1;
	assert_int_equal(ike_dh_derive(c, di, grb, grl, out, sizeof(out), &len), -EBADMSG);
	/* The peer key each group reuses is whole again after a refusal. */
	grb[grl - 1] ^= 1;
	memset(out, 0, sizeof(out));
	assert_int_equal(ike_dh_derive(c, di, grb, grl, out, sizeof(out), &len), 0);
	assert_hex(out, len, z);
	ike_dh_free(di);
	ike_dh_free(dr);
}

/* RFC 5903 sections 8.1, 8.2, 8.3. */
static void
test_ecdh_rfc5903(void **state)
{
	(void)state;
	ecdh_check(IKE_DH_ECP256,
	    "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
	    "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
	    "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
	    "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
	    "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
	    "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
	    "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE");
	ecdh_check(IKE_DH_ECP384,
	    "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF8"
	    "96783AB194",
	    "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732"
	    "AEE95F41AA"
	    "9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C"
	    "634573A81C",
	    "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4B"
	    "D55A7448FC",
	    "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41"
	    "D0774A3571"
	    "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD9"
	    "6DB9E6386C",
	    "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4"
	    "A270F59746");
	ecdh_check(IKE_DH_ECP521,
	    "0037ADE9319A89F4DABDB3EF411AACCCA5123C61ACAB57B5393DCE47608172A095AA85A30FE1C2952C6771"
	    "D937BA9777F5957B2639BAB072462F68C27A57382D4A52",
	    "0015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBEE1E3BF42E00B8E380AEAE5"
	    "7C2D107564941885942AF5A7F4601723C4195D176CED3E"
	    "017CAE20B6641D2EEB695786D8C946146239D099E18E1D5A514C739D7CB4A10AD8A788015AC405D7799DC7"
	    "5E7B7D5B6CF2261A6A7F1507438BF01BEB6CA3926F9582",
	    "0145BA99A847AF43793FDD0E872E7CDFA16BE30FDC780F97BCCC3F078380201E9C677D600B343757A3BDBF"
	    "2A3163E4C2F869CCA7458AA4A4EFFC311F5CB151685EB9",
	    "00D0B3975AC4B799F5BEA16D5E13E9AF971D5E9B984C9F39728B5E5739735A219B97C356436ADC6E95BB03"
	    "52F6BE64A6C2912D4EF2D0433CED2B6171640012D9460F"
	    "015C68226383956E3BD066E797B623C27CE0EAC2F551A10C2C724D9852077B87220B6536C5C408A1D2AEBB"
	    "8E86D678AE49CB57091F4732296579AB44FCD17F0FC56A",
	    "01144C7D79AE6956BC8EDB8E7C787C4521CB086FA64407F97894E5E6B2D79B04D1427E73CA4BAA240A3478"
	    "6859810C06B3C715A3A8CC3151F2BEE417996D19F3DDEA");
}

/* RFC 7748 6.1: Alice and Bob. The public keys are computed, not given. */
static void
test_x25519_rfc7748(void **state)
{
	uint8_t a[32], b[32], pa[32], pb[32], out[32];
	struct ike_dh *da, *db;
	const uint8_t *pub;
	size_t len;

	(void)state;
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a, 32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b, 32);
	da = ike_dh_new_private(c, IKE_DH_CURVE25519, a, 32, NULL, 0);
	db = ike_dh_new_private(c, IKE_DH_CURVE25519, b, 32, NULL, 0);
	assert_non_null(da);
	assert_non_null(db);
	pub = ike_dh_public(da, &len);
	assert_hex(pub, len, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	memcpy(pa, pub, 32);
	pub = ike_dh_public(db, &len);
	assert_hex(pub, len, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	memcpy(pb, pub, 32);
	assert_int_equal(ike_dh_derive(c, da, pb, 32, out, sizeof(out), &len), 0);
	assert_hex(out, len, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	assert_int_equal(ike_dh_derive(c, db, pa, 32, out, sizeof(out), &len), 0);
	assert_hex(out, len, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	ike_dh_free(da);
	ike_dh_free(db);
}

/* Fresh key pairs agree in every group; MODP values keep their full length. */
static void
test_dh_groups_agree(void **state)
{
	static const uint16_t groups[] = { IKE_DH_MODP2048, IKE_DH_MODP3072, IKE_DH_MODP4096,
		IKE_DH_ECP256, IKE_DH_ECP384, IKE_DH_ECP521, IKE_DH_CURVE25519 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		struct ike_dh *x = ike_dh_new(c, groups[i]), *y = ike_dh_new(c, groups[i]);
		uint8_t s1[IKE_DH_SEC_MAX], s2[IKE_DH_SEC_MAX], bad[IKE_DH_PUB_MAX];
		const uint8_t *px, *py;
		size_t lx, ly, l1, l2;

		assert_non_null(x);
		assert_non_null(y);
		px = ike_dh_public(x, &lx);
		py = ike_dh_public(y, &ly);
		assert_int_equal(lx, ike_dh_pub_len(groups[i]));
		assert_int_equal(ly, ike_dh_pub_len(groups[i]));
		assert_int_equal(ike_dh_derive(c, x, py, ly, s1, sizeof(s1), &l1), 0);
		assert_int_equal(ike_dh_derive(c, y, px, lx, s2, sizeof(s2), &l2), 0);
		assert_int_equal(l1, ike_dh_secret_len(groups[i]));
		assert_int_equal(l1, l2);
		assert_memory_equal(s1, s2, l1);
		/* Wrong length, and for MODP the degenerate value 1. */
		assert_int_equal(ike_dh_derive(c, x, py, ly - 1, s1, sizeof(s1), &l1), -EBADMSG);
		if (groups[i] <= IKE_DH_MODP4096) {
			memset(bad, 0, lx);
			bad[lx - 1] = 1;
			assert_int_equal(
			    ike_dh_derive(c, x, bad, lx, s1, sizeof(s1), &l1), -EBADMSG);
		}
		ike_dh_free(x);
		ike_dh_free(y);
	}
	assert_null(ike_dh_new(c, 2));
}

#define GCM_P                                                                                      \
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"                         \
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_A "feedfacedeadbeeffeedfacedeadbeefabaddad2"

/* The GCM specification's test cases 4 (AES-128) and 16 (AES-256). */
static void
test_gcm_vectors(void **state)
{
	uint8_t key[32], nonce[12], aad[20], buf[60], tag[16];

	(void)state;
	unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", key, 32);
	unhex("cafebabefacedbaddecaf888", nonce, 12);
	unhex(GCM_A, aad, 20);
	unhex(GCM_P, buf, 60);
	assert_int_equal(ike_aes_gcm_seal(c, key, 16, nonce, aad, 20, buf, 60, tag), 0);
	assert_hex(buf, 60,
	    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	    "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091");
	assert_hex(tag, 16, "5bc94fbc3221a5db94fae95ae7121a47");
	assert_int_equal(ike_aes_gcm_open(c, key, 16, nonce, aad, 20, buf, 60, tag), 0);
	assert_hex(buf, 60, GCM_P);
	unhex(GCM_P, buf, 60);
	assert_int_equal(ike_aes_gcm_seal(c, key, 32, nonce, aad, 20, buf, 60, tag), 0);
	assert_hex(buf, 60,
	    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
	assert_hex(tag, 16, "76fc6ece0f4e1768cddf8853bb2d551b");
	tag[0] ^= 1;
	assert_int_equal(ike_aes_gcm_open(c, key, 32, nonce, aad, 20, buf, 60, tag), -EBADMSG);
}

/* NIST SP 800-38A F.2.1 and F.2.5, first block. */
static void
test_cbc_vectors(void **state)
{
	uint8_t key[32], iv[16], buf[16];

	(void)state;
	unhex("000102030405060708090a0b0c0d0e0f", iv, 16);
	unhex("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	unhex("6bc1bee22e409f96e93d7e117393172a", buf, 16);
	assert_int_equal(ike_aes_cbc(c, true, key, 16, iv, buf, 16), 0);
	assert_hex(buf, 16, "7649abac8119b246cee98e9b12e9197d");
	assert_int_equal(ike_aes_cbc(c, false, key, 16, iv, buf, 16), 0);
	assert_hex(buf, 16, "6bc1bee22e409f96e93d7e117393172a");
	unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", key, 32);
	assert_int_equal(ike_aes_cbc(c, true, key, 32, iv, buf, 16), 0);
	assert_hex(buf, 16, "f58c4c04d6e5f1ba779eabfb5f7bfbd6");
}

/* SK payload: seal then open for every suite; any flipped bit is refused. */
static void
test_sk_roundtrip(void **state)
{
	static const struct ike_suite suites[] = {
		{ IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0, 0, 0 },
		{ IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_384, 0, 0, 0 },
		{ IKE_ENCR_AES_CBC, 128, IKE_PRF_HMAC_SHA2_256, IKE_INTEG_HMAC_SHA2_256_128, 0, 0 },
		{ IKE_ENCR_AES_CBC, 256, IKE_PRF_HMAC_SHA2_384, IKE_INTEG_HMAC_SHA2_384_192, 0, 0 },
		{ IKE_ENCR_AES_CBC, 256, IKE_PRF_HMAC_SHA2_512, IKE_INTEG_HMAC_SHA2_512_256, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		const struct ike_suite *s = &suites[i];
		uint8_t ke[IKE_ENC_KEY_MAX], ka[64], iv[16], msg[512], out[512];
		struct ike_enc e;
		struct ike_hdr h = { 0x1122334455667788ull, 0x99aabbccddeeff00ull, 0, IKE_VERSION,
			IKE_X_INFORMATIONAL, IKE_HDR_F_INIT, 7, 0 };
		struct ike_plds pl;
		struct ike_hdr ph;
		size_t sk, len, olen, j;

		memset(ke, 0x11 + (int)i, sizeof(ke));
		memset(ka, 0x22, sizeof(ka));
		memset(iv, 0x33, sizeof(iv));
		ike_enc_init(&e, msg, sizeof(msg));
		ike_enc_hdr(&e, &h);
		sk = ike_enc_sk_begin(&e, ike_encr_iv_len(s->encr));
		ike_enc_notify(&e, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
		ike_enc_nonce(&e, (const uint8_t *)"0123456789abcdef0", 17);
		assert_false(e.overflow);
		assert_int_equal(ike_sk_seal(c, s, ke, ka, iv, msg, sizeof(msg), sk,
		                     e.len - sk - 4 - ike_encr_iv_len(s->encr), &len),
		    0);
		assert_int_equal(ike_hdr_parse(msg, len, &ph), 0);
		assert_int_equal(ph.next, IKE_PL_SK);
		assert_int_equal(
		    ike_plds_parse(ph.next, msg + IKE_HDR_LEN, len - IKE_HDR_LEN, IKE_HDR_LEN, &pl),
		    0);
		assert_true(pl.has_sk);
		assert_int_equal(pl.sk_off, sk);
		assert_int_equal(pl.sk_first, IKE_PL_NOTIFY);
		assert_int_equal(
		    ike_sk_open(c, s, ke, ka, msg, len, sk, out, sizeof(out), &olen), 0);
		assert_int_equal(ike_plds_parse(pl.sk_first, out, olen, 0, &pl), 0);
		assert_int_equal(pl.n, 2);
		assert_int_equal(pl.pld[1].type, IKE_PL_NONCE);
		assert_int_equal(pl.pld[1].len, 17);
		for (j = 0; j < len; j += 7) {
			msg[j] ^= 0x40;
			assert_int_not_equal(
			    ike_sk_open(c, s, ke, ka, msg, len, sk, out, sizeof(out), &olen), 0);
			msg[j] ^= 0x40;
		}
	}
}

/* PSK AUTH is the documented composition of three PRF calls (RFC 7296 2.15). */
static void
test_psk_auth(void **state)
{
	const uint8_t psk[] = "secret", msg[] = "IKE_SA_INIT message", nonce[16] = { 1, 2, 3 };
	uint8_t skp[32], idb[8] = { IKE_ID_IPV4_ADDR, 0, 0, 0, 192, 0, 2, 1 };
	uint8_t a1[32], a2[32], maced[32], key[32];
	struct ike_iov v;
	struct ike_iov v3[3];

	(void)state;
	memset(skp, 0x5a, sizeof(skp));
	assert_int_equal(ike_psk_auth(c, IKE_PRF_HMAC_SHA2_256, psk, 6, msg, sizeof(msg) - 1, nonce,
	                     16, skp, idb, 8, a1),
	    0);
	v = (struct ike_iov){ idb, 8 };
	assert_int_equal(ike_prf(c, IKE_PRF_HMAC_SHA2_256, skp, 32, &v, 1, maced), 0);
	v = (struct ike_iov){ "Key Pad for IKEv2", 17 };
	assert_int_equal(ike_prf(c, IKE_PRF_HMAC_SHA2_256, psk, 6, &v, 1, key), 0);
	v3[0] = (struct ike_iov){ msg, sizeof(msg) - 1 };
	v3[1] = (struct ike_iov){ nonce, 16 };
	v3[2] = (struct ike_iov){ maced, 32 };
	assert_int_equal(ike_prf(c, IKE_PRF_HMAC_SHA2_256, key, 32, v3, 3, a2), 0);
	assert_memory_equal(a1, a2, 32);
}

/* NAT-D hash is SHA-1 over SPIi | SPIr | address | port (RFC 7296 2.23). */
static void
test_natd(void **state)
{
	struct ike_endpoint ep = { { AF_INET, { 192, 0, 2, 1 } }, 500 };
	uint8_t h1[20], h2[20];

	(void)state;
	assert_int_equal(ike_natd_hash(c, 1, 0, &ep, h1), 0);
	ep.port = 4500;
	assert_int_equal(ike_natd_hash(c, 1, 0, &ep, h2), 0);
	assert_memory_not_equal(h1, h2, 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_kdf_cavs),
		cmocka_unit_test(test_ecdh_rfc5903),
		cmocka_unit_test(test_x25519_rfc7748),
		cmocka_unit_test(test_dh_groups_agree),
		cmocka_unit_test(test_gcm_vectors),
		cmocka_unit_test(test_cbc_vectors),
		cmocka_unit_test(test_sk_roundtrip),
		cmocka_unit_test(test_psk_auth),
		cmocka_unit_test(test_natd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
