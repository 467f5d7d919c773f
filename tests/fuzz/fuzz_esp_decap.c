/* SPDX-License-Identifier: MIT */
/*
 * fuzz_esp_decap: the inbound ESP path of the userspace dataplane with
 * fixed keys: SPI/sequence peek, ESN inference and replay window, ICV
 * check and decryption (userspace/esp.c), then what follows a successful
 * decryption: the trailer, the inner packet parser, GRO coalescing and the
 * ICMP error builder (userspace/pkt.c). The eight transforms share one
 * cipher context per direction (an esp_cache of one slot), so a change of
 * transform between inputs goes through the cache's re-keying.
 *
 * Input: byte 0 picks the transform (bits 0-1) and the mode (bits 2-3),
 * byte 1 flags (bit 0 ESN), then the data.
 *   mode 0: the data is an ESP packet as received (mostly fails the ICV);
 *   mode 1: the data is the plaintext body (payload, padding, pad length,
 *           next header) that gets encrypted and authenticated under the
 *           fixed key first, so trailer and inner-packet parsing see
 *           attacker-chosen plaintext;
 *   mode 2: the data is a sequence of length-prefixed inner packets fed to
 *           GRO and the ICMP builder;
 *   mode 3: (CBC-128 + HMAC-SHA-256) byte 2 splits the rest into two
 *           packets, inbound ICVs paired as sock_rx() does
 *           (esp_icv_pair()): every outcome must equal esp_open()'s. With
 *           flag bit 1 the two parts are first sealed as payloads in one
 *           batch (esp_seal_start() + esp_seal_finish()), so both open.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esp.h"
#include "pkt.h"
#include "replay.h"
#include "rd.h"

static const uint8_t key[64] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19 };

static struct esp_xform enc[4], dec[4];
/* one context per direction for the eight SAs: every change of SA re-keys */
static struct esp_cache *cache;
static int ready;

static int
sink(void *arg, struct iovec *iov, int n)
{
	size_t total = 0;
	int i;

	(void)arg;
	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total > 0 ? 0 : -1;
}

static void
setup(void)
{
	static const struct {
		enum dp_enc e;
		size_t ek;
		enum dp_integ i;
		size_t ik;
	} t[4] = {
		{ DP_ENC_AES_GCM_128, 20, DP_INTEG_NONE, 0 },
		{ DP_ENC_AES_GCM_256, 36, DP_INTEG_NONE, 0 },
		{ DP_ENC_AES_CBC_128, 16, DP_INTEG_HMAC_SHA256_128, 32 },
		{ DP_ENC_AES_CBC_256, 32, DP_INTEG_HMAC_SHA512_256, 64 },
	};
	int k;

	if (esp_cache_new(&cache, 1, NULL) < 0)
		abort();
	for (k = 0; k < 4; k++) {
		if (esp_xform_init(&enc[k], t[k].e, key, t[k].ek, t[k].i, key, t[k].ik, true, false,
		        NULL) < 0 ||
		    esp_xform_init(&dec[k], t[k].e, key, t[k].ek, t[k].i, key, t[k].ik, false,
		        false, NULL) < 0)
			abort();
		esp_xform_bind(&enc[k], cache);
		esp_xform_bind(&dec[k], cache);
	}
	ready = 1;
}

static void
inner(uint8_t *p, size_t len)
{
	static uint8_t icmp[1400];
	struct pkt_info pi;
	struct dp_addr src;
	struct gro g;

	if (pkt_parse(p, len, &pi) == 0) {
		memset(&src, 0, sizeof(src));
		src.family = pi.family;
		pkt_icmp_too_big(icmp, sizeof(icmp), p, len, 1280, &src);
	}
	gro_init(&g, sink, NULL);
	gro_add(&g, p, len);
	gro_flush(&g);
}

