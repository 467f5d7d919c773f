/* SPDX-License-Identifier: MIT */
/*
 * ike_conf: the configuration mirror of [edit security ike|ipsec], its
 * resolution into what the engine runs, proposal-set expansion and the
 * checks that refuse what Cairn cannot do.
 */
#include "ike_conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ike_wire.h"
#include "strhash.h"
#include "xmem.h"

#include "banned.h"

/* ---- name index -------------------------------------------------------------- */

enum { L_IKE_PROP, L_IKE_POL, L_GW, L_ESP_PROP, L_ESP_POL, L_VPN, L_N };

struct name_tab {
	uint32_t *slot; /* entry index + 1, 0 = empty */
	size_t cap;     /* power of two */
	unsigned built_n;
};

struct ike_conf_idx {
	uint64_t gen;
	struct name_tab t[L_N];
};

static const char *
entry_name(const struct ike_conf *c, int l, unsigned i)
{
	switch (l) {
	case L_IKE_PROP:
		return c->ike_proposals[i].name;
	case L_IKE_POL:
		return c->ike_policies[i].name;
	case L_GW:
		return c->gateways[i].name;
	case L_ESP_PROP:
		return c->ipsec_proposals[i].name;
	case L_ESP_POL:
		return c->ipsec_policies[i].name;
	default:
		return c->vpns[i].name;
	}
}

static unsigned
entry_count(const struct ike_conf *c, int l)
{
	const unsigned n[L_N] = { c->n_ike_proposals, c->n_ike_policies, c->n_gateways,
		c->n_ipsec_proposals, c->n_ipsec_policies, c->n_vpns };

	return n[l];
}

static bool
tab_build(const struct ike_conf *c, int l, struct name_tab *t)
{
	unsigned n = entry_count(c, l), i;
	size_t cap = 16;

	while (cap < 2 * (size_t)n + 1)
		cap <<= 1;
	free(t->slot);
	t->slot = calloc(cap, sizeof(*t->slot));
	if (!t->slot) {
		t->cap = 0;
		return false;
	}
	t->cap = cap;
	for (i = 0; i < n; i++) {
		size_t j = strhash(entry_name(c, l, i)) & (cap - 1);

		while (t->slot[j])
			j = (j + 1) & (cap - 1);
		t->slot[j] = i + 1;
	}
	t->built_n = n;
	return true;
}

/* Index of a named entry, -1 when none. Rebuilt when the lists changed. */
static int
find_idx(const struct ike_conf *cc, int l, const char *name)
{
	struct ike_conf *c = (struct ike_conf *)cc; /* the index is a cache */
	struct name_tab *t;
	unsigned n = entry_count(c, l), i;
	size_t j;

	if (!c->idx)
		c->idx = calloc(1, sizeof(*c->idx));
	if (!c->idx) {
		for (i = 0; i < n; i++)
			if (strcmp(entry_name(c, l, i), name) == 0)
				return (int)i;
		return -1;
	}
	if (c->idx->gen != c->gen) {
		for (i = 0; i < L_N; i++)
			c->idx->t[i].built_n = UINT32_MAX;
		c->idx->gen = c->gen;
	}
	t = &c->idx->t[l];
	if ((t->built_n != n || !t->cap) && !tab_build(c, l, t))
		return -1;
	for (j = strhash(name) & (t->cap - 1); t->slot[j]; j = (j + 1) & (t->cap - 1))
		if (strcmp(entry_name(c, l, t->slot[j] - 1), name) == 0)
			return (int)(t->slot[j] - 1);
	return -1;
}

static void
idx_free(struct ike_conf *c)
{
	int i;

	if (!c->idx)
		return;
	for (i = 0; i < L_N; i++)
		free(c->idx->t[i].slot);
	free(c->idx);
	c->idx = NULL;
}

/* ---- mirror life cycle -------------------------------------------------- */

struct ike_conf *
ike_conf_new(void)
{
	struct ike_conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->half_open_timeout = 60;
	c->half_open_max = 10000;
	c->cookie_threshold = 500;
	c->anti_replay_window = 64;
	return c;
}

static void
key_free(struct ike_conf_key *k)
{
	xmem_free_str(k->ascii);
	xmem_free_str(k->hex);
	k->ascii = k->hex = NULL;
}

static void
gateway_fini(struct ike_conf_gateway *g)
{
	unsigned j;

	for (j = 0; j < g->n_address; j++)
		free(g->address[j]);
	free(g->dyn_id.value);
	free(g->local_id.value);
	free(g->remote_id.value);
	free(g->external_interface);
	free(g->local_address);
}

static void
vpn_fini(struct ike_conf_vpn *v)
{
	unsigned j;

	free(v->bind_interface);
	free(v->proxy_local);
	free(v->proxy_remote);
	free(v->proxy_service);
	free(v->nexthop);
	for (j = 0; j < v->n_ts; j++) {
		free(v->ts[j].local_ip);
		free(v->ts[j].remote_ip);
	}
	free(v->ts);
}

int
ike_conf_del_gateway(struct ike_conf *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->n_gateways; i++) {
		if (strcmp(c->gateways[i].name, name) != 0)
			continue;
		gateway_fini(&c->gateways[i]);
		c->gen++;
		memmove(&c->gateways[i], &c->gateways[i + 1],
		    (c->n_gateways - i - 1) * sizeof(c->gateways[0]));
		c->n_gateways--;
		return 0;
	}
	return -ENOENT;
}

int
ike_conf_del_vpn(struct ike_conf *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->n_vpns; i++) {
		if (strcmp(c->vpns[i].name, name) != 0)
			continue;
		vpn_fini(&c->vpns[i]);
		c->gen++;
		memmove(&c->vpns[i], &c->vpns[i + 1], (c->n_vpns - i - 1) * sizeof(c->vpns[0]));
		c->n_vpns--;
		return 0;
	}
	return -ENOENT;
}

void
ike_conf_free(struct ike_conf *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < c->n_ike_policies; i++)
		key_free(&c->ike_policies[i].psk);
	for (i = 0; i < c->n_gateways; i++)
		gateway_fini(&c->gateways[i]);
	for (i = 0; i < c->n_vpns; i++)
		vpn_fini(&c->vpns[i]);
	idx_free(c);
	free(c->ike_proposals);
	free(c->ike_policies);
	free(c->gateways);
	free(c->ipsec_proposals);
	free(c->ipsec_policies);
	free(c->vpns);
	free(c);
}

