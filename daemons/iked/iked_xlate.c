/* SPDX-License-Identifier: MIT */
/*
 * iked_xlate: the committed configuration (libyang data tree of
 * cairn-security, cairn-interfaces and cairn-routing) translated into what
 * cairn-iked runs: the IKE engine's mirror (ike_conf.h), the dataplane
 * settings, st0 units, routes into st0, manual-key SAs and the dataplane
 * policies of policy-based VPNs. Every problem Cairn cannot accept is
 * collected with the data path of the statement it is about, so the
 * northbound callback of that statement reports it (`commit check`).
 *
 * Pure: reads the tree, writes *w. The only system call is the route
 * look-up that finds the local address of a manual SA without one.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "cfg_secret.h"
#include "iked.h"
#include "iked_xlate.h"
#include "ike_ts.h"
#include "log.h"
#include "xmem.h"

#include "banned.h"

/* ---- tree helpers ---------------------------------------------------------- */

static const struct lyd_node *
child(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c;

	if (!n)
		return NULL;
	LY_LIST_FOR(lyd_child(n), c)
	if (strcmp(c->schema->name, name) == 0)
		return c;
	return NULL;
}

/* A descendant by a path of names ("family/inet/mtu"). */
static const struct lyd_node *
desc(const struct lyd_node *n, const char *path)
{
	char name[64];
	const char *p = path;

	while (n && *p) {
		size_t len = strcspn(p, "/");

		if (len >= sizeof(name))
			return NULL;
		memcpy(name, p, len);
		name[len] = '\0';
		n = child(n, name);
		p += len;
		if (*p == '/')
			p++;
	}
	return n;
}

static const char *
val(const struct lyd_node *n, const char *path)
{
	const struct lyd_node *c = desc(n, path);

	return c && (c->schema->nodetype & LYD_NODE_TERM) ? lyd_get_value(c) : NULL;
}

static bool
has(const struct lyd_node *n, const char *path)
{
	return desc(n, path) != NULL;
}

static uint32_t
val_u32(const struct lyd_node *n, const char *path, uint32_t dflt)
{
	const char *v = val(n, path);

	return v ? (uint32_t)strtoul(v, NULL, 10) : dflt;
}

const struct lyd_node *
xl_child(const struct lyd_node *n, const char *name)
{
	return child(n, name);
}

const char *
xl_val(const struct lyd_node *n, const char *path)
{
	return val(n, path);
}

#define FOR_CHILDREN(c, parent, nm)                                                                \
	for (c = lyd_child(parent); c; c = c->next)                                                \
		if (strcmp(c->schema->name, (nm)) == 0)

/* ---- problems ---------------------------------------------------------------- */

static void __attribute__((format(printf, 3, 4)))
want_err(struct iked_want *w, const struct lyd_node *at, const char *fmt, ...)
{
	struct iked_err *e;
	va_list ap;
	char *msg = NULL;
	int n;

	e = realloc(w->errs, (w->n_errs + 1) * sizeof(*e));
	if (!e)
		return;
	w->errs = e;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	e = &w->errs[w->n_errs];
	e->path = at ? lyd_path(at, LYD_PATH_STD, NULL, 0) : NULL;
	e->msg = msg;
	w->n_errs++;
}

void
xl_want_err(struct iked_want *w, const struct lyd_node *at, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	want_err(w, at, "%s", msg);
	free(msg);
}

/* An errbuf message of the ike_conf checks ("security ike gateway g ...: x")
 * at the node it names. */
static void
want_err_buf(struct iked_want *w, const struct lyd_node *at, const struct errbuf *eb)
{
	want_err(w, at, "%s", eb->msg[0] ? eb->msg : "not supported");
}

const struct iked_err *
iked_want_err(const struct iked_want *w, const char *prefix)
{
	size_t i, len = prefix ? strlen(prefix) : 0;

	for (i = 0; i < w->n_errs; i++) {
		const char *p = w->errs[i].path;

		if (!prefix)
			return &w->errs[i];
		if (p && strncmp(p, prefix, len) == 0 &&
		    (p[len] == '\0' || p[len] == '/' || p[len] == '['))
			return &w->errs[i];
	}
	return NULL;
}

/* ---- values ------------------------------------------------------------------ */

static uint16_t
dh_group(const char *s)
{
	return s && strncmp(s, "group", 5) == 0 ? (uint16_t)strtoul(s + 5, NULL, 10) : 0;
}

static enum ike_conf_enc
enc_of(const char *s)
{
	static const struct {
		const char *n;
		enum ike_conf_enc e;
	} t[] = {
		{ "des-cbc", IKE_CE_DES_CBC },
		{ "3des-cbc", IKE_CE_3DES_CBC },
		{ "aes-128-cbc", IKE_CE_AES128_CBC },
		{ "aes-192-cbc", IKE_CE_AES192_CBC },
		{ "aes-256-cbc", IKE_CE_AES256_CBC },
		{ "aes-128-gcm", IKE_CE_AES128_GCM },
		{ "aes-192-gcm", IKE_CE_AES192_GCM },
		{ "aes-256-gcm", IKE_CE_AES256_GCM },
		{ "chacha20-poly1305", IKE_CE_CHACHA20_POLY1305 },
	};
	size_t i;

	for (i = 0; s && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].n) == 0)
			return t[i].e;
	return IKE_CE_UNSET;
}

static enum ike_conf_proposal_set
pset_of(const char *s)
{
	static const char *const n[] = { "", "basic", "compatible", "standard", "suiteb-gcm-128",
		"suiteb-gcm-256", "prime-128", "prime-256" };
	size_t i;

	for (i = 1; s && i < sizeof(n) / sizeof(n[0]); i++)
		if (strcmp(s, n[i]) == 0)
			return (enum ike_conf_proposal_set)i;
	return IKE_PSET_NONE;
}

/*
 * A secret as configured: "$9$..." (how mgd stores every typed secret) is
 * decoded; anything else is taken as is. Caller frees with xmem_free_str.
 */
static char *
secret(const char *v)
{
	char *out = NULL;
	size_t len;

	if (!v)
		return NULL;
	if (strncmp(v, CFG_SECRET_MAGIC, 3) == 0 &&
	    cfg_secret_decode(v, strlen(v), &out, &len) == 0)
		return out;
	return strdup(v);
}

static int
set_key(struct ike_conf_key *k, const struct lyd_node *n)
{
	const char *a = val(n, "ascii-text"), *h = val(n, "hexadecimal");
	char *plain = secret(a ? a : h);
	int rc = 0;

	if (plain)
		rc = ike_conf_set_key(k, a == NULL, plain);
	xmem_free_str(plain);
	return rc;
}

static int
set_id(struct ike_conf_id *id, const struct lyd_node *n)
{
	static const struct {
		const char *leaf;
		enum ike_id_kind kind;
	} t[] = {
		{ "inet", IKE_IDK_INET },
		{ "inet6", IKE_IDK_INET6 },
		{ "hostname", IKE_IDK_HOSTNAME },
		{ "user-at-hostname", IKE_IDK_USER_AT_HOSTNAME },
		{ "key-id", IKE_IDK_KEY_ID },
	};
	size_t i;

	for (i = 0; n && i < sizeof(t) / sizeof(t[0]); i++) {
		const char *v = val(n, t[i].leaf);

		if (v)
			return ike_conf_set_id(id, t[i].kind, v);
	}
	return 0;
}

static int parse_prefix(const char *s, struct dp_prefix *p);

int
xl_parse_prefix(const char *s, struct dp_prefix *p)
{
	return parse_prefix(s, p);
}

static int
parse_prefix(const char *s, struct dp_prefix *p)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;

	memset(p, 0, sizeof(*p));
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &p->addr.u.v4) == 1)
		p->addr.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, &p->addr.u.v6) == 1)
		p->addr.family = AF_INET6;
	else
		return -EINVAL;
	plen = p->addr.family == AF_INET ? 32 : 128;
	if (slash) {
		char *end;
		unsigned long l = strtoul(slash + 1, &end, 10);

		if (*end || end == slash + 1 || l > plen)
			return -EINVAL;
		plen = l;
	}
	p->len = (uint8_t)plen;
	return 0;
}

static int
parse_addr(const char *s, struct dp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (s && inet_pton(AF_INET, s, &a->u.v4) == 1)
		a->family = AF_INET;
	else if (s && inet_pton(AF_INET6, s, &a->u.v6) == 1)
		a->family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

static void
prefix_range(const struct dp_prefix *p, struct dp_addr *lo, struct dp_addr *hi)
{
	size_t n = p->addr.family == AF_INET ? 4 : 16, i;

	*lo = p->addr;
	*hi = p->addr;
	for (i = 0; i < n; i++) {
		unsigned bits = p->len > i * 8 ? p->len - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		lo->u.b[i] &= mask;
		hi->u.b[i] |= (uint8_t)~mask;
	}
}

static bool
prefix_contains(const struct dp_prefix *p, const struct dp_addr *a)
{
	struct dp_addr lo, hi;
	size_t n = a->family == AF_INET ? 4 : 16;

	if (p->addr.family != a->family)
		return false;
	prefix_range(p, &lo, &hi);
	return memcmp(a->u.b, lo.u.b, n) >= 0 && memcmp(a->u.b, hi.u.b, n) <= 0;
}

const char *
iked_dp_addr_str(const struct dp_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, a->u.b, buf, (socklen_t)len))
		snprintf(buf, len, "-");
	return buf;
}

