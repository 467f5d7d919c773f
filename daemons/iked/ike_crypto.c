/* SPDX-License-Identifier: MIT */
/*
 * ike_crypto: IKEv2 cryptography over OpenSSL 3 EVP. Algorithms are
 * fetched once per engine and contexts are reused, so an exchange costs
 * the arithmetic and no provider look-ups.
 */
#include "ike_crypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "ike_wire.h"
#include "rd.h"
#include "xmem.h"

#include "banned.h"

enum { H_SHA256, H_SHA384, H_SHA512, H_N };
enum { C_CBC128, C_CBC192, C_CBC256, C_GCM128, C_GCM192, C_GCM256, C_N };

struct dh_group {
	uint16_t id;
	const char *type;  /* EVP_PKEY type */
	const char *group; /* OpenSSL group name, NULL for X25519 */
	size_t pub_len, sec_len;
};

static const struct dh_group dh_groups[] = {
	{ IKE_DH_MODP2048, "DH", "modp_2048", 256, 256 },
	{ IKE_DH_MODP3072, "DH", "modp_3072", 384, 384 },
	{ IKE_DH_MODP4096, "DH", "modp_4096", 512, 512 },
	{ IKE_DH_ECP256, "EC", "P-256", 64, 32 },
	{ IKE_DH_ECP384, "EC", "P-384", 96, 48 },
	{ IKE_DH_ECP521, "EC", "P-521", 132, 66 },
	{ IKE_DH_CURVE25519, "X25519", NULL, 32, 32 },
};
#define N_GROUPS (sizeof(dh_groups) / sizeof(dh_groups[0]))

struct ike_crypto {
	EVP_MAC *hmac;
	EVP_MAC_CTX *mac[H_N]; /* digest set once, keyed per use */
	EVP_CIPHER *cipher[C_N];
	EVP_CIPHER_CTX *cctx;
	EVP_MD *sha1, *sha256;
	EVP_MD_CTX *mdctx;
	EVP_PKEY *tmpl[N_GROUPS];       /* domain parameters (DH, EC) */
	EVP_PKEY_CTX *keygen[N_GROUPS]; /* keygen-initialised, reused */
	/* EC: the peer's public key, one per group, its point replaced at
	 * each ike_dh_derive (the engine is single-threaded), and a context
	 * on it for the point's check: a new EVP_PKEY per derive cost a
	 * parameter copy (EC_GROUP_dup) and OpenSSL 3.0's walk of its name
	 * map (EVP_PKEY_set_type_by_keymgmt). */
	EVP_PKEY *peer[N_GROUPS];
	EVP_PKEY_CTX *peer_chk[N_GROUPS];
};

struct ike_dh {
	const struct dh_group *g;
	EVP_PKEY *key;
	size_t pub_len;
	uint8_t pub[IKE_DH_PUB_MAX];
};

static const char *const hash_names[H_N] = { "SHA256", "SHA384", "SHA512" };
static const char *const cipher_names[C_N] = { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC",
	"AES-128-GCM", "AES-192-GCM", "AES-256-GCM" };

struct ike_crypto *
ike_crypto_new(void)
{
	struct ike_crypto *c = calloc(1, sizeof(*c));
	int i;

	if (!c)
		return NULL;
	c->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!c->hmac)
		goto fail;
	for (i = 0; i < H_N; i++) {
		OSSL_PARAM p[2];

		c->mac[i] = EVP_MAC_CTX_new(c->hmac);
		if (!c->mac[i])
			goto fail;
		p[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_MAC_PARAM_DIGEST, (char *)hash_names[i], 0);
		p[1] = OSSL_PARAM_construct_end();
		if (!EVP_MAC_CTX_set_params(c->mac[i], p))
			goto fail;
	}
	for (i = 0; i < C_N; i++) {
		c->cipher[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
		if (!c->cipher[i])
			goto fail;
	}
	c->cctx = EVP_CIPHER_CTX_new();
	c->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	c->mdctx = EVP_MD_CTX_new();
	if (!c->cctx || !c->sha1 || !c->sha256 || !c->mdctx)
		goto fail;
	return c;
fail:
	ike_crypto_free(c);
	errno = ENOMEM;
	return NULL;
}