static void *grow(void **arr, unsigned *n, size_t size);

static void *
grow_entry(struct ike_conf *c, void **arr, unsigned *n, size_t size)
{
	c->gen++;
	return grow(arr, n, size);
}

static void *
grow(void **arr, unsigned *n, size_t size)
{
	char *p = realloc(*arr, (*n + 1) * size);

	if (!p)
		return NULL;
	*arr = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

static void
set_name(char *dst, const char *name)
{
	snprintf(dst, IKE_NAME_MAX + 1, "%s", name);
}

struct ike_conf_ike_proposal *
ike_conf_add_ike_proposal(struct ike_conf *c, const char *name)
{
	struct ike_conf_ike_proposal *p =
	    grow_entry(c, (void **)&c->ike_proposals, &c->n_ike_proposals, sizeof(*p));

	if (!p)
		return NULL;
	set_name(p->name, name);
	p->auth_method = IKE_CAM_PRE_SHARED_KEYS;
	p->dh_group = IKE_DH_MODP2048;
	p->enc = IKE_CE_AES128_CBC;
	p->lifetime_seconds = 28800;
	return p;
}

struct ike_conf_ike_policy *
ike_conf_add_ike_policy(struct ike_conf *c, const char *name)
{
	struct ike_conf_ike_policy *p =
	    grow_entry(c, (void **)&c->ike_policies, &c->n_ike_policies, sizeof(*p));

	if (p)
		set_name(p->name, name);
	return p;
}

struct ike_conf_gateway *
ike_conf_add_gateway(struct ike_conf *c, const char *name)
{
	struct ike_conf_gateway *g =
	    grow_entry(c, (void **)&c->gateways, &c->n_gateways, sizeof(*g));

	if (!g)
		return NULL;
	set_name(g->name, name);
	g->dpd_interval = 10;
	g->dpd_threshold = 5;
	g->nat_keepalive = 20;
	return g;
}

struct ike_conf_ipsec_proposal *
ike_conf_add_ipsec_proposal(struct ike_conf *c, const char *name)
{
	struct ike_conf_ipsec_proposal *p =
	    grow_entry(c, (void **)&c->ipsec_proposals, &c->n_ipsec_proposals, sizeof(*p));

	if (!p)
		return NULL;
	set_name(p->name, name);
	p->lifetime_seconds = 3600;
	return p;
}

struct ike_conf_ipsec_policy *
ike_conf_add_ipsec_policy(struct ike_conf *c, const char *name)
{
	struct ike_conf_ipsec_policy *p =
	    grow_entry(c, (void **)&c->ipsec_policies, &c->n_ipsec_policies, sizeof(*p));

	if (p)
		set_name(p->name, name);
	return p;
}

struct ike_conf_vpn *
ike_conf_add_vpn(struct ike_conf *c, const char *name)
{
	struct ike_conf_vpn *v = grow_entry(c, (void **)&c->vpns, &c->n_vpns, sizeof(*v));

	if (!v)
		return NULL;
	set_name(v->name, name);
	v->install_interval = 1;
	v->establish = IKE_EST_ON_TRAFFIC;
	return v;
}

struct ike_conf_ts *
ike_conf_vpn_add_ts(struct ike_conf_vpn *v, const char *name)
{
	struct ike_conf_ts *t = grow((void **)&v->ts, &v->n_ts, sizeof(*t));

	if (!t)
		return NULL;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->metric = 5;
	t->preference = 5;
	return t;
}

int
ike_conf_set_str(char **field, const char *value)
{
	char *s = NULL;

	if (value && !(s = strdup(value)))
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

int
ike_conf_set_key(struct ike_conf_key *k, bool hex, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	key_free(k);
	if (hex)
		k->hex = s;
	else
		k->ascii = s;
	return 0;
}

int
ike_conf_set_id(struct ike_conf_id *id, enum ike_id_kind kind, const char *value)
{
	int rc = ike_conf_set_str(&id->value, value);

	if (rc == 0)
		id->kind = kind;
	return rc;
}

int
ike_conf_gateway_add_address(struct ike_conf_gateway *g, const char *addr)
{
	if (g->n_address >= IKE_GW_ADDRS)
		return -E2BIG;
	g->address[g->n_address] = strdup(addr);
	if (!g->address[g->n_address])
		return -ENOMEM;
	g->n_address++;
	return 0;
}

#define FIND(l, arr, name)                                                                         \
	do {                                                                                       \
		int i_ = find_idx(c, (l), (name));                                                 \
		return i_ < 0 ? NULL : &(arr)[i_];                                                 \
	} while (0)

const struct ike_conf_gateway *
ike_conf_find_gateway(const struct ike_conf *c, const char *name)
{
	FIND(L_GW, c->gateways, name);
}

const struct ike_conf_vpn *
ike_conf_find_vpn(const struct ike_conf *c, const char *name)
{
	FIND(L_VPN, c->vpns, name);
}

static const struct ike_conf_ike_policy *
find_ike_policy(const struct ike_conf *c, const char *name)
{
	FIND(L_IKE_POL, c->ike_policies, name);
}

static const struct ike_conf_ike_proposal *
find_ike_proposal(const struct ike_conf *c, const char *name)
{
	FIND(L_IKE_PROP, c->ike_proposals, name);
}

static const struct ike_conf_ipsec_policy *
find_ipsec_policy(const struct ike_conf *c, const char *name)
{
	FIND(L_ESP_POL, c->ipsec_policies, name);
}

static const struct ike_conf_ipsec_proposal *
find_ipsec_proposal(const struct ike_conf *c, const char *name)
{
	FIND(L_ESP_PROP, c->ipsec_proposals, name);
}

/* ---- algorithm mapping ---------------------------------------------------- */

static const char *
enc_str(enum ike_conf_enc e)
{
	static const char *const s[] = { "unset", "des-cbc", "3des-cbc", "aes-128-cbc",
		"aes-192-cbc", "aes-256-cbc", "aes-128-gcm", "aes-192-gcm", "aes-256-gcm",
		"chacha20-poly1305" };

	return s[e];
}

/* AES encryption to (transform, bits); false when Cairn cannot do it. */
static bool
enc_map(enum ike_conf_enc e, bool esp, uint16_t *encr, uint16_t *bits)
{
	switch (e) {
	case IKE_CE_AES128_CBC:
		*encr = IKE_ENCR_AES_CBC, *bits = 128;
		return true;
	case IKE_CE_AES192_CBC:
		*encr = IKE_ENCR_AES_CBC, *bits = 192;
		return !esp; /* the dataplane has no AES-192 */
	case IKE_CE_AES256_CBC:
		*encr = IKE_ENCR_AES_CBC, *bits = 256;
		return true;
	case IKE_CE_AES128_GCM:
		*encr = IKE_ENCR_AES_GCM_16, *bits = 128;
		return true;
	case IKE_CE_AES256_GCM:
		*encr = IKE_ENCR_AES_GCM_16, *bits = 256;
		return true;
	default:
		return false;
	}
}

static bool
dh_supported(uint16_t g)
{
	return ike_dh_pub_len(g) != 0;
}

const char *
ike_proposal_set_str(enum ike_conf_proposal_set set)
{
	static const char *const s[] = { "none", "basic", "compatible", "standard",
		"suiteb-gcm-128", "suiteb-gcm-256", "prime-128", "prime-256" };

	return s[set];
}

/*
 * Reference §1.2. basic/compatible/standard need DES, 3DES, SHA-1 or group
 * 2, which Cairn does not implement. Suite B and PRIME sets authenticate
 * with ECDSA on Junos; Cairn authenticates with the policy's pre-shared key
 * and uses the sets' algorithms (documented in docs/iked.md).
 */
unsigned
ike_conf_ike_proposal_set(
    enum ike_conf_proposal_set set, struct ike_suite *out, uint32_t *lifetime, struct errbuf *err)
{
	*lifetime = 28800;
	switch (set) {
	case IKE_PSET_SUITEB_GCM_128:
	case IKE_PSET_PRIME_128:
		out[0] = (struct ike_suite){ IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0,
			IKE_DH_ECP256, 0 };
		return 1;
	case IKE_PSET_SUITEB_GCM_256:
	case IKE_PSET_PRIME_256:
		out[0] = (struct ike_suite){ IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_384, 0,
			IKE_DH_ECP384, 0 };
		return 1;
	case IKE_PSET_BASIC:
		errbuf_append(err, "proposal-set basic needs des-cbc with sha1/md5 and group 1/2, "
		                   "which cairn-iked does not support");
		return 0;
	case IKE_PSET_COMPATIBLE:
		errbuf_append(err, "proposal-set compatible needs 3des-cbc/des-cbc with sha1/md5 "
		                   "and group 2, which cairn-iked does not support");
		return 0;
	case IKE_PSET_STANDARD:
		errbuf_append(err, "proposal-set standard needs sha1 and group 2, which cairn-iked "
		                   "does not support");
		return 0;
	case IKE_PSET_NONE:
		break;
	}
	return 0;
}

unsigned
ike_conf_ipsec_proposal_set(
    enum ike_conf_proposal_set set, struct ike_suite *out, uint16_t *pfs, struct errbuf *err)
{
	*pfs = 0;
	switch (set) {
	case IKE_PSET_SUITEB_GCM_128:
	case IKE_PSET_PRIME_128:
		out[0] = (struct ike_suite){ IKE_ENCR_AES_GCM_16, 128, 0, 0, 0, 0 };
		*pfs = IKE_DH_ECP256;
		return 1;
	case IKE_PSET_SUITEB_GCM_256:
	case IKE_PSET_PRIME_256:
		out[0] = (struct ike_suite){ IKE_ENCR_AES_GCM_16, 256, 0, 0, 0, 0 };
		*pfs = IKE_DH_ECP384;
		return 1;
	case IKE_PSET_BASIC:
	case IKE_PSET_COMPATIBLE:
	case IKE_PSET_STANDARD:
		errbuf_append(err,
		    "proposal-set %s needs des/3des and hmac-sha1-96/hmac-md5-96, "
		    "which cairn-iked does not support",
		    ike_proposal_set_str(set));
		return 0;
	case IKE_PSET_NONE:
		break;
	}
	return 0;
}

/* ---- resolution ----------------------------------------------------------- */

static int
decode_psk(const struct ike_conf_key *k, uint8_t **out, size_t *len)
{
	const char *h = k->hex;
	size_t n, i;
	uint8_t *b;

	if (k->ascii) {
		n = strlen(k->ascii);
		if (n == 0 || n > IKE_PSK_MAX)
			return -EINVAL;
		b = malloc(n);
		if (!b)
			return -ENOMEM;
		memcpy(b, k->ascii, n);
		*out = b;
		*len = n;
		return 0;
	}
	if (!h)
		return -ENOENT;
	if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
		h += 2;
	n = strlen(h);
	if (n == 0 || n % 2)
		return -EINVAL;
	b = malloc(n / 2);
	if (!b)
		return -ENOMEM;
	for (i = 0; i < n / 2; i++) {
		unsigned v;

		if (!isxdigit((unsigned char)h[2 * i]) || !isxdigit((unsigned char)h[2 * i + 1]) ||
		    sscanf(h + 2 * i, "%2x", &v) != 1) {
			xmem_free(b, n / 2);
			return -EINVAL;
		}
		b[i] = (uint8_t)v;
	}
	*out = b;
	*len = n / 2;
	return 0;
}

static int
resolve_ike_proposal(
    const struct ike_conf_ike_proposal *p, struct ike_suite *s, const char *pol, struct errbuf *err)
{
	const char *path = "security ike proposal";

	memset(s, 0, sizeof(*s));
	if (p->auth_method != IKE_CAM_PRE_SHARED_KEYS)
		return errbuf_set(err, -ENOTSUP,
		    "%s %s authentication-method: only pre-shared-keys is supported", path,
		    p->name);
	if (!dh_supported(p->dh_group))
		return errbuf_set(err, -ENOTSUP,
		    "%s %s dh-group: group%u is not supported (use group14, 15, 16, 19, 20, 21 "
		    "or 31)",
		    path, p->name, p->dh_group);
	if (!enc_map(p->enc, false, &s->encr, &s->encr_bits))
		return errbuf_set(err, -ENOTSUP, "%s %s encryption-algorithm: %s is not supported",
		    path, p->name, enc_str(p->enc));
	switch (p->auth_alg) {
	case IKE_CIA_UNSET:
	case IKE_CIA_SHA256:
		s->prf = IKE_PRF_HMAC_SHA2_256;
		s->integ = IKE_INTEG_HMAC_SHA2_256_128;
		break;
	case IKE_CIA_SHA384:
		s->prf = IKE_PRF_HMAC_SHA2_384;
		s->integ = IKE_INTEG_HMAC_SHA2_384_192;
		break;
	case IKE_CIA_SHA512:
		s->prf = IKE_PRF_HMAC_SHA2_512;
		s->integ = IKE_INTEG_HMAC_SHA2_512_256;
		break;
	default:
		return errbuf_set(err, -ENOTSUP,
		    "%s %s authentication-algorithm: md5 and sha1 are not supported", path,
		    p->name);
	}
	if (ike_encr_is_aead(s->encr))
		s->integ = IKE_INTEG_NONE; /* with GCM the algorithm names only the PRF */
	s->dh = p->dh_group;
	(void)pol;
	return 0;
}

static int
resolve_ike_policy(
    const struct ike_conf *c, const char *name, struct ike_gw_conf *out, struct errbuf *err)
{
	const struct ike_conf_ike_policy *pol = find_ike_policy(c, name);
	unsigned i;
	int rc;

	if (!pol)
		return errbuf_set(err, -EINVAL, "security ike policy %s: not configured", name);
	if (pol->n_proposals) {
		for (i = 0; i < pol->n_proposals; i++) {
			const struct ike_conf_ike_proposal *p =
			    find_ike_proposal(c, pol->proposals[i]);

			if (!p)
				return errbuf_set(err, -EINVAL,
				    "security ike policy %s proposals: %s is not configured", name,
				    pol->proposals[i]);
			rc = resolve_ike_proposal(p, &out->ike_props[i], name, err);
			if (rc < 0)
				return rc;
			out->ike_lifetime[i] = p->lifetime_seconds;
		}
		out->n_ike_props = pol->n_proposals;
	} else if (pol->proposal_set != IKE_PSET_NONE) {
		struct errbuf e2 = { .msg = "" };

		errbuf_clear(&e2);
		out->n_ike_props = ike_conf_ike_proposal_set(
		    pol->proposal_set, out->ike_props, &out->ike_lifetime[0], &e2);
		if (!out->n_ike_props)
			return errbuf_set(err, -ENOTSUP, "security ike policy %s %s", name, e2.msg);
	} else {
		return errbuf_set(err, -EINVAL,
		    "security ike policy %s: missing mandatory statement: 'proposals' or "
		    "'proposal-set'",
		    name);
	}
	rc = decode_psk(&pol->psk, &out->psk, &out->psk_len);
	if (rc == -ENOENT)
		return errbuf_set(err, -EINVAL,
		    "security ike policy %s: pre-shared-key is required (only pre-shared-keys "
		    "authentication is supported)",
		    name);
	if (rc == -EINVAL)
		return errbuf_set(err, -EINVAL,
		    "security ike policy %s pre-shared-key hexadecimal: not an even number of hex "
		    "digits",
		    name);
	if (rc < 0)
		return errbuf_set(err, rc, "security ike policy %s: out of memory", name);
	return 0;
}

static int
resolve_id(const struct ike_conf_id *cid, struct ike_idh **out, const char *gw, const char *what,
    struct errbuf *err)
{
	struct ike_id id;

	if (cid->kind == IKE_IDK_NONE || !cid->value) {
		ike_idh_free(out);
		return 0;
	}
	if (ike_id_from_conf(cid->kind, cid->value, &id) < 0)
		return errbuf_set(err, -EINVAL, "security ike gateway %s %s: invalid identity '%s'",
		    gw, what, cid->value);
	if (ike_idh_set(out, &id) < 0)
		return errbuf_set(
		    err, -ENOMEM, "security ike gateway %s %s: out of memory", gw, what);
	return 0;
}

int
ike_conf_resolve_gateway(const struct ike_conf *c, const char *name, ike_resolve_fn resolve,
    void *rctx, struct ike_gw_conf *out, struct errbuf *err)
{
	const struct ike_conf_gateway *g = ike_conf_find_gateway(c, name);
	unsigned i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!g)
		return -ENOENT;
	set_name(out->name, g->name);
	if (g->v1_only) {
		rc = errbuf_set(err, -ENOTSUP,
		    "security ike gateway %s version: v1-only is not supported (cairn-iked speaks "
		    "IKEv2 only)",
		    name);
		goto fail;
	}
	rc = resolve_ike_policy(c, g->ike_policy, out, err);
	if (rc < 0)
		goto fail;
	if (g->dynamic) {
		out->dynamic = true;
		if (g->dyn_general_ikeid || (g->dyn_id.kind == IKE_IDK_NONE)) {
			out->dyn_match = IKE_DYN_GENERAL;
		} else {
			rc = resolve_id(&g->dyn_id, &out->dyn_id, name, "dynamic", err);
			if (rc < 0)
				goto fail;
			out->dyn_match = g->ike_user_type == IKE_USER_GROUP_IKE_ID ? IKE_DYN_GROUP
			                 : g->ike_user_type == IKE_USER_SHARED_IKE_ID
			                     ? IKE_DYN_SHARED
			                     : IKE_DYN_EXACT;
		}
		out->connections_limit = g->connections_limit;
		out->reject_duplicate = g->reject_duplicate;
	} else {
		if (g->n_address == 0) {
			rc = errbuf_set(err, -EINVAL,
			    "security ike gateway %s: missing mandatory statement: 'address' or "
			    "'dynamic'",
			    name);
			goto fail;
		}
		out->remote = calloc(g->n_address, sizeof(*out->remote));
		if (!out->remote) {
			rc = errbuf_set(
			    err, -ENOMEM, "security ike gateway %s: out of memory", name);
			goto fail;
		}
		for (i = 0; i < g->n_address; i++) {
			rc = ike_addr_parse(g->address[i], &out->remote[i]);
			if (rc < 0 && resolve)
				rc = resolve(rctx, g->address[i], &out->remote[i]);
			if (rc < 0) {
				rc = errbuf_set(err, -EINVAL,
				    "security ike gateway %s address: cannot resolve '%s'", name,
				    g->address[i]);
				goto fail;
			}
		}
		out->n_remote = g->n_address;
	}
	if (g->local_address && ike_addr_parse(g->local_address, &out->local) < 0) {
		rc = errbuf_set(err, -EINVAL, "security ike gateway %s local-address: invalid '%s'",
		    name, g->local_address);
		goto fail;
	}
	if (ike_addr_is_set(&out->local) && out->n_remote &&
	    out->local.family != out->remote[0].family) {
		rc = errbuf_set(err, -EINVAL,
		    "security ike gateway %s: local-address and address are of different families",
		    name);
		goto fail;
	}
	rc = resolve_id(&g->local_id, &out->local_id, name, "local-identity", err);
	if (rc == 0)
		rc = resolve_id(&g->remote_id, &out->remote_id, name, "remote-identity", err);
	if (rc < 0)
		goto fail;
	out->general_ikeid = g->general_ikeid;
	out->dpd_mode = !g->dpd                      ? IKE_DPD_OFF
	                : g->dpd_mode == IKE_DPD_OFF ? IKE_DPD_OPTIMIZED
	                                             : g->dpd_mode;
	out->dpd_interval = g->dpd_interval ? g->dpd_interval : 10;
	out->dpd_threshold = g->dpd_threshold ? g->dpd_threshold : 5;
	out->nat_t = !g->no_nat_traversal;
	out->nat_keepalive = g->nat_keepalive ? g->nat_keepalive : 20;
	return 0;
fail:
	ike_gw_conf_fini(out);
	return rc;
}

static int
resolve_esp_proposal(
    const struct ike_conf_ipsec_proposal *p, struct ike_suite *s, struct errbuf *err)
{
	const char *path = "security ipsec proposal";

	memset(s, 0, sizeof(*s));
	if (p->ah)
		return errbuf_set(
		    err, -ENOTSUP, "%s %s protocol: ah is not supported", path, p->name);
	if (p->enc == IKE_CE_UNSET)
		return errbuf_set(err, -ENOTSUP,
		    "%s %s: encryption-algorithm is required (ESP without encryption is not "
		    "supported)",
		    path, p->name);
	if (!enc_map(p->enc, true, &s->encr, &s->encr_bits))
		return errbuf_set(err, -ENOTSUP, "%s %s encryption-algorithm: %s is not supported",
		    path, p->name, enc_str(p->enc));
	if (ike_encr_is_aead(s->encr)) {
		if (p->auth_alg != IKE_CEA_UNSET)
			return errbuf_set(err, -EINVAL,
			    "%s %s: authentication-algorithm must not be set with %s", path,
			    p->name, enc_str(p->enc));
	} else {
		switch (p->auth_alg) {
		case IKE_CEA_HMAC_SHA256_128:
			s->integ = IKE_INTEG_HMAC_SHA2_256_128;
			break;
		case IKE_CEA_HMAC_SHA384:
			s->integ = IKE_INTEG_HMAC_SHA2_384_192;
			break;
		case IKE_CEA_HMAC_SHA512:
			s->integ = IKE_INTEG_HMAC_SHA2_512_256;
			break;
		case IKE_CEA_UNSET:
			return errbuf_set(err, -EINVAL,
			    "%s %s: authentication-algorithm is required with %s", path, p->name,
			    enc_str(p->enc));
		default:
			return errbuf_set(err, -ENOTSUP,
			    "%s %s authentication-algorithm: only hmac-sha-256-128, hmac-sha-384 "
			    "and "
			    "hmac-sha-512 are supported",
			    path, p->name);
		}
	}
	s->esn = p->esn ? IKE_ESN_YES : IKE_ESN_NO;
	return 0;
}

static int
prefix_ts(const char *s, struct ike_ts *ts)
{
	struct ike_addr a;
	uint8_t len;

	if (ike_prefix_parse(s, &a, &len) < 0)
		return -EINVAL;
	ike_ts_from_prefix(ts, &a, len);
	return 0;
}

static int
parse_unit(const char *ifname, uint32_t *unit)
{
	unsigned long u;
	char *end;

	if (!ifname || strncmp(ifname, "st0.", 4) != 0)
		return -EINVAL;
	errno = 0;
	u = strtoul(ifname + 4, &end, 10);
	if (errno || *end || end == ifname + 4 || u > 15999)
		return -EINVAL;
	*unit = (uint32_t)u;
	return 0;
}

/*
 * dst gets src's selector lists in one allocation of their length, or the
 * shared read-only copy when they are one of the usual lists
 * (ike_ts_common(): 0.0.0.0/0 and ::/0, never written after this; freed
 * only when not shared); dst may be src: its larger working allocation is
 * replaced. 0 or -ENOMEM, with dst's lists then empty (dst == src:
 * unchanged).
 */
static int
vpn_ts_fit(struct ike_vpn_ts *dst, const struct ike_vpn_ts *src)
{
	size_t n = (size_t)src->n_local + src->n_remote;
	const struct ike_ts *common =
	    ike_ts_common(src->local, src->n_local, src->remote, src->n_remote);
	struct ike_ts *old = dst == src ? dst->local : NULL;
	struct ike_ts *l;

	if (old && ike_ts_is_common(old))
		old = NULL;
	if (common) {
		unsigned nl = src->n_local;

		if (dst != src)
			*dst = *src;
		dst->local = (struct ike_ts *)(uintptr_t)common;
		dst->remote = dst->local + nl;
		free(old);
		return 0;
	}
	l = calloc(n ? n : 1, sizeof(*l));
	if (!l) {
		if (dst != src) {
			dst->local = dst->remote = NULL;
			dst->n_local = dst->n_remote = 0;
		}
		return -ENOMEM;
	}
	memcpy(l, src->local, src->n_local * sizeof(*l));
	memcpy(l + src->n_local, src->remote, src->n_remote * sizeof(*l));
	if (dst != src)
		*dst = *src;
	dst->local = l;
	dst->remote = l + src->n_local;
	free(old);
	return 0;
}

/* The same tunnels with the same selectors (what their CHILD SAs carry). */
static bool
vpn_ts_equal(const struct ike_vpn_conf *a, const struct ike_vpn_conf *b)
{
	unsigned i;

	for (i = 0; i < a->n_ts; i++) {
		const struct ike_vpn_ts *x = &a->ts[i], *y = &b->ts[i];

		if (memcmp(x->name, y->name, sizeof(x->name)) != 0 || x->n_local != y->n_local ||
		    x->n_remote != y->n_remote || x->metric != y->metric ||
		    x->preference != y->preference ||
		    memcmp(x->local, y->local, x->n_local * sizeof(x->local[0])) != 0 ||
		    memcmp(x->remote, y->remote, x->n_remote * sizeof(x->remote[0])) != 0)
			return false;
	}
	return true;
}

int
ike_conf_resolve_vpn(
    const struct ike_conf *c, const char *name, struct ike_vpn_conf *out, struct errbuf *err)
{
	const struct ike_conf_vpn *v = ike_conf_find_vpn(c, name);
	const struct ike_conf_ipsec_policy *pol;
	const char *path = "security ipsec vpn";
	unsigned i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!v || v->manual)
		return -ENOENT;
	set_name(out->name, v->name);
	set_name(out->gateway, v->gateway);
	set_name(out->ipsec_policy, v->ipsec_policy);
	if (!ike_conf_find_gateway(c, v->gateway)) {
		rc = errbuf_set(err, -EINVAL, "%s %s ike gateway: %s is not configured", path, name,
		    v->gateway);
		goto fail;
	}
	pol = find_ipsec_policy(c, v->ipsec_policy);
	if (!pol) {
		rc = errbuf_set(err, -EINVAL, "%s %s ike ipsec-policy: %s is not configured", path,
		    name, v->ipsec_policy);
		goto fail;
	}
	out->pfs_group = pol->pfs_group;
	if (pol->n_proposals) {
		for (i = 0; i < pol->n_proposals; i++) {
			const struct ike_conf_ipsec_proposal *p =
			    find_ipsec_proposal(c, pol->proposals[i]);

			if (!p) {
				rc = errbuf_set(err, -EINVAL,
				    "security ipsec policy %s proposals: %s is not configured",
				    pol->name, pol->proposals[i]);
				goto fail;
			}
			rc = resolve_esp_proposal(p, &out->esp_props[i], err);
			if (rc < 0)
				goto fail;
			out->esp_life_s[i] = p->lifetime_seconds;
			out->esp_life_kb[i] = p->lifetime_kilobytes;
		}
		out->n_esp_props = pol->n_proposals;
	} else if (pol->proposal_set != IKE_PSET_NONE) {
		struct errbuf e2 = { .msg = "" };
		uint16_t set_pfs;

		errbuf_clear(&e2);
		out->n_esp_props =
		    ike_conf_ipsec_proposal_set(pol->proposal_set, out->esp_props, &set_pfs, &e2);
		if (!out->n_esp_props) {
			rc = errbuf_set(
			    err, -ENOTSUP, "security ipsec policy %s %s", pol->name, e2.msg);
			goto fail;
		}
		out->esp_life_s[0] = 3600;
		if (!out->pfs_group)
			out->pfs_group = set_pfs;
	} else {
		rc = errbuf_set(err, -EINVAL,
		    "security ipsec policy %s: missing mandatory statement: 'proposals' or "
		    "'proposal-set'",
		    pol->name);
		goto fail;
	}
	if (out->pfs_group && !dh_supported(out->pfs_group)) {
		rc = errbuf_set(err, -ENOTSUP,
		    "security ipsec policy %s perfect-forward-secrecy keys: group%u is not "
		    "supported",
		    pol->name, out->pfs_group);
		goto fail;
	}
	for (i = 0; i < out->n_esp_props; i++)
		out->esp_props[i].dh = out->pfs_group;
	out->unit = IKE_UNIT_NONE;
	if (v->bind_interface && parse_unit(v->bind_interface, &out->unit) < 0) {
		rc = errbuf_set(err, -EINVAL, "%s %s bind-interface: expecting st0.N, not '%s'",
		    path, name, v->bind_interface);
		goto fail;
	}
	out->df = v->df_bit;
	out->copy_dscp = v->copy_outer_dscp;
	out->replay_window = v->no_anti_replay ? 0
	                     : v->anti_replay_window
	                         ? v->anti_replay_window
	                         : (c->anti_replay_window ? c->anti_replay_window : 64);
	out->establish = v->establish;
	out->install_interval = v->install_interval;
	out->idle_time = v->idle_time;
	/* Traffic selectors: traffic-selector entries, else proxy-identity, else any. */
	out->n_ts = v->n_ts && !v->policy_based ? v->n_ts : 1;
	out->ts = calloc(out->n_ts, sizeof(*out->ts));
	if (!out->ts) {
		rc = errbuf_set(err, -ENOMEM, "%s %s: out of memory", path, name);
		goto fail;
	}
	/* room for the most selectors while they are worked out (vpn_ts_fit
	 * below cuts each list to its length) */
	for (i = 0; i < out->n_ts; i++) {
		out->ts[i].local = calloc(2 * IKE_VPN_TS_SIDES, sizeof(struct ike_ts));
		if (!out->ts[i].local) {
			rc = errbuf_set(err, -ENOMEM, "%s %s: out of memory", path, name);
			goto fail;
		}
		out->ts[i].remote = out->ts[i].local + IKE_VPN_TS_SIDES;
	}
	if (v->nexthop && ike_addr_parse(v->nexthop, &out->nexthop) < 0) {
		rc = errbuf_set(err, -EINVAL, "%s %s: invalid next-hop-tunnel address '%s'", path,
		    name, v->nexthop);
		goto fail;
	}
	if (v->policy_based) {
		/* Policy-based: the selectors of the security policy (proxy-id). */
		struct ike_vpn_ts *t = &out->ts[0];

		if (v->n_policy_local == 0 || v->n_policy_remote == 0 ||
		    v->n_policy_local > IKE_VPN_TS_SIDES || v->n_policy_remote > IKE_VPN_TS_SIDES) {
			rc = errbuf_set(err, -EINVAL,
			    "%s %s: the security policy using it needs 1 to %d source and "
			    "destination addresses",
			    path, name, IKE_VPN_TS_SIDES);
			goto fail;
		}
		out->n_ts = 1;
		out->ts_proxy_id = true;
		memcpy(t->local, v->policy_local, v->n_policy_local * sizeof(t->local[0]));
		memcpy(t->remote, v->policy_remote, v->n_policy_remote * sizeof(t->remote[0]));
		t->n_local = v->n_policy_local;
		t->n_remote = v->n_policy_remote;
		t->metric = t->preference = 5;
	} else if (v->n_ts) {
		for (i = 0; i < v->n_ts; i++) {
			struct ike_vpn_ts *t = &out->ts[i];

			snprintf(t->name, sizeof(t->name), "%s", v->ts[i].name);
			if (!v->ts[i].local_ip || !v->ts[i].remote_ip ||
			    prefix_ts(v->ts[i].local_ip, &t->local[0]) < 0 ||
			    prefix_ts(v->ts[i].remote_ip, &t->remote[0]) < 0) {
				rc = errbuf_set(err, -EINVAL,
				    "%s %s traffic-selector %s: local-ip and remote-ip must be "
				    "prefixes",
				    path, name, v->ts[i].name);
				goto fail;
			}
			if (t->local[0].family != t->remote[0].family) {
				rc = errbuf_set(err, -EINVAL,
				    "%s %s traffic-selector %s: local-ip and remote-ip are of "
				    "different "
				    "families",
				    path, name, v->ts[i].name);
				goto fail;
			}
			t->n_local = t->n_remote = 1;
			t->metric = v->ts[i].metric;
			t->preference = v->ts[i].preference;
		}
	} else if (v->proxy_identity) {
		struct ike_vpn_ts *t = &out->ts[0];

		out->ts_proxy_id = true;
		if (v->proxy_service && strcmp(v->proxy_service, "any") != 0) {
			rc = errbuf_set(err, -ENOTSUP,
			    "%s %s ike proxy-identity service: only 'any' is supported", path,
			    name);
			goto fail;
		}
		if (v->proxy_local ? prefix_ts(v->proxy_local, &t->local[0]) < 0
		                   : (ike_ts_any(&t->local[0], AF_INET), 0)) {
			rc = errbuf_set(err, -EINVAL,
			    "%s %s ike proxy-identity local: invalid prefix", path, name);
			goto fail;
		}
		if (v->proxy_remote ? prefix_ts(v->proxy_remote, &t->remote[0]) < 0
		                    : (ike_ts_any(&t->remote[0], t->local[0].family), 0)) {
			rc = errbuf_set(err, -EINVAL,
			    "%s %s ike proxy-identity remote: invalid prefix", path, name);
			goto fail;
		}
		if (t->local[0].family != t->remote[0].family) {
			rc = errbuf_set(err, -EINVAL,
			    "%s %s ike proxy-identity: local and remote are of different families",
			    path, name);
			goto fail;
		}
		t->n_local = t->n_remote = 1;
		t->metric = t->preference = 5;
	} else {
		/* Route-based default: everything, both families, one CHILD SA. */
		struct ike_vpn_ts *t = &out->ts[0];

		out->ts_proxy_id = true;
		ike_ts_any(&t->local[0], AF_INET);
		ike_ts_any(&t->local[1], AF_INET6);
		ike_ts_any(&t->remote[0], AF_INET);
		ike_ts_any(&t->remote[1], AF_INET6);
		t->n_local = t->n_remote = 2;
		t->metric = t->preference = 5;
	}
	for (i = 0; i < out->n_ts; i++)
		if (vpn_ts_fit(&out->ts[i], &out->ts[i]) < 0) {
			rc = errbuf_set(err, -ENOMEM, "%s %s: out of memory", path, name);
			goto fail;
		}
	return 0;
fail:
	ike_vpn_conf_fini(out);
	return rc;
}

