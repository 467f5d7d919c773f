/* SPDX-License-Identifier: MIT */
/*
 * cairn-dp-manual: brings up a dataplane (userspace by default) with st0
 * units, routes into st0, tunnels and fixed-key ("manual") SAs from a
 * configuration file, then serves a small line protocol on a UNIX socket
 * for statistics, events and run-time changes. The integration tests and
 * the ESP throughput benchmark drive the dataplane with it; cairn-iked
 * programs the same dataplane from `security ipsec vpn V manual`.
 *
 *   cairn-dp-manual -f FILE [-s SOCKET] [-b userspace|auto|kernel] [-v]
 *   cairn-dp-manual -s SOCKET -c 'COMMAND'       (client)
 *
 * The file holds one statement per line ('#' starts a comment); the same
 * statements are accepted at run time with the `apply` command:
 *
 *   dataplane [spus N] [flow-threads N] [tun NAME] [natt-port P]
 *             [policy-table T] [pin-cpus]                 (first, at most once)
 *   unit N [mtu M] [inet A/L] [inet6 A/L] [multipoint] [down]
 *   route PREFIX unit N [nexthop A] [metric M] [table T]
 *   tunnel ID local A remote A [unit N] [spu N] [dynamic] [ike-sa N]
 *             [on-traffic] [nexthop A] [local-ts SEL] [remote-ts SEL]...
 *             (SEL: PREFIX or LO-HI, then optionally :PROTO:PORTLO-PORTHI)
 *   sa in|out spi X tunnel ID local A remote A enc ALG key HEX
 *             [integ ALG key HEX] [esn] [replay-window N] [udp [sport P] [dport P]]
 *             [df clear|set|copy] [copy-dscp] [life-bytes SOFT HARD]
 *             [life-packets SOFT HARD] [life-seconds SOFT HARD]
 *             (ALG: aes-gcm-128 aes-gcm-256 aes-cbc-128 aes-cbc-256;
 *              integ: hmac-sha256-128 hmac-sha384-192 hmac-sha512-256;
 *              GCM keys include the 4-byte salt)
 *   policy ID tunnel T in|out src PREFIX dst PREFIX [proto N]
 *             [sport LO-HI] [dport LO-HI] [priority P]
 *
 * Commands: stats | events | tunnels | tunnel-spu ID | clear |
 *   move LOCAL REMOTE SPU | apply STATEMENT | sa-del in|out SPI DST |
 *   sa-update in|out SPI DST [remote ADDR] [udp] [dport P] [life-packets S H]
 *   [life-bytes S H] | tunnel-del ID | route-del PREFIX unit N | policy-del ID |
 *   unit-del N | quit
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dp.h"
#include "log.h"
#include "xmem.h"

#define MAX_WORDS 64
#define MAX_SAS   65536
/* the largest reply, and the events kept until read (10,000 SAs expiring: 1.5 MB) */
#define OUT_MAX (8u << 20)

struct sa_ref {
	uint32_t spi;
	enum dp_dir dir;
	struct dp_addr dst;
	bool used;
};

struct harness {
	struct dp *dp;
	struct dp_config cfg;
	bool cfg_done;
	char tun[16];
	struct sa_ref *sas;
	uint32_t nsas;
	char *events;
	size_t events_len;
	uint64_t ike_msgs;
	bool quit;
};

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* ---- output buffer ---- */

struct out {
	char *buf;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->buf == NULL) {
		o->cap = 4096;
		o->buf = malloc(o->cap);
		if (o->buf == NULL)
			return;
		o->len = 0;
	}
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		if (o->cap >= OUT_MAX)
			return;
		char *nb = realloc(o->buf, o->cap * 2);
		if (nb == NULL)
			return;
		o->buf = nb;
		o->cap *= 2;
	}
}

/* ---- parsing ---- */

static int
split(char *line, char **w)
{
	int n = 0;
	char *p = line, *hash = strchr(line, '#');

	if (hash != NULL)
		*hash = '\0';
	while (*p != '\0' && n < MAX_WORDS) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		w[n++] = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	return n;
}

static bool
parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (s == NULL || *s == '\0' || *s == '-')
		return false;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

static bool
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (s == NULL || *s == '\0' || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno == 0 && *end == '\0';
}

static bool
parse_addr(const char *s, struct dp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (s == NULL)
		return false;
	if (inet_pton(AF_INET, s, &a->u.v4) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &a->u.v6) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

static bool
parse_prefix(const char *s, struct dp_prefix *p)
{
	char buf[64], *slash;
	uint32_t len;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (!parse_addr(buf, &p->addr))
		return false;
	if (slash == NULL)
		len = p->addr.family == AF_INET ? 32 : 128;
	else if (!parse_u32(slash + 1, &len) || len > (p->addr.family == AF_INET ? 32u : 128u))
		return false;
	p->len = (uint8_t)len;
	return true;
}

static void
prefix_range(const struct dp_prefix *p, struct dp_addr *lo, struct dp_addr *hi)
{
	size_t n = p->addr.family == AF_INET ? 4 : 16, i;
	uint8_t len = p->len;

	*lo = p->addr;
	*hi = p->addr;
	for (i = 0; i < n; i++) {
		uint8_t keep = len >= 8 ? 0xff : (uint8_t)(0xff << (8 - len));
		lo->u.b[i] &= keep;
		hi->u.b[i] |= (uint8_t)~keep;
		len = len >= 8 ? (uint8_t)(len - 8) : 0;
	}
}

static bool
parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	uint32_t a, b;
	char buf[32], *dash;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash = '\0';
	if (!parse_u32(buf, &a) || a > 65535)
		return false;
	b = a;
	if (dash != NULL && (!parse_u32(dash + 1, &b) || b > 65535 || b < a))
		return false;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return true;
}