void
ike_crypto_free(struct ike_crypto *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < H_N; i++)
		EVP_MAC_CTX_free(c->mac[i]);
	EVP_MAC_free(c->hmac);
	for (i = 0; i < C_N; i++)
		EVP_CIPHER_free(c->cipher[i]);
	EVP_CIPHER_CTX_free(c->cctx);
	EVP_MD_free(c->sha1);
	EVP_MD_free(c->sha256);
	EVP_MD_CTX_free(c->mdctx);
	for (i = 0; i < N_GROUPS; i++) {
		EVP_PKEY_CTX_free(c->keygen[i]);
		EVP_PKEY_free(c->tmpl[i]);
		EVP_PKEY_CTX_free(c->peer_chk[i]);
		EVP_PKEY_free(c->peer[i]);
	}
	free(c);
}

/* ---- transform properties -------------------------------------------- */

static int
prf_hash(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA2_256:
		return H_SHA256;
	case IKE_PRF_HMAC_SHA2_384:
		return H_SHA384;
	case IKE_PRF_HMAC_SHA2_512:
		return H_SHA512;
	}
	return -1;
}

static int
integ_hash(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA2_256_128:
		return H_SHA256;
	case IKE_INTEG_HMAC_SHA2_384_192:
		return H_SHA384;
	case IKE_INTEG_HMAC_SHA2_512_256:
		return H_SHA512;
	}
	return -1;
}

static const size_t hash_len[H_N] = { 32, 48, 64 };

size_t
ike_prf_len(uint16_t prf)
{
	int h = prf_hash(prf);

	return h < 0 ? 0 : hash_len[h];
}

size_t
ike_integ_key_len(uint16_t integ)
{
	int h = integ_hash(integ);

	return h < 0 ? 0 : hash_len[h];
}

size_t
ike_integ_icv_len(uint16_t integ)
{
	int h = integ_hash(integ);

	return h < 0 ? 0 : hash_len[h] / 2; /* RFC 4868: half the output */
}

bool
ike_encr_is_aead(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_16;
}

static int
cipher_index(uint16_t encr, uint16_t bits)
{
	int base;

	if (encr == IKE_ENCR_AES_CBC)
		base = C_CBC128;
	else if (encr == IKE_ENCR_AES_GCM_16)
		base = C_GCM128;
	else
		return -1;
	switch (bits) {
	case 128:
		return base;
	case 192:
		return base + 1;
	case 256:
		return base + 2;
	}
	return -1;
}

size_t
ike_encr_key_len(uint16_t encr, uint16_t bits)
{
	if (cipher_index(encr, bits) < 0)
		return 0;
	return bits / 8u + (ike_encr_is_aead(encr) ? 4u : 0u);
}

size_t
ike_encr_iv_len(uint16_t encr)
{
	return encr == IKE_ENCR_AES_CBC ? 16 : encr == IKE_ENCR_AES_GCM_16 ? 8 : 0;
}

size_t
ike_suite_icv_len(const struct ike_suite *s)
{
	return ike_encr_is_aead(s->encr) ? 16 : ike_integ_icv_len(s->integ);
}

bool
ike_suite_ike_ok(const struct ike_suite *s)
{
	if (!ike_encr_key_len(s->encr, s->encr_bits) || !ike_prf_len(s->prf))
		return false;
	if (ike_encr_is_aead(s->encr))
		return s->integ == IKE_INTEG_NONE;
	return ike_integ_key_len(s->integ) != 0;
}

static const struct dh_group *
group_find(uint16_t id, size_t *idx)
{
	size_t i;

	for (i = 0; i < N_GROUPS; i++) {
		if (dh_groups[i].id == id) {
			if (idx)
				*idx = i;
			return &dh_groups[i];
		}
	}
	return NULL;
}

size_t
ike_dh_pub_len(uint16_t group)
{
	const struct dh_group *g = group_find(group, NULL);

	return g ? g->pub_len : 0;
}

size_t
ike_dh_secret_len(uint16_t group)
{
	const struct dh_group *g = group_find(group, NULL);

	return g ? g->sec_len : 0;
}

/* ---- PRF, prf+, keys ---------------------------------------------------- */