void
ike_gw_conf_fini(struct ike_gw_conf *g)
{
	xmem_free(g->psk, g->psk_len);
	g->psk = NULL;
	g->psk_len = 0;
	ike_idh_free(&g->dyn_id);
	ike_idh_free(&g->local_id);
	ike_idh_free(&g->remote_id);
	free(g->remote);
	g->remote = NULL;
	g->n_remote = 0;
}

void
ike_vpn_conf_fini(struct ike_vpn_conf *v)
{
	unsigned i;

	for (i = 0; v->ts && i < v->n_ts; i++)
		if (!ike_ts_is_common(v->ts[i].local))
			free(v->ts[i].local);
	free(v->ts);
	v->ts = NULL;
	v->n_ts = 0;
}

int
ike_gw_conf_copy(struct ike_gw_conf *dst, const struct ike_gw_conf *src)
{
	*dst = *src;
	dst->psk = NULL;
	dst->dyn_id = dst->local_id = dst->remote_id = NULL;
	dst->remote = NULL;
	if (src->n_remote) {
		dst->remote = malloc(src->n_remote * sizeof(*dst->remote));
		if (!dst->remote) {
			dst->n_remote = 0;
			return -ENOMEM;
		}
		memcpy(dst->remote, src->remote, src->n_remote * sizeof(*dst->remote));
	}
	if (src->psk_len) {
		dst->psk = malloc(src->psk_len);
		if (!dst->psk)
			return -ENOMEM;
		memcpy(dst->psk, src->psk, src->psk_len);
	}
	if (ike_idh_dup(&dst->dyn_id, src->dyn_id) < 0 ||
	    ike_idh_dup(&dst->local_id, src->local_id) < 0 ||
	    ike_idh_dup(&dst->remote_id, src->remote_id) < 0)
		return -ENOMEM;
	return 0;
}