/* SEL: PREFIX | LO-HI, optionally followed by :PROTO[:PORTLO-PORTHI] */
static bool
parse_sel(const char *s, struct dp_ts *ts)
{
	char buf[160], *colon, *dash, *ports = NULL;
	struct dp_prefix p;
	uint32_t proto = 0;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return false;
	memset(ts, 0, sizeof(*ts));
	snprintf(buf, sizeof(buf), "%s", s);
	/* IPv6 addresses contain ':', so the protocol part follows a '@' */
	colon = strchr(buf, '@');
	if (colon != NULL) {
		*colon++ = '\0';
		ports = strchr(colon, '@');
		if (ports != NULL)
			*ports++ = '\0';
		if (!parse_u32(colon, &proto) || proto > 255)
			return false;
	}
	ts->proto = (uint8_t)proto;
	ts->port_lo = 0;
	ts->port_hi = 0xffff;
	if (ports != NULL && !parse_port_range(ports, &ts->port_lo, &ts->port_hi))
		return false;
	dash = strchr(buf, '-');
	if (dash != NULL) {
		*dash = '\0';
		if (!parse_addr(buf, &ts->addr_lo) || !parse_addr(dash + 1, &ts->addr_hi) ||
		    ts->addr_lo.family != ts->addr_hi.family)
			return false;
		ts->family = ts->addr_lo.family;
		return true;
	}
	if (!parse_prefix(buf, &p))
		return false;
	ts->family = p.addr.family;
	prefix_range(&p, &ts->addr_lo, &ts->addr_hi);
	return true;
}

static int
hex_key(const char *s, uint8_t *out, uint8_t *len)
{
	size_t n, i;

	if (s == NULL)
		return -1;
	if (strncmp(s, "0x", 2) == 0)
		s += 2;
	n = strlen(s);
	if (n % 2 != 0 || n / 2 > DP_KEY_MAX)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = (uint8_t)(n / 2);
	return 0;
}

#define NEED(k)                                                                                    \
	do {                                                                                       \
		if (i + (k) >= n)                                                                  \
			return errbuf_set(err, -EINVAL, "'%s' needs a value", w[i]);               \
	} while (0)

static int
st_dataplane(struct harness *h, char **w, int n, struct errbuf *err)
{
	int i;

	if (h->cfg_done)
		return errbuf_set(err, -EINVAL, "'dataplane' must come first, once");
	for (i = 1; i < n; i++) {
		if (strcmp(w[i], "spus") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &h->cfg.spus))
				return errbuf_set(err, -EINVAL, "bad spus");
		} else if (strcmp(w[i], "flow-threads") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &h->cfg.flow_threads))
				return errbuf_set(err, -EINVAL, "bad flow-threads");
		} else if (strcmp(w[i], "tun") == 0) {
			NEED(1);
			snprintf(h->tun, sizeof(h->tun), "%s", w[++i]);
			h->cfg.tun_name = h->tun;
		} else if (strcmp(w[i], "natt-port") == 0) {
			uint32_t p;
			NEED(1);
			if (!parse_u32(w[++i], &p) || p == 0 || p > 65535)
				return errbuf_set(err, -EINVAL, "bad natt-port");
			h->cfg.natt_port = (uint16_t)p;
		} else if (strcmp(w[i], "policy-table") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &h->cfg.policy_table))
				return errbuf_set(err, -EINVAL, "bad policy-table");
		} else if (strcmp(w[i], "pin-cpus") == 0) {
			h->cfg.pin_cpus = true;
		} else {
			return errbuf_set(err, -EINVAL, "dataplane: unknown '%s'", w[i]);
		}
	}
	return 0;
}

static int
ensure_open(struct harness *h, struct errbuf *err)
{
	int rc;

	if (h->dp != NULL)
		return 0;
	h->cfg_done = true;
	rc = dp_open(&h->cfg, &h->dp, err);
	if (rc == 0)
		fprintf(stderr, "cairn-dp-manual: %s dataplane, %u SPUs (%s)\n",
		    dp_backend_name(h->dp), dp_spu_count(h->dp), dp_backend_reason(h->dp));
	return rc;
}