static int
mac(struct ike_crypto *c, int h, const uint8_t *key, size_t klen, const struct ike_iov *iov,
    size_t n, uint8_t *out)
{
	static const uint8_t empty[1];
	EVP_MAC_CTX *m = c->mac[h];
	size_t i, olen = 0;

	/* A NULL key would make OpenSSL reuse the previous one. */
	if (!EVP_MAC_init(m, key ? key : empty, klen, NULL))
		return -EIO;
	for (i = 0; i < n; i++)
		if (iov[i].len && !EVP_MAC_update(m, iov[i].p, iov[i].len))
			return -EIO;
	if (!EVP_MAC_final(m, out, &olen, IKE_PRF_MAX) || olen != hash_len[h])
		return -EIO;
	return 0;
}

int
ike_hmac(struct ike_crypto *c, unsigned bits, const uint8_t *key, size_t klen,
    const struct ike_iov *iov, size_t n, uint8_t *out, size_t outlen)
{
	uint8_t full[IKE_PRF_MAX];
	int h = bits == 256 ? H_SHA256 : bits == 384 ? H_SHA384 : bits == 512 ? H_SHA512 : -1;
	int rc;

	if (h < 0 || outlen > hash_len[h])
		return -EINVAL;
	rc = mac(c, h, key, klen, iov, n, full);
	if (rc == 0)
		memcpy(out, full, outlen);
	explicit_bzero(full, sizeof(full));
	return rc;
}

int
ike_prf(struct ike_crypto *c, uint16_t prf, const uint8_t *key, size_t klen,
    const struct ike_iov *iov, size_t n, uint8_t *out)
{
	int h = prf_hash(prf);

	if (h < 0)
		return -EINVAL;
	return mac(c, h, key, klen, iov, n, out);
}

int
ike_prfplus(struct ike_crypto *c, uint16_t prf, const uint8_t *key, size_t klen,
    const struct ike_iov *iov, size_t n, uint8_t *out, size_t outlen)
{
	struct ike_iov v[10];
	uint8_t t[IKE_PRF_MAX];
	size_t plen = ike_prf_len(prf), done = 0, i;
	uint8_t ctr = 1;
	int rc = 0;

	/* RFC 7296 2.13: at most 255 iterations. */
	if (!plen || n + 2 > sizeof(v) / sizeof(v[0]) || outlen > plen * 255)
		return -EINVAL;
	while (done < outlen) {
		size_t k = 0, take;

		if (done > 0)
			v[k++] = (struct ike_iov){ t, plen }; /* T(i-1) */
		for (i = 0; i < n; i++)
			v[k++] = iov[i];
		v[k++] = (struct ike_iov){ &ctr, 1 };
		rc = ike_prf(c, prf, key, klen, v, k, t);
		if (rc < 0)
			break;
		take = outlen - done < plen ? outlen - done : plen;
		memcpy(out + done, t, take);
		done += take;
		ctr++;
	}
	explicit_bzero(t, sizeof(t));
	return rc;
}

int
ike_skeyseed(struct ike_crypto *c, uint16_t prf, const uint8_t *ni, size_t ni_len,
    const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len, uint8_t *out)
{
	uint8_t key[2 * IKE_NONCE_MAX];
	struct ike_iov v = { gir, gir_len };
	int rc;

	if (ni_len > IKE_NONCE_MAX || nr_len > IKE_NONCE_MAX)
		return -EINVAL;
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	rc = ike_prf(c, prf, key, ni_len + nr_len, &v, 1, out);
	explicit_bzero(key, sizeof(key));
	return rc;
}

int
ike_skeyseed_rekey(struct ike_crypto *c, uint16_t old_prf, const uint8_t *sk_d, size_t sk_d_len,
    const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
    size_t nr_len, uint8_t *out)
{
	struct ike_iov v[3] = { { gir, gir_len }, { ni, ni_len }, { nr, nr_len } };

	return ike_prf(c, old_prf, sk_d, sk_d_len, v, 3, out);
}