const char *
iked_prefix_str(const struct dp_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", iked_dp_addr_str(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

/* ---- IKE and IPsec into the mirror ---------------------------------------------- */

void
xl_ike_proposal(struct iked_want *w, const struct lyd_node *n)
{
	struct ike_conf_ike_proposal *p = ike_conf_add_ike_proposal(w->conf, val(n, "name"));
	const char *am = val(n, "authentication-method"), *aa = val(n, "authentication-algorithm");
	struct errbuf eb = { .msg = "" };

	w->n_translated++;
	if (!p)
		return;
	p->auth_method = !am || strcmp(am, "pre-shared-keys") == 0 ? IKE_CAM_PRE_SHARED_KEYS
	                 : strcmp(am, "rsa-signatures") == 0       ? IKE_CAM_RSA_SIGNATURES
	                 : strcmp(am, "certificates") == 0         ? IKE_CAM_CERTIFICATES
	                                                           : IKE_CAM_DIGITAL_SIGNATURE;
	p->dh_group = dh_group(val(n, "dh-group"));
	p->auth_alg = !aa                          ? IKE_CIA_UNSET
	              : strcmp(aa, "md5") == 0     ? IKE_CIA_MD5
	              : strcmp(aa, "sha1") == 0    ? IKE_CIA_SHA1
	              : strcmp(aa, "sha-256") == 0 ? IKE_CIA_SHA256
	              : strcmp(aa, "sha-384") == 0 ? IKE_CIA_SHA384
	                                           : IKE_CIA_SHA512;
	p->enc = enc_of(val(n, "encryption-algorithm"));
	if (p->enc == IKE_CE_UNSET)
		p->enc = IKE_CE_AES128_CBC;
	p->lifetime_seconds = val_u32(n, "lifetime-seconds", 28800);
	errbuf_clear(&eb);
	if (ike_conf_check_ike_proposal(p, &eb) < 0)
		want_err_buf(w, n, &eb);
}

void
xl_ike_policy(struct iked_want *w, const struct lyd_node *n)
{
	struct ike_conf_ike_policy *p = ike_conf_add_ike_policy(w->conf, val(n, "name"));
	const struct lyd_node *c;

	w->n_translated++;
	if (!p)
		return;
	FOR_CHILDREN(c, n, "proposals")
	{
		if (p->n_proposals < IKE_CONF_PROPS)
			snprintf(p->proposals[p->n_proposals++], sizeof(p->proposals[0]), "%s",
			    lyd_get_value(c));
	}
	p->proposal_set = pset_of(val(n, "proposal-set"));
	p->reauth_frequency = val_u32(n, "reauth-frequency", 0);
	if (p->reauth_frequency)
		want_err(w, child(n, "reauth-frequency"),
		    "reauthentication is not supported by cairn-iked (0: disabled)");
	if (has(n, "pre-shared-key") && set_key(&p->psk, child(n, "pre-shared-key")) < 0)
		want_err(w, child(n, "pre-shared-key"), "cannot read the pre-shared key");
}

void
xl_gateway(struct iked_want *w, const struct lyd_node *n)
{
	struct ike_conf_gateway *g = ike_conf_add_gateway(w->conf, val(n, "name"));
	const struct lyd_node *c, *dyn = child(n, "dynamic"),
	                          *dpd = child(n, "dead-peer-detection");
	const char *v;

	w->n_translated++;
	if (!g)
		return;
	snprintf(g->ike_policy, sizeof(g->ike_policy), "%s",
	    val(n, "ike-policy") ? val(n, "ike-policy") : "");
	FOR_CHILDREN(c, n, "address")
	{
		struct ike_addr a;

		if (ike_addr_parse(lyd_get_value(c), &a) < 0)
			want_err(w, c,
			    "host names are not supported by cairn-iked: configure the peer's IP "
			    "address");
		else if (ike_conf_gateway_add_address(g, lyd_get_value(c)) < 0)
			want_err(w, c, "too many addresses");
	}
	if (dyn) {
		g->dynamic = true;
		if (has(dyn, "general-ikeid"))
			g->dyn_general_ikeid = true;
		else if (set_id(&g->dyn_id, dyn) < 0)
			want_err(w, dyn, "out of memory");
		g->connections_limit = val_u32(dyn, "connections-limit", 0);
		v = val(dyn, "ike-user-type");
		g->ike_user_type = !v                               ? IKE_USER_NONE
		                   : strcmp(v, "group-ike-id") == 0 ? IKE_USER_GROUP_IKE_ID
		                                                    : IKE_USER_SHARED_IKE_ID;
		g->reject_duplicate = has(dyn, "reject-duplicate-connection");
	}
	if (dpd) {
		g->dpd = true;
		g->dpd_mode = has(dpd, "probe-idle-tunnel") ? IKE_DPD_PROBE_IDLE_TUNNEL
		              : has(dpd, "always-send")     ? IKE_DPD_ALWAYS_SEND
		                                            : IKE_DPD_OPTIMIZED;
		g->dpd_interval = val_u32(dpd, "interval", 10);
		g->dpd_threshold = val_u32(dpd, "threshold", 5);
	}
	g->no_nat_traversal = has(n, "no-nat-traversal");
	g->nat_keepalive = val_u32(n, "nat-keepalive", 20);
	if (set_id(&g->local_id, child(n, "local-identity")) < 0 ||
	    set_id(&g->remote_id, child(n, "remote-identity")) < 0 ||
	    ike_conf_set_str(&g->external_interface, val(n, "external-interface")) < 0 ||
	    ike_conf_set_str(&g->local_address, val(n, "local-address")) < 0)
		want_err(w, n, "out of memory");
	g->general_ikeid = has(n, "general-ikeid");
	v = val(n, "version");
	g->v1_only = v && strcmp(v, "v1-only") == 0;
}

void
xl_ipsec_proposal(struct iked_want *w, const struct lyd_node *n)
{
	struct ike_conf_ipsec_proposal *p = ike_conf_add_ipsec_proposal(w->conf, val(n, "name"));
	const char *pr = val(n, "protocol"), *aa = val(n, "authentication-algorithm");
	struct errbuf eb = { .msg = "" };

	w->n_translated++;
	if (!p)
		return;
	p->ah = pr && strcmp(pr, "ah") == 0;
	p->auth_alg = !aa                                   ? IKE_CEA_UNSET
	              : strcmp(aa, "hmac-md5-96") == 0      ? IKE_CEA_HMAC_MD5_96
	              : strcmp(aa, "hmac-sha1-96") == 0     ? IKE_CEA_HMAC_SHA1_96
	              : strcmp(aa, "hmac-sha-256-128") == 0 ? IKE_CEA_HMAC_SHA256_128
	              : strcmp(aa, "hmac-sha-256-96") == 0  ? IKE_CEA_HMAC_SHA256_96
	              : strcmp(aa, "hmac-sha-384") == 0     ? IKE_CEA_HMAC_SHA384
	                                                    : IKE_CEA_HMAC_SHA512;
	p->enc = enc_of(val(n, "encryption-algorithm"));
	p->lifetime_seconds = val_u32(n, "lifetime-seconds", 3600);
	p->lifetime_kilobytes = val_u32(n, "lifetime-kilobytes", 0);
	p->esn = has(n, "extended-sequence-number");
	errbuf_clear(&eb);
	if (ike_conf_check_ipsec_proposal(p, &eb) < 0)
		want_err_buf(w, n, &eb);
}

void
xl_ipsec_policy(struct iked_want *w, const struct lyd_node *n)
{
	struct ike_conf_ipsec_policy *p = ike_conf_add_ipsec_policy(w->conf, val(n, "name"));
	const struct lyd_node *c;

	w->n_translated++;
	if (!p)
		return;
	p->pfs_group = dh_group(val(n, "perfect-forward-secrecy/keys"));
	FOR_CHILDREN(c, n, "proposals")
	{
		if (p->n_proposals < IKE_CONF_PROPS)
			snprintf(p->proposals[p->n_proposals++], sizeof(p->proposals[0]), "%s",
			    lyd_get_value(c));
	}
	p->proposal_set = pset_of(val(n, "proposal-set"));
}

/* ---- manual-key VPNs ------------------------------------------------------------ */

static int
hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* A manual key into dst (len bytes exactly); 0, or -EINVAL (wrong length). */
static int
manual_key(const struct lyd_node *keynode, uint8_t *dst, size_t len, size_t *got)
{
	const char *a = val(keynode, "ascii-text"), *h = val(keynode, "hexadecimal");
	char *plain = secret(a ? a : h);
	const char *p = plain;
	size_t n, i;
	int rc = 0;

	*got = 0;
	if (!plain)
		return -ENOENT;
	if (a) {
		n = strlen(plain);
		if (n != len)
			rc = -EINVAL;
		else
			memcpy(dst, plain, len);
		*got = n;
	} else {
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			p += 2;
		n = strlen(p);
		*got = n / 2;
		if (n % 2 || n / 2 != len) {
			rc = -EINVAL;
		} else {
			for (i = 0; i < len; i++) {
				int hi = hexval((unsigned char)p[2 * i]),
				    lo = hexval((unsigned char)p[2 * i + 1]);

				if (hi < 0 || lo < 0) {
					rc = -EINVAL;
					break;
				}
				dst[i] = (uint8_t)(hi << 4 | lo);
			}
		}
	}
	xmem_free_str(plain);
	return rc;
}

/* The source address the kernel would use toward remote. */
static int
route_source(const struct dp_addr *remote, struct dp_addr *local)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, rc = 0;

	memset(&ss, 0, sizeof(ss));
	if (remote->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(500);
		s->sin_addr = remote->u.v4;
		sl = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(500);
		s->sin6_addr = remote->u.v6;
		sl = sizeof(*s);
	}
	fd = socket(remote->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		rc = -errno;
	close(fd);
	if (rc < 0)
		return rc;
	memset(local, 0, sizeof(*local));
	local->family = remote->family;
	if (remote->family == AF_INET)
		local->u.v4 = ((struct sockaddr_in *)&ss)->sin_addr;
	else
		local->u.v6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
	return 0;
}

/* The first address of a Linux device ("eth1" of "eth1.0") in a family. */
static int
device_address(const char *ifl, int family, struct dp_addr *out)
{
	struct ifaddrs *ifa, *i;
	char dev[64];
	int rc = -ENOENT;

	snprintf(dev, sizeof(dev), "%s", ifl);
	if (strchr(dev, '.') && strcmp(strchr(dev, '.'), ".0") == 0)
		*strchr(dev, '.') = '\0';
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family ||
		    strcmp(i->ifa_name, dev) != 0)
			continue;
		memset(out, 0, sizeof(*out));
		out->family = (uint8_t)family;
		if (family == AF_INET)
			out->u.v4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else
			out->u.v6 = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		rc = 0;
		break;
	}
	freeifaddrs(ifa);
	return rc;
}

