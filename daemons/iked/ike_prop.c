/* SPDX-License-Identifier: MIT */
/* ike_prop: proposal selection and acceptance (RFC 7296 2.7, 3.3). */
#include "ike_prop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ike_wire.h"

#include "banned.h"

static bool
has_xf(const struct ike_prop_pl *p, uint8_t type, uint16_t id, uint16_t keylen)
{
	unsigned i;

	for (i = 0; i < p->n_xf; i++) {
		const struct ike_xf *x = &p->xf[i];

		if (x->type == type && x->id == id && x->keylen == keylen && !x->unusable)
			return true;
	}
	return false;
}

static bool
has_type(const struct ike_prop_pl *p, uint8_t type)
{
	unsigned i;

	for (i = 0; i < p->n_xf; i++)
		if (p->xf[i].type == type)
			return true;
	return false;
}

bool
ike_prop_contains(
    const struct ike_prop_pl *p, uint8_t proto, const struct ike_suite *s, unsigned flags)
{
	unsigned i;

	if (p->proto != proto)
		return false;
	if (proto == IKE_PROTO_ESP && p->spi_len != 4)
		return false;
	if (proto == IKE_PROTO_IKE && p->spi_len != 0 && p->spi_len != 8)
		return false;
	/* A transform type we do not know makes the proposal unusable. */
	for (i = 0; i < p->n_xf; i++)
		if (p->xf[i].type < IKE_XF_ENCR || p->xf[i].type > IKE_XF_ESN)
			return false;
	if (!has_xf(p, IKE_XF_ENCR, s->encr, s->encr_bits))
		return false;
	if (proto == IKE_PROTO_IKE && !has_xf(p, IKE_XF_PRF, s->prf, 0))
		return false;
	if (!ike_encr_is_aead(s->encr) && !has_xf(p, IKE_XF_INTEG, s->integ, 0))
		return false;
	if (!(flags & IKE_SEL_IGNORE_DH)) {
		if (s->dh) {
			if (!has_xf(p, IKE_XF_DH, s->dh, 0))
				return false;
		} else if (has_type(p, IKE_XF_DH) && !has_xf(p, IKE_XF_DH, IKE_DH_NONE, 0)) {
			return false; /* the peer insists on PFS we do not do */
		}
	}
	if (proto == IKE_PROTO_ESP) {
		if (has_type(p, IKE_XF_ESN) ? !has_xf(p, IKE_XF_ESN, s->esn, 0) : s->esn != 0)
			return false;
	}
	return true;
}