int
ike_keys_derive(struct ike_crypto *c, const struct ike_suite *s, const uint8_t *skeyseed,
    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, uint64_t spi_i,
    uint64_t spi_r, struct ike_sa_keys *out)
{
	uint8_t spis[16], km[3 * IKE_PRF_MAX + 2 * IKE_PRF_MAX + 2 * IKE_ENC_KEY_MAX];
	size_t p = ike_prf_len(s->prf),
	       a = ike_encr_is_aead(s->encr) ? 0 : ike_integ_key_len(s->integ);
	size_t e = ike_encr_key_len(s->encr, s->encr_bits);
	struct ike_iov v[3] = { { ni, ni_len }, { nr, nr_len }, { spis, 16 } };
	int rc;

	if (!p || !e || (!ike_encr_is_aead(s->encr) && !a))
		return -EINVAL;
	for (int i = 0; i < 8; i++) {
		spis[i] = (uint8_t)(spi_i >> (56 - 8 * i));
		spis[8 + i] = (uint8_t)(spi_r >> (56 - 8 * i));
	}
	rc = ike_prfplus(c, s->prf, skeyseed, p, v, 3, km, 3 * p + 2 * a + 2 * e);
	if (rc < 0)
		goto out;
	memset(out, 0, sizeof(*out));
	out->buf = malloc(3 * p + 2 * a + 2 * e);
	if (out->buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	/* the buffer holds them in the order of the stream */
	memcpy(out->buf, km, 3 * p + 2 * a + 2 * e);
	out->prf_len = (uint8_t)p;
	out->integ_len = (uint8_t)a;
	out->enc_len = (uint8_t)e;
	out->auth = true;
out:
	explicit_bzero(km, sizeof(km));
	return rc;
}

void
ike_keys_wipe(struct ike_sa_keys *k)
{
	size_t len = (size_t)k->prf_len + 2u * k->integ_len + 2u * k->enc_len;

	if (k->auth)
		len += 2u * k->prf_len;
	if (k->buf != NULL)
		xmem_free(k->buf, len);
	explicit_bzero(k, sizeof(*k));
}

void
ike_keys_drop_auth(struct ike_sa_keys *k)
{
	size_t keep = (size_t)k->prf_len + 2u * k->integ_len + 2u * k->enc_len;
	uint8_t *n;

	if (k->buf == NULL || !k->auth)
		return;
	n = malloc(keep);
	if (n == NULL) {
		explicit_bzero(ike_sk_pi(k), 2u * k->prf_len);
		return;
	}
	memcpy(n, k->buf, keep); /* SK_p are the last in the buffer */
	xmem_free(k->buf, keep + 2u * k->prf_len);
	k->buf = n;
	k->auth = false;
}

/* ---- ciphers ------------------------------------------------------------ */

int
ike_aes_gcm_seal(struct ike_crypto *c, const uint8_t *key, size_t klen, const uint8_t *nonce12,
    const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag16)
{
	int ci = cipher_index(IKE_ENCR_AES_GCM_16, (uint16_t)(klen * 8)), outl;

	if (ci < 0 || len > INT32_MAX || aad_len > INT32_MAX)
		return -EINVAL;
	if (!EVP_EncryptInit_ex2(c->cctx, c->cipher[ci], key, nonce12, NULL))
		return -EIO;
	if (aad_len && !EVP_EncryptUpdate(c->cctx, NULL, &outl, aad, (int)aad_len))
		return -EIO;
	if (len && !EVP_EncryptUpdate(c->cctx, buf, &outl, buf, (int)len))
		return -EIO;
	if (!EVP_EncryptFinal_ex(c->cctx, buf + len, &outl))
		return -EIO;
	if (!EVP_CIPHER_CTX_ctrl(c->cctx, EVP_CTRL_AEAD_GET_TAG, 16, tag16))
		return -EIO;
	return 0;
}

int
ike_aes_gcm_open(struct ike_crypto *c, const uint8_t *key, size_t klen, const uint8_t *nonce12,
    const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len, const uint8_t *tag16)
{
	int ci = cipher_index(IKE_ENCR_AES_GCM_16, (uint16_t)(klen * 8)), outl;
	uint8_t tag[16];

	if (ci < 0 || len > INT32_MAX || aad_len > INT32_MAX)
		return -EINVAL;
	memcpy(tag, tag16, 16);
	if (!EVP_DecryptInit_ex2(c->cctx, c->cipher[ci], key, nonce12, NULL))
		return -EIO;
	if (aad_len && !EVP_DecryptUpdate(c->cctx, NULL, &outl, aad, (int)aad_len))
		return -EIO;
	if (len && !EVP_DecryptUpdate(c->cctx, buf, &outl, buf, (int)len))
		return -EIO;
	if (!EVP_CIPHER_CTX_ctrl(c->cctx, EVP_CTRL_AEAD_SET_TAG, 16, tag))
		return -EIO;
	if (EVP_DecryptFinal_ex(c->cctx, buf + len, &outl) <= 0)
		return -EBADMSG;
	return 0;
}

int
ike_aes_cbc(struct ike_crypto *c, bool enc, const uint8_t *key, size_t klen, const uint8_t *iv16,
    uint8_t *buf, size_t len)
{
	int ci = cipher_index(IKE_ENCR_AES_CBC, (uint16_t)(klen * 8)), outl;

	if (ci < 0 || len % 16 || len > INT32_MAX)
		return -EINVAL;
	if (!EVP_CipherInit_ex2(c->cctx, c->cipher[ci], key, iv16, enc ? 1 : 0, NULL))
		return -EIO;
	EVP_CIPHER_CTX_set_padding(c->cctx, 0);
	if (len && !EVP_CipherUpdate(c->cctx, buf, &outl, buf, (int)len))
		return -EIO;
	if (!EVP_CipherFinal_ex(c->cctx, buf + len, &outl))
		return -EIO;
	return 0;
}

static unsigned
integ_bits(uint16_t integ)
{
	int h = integ_hash(integ);

	return h < 0 ? 0 : (unsigned)hash_len[h] * 8;
}

int
ike_sk_seal(struct ike_crypto *c, const struct ike_suite *s, const uint8_t *ke, const uint8_t *ka,
    const uint8_t *iv, uint8_t *msg, size_t cap, size_t sk_off, size_t inner_len, size_t *msg_len)
{
	size_t ivl = ike_encr_iv_len(s->encr), icv = ike_suite_icv_len(s);
	size_t klen = ike_encr_key_len(s->encr, s->encr_bits);
	size_t ct_off = sk_off + 4 + ivl, pad, total, pld_len;
	bool aead = ike_encr_is_aead(s->encr);
	size_t block = aead ? 1 : 16;
	int rc;

	if (!ivl || !icv || !klen)
		return -EINVAL;
	/* Pad so that payloads + padding + pad length fill whole blocks. */
	pad = (block - (inner_len + 1) % block) % block;
	total = ct_off + inner_len + pad + 1 + icv;
	if (total > cap || total > UINT32_MAX || total - sk_off > UINT16_MAX)
		return -EMSGSIZE;
	memcpy(msg + sk_off + 4, iv, ivl);
	memset(msg + ct_off + inner_len, 0, pad);
	msg[ct_off + inner_len + pad] = (uint8_t)pad;
	pld_len = total - sk_off;
	wr_be16(msg + sk_off + 2, (uint16_t)pld_len);
	wr_be32(msg + 24, (uint32_t)total);
	if (aead) {
		uint8_t nonce[12];

		/* RFC 5282 5.1: salt | IV; AAD = header .. SK generic header. */
		memcpy(nonce, ke + klen - 4, 4);
		memcpy(nonce + 4, iv, 8);
		rc = ike_aes_gcm_seal(c, ke, klen - 4, nonce, msg, sk_off + 4, msg + ct_off,
		    inner_len + pad + 1, msg + total - icv);
	} else {
		struct ike_iov v = { msg, total - icv };

		rc = ike_aes_cbc(c, true, ke, klen, iv, msg + ct_off, inner_len + pad + 1);
		if (rc == 0)
			rc = ike_hmac(c, integ_bits(s->integ), ka, ike_integ_key_len(s->integ), &v,
			    1, msg + total - icv, icv);
	}
	if (rc == 0)
		*msg_len = total;
	return rc;
}

int
ike_sk_open(struct ike_crypto *c, const struct ike_suite *s, const uint8_t *ke, const uint8_t *ka,
    const uint8_t *msg, size_t msg_len, size_t sk_off, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t ivl = ike_encr_iv_len(s->encr), icv = ike_suite_icv_len(s);
	size_t klen = ike_encr_key_len(s->encr, s->encr_bits), ct_off, ct_len;
	bool aead = ike_encr_is_aead(s->encr);
	uint8_t padlen;
	int rc;

	if (!ivl || !icv || !klen)
		return -EINVAL;
	if (sk_off + 4 + ivl + icv + 1 > msg_len)
		return -EBADMSG;
	ct_off = sk_off + 4 + ivl;
	ct_len = msg_len - icv - ct_off;
	if (ct_len > cap || (!aead && ct_len % 16))
		return -EBADMSG;
	memcpy(out, msg + ct_off, ct_len);
	if (aead) {
		uint8_t nonce[12];

		memcpy(nonce, ke + klen - 4, 4);
		memcpy(nonce + 4, msg + sk_off + 4, 8);
		rc = ike_aes_gcm_open(
		    c, ke, klen - 4, nonce, msg, sk_off + 4, out, ct_len, msg + msg_len - icv);
	} else {
		uint8_t mac_out[IKE_ICV_MAX];
		struct ike_iov v = { msg, msg_len - icv };
		unsigned i, diff = 0;

		rc = ike_hmac(
		    c, integ_bits(s->integ), ka, ike_integ_key_len(s->integ), &v, 1, mac_out, icv);
		if (rc < 0)
			return rc;
		for (i = 0; i < icv; i++)
			diff |= mac_out[i] ^ msg[msg_len - icv + i];
		if (diff)
			return -EBADMSG;
		rc = ike_aes_cbc(c, false, ke, klen, msg + sk_off + 4, out, ct_len);
	}
	if (rc < 0)
		return rc;
	if (ct_len < 1)
		return -EBADMSG;
	padlen = out[ct_len - 1];
	if ((size_t)padlen + 1 > ct_len)
		return -EBADMSG;
	*out_len = ct_len - padlen - 1;
	return 0;
}

/* ---- authentication, NAT-D, cookies --------------------------------- */

int
ike_psk_auth(struct ike_crypto *c, uint16_t prf, const uint8_t *psk, size_t psk_len,
    const uint8_t *msg, size_t msg_len, const uint8_t *nonce, size_t nonce_len, const uint8_t *sk_p,
    const uint8_t *id_body, size_t id_len, uint8_t *out)
{
	static const char pad[] = "Key Pad for IKEv2";
	uint8_t maced_id[IKE_PRF_MAX], key[IKE_PRF_MAX];
	size_t plen = ike_prf_len(prf);
	struct ike_iov v1 = { id_body, id_len }, v2 = { pad, sizeof(pad) - 1 };
	struct ike_iov v3[3] = { { msg, msg_len }, { nonce, nonce_len }, { maced_id, plen } };
	int rc;

	if (!plen)
		return -EINVAL;
	rc = ike_prf(c, prf, sk_p, plen, &v1, 1, maced_id);
	if (rc == 0)
		rc = ike_prf(c, prf, psk, psk_len, &v2, 1, key);
	if (rc == 0)
		rc = ike_prf(c, prf, key, plen, v3, 3, out);
	explicit_bzero(key, sizeof(key));
	return rc;
}

static int
digest(struct ike_crypto *c, EVP_MD *md, const struct ike_iov *iov, size_t n, uint8_t *out)
{
	size_t i;

	if (!EVP_DigestInit_ex2(c->mdctx, md, NULL))
		return -EIO;
	for (i = 0; i < n; i++)
		if (iov[i].len && !EVP_DigestUpdate(c->mdctx, iov[i].p, iov[i].len))
			return -EIO;
	if (!EVP_DigestFinal_ex(c->mdctx, out, NULL))
		return -EIO;
	return 0;
}

int
ike_natd_hash(struct ike_crypto *c, uint64_t spi_i, uint64_t spi_r, const struct ike_endpoint *ep,
    uint8_t out[IKE_NATD_LEN])
{
	uint8_t spis[16], port[2];
	struct ike_iov v[3] = { { spis, 16 }, { ep->addr.b, ike_addr_len(&ep->addr) },
		{ port, 2 } };

	wr_be64(spis, spi_i);
	wr_be64(spis + 8, spi_r);
	wr_be16(port, ep->port);
	return digest(c, c->sha1, v, 3, out);
}

int
ike_sha256(struct ike_crypto *c, const struct ike_iov *iov, size_t n, uint8_t out[32])
{
	return digest(c, c->sha256, iov, n, out);
}

/* ---- Diffie-Hellman ------------------------------------------------------ */

static EVP_PKEY *
group_template(struct ike_crypto *c, size_t gi)
{
	const struct dh_group *g = &dh_groups[gi];
	EVP_PKEY_CTX *ctx;
	OSSL_PARAM p[2];

	if (c->tmpl[gi] || !g->group)
		return c->tmpl[gi];
	ctx = EVP_PKEY_CTX_new_from_name(NULL, g->type, NULL);
	if (!ctx)
		return NULL;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->group, 0);
	p[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &c->tmpl[gi], EVP_PKEY_KEY_PARAMETERS, p) <= 0)
		c->tmpl[gi] = NULL;
	EVP_PKEY_CTX_free(ctx);
	return c->tmpl[gi];
}