static void
manual_free(struct want_manual *m)
{
	explicit_bzero(&m->in, sizeof(m->in));
	explicit_bzero(&m->out, sizeof(m->out));
	free(m->path);
	m->path = NULL;
}

static void
xl_manual(struct iked_want *w, const struct lyd_node *vpn, const struct lyd_node *n)
{
	const struct lyd_node *auth = child(n, "authentication"), *enc = child(n, "encryption");
	const char *ea = val(enc, "algorithm"), *aa = val(auth, "algorithm"), *bind, *v;
	struct want_manual m, *arr;
	size_t klen, ilen = 0, got;
	int rc;

	memset(&m, 0, sizeof(m));
	snprintf(m.name, sizeof(m.name), "%s", val(vpn, "name"));
	v = val(n, "protocol");
	if (v && strcmp(v, "ah") == 0) {
		want_err(w, child(n, "protocol"), "AH is not supported by cairn-iked (use esp)");
		return;
	}
	if (parse_addr(val(n, "gateway"), &m.remote) < 0) {
		want_err(w, child(n, "gateway"), "invalid address");
		return;
	}
	v = val(n, "local-address");
	if (v) {
		if (parse_addr(v, &m.local) < 0 || m.local.family != m.remote.family) {
			want_err(
			    w, child(n, "local-address"), "not an address of the gateway's family");
			return;
		}
	} else if ((v = val(n, "external-interface")) != NULL) {
		if (device_address(v, m.remote.family, &m.local) < 0) {
			want_err(w, child(n, "external-interface"),
			    "no %s address on this interface (or set local-address)",
			    m.remote.family == AF_INET ? "IPv4" : "IPv6");
			return;
		}
	} else if (route_source(&m.remote, &m.local) < 0) {
		want_err(w, child(n, "gateway"),
		    "no route to this gateway to choose a local address from (set local-address)");
		return;
	}
	m.spi = val_u32(n, "spi", 0);
	m.encap = has(n, "udp-encapsulation");
	m.in.spi = m.out.spi = m.spi;
	m.in.dir = DP_DIR_IN;
	m.out.dir = DP_DIR_OUT;
	if (!ea) {
		want_err(w, enc, "missing mandatory statement: 'algorithm'");
		return;
	}
	if (strncmp(ea, "aes-", 4) == 0 && strstr(ea, "gcm")) {
		/* One manual key serves both directions (Junos manual SAs): with
		 * GCM both directions would use the same nonces (RFC 4106 8.1). */
		want_err(w, child(enc, "algorithm"),
		    "%s cannot be used with manual keys: both directions share the key, so "
		    "they would reuse GCM nonces (use aes-128-cbc or aes-256-cbc with an "
		    "authentication algorithm)",
		    ea);
		return;
	}
	if (strcmp(ea, "aes-128-gcm") == 0) {
		m.out.enc = DP_ENC_AES_GCM_128;
		klen = 20;
	} else if (strcmp(ea, "aes-256-gcm") == 0) {
		m.out.enc = DP_ENC_AES_GCM_256;
		klen = 36;
	} else if (strcmp(ea, "aes-128-cbc") == 0) {
		m.out.enc = DP_ENC_AES_CBC_128;
		klen = 16;
	} else {
		m.out.enc = DP_ENC_AES_CBC_256;
		klen = 32;
	}
	if (m.out.enc == DP_ENC_AES_GCM_128 || m.out.enc == DP_ENC_AES_GCM_256) {
		if (aa) {
			want_err(w, child(auth, "algorithm"), "must not be set with %s", ea);
			return;
		}
		m.out.integ = DP_INTEG_NONE;
	} else if (!aa) {
		want_err(w, auth ? auth : n, "an authentication algorithm is required with %s", ea);
		return;
	} else if (strcmp(aa, "hmac-sha-256-128") == 0) {
		m.out.integ = DP_INTEG_HMAC_SHA256_128;
		ilen = 32;
	} else if (strcmp(aa, "hmac-sha-384") == 0) {
		m.out.integ = DP_INTEG_HMAC_SHA384_192;
		ilen = 48;
	} else {
		m.out.integ = DP_INTEG_HMAC_SHA512_256;
		ilen = 64;
	}
	rc = manual_key(child(enc, "key"), m.out.enc_key, klen, &got);
	if (rc < 0) {
		want_err(w, child(enc, "key") ? child(enc, "key") : enc,
		    rc == -ENOENT ? "missing mandatory statement: 'key'"
		                  : "%s needs a key of %zu bytes%s (this one has %zu)",
		    ea, klen, klen == 20 || klen == 36 ? " (the AES key and a 4-byte salt)" : "",
		    got);
		return;
	}
	m.out.enc_key_len = (uint8_t)klen;
	if (ilen) {
		rc = manual_key(child(auth, "key"), m.out.integ_key, ilen, &got);
		if (rc < 0) {
			want_err(w, child(auth, "key") ? child(auth, "key") : auth,
			    rc == -ENOENT ? "missing mandatory statement: 'key'"
			                  : "%s needs a key of %zu bytes (this one has %zu)",
			    aa, ilen, got);
			explicit_bzero(&m, sizeof(m));
			return;
		}
		m.out.integ_key_len = (uint8_t)ilen;
	}
	v = val(vpn, "df-bit");
	m.df = !v || strcmp(v, "clear") == 0 ? IKE_DF_CLEAR
	       : strcmp(v, "set") == 0       ? IKE_DF_SET
	                                     : IKE_DF_COPY;
	m.copy_dscp = has(vpn, "copy-outer-dscp");
	m.unit = DP_UNIT_NONE;
	bind = val(vpn, "bind-interface");
	if (bind)
		m.unit = (uint32_t)strtoul(bind + 4, NULL, 10);
	/* both directions: the same algorithm, keys and SPI (Junos manual SAs) */
	m.out.flags = (m.encap ? DP_SA_HAS_ENCAP : 0) | (m.copy_dscp ? DP_SA_COPY_DSCP : 0);
	m.out.local = m.local;
	m.out.remote = m.remote;
	m.out.encap_local_port = m.out.encap_remote_port = m.encap ? 4500 : 0;
	m.out.df = m.df == IKE_DF_SET ? DP_DF_SET : m.df == IKE_DF_COPY ? DP_DF_COPY : DP_DF_CLEAR;
	m.out.spu = DP_SPU_ANY;
	m.in = m.out;
	m.in.dir = DP_DIR_IN;
	m.in.replay_window = 0; /* no anti-replay with manual keys (no rekey resets the counter) */
	{
		size_t i;

		const struct want_manual *dup = NULL;

		/* the inbound SA is (SPI, our address): one manual VPN each */
		for (i = 0; i < w->n_manual && !dup; i++)
			if (w->manual[i].spi == m.spi &&
			    memcmp(&w->manual[i].local, &m.local, sizeof(m.local)) == 0)
				dup = &w->manual[i];
		/* a partial translation: also those applied that it leaves */
		for (i = 0; w->partial && w->base_obj && i < w->base_obj->n_manual && !dup; i++) {
			const struct want_manual *o = &w->base_obj->manual[i].m;

			if (o->spi == m.spi && memcmp(&o->local, &m.local, sizeof(m.local)) == 0 &&
			    !iked_names_has(&w->manual_keys, o->name))
				dup = o;
		}
		if (dup) {
			want_err(w, child(n, "spi"),
			    "SPI %u toward this local address is already used by VPN %s", m.spi,
			    dup->name);
			explicit_bzero(&m, sizeof(m));
			return;
		}
	}
	m.path = lyd_path(vpn, LYD_PATH_STD, NULL, 0);
	arr = realloc(w->manual, (w->n_manual + 1) * sizeof(*arr));
	if (!arr) {
		manual_free(&m);
		return;
	}
	w->manual = arr;
	w->manual[w->n_manual++] = m;
}