int
ike_vpn_conf_copy(struct ike_vpn_conf *dst, const struct ike_vpn_conf *src)
{
	unsigned i;

	*dst = *src;
	dst->ts = NULL;
	if (src->n_ts) {
		dst->ts = calloc(src->n_ts, sizeof(*dst->ts));
		if (!dst->ts) {
			dst->n_ts = 0;
			return -ENOMEM;
		}
		for (i = 0; i < src->n_ts; i++)
			if (vpn_ts_fit(&dst->ts[i], &src->ts[i]) < 0)
				return -ENOMEM;
	}
	return 0;
}

bool
ike_gw_conf_sa_equal(const struct ike_gw_conf *a, const struct ike_gw_conf *b)
{
	/* Everything but DPD and NAT keepalive timing shapes the IKE SA. */
	return a->n_ike_props == b->n_ike_props &&
	       memcmp(a->ike_props, b->ike_props, sizeof(a->ike_props[0]) * a->n_ike_props) == 0 &&
	       memcmp(a->ike_lifetime, b->ike_lifetime, sizeof(a->ike_lifetime)) == 0 &&
	       a->psk_len == b->psk_len && memcmp(a->psk, b->psk, a->psk_len) == 0 &&
	       a->n_remote == b->n_remote &&
	       (a->n_remote == 0 ||
	           memcmp(a->remote, b->remote, sizeof(a->remote[0]) * a->n_remote) == 0) &&
	       ike_addr_eq(&a->local, &b->local) && a->dynamic == b->dynamic &&
	       a->dyn_match == b->dyn_match && ike_idh_eq2(a->dyn_id, b->dyn_id) &&
	       ike_idh_eq2(a->local_id, b->local_id) && ike_idh_eq2(a->remote_id, b->remote_id) &&
	       a->general_ikeid == b->general_ikeid && a->nat_t == b->nat_t;
}