static EVP_PKEY_CTX *
group_keygen(struct ike_crypto *c, size_t gi)
{
	const struct dh_group *g = &dh_groups[gi];
	EVP_PKEY_CTX *ctx;

	if (c->keygen[gi])
		return c->keygen[gi];
	if (g->group) {
		EVP_PKEY *t = group_template(c, gi);

		ctx = t ? EVP_PKEY_CTX_new_from_pkey(NULL, t, NULL) : NULL;
	} else {
		ctx = EVP_PKEY_CTX_new_from_name(NULL, g->type, NULL);
	}
	if (!ctx)
		return NULL;
	if (EVP_PKEY_keygen_init(ctx) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	c->keygen[gi] = ctx;
	return ctx;
}

/* EC: the group's reusable peer key and its check context (borrowed). */
static EVP_PKEY *
ec_peer(struct ike_crypto *c, size_t gi, EVP_PKEY_CTX **chk)
{
	EVP_PKEY *t;

	if (!c->peer[gi]) {
		EVP_PKEY *pk = EVP_PKEY_new();
		EVP_PKEY_CTX *pc = NULL;

		t = group_template(c, gi);
		if (!t || !pk || !EVP_PKEY_copy_parameters(pk, t) ||
		    !(pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL))) {
			EVP_PKEY_free(pk);
			return NULL;
		}
		c->peer[gi] = pk;
		c->peer_chk[gi] = pc;
	}
	*chk = c->peer_chk[gi];
	return c->peer[gi];
}