static struct want_manual *
find_manual(struct iked_want *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n_manual; i++)
		if (strcmp(w->manual[i].name, name) == 0)
			return &w->manual[i];
	return NULL;
}

void
xl_vpn(struct iked_want *w, const struct lyd_node *n)
{
	struct ike_conf_vpn *v = ike_conf_add_vpn(w->conf, val(n, "name"));
	const struct lyd_node *ike = child(n, "ike"), *c;
	const char *s;

	w->n_translated++;
	if (!v)
		return;
	if (has(n, "vpn-monitor"))
		want_err(w, child(n, "vpn-monitor"),
		    "VPN monitoring is not supported by cairn-iked (use dead-peer-detection on the "
		    "gateway)");
	if (ike_conf_set_str(&v->bind_interface, val(n, "bind-interface")) < 0)
		want_err(w, n, "out of memory");
	s = val(n, "df-bit");
	v->df_bit = !s || strcmp(s, "clear") == 0 ? IKE_DF_CLEAR
	            : strcmp(s, "set") == 0       ? IKE_DF_SET
	                                          : IKE_DF_COPY;
	v->copy_outer_dscp = has(n, "copy-outer-dscp");
	s = val(n, "establish-tunnels");
	v->establish = !s || strcmp(s, "on-traffic") == 0 ? IKE_EST_ON_TRAFFIC
	               : strcmp(s, "immediately") == 0    ? IKE_EST_IMMEDIATELY
	               : strcmp(s, "responder-only") == 0 ? IKE_EST_RESPONDER_ONLY
	                                                  : IKE_EST_RESPONDER_ONLY_NO_REKEY;
	if (child(n, "manual")) {
		v->manual = true;
		xl_manual(w, n, child(n, "manual"));
		return;
	}
	snprintf(
	    v->gateway, sizeof(v->gateway), "%s", val(ike, "gateway") ? val(ike, "gateway") : "");
	snprintf(v->ipsec_policy, sizeof(v->ipsec_policy), "%s",
	    val(ike, "ipsec-policy") ? val(ike, "ipsec-policy") : "");
	v->idle_time = val_u32(ike, "idle-time", 0);
	v->anti_replay_window = val_u32(ike, "anti-replay-window-size", 0);
	v->no_anti_replay = has(ike, "no-anti-replay");
	v->install_interval = val_u32(ike, "install-interval", 1);
	if (has(ike, "proxy-identity")) {
		const struct lyd_node *pi = child(ike, "proxy-identity");

		v->proxy_identity = true;
		if (ike_conf_set_str(&v->proxy_local, val(pi, "local")) < 0 ||
		    ike_conf_set_str(&v->proxy_remote, val(pi, "remote")) < 0 ||
		    ike_conf_set_str(&v->proxy_service, val(pi, "service")) < 0)
			want_err(w, n, "out of memory");
	}
	FOR_CHILDREN(c, n, "traffic-selector")
	{
		struct ike_conf_ts *t = ike_conf_vpn_add_ts(v, val(c, "name"));

		if (!t || ike_conf_set_str(&t->local_ip, val(c, "local-ip")) < 0 ||
		    ike_conf_set_str(&t->remote_ip, val(c, "remote-ip")) < 0) {
			want_err(w, c, "out of memory");
			continue;
		}
		t->metric = val_u32(c, "metric", 5);
		t->preference = val_u32(c, "preference", 5);
	}
}

/* ---- zones and policies (policy-based VPNs) ----------------------------------- */

/* Predefined applications Cairn knows: protocol and destination ports. */
static const struct app {
	const char *name;
	uint8_t proto;
	uint16_t lo, hi;
} apps[] = {
	{ "any", 0, 0, 65535 },
	{ "junos-icmp-all", 1, 0, 65535 },
	{ "junos-icmp-ping", 1, 0, 65535 },
	{ "junos-ping", 1, 0, 65535 },
	{ "junos-icmp6-all", 58, 0, 65535 },
	{ "junos-ssh", 6, 22, 22 },
	{ "junos-telnet", 6, 23, 23 },
	{ "junos-ftp", 6, 21, 21 },
	{ "junos-smtp", 6, 25, 25 },
	{ "junos-http", 6, 80, 80 },
	{ "junos-https", 6, 443, 443 },
	{ "junos-bgp", 6, 179, 179 },
	{ "junos-dns-udp", 17, 53, 53 },
	{ "junos-dns-tcp", 6, 53, 53 },
	{ "junos-ntp", 17, 123, 123 },
	{ "junos-syslog", 17, 514, 514 },
	{ "junos-tftp", 17, 69, 69 },
};

static const struct lyd_node *
zone_node(const struct lyd_node *sec, const char *zone)
{
	const struct lyd_node *zs = child(sec, "zones"), *z;

	FOR_CHILDREN(z, zs, "security-zone")
	{
		if (strcmp(val(z, "name"), zone) == 0)
			return z;
	}
	return NULL;
}

#define SEL_MAX 16

struct sel {
	struct dp_addr lo, hi;
};

/* Adds the selectors an address-book name stands for; -ENOENT if unknown. */
static int
book_lookup(const struct lyd_node *zone, const char *name, struct sel *out, unsigned *n, int depth)
{
	const struct lyd_node *book = child(zone, "address-book"), *a, *c;

	if (depth > 4)
		return -ELOOP;
	FOR_CHILDREN(a, book, "address")
	{
		struct dp_prefix p;

		if (strcmp(val(a, "name"), name) != 0)
			continue;
		if (*n >= SEL_MAX)
			return -E2BIG;
		if (val(a, "ip-prefix")) {
			if (parse_prefix(val(a, "ip-prefix"), &p) < 0)
				return -EINVAL;
			prefix_range(&p, &out[*n].lo, &out[*n].hi);
		} else if (parse_addr(val(a, "range-address/low"), &out[*n].lo) < 0 ||
		           parse_addr(val(a, "range-address/to"), &out[*n].hi) < 0 ||
		           out[*n].lo.family != out[*n].hi.family) {
			return -EINVAL;
		}
		(*n)++;
		return 0;
	}
	FOR_CHILDREN(a, book, "address-set")
	{
		if (strcmp(val(a, "name"), name) != 0)
			continue;
		FOR_CHILDREN(c, a, "address")
		{
			int rc = book_lookup(zone, lyd_get_value(c), out, n, depth + 1);

			if (rc < 0)
				return rc;
		}
		return 0;
	}
	return -ENOENT;
}

/* The selectors of a policy's match addresses (source: from-zone's book). */
static int
match_addresses(struct iked_want *w, const struct lyd_node *match, const char *leaf,
    const struct lyd_node *zone, struct sel *out, unsigned *n)
{
	const struct lyd_node *c;

	*n = 0;
	FOR_CHILDREN(c, match, leaf)
	{
		const char *a = lyd_get_value(c);
		int rc;

		if (strcmp(a, "any") == 0 || strcmp(a, "any-ipv4") == 0) {
			memset(&out[*n], 0, sizeof(out[0]));
			out[*n].lo.family = out[*n].hi.family = AF_INET;
			memset(out[*n].hi.u.b, 0xff, 4);
			(*n)++;
		}
		if (strcmp(a, "any") == 0 || strcmp(a, "any-ipv6") == 0) {
			memset(&out[*n], 0, sizeof(out[0]));
			out[*n].lo.family = out[*n].hi.family = AF_INET6;
			memset(out[*n].hi.u.b, 0xff, 16);
			(*n)++;
		}
		if (strncmp(a, "any", 3) == 0)
			continue;
		rc = zone ? book_lookup(zone, a, out, n, 0) : -ENOENT;
		if (rc < 0) {
			want_err(w, c,
			    rc == -ENOENT ? "address '%s' is not in the address book of zone %s"
			    : rc == -E2BIG
			        ? "'%s': too many addresses (at most 16 per policy side%s)"
			        : "address '%s' is not usable%s",
			    a,
			    rc == -ENOENT && zone ? val(zone, "name")
			    : rc == -ENOENT       ? "?"
			                          : "");
			return rc;
		}
	}
	return 0;
}

