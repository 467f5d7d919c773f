/* SPDX-License-Identifier: MIT */
/* ike_dp: the adapter between the IKE engine and dp.h. */
#include "ike_dp.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dp.h"
#include "ike_wire.h"

#include "banned.h"

static void
to_dp_addr(const struct ike_addr *a, struct dp_addr *d)
{
	memset(d, 0, sizeof(*d));
	d->family = a->family;
	memcpy(d->u.b, a->b, sizeof(d->u.b));
}

static void
from_dp_addr(const struct dp_addr *d, struct ike_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = d->family;
	memcpy(a->b, d->u.b, sizeof(a->b));
}

static void
to_dp_ts(const struct ike_ts *t, struct dp_ts *d)
{
	memset(d, 0, sizeof(*d));
	d->family = t->family;
	d->proto = t->proto;
	d->port_lo = t->port_lo;
	d->port_hi = t->port_hi;
	to_dp_addr(&t->lo, &d->addr_lo);
	to_dp_addr(&t->hi, &d->addr_hi);
}

static bool
enc_map(uint16_t encr, uint16_t bits, enum dp_enc *out)
{
	if (encr == IKE_ENCR_AES_GCM_16 && bits == 128)
		*out = DP_ENC_AES_GCM_128;
	else if (encr == IKE_ENCR_AES_GCM_16 && bits == 256)
		*out = DP_ENC_AES_GCM_256;
	else if (encr == IKE_ENCR_AES_CBC && bits == 128)
		*out = DP_ENC_AES_CBC_128;
	else if (encr == IKE_ENCR_AES_CBC && bits == 256)
		*out = DP_ENC_AES_CBC_256;
	else
		return false;
	return true;
}

static bool
integ_map(uint16_t integ, enum dp_integ *out)
{
	switch (integ) {
	case IKE_INTEG_NONE:
		*out = DP_INTEG_NONE;
		return true;
	case IKE_INTEG_HMAC_SHA2_256_128:
		*out = DP_INTEG_HMAC_SHA256_128;
		return true;
	case IKE_INTEG_HMAC_SHA2_384_192:
		*out = DP_INTEG_HMAC_SHA384_192;
		return true;
	case IKE_INTEG_HMAC_SHA2_512_256:
		*out = DP_INTEG_HMAC_SHA512_256;
		return true;
	}
	return false;
}

bool
ike_dp_suite_ok(const struct ike_suite *s)
{
	enum dp_enc e;
	enum dp_integ i;

	if (!enc_map(s->encr, s->encr_bits, &e) || !integ_map(s->integ, &i))
		return false;
	return ike_encr_is_aead(s->encr) == (s->integ == IKE_INTEG_NONE);
}

int
ike_dp_spi_alloc(struct ike_dp *dp, const struct ike_addr *local, const struct ike_addr *remote,
    uint32_t spu, uint32_t *spi, struct errbuf *err)
{
	struct dp_addr l, r;

	to_dp_addr(local, &l);
	to_dp_addr(remote, &r);
	return dp_spi_alloc(dp->dp, &l, &r, spu, spi, err);
}

static int
fill_dp_sa(const struct ike_dp_sa *s, struct dp_sa *d, struct errbuf *err)
{
	memset(d, 0, sizeof(*d));
	if (!enc_map(s->encr, s->encr_bits, &d->enc) || !integ_map(s->integ, &d->integ))
		return errbuf_set(
		    err, -EINVAL, "SA %08x: transform not supported by the dataplane", s->spi);
	if (s->enc_key_len > sizeof(d->enc_key) || s->integ_key_len > sizeof(d->integ_key))
		return -EINVAL;
	d->spi = s->spi;
	d->dir = s->inbound ? DP_DIR_IN : DP_DIR_OUT;
	d->tunnel_id = s->tunnel_id;
	d->reqid = s->tunnel_id;
	to_dp_addr(&s->local, &d->local);
	to_dp_addr(&s->remote, &d->remote);
	if (s->encap) {
		d->flags |= DP_SA_HAS_ENCAP;
		d->encap_local_port = s->encap_local_port;
		d->encap_remote_port = s->encap_remote_port;
	}
	if (s->esn)
		d->flags |= DP_SA_ESN;
	if (s->copy_dscp)
		d->flags |= DP_SA_COPY_DSCP;
	d->enc_key_len = s->enc_key_len;
	memcpy(d->enc_key, s->enc_key, s->enc_key_len);
	d->integ_key_len = s->integ_key_len;
	memcpy(d->integ_key, s->integ_key, s->integ_key_len);
	d->replay_window = s->inbound ? s->replay_window : 0;
	d->df = s->df == IKE_DF_SET ? DP_DF_SET : s->df == IKE_DF_COPY ? DP_DF_COPY : DP_DF_CLEAR;
	if (s->soft_bytes || s->hard_bytes) {
		d->flags |= DP_SA_HAS_LIFETIME;
		d->life.soft_bytes = s->soft_bytes;
		d->life.hard_bytes = s->hard_bytes;
	}
	d->spu = DP_SPU_ANY; /* the dataplane puts it on its tunnel's SPU */
	return 0;
}