/* Exports the public value in IKE form: MODP padded, ECP x||y, X25519 raw. */
static int
export_public(struct ike_dh *dh)
{
	const struct dh_group *g = dh->g;
	size_t len = 0;

	if (strcmp(g->type, "EC") == 0) {
		uint8_t buf[1 + IKE_DH_PUB_MAX];

		if (!EVP_PKEY_get_octet_string_param(
		        dh->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof(buf), &len) ||
		    len != g->pub_len + 1 || buf[0] != 0x04)
			return -EIO;
		memcpy(dh->pub, buf + 1, g->pub_len);
	} else if (strcmp(g->type, "DH") == 0) {
		BIGNUM *bn = NULL;

		if (!EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &bn))
			return -EIO;
		if (BN_bn2binpad(bn, dh->pub, (int)g->pub_len) < 0) {
			BN_free(bn);
			return -EIO;
		}
		BN_free(bn);
	} else {
		len = g->pub_len;
		if (!EVP_PKEY_get_raw_public_key(dh->key, dh->pub, &len) || len != g->pub_len)
			return -EIO;
	}
	dh->pub_len = g->pub_len;
	return 0;
}

struct ike_dh *
ike_dh_new(struct ike_crypto *c, uint16_t group)
{
	size_t gi;
	const struct dh_group *g = group_find(group, &gi);
	EVP_PKEY_CTX *kg;
	struct ike_dh *dh;

	if (!g) {
		errno = EINVAL;
		return NULL;
	}
	kg = group_keygen(c, gi);
	dh = calloc(1, sizeof(*dh));
	if (!kg || !dh)
		goto fail;
	dh->g = g;
	if (EVP_PKEY_keygen(kg, &dh->key) <= 0 || export_public(dh) < 0)
		goto fail;
	return dh;
fail:
	ike_dh_free(dh);
	errno = EIO;
	return NULL;
}

