/* SPDX-License-Identifier: MIT */
/* ike_msg: IKEv2 message and payload codec over struct rd (RFC 7296 3). */
#include "ike_msg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "rd.h"

#include "banned.h"

int
ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h)
{
	struct rd r;

	rd_init(&r, buf, len);
	if (!rd_be64(&r, &h->spi_i) || !rd_be64(&r, &h->spi_r) || !rd_u8(&r, &h->next) ||
	    !rd_u8(&r, &h->version) || !rd_u8(&r, &h->exchange) || !rd_u8(&r, &h->flags) ||
	    !rd_be32(&r, &h->msgid) || !rd_be32(&r, &h->length))
		return -EBADMSG;
	/* RFC 7296 3.1: major version 2; the length covers the datagram. */
	if ((h->version >> 4) != 2)
		return -EPROTONOSUPPORT;
	if (h->length != len || h->length < IKE_HDR_LEN)
		return -EBADMSG;
	return 0;
}

static bool
known_type(uint8_t t)
{
	switch (t) {
	case IKE_PL_SA:
	case IKE_PL_KE:
	case IKE_PL_IDI:
	case IKE_PL_IDR:
	case IKE_PL_CERT:
	case IKE_PL_CERTREQ:
	case IKE_PL_AUTH:
	case IKE_PL_NONCE:
	case IKE_PL_NOTIFY:
	case IKE_PL_DELETE:
	case IKE_PL_VENDOR:
	case IKE_PL_TSI:
	case IKE_PL_TSR:
	case IKE_PL_SK:
	case IKE_PL_CP:
	case IKE_PL_EAP:
	case IKE_PL_SKF:
		return true;
	}
	return false;
}

int
ike_plds_parse(uint8_t first, const uint8_t *p, size_t len, size_t base, struct ike_plds *out)
{
	struct rd r;
	uint8_t type = first;

	memset(out, 0, sizeof(*out));
	rd_init(&r, p, len);
	while (type != IKE_PL_NONE) {
		size_t hdr_off = len - r.left;
		uint8_t next, flags;
		uint16_t plen;
		struct rd body;

		/* RFC 7296 3.2: header fits, covers itself, fits what remains. */
		if (!rd_u8(&r, &next) || !rd_u8(&r, &flags) || !rd_be16(&r, &plen))
			return -EBADMSG;
		if (plen < IKE_PLD_HDR_LEN || !rd_sub(&r, plen - IKE_PLD_HDR_LEN, &body))
			return -EBADMSG;
		if (type == IKE_PL_SK) {
			/* The SK payload is last and runs to the end (3.14). */
			if (r.left != 0)
				return -EBADMSG;
			out->has_sk = true;
			out->sk_off = base + hdr_off;
			out->sk_first = next;
			return 0;
		}
		if (!known_type(type)) {
			if ((flags & IKE_PLD_CRITICAL) && !out->unknown_critical)
				out->unknown_critical = type;
		} else {
			if (out->n >= IKE_MAX_PLDS)
				return -EBADMSG;
			out->pld[out->n++] = (struct ike_pld){ type,
				(flags & IKE_PLD_CRITICAL) != 0, body.p, body.left };
		}
		type = next;
	}
	/* Trailing bytes after the last payload are malformed. */
	return r.left == 0 ? 0 : -EBADMSG;
}

const struct ike_pld *
ike_plds_find(const struct ike_plds *pl, uint8_t type)
{
	return ike_plds_next(pl, NULL, type);
}

const struct ike_pld *
ike_plds_next(const struct ike_plds *pl, const struct ike_pld *after, uint8_t type)
{
	unsigned i = after ? (unsigned)(after - pl->pld) + 1 : 0;

	for (; i < pl->n; i++)
		if (pl->pld[i].type == type)
			return &pl->pld[i];
	return NULL;
}