int
ike_dp_sa_add(struct ike_dp *dp, const struct ike_dp_sa *s, struct errbuf *err)
{
	struct dp_sa d;
	int rc = fill_dp_sa(s, &d, err);

	if (rc == 0)
		rc = dp_sa_add(dp->dp, &d, err);
	explicit_bzero(&d, sizeof(d));
	return rc;
}

void
ike_dp_batch_begin(struct ike_dp *dp)
{
	if (dp->batching)
		return;
	dp->batching = true;
	dp_batch_begin(dp->dp);
}

int
ike_dp_batch_end(struct ike_dp *dp, struct errbuf *err)
{
	if (!dp->batching)
		return 0;
	dp->batching = false;
	return dp_batch_end(dp->dp, err);
}

int
ike_dp_sa_update_remote(struct ike_dp *dp, const struct ike_dp_sa *s, struct errbuf *err)
{
	struct dp_sa d;
	int rc = fill_dp_sa(s, &d, err);

	if (rc == 0)
		rc = dp_sa_update(dp->dp, &d, DP_SA_UPD_REMOTE, err);
	explicit_bzero(&d, sizeof(d));
	return rc;
}

int
ike_dp_sa_del(struct ike_dp *dp, uint32_t spi, bool inbound, const struct ike_addr *dst)
{
	struct dp_addr d;

	to_dp_addr(dst, &d);
	return dp_sa_del(dp->dp, spi, inbound ? DP_DIR_IN : DP_DIR_OUT, &d, NULL);
}

int
ike_dp_sa_stats(struct ike_dp *dp, uint32_t spi, bool inbound, const struct ike_addr *dst,
    struct ike_dp_stats *out)
{
	struct dp_sa_stats s;
	struct dp_addr d;
	int rc;

	to_dp_addr(dst, &d);
	rc = dp_sa_stats(dp->dp, spi, inbound ? DP_DIR_IN : DP_DIR_OUT, &d, &s, NULL);
	if (rc == 0) {
		out->packets = s.packets;
		out->bytes = s.bytes;
		out->last_used = s.last_used;
	}
	return rc;
}

int
ike_dp_tunnel_set(
    struct ike_dp *dp, const struct ike_dp_tunnel *t, uint32_t *spu, struct errbuf *err)
{
	struct dp_tunnel d;
	unsigned i;

	memset(&d, 0, sizeof(d));
	if (t->n_local > DP_TS_MAX || t->n_remote > DP_TS_MAX)
		return errbuf_set(err, -E2BIG, "tunnel %u: too many traffic selectors", t->id);
	d.id = t->id;
	d.unit = t->unit == IKE_UNIT_NONE ? DP_UNIT_NONE : t->unit;
	d.spu = t->spu == IKE_SPU_ANY ? DP_SPU_ANY : t->spu;
	to_dp_addr(&t->local_gw, &d.local_gw);
	to_dp_addr(&t->remote_gw, &d.remote_gw);
	d.ike_sa_id = t->anchor_id;
	d.dynamic = t->dynamic;
	d.n_local_ts = t->n_local;
	d.n_remote_ts = t->n_remote;
	for (i = 0; i < t->n_local; i++)
		to_dp_ts(&t->local[i], &d.local_ts[i]);
	for (i = 0; i < t->n_remote; i++)
		to_dp_ts(&t->remote[i], &d.remote_ts[i]);
	d.on_traffic = t->on_traffic;
	to_dp_addr(&t->nexthop, &d.nexthop);
	return dp_tunnel_set(dp->dp, &d, spu, err);
}