struct ike_dh *
ike_dh_new_private(struct ike_crypto *c, uint16_t group, const uint8_t *priv, size_t priv_len,
    const uint8_t *pub, size_t pub_len)
{
	size_t gi;
	const struct dh_group *g = group_find(group, &gi);
	struct ike_dh *dh = calloc(1, sizeof(*dh));
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *bn = NULL;
	uint8_t enc[1 + IKE_DH_PUB_MAX];

	(void)c;
	if (!g || !dh)
		goto fail;
	dh->g = g;
	if (strcmp(g->type, "X25519") == 0) {
		dh->key = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, priv_len);
	} else if (strcmp(g->type, "EC") == 0 && pub_len == g->pub_len) {
		enc[0] = 0x04;
		memcpy(enc + 1, pub, pub_len);
		bld = OSSL_PARAM_BLD_new();
		bn = BN_bin2bn(priv, (int)priv_len, NULL);
		if (!bld || !bn ||
		    !OSSL_PARAM_BLD_push_utf8_string(
		        bld, OSSL_PKEY_PARAM_GROUP_NAME, g->group, 0) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) ||
		    !OSSL_PARAM_BLD_push_octet_string(
		        bld, OSSL_PKEY_PARAM_PUB_KEY, enc, pub_len + 1))
			goto fail;
		params = OSSL_PARAM_BLD_to_param(bld);
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
		    EVP_PKEY_fromdata(ctx, &dh->key, EVP_PKEY_KEYPAIR, params) <= 0)
			goto fail;
	}
	if (!dh->key || export_public(dh) < 0)
		goto fail;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(bn);
	EVP_PKEY_CTX_free(ctx);
	return dh;