static int
st_unit(struct harness *h, char **w, int n, struct errbuf *err)
{
	struct dp_unit u;
	int i;

	memset(&u, 0, sizeof(u));
	u.up = true;
	if (n < 2 || !parse_u32(w[1], &u.unit))
		return errbuf_set(err, -EINVAL, "unit: number expected");
	for (i = 2; i < n; i++) {
		if (strcmp(w[i], "mtu") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &u.mtu))
				return errbuf_set(err, -EINVAL, "bad mtu");
		} else if (strcmp(w[i], "inet") == 0) {
			NEED(1);
			if (!parse_prefix(w[++i], &u.addr4) || u.addr4.addr.family != AF_INET)
				return errbuf_set(err, -EINVAL, "bad inet address");
		} else if (strcmp(w[i], "inet6") == 0) {
			NEED(1);
			if (!parse_prefix(w[++i], &u.addr6) || u.addr6.addr.family != AF_INET6)
				return errbuf_set(err, -EINVAL, "bad inet6 address");
		} else if (strcmp(w[i], "multipoint") == 0) {
			u.multipoint = true;
		} else if (strcmp(w[i], "down") == 0) {
			u.up = false;
		} else {
			return errbuf_set(err, -EINVAL, "unit: unknown '%s'", w[i]);
		}
	}
	return dp_unit_set(h->dp, &u, err);
}

static int
parse_route(char **w, int n, struct dp_route *r, struct errbuf *err)
{
	int i;

	memset(r, 0, sizeof(*r));
	if (n < 2 || !parse_prefix(w[1], &r->dst))
		return errbuf_set(err, -EINVAL, "route: prefix expected");
	r->unit = UINT32_MAX;
	for (i = 2; i < n; i++) {
		if (strcmp(w[i], "unit") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &r->unit))
				return errbuf_set(err, -EINVAL, "bad unit");
		} else if (strcmp(w[i], "nexthop") == 0) {
			NEED(1);
			if (!parse_addr(w[++i], &r->nexthop))
				return errbuf_set(err, -EINVAL, "bad nexthop");
		} else if (strcmp(w[i], "metric") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &r->metric))
				return errbuf_set(err, -EINVAL, "bad metric");
		} else if (strcmp(w[i], "table") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &r->table))
				return errbuf_set(err, -EINVAL, "bad table");
		} else {
			return errbuf_set(err, -EINVAL, "route: unknown '%s'", w[i]);
		}
	}
	return 0;
}

static int
st_route(struct harness *h, char **w, int n, struct errbuf *err)
{
	struct dp_route r;
	int rc = parse_route(w, n, &r, err);

	if (rc < 0)
		return rc;
	if (r.unit == UINT32_MAX)
		return errbuf_set(err, -EINVAL, "route: 'unit N' is required");
	return dp_route_add(h->dp, &r, err);
}

static int
st_tunnel(struct harness *h, char **w, int n, struct errbuf *err)
{
	struct dp_tunnel t;
	uint32_t spu;
	int i, rc;

	memset(&t, 0, sizeof(t));
	t.unit = DP_UNIT_NONE;
	t.spu = DP_SPU_ANY;
	if (n < 2 || !parse_u32(w[1], &t.id))
		return errbuf_set(err, -EINVAL, "tunnel: id expected");
	for (i = 2; i < n; i++) {
		if (strcmp(w[i], "unit") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &t.unit))
				return errbuf_set(err, -EINVAL, "bad unit");
		} else if (strcmp(w[i], "local") == 0) {
			NEED(1);
			if (!parse_addr(w[++i], &t.local_gw))
				return errbuf_set(err, -EINVAL, "bad local address");
		} else if (strcmp(w[i], "remote") == 0) {
			NEED(1);
			if (!parse_addr(w[++i], &t.remote_gw))
				return errbuf_set(err, -EINVAL, "bad remote address");
		} else if (strcmp(w[i], "nexthop") == 0) {
			NEED(1);
			if (!parse_addr(w[++i], &t.nexthop))
				return errbuf_set(err, -EINVAL, "bad nexthop");
		} else if (strcmp(w[i], "spu") == 0) {
			NEED(1);
			if (strcmp(w[i + 1], "auto") == 0)
				i++;
			else if (!parse_u32(w[++i], &t.spu))
				return errbuf_set(err, -EINVAL, "bad spu");
		} else if (strcmp(w[i], "ike-sa") == 0) {
			NEED(1);
			if (!parse_u64(w[++i], &t.ike_sa_id))
				return errbuf_set(err, -EINVAL, "bad ike-sa");
		} else if (strcmp(w[i], "dynamic") == 0) {
			t.dynamic = true;
		} else if (strcmp(w[i], "on-traffic") == 0) {
			t.on_traffic = true;
		} else if (strcmp(w[i], "local-ts") == 0) {
			NEED(1);
			if (t.n_local_ts == DP_TS_MAX ||
			    !parse_sel(w[++i], &t.local_ts[t.n_local_ts]))
				return errbuf_set(err, -EINVAL, "bad local-ts");
			t.n_local_ts++;
		} else if (strcmp(w[i], "remote-ts") == 0) {
			NEED(1);
			if (t.n_remote_ts == DP_TS_MAX ||
			    !parse_sel(w[++i], &t.remote_ts[t.n_remote_ts]))
				return errbuf_set(err, -EINVAL, "bad remote-ts");
			t.n_remote_ts++;
		} else {
			return errbuf_set(err, -EINVAL, "tunnel: unknown '%s'", w[i]);
		}
	}
	rc = dp_tunnel_set(h->dp, &t, &spu, err);
	if (rc == 0)
		fprintf(stderr, "cairn-dp-manual: tunnel %u on SPU %u\n", t.id, spu);
	return rc;
}