/* RFC 7296 3.3.2 / 3.3.5: one transform and its attributes. */
static int
xform_parse(struct rd *body, uint8_t type, uint16_t id, struct ike_xf *xf)
{
	xf->type = type;
	xf->id = id;
	xf->keylen = 0;
	xf->unusable = false;
	while (body->left) {
		uint16_t at, av;

		if (!rd_be16(body, &at) || !rd_be16(body, &av))
			return -EBADMSG;
		if (at & IKE_ATTR_AF) {
			if ((at & 0x7fff) == IKE_ATTR_KEYLEN && !xf->keylen)
				xf->keylen = av;
			else
				xf->unusable = true;
		} else {
			/* TLV attribute: none is defined for IKEv2; skip it. */
			if (!rd_skip(body, av))
				return -EBADMSG;
			xf->unusable = true;
		}
	}
	return 0;
}

/* RFC 7296 3.3.1: one proposal from its own sub-reader. */
static int
prop_parse(struct rd *r, struct ike_prop_pl *pp)
{
	uint8_t n_xf, i;

	if (!rd_u8(r, &pp->num) || !rd_u8(r, &pp->proto) || !rd_u8(r, &pp->spi_len) ||
	    !rd_u8(r, &n_xf))
		return -EBADMSG;
	if (pp->spi_len > sizeof(pp->spi) || !rd_bytes(r, pp->spi, pp->spi_len))
		return -EBADMSG;
	pp->n_xf = 0;
	for (i = 0; i < n_xf; i++) {
		uint8_t last, res, type, res2;
		uint16_t tlen, id;
		struct rd body;

		if (!rd_u8(r, &last) || !rd_u8(r, &res) || !rd_be16(r, &tlen))
			return -EBADMSG;
		if (tlen < 8 || !rd_sub(r, tlen - 4, &body))
			return -EBADMSG;
		if (!rd_u8(&body, &type) || !rd_u8(&body, &res2) || !rd_be16(&body, &id))
			return -EBADMSG;
		if ((i + 1 == n_xf) != (last == 0) || (last != 0 && last != 3))
			return -EBADMSG;
		if (pp->n_xf >= IKE_MAX_XFORMS)
			return -EBADMSG;
		if (xform_parse(&body, type, id, &pp->xf[pp->n_xf]) < 0)
			return -EBADMSG;
		pp->n_xf++;
	}
	return r->left == 0 ? 0 : -EBADMSG;
}

int
ike_sa_pl_parse(const struct ike_pld *pl, struct ike_sa_pl *out)
{
	struct rd r;
	uint8_t last = 2;

	out->n = 0;
	out->skipped = 0;
	rd_init(&r, pl->p, pl->len);
	while (last != 0) {
		uint8_t res;
		uint16_t plen;
		struct rd body;
		struct ike_prop_pl *pp, extra;

		if (!rd_u8(&r, &last) || !rd_u8(&r, &res) || !rd_be16(&r, &plen))
			return -EBADMSG;
		if ((last != 0 && last != 2) || plen < 8 || !rd_sub(&r, plen - 4, &body))
			return -EBADMSG;
		/* More proposals than we keep: the rest are still parsed (a
		 * malformed one makes the payload invalid), then dropped; they
		 * cannot be chosen, which is no error. */
		pp = out->n < IKE_MAX_PROPS ? &out->prop[out->n] : &extra;
		if (prop_parse(&body, pp) < 0)
			return -EBADMSG;
		/* 3.3.1: offers are numbered 1, 2, ...; an answer carries the
		 * number of the offer it accepts, so only 0 is wrong here. */
		if (pp->num == 0)
			return -EBADMSG;
		if (out->n < IKE_MAX_PROPS)
			out->n++;
		else
			out->skipped++;
	}
	return r.left == 0 && out->n > 0 ? 0 : -EBADMSG;
}

int
ike_notify_parse(const struct ike_pld *pl, struct ike_notify_pl *out)
{
	struct rd r;

	rd_init(&r, pl->p, pl->len);
	if (!rd_u8(&r, &out->proto) || !rd_u8(&r, &out->spi_len) || !rd_be16(&r, &out->type))
		return -EBADMSG;
	if (!rd_view(&r, out->spi_len, &out->spi))
		return -EBADMSG;
	out->len = r.left;
	out->data = r.p;
	return 0;
}