fail:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(bn);
	EVP_PKEY_CTX_free(ctx);
	ike_dh_free(dh);
	errno = EINVAL;
	return NULL;
}

uint16_t
ike_dh_group(const struct ike_dh *dh)
{
	return dh->g->id;
}

const uint8_t *
ike_dh_public(const struct ike_dh *dh, size_t *len)
{
	*len = dh->pub_len;
	return dh->pub;
}

int
ike_dh_derive(struct ike_crypto *c, struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
    uint8_t *out, size_t cap, size_t *len)
{
	const struct dh_group *g = dh->g;
	size_t gi = (size_t)(g - dh_groups);
	bool ec = strcmp(g->type, "EC") == 0;
	EVP_PKEY *pk = NULL, *own = NULL; /* own: freed here (not the cached EC key) */
	EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
	size_t olen = cap;
	int rc = -EBADMSG;

	if (peer_len != g->pub_len || cap < g->sec_len)
		return -EBADMSG;
	if (strcmp(g->type, "X25519") == 0) {
		pk = own = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer, peer_len);
	} else if (ec) {
		uint8_t enc[1 + IKE_DH_PUB_MAX];

		/* RFC 5903 7: x||y on the wire, uncompressed point for OpenSSL. */
		enc[0] = 0x04;
		memcpy(enc + 1, peer, peer_len);
		pk = ec_peer(c, gi, &chk);
		if (!pk) {
			rc = -EIO;
			goto out;
		}
		if (EVP_PKEY_set1_encoded_public_key(pk, enc, peer_len + 1) <= 0)
			goto out;
	} else {
		EVP_PKEY *t = group_template(c, gi);

		pk = own = EVP_PKEY_new();
		if (!t || !pk || !EVP_PKEY_copy_parameters(pk, t) ||
		    EVP_PKEY_set1_encoded_public_key(pk, peer, peer_len) <= 0)
			goto out;
	}
	if (!pk)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0) {
		rc = -EIO;
		goto out;
	}
	if (strcmp(g->type, "DH") == 0 && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0) {
		rc = -EIO;
		goto out;
	}
	/* Validates the peer's value (range for MODP, on the curve for ECP).
	 * For the NIST curves (cofactor 1) a point on the curve that is not
	 * the point at infinity has the group's order: OpenSSL's full check
	 * proves that with one more scalar multiplication (a third of the
	 * responder's ECDH time), so they get the quick check (SP 800-56A
	 * 5.6.2.3.4, partial validation) and the peer is set unchecked. */
	if (ec) {
		if (EVP_PKEY_public_check_quick(chk) != 1 ||
		    EVP_PKEY_derive_set_peer_ex(ctx, pk, 0) <= 0)
			goto out;
	} else if (EVP_PKEY_derive_set_peer(ctx, pk) <= 0) {
		goto out;
	}
	if (EVP_PKEY_derive(ctx, out, &olen) <= 0 || olen != g->sec_len)
		goto out;
	*len = olen;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx); /* drops its reference to the peer key */
	EVP_PKEY_free(own);
	return rc;
}

void
ike_dh_free(struct ike_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->key);
	xmem_free(dh, sizeof(*dh));
}