int
ike_dp_tunnel_del(struct ike_dp *dp, uint32_t id)
{
	return dp_tunnel_del(dp->dp, id, NULL);
}

int
ike_dp_tunnel_spu(struct ike_dp *dp, uint32_t id, uint32_t *spu)
{
	return dp_tunnel_spu(dp->dp, id, spu);
}

int
ike_dp_anchor_move(struct ike_dp *dp, const struct ike_addr *local, const struct ike_addr *remote,
    uint32_t spu, uint32_t *moved, struct errbuf *err)
{
	struct dp_addr l, r;

	to_dp_addr(local, &l);
	to_dp_addr(remote, &r);
	return dp_anchor_move(dp->dp, &l, &r, spu, moved, err);
}

int
ike_dp_anchor_pin(
    struct ike_dp *dp, const struct ike_addr *local, const struct ike_addr *remote, uint32_t *spu)
{
	struct dp_addr l, r;

	to_dp_addr(local, &l);
	to_dp_addr(remote, &r);
	return dp_anchor_pin(dp->dp, &l, &r, spu);
}

int
ike_dp_event_from(const struct dp_event *in, struct ike_dp_event *out)
{
	memset(out, 0, sizeof(*out));
	switch (in->type) {
	case DP_EV_ACQUIRE:
		out->type = IKE_DPE_ACQUIRE;
		break;
	case DP_EV_SOFT_EXPIRE:
		out->type = IKE_DPE_SOFT_EXPIRE;
		break;
	case DP_EV_HARD_EXPIRE:
		out->type = IKE_DPE_HARD_EXPIRE;
		break;
	case DP_EV_ERROR:
		out->type = IKE_DPE_ERROR;
		break;
	default:
		return -EINVAL;
	}
	out->tunnel_id = in->tunnel_id;
	out->spi = in->spi;
	out->inbound = in->dir == DP_DIR_IN;
	memcpy(out->msg, in->msg, sizeof(out->msg));
	out->msg[sizeof(out->msg) - 1] = '\0';
	return 0;
}

int
ike_dp_event_read(struct ike_dp *dp, struct ike_dp_event *out)
{
	struct dp_event ev;
	int rc;

	rc = dp_event_read(dp->dp, &ev);
	if (rc < 0)
		return rc;
	return ike_dp_event_from(&ev, out);
}

int
ike_dp_ike_recv(struct ike_dp *dp, struct ike_dgram *d, uint8_t *buf, size_t cap)
{
	struct dp_ike_msg m;
	int rc;

	if (!dp_owns_natt_port(dp->dp))
		return -ENOTSUP;
	memset(&m, 0, sizeof(m));
	m.data = buf;
	m.cap = cap;
	rc = dp_ike_recv(dp->dp, &m);
	if (rc < 0)
		return rc;
	memset(d, 0, sizeof(*d));
	from_dp_addr(&m.local, &d->local.addr);
	from_dp_addr(&m.remote, &d->remote.addr);
	d->local.port = m.local_port;
	d->remote.port = m.remote_port;
	d->kind = IKE_DGRAM_IKE;
	d->data = buf;
	d->len = m.len;
	return 0;
}

int
ike_dp_ike_send(struct ike_dp *dp, const struct ike_dgram *d)
{
	struct dp_ike_msg m;

	if (!dp_owns_natt_port(dp->dp))
		return -ENOTSUP;
	memset(&m, 0, sizeof(m));
	to_dp_addr(&d->local.addr, &m.local);
	to_dp_addr(&d->remote.addr, &m.remote);
	m.local_port = d->local.port;
	m.remote_port = d->remote.port;
	m.data = (uint8_t *)d->data;
	m.len = m.cap = d->len;
	return dp_ike_send(dp->dp, &m);
}