/* Mode 3: two packets, paired inbound ICVs against esp_open() alone. */
static int
paired(const uint8_t *data, size_t size, bool esn, bool seal)
{
	static uint8_t pa[2][35000], pb[2][35000];
	struct esp_xform *e = &enc[2], *d = &dec[2];
	uint64_t qa = 77, qb = esn ? (1ULL << 32) | 78 : 78;
	size_t la, lb, hdr = ESP_HDR_LEN + e->iv_len, off[2], plen[2];
	uint8_t icv[2][ESP_ICV_MAX], iv[16] = { 9 }, nh[2];
	int r0, r1;

	if (size < 1 || size > 2 * 34000)
		return 0;
	la = (size - 1) * data[0] / 255;
	lb = size - 1 - la;
	data++;
	if (seal) {
		struct esp_seal_job jobs[2];
		size_t nj = 0;
		int rc;

		memcpy(pa[0] + hdr, data, la);
		memcpy(pb[0] + hdr, data + la, lb);
		rc = esp_seal_start(
		    e, 0x1234, qa, esn, iv, 4, pa[0], la, sizeof(pa[0]), &la, &jobs[nj]);
		if (rc < 0)
			return 0;
		nj += (size_t)rc;
		rc = esp_seal_start(
		    e, 0x1234, qb, esn, iv, 4, pb[0], lb, sizeof(pb[0]), &lb, &jobs[nj]);
		if (rc < 0)
			return 0;
		nj += (size_t)rc;
		esp_seal_finish(jobs, nj);
	} else {
		memcpy(pa[0], data, la);
		memcpy(pb[0], data + la, lb);
	}
	memcpy(pa[1], pa[0], la);
	memcpy(pb[1], pb[0], lb);
	if (!esp_icv_pairable(d, la) || !esp_icv_pairable(d, lb))
		return 0;
	esp_icv_pair(d, pa[0], la, qa, esn, icv[0], d, pb[0], lb, qb, esn, icv[1]);
	r0 = esp_open_icv(d, qa, esn, pa[0], la, icv[0], &off[0], &plen[0], &nh[0]);
	r1 = esp_open(d, qa, esn, pa[1], la, &off[1], &plen[1], &nh[1]);
	if (r0 != r1 || (seal && r0 != 0) || (r0 == 0 && (off[0] != off[1] || plen[0] != plen[1])))
		abort();
	r0 = esp_open_icv(d, qb, esn, pb[0], lb, icv[1], &off[0], &plen[0], &nh[0]);
	r1 = esp_open(d, qb, esn, pb[1], lb, &off[1], &plen[1], &nh[1]);
	if (r0 != r1 || (seal && r0 != 0) || (r0 == 0 && (off[0] != off[1] || plen[0] != plen[1])))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[70000];
	struct replay rp;
	uint32_t spi, lo;
	uint64_t seq;
	size_t off, plen, out;
	uint8_t nh, iv[16] = { 0 };
	int k, mode;
	bool esn;

	if (!ready)
		setup();
	if (size < 2 || size > sizeof(buf) - 128)
		return 0;
	k = data[0] & 3;
	mode = (data[0] >> 2) & 3;
	esn = data[1] & 1;
	data += 2;
	size -= 2;

	if (mode == 0) {
		memcpy(buf, data, size);
		if (!esp_peek(buf, size, &spi, &lo))
			return 0;
		if (replay_init(&rp, 128) < 0)
			return 0;
		replay_update(&rp, 1000);
		seq = replay_infer(&rp, lo, esn);
		if (replay_check(&rp, seq) &&
		    esp_open(&dec[k], seq, esn, buf, size, &off, &plen, &nh) == 0) {
			replay_update(&rp, seq);
			inner(buf + off, plen);
		}
		replay_fini(&rp);
		return 0;
	}
	if (mode == 1) {
		/* encrypt the body as is: esp_open must cope with any trailer */
		size_t hdr = ESP_HDR_LEN + enc[k].iv_len, body = size - size % enc[k].blk;
		int outl;

		if (body == 0)
			return 0;
		memcpy(buf + hdr, data, body);
		/* seal an empty payload to get header and IV right, then redo the body */
		if (esp_seal(&enc[k], 0x1234, 77, esn, iv, 4, buf, 0, sizeof(buf), &out) < 0)
			return 0;
		memcpy(buf + hdr, data, body);
		if (enc[k].aead) {
			uint8_t nonce[12], aad[12];
			size_t alen = 8;

			memcpy(nonce, enc[k].salt, 4);
			memcpy(nonce + 4, iv, 8);
			wr_be32(aad, 0x1234);
			if (esn) {
				wr_be32(aad + 4, 0);
				wr_be32(aad + 8, 77);
				alen = 12;
			} else {
				wr_be32(aad + 4, 77);
			}
			EVP_CIPHER_CTX *cctx = esp_xform_ctx(&enc[k]);

			if (cctx == NULL ||
			    EVP_EncryptInit_ex(cctx, NULL, NULL, NULL, nonce) != 1 ||
			    EVP_EncryptUpdate(cctx, NULL, &outl, aad, (int)alen) != 1 ||
			    EVP_EncryptUpdate(cctx, buf + hdr, &outl, buf + hdr, (int)body) != 1 ||
			    EVP_EncryptFinal_ex(cctx, buf + hdr + body, &outl) != 1 ||
			    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_GET_TAG, 16, buf + hdr + body) !=
			        1)
				return 0;
			if (esp_open(&dec[k], 77, esn, buf, hdr + body + 16, &off, &plen, &nh) == 0)
				inner(buf + off, plen);
		} else {
			/* CBC: encrypting and the ICV through esp_seal of a body without trailer
			 * is not possible; decrypt garbage instead (the ICV fails first) */
			if (esp_open(&dec[k], 77, esn, buf, hdr + body + dec[k].icv_len, &off,
			        &plen, &nh) == 0)
				inner(buf + off, plen);
		}
		return 0;
	}
	if (mode == 3)
		return paired(data, size, esn, (data[-1] & 2) != 0);
	/* mode 2: inner packets, each prefixed by a 16-bit length */
	{
		struct rd r;
		uint16_t l;
		const uint8_t *p;
		static uint8_t pk[64][1600];
		struct gro g;
		int n = 0;

		rd_init(&r, data, size);
		gro_init(&g, sink, NULL);
		while (n < 64 && rd_be16(&r, &l) && l <= 1600 && rd_view(&r, l, &p)) {
			memcpy(pk[n], p, l);
			gro_add(&g, pk[n], l);
			n++;
		}
		gro_flush(&g);
	}
	return 0;
}