int
ike_ke_parse(const struct ike_pld *pl, struct ike_ke_pl *out)
{
	struct rd r;
	uint16_t res;

	rd_init(&r, pl->p, pl->len);
	if (!rd_be16(&r, &out->group) || !rd_be16(&r, &res) || r.left == 0)
		return -EBADMSG;
	out->data = r.p;
	out->len = r.left;
	return 0;
}

int
ike_nonce_parse(const struct ike_pld *pl, const uint8_t **nonce, size_t *len)
{
	/* RFC 7296 3.9: 16 to 256 bytes. */
	if (pl->len < IKE_NONCE_MIN || pl->len > IKE_NONCE_MAX)
		return -EBADMSG;
	*nonce = pl->p;
	*len = pl->len;
	return 0;
}

int
ike_id_parse(const struct ike_pld *pl, struct ike_id *out)
{
	struct rd r;
	uint8_t type, res[3];

	rd_init(&r, pl->p, pl->len);
	if (!rd_u8(&r, &type) || !rd_bytes(&r, res, 3))
		return -EBADMSG;
	return ike_id_set(out, type, r.p, r.left);
}

int
ike_auth_parse(const struct ike_pld *pl, struct ike_auth_pl *out)
{
	struct rd r;
	uint8_t res[3];

	rd_init(&r, pl->p, pl->len);
	if (!rd_u8(&r, &out->method) || !rd_bytes(&r, res, 3) || r.left == 0)
		return -EBADMSG;
	out->data = r.p;
	out->len = r.left;
	return 0;
}

int
ike_delete_parse(const struct ike_pld *pl, struct ike_delete_pl *out)
{
	struct rd r;

	rd_init(&r, pl->p, pl->len);
	if (!rd_u8(&r, &out->proto) || !rd_u8(&r, &out->spi_len) || !rd_be16(&r, &out->n))
		return -EBADMSG;
	/* RFC 7296 3.11: IKE deletes carry no SPI; ESP/AH SPIs are 4 bytes. */
	if (out->proto == IKE_PROTO_IKE) {
		if (out->spi_len != 0 && out->spi_len != 8)
			return -EBADMSG;
	} else if (out->proto == IKE_PROTO_ESP || out->proto == IKE_PROTO_AH) {
		if (out->spi_len != 4)
			return -EBADMSG;
	} else {
		return -EBADMSG;
	}
	if ((size_t)out->n * out->spi_len != r.left)
		return -EBADMSG;
	out->spis = r.p;
	return 0;
}