static bool
parse_enc(const char *s, enum dp_enc *e)
{
	if (s == NULL)
		return false;
	if (strcmp(s, "aes-gcm-128") == 0)
		*e = DP_ENC_AES_GCM_128;
	else if (strcmp(s, "aes-gcm-256") == 0)
		*e = DP_ENC_AES_GCM_256;
	else if (strcmp(s, "aes-cbc-128") == 0)
		*e = DP_ENC_AES_CBC_128;
	else if (strcmp(s, "aes-cbc-256") == 0)
		*e = DP_ENC_AES_CBC_256;
	else
		return false;
	return true;
}

static bool
parse_integ(const char *s, enum dp_integ *e)
{
	if (s == NULL)
		return false;
	if (strcmp(s, "hmac-sha256-128") == 0)
		*e = DP_INTEG_HMAC_SHA256_128;
	else if (strcmp(s, "hmac-sha384-192") == 0)
		*e = DP_INTEG_HMAC_SHA384_192;
	else if (strcmp(s, "hmac-sha512-256") == 0)
		*e = DP_INTEG_HMAC_SHA512_256;
	else
		return false;
	return true;
}

static int
st_sa(struct harness *h, char **w, int n, struct errbuf *err)
{
	struct dp_sa sa;
	uint64_t a, b;
	int i, rc;
	bool have_enc = false;

	memset(&sa, 0, sizeof(sa));
	if (n < 2 || (strcmp(w[1], "in") != 0 && strcmp(w[1], "out") != 0))
		return errbuf_set(err, -EINVAL, "sa: 'in' or 'out' expected");
	sa.dir = strcmp(w[1], "in") == 0 ? DP_DIR_IN : DP_DIR_OUT;
	sa.replay_window = 64;
	for (i = 2; i < n; i++) {
		if (strcmp(w[i], "spi") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &sa.spi))
				return errbuf_set(err, -EINVAL, "bad spi");
		} else if (strcmp(w[i], "tunnel") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &sa.tunnel_id))
				return errbuf_set(err, -EINVAL, "bad tunnel");
		} else if (strcmp(w[i], "local") == 0) {
			NEED(1);
			if (!parse_addr(w[++i], &sa.local))
				return errbuf_set(err, -EINVAL, "bad local");
		} else if (strcmp(w[i], "remote") == 0) {
			NEED(1);
			if (!parse_addr(w[++i], &sa.remote))
				return errbuf_set(err, -EINVAL, "bad remote");
		} else if (strcmp(w[i], "enc") == 0) {
			NEED(3);
			if (!parse_enc(w[++i], &sa.enc) || strcmp(w[++i], "key") != 0 ||
			    hex_key(w[++i], sa.enc_key, &sa.enc_key_len) < 0)
				return errbuf_set(err, -EINVAL, "enc ALG key HEX expected");
			have_enc = true;
		} else if (strcmp(w[i], "integ") == 0) {
			NEED(3);
			if (!parse_integ(w[++i], &sa.integ) || strcmp(w[++i], "key") != 0 ||
			    hex_key(w[++i], sa.integ_key, &sa.integ_key_len) < 0)
				return errbuf_set(err, -EINVAL, "integ ALG key HEX expected");
		} else if (strcmp(w[i], "esn") == 0) {
			sa.flags |= DP_SA_ESN;
		} else if (strcmp(w[i], "copy-dscp") == 0) {
			sa.flags |= DP_SA_COPY_DSCP;
		} else if (strcmp(w[i], "replay-window") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &sa.replay_window))
				return errbuf_set(err, -EINVAL, "bad replay-window");
		} else if (strcmp(w[i], "udp") == 0) {
			sa.flags |= DP_SA_HAS_ENCAP;
			sa.encap_local_port = h->cfg.natt_port ? h->cfg.natt_port : 4500;
			sa.encap_remote_port = 4500;
		} else if (strcmp(w[i], "sport") == 0 || strcmp(w[i], "dport") == 0) {
			uint32_t p;
			NEED(1);
			if (!parse_u32(w[i + 1], &p) || p == 0 || p > 65535)
				return errbuf_set(err, -EINVAL, "bad port");
			if (w[i][0] == 's')
				sa.encap_local_port = (uint16_t)p;
			else
				sa.encap_remote_port = (uint16_t)p;
			i++;
		} else if (strcmp(w[i], "df") == 0) {
			NEED(1);
			i++;
			if (strcmp(w[i], "clear") == 0)
				sa.df = DP_DF_CLEAR;
			else if (strcmp(w[i], "set") == 0)
				sa.df = DP_DF_SET;
			else if (strcmp(w[i], "copy") == 0)
				sa.df = DP_DF_COPY;
			else
				return errbuf_set(err, -EINVAL, "df clear|set|copy");
		} else if (strncmp(w[i], "life-", 5) == 0) {
			NEED(2);
			if (!parse_u64(w[i + 1], &a) || !parse_u64(w[i + 2], &b))
				return errbuf_set(err, -EINVAL, "%s SOFT HARD", w[i]);
			sa.flags |= DP_SA_HAS_LIFETIME;
			if (strcmp(w[i], "life-bytes") == 0) {
				sa.life.soft_bytes = a;
				sa.life.hard_bytes = b;
			} else if (strcmp(w[i], "life-packets") == 0) {
				sa.life.soft_packets = a;
				sa.life.hard_packets = b;
			} else if (strcmp(w[i], "life-seconds") == 0) {
				sa.life.soft_seconds = (uint32_t)a;
				sa.life.hard_seconds = (uint32_t)b;
			} else {
				return errbuf_set(err, -EINVAL, "unknown '%s'", w[i]);
			}
			i += 2;
		} else {
			return errbuf_set(err, -EINVAL, "sa: unknown '%s'", w[i]);
		}
	}
	if (sa.spi == 0 || !have_enc)
		return errbuf_set(err, -EINVAL, "sa: spi and enc are required");
	rc = dp_sa_add(h->dp, &sa, err);
	if (rc == 0 && h->nsas < MAX_SAS) {
		struct sa_ref *r = &h->sas[h->nsas++];
		r->spi = sa.spi;
		r->dir = sa.dir;
		r->dst = sa.dir == DP_DIR_IN ? sa.local : sa.remote;
		r->used = true;
	}
	explicit_bzero(&sa, sizeof(sa));
	return rc;
}