bool
ike_vpn_conf_sa_equal(const struct ike_vpn_conf *a, const struct ike_vpn_conf *b)
{
	return strcmp(a->gateway, b->gateway) == 0 && a->unit == b->unit && a->df == b->df &&
	       a->copy_dscp == b->copy_dscp && a->n_esp_props == b->n_esp_props &&
	       memcmp(a->esp_props, b->esp_props, sizeof(a->esp_props[0]) * a->n_esp_props) == 0 &&
	       memcmp(a->esp_life_s, b->esp_life_s, sizeof(a->esp_life_s)) == 0 &&
	       memcmp(a->esp_life_kb, b->esp_life_kb, sizeof(a->esp_life_kb)) == 0 &&
	       a->pfs_group == b->pfs_group && a->replay_window == b->replay_window &&
	       ike_addr_eq(&a->nexthop, &b->nexthop) && a->n_ts == b->n_ts && vpn_ts_equal(a, b);
}

int
ike_conf_check_ike_proposal(const struct ike_conf_ike_proposal *p, struct errbuf *err)
{
	struct ike_suite s;

	return resolve_ike_proposal(p, &s, NULL, err);
}

int
ike_conf_check_ipsec_proposal(const struct ike_conf_ipsec_proposal *p, struct errbuf *err)
{
	struct ike_suite s;

	return resolve_esp_proposal(p, &s, err);
}