uint32_t
ike_delete_spi(const struct ike_delete_pl *d, unsigned i)
{
	const uint8_t *p = d->spis + (size_t)i * 4;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int
ike_ts_parse(const struct ike_pld *pl, struct ike_ts *out, unsigned max, unsigned *n)
{
	struct rd r;
	uint8_t count, res[3], i;
	int rc = 0;

	*n = 0;
	rd_init(&r, pl->p, pl->len);
	if (!rd_u8(&r, &count) || !rd_bytes(&r, res, 3) || count == 0)
		return -EBADMSG;
	for (i = 0; i < count; i++) {
		uint8_t type, proto;
		uint16_t len;
		struct rd body;
		struct ike_ts ts;
		size_t alen;

		if (!rd_u8(&r, &type) || !rd_u8(&r, &proto) || !rd_be16(&r, &len))
			return -EBADMSG;
		if (len < 4 || !rd_sub(&r, len - 4u, &body))
			return -EBADMSG;
		if (type != IKE_TS_IPV4_RANGE && type != IKE_TS_IPV6_RANGE) {
			rc = -ENOTSUP; /* noted, the rest still parsed */
			continue;
		}
		alen = type == IKE_TS_IPV4_RANGE ? 4 : 16;
		memset(&ts, 0, sizeof(ts));
		ts.family = type == IKE_TS_IPV4_RANGE ? AF_INET : AF_INET6;
		ts.proto = proto;
		ts.lo.family = ts.hi.family = ts.family;
		if (!rd_be16(&body, &ts.port_lo) || !rd_be16(&body, &ts.port_hi) ||
		    !rd_bytes(&body, ts.lo.b, alen) || !rd_bytes(&body, ts.hi.b, alen) ||
		    body.left != 0)
			return -EBADMSG;
		if (*n >= max)
			return -EBADMSG;
		out[(*n)++] = ts;
	}
	if (r.left != 0)
		return -EBADMSG;
	return rc;
}

int
ike_cp_parse(const struct ike_pld *pl, struct ike_cp_pl *out)
{
	struct rd r;
	uint8_t res[3];

	rd_init(&r, pl->p, pl->len);
	if (!rd_u8(&r, &out->type) || !rd_bytes(&r, res, 3))
		return -EBADMSG;
	out->n_attrs = 0;
	while (r.left) {
		uint16_t type, len;

		if (!rd_be16(&r, &type) || !rd_be16(&r, &len) || !rd_skip(&r, len))
			return -EBADMSG;
		out->n_attrs++;
	}
	return 0;
}

bool
ike_plds_notify(const struct ike_plds *pl, uint16_t type, struct ike_notify_pl *out)
{
	const struct ike_pld *p;

	for (p = ike_plds_find(pl, IKE_PL_NOTIFY); p; p = ike_plds_next(pl, p, IKE_PL_NOTIFY))
		if (ike_notify_parse(p, out) == 0 && out->type == type)
			return true;
	return false;
}

uint16_t
ike_plds_error(const struct ike_plds *pl)
{
	const struct ike_pld *p;
	struct ike_notify_pl n;

	for (p = ike_plds_find(pl, IKE_PL_NOTIFY); p; p = ike_plds_next(pl, p, IKE_PL_NOTIFY))
		if (ike_notify_parse(p, &n) == 0 && n.type > 0 && n.type <= IKE_N_ERROR_MAX)
			return n.type;
	return 0;
}

size_t
ike_id_body(const struct ike_id *id, uint8_t *out, size_t cap)
{
	if (cap < 4u + id->len)
		return 0;
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	return 4u + id->len;
}

/* ---- encoder -------------------------------------------------------------- */

void
ike_enc_init(struct ike_enc *e, uint8_t *buf, size_t cap)
{
	e->buf = buf;
	e->cap = cap;
	e->len = 0;
	e->next_at = SIZE_MAX;
	e->overflow = false;
}

static bool
room(struct ike_enc *e, size_t n)
{
	if (e->overflow || e->cap - e->len < n) {
		e->overflow = true;
		return false;
	}
	return true;
}

void
ike_enc_bytes(struct ike_enc *e, const void *p, size_t n)
{
	if (!room(e, n))
		return;
	if (n)
		memcpy(e->buf + e->len, p, n);
	e->len += n;
}

void
ike_enc_u8(struct ike_enc *e, uint8_t v)
{
	ike_enc_bytes(e, &v, 1);
}

void
ike_enc_be16(struct ike_enc *e, uint16_t v)
{
	uint8_t b[2];

	wr_be16(b, v);
	ike_enc_bytes(e, b, 2);
}

void
ike_enc_be32(struct ike_enc *e, uint32_t v)
{
	uint8_t b[4];

	wr_be32(b, v);
	ike_enc_bytes(e, b, 4);
}

void
ike_enc_hdr(struct ike_enc *e, const struct ike_hdr *h)
{
	uint8_t b[IKE_HDR_LEN];

	wr_be64(b, h->spi_i);
	wr_be64(b + 8, h->spi_r);
	b[16] = IKE_PL_NONE;
	b[17] = IKE_VERSION;
	b[18] = h->exchange;
	b[19] = h->flags;
	wr_be32(b + 20, h->msgid);
	wr_be32(b + 24, IKE_HDR_LEN);
	ike_enc_bytes(e, b, sizeof(b));
	e->next_at = 16;
}

size_t
ike_enc_begin(struct ike_enc *e, uint8_t type)
{
	size_t start = e->len;

	if (!room(e, IKE_PLD_HDR_LEN))
		return start;
	if (e->next_at != SIZE_MAX)
		e->buf[e->next_at] = type;
	e->next_at = start;
	ike_enc_u8(e, IKE_PL_NONE);
	ike_enc_u8(e, 0); /* critical bit clear for every payload we send */
	ike_enc_be16(e, IKE_PLD_HDR_LEN);
	return start;
}

void
ike_enc_end(struct ike_enc *e, size_t start)
{
	size_t len = e->len - start;

	if (e->overflow)
		return;
	if (len > UINT16_MAX) {
		e->overflow = true;
		return;
	}
	wr_be16(e->buf + start + 2, (uint16_t)len);
}

size_t
ike_enc_sk_begin(struct ike_enc *e, size_t iv_len)
{
	size_t start = ike_enc_begin(e, IKE_PL_SK);

	if (room(e, iv_len)) {
		memset(e->buf + e->len, 0, iv_len);
		e->len += iv_len;
	}
	/* Inner payloads chain from the SK header's next field (3.14). */
	e->next_at = start;
	return start;
}

int
ike_enc_finish(struct ike_enc *e, size_t *len)
{
	if (e->overflow || e->len < IKE_HDR_LEN)
		return -EMSGSIZE;
	wr_be32(e->buf + 24, (uint32_t)e->len);
	*len = e->len;
	return 0;
}

static void
enc_xform(struct ike_enc *e, bool last, uint8_t type, uint16_t id, uint16_t keylen)
{
	ike_enc_u8(e, last ? 0 : 3);
	ike_enc_u8(e, 0);
	ike_enc_be16(e, keylen ? 12 : 8);
	ike_enc_u8(e, type);
	ike_enc_u8(e, 0);
	ike_enc_be16(e, id);
	if (keylen) {
		ike_enc_be16(e, IKE_ATTR_AF | IKE_ATTR_KEYLEN);
		ike_enc_be16(e, keylen);
	}
}

void
ike_enc_sa(struct ike_enc *e, const struct ike_offer *offers, unsigned n)
{
	size_t start = ike_enc_begin(e, IKE_PL_SA);
	unsigned i;

	for (i = 0; i < n; i++) {
		const struct ike_offer *o = &offers[i];
		const struct ike_suite *s = &o->s;
		struct {
			uint8_t type;
			uint16_t id, keylen;
		} xf[5];
		unsigned k = 0, j;
		size_t pstart = e->len;

		xf[k++] = (typeof(xf[0])){ IKE_XF_ENCR, s->encr, s->encr_bits };
		if (o->proto == IKE_PROTO_IKE)
			xf[k++] = (typeof(xf[0])){ IKE_XF_PRF, s->prf, 0 };
		if (!ike_encr_is_aead(s->encr))
			xf[k++] = (typeof(xf[0])){ IKE_XF_INTEG, s->integ, 0 };
		if (s->dh)
			xf[k++] = (typeof(xf[0])){ IKE_XF_DH, s->dh, 0 };
		if (o->proto == IKE_PROTO_ESP)
			xf[k++] = (typeof(xf[0])){ IKE_XF_ESN, s->esn, 0 };

		ike_enc_u8(e, i + 1 == n ? 0 : 2);
		ike_enc_u8(e, 0);
		ike_enc_be16(e, 0); /* patched below */
		ike_enc_u8(e, o->num);
		ike_enc_u8(e, o->proto);
		ike_enc_u8(e, o->spi_len);
		ike_enc_u8(e, (uint8_t)k);
		ike_enc_bytes(e, o->spi, o->spi_len);
		for (j = 0; j < k; j++)
			enc_xform(e, j + 1 == k, xf[j].type, xf[j].id, xf[j].keylen);
		if (!e->overflow)
			wr_be16(e->buf + pstart + 2, (uint16_t)(e->len - pstart));
	}
	ike_enc_end(e, start);
}

void
ike_enc_ke(struct ike_enc *e, uint16_t group, const uint8_t *pub, size_t len)
{
	size_t start = ike_enc_begin(e, IKE_PL_KE);

	ike_enc_be16(e, group);
	ike_enc_be16(e, 0);
	ike_enc_bytes(e, pub, len);
	ike_enc_end(e, start);
}

void
ike_enc_nonce(struct ike_enc *e, const uint8_t *n, size_t len)
{
	size_t start = ike_enc_begin(e, IKE_PL_NONCE);

	ike_enc_bytes(e, n, len);
	ike_enc_end(e, start);
}

void
ike_enc_notify(struct ike_enc *e, uint8_t proto, const uint8_t *spi, size_t spi_len, uint16_t type,
    const uint8_t *data, size_t len)
{
	size_t start = ike_enc_begin(e, IKE_PL_NOTIFY);

	ike_enc_u8(e, proto);
	ike_enc_u8(e, (uint8_t)spi_len);
	ike_enc_be16(e, type);
	ike_enc_bytes(e, spi, spi_len);
	ike_enc_bytes(e, data, len);
	ike_enc_end(e, start);
}

void
ike_enc_id(struct ike_enc *e, uint8_t pld_type, const struct ike_id *id)
{
	size_t start = ike_enc_begin(e, pld_type);
	uint8_t zero[3] = { 0 };

	ike_enc_u8(e, id->type);
	ike_enc_bytes(e, zero, 3);
	ike_enc_bytes(e, id->data, id->len);
	ike_enc_end(e, start);
}

void
ike_enc_auth(struct ike_enc *e, uint8_t method, const uint8_t *data, size_t len)
{
	size_t start = ike_enc_begin(e, IKE_PL_AUTH);
	uint8_t zero[3] = { 0 };

	ike_enc_u8(e, method);
	ike_enc_bytes(e, zero, 3);
	ike_enc_bytes(e, data, len);
	ike_enc_end(e, start);
}

void
ike_enc_delete(struct ike_enc *e, uint8_t proto, const uint32_t *spis, unsigned n)
{
	size_t start = ike_enc_begin(e, IKE_PL_DELETE);
	unsigned i;

	ike_enc_u8(e, proto);
	ike_enc_u8(e, proto == IKE_PROTO_IKE ? 0 : 4);
	ike_enc_be16(e, (uint16_t)(proto == IKE_PROTO_IKE ? 0 : n));
	if (proto != IKE_PROTO_IKE)
		for (i = 0; i < n; i++)
			ike_enc_be32(e, spis[i]);
	ike_enc_end(e, start);
}

void
ike_enc_ts(struct ike_enc *e, uint8_t pld_type, const struct ike_ts *ts, unsigned n)
{
	size_t start = ike_enc_begin(e, pld_type);
	uint8_t zero[3] = { 0 };
	unsigned i;

	ike_enc_u8(e, (uint8_t)n);
	ike_enc_bytes(e, zero, 3);
	for (i = 0; i < n; i++) {
		bool v6 = ts[i].family == AF_INET6;
		size_t alen = v6 ? 16 : 4;

		ike_enc_u8(e, v6 ? IKE_TS_IPV6_RANGE : IKE_TS_IPV4_RANGE);
		ike_enc_u8(e, ts[i].proto);
		ike_enc_be16(e, (uint16_t)(8 + 2 * alen));
		ike_enc_be16(e, ts[i].port_lo);
		ike_enc_be16(e, ts[i].port_hi);
		ike_enc_bytes(e, ts[i].lo.b, alen);
		ike_enc_bytes(e, ts[i].hi.b, alen);
	}
	ike_enc_end(e, start);
}

void
ike_enc_vendor(struct ike_enc *e, const uint8_t *data, size_t len)
{
	size_t start = ike_enc_begin(e, IKE_PL_VENDOR);

	ike_enc_bytes(e, data, len);
	ike_enc_end(e, start);
}

void
ike_enc_cp(struct ike_enc *e, uint8_t cfg_type, const uint16_t *attr_types, unsigned n)
{
	size_t start = ike_enc_begin(e, IKE_PL_CP);
	uint8_t zero[3] = { 0 };
	unsigned i;

	ike_enc_u8(e, cfg_type);
	ike_enc_bytes(e, zero, 3);
	for (i = 0; i < n; i++) {
		ike_enc_be16(e, attr_types[i] & 0x7fff);
		ike_enc_be16(e, 0);
	}
	ike_enc_end(e, start);
}

const char *
ike_exchange_str(uint8_t x)
{
	switch (x) {
	case IKE_X_SA_INIT:
		return "IKE_SA_INIT";
	case IKE_X_AUTH:
		return "IKE_AUTH";
	case IKE_X_CREATE_CHILD_SA:
		return "CREATE_CHILD_SA";
	case IKE_X_INFORMATIONAL:
		return "INFORMATIONAL";
	}
	return "UNKNOWN";
}

const char *
ike_notify_str(uint16_t type)
{
	switch (type) {
	case IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD:
		return "UNSUPPORTED_CRITICAL_PAYLOAD";
	case IKE_N_INVALID_IKE_SPI:
		return "INVALID_IKE_SPI";
	case IKE_N_INVALID_MAJOR_VERSION:
		return "INVALID_MAJOR_VERSION";
	case IKE_N_INVALID_SYNTAX:
		return "INVALID_SYNTAX";
	case IKE_N_INVALID_MESSAGE_ID:
		return "INVALID_MESSAGE_ID";
	case IKE_N_INVALID_SPI:
		return "INVALID_SPI";
	case IKE_N_NO_PROPOSAL_CHOSEN:
		return "NO_PROPOSAL_CHOSEN";
	case IKE_N_INVALID_KE_PAYLOAD:
		return "INVALID_KE_PAYLOAD";
	case IKE_N_AUTHENTICATION_FAILED:
		return "AUTHENTICATION_FAILED";
	case IKE_N_SINGLE_PAIR_REQUIRED:
		return "SINGLE_PAIR_REQUIRED";
	case IKE_N_NO_ADDITIONAL_SAS:
		return "NO_ADDITIONAL_SAS";
	case IKE_N_INTERNAL_ADDRESS_FAILURE:
		return "INTERNAL_ADDRESS_FAILURE";
	case IKE_N_FAILED_CP_REQUIRED:
		return "FAILED_CP_REQUIRED";
	case IKE_N_TS_UNACCEPTABLE:
		return "TS_UNACCEPTABLE";
	case IKE_N_INVALID_SELECTORS:
		return "INVALID_SELECTORS";
	case IKE_N_TEMPORARY_FAILURE:
		return "TEMPORARY_FAILURE";
	case IKE_N_CHILD_SA_NOT_FOUND:
		return "CHILD_SA_NOT_FOUND";
	case IKE_N_INITIAL_CONTACT:
		return "INITIAL_CONTACT";
	case IKE_N_NAT_DETECTION_SOURCE_IP:
		return "NAT_DETECTION_SOURCE_IP";
	case IKE_N_NAT_DETECTION_DESTINATION_IP:
		return "NAT_DETECTION_DESTINATION_IP";
	case IKE_N_COOKIE:
		return "COOKIE";
	case IKE_N_USE_TRANSPORT_MODE:
		return "USE_TRANSPORT_MODE";
	case IKE_N_REKEY_SA:
		return "REKEY_SA";
	}
	return "UNKNOWN";
}

const char *
ike_pld_str(uint8_t type)
{
	static const char *const names[] = { "SA", "KE", "IDi", "IDr", "CERT", "CERTREQ", "AUTH",
		"No", "N", "D", "V", "TSi", "TSr", "SK", "CP", "EAP" };

	if (type >= IKE_PL_SA && type <= IKE_PL_EAP)
		return names[type - IKE_PL_SA];
	if (type == IKE_PL_SKF)
		return "SKF";
	return "?";
}