static int
st_policy(struct harness *h, char **w, int n, struct errbuf *err)
{
	struct dp_policy p;
	struct dp_prefix pfx;
	uint32_t proto = 0;
	int i;

	memset(&p, 0, sizeof(p));
	if (n < 2 || !parse_u32(w[1], &p.id))
		return errbuf_set(err, -EINVAL, "policy: id expected");
	p.dir = DP_DIR_OUT;
	p.sel_src.port_hi = p.sel_dst.port_hi = 0xffff;
	for (i = 2; i < n; i++) {
		if (strcmp(w[i], "tunnel") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &p.tunnel_id))
				return errbuf_set(err, -EINVAL, "bad tunnel");
		} else if (strcmp(w[i], "in") == 0) {
			p.dir = DP_DIR_IN;
		} else if (strcmp(w[i], "out") == 0) {
			p.dir = DP_DIR_OUT;
		} else if (strcmp(w[i], "src") == 0 || strcmp(w[i], "dst") == 0) {
			struct dp_ts *ts = w[i][0] == 's' ? &p.sel_src : &p.sel_dst;
			NEED(1);
			if (!parse_prefix(w[++i], &pfx))
				return errbuf_set(err, -EINVAL, "bad prefix");
			ts->family = pfx.addr.family;
			prefix_range(&pfx, &ts->addr_lo, &ts->addr_hi);
		} else if (strcmp(w[i], "proto") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &proto) || proto > 255)
				return errbuf_set(err, -EINVAL, "bad proto");
		} else if (strcmp(w[i], "sport") == 0) {
			NEED(1);
			if (!parse_port_range(w[++i], &p.sel_src.port_lo, &p.sel_src.port_hi))
				return errbuf_set(err, -EINVAL, "bad sport");
		} else if (strcmp(w[i], "dport") == 0) {
			NEED(1);
			if (!parse_port_range(w[++i], &p.sel_dst.port_lo, &p.sel_dst.port_hi))
				return errbuf_set(err, -EINVAL, "bad dport");
		} else if (strcmp(w[i], "priority") == 0) {
			NEED(1);
			if (!parse_u32(w[++i], &p.priority))
				return errbuf_set(err, -EINVAL, "bad priority");
		} else {
			return errbuf_set(err, -EINVAL, "policy: unknown '%s'", w[i]);
		}
	}
	p.sel_src.proto = p.sel_dst.proto = (uint8_t)proto;
	return dp_policy_add(h->dp, &p, err);
}

static int
statement(struct harness *h, char *line, struct errbuf *err)
{
	char *w[MAX_WORDS];
	int n = split(line, w), rc;

	if (n == 0)
		return 0;
	if (strcmp(w[0], "dataplane") == 0)
		return st_dataplane(h, w, n, err);
	if ((rc = ensure_open(h, err)) < 0)
		return rc;
	if (strcmp(w[0], "unit") == 0)
		return st_unit(h, w, n, err);
	if (strcmp(w[0], "route") == 0)
		return st_route(h, w, n, err);
	if (strcmp(w[0], "tunnel") == 0)
		return st_tunnel(h, w, n, err);
	if (strcmp(w[0], "sa") == 0)
		return st_sa(h, w, n, err);
	if (strcmp(w[0], "policy") == 0)
		return st_policy(h, w, n, err);
	return errbuf_set(err, -EINVAL, "unknown statement '%s'", w[0]);
}