static void
ts_from_sel(const struct sel *s, uint8_t proto, uint16_t lo, uint16_t hi, struct ike_ts *t)
{
	memset(t, 0, sizeof(*t));
	t->family = s->lo.family;
	t->proto = proto;
	t->port_lo = lo;
	t->port_hi = hi;
	t->lo.family = t->hi.family = s->lo.family;
	memcpy(t->lo.b, s->lo.u.b, 16);
	memcpy(t->hi.b, s->hi.u.b, 16);
}

static void
dpts_from_ike(const struct ike_ts *t, struct dp_ts *d)
{
	memset(d, 0, sizeof(*d));
	d->family = t->family;
	d->proto = t->proto;
	d->port_lo = t->port_lo;
	d->port_hi = t->port_hi;
	d->addr_lo.family = d->addr_hi.family = t->family;
	memcpy(d->addr_lo.u.b, t->lo.b, 16);
	memcpy(d->addr_hi.u.b, t->hi.b, 16);
}

/* The applications of a policy's match; UINT_MAX after a problem. */
static unsigned
check_apps_into(
    struct iked_want *w, const struct lyd_node *match, const struct app **ap, unsigned max)
{
	const struct lyd_node *c;
	unsigned napp = 0;
	size_t k;

	FOR_CHILDREN(c, match, "application")
	{
		const char *a = lyd_get_value(c);

		for (k = 0; k < sizeof(apps) / sizeof(apps[0]); k++)
			if (strcmp(apps[k].name, a) == 0)
				break;
		if (k == sizeof(apps) / sizeof(apps[0])) {
			want_err(w, c,
			    "application '%s' is not known to cairn-iked (any, junos-icmp-all, "
			    "junos-ping, junos-ssh, junos-http, junos-https, junos-dns-udp, ...)",
			    a);
			return UINT_MAX;
		}
		if (napp < max)
			ap[napp++] = &apps[k];
	}
	return napp;
}

static void
check_apps(struct iked_want *w, const struct lyd_node *match)
{
	const struct app *ap[8];

	(void)check_apps_into(w, match, ap, 8);
}