int
ike_prop_select(const struct ike_sa_pl *peer, uint8_t proto, const struct ike_suite *ours,
    unsigned n, unsigned flags, uint16_t want_dh, struct ike_choice *out)
{
	unsigned pass, i, j;

	for (pass = want_dh ? 0 : 1; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			if (pass == 0 && ours[i].dh != want_dh)
				continue;
			for (j = 0; j < peer->n; j++) {
				const struct ike_prop_pl *p = &peer->prop[j];

				if (!ike_prop_contains(p, proto, &ours[i], flags))
					continue;
				out->ours = i;
				out->num = p->num;
				out->spi_len = p->spi_len;
				memcpy(out->spi, p->spi, p->spi_len);
				out->s = ours[i];
				if (flags & IKE_SEL_IGNORE_DH)
					out->s.dh = 0;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int
ike_prop_accept(const struct ike_sa_pl *resp, uint8_t proto, const struct ike_suite *ours,
    unsigned n, unsigned flags, struct ike_choice *out)
{
	const struct ike_prop_pl *p;
	unsigned counts[6] = { 0 }, i;

	if (resp->n != 1)
		return -EBADMSG;
	p = &resp->prop[0];
	for (i = 0; i < p->n_xf; i++) {
		if (p->xf[i].type < IKE_XF_ENCR || p->xf[i].type > IKE_XF_ESN)
			return -EBADMSG;
		counts[p->xf[i].type]++;
	}
	for (i = IKE_XF_ENCR; i <= IKE_XF_ESN; i++)
		if (counts[i] > 1)
			return -EBADMSG;
	for (i = 0; i < n; i++) {
		struct ike_suite s = ours[i];

		if (flags & IKE_SEL_IGNORE_DH)
			s.dh = 0;
		if (!ike_prop_contains(p, proto, &s, flags))
			continue;
		/* Nothing beyond what we offered. */
		if (counts[IKE_XF_INTEG] && ike_encr_is_aead(s.encr) &&
		    !has_xf(p, IKE_XF_INTEG, IKE_INTEG_NONE, 0))
			continue;
		if (!s.dh && counts[IKE_XF_DH] && !has_xf(p, IKE_XF_DH, IKE_DH_NONE, 0))
			continue;
		out->ours = i;
		out->num = p->num;
		out->spi_len = p->spi_len;
		memcpy(out->spi, p->spi, p->spi_len);
		out->s = s;
		return 0;
	}
	return -EBADMSG;
}

static const char *
encr_str(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_16 ? "aes-gcm" : encr == IKE_ENCR_AES_CBC ? "aes-cbc" : "?";
}

static const char *
hash_str(uint16_t prf_or_integ, bool integ)
{
	if (integ) {
		switch (prf_or_integ) {
		case IKE_INTEG_HMAC_SHA2_256_128:
			return "hmac-sha256-128";
		case IKE_INTEG_HMAC_SHA2_384_192:
			return "hmac-sha384-192";
		case IKE_INTEG_HMAC_SHA2_512_256:
			return "hmac-sha512-256";
		}
		return "none";
	}
	switch (prf_or_integ) {
	case IKE_PRF_HMAC_SHA2_256:
		return "hmac-sha256";
	case IKE_PRF_HMAC_SHA2_384:
		return "hmac-sha384";
	case IKE_PRF_HMAC_SHA2_512:
		return "hmac-sha512";
	}
	return "none";
}

const char *
ike_suite_str(const struct ike_suite *s, uint8_t proto, char *buf, size_t len)
{
	if (proto == IKE_PROTO_IKE)
		snprintf(buf, len, "%s-%u/%s/prf-%s/dh%u", encr_str(s->encr), s->encr_bits,
		    hash_str(s->integ, true), hash_str(s->prf, false), s->dh);
	else
		snprintf(buf, len, "%s-%u/%s%s/pfs%u", encr_str(s->encr), s->encr_bits,
		    hash_str(s->integ, true), s->esn ? "/esn" : "", s->dh);
	return buf;
}

const char *
ike_suites_str(const struct ike_suite *s, unsigned n, uint8_t proto, char *buf, size_t len)
{
	char one[96];
	size_t off = 0;
	unsigned i;
	int w;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    ike_suite_str(&s[i], proto, one, sizeof(one)));
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
	return buf;
}

/* One transform, by name where Cairn knows it. */
static void
xf_str(const struct ike_xf *x, char *buf, size_t len)
{
	switch (x->type) {
	case IKE_XF_ENCR:
		if (x->id == IKE_ENCR_AES_CBC || x->id == IKE_ENCR_AES_GCM_16)
			snprintf(buf, len, "%s-%u", encr_str(x->id), x->keylen);
		else if (x->keylen)
			snprintf(buf, len, "encr%u-%u", x->id, x->keylen);
		else
			snprintf(buf, len, "encr%u", x->id);
		return;
	case IKE_XF_PRF:
		if (strcmp(hash_str(x->id, false), "none") != 0)
			snprintf(buf, len, "prf-%s", hash_str(x->id, false));
		else
			snprintf(buf, len, "prf%u", x->id);
		return;
	case IKE_XF_INTEG:
		if (strcmp(hash_str(x->id, true), "none") != 0 || x->id == IKE_INTEG_NONE)
			snprintf(buf, len, "%s", hash_str(x->id, true));
		else
			snprintf(buf, len, "integ%u", x->id);
		return;
	case IKE_XF_DH:
		snprintf(buf, len, "dh%u", x->id);
		return;
	case IKE_XF_ESN:
		snprintf(buf, len, "%s", x->id ? "esn" : "no-esn");
		return;
	default:
		snprintf(buf, len, "type%u:%u", x->type, x->id);
		return;
	}
}

const char *
ike_sa_pl_str(const struct ike_sa_pl *p, uint8_t proto, char *buf, size_t len)
{
	static const uint8_t order[] = { IKE_XF_ENCR, IKE_XF_INTEG, IKE_XF_PRF, IKE_XF_DH,
		IKE_XF_ESN };
	size_t off = 0;
	unsigned i, j, k, shown = 0;
	char one[48];
	int w;

	if (len == 0)
		return buf;
	buf[0] = '\0';
#define PUT(...)                                                                                   \
	do {                                                                                       \
		w = snprintf(buf + off, len - off, __VA_ARGS__);                                   \
		if (w < 0 || (size_t)w >= len - off)                                               \
			return buf;                                                                \
		off += (size_t)w;                                                                  \
	} while (0)
	for (i = 0; i < p->n; i++) {
		const struct ike_prop_pl *pp = &p->prop[i];
		bool first_type = true;

		if (pp->proto != proto)
			continue;
		PUT("%s#%u ", shown++ ? "; " : "", pp->num);
		for (k = 0; k < sizeof(order); k++) {
			bool first = true;

			for (j = 0; j < pp->n_xf; j++) {
				if (pp->xf[j].type != order[k])
					continue;
				xf_str(&pp->xf[j], one, sizeof(one));
				PUT("%s%s", first ? (first_type ? "" : "/") : ",", one);
				first = false;
				first_type = false;
			}
		}
	}
	if (!shown)
		PUT("none");
#undef PUT
	return buf;
}