static int
load_file(struct harness *h, const char *path)
{
	struct errbuf err = { .msg = "" };
	char line[4096];
	FILE *f = fopen(path, "r");
	int lineno = 0, rc = 0;

	if (f == NULL) {
		fprintf(stderr, "cairn-dp-manual: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		errbuf_clear(&err);
		if ((rc = statement(h, line, &err)) < 0) {
			fprintf(stderr, "cairn-dp-manual: %s:%d: %s\n", path, lineno,
			    errbuf_isset(&err) ? err.msg : strerror(-rc));
			break;
		}
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	if (rc == 0) {
		struct errbuf e2 = { .msg = "" };
		errbuf_clear(&e2);
		rc = ensure_open(h, &e2);
		if (rc < 0)
			fprintf(stderr, "cairn-dp-manual: %s\n", e2.msg);
	}
	return rc;
}

/* ---- run time ---- */

static const char *
addr_str(const struct dp_addr *a, char *b, size_t l)
{
	if (a->family == 0)
		return "-";
	return inet_ntop(a->family, a->u.b, b, (socklen_t)l);
}

static void
drain_events(struct harness *h)
{
	static const char *names[] = { "acquire", "soft-expire", "hard-expire", "error" };
	struct dp_event ev;
	struct dp_ike_msg msg;
	uint8_t buf[2048];
	char line[512], s[64], d[64];
	int n;

	while (dp_event_read(h->dp, &ev) == 0) {
		n = snprintf(line, sizeof(line),
		    "event %s tunnel %u spi %08x dir %s src %s dst %s spu %u msg %s\n",
		    names[ev.type & 3], ev.tunnel_id, ev.spi, ev.dir == DP_DIR_IN ? "in" : "out",
		    addr_str(&ev.src, s, sizeof(s)), addr_str(&ev.dst, d, sizeof(d)), ev.spu,
		    ev.msg);
		if (n > 0 && h->events_len + (size_t)n < OUT_MAX) {
			char *nb = realloc(h->events, h->events_len + (size_t)n + 1);
			if (nb != NULL) {
				h->events = nb;
				memcpy(h->events + h->events_len, line, (size_t)n + 1);
				h->events_len += (size_t)n;
			}
		}
	}
	memset(&msg, 0, sizeof(msg));
	msg.data = buf;
	msg.cap = sizeof(buf);
	while (dp_ike_recv(h->dp, &msg) == 0)
		h->ike_msgs++; /* no IKE daemon here: counted, dropped */
}

static void
cmd_stats(struct harness *h, struct out *o)
{
	struct dp_spu_stats st;
	struct dp_sa_stats ss;
	struct errbuf err = { .msg = "" };
	char d[64];
	uint32_t i;

	for (i = 0; i < dp_spu_count(h->dp); i++) {
		if (dp_spu_stats(h->dp, i, &st) < 0)
			continue;
		outf(o,
		    "spu %u tunnels %u flow-threads %u encrypt-packets %" PRIu64
		    " encrypt-bytes %" PRIu64 " decrypt-packets %" PRIu64 " decrypt-bytes %" PRIu64
		    " unknown-spi %" PRIu64 " replay-drops %" PRIu64 " auth-failures %" PRIu64
		    " handoffs %" PRIu64 " no-sa-drops %" PRIu64 " no-route-drops %" PRIu64
		    " mtu-drops %" PRIu64 " other-drops %" PRIu64 " ctx-misses %" PRIu64
		    " ctx-evictions %" PRIu64 " ctx-keyed %u icmp-suppressed %" PRIu64
		    " event-drops %" PRIu64 " frag-drops %" PRIu64 " frag-resent %" PRIu64 "\n",
		    i, st.tunnels, st.flow_threads, st.encrypt_packets, st.encrypt_bytes,
		    st.decrypt_packets, st.decrypt_bytes, st.unknown_spi, st.replay_drops,
		    st.auth_failures, st.handoffs, st.no_sa_drops, st.no_route_drops, st.mtu_drops,
		    st.other_drops, st.ctx_misses, st.ctx_evictions, st.ctx_keyed,
		    st.icmp_suppressed, st.event_drops, st.frag_drops, st.frag_resent);
	}
	for (i = 0; i < h->nsas; i++) {
		struct sa_ref *r = &h->sas[i];
		if (!r->used)
			continue;
		errbuf_clear(&err);
		if (dp_sa_stats(h->dp, r->spi, r->dir, &r->dst, &ss, &err) < 0)
			continue;
		outf(o,
		    "sa %08x %s dst %s spu %u tunnel %u packets %" PRIu64 " bytes %" PRIu64
		    " replay-drops %" PRIu64 " auth-failures %" PRIu64 " decrypt-failures %" PRIu64
		    " bad-headers %" PRIu64 " bad-trailers %" PRIu64 " selector-drops %" PRIu64
		    " seq %" PRIu64 "\n",
		    r->spi, r->dir == DP_DIR_IN ? "in" : "out", addr_str(&r->dst, d, sizeof(d)),
		    ss.spu, ss.tunnel_id, ss.packets, ss.bytes, ss.replay_drops, ss.auth_failures,
		    ss.decrypt_failures, ss.bad_headers, ss.bad_trailers, ss.selector_drops,
		    ss.seq);
	}
	outf(o, "ike-messages %" PRIu64 "\n", h->ike_msgs);
}

/* sa-update in|out SPI DST [remote ADDR] [udp dport P] [life-packets S H] [life-bytes S H] */
static int
cmd_sa_update(struct harness *h, char **w, int n, struct errbuf *err)
{
	struct dp_sa sa;
	struct dp_addr dst;
	uint32_t what = 0, p;
	uint64_t a, b;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.dir = strcmp(w[1], "in") == 0 ? DP_DIR_IN : DP_DIR_OUT;
	if (!parse_u32(w[2], &sa.spi) || !parse_addr(w[3], &dst))
		return errbuf_set(err, -EINVAL, "sa-update in|out SPI DST ...");
	if (sa.dir == DP_DIR_IN)
		sa.local = dst;
	else
		sa.remote = dst;
	for (i = 4; i < n; i++) {
		if (strcmp(w[i], "remote") == 0 && i + 1 < n && parse_addr(w[i + 1], &sa.remote)) {
			what |= DP_SA_UPD_REMOTE;
			i++;
		} else if (strcmp(w[i], "local") == 0 && i + 1 < n &&
		           parse_addr(w[i + 1], &sa.local)) {
			i++;
		} else if (strcmp(w[i], "udp") == 0) {
			sa.flags |= DP_SA_HAS_ENCAP;
			sa.encap_local_port = h->cfg.natt_port ? h->cfg.natt_port : 4500;
			sa.encap_remote_port = 4500;
			what |= DP_SA_UPD_REMOTE;
		} else if (strcmp(w[i], "dport") == 0 && i + 1 < n && parse_u32(w[i + 1], &p) &&
		           p > 0 && p < 65536) {
			sa.encap_remote_port = (uint16_t)p;
			what |= DP_SA_UPD_REMOTE;
			i++;
		} else if ((strcmp(w[i], "life-packets") == 0 || strcmp(w[i], "life-bytes") == 0) &&
		           i + 2 < n && parse_u64(w[i + 1], &a) && parse_u64(w[i + 2], &b)) {
			if (w[i][5] == 'p') {
				sa.life.soft_packets = a;
				sa.life.hard_packets = b;
			} else {
				sa.life.soft_bytes = a;
				sa.life.hard_bytes = b;
			}
			sa.flags |= DP_SA_HAS_LIFETIME;
			what |= DP_SA_UPD_LIFETIME;
			i += 2;
		} else {
			return errbuf_set(
			    err, -EINVAL, "sa-update: unknown or incomplete '%s'", w[i]);
		}
	}
	return dp_sa_update(h->dp, &sa, what, err);
}

static void
command(struct harness *h, char *line, struct out *o)
{
	char *w[MAX_WORDS], *rest;
	struct errbuf err = { .msg = "" };
	uint32_t v, moved;
	int n, rc = 0;

	errbuf_clear(&err);
	drain_events(h);
	rest = line + strspn(line, " \t");
	if (strncmp(rest, "apply ", 6) == 0) {
		rc = statement(h, rest + 6, &err);
		goto done;
	}
	n = split(line, w);
	if (n == 0) {
		outf(o, "error: empty command\n");
		return;
	}
	if (strcmp(w[0], "stats") == 0) {
		cmd_stats(h, o);
	} else if (strcmp(w[0], "events") == 0) {
		if (h->events != NULL)
			outf(o, "%s", h->events);
		free(h->events);
		h->events = NULL;
		h->events_len = 0;
	} else if (strcmp(w[0], "tunnels") == 0) {
		for (v = 0; v < dp_spu_count(h->dp); v++) {
			struct dp_spu_stats st;
			if (dp_spu_stats(h->dp, v, &st) == 0)
				outf(o, "spu %u tunnels %u\n", v, st.tunnels);
		}
	} else if (strcmp(w[0], "tunnel-spu") == 0 && n == 2 && parse_u32(w[1], &v)) {
		uint32_t spu;
		rc = dp_tunnel_spu(h->dp, v, &spu);
		if (rc == 0)
			outf(o, "tunnel %u spu %u\n", v, spu);
	} else if (strcmp(w[0], "clear") == 0) {
		rc = dp_clear_stats(h->dp);
	} else if (strcmp(w[0], "move") == 0 && n == 4) {
		struct dp_addr l, r;
		if (!parse_addr(w[1], &l) || !parse_addr(w[2], &r) || !parse_u32(w[3], &v))
			rc = errbuf_set(&err, -EINVAL, "move LOCAL REMOTE SPU");
		else if ((rc = dp_anchor_move(h->dp, &l, &r, v, &moved, &err)) == 0)
			outf(o, "moved %u\n", moved);
	} else if (strcmp(w[0], "sa-del") == 0 && n == 4) {
		struct dp_addr d;
		enum dp_dir dir = strcmp(w[1], "in") == 0 ? DP_DIR_IN : DP_DIR_OUT;
		if (!parse_u32(w[2], &v) || !parse_addr(w[3], &d))
			rc = errbuf_set(&err, -EINVAL, "sa-del in|out SPI DST");
		else if ((rc = dp_sa_del(h->dp, v, dir, &d, &err)) == 0)
			for (uint32_t i = 0; i < h->nsas; i++)
				if (h->sas[i].spi == v && h->sas[i].dir == dir)
					h->sas[i].used = false;
	} else if (strcmp(w[0], "sa-update") == 0 && n >= 4) {
		rc = cmd_sa_update(h, w, n, &err);
	} else if (strcmp(w[0], "tunnel-del") == 0 && n == 2 && parse_u32(w[1], &v)) {
		rc = dp_tunnel_del(h->dp, v, &err);
	} else if (strcmp(w[0], "policy-del") == 0 && n == 2 && parse_u32(w[1], &v)) {
		rc = dp_policy_del(h->dp, v, &err);
	} else if (strcmp(w[0], "unit-del") == 0 && n == 2 && parse_u32(w[1], &v)) {
		rc = dp_unit_del(h->dp, v, &err);
	} else if (strcmp(w[0], "route-del") == 0) {
		struct dp_route r;
		if ((rc = parse_route(w, n, &r, &err)) == 0)
			rc = dp_route_del(h->dp, &r, &err);
	} else if (strcmp(w[0], "quit") == 0) {
		h->quit = true;
	} else {
		rc = errbuf_set(&err, -EINVAL, "unknown command '%s'", w[0]);
	}
done:
	if (rc < 0)
		outf(o, "error: %s\n", errbuf_isset(&err) ? err.msg : strerror(-rc));
	else
		outf(o, "ok\n");
}

static int
ctl_listen(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 8) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	chmod(path, 0600);
	return fd;
}

static void
serve_one(struct harness *h, int lfd)
{
	char line[4096];
	struct out o = { 0 };
	size_t len = 0;
	ssize_t r;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* one command line per connection */
	while (len < sizeof(line) - 1) {
		r = read(fd, line + len, sizeof(line) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (memchr(line, '\n', len) != NULL)
			break;
	}
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';
	command(h, line, &o);
	if (o.buf != NULL) {
		size_t off = 0;
		while (off < o.len) {
			r = write(fd, o.buf + off, o.len - off);
			if (r <= 0)
				break;
			off += (size_t)r;
		}
	}
	explicit_bzero(line, sizeof(line));
	free(o.buf);
	close(fd);
}

static int
client(const char *path, const char *cmd)
{
	struct sockaddr_un sun;
	char buf[8192];
	ssize_t r;
	int fd, rc = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "cairn-dp-manual: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (write(fd, cmd, strlen(cmd)) < 0 || write(fd, "\n", 1) < 0) {
		close(fd);
		return 1;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (fwrite(buf, 1, (size_t)r, stdout) != (size_t)r)
			rc = 1;
		if (r >= 6 && memmem(buf, (size_t)r, "error:", 6) != NULL)
			rc = 1;
	}
	close(fd);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: cairn-dp-manual -f FILE [-s SOCKET] [-b userspace|auto|kernel] "
	                "[-v]\n       cairn-dp-manual -s SOCKET -c COMMAND\n");
}