static int
add_policy(struct iked_want *w, const struct want_policy *p)
{
	struct want_policy *a = realloc(w->pols, (w->n_pols + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	w->pols = a;
	w->pols[w->n_pols++] = *p;
	return 0;
}

struct pol_ctx {
	unsigned prio;
};

static void
xl_policy(struct iked_want *w, const struct lyd_node *sec, const char *from, const char *to,
    const struct lyd_node *pn, struct pol_ctx *pc)
{
	const struct lyd_node *tun = desc(pn, "then/permit/tunnel"), *match = child(pn, "match");
	const char *vpn = val(tun, "ipsec-vpn"), *pair = val(tun, "pair-policy");
	struct sel src[SEL_MAX], dst[SEL_MAX];
	unsigned ns = 0, nd = 0, i, j, k, napp = 0;
	const struct app *ap[8];
	struct ike_conf_vpn *v = NULL;
	struct want_manual *m = NULL;
	struct ike_ts lts[IKE_VPN_TS_SIDES], rts[IKE_VPN_TS_SIDES];
	unsigned nl = 0, nr = 0;
	struct want_policy wp;
	char pname[sizeof(wp.policy)];
	size_t vi;

	pc->prio++;
	snprintf(
	    pname, sizeof(pname), "from-zone %s to-zone %s policy %s", from, to, val(pn, "name"));
	for (vi = 0; vpn && vi < w->conf->n_vpns; vi++)
		if (strcmp(w->conf->vpns[vi].name, vpn) == 0)
			v = &w->conf->vpns[vi];
	if (!vpn) {
		/* not a tunnel policy (Cairn does not filter traffic): its
		 * addresses and applications must still exist */
		if (match_addresses(w, match, "source-address", zone_node(sec, from), src, &ns) ==
		        0 &&
		    match_addresses(
		        w, match, "destination-address", zone_node(sec, to), dst, &nd) == 0)
			check_apps(w, match);
		return;
	}
	if (!v)
		return; /* the leafref makes this impossible */
	if (v->bind_interface) {
		want_err(w, child(tun, "ipsec-vpn"),
		    "VPN %s is route-based (bind-interface %s): a policy-based VPN must not have a "
		    "bind-interface",
		    vpn, v->bind_interface);
		return;
	}
	if (v->manual)
		m = find_manual(w, vpn);
	else if (v->gateway[0]) {
		const struct ike_conf_gateway *g = ike_conf_find_gateway(w->conf, v->gateway);

		if (g && g->dynamic) {
			want_err(w, child(tun, "ipsec-vpn"),
			    "VPN %s uses the dial-up gateway %s: policy-based VPNs need a gateway "
			    "with "
			    "an address",
			    vpn, v->gateway);
			return;
		}
	}
	if (match_addresses(w, match, "source-address", zone_node(sec, from), src, &ns) < 0 ||
	    match_addresses(w, match, "destination-address", zone_node(sec, to), dst, &nd) < 0)
		return;
	napp = check_apps_into(w, match, ap, 8);
	if (napp == UINT_MAX)
		return;
	if (napp == 0)
		ap[napp++] = &apps[0];
	/* Selectors: addresses x applications, one family per pair. */
	for (i = 0; i < ns; i++)
		for (k = 0; k < napp; k++) {
			if (nl == IKE_VPN_TS_SIDES)
				goto toomany;
			ts_from_sel(&src[i], ap[k]->proto, 0, 65535, &lts[nl++]);
		}
	for (j = 0; j < nd; j++)
		for (k = 0; k < napp; k++) {
			if (nr == IKE_VPN_TS_SIDES)
				goto toomany;
			ts_from_sel(&dst[j], ap[k]->proto, ap[k]->lo, ap[k]->hi, &rts[nr++]);
		}
	if (v->policy_based || (m && m->n_local_ts)) {
		/* A second policy of this VPN: only its pair (the reverse). */
		const struct ike_ts *ol = m ? NULL : v->policy_local,
		                    *orr = m ? NULL : v->policy_remote;
		bool reverse = true;

		if (!m) {
			if (nl != v->n_policy_remote || nr != v->n_policy_local)
				reverse = false;
			for (i = 0; reverse && i < nl; i++)
				reverse = lts[i].family == orr[i].family &&
				          ike_addr_eq(&lts[i].lo, &orr[i].lo) &&
				          ike_addr_eq(&lts[i].hi, &orr[i].hi);
			for (i = 0; reverse && i < nr; i++)
				reverse = rts[i].family == ol[i].family &&
				          ike_addr_eq(&rts[i].lo, &ol[i].lo) &&
				          ike_addr_eq(&rts[i].hi, &ol[i].hi);
		}
		if (!reverse) {
			want_err(w, child(tun, "ipsec-vpn"),
			    "VPN %s is already used by another policy with other addresses (a "
			    "policy-based VPN serves one policy and its pair-policy)",
			    vpn);
			return;
		}
		(void)pair;
		return; /* its traffic is what the first policy admits inbound */
	}
	if (pair) {
		/* The pair must exist in the reverse direction. */
		const struct lyd_node *pols = child(sec, "policies"), *fz, *tz, *p;
		bool found = false;

		FOR_CHILDREN(fz, pols, "from-zone")
		{
			if (strcmp(val(fz, "name"), to) != 0)
				continue;
			FOR_CHILDREN(tz, fz, "to-zone")
			{
				if (strcmp(val(tz, "name"), from) != 0)
					continue;
				FOR_CHILDREN(p, tz, "policy")
				{
					if (strcmp(val(p, "name"), pair) == 0)
						found = true;
				}
			}
		}
		if (!found) {
			want_err(w, child(tun, "pair-policy"),
			    "no policy %s from zone %s to zone %s", pair, to, from);
			return;
		}
	}
	if (m) {
		m->n_local_ts = nl;
		m->n_remote_ts = nr;
		for (i = 0; i < nl; i++)
			dpts_from_ike(&lts[i], &m->local_ts[i]);
		for (i = 0; i < nr; i++)
			dpts_from_ike(&rts[i], &m->remote_ts[i]);
	} else {
		v->policy_based = true;
		memcpy(v->policy_local, lts, nl * sizeof(lts[0]));
		memcpy(v->policy_remote, rts, nr * sizeof(rts[0]));
		v->n_policy_local = nl;
		v->n_policy_remote = nr;
	}
	/* Dataplane policies: out (encrypt) and in (admit decrypted), same
	 * family, and the source and destination of one application (lts[i]
	 * and rts[j] come from application i % napp and j % napp): never TCP
	 * from one side paired with UDP/53 on the other, nor one application's
	 * policy twice. */
	for (i = 0; i < nl; i++)
		for (j = 0; j < nr; j++) {
			if (lts[i].family != rts[j].family || i % napp != j % napp)
				continue;
			memset(&wp, 0, sizeof(wp));
			snprintf(wp.vpn, sizeof(wp.vpn), "%s", vpn);
			snprintf(wp.policy, sizeof(wp.policy), "%s", pname);
			wp.priority = pc->prio;
			wp.dir = DP_DIR_OUT;
			dpts_from_ike(&lts[i], &wp.src);
			dpts_from_ike(&rts[j], &wp.dst);
			if (add_policy(w, &wp) < 0)
				return;
			wp.dir = DP_DIR_IN;
			dpts_from_ike(&rts[j], &wp.src);
			dpts_from_ike(&lts[i], &wp.dst);
			/* decrypted traffic comes from the remote ports */
			wp.src.port_lo = rts[j].port_lo;
			wp.src.port_hi = rts[j].port_hi;
			wp.dst.port_lo = 0;
			wp.dst.port_hi = 65535;
			if (add_policy(w, &wp) < 0)
				return;
		}
	return;
toomany:
	want_err(w, match,
	    "too many selectors for one policy-based VPN (addresses x applications: at most %d "
	    "per side)",
	    IKE_VPN_TS_SIDES);
}

static void
xl_policies(struct iked_want *w, const struct lyd_node *sec)
{
	const struct lyd_node *pols = child(sec, "policies"), *fz, *tz, *p;
	struct pol_ctx pc = { 0 };

	FOR_CHILDREN(fz, pols, "from-zone")
	FOR_CHILDREN(tz, fz, "to-zone")
	FOR_CHILDREN(p, tz, "policy")
	xl_policy(w, sec, val(fz, "name"), val(tz, "name"), p, &pc);
}

/* ---- interfaces and routes ------------------------------------------------- */

/*
 * Arrays of the translation grow by doubling: their capacity is their
 * count rounded up to a power of two (they never shrink).
 */
static void *
grow_pow2(void *arr, size_t n, size_t size)
{
	size_t cap;

	if (n && (n & (n - 1)) != 0)
		return arr; /* room left */
	cap = n ? 2 * n : 4;
	return realloc(arr, cap * size);
}

static int
add_unit(struct iked_want *w, const struct want_unit *u)
{
	struct want_unit *a = grow_pow2(w->units, w->n_units, sizeof(*a));

	if (!a)
		return -ENOMEM;
	w->units = a;
	w->units[w->n_units++] = *u;
	return 0;
}

/* The next-hop-tunnel bindings of a multipoint unit, onto the VPNs of the
 * mirror (a partial translation holds only the changed ones). */
void
xl_unit_bindings(struct iked_want *w, const struct lyd_node *un)
{
	const struct lyd_node *fam = desc(un, "family/inet"), *nh;
	bool multipoint = has(un, "multipoint");

	FOR_CHILDREN(nh, fam, "next-hop-tunnel")
	{
		const char *vpn = val(nh, "ipsec-vpn");
		struct ike_conf_vpn *v;

		if (!multipoint) {
			want_err(w, nh,
			    "next-hop-tunnel bindings need a multipoint unit (set interfaces st0 "
			    "unit %u multipoint)",
			    val_u32(un, "name", 0));
			continue;
		}
		v = vpn ? (struct ike_conf_vpn *)ike_conf_find_vpn(w->conf, vpn) : NULL;
		if (!v)
			continue;
		if (v->nexthop)
			want_err(
			    w, nh, "VPN %s already has the next-hop-tunnel %s", vpn, v->nexthop);
		else if (ike_conf_set_str(&v->nexthop, val(nh, "name")) < 0)
			want_err(w, nh, "out of memory");
	}
}

void
xl_unit(struct iked_want *w, bool disabled, const struct lyd_node *un)
{
	const struct lyd_node *fam, *a;
	struct want_unit u;
	unsigned n4 = 0, n6 = 0;

	w->n_translated++;
	memset(&u, 0, sizeof(u));
	u.unit = val_u32(un, "name", 0);
	u.u.unit = u.unit;
	u.u.multipoint = has(un, "multipoint");
	u.disabled = disabled;
	u.u.up = !disabled;
	if (val(un, "description"))
		u.description = strdup(val(un, "description"));
	if ((fam = desc(un, "family/inet")) != NULL) {
		u.u.mtu = val_u32(fam, "mtu", 0);
		FOR_CHILDREN(a, fam, "address")
		{
			if (n4++ || parse_prefix(val(a, "name"), &u.u.addr4) < 0)
				want_err(w, a, "an st0 unit carries at most one IPv4 address");
		}
	}
	xl_unit_bindings(w, un);
	if ((fam = desc(un, "family/inet6")) != NULL) {
		u.mtu6 = val_u32(fam, "mtu", 0);
		FOR_CHILDREN(a, fam, "address")
		{
			if (n6++ || parse_prefix(val(a, "name"), &u.u.addr6) < 0)
				want_err(w, a, "an st0 unit carries at most one IPv6 address");
		}
	}
	if (!u.u.mtu && u.mtu6)
		u.u.mtu = u.mtu6;
	if (add_unit(w, &u) < 0)
		free(u.description);
}

static int
cmp_want_unit(const void *a, const void *b)
{
	const struct want_unit *x = a, *y = b;

	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

void
xl_sort_units(struct iked_want *w)
{
	if (w->n_units > 1)
		qsort(w->units, w->n_units, sizeof(*w->units), cmp_want_unit);
}

static const struct want_unit *
unit_in(const struct want_unit *arr, size_t n, uint32_t unit)
{
	struct want_unit key;

	key.unit = unit;
	return n ? bsearch(&key, arr, n, sizeof(key), cmp_want_unit) : NULL;
}

/* w->units is sorted by unit number once the interfaces are read. */
const struct want_unit *
iked_want_unit(const struct iked_want *w, uint32_t unit)
{
	char key[16];

	if (!w->partial || !w->base_obj)
		return unit_in(w->units, w->n_units, unit);
	snprintf(key, sizeof(key), "%u", unit);
	if (iked_names_has(&w->unit_keys, key))
		return unit_in(w->units, w->n_units, unit);
	return unit_in(w->base_obj->units, w->base_obj->n_units, unit);
}

/* The unit whose subnet holds a (a next hop on a multipoint hub), if any. */
static const struct want_unit *
unit_with_subnet(const struct iked_want *w, const struct dp_addr *a)
{
	const struct want_unit *arr[2] = { w->units, NULL };
	size_t n[2] = { w->n_units, 0 }, k, i;

	if (w->partial && w->base_obj) {
		arr[1] = w->base_obj->units;
		n[1] = w->base_obj->n_units;
	}
	for (k = 0; k < 2; k++)
		for (i = 0; i < n[k]; i++) {
			const struct want_unit *u = &arr[k][i];
			const struct dp_prefix *p =
			    a->family == AF_INET ? &u->u.addr4 : &u->u.addr6;
			char key[16];

			if (k == 1) { /* applied: only if this change leaves it */
				snprintf(key, sizeof(key), "%u", u->unit);
				if (iked_names_has(&w->unit_keys, key))
					continue;
			}
			if (p->addr.family && prefix_contains(p, a))
				return u;
		}
	return NULL;
}

static int
add_route(struct iked_want *w, const struct want_route *r)
{
	struct want_route *a = grow_pow2(w->routes, w->n_routes, sizeof(*a));

	if (!a)
		return -ENOMEM;
	w->routes = a;
	w->routes[w->n_routes++] = *r;
	return 0;
}

static void
add_nh(struct iked_want *w, const struct dp_addr *a, const char *route)
{
	struct iked_nh *arr = grow_pow2(w->nh, w->n_nh, sizeof(*arr));

	if (!arr)
		return;
	w->nh = arr;
	w->nh[w->n_nh].nh = *a;
	w->nh[w->n_nh].route = strdup(route ? route : "");
	if (w->nh[w->n_nh].route)
		w->n_nh++;
}

void
xl_route(struct iked_want *w, const struct lyd_node *rn)
{
	const struct lyd_node *nh;
	struct want_route r;
	unsigned n_st0 = 0;

	w->n_translated++;
	memset(&r, 0, sizeof(r));
	if (parse_prefix(val(rn, "name"), &r.r.dst) < 0)
		return;
	r.r.metric = val_u32(rn, "metric", 0);
	r.preference = val_u32(rn, "preference", 5);
	FOR_CHILDREN(nh, rn, "next-hop")
	{
		const char *v = lyd_get_value(nh);
		const struct want_unit *u;
		struct dp_addr a;

		if (strncmp(v, "st0.", 4) == 0) {
			r.r.unit = (uint32_t)strtoul(v + 4, NULL, 10);
			if (!iked_want_unit(w, r.r.unit)) {
				want_err(w, nh, "st0 unit %u is not configured", r.r.unit);
				return;
			}
			n_st0++;
			continue;
		}
		/* An address in a multipoint st0 unit's subnet: through that unit. */
		if (parse_addr(v, &a) < 0)
			continue;
		add_nh(w, &a, val(rn, "name"));
		if ((u = unit_with_subnet(w, &a)) != NULL) {
			r.r.unit = u->unit;
			r.r.nexthop = a;
			n_st0++;
		}
	}
	if (n_st0 == 0)
		return; /* not into st0: not ours */
	if (n_st0 > 1) {
		want_err(w, rn, "only one st0 next-hop per route is supported");
		return;
	}
	if (r.r.dst.addr.family && r.r.nexthop.family &&
	    r.r.dst.addr.family != r.r.nexthop.family) {
		want_err(w, rn, "next-hop is not of the destination's family");
		return;
	}
	add_route(w, &r);
}

/* ---- a set of route destinations (open addressing) ---- */

static uint64_t
pfx_hash(const struct dp_prefix *p)
{
	uint64_t h = 0xcbf29ce484222325ull ^ p->addr.family ^ ((uint64_t)p->len << 8);
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ p->addr.u.b[i]) * 0x100000001b3ull;
	return h;
}

static bool
pfx_eq(const struct dp_prefix *a, const struct dp_prefix *b)
{
	return a->addr.family == b->addr.family && a->len == b->len &&
	       memcmp(a->addr.u.b, b->addr.u.b, 16) == 0;
}

/* The value of a prefix in the map, NULL when absent. */
int32_t *
xl_pfxset_get(const struct xl_pfxset *s, const struct dp_prefix *p)
{
	size_t j;

	if (!s->cap)
		return NULL;
	for (j = pfx_hash(p) & (s->cap - 1); s->used[j]; j = (j + 1) & (s->cap - 1))
		if (pfx_eq(&s->v[j], p))
			return &s->val[j];
	return NULL;
}

int
xl_pfxset_add(struct xl_pfxset *s, const struct dp_prefix *p, int32_t val)
{
	size_t j;

	if (2 * (s->n + 1) > s->cap) {
		struct xl_pfxset t = { 0 };
		size_t i;

		t.cap = s->cap ? 2 * s->cap : 64;
		t.v = calloc(t.cap, sizeof(*t.v));
		t.val = calloc(t.cap, sizeof(*t.val));
		t.used = calloc(t.cap, sizeof(*t.used));
		if (!t.v || !t.val || !t.used) {
			free(t.v);
			free(t.val);
			free(t.used);
			return -ENOMEM;
		}
		for (i = 0; i < s->cap; i++)
			if (s->used[i])
				xl_pfxset_add(&t, &s->v[i], s->val[i]);
		xl_pfxset_fini(s);
		*s = t;
	}
	for (j = pfx_hash(p) & (s->cap - 1); s->used[j]; j = (j + 1) & (s->cap - 1))
		if (pfx_eq(&s->v[j], p))
			return 1;
	s->v[j] = *p;
	s->val[j] = val;
	s->used[j] = true;
	s->n++;
	return 0;
}

void
xl_pfxset_fini(struct xl_pfxset *s)
{
	free(s->v);
	free(s->val);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

/*
 * A partial translation: whether an applied route this change leaves holds
 * dst (an unchanged static route does: static routes win). A traffic
 * selector's route held by another, unchanged VPN is a contest a whole
 * translation settles.
 */
static bool
applied_holds(struct iked_want *w, const struct dp_prefix *dst)
{
	const struct iked_dpobj *o = w->base_obj;
	size_t k;

	for (k = 0; o && k < o->n_routes; k++) {
		const struct want_route *r = &o->routes[k].r;
		char key[64];

		if (!pfx_eq(&r->r.dst, dst))
			continue;
		if (r->ari) {
			if (iked_ari_in(r->ari, &w->ari_vpns))
				continue;
			w->need_full = true;
			w->why_full = "two traffic selectors route the same prefix";
			return true;
		}
		iked_prefix_str(&r->r.dst, key, sizeof(key));
		if (iked_names_has(&w->route_keys, key))
			continue;
		return true; /* an unchanged static route */
	}
	return false;
}

/*
 * Routes of one VPN's traffic selectors (Junos ARI-TS): remote-ip into its
 * unit. taken maps each destination routed so far to -1 (a static route:
 * it wins) or to the index of a traffic selector's route in w->routes.
 * Two selectors routing one prefix: the lowest "VPN TS" name wins, so the
 * outcome does not depend on the order of the configuration's lists
 * (which a refused commit's undo may change); a partial translation leaves
 * such contests to a whole one.
 */
void
xl_ts_routes_vpn(struct iked_want *w, const struct ike_conf_vpn *v, struct xl_pfxset *taken)
{
	uint32_t unit;
	size_t j;

	if (!v->bind_interface || v->manual || strncmp(v->bind_interface, "st0.", 4) != 0)
		return;
	unit = (uint32_t)strtoul(v->bind_interface + 4, NULL, 10);
	for (j = 0; j < v->n_ts; j++) {
		struct want_route r;
		int32_t *at;

		memset(&r, 0, sizeof(r));
		if (!v->ts[j].remote_ip || parse_prefix(v->ts[j].remote_ip, &r.r.dst) < 0)
			continue;
		r.r.unit = unit;
		r.r.metric = v->ts[j].metric;
		r.preference = v->ts[j].preference;
		if (asprintf(&r.ari, "%s %s", v->name, v->ts[j].name) < 0)
			continue;
		at = xl_pfxset_get(taken, &r.r.dst);
		if (at && *at >= 0 && w->partial) {
			w->need_full = true;
			w->why_full = "two traffic selectors route the same prefix";
		} else if (at && *at >= 0 && strcmp(r.ari, w->routes[*at].ari) < 0) {
			/* this selector wins the prefix */
			free(w->routes[*at].ari);
			w->routes[*at] = r;
			continue;
		} else if (!at && !(w->partial && applied_holds(w, &r.r.dst))) {
			if (xl_pfxset_add(taken, &r.r.dst, (int32_t)w->n_routes) == 0 &&
			    add_route(w, &r) == 0)
				continue;
		}
		free(r.ari);
	}
}

/* ---- the whole tree -------------------------------------------------------- */

static void
xl_dataplane(struct iked_want *w, const struct lyd_node *dpn)
{
	const char *b = val(dpn, "backend");

	memset(&w->dpc, 0, sizeof(w->dpc));
	w->dpc.backend = !b || strcmp(b, "auto") == 0 ? DP_BACKEND_AUTO
	                 : strcmp(b, "kernel") == 0   ? DP_BACKEND_KERNEL
	                                              : DP_BACKEND_USERSPACE;
	w->dpc.spus = val_u32(dpn, "spus", 0);
	w->dpc.flow_threads = val_u32(dpn, "flow-threads", 1);
}

struct resolved_vpn {
	struct ike_vpn_conf r;
	const struct lyd_node *n;
};

static int
cmp_rvpn(const void *a, const void *b)
{
	const struct resolved_vpn *x = a, *y = b;
	int c = strcmp(x->r.gateway, y->r.gateway);

	return c ? c : strcmp(x->r.name, y->r.name);
}

bool
xl_ts_lists_eq(const struct ike_vpn_ts *a, const struct ike_vpn_ts *b)
{
	unsigned i;

	if (a->n_local != b->n_local || a->n_remote != b->n_remote)
		return false;
	for (i = 0; i < a->n_local; i++)
		if (!ike_ts_eq(&a->local[i], &b->local[i]))
			return false;
	for (i = 0; i < a->n_remote; i++)
		if (!ike_ts_eq(&a->remote[i], &b->remote[i]))
			return false;
	return true;
}

/* Whether two VPNs of one gateway share a tunnel's selectors. */
bool
xl_vpns_clash(const struct ike_vpn_conf *a, const struct ike_vpn_conf *b)
{
	unsigned i, j;

	for (i = 0; i < a->n_ts; i++)
		for (j = 0; j < b->n_ts; j++)
			if (xl_ts_lists_eq(&a->ts[i], &b->ts[j]))
				return true;
	return false;
}

void
xl_err_clash(struct iked_want *w, const struct lyd_node *later, const char *later_name,
    const char *first_name)
{
	want_err(w, later,
	    "VPN %s has the gateway and the traffic selectors of VPN %s: the peer could not tell "
	    "them apart (give each a proxy-identity or traffic-selector of its own)",
	    later_name, first_name);
}

/*
 * VPNs of one gateway are told apart by their traffic selectors: the
 * responder picks the VPN whose selectors the initiator's match. Two VPNs
 * with the same gateway and selectors would be the same tunnel to the peer.
 */
static void
check_selectors(struct iked_want *w, struct resolved_vpn *rv, size_t n)
{
	size_t i, j;

	if (n > 1)
		qsort(rv, n, sizeof(*rv), cmp_rvpn);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n && strcmp(rv[i].r.gateway, rv[j].r.gateway) == 0; j++)
			if (xl_vpns_clash(&rv[i].r, &rv[j].r))
				xl_err_clash(w, rv[j].n, rv[j].r.name, rv[i].r.name);
}

/*
 * The checks of one VPN (n) that need the rest of the configuration: what
 * binds it, its unit, its resolution. 0 with *out resolved (the caller
 * checks selectors, then finis it), 1 when there is nothing to check
 * further (a manual VPN, or a problem reported).
 */
int
xl_check_vpn(struct iked_want *w, const struct lyd_node *n, struct ike_vpn_conf *out)
{
	const struct ike_conf_vpn *v = ike_conf_find_vpn(w->conf, val(n, "name"));
	struct errbuf eb = { .msg = "" };

	if (!v)
		return 1;
	if (!v->bind_interface && !v->policy_based &&
	    !(v->manual && find_manual(w, v->name) && find_manual(w, v->name)->n_local_ts)) {
		if (w->partial) {
			/* policy-based (security policies bind it): a whole translation */
			w->need_full = true;
			w->why_full = "a policy-based VPN changed";
			return 1;
		}
		want_err(w, n,
		    "VPN %s is neither route-based (bind-interface st0.N) nor used by a security "
		    "policy (then permit tunnel ipsec-vpn %s)",
		    v->name, v->name);
		return 1;
	}
	if (v->manual)
		return 1;
	if (v->bind_interface) {
		uint32_t unit = (uint32_t)strtoul(v->bind_interface + 4, NULL, 10);
		const struct want_unit *u = iked_want_unit(w, unit);

		if (u && u->u.multipoint && !v->nexthop) {
			const struct ike_conf_gateway *g =
			    ike_conf_find_gateway(w->conf, v->gateway);

			if (g && !g->dynamic)
				want_err(w, child(n, "bind-interface"),
				    "st0.%u is multipoint: bind VPN %s to a next-hop (interfaces "
				    "st0 "
				    "unit %u family inet next-hop-tunnel <address> ipsec-vpn %s)",
				    unit, v->name, unit, v->name);
		}
	}
	errbuf_clear(&eb);
	if (ike_conf_resolve_vpn(w->conf, v->name, out, &eb) < 0) {
		want_err_buf(w, n, &eb);
		return 1;
	}
	return 0;
}

static void
check_vpns(struct iked_want *w, const struct lyd_node *sec)
{
	const struct lyd_node *ipsec = child(sec, "ipsec"), *n;
	struct resolved_vpn *rv = NULL;
	size_t nrv = 0, i;

	if (w->conf->n_vpns)
		rv = calloc(w->conf->n_vpns, sizeof(*rv));
	FOR_CHILDREN(n, ipsec, "vpn")
	{
		struct ike_vpn_conf r;

		if (xl_check_vpn(w, n, &r) != 0)
			continue;
		if (rv) {
			rv[nrv].r = r;
			rv[nrv++].n = n;
		} else {
			ike_vpn_conf_fini(&r);
		}
	}
	check_selectors(w, rv, nrv);
	for (i = 0; i < nrv; i++)
		ike_vpn_conf_fini(&rv[i].r);
	free(rv);
}

void
xl_check_ike_policy(struct iked_want *w, const struct lyd_node *n)
{
	struct errbuf eb = { .msg = "" };

	errbuf_clear(&eb);
	if (ike_conf_check_ike_policy(w->conf, val(n, "name"), &eb) < 0)
		want_err_buf(w, n, &eb);
}

void
xl_check_ipsec_policy(struct iked_want *w, const struct lyd_node *n)
{
	struct errbuf eb = { .msg = "" };

	errbuf_clear(&eb);
	if (ike_conf_check_ipsec_policy(w->conf, val(n, "name"), &eb) < 0)
		want_err_buf(w, n, &eb);
}

void
xl_check_gateway(struct iked_want *w, const struct lyd_node *n)
{
	struct ike_gw_conf g;
	struct errbuf eb = { .msg = "" };

	errbuf_clear(&eb);
	if (ike_conf_resolve_gateway(w->conf, val(n, "name"), NULL, NULL, &g, &eb) < 0) {
		/* an address that is a host name was reported at the address */
		if (!strstr(eb.msg, "cannot resolve"))
			want_err_buf(w, n, &eb);
	} else {
		ike_gw_conf_fini(&g);
	}
}

static void
check_ike(struct iked_want *w, const struct lyd_node *sec)
{
	const struct lyd_node *ike = child(sec, "ike"), *ipsec = child(sec, "ipsec"), *n;

	FOR_CHILDREN(n, ike, "policy") xl_check_ike_policy(w, n);
	FOR_CHILDREN(n, ipsec, "policy") xl_check_ipsec_policy(w, n);
	FOR_CHILDREN(n, ike, "gateway") xl_check_gateway(w, n);
}

/* Globals of [edit security ike|ipsec] the engine's mirror carries. */
void
xl_globals(struct iked_want *w, const struct lyd_node *sec)
{
	const struct lyd_node *ike = child(sec, "ike"), *ipsec = child(sec, "ipsec"), *n;

	if ((n = desc(ike, "session/half-open")) != NULL) {
		w->conf->half_open_timeout = val_u32(n, "timeout", 60);
		w->conf->half_open_max = val_u32(n, "max-count", 10000);
		w->conf->cookie_threshold = val_u32(n, "thresholds/send-cookie/session-count", 500);
	}
	w->conf->anti_replay_window = val_u32(ipsec, "anti-replay-window-size", 64);
}

/* The three top-level nodes of the daemon's configuration. */
void
xl_tops(const struct lyd_node *tree, const struct lyd_node **sec, const struct lyd_node **ifs,
    const struct lyd_node **ro)
{
	const struct lyd_node *top;

	*sec = *ifs = *ro = NULL;
	LY_LIST_FOR(tree, top)
	{
		if (strcmp(top->schema->name, "security") == 0)
			*sec = top;
		else if (strcmp(top->schema->name, "interfaces") == 0)
			*ifs = top;
		else if (strcmp(top->schema->name, "routing-options") == 0)
			*ro = top;
	}
}

static void
want_init(struct iked_want *w)
{
	memset(w, 0, sizeof(*w));
	w->dpc.backend = DP_BACKEND_AUTO;
	w->dpc.flow_threads = 1;
}

int
iked_want_build(const struct lyd_node *tree, struct iked_want *w)
{
	const struct lyd_node *sec, *ifs, *ro, *n, *ike, *ipsec;
	struct xl_pfxset taken = { 0 };
	size_t i;

	want_init(w);
	w->conf = ike_conf_new();
	if (!w->conf)
		return -ENOMEM;
	xl_tops(tree, &sec, &ifs, &ro);
	ike = child(sec, "ike");
	ipsec = child(sec, "ipsec");
	xl_globals(w, sec);
	if (has(ike, "respond-bad-spi"))
		want_err(w, child(ike, "respond-bad-spi"),
		    "not supported by cairn-iked (ESP with an unknown SPI is counted and dropped)");
	FOR_CHILDREN(n, ike, "proposal") xl_ike_proposal(w, n);
	FOR_CHILDREN(n, ike, "policy") xl_ike_policy(w, n);
	FOR_CHILDREN(n, ike, "gateway") xl_gateway(w, n);
	FOR_CHILDREN(n, ipsec, "proposal") xl_ipsec_proposal(w, n);
	FOR_CHILDREN(n, ipsec, "policy") xl_ipsec_policy(w, n);
	FOR_CHILDREN(n, ipsec, "vpn") xl_vpn(w, n);
	xl_dataplane(w, child(sec, "dataplane"));
	FOR_CHILDREN(n, ifs, "interface")
	{
		const struct lyd_node *un;
		bool disabled;

		if (strcmp(val(n, "name"), "st0") != 0)
			continue;
		/* once: st0's children are its 10,000 units */
		disabled = has(n, "disable");
		FOR_CHILDREN(un, n, "unit") xl_unit(w, disabled, un);
	}
	xl_sort_units(w);
	if (sec)
		xl_policies(w, sec);
	FOR_CHILDREN(n, desc(ro, "static"), "route") xl_route(w, n);
	/* a static route wins over a traffic selector's (hashed: no square) */
	for (i = 0; i < w->n_routes; i++)
		xl_pfxset_add(&taken, &w->routes[i].r.dst, -1);
	for (i = 0; i < w->conf->n_vpns; i++)
		xl_ts_routes_vpn(w, &w->conf->vpns[i], &taken);
	xl_pfxset_fini(&taken);
	if (sec) {
		check_ike(w, sec);
		check_vpns(w, sec);
	}
	w->any = w->n_units || w->conf->n_gateways || w->conf->n_vpns;
	return 0;
}

void
iked_want_fini(struct iked_want *w)
{
	size_t i;

	if (!w)
		return;
	ike_conf_free(w->conf);
	for (i = 0; i < w->n_units; i++)
		free(w->units[i].description);
	free(w->units);
	for (i = 0; i < w->n_routes; i++)
		free(w->routes[i].ari);
	free(w->routes);
	for (i = 0; i < w->n_manual; i++)
		manual_free(&w->manual[i]);
	free(w->manual);
	free(w->pols);
	for (i = 0; i < w->n_nh; i++)
		free(w->nh[i].route);
	free(w->nh);
	for (i = 0; i < w->n_errs; i++) {
		free(w->errs[i].path);
		free(w->errs[i].msg);
	}
	free(w->errs);
	iked_names_fini(&w->gw_set);
	iked_names_fini(&w->vpn_set);
	iked_names_fini(&w->gw_del);
	iked_names_fini(&w->vpn_del);
	iked_names_fini(&w->unit_keys);
	iked_names_fini(&w->route_keys);
	iked_names_fini(&w->ari_vpns);
	iked_names_fini(&w->manual_keys);
	memset(w, 0, sizeof(*w));
}