int
ike_conf_check_ike_policy(const struct ike_conf *c, const char *name, struct errbuf *err)
{
	struct ike_gw_conf g;
	int rc;

	memset(&g, 0, sizeof(g));
	rc = resolve_ike_policy(c, name, &g, err);
	ike_gw_conf_fini(&g);
	return rc;
}

int
ike_conf_check_ipsec_policy(const struct ike_conf *c, const char *name, struct errbuf *err)
{
	const struct ike_conf_ipsec_policy *pol = find_ipsec_policy(c, name);
	struct ike_suite s[IKE_CONF_PROPS];
	struct errbuf e2 = { .msg = "" };
	uint16_t pfs = 0;
	unsigned i;
	int rc;

	if (!pol)
		return errbuf_set(err, -EINVAL, "security ipsec policy %s: not configured", name);
	for (i = 0; i < pol->n_proposals; i++) {
		const struct ike_conf_ipsec_proposal *p = find_ipsec_proposal(c, pol->proposals[i]);

		if (!p)
			return errbuf_set(err, -EINVAL,
			    "security ipsec policy %s proposals: %s is not configured", name,
			    pol->proposals[i]);
		rc = resolve_esp_proposal(p, &s[i], err);
		if (rc < 0)
			return rc;
	}
	if (!pol->n_proposals) {
		errbuf_clear(&e2);
		if (pol->proposal_set == IKE_PSET_NONE)
			return errbuf_set(err, -EINVAL,
			    "security ipsec policy %s: missing mandatory statement: 'proposals' or "
			    "'proposal-set'",
			    name);
		if (!ike_conf_ipsec_proposal_set(pol->proposal_set, s, &pfs, &e2))
			return errbuf_set(
			    err, -ENOTSUP, "security ipsec policy %s %s", name, e2.msg);
	}
	if (pol->pfs_group && !dh_supported(pol->pfs_group))
		return errbuf_set(err, -ENOTSUP,
		    "security ipsec policy %s perfect-forward-secrecy keys: group%u is not "
		    "supported",
		    name, pol->pfs_group);
	return 0;
}

int
ike_conf_check(const struct ike_conf *c, ike_resolve_fn resolve, void *rctx, struct errbuf *err)
{
	unsigned i;
	int bad = 0;

	for (i = 0; i < c->n_gateways; i++) {
		struct ike_gw_conf g;
		struct errbuf e1 = { .msg = "" };

		errbuf_clear(&e1);
		if (ike_conf_resolve_gateway(c, c->gateways[i].name, resolve, rctx, &g, &e1) < 0) {
			errbuf_append(err, "%s", e1.msg);
			bad = 1;
			continue;
		}
		ike_gw_conf_fini(&g);
	}
	for (i = 0; i < c->n_vpns; i++) {
		struct ike_vpn_conf v;
		struct errbuf e1 = { .msg = "" };
		int rc;

		if (c->vpns[i].manual)
			continue;
		errbuf_clear(&e1);
		rc = ike_conf_resolve_vpn(c, c->vpns[i].name, &v, &e1);
		if (rc < 0) {
			errbuf_append(err, "%s", e1.msg);
			bad = 1;
			continue;
		}
		ike_vpn_conf_fini(&v);
	}
	return bad ? -EINVAL : 0;
}