int
main(int argc, char **argv)
{
	struct harness h;
	const char *file = NULL, *sock = NULL, *cmd = NULL;
	struct pollfd pfd[2];
	int c, lfd = -1, rc;

	memset(&h, 0, sizeof(h));
	h.cfg.backend = DP_BACKEND_USERSPACE;
	while ((c = getopt(argc, argv, "f:s:b:c:vh")) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'c':
			cmd = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "userspace") == 0)
				h.cfg.backend = DP_BACKEND_USERSPACE;
			else if (strcmp(optarg, "auto") == 0)
				h.cfg.backend = DP_BACKEND_AUTO;
			else if (strcmp(optarg, "kernel") == 0)
				h.cfg.backend = DP_BACKEND_KERNEL;
			else {
				usage();
				return 2;
			}
			break;
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (cmd != NULL) {
		if (sock == NULL) {
			usage();
			return 2;
		}
		return client(sock, cmd);
	}
	if (file == NULL) {
		usage();
		return 2;
	}
	log_init("cairn-dp-manual", false);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	h.sas = calloc(MAX_SAS, sizeof(*h.sas));
	if (h.sas == NULL)
		return 1;
	if (load_file(&h, file) < 0) {
		dp_close(h.dp);
		free(h.sas);
		return 1;
	}
	if (sock != NULL) {
		lfd = ctl_listen(sock); /* after the configuration: its presence means "ready" */
		if (lfd < 0) {
			fprintf(stderr, "cairn-dp-manual: %s: %s\n", sock, strerror(-lfd));
			dp_close(h.dp);
			free(h.sas);
			return 1;
		}
	}
	fprintf(stderr, "cairn-dp-manual: ready\n");
	while (!stop_flag && !h.quit) {
		pfd[0].fd = dp_event_fd(h.dp);
		pfd[0].events = POLLIN;
		pfd[1].fd = lfd;
		pfd[1].events = POLLIN;
		rc = poll(pfd, lfd >= 0 ? 2 : 1, 1000);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc > 0 && (pfd[0].revents & POLLIN))
			drain_events(&h);
		if (rc > 0 && lfd >= 0 && (pfd[1].revents & POLLIN))
			serve_one(&h, lfd);
	}
	if (lfd >= 0) {
		close(lfd);
		unlink(sock);
	}
	dp_close(h.dp);
	free(h.events);
	free(h.sas);
	return 0;
}
