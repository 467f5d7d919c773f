/* SPDX-License-Identifier: MIT */
/*
 * The kernel dataplane backend against this host's real kernel, in a
 * private network namespace (unshare): policies (add, get, dump, delete;
 * in/out/fwd; if_id and mark), SPI allocation, acquire events, and the
 * operator messages for what the kernel cannot do. Where the kernel lacks
 * ESP or xfrm interfaces (as on Cairn's CI machines) the exact refusal is
 * asserted; where it has them, the same calls must succeed.
 *
 *   [ private netns: lo 127.0.0.1 ] --- XFRM/rtnetlink --- kernel
 *
 * Needs root (CAP_SYS_ADMIN for unshare, CAP_NET_ADMIN); exits 77 (skip)
 * otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/capability.h>
#include <linux/rtnetlink.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "dp.h"
#include "dp_kernel.h"
#include "xfrm.h"

static int probe_rc;
static struct errbuf probe_err;

static struct dp_addr
a4(const char *s)
{
	struct dp_addr a = { .family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, s, &a.u.v4), 1);
	return a;
}

static struct dp_ts
ts4(const char *lo, const char *hi)
{
	struct dp_ts t = { .family = AF_INET, .port_lo = 0, .port_hi = 65535 };

	t.addr_lo = a4(lo);
	t.addr_hi = a4(hi);
	return t;
}

static void *
kopen(void)
{
	struct dp_config cfg = { .backend = DP_BACKEND_KERNEL };
	struct errbuf err = { { 0 } };
	void *impl = NULL;
	int rc;

	rc = dp_kernel_ops.open(&cfg, &impl, &err);
	if (rc < 0)
		fail_msg("open: %s", err.msg);
	return impl;
}

/* ------------------------------------------------ a raw view of the SPD */

struct pol_list {
	size_t n;
	struct xfrm_pol v[64];
};

static int
pol_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	struct pol_list *l = arg;

	if (hdr->nlmsg_type != XFRM_MSG_NEWPOLICY || l->n == 64)
		return 0;
	return xfrm_parse_policy(payload, &l->v[l->n++]);
}

static void
pol_dump(struct pol_list *l)
{
	uint8_t buf[XFRM_REQ_MAX] __attribute__((aligned(8)));
	struct xnl *nl = xnl_open(NETLINK_XFRM, 0);

	assert_non_null(nl);
	memset(l, 0, sizeof(*l));
	assert_true(xfrm_build_policy_dump(buf, sizeof(buf)) > 0);
	assert_int_equal(xnl_transact(nl, (struct nlmsghdr *)buf, pol_cb, l, NULL), 0);
	xnl_close(nl);
}

static const struct xfrm_pol *
pol_find(const struct pol_list *l, uint8_t dir, const char *src, uint8_t slen)
{
	struct dp_addr s = a4(src);

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].u.dir == dir && l->v[i].u.sel.prefixlen_s == slen &&
		    memcmp(&l->v[i].u.sel.saddr.a4, &s.u.v4, 4) == 0)
			return &l->v[i];
	return NULL;
}

/* ------------------------------------------------------------- tests */

static void
test_policies(void **state)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct dp_tunnel t = { .id = 7, .unit = DP_UNIT_NONE };
	struct dp_policy out = { .id = 1, .tunnel_id = 7, .dir = DP_DIR_OUT, .priority = 200 };
	struct dp_policy in = { .id = 2, .tunnel_id = 7, .dir = DP_DIR_IN, .priority = 200 };
	struct pol_list l;
	const struct xfrm_pol *p;
	struct dp_addr gw_l = a4("192.0.2.1"), gw_r = a4("192.0.2.2");

	(void)state;
	t.local_gw = gw_l;
	t.remote_gw = gw_r;
	assert_int_equal(dp_kernel_ops.tunnel_set(k, &t, &err), 0);
	out.sel_src = ts4("10.1.0.0", "10.1.255.255");
	out.sel_dst = ts4("10.2.0.0", "10.2.255.255");
	in.sel_src = out.sel_dst;
	in.sel_dst = out.sel_src;
	assert_int_equal(dp_kernel_ops.policy_add(k, &out, &err), 0);
	assert_int_equal(dp_kernel_ops.policy_add(k, &in, &err), 0);

	pol_dump(&l);
	assert_int_equal(l.n, 3); /* out; in + fwd */
	p = pol_find(&l, XFRM_POLICY_OUT, "10.1.0.0", 16);
	assert_non_null(p);
	assert_int_equal(p->u.sel.prefixlen_d, 16);
	assert_int_equal(p->u.priority, 200);
	assert_int_equal(p->n_tmpl, 1);
	assert_int_equal(p->tmpl[0].reqid, 7); /* reqid 0 -> the tunnel id */
	assert_int_equal(p->tmpl[0].mode, XFRM_MODE_TUNNEL);
	assert_int_equal(p->tmpl[0].id.proto, IPPROTO_ESP);
	assert_memory_equal(&p->tmpl[0].saddr.a4, &gw_l.u.v4, 4);
	assert_memory_equal(&p->tmpl[0].id.daddr.a4, &gw_r.u.v4, 4);
	p = pol_find(&l, XFRM_POLICY_IN, "10.2.0.0", 16);
	assert_non_null(p);
	assert_memory_equal(&p->tmpl[0].saddr.a4, &gw_r.u.v4, 4); /* reversed */
	assert_non_null(pol_find(&l, XFRM_POLICY_FWD, "10.2.0.0", 16));

	/* The same id twice is refused with a message. */
	assert_int_equal(dp_kernel_ops.policy_add(k, &out, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "policy 1 already exists"));

	/* Ranges become exact prefixes: .1-.6 = .1/32 .2/31 .4/31 .6/32. */
	out.id = 3;
	out.sel_src = ts4("10.9.0.1", "10.9.0.6");
	assert_int_equal(dp_kernel_ops.policy_add(k, &out, &err), 0);
	pol_dump(&l);
	assert_int_equal(l.n, 7);
	assert_non_null(pol_find(&l, XFRM_POLICY_OUT, "10.9.0.2", 31));
	assert_non_null(pol_find(&l, XFRM_POLICY_OUT, "10.9.0.6", 32));

	assert_int_equal(dp_kernel_ops.policy_del(k, 3, &err), 0);
	assert_int_equal(dp_kernel_ops.policy_del(k, 2, &err), 0);
	pol_dump(&l);
	assert_int_equal(l.n, 1);
	assert_int_equal(dp_kernel_ops.policy_del(k, 2, &err), -ENOENT);
	dp_kernel_ops.close(k); /* removes policy 1 */
	pol_dump(&l);
	assert_int_equal(l.n, 0);
}

/* IPv6 selectors with a protocol and port ranges, as the kernel stores them. */
static void
test_policy_v6_ports(void **state)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct dp_tunnel t = { .id = 13, .unit = DP_UNIT_NONE };
	struct dp_policy out = { .id = 6, .tunnel_id = 13, .dir = DP_DIR_OUT, .priority = 50 };
	struct pol_list l;
	struct in6_addr want_s, want_d;
	unsigned found = 0;

	(void)state;
	t.local_gw.family = t.remote_gw.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &t.local_gw.u.v6);
	inet_pton(AF_INET6, "2001:db8::2", &t.remote_gw.u.v6);
	assert_int_equal(dp_kernel_ops.tunnel_set(k, &t, &err), 0);
	out.sel_src.family = out.sel_dst.family = AF_INET6;
	out.sel_src.addr_lo.family = out.sel_src.addr_hi.family = AF_INET6;
	out.sel_dst.addr_lo.family = out.sel_dst.addr_hi.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:1::", &out.sel_src.addr_lo.u.v6);
	inet_pton(AF_INET6, "2001:db8:1::ffff", &out.sel_src.addr_hi.u.v6);
	inet_pton(AF_INET6, "2001:db8:2::5", &out.sel_dst.addr_lo.u.v6);
	out.sel_dst.addr_hi = out.sel_dst.addr_lo;
	out.sel_src.proto = out.sel_dst.proto = IPPROTO_TCP;
	out.sel_src.port_lo = 0;
	out.sel_src.port_hi = 65535;
	out.sel_dst.port_lo = 1000; /* 1000-1003: one block, mask 0xfffc */
	out.sel_dst.port_hi = 1003;
	assert_int_equal(dp_kernel_ops.policy_add(k, &out, &err), 0);
	pol_dump(&l);
	want_s = out.sel_src.addr_lo.u.v6;
	want_d = out.sel_dst.addr_lo.u.v6;
	for (size_t i = 0; i < l.n; i++) {
		const struct xfrm_pol *p = &l.v[i];

		if (p->u.sel.family != AF_INET6)
			continue;
		found++;
		assert_int_equal(p->u.dir, XFRM_POLICY_OUT);
		assert_memory_equal(p->u.sel.saddr.a6, &want_s, 16);
		assert_int_equal(p->u.sel.prefixlen_s, 112);
		assert_memory_equal(p->u.sel.daddr.a6, &want_d, 16);
		assert_int_equal(p->u.sel.prefixlen_d, 128);
		assert_int_equal(p->u.sel.proto, IPPROTO_TCP);
		assert_int_equal(ntohs(p->u.sel.dport), 1000);
		assert_int_equal(ntohs(p->u.sel.dport_mask), 0xfffc);
		assert_int_equal(p->u.sel.sport_mask, 0);
		assert_int_equal(p->tmpl[0].family, AF_INET6);
		assert_memory_equal(p->tmpl[0].id.daddr.a6, &t.remote_gw.u.v6, 16);
		assert_int_equal(p->u.priority, 50);
	}
	assert_int_equal(found, 1);
	dp_kernel_ops.close(k);
	pol_dump(&l);
	assert_int_equal(l.n, 0);
}

/* if_id and mark through libxfrm directly, and GETPOLICY by selector. */
static int
one_pol_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	if (hdr->nlmsg_type != XFRM_MSG_NEWPOLICY)
		return 0;
	return xfrm_parse_policy(payload, arg);
}

static void
test_policy_if_id_get(void **state)
{
	uint8_t buf[XFRM_REQ_MAX] __attribute__((aligned(8)));
	struct xnl *nl = xnl_open(NETLINK_XFRM, 0);
	struct dp_ts any = ts4("0.0.0.0", "255.255.255.255");
	struct dp_addr l = a4("192.0.2.1"), r = a4("192.0.2.2");
	struct xfrm_selector sel;
	struct xfrm_pol p, got;
	struct nlp_err kerr;
	size_t n;

	(void)state;
	assert_non_null(nl);
	assert_int_equal(xfrm_ts_to_sels(&any, &any, &sel, 1, &n), 0);
	assert_int_equal(n, 1);
	memset(&p, 0, sizeof(p));
	p.u.sel = sel;
	p.u.dir = XFRM_POLICY_OUT;
	p.u.priority = 1000;
	p.n_tmpl = 1;
	xfrm_tmpl_esp(&p.tmpl[0], &l, &r, 42);
	p.has_if_id = true;
	p.if_id = 0x42;
	p.has_mark = true;
	p.mark.v = 0x10;
	p.mark.m = 0xff;
	assert_true(xfrm_build_policy(buf, sizeof(buf), XFRM_MSG_NEWPOLICY, &p) > 0);
	assert_int_equal(xnl_transact(nl, (struct nlmsghdr *)buf, NULL, NULL, &kerr), 0);
	/* a second NEWPOLICY for the same key is refused */
	assert_true(xfrm_build_policy(buf, sizeof(buf), XFRM_MSG_NEWPOLICY, &p) > 0);
	assert_int_equal(xnl_transact(nl, (struct nlmsghdr *)buf, NULL, NULL, &kerr), -EEXIST);

	assert_true(xfrm_build_policy_id(buf, sizeof(buf), XFRM_MSG_GETPOLICY, &p) > 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(xnl_transact(nl, (struct nlmsghdr *)buf, one_pol_cb, &got, &kerr), 0);
	assert_true(got.has_if_id);
	assert_int_equal(got.if_id, 0x42);
	assert_true(got.has_mark);
	assert_int_equal(got.mark.v, 0x10);
	assert_int_equal(got.tmpl[0].reqid, 42);
	assert_int_equal(got.u.priority, 1000);

	/* without the if_id it is another policy: not found */
	p.has_if_id = false;
	assert_true(xfrm_build_policy_id(buf, sizeof(buf), XFRM_MSG_GETPOLICY, &p) > 0);
	assert_int_equal(xnl_transact(nl, (struct nlmsghdr *)buf, NULL, NULL, &kerr), -ENOENT);
	p.has_if_id = true;
	assert_true(xfrm_build_policy_id(buf, sizeof(buf), XFRM_MSG_DELPOLICY, &p) > 0);
	assert_int_equal(xnl_transact(nl, (struct nlmsghdr *)buf, NULL, NULL, &kerr), 0);
	xnl_close(nl);
}

static void
test_spi_alloc(void **state)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct dp_addr l = a4("192.0.2.1"), r = a4("192.0.2.2");
	struct dp_sa_stats st;
	uint32_t s1 = 0, s2 = 0;

	(void)state;
	assert_int_equal(dp_kernel_ops.spi_alloc(k, &l, &r, 0, &s1, &err), 0);
	assert_int_equal(dp_kernel_ops.spi_alloc(k, &l, &r, 0, &s2, &err), 0);
	assert_true(s1 >= 0x100 && s2 >= 0x100);
	assert_int_not_equal(s1, s2);
	/* the larval SA is in the kernel: GETSA finds it */
	assert_int_equal(dp_kernel_ops.sa_stats(k, s1, DP_DIR_IN, &l, &st, &err), 0);
	assert_int_equal(st.packets, 0);
	assert_int_equal(dp_kernel_ops.sa_del(k, s1, DP_DIR_IN, &l, &err), 0);
	err.msg[0] = '\0';
	assert_int_equal(dp_kernel_ops.sa_stats(k, s1, DP_DIR_IN, &l, &st, &err), -ESRCH);
	assert_non_null(strstr(err.msg, "not found in the kernel"));
	/* mixed families are refused before the kernel sees them */
	struct dp_addr v6 = { .family = AF_INET6 };
	err.msg[0] = '\0';
	assert_int_equal(dp_kernel_ops.spi_alloc(k, &l, &v6, 0, &s1, &err), -EINVAL);
	dp_kernel_ops.close(k);
}

/* Drops or raises CAP_NET_ADMIN in this thread's effective set (the
 * permitted set keeps it, so it can come back). */
static void
net_admin_effective(bool on)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	assert_int_equal(syscall(SYS_capget, &h, d), 0);
	if (on)
		d[0].effective |= 1u << CAP_NET_ADMIN;
	else
		d[0].effective &= ~(1u << CAP_NET_ADMIN);
	assert_int_equal(syscall(SYS_capset, &h, d), 0);
}

/*
 * A delete the kernel refuses leaves the SA in the kernel, so the backend's
 * table keeps it too (close then takes it out); one the kernel no longer
 * has is forgotten. The refusal is real: the kernel checks CAP_NET_ADMIN of
 * the sender at each request, and this test drops it around the delete.
 */
static void
test_sa_del_refused(void **state)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct dp_addr l = a4("192.0.2.1"), r = a4("192.0.2.2");
	struct dp_sa_stats st;
	uint32_t spi = 0;
	int rc;

	(void)state;
	assert_int_equal(dp_kernel_ops.spi_alloc(k, &l, &r, 0, &spi, &err), 0);
	net_admin_effective(false);
	rc = dp_kernel_ops.sa_del(k, spi, DP_DIR_IN, &l, &err);
	net_admin_effective(true);
	printf("# refused delete: %d %s\n", rc, err.msg);
	assert_int_equal(rc, -EPERM);
	assert_non_null(strstr(err.msg, "permission denied"));
	assert_non_null(strstr(err.msg, "the SA is still installed"));
	/* the kernel still holds it ... */
	assert_int_equal(dp_kernel_ops.sa_stats(k, spi, DP_DIR_IN, &l, &st, &err), 0);
	/* ... and the table still lists it: close removes it from the kernel */
	dp_kernel_ops.close(k);
	k = kopen();
	err.msg[0] = '\0';
	assert_int_equal(dp_kernel_ops.sa_stats(k, spi, DP_DIR_IN, &l, &st, &err), -ESRCH);

	/* gone from the kernel behind the backend's back: not found, forgotten */
	assert_int_equal(dp_kernel_ops.spi_alloc(k, &l, &r, 0, &spi, &err), 0);
	{
		uint8_t b[XFRM_REQ_MAX] __attribute__((aligned(8)));
		struct xnl *nl = xnl_open(NETLINK_XFRM, 0);
		struct nlp_err kerr;

		assert_non_null(nl);
		rc = xfrm_build_sa_id(b, sizeof(b), XFRM_MSG_DELSA, &l, spi, 0, 0);
		assert_true(rc > 0);
		assert_int_equal(xnl_transact(nl, (struct nlmsghdr *)b, NULL, NULL, &kerr), 0);
		xnl_close(nl);
	}
	err.msg[0] = '\0';
	assert_int_equal(dp_kernel_ops.sa_del(k, spi, DP_DIR_IN, &l, &err), -ESRCH);
	assert_non_null(strstr(err.msg, "not found in the kernel"));
	assert_null(strstr(err.msg, "still installed"));
	dp_kernel_ops.close(k);
}

static void
fill_sa(struct dp_sa *sa, enum dp_enc enc)
{
	memset(sa, 0, sizeof(*sa));
	sa->spi = 0x1001;
	sa->dir = DP_DIR_OUT;
	sa->tunnel_id = 7;
	sa->local = a4("192.0.2.1");
	sa->remote = a4("192.0.2.2");
	sa->enc = enc;
	sa->df = DP_DF_COPY;
	if (enc == DP_ENC_AES_GCM_128) {
		sa->enc_key_len = 20;
	} else {
		sa->enc_key_len = 16;
		sa->integ = DP_INTEG_HMAC_SHA256_128;
		sa->integ_key_len = 32;
	}
	memset(sa->enc_key, 0x11, sa->enc_key_len);
	memset(sa->integ_key, 0x22, sa->integ_key_len);
}

/* What this kernel says about ESP SAs, as the operator reads it. */
static void
test_esp_sa(void **state)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct dp_sa sa;
	struct dp_sa_stats st;
	int rc;

	(void)state;
	fill_sa(&sa, DP_ENC_AES_CBC_128);
	rc = dp_kernel_ops.sa_add(k, &sa, &err);
	printf("# CBC SA: %d %s\n", rc, err.msg);
	if (probe_rc == 0) {
		/* A kernel with ESP: the SA is there and counts nothing yet. */
		assert_int_equal(rc, 0);
		assert_int_equal(
		    dp_kernel_ops.sa_stats(k, 0x1001, DP_DIR_OUT, &sa.remote, &st, &err), 0);
		assert_int_equal(st.packets, 0);
		dp_kernel_ops.close(k);
		return;
	}
	assert_int_equal(rc, -EPROTONOSUPPORT);
	assert_string_equal(err.msg,
	    "SA 00001001 (outbound, 192.0.2.1 -> 192.0.2.2): the kernel has no ESP support "
	    "(CONFIG_INET_ESP): use security dataplane backend userspace "
	    "(kernel: Requested type not found)");
	err.msg[0] = '\0';
	fill_sa(&sa, DP_ENC_AES_GCM_128);
	rc = dp_kernel_ops.sa_add(k, &sa, &err);
	printf("# GCM SA: %d %s\n", rc, err.msg);
	assert_int_equal(rc, -ENOSYS);
	assert_string_equal(err.msg,
	    "SA 00001001 (outbound, 192.0.2.1 -> 192.0.2.2): the kernel has no rfc4106(gcm(aes)) "
	    "algorithm (CONFIG_CRYPTO_GCM): use security dataplane backend userspace "
	    "(kernel: Requested AEAD algorithm not found)");
	/* The probe gives the same answer for auto-detection. */
	assert_int_equal(probe_rc, -EPROTONOSUPPORT);
	assert_non_null(strstr(probe_err.msg, "the kernel has no ESP support (CONFIG_INET_ESP): "
	                                      "use security dataplane backend userspace"));
	/* Nothing is left behind: the SA table is empty. */
	err.msg[0] = '\0';
	assert_int_equal(
	    dp_kernel_ops.sa_stats(k, 0x1001, DP_DIR_OUT, &sa.remote, &st, &err), -ESRCH);
	/* Checks that need no kernel. */
	fill_sa(&sa, DP_ENC_AES_GCM_128);
	sa.enc_key_len = 16;
	err.msg[0] = '\0';
	assert_int_equal(dp_kernel_ops.sa_add(k, &sa, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "rfc4106(gcm(aes)) needs 20"));
	dp_kernel_ops.close(k);
}

/*
 * The kernel's largest anti-replay window: a bitmap of 128 words (4096
 * packets) passes its checks (this kernel then stops at the missing ESP),
 * 129 words are refused; xfrm_sa_check() draws the line at the same place.
 */
static int
raw_sa(struct dp_sa *sa, uint32_t bmp_words, struct nlp_err *kerr)
{
	uint8_t b[XFRM_REQ_MAX] __attribute__((aligned(8)));
	struct {
		struct xfrm_replay_state_esn e;
		uint32_t bmp[256];
	} rp;
	struct xfrm_sa_extra x = { 0 };
	struct errbuf err = { { 0 } };
	struct nlmsghdr *nlh = (struct nlmsghdr *)b;
	struct xnl *nl = xnl_open(NETLINK_XFRM, 0);
	int rc;

	assert_non_null(nl);
	sa->replay_window = 0; /* no replay attribute: it is added below */
	rc = xfrm_build_sa(b, sizeof(b), XFRM_MSG_NEWSA, sa, &x, &err);
	assert_true(rc > 0);
	memset(&rp, 0, sizeof(rp));
	rp.e.bmp_len = bmp_words;
	rp.e.replay_window = bmp_words * 32;
	assert_true(mnl_attr_put_check(
	    nlh, sizeof(b), XFRMA_REPLAY_ESN_VAL, sizeof(rp.e) + bmp_words * 4, &rp));
	rc = xnl_transact(nl, nlh, NULL, NULL, kerr);
	explicit_bzero(b, sizeof(b));
	xnl_close(nl);
	return rc;
}

static void
test_replay_window_limit(void **state)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct nlp_err kerr;
	struct dp_sa sa;
	int rc;

	(void)state;
	fill_sa(&sa, DP_ENC_AES_CBC_128);
	sa.dir = DP_DIR_IN;
	sa.spi = 0x1002;
	rc = raw_sa(&sa, 128, &kerr);
	printf("# 128-word bitmap: %d %s\n", rc, kerr.msg);
	assert_int_equal(rc, probe_rc == 0 ? 0 : probe_rc);
	rc = raw_sa(&sa, 129, &kerr);
	printf("# 129-word bitmap: %d %s\n", rc, kerr.msg);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(kerr.msg, "ESN bitmap length"));
	/* through the backend: 4096 reaches the kernel, 4097 is refused first */
	sa.spi = 0x1003;
	sa.replay_window = 4096;
	rc = dp_kernel_ops.sa_add(k, &sa, &err);
	assert_int_equal(rc, probe_rc == 0 ? 0 : probe_rc);
	sa.spi = 0x1004;
	sa.replay_window = 4097;
	err.msg[0] = '\0';
	assert_int_equal(dp_kernel_ops.sa_add(k, &sa, &err), -EINVAL);
	printf("# window 4097: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "replay window 4097 is larger than the kernel's 4096"));
	dp_kernel_ops.close(k);
}

/*
 * Every shape of SA request Cairn builds passes the kernel's own checks of
 * the message (verify_newsa_info(): attribute sizes, algorithm key and ICV
 * lengths, replay state, direction rules of per-CPU SAs) and stops only at
 * what this kernel lacks: ESP (EPROTONOSUPPORT) or an algorithm (ENOSYS).
 * Where ESP exists each one is installed, then deleted.
 */
static void
test_sa_variants(void **state)
{
	static const struct {
		enum dp_enc enc;
		enum dp_integ integ;
		uint8_t elen, ilen;
	} algs[] = {
		{ DP_ENC_AES_GCM_128, DP_INTEG_NONE, 20, 0 },
		{ DP_ENC_AES_GCM_256, DP_INTEG_NONE, 36, 0 },
		{ DP_ENC_AES_CBC_128, DP_INTEG_HMAC_SHA256_128, 16, 32 },
		{ DP_ENC_AES_CBC_256, DP_INTEG_HMAC_SHA384_192, 32, 48 },
		{ DP_ENC_AES_CBC_256, DP_INTEG_HMAC_SHA512_256, 32, 64 },
	};
	static const uint32_t windows[] = { 0, 32, 33, 64, 100, 4096 };
	uint8_t b[XFRM_REQ_MAX] __attribute__((aligned(8)));
	struct xnl *nl = xnl_open(NETLINK_XFRM, 0);
	struct errbuf err = { { 0 } };
	struct nlp_err kerr;
	unsigned n = 0, nosys = 0;

	(void)state;
	assert_non_null(nl);
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++)
		for (unsigned v = 0; v < 32; v++) {
			bool in = v & 1, esn = v & 2, encap = v & 4, pcpu = v & 8, v6 = v & 16;
			struct xfrm_sa_extra x = { .reqid = 5, .if_id = 3 };
			struct dp_sa sa;
			int rc, len;

			if (pcpu && in)
				continue;
			memset(&sa, 0, sizeof(sa));
			sa.spi = 0x2000 + n;
			sa.dir = in ? DP_DIR_IN : DP_DIR_OUT;
			sa.local = v6 ? (struct dp_addr){ .family = AF_INET6 } : a4("192.0.2.1");
			sa.remote = v6 ? (struct dp_addr){ .family = AF_INET6 } : a4("192.0.2.2");
			if (v6) {
				inet_pton(AF_INET6, "2001:db8::1", &sa.local.u.v6);
				inet_pton(AF_INET6, "2001:db8::2", &sa.remote.u.v6);
			}
			sa.enc = algs[a].enc;
			sa.integ = algs[a].integ;
			sa.enc_key_len = algs[a].elen;
			sa.integ_key_len = algs[a].ilen;
			memset(sa.enc_key, 0x33, sa.enc_key_len);
			memset(sa.integ_key, 0x44, sa.integ_key_len);
			sa.df = v % 3 == 0 ? DP_DF_CLEAR : DP_DF_COPY;
			sa.flags = (esn ? DP_SA_ESN : 0) | (encap ? DP_SA_HAS_ENCAP : 0) |
			           DP_SA_HAS_LIFETIME | (v % 5 == 0 ? DP_SA_COPY_DSCP : 0);
			sa.encap_local_port = 4500;
			sa.encap_remote_port = 31000;
			sa.life.soft_bytes = 1000000;
			sa.life.hard_bytes = 2000000;
			sa.life.soft_seconds = 3000;
			sa.life.hard_seconds = 3600;
			sa.replay_window = in ? windows[(a + v) % 6] : 0;
			if (in && esn && sa.replay_window == 0)
				sa.replay_window = 64;
			x.pcpu = pcpu;
			x.cpu = 0;
			x.mark_v = v % 4 == 1 ? 0x10 : 0;
			x.mark_m = v % 4 == 1 ? 0xff : 0;
			len = xfrm_build_sa(b, sizeof(b), XFRM_MSG_NEWSA, &sa, &x, &err);
			assert_true(len > 0);
			rc = xnl_transact(nl, (struct nlmsghdr *)b, NULL, NULL, &kerr);
			explicit_bzero(b, sizeof(b));
			if (probe_rc == 0 ? rc != 0 : rc != -EPROTONOSUPPORT && rc != -ENOSYS)
				fail_msg("SA %s %s%s%s%s%s window %u: %d (kernel: %s)",
				    xfrm_enc_name(sa.enc), in ? "in" : "out", esn ? " esn" : "",
				    encap ? " encap" : "", pcpu ? " pcpu" : "", v6 ? " v6" : "",
				    sa.replay_window, rc, kerr.msg);
			if (rc == -ENOSYS)
				nosys++;
			if (rc == 0) {
				len = xfrm_build_sa_id(b, sizeof(b), XFRM_MSG_DELSA,
				    in ? &sa.local : &sa.remote, sa.spi, x.mark_v, x.mark_m);
				assert_int_equal(
				    xnl_transact(nl, (struct nlmsghdr *)b, NULL, NULL, NULL), 0);
			}
			n++;
		}
	printf("# %u SA shapes passed the kernel's checks (%u stopped at a missing "
	       "algorithm)\n",
	    n, nosys);
	xnl_close(nl);
}

static int
link_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	return hdr->nlmsg_type == RTM_NEWLINK ? rtnl_parse_link(payload, arg) : 0;
}

static void
test_unit(void **state)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct dp_unit u = { .unit = 3, .mtu = 1400, .up = true };
	int rc;

	(void)state;
	u.addr4.addr = a4("10.255.3.1");
	u.addr4.len = 30;
	rc = dp_kernel_ops.unit_set(k, &u, &err);
	printf("# st0.3: %d %s\n", rc, err.msg);
	if (rc == 0) {
		/* A kernel with xfrm interfaces: st0.3 is there as configured. */
		uint8_t buf[XFRM_REQ_MAX] __attribute__((aligned(8)));
		struct xnl *rt = xnl_open(NETLINK_ROUTE, 0);
		struct rtnl_link_info li;

		assert_non_null(rt);
		assert_true(rtnl_build_link_get(buf, sizeof(buf), "st0.3") > 0);
		assert_int_equal(xnl_transact(rt, (struct nlmsghdr *)buf, link_cb, &li, NULL), 0);
		assert_string_equal(li.kind, "xfrm");
		assert_int_equal(li.if_id, dp_kernel_unit_if_id(3));
		assert_int_equal(li.mtu, 1400);
		assert_true(li.flags & IFF_UP);
		xnl_close(rt);
		assert_int_equal(dp_kernel_ops.unit_del(k, 3, &err), 0);
	} else {
		assert_non_null(strstr(err.msg, "st0.3: the kernel has no xfrm interfaces "
		                                "(CONFIG_XFRM_INTERFACE): use security dataplane "
		                                "backend userspace"));
		err.msg[0] = '\0';
		/* routes need a configured unit */
		struct dp_route r = { .unit = 3 };
		r.dst.addr = a4("10.3.0.0");
		r.dst.len = 16;
		assert_int_equal(dp_kernel_ops.route_add(k, &r, &err), -ENOENT);
		assert_string_equal(err.msg, "route into st0.3: st0.3 is not configured");
		/* a route-based tunnel on it fails, twice, and leaves no policy */
		struct dp_tunnel t = { .id = 5, .unit = 3 };
		struct pol_list l;

		t.local_gw = a4("192.0.2.1");
		t.remote_gw = a4("192.0.2.2");
		for (int i = 0; i < 2; i++) {
			err.msg[0] = '\0';
			assert_int_equal(dp_kernel_ops.tunnel_set(k, &t, &err), -ENOENT);
			assert_string_equal(err.msg, "tunnel 5: st0.3 is not configured");
		}
		pol_dump(&l);
		assert_int_equal(l.n, 0);
	}
	dp_kernel_ops.close(k);
}

/* Traffic hitting an out policy with no SA raises DP_EV_ACQUIRE. */
static bool
wait_event(void *k, struct dp_event *ev, int ms)
{
	struct pollfd pfd = { .fd = dp_kernel_ops.event_fd(k), .events = POLLIN };
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (dp_kernel_ops.event_read(k, ev) == 0)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			return false;
		poll(&pfd, 1, 100);
	}
}

static void
send_udp(const char *src, const char *dst)
{
	struct sockaddr_in s = { .sin_family = AF_INET }, d = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, src, &s.sin_addr);
	inet_pton(AF_INET, dst, &d.sin_addr);
	d.sin_port = htons(9);
	assert_int_equal(bind(fd, (struct sockaddr *)&s, sizeof(s)), 0);
	/* dropped by the policy (no SA yet): the error does not matter */
	(void)sendto(fd, "x", 1, 0, (struct sockaddr *)&d, sizeof(d));
	close(fd);
}

static int
run(const char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_acquire(void **state)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct dp_tunnel t = { .id = 9, .unit = DP_UNIT_NONE, .on_traffic = true };
	struct dp_tunnel quiet = { .id = 10, .unit = DP_UNIT_NONE, .on_traffic = false };
	struct dp_policy p = { .id = 1, .tunnel_id = 9, .dir = DP_DIR_OUT, .priority = 10 };
	struct dp_event ev;
	struct dp_addr dst;

	(void)state;
	/* Loopback bypasses XFRM (disable_xfrm): traffic leaves on a veth. */
	{
		const char *const add[] = { "ip", "link", "add", "acq0", "type", "veth", "peer",
			"name", "acq1", NULL };
		const char *const addr[] = { "ip", "addr", "add", "10.77.0.1/24", "dev", "acq0",
			NULL };
		const char *const up0[] = { "ip", "link", "set", "acq0", "up", NULL };
		const char *const up1[] = { "ip", "link", "set", "acq1", "up", NULL };

		assert_int_equal(run(add), 0);
		assert_int_equal(run(addr), 0);
		assert_int_equal(run(up0), 0);
		assert_int_equal(run(up1), 0);
	}
	t.local_gw = quiet.local_gw = a4("192.0.2.1");
	t.remote_gw = quiet.remote_gw = a4("192.0.2.2");
	assert_int_equal(dp_kernel_ops.tunnel_set(k, &t, &err), 0);
	assert_int_equal(dp_kernel_ops.tunnel_set(k, &quiet, &err), 0);
	p.sel_src = ts4("10.77.0.1", "10.77.0.1");
	p.sel_dst = ts4("10.77.0.2", "10.77.0.2");
	assert_int_equal(dp_kernel_ops.policy_add(k, &p, &err), 0);
	/* tunnel 10 does not establish on traffic: its acquire is dropped */
	p.id = 2;
	p.tunnel_id = 10;
	p.sel_dst = ts4("10.77.0.3", "10.77.0.3");
	assert_int_equal(dp_kernel_ops.policy_add(k, &p, &err), 0);
	assert_int_equal(dp_kernel_ops.event_read(k, &ev), -EAGAIN);

	send_udp("10.77.0.1", "10.77.0.3");
	send_udp("10.77.0.1", "10.77.0.2");
	assert_true(wait_event(k, &ev, 5000));
	assert_int_equal(ev.type, DP_EV_ACQUIRE);
	assert_int_equal(ev.tunnel_id, 9);
	dst = a4("10.77.0.2");
	assert_int_equal(ev.dst.family, AF_INET);
	assert_memory_equal(&ev.dst.u.v4, &dst.u.v4, 4);
	assert_false(wait_event(k, &ev, 300) && ev.tunnel_id == 10);
	dp_kernel_ops.close(k);
}

/* dp.h: a tunnel_del also removes what is left of its SAs and policies. */
/*
 * More acquires than the event socket holds: the overrun (ENOBUFS) reaches
 * the caller as a DP_EV_ERROR saying events were lost, and the listener
 * goes on delivering the acquires that follow.
 */
#define N_OVR 3000

static void
test_acquire_overrun(void **state)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct dp_tunnel t = { .id = 14, .unit = DP_UNIT_NONE, .on_traffic = true };
	struct dp_policy p = { .id = 7, .tunnel_id = 14, .dir = DP_DIR_OUT, .priority = 10 };
	struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(9) };
	static uint8_t got[N_OVR];
	struct dp_event ev;
	unsigned acquires = 0, lost = 0, dup = 0, missing = 0;
	int fd, rc;

	(void)state;
	memset(got, 0, sizeof(got));
	{
		const char *const add[] = { "ip", "link", "add", "ovr0", "type", "veth", "peer",
			"name", "ovr1", NULL };
		const char *const addr[] = { "ip", "addr", "add", "10.78.255.254/16", "dev", "ovr0",
			NULL };
		const char *const up0[] = { "ip", "link", "set", "ovr0", "up", NULL };
		const char *const up1[] = { "ip", "link", "set", "ovr1", "up", NULL };

		assert_int_equal(run(add), 0);
		assert_int_equal(run(addr), 0);
		assert_int_equal(run(up0), 0);
		assert_int_equal(run(up1), 0);
	}
	t.local_gw = a4("192.0.2.1");
	t.remote_gw = a4("192.0.2.2");
	assert_int_equal(dp_kernel_ops.tunnel_set(k, &t, &err), 0);
	/* the kernel sends one acquire per template (reqid) at a time: one
	 * policy and reqid per destination */
	p.sel_src = ts4("10.78.255.254", "10.78.255.254");
	for (unsigned i = 0; i <= N_OVR; i++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "10.78.%u.%u", i / 250, i % 250 + 1);
		p.id = 100 + i;
		p.reqid = 1000 + i;
		p.sel_dst = ts4(dst, dst);
		assert_int_equal(dp_kernel_ops.policy_add(k, &p, &err), 0);
	}
	/* one acquire per destination, none read meanwhile */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < N_OVR; i++) {
		d.sin_addr.s_addr = htonl(0x0a4e0000u | (i / 250) << 8 | (i % 250 + 1));
		(void)sendto(fd, "x", 1, 0, (struct sockaddr *)&d, sizeof(d));
	}
	while ((rc = dp_kernel_ops.event_read(k, &ev)) == 0) {
		if (ev.type == DP_EV_ACQUIRE && ev.tunnel_id == 14) {
			uint8_t *b = (uint8_t *)&ev.dst.u.v4;
			unsigned i = b[2] * 250u + b[3] - 1u;

			assert_true(i < N_OVR);
			dup += got[i]++ != 0;
			acquires++;
		} else if (ev.type == DP_EV_ERROR && strstr(ev.msg, "were lost") != NULL)
			lost++;
	}
	printf("# %u acquires read, %u overruns reported\n", acquires, lost);
	assert_int_equal(rc, -EAGAIN);
	assert_true(lost >= 1);
	assert_true(acquires >= 1);
	assert_int_equal(dup, 0);
	/*
	 * The backend was the only listener: an acquire it lost reached nobody,
	 * so the kernel kept no ACQ state for it (nothing for the dump to find)
	 * and the flow's next packet raises it anew, while the flows whose
	 * acquire was read stay quiet (their ACQ states are pending).
	 */
	for (unsigned i = 0; i < N_OVR; i++) {
		d.sin_addr.s_addr = htonl(0x0a4e0000u | (i / 250) << 8 | (i % 250 + 1));
		(void)sendto(fd, "x", 1, 0, (struct sockaddr *)&d, sizeof(d));
	}
	while ((rc = dp_kernel_ops.event_read(k, &ev)) == 0)
		if (ev.type == DP_EV_ACQUIRE && ev.tunnel_id == 14) {
			uint8_t *b = (uint8_t *)&ev.dst.u.v4;
			unsigned i = b[2] * 250u + b[3] - 1u;

			assert_true(i < N_OVR);
			dup += got[i]++ != 0;
		}
	for (unsigned i = 0; i < N_OVR; i++)
		missing += got[i] == 0;
	printf("# after a second packet per flow: %u duplicates, %u missing\n", dup, missing);
	assert_int_equal(dup, 0);
	assert_int_equal(missing, 0);
	/* the listener still works */
	d.sin_addr.s_addr = htonl(0x0a4e0000u | (N_OVR / 250) << 8 | (N_OVR % 250 + 1));
	(void)sendto(fd, "x", 1, 0, (struct sockaddr *)&d, sizeof(d));
	close(fd);
	assert_true(wait_event(k, &ev, 5000));
	assert_int_equal(ev.type, DP_EV_ACQUIRE);
	assert_int_equal(ev.tunnel_id, 14);
	dp_kernel_ops.close(k);
}

/*
 * The overrun's resynchronisation. Whether a lost acquire leaves anything
 * behind depends on who else listens: the kernel keeps its larval ACQ
 * state (and sends no new acquire for that flow for xfrm_acq_expires,
 * 30 s) only when the notification reached some listener; when it reached
 * none, it keeps nothing and the flow's next packet raises a new acquire.
 * Here a second listener (as `ip xfrm monitor`, or another IKE daemon,
 * would be) takes every acquire while the backend's socket overruns: each
 * acquire the backend lost must come from the dump that follows the
 * overrun, and none twice.
 */
#define N_RSY_MAX 5000

/* n flows, 10.<octet>.x.y, tunnel tid, reqids from reqid0; veth v0/v1. */
static void
acquire_resync(
    unsigned n, uint32_t tid, unsigned octet, uint32_t reqid0, const char *v0, const char *v1)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct dp_tunnel t = { .id = tid, .unit = DP_UNIT_NONE, .on_traffic = true };
	struct dp_policy p = { .id = 7, .tunnel_id = tid, .dir = DP_DIR_OUT, .priority = 10 };
	struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(9) };
	static uint8_t got[N_RSY_MAX];
	char local[32];
	struct xnl *other;
	struct dp_event ev;
	unsigned acquires = 0, lost = 0, dup = 0, missing = 0;
	int fd, rc, big = 64 << 20;

	assert_true(n <= N_RSY_MAX);
	snprintf(local, sizeof(local), "10.%u.255.254", octet);
	{
		char pfx[40];
		const char *const add[] = { "ip", "link", "add", v0, "type", "veth", "peer", "name",
			v1, NULL };
		const char *const addr[] = { "ip", "addr", "add", pfx, "dev", v0, NULL };
		const char *const up0[] = { "ip", "link", "set", v0, "up", NULL };
		const char *const up1[] = { "ip", "link", "set", v1, "up", NULL };

		snprintf(pfx, sizeof(pfx), "%s/16", local);

		assert_int_equal(run(add), 0);
		assert_int_equal(run(addr), 0);
		assert_int_equal(run(up0), 0);
		assert_int_equal(run(up1), 0);
	}
	other = xnl_open(NETLINK_XFRM, 1u << (XFRMNLGRP_ACQUIRE - 1));
	assert_non_null(other);
	assert_int_equal(
	    setsockopt(xnl_fd(other), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)), 0);
	t.local_gw = a4("192.0.2.1");
	t.remote_gw = a4("192.0.2.2");
	assert_int_equal(dp_kernel_ops.tunnel_set(k, &t, &err), 0);
	p.sel_src = ts4(local, local);
	for (unsigned i = 0; i < n; i++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "10.%u.%u.%u", octet, i / 250, i % 250 + 1);
		p.id = 100 + i;
		/* not test_acquire_overrun's reqids: their ACQ states (30 s) would
		 * hold back these acquires (one pending acquire per template) */
		p.reqid = reqid0 + i;
		p.sel_dst = ts4(dst, dst);
		assert_int_equal(dp_kernel_ops.policy_add(k, &p, &err), 0);
	}
	memset(got, 0, sizeof(got));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < n; i++) {
		d.sin_addr.s_addr =
		    htonl(0x0a000000u | octet << 16 | (i / 250) << 8 | (i % 250 + 1));
		(void)sendto(fd, "x", 1, 0, (struct sockaddr *)&d, sizeof(d));
	}
	close(fd);
	/* no more traffic: what the backend lost can come only from the dump */
	while ((rc = dp_kernel_ops.event_read(k, &ev)) == 0) {
		if (ev.type == DP_EV_ACQUIRE && ev.tunnel_id == tid) {
			uint8_t *b = (uint8_t *)&ev.dst.u.v4;
			unsigned i = b[2] * 250u + b[3] - 1u;

			assert_true(b[0] == 10 && b[1] == octet && i < n);
			if (got[i]++)
				dup++;
			acquires++;
		} else if (ev.type == DP_EV_ERROR && strstr(ev.msg, "were lost") != NULL)
			lost++;
		else
			fail_msg("unexpected event %d: %s", ev.type, ev.msg);
	}
	for (unsigned i = 0; i < n; i++)
		missing += got[i] == 0;
	printf("# with another listener: %u acquires, %u overruns, %u duplicates, %u missing\n",
	    acquires, lost, dup, missing);
	assert_int_equal(rc, -EAGAIN);
	assert_true(lost >= 1);
	assert_int_equal(dup, 0);
	assert_int_equal(missing, 0);
	xnl_close(other);
	dp_kernel_ops.close(k);
}

static void
test_acquire_resync(void **state)
{
	(void)state;
	acquire_resync(3000, 15, 79, 5000, "rsy0", "rsy1");
}

/*
 * More acquires than the seen ring holds (DPK_ACQ_SEEN, 4096): those read
 * from the socket and those the dump raises together overflow it, so the
 * dump must not forget the read ones while it raises the lost ones.
 */
static void
test_acquire_resync_wrap(void **state)
{
	(void)state;
	acquire_resync(5000, 16, 80, 10000, "rsw0", "rsw1");
}

/*
 * Another IKE daemon in the namespace (strongSwan's reqids are small
 * integers too) installs its own policies whose template reqids equal a
 * Cairn tunnel's id or a Cairn policy's reqid. Its acquires must not be
 * raised as Cairn's, neither from the socket nor from an overrun's
 * resynchronisation dump; Cairn's own acquire still is, once.
 */
static int
foreign_policy(struct xnl *nl, uint16_t type, const char *src, const char *dst, uint32_t reqid)
{
	uint8_t b[XFRM_REQ_MAX] __attribute__((aligned(8)));
	struct dp_ts s = ts4(src, src), d = ts4(dst, dst);
	struct dp_addr tsrc = a4("198.51.100.1"), tdst = a4("198.51.100.2");
	struct xfrm_pol p;
	size_t n = 0;
	int len;

	memset(&p, 0, sizeof(p));
	if (xfrm_ts_to_sels(&s, &d, &p.u.sel, 1, &n) < 0 || n != 1)
		return -EINVAL;
	p.u.dir = XFRM_POLICY_OUT;
	p.u.priority = 10;
	p.u.action = XFRM_POLICY_ALLOW;
	p.n_tmpl = 1;
	xfrm_tmpl_esp(&p.tmpl[0], &tsrc, &tdst, reqid);
	len = type == XFRM_MSG_DELPOLICY ? xfrm_build_policy_id(b, sizeof(b), type, &p)
	                                 : xfrm_build_policy(b, sizeof(b), type, &p);
	if (len < 0)
		return len;
	return xnl_transact(nl, (struct nlmsghdr *)b, NULL, NULL, NULL);
}

static void
acquire_foreign(bool overrun, uint32_t tid_pol, uint32_t tid_bare, unsigned octet, const char *v0,
    const char *v1)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct dp_tunnel t = { .id = tid_pol, .unit = DP_UNIT_NONE, .on_traffic = true };
	struct dp_policy p = {
		.id = tid_pol, .tunnel_id = tid_pol, .dir = DP_DIR_OUT, .priority = 10
	};
	unsigned n_foreign = overrun ? 16 : 2, ours = 0, lost = 0;
	char local[32], dst[32], pfx[40], bad[160] = "";
	struct xnl *nl, *other = NULL;
	struct dp_event ev;
	int one = 1, big = 4 << 20;

	snprintf(local, sizeof(local), "10.%u.0.1", octet);
	snprintf(pfx, sizeof(pfx), "%s/24", local);
	{
		const char *const add[] = { "ip", "link", "add", v0, "type", "veth", "peer", "name",
			v1, NULL };
		const char *const addr[] = { "ip", "addr", "add", pfx, "dev", v0, NULL };
		const char *const up0[] = { "ip", "link", "set", v0, "up", NULL };
		const char *const up1[] = { "ip", "link", "set", v1, "up", NULL };

		assert_int_equal(run(add), 0);
		assert_int_equal(run(addr), 0);
		assert_int_equal(run(up0), 0);
		assert_int_equal(run(up1), 0);
	}
	/* Cairn: tunnel tid_pol with a policy to .2 (reqid tid_pol), and an
	 * on-traffic tunnel tid_bare with no policy installed (yet) */
	t.local_gw = a4("192.0.2.1");
	t.remote_gw = a4("192.0.2.2");
	assert_int_equal(dp_kernel_ops.tunnel_set(k, &t, &err), 0);
	t.id = tid_bare;
	assert_int_equal(dp_kernel_ops.tunnel_set(k, &t, &err), 0);
	snprintf(dst, sizeof(dst), "10.%u.0.2", octet);
	p.sel_src = ts4(local, local);
	p.sel_dst = ts4(dst, dst);
	assert_int_equal(dp_kernel_ops.policy_add(k, &p, &err), 0);
	/* the other daemon: its policies, reqids tid_bare and tid_pol */
	nl = xnl_open(NETLINK_XFRM, 0);
	assert_non_null(nl);
	for (unsigned i = 0; i < n_foreign; i++) {
		snprintf(dst, sizeof(dst), "10.%u.0.%u", octet, 10 + i);
		assert_int_equal(
		    foreign_policy(nl, XFRM_MSG_NEWPOLICY, local, dst, i % 2 ? tid_pol : tid_bare),
		    0);
	}
	if (overrun) {
		/* the other daemon listens (so the kernel keeps its acquires
		 * pending, for the dump); the backend's socket holds about one */
		other = xnl_open(NETLINK_XFRM, 1u << (XFRMNLGRP_ACQUIRE - 1));
		assert_non_null(other);
		assert_int_equal(
		    setsockopt(xnl_fd(other), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)), 0);
		assert_int_equal(
		    setsockopt(dp_kernel_ops.event_fd(k), SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)),
		    0);
	}
	for (unsigned i = 0; i < n_foreign; i++) {
		snprintf(dst, sizeof(dst), "10.%u.0.%u", octet, 10 + i);
		send_udp(local, dst);
	}
	snprintf(dst, sizeof(dst), "10.%u.0.2", octet);
	send_udp(local, dst);
	/* checked after the cleanup: the other tests count policies */
	while (wait_event(k, &ev, 1500)) {
		if (ev.type == DP_EV_ERROR && strstr(ev.msg, "were lost") != NULL)
			lost++;
		else if (ev.type == DP_EV_ERROR)
			continue; /* resynchronisation notes */
		else if (ev.type != DP_EV_ACQUIRE && bad[0] == '\0')
			snprintf(bad, sizeof(bad), "unexpected event %d: %s", ev.type, ev.msg);
		else if (ev.tunnel_id != tid_pol || ev.dst.u.b[3] != 2) {
			if (bad[0] == '\0')
				snprintf(bad, sizeof(bad),
				    "another daemon's acquire raised as Cairn's: tunnel %u, to "
				    "10.%u.0.%u",
				    ev.tunnel_id, ev.dst.u.b[1], ev.dst.u.b[3]);
		} else
			ours++;
	}
	printf("# %s: Cairn's acquire raised %u time(s), %u overrun(s), %u foreign policies "
	       "hit\n",
	    overrun ? "overrun" : "socket", ours, lost, n_foreign);
	for (unsigned i = 0; i < n_foreign; i++) {
		snprintf(dst, sizeof(dst), "10.%u.0.%u", octet, 10 + i);
		if (foreign_policy(nl, XFRM_MSG_DELPOLICY, local, dst, 0) < 0 && bad[0] == '\0')
			snprintf(bad, sizeof(bad), "cannot delete the foreign policy to %s", dst);
	}
	xnl_close(other);
	xnl_close(nl);
	dp_kernel_ops.close(k);
	if (bad[0] != '\0')
		fail_msg("%s", bad);
	assert_int_equal(ours, 1);
	if (overrun)
		assert_true(lost >= 1);
}

static void
test_acquire_foreign(void **state)
{
	(void)state;
	acquire_foreign(false, 41, 42, 81, "frn0", "frn1");
}

static void
test_acquire_foreign_resync(void **state)
{
	(void)state;
	acquire_foreign(true, 43, 44, 82, "frr0", "frr1");
}

static void
test_tunnel_del_policies(void **state)
{
	void *k = kopen();
	struct errbuf err = { { 0 } };
	struct dp_tunnel t = { .id = 12, .unit = DP_UNIT_NONE };
	struct dp_policy p = { .id = 4, .tunnel_id = 12, .dir = DP_DIR_OUT, .priority = 5 };
	struct pol_list l;

	(void)state;
	t.local_gw = a4("192.0.2.1");
	t.remote_gw = a4("192.0.2.2");
	assert_int_equal(dp_kernel_ops.tunnel_set(k, &t, &err), 0);
	p.sel_src = ts4("10.12.0.0", "10.12.0.255");
	p.sel_dst = ts4("10.13.0.0", "10.13.0.255");
	assert_int_equal(dp_kernel_ops.policy_add(k, &p, &err), 0);
	p.id = 5;
	p.dir = DP_DIR_IN;
	p.sel_src = ts4("10.13.0.0", "10.13.0.255");
	p.sel_dst = ts4("10.12.0.0", "10.12.0.255");
	assert_int_equal(dp_kernel_ops.policy_add(k, &p, &err), 0);
	pol_dump(&l);
	assert_int_equal(l.n, 3); /* out, in, fwd */
	assert_int_equal(dp_kernel_ops.tunnel_del(k, 12, &err), 0);
	pol_dump(&l);
	assert_int_equal(l.n, 0);
	/* the policies went with their tunnel */
	err.msg[0] = '\0';
	assert_int_equal(dp_kernel_ops.policy_del(k, 4, &err), -ENOENT);
	dp_kernel_ops.close(k);
}

static void
test_spu(void **state)
{
	void *k = kopen();
	struct dp_spu_stats st;

	(void)state;
	assert_true(dp_kernel_ops.spu_count(k) >= 1);
	assert_int_equal(dp_kernel_ops.spu_stats(k, 0, &st), 0);
	assert_int_equal(st.tunnels, 0);
	assert_int_equal(dp_kernel_ops.spu_stats(k, dp_kernel_ops.spu_count(k), &st), -ENOENT);
	assert_int_equal(dp_kernel_ops.clear_stats(k), 0);
	dp_kernel_ops.close(k);
}

/* Through the front end (dp.c): AUTO picks by the probe; KERNEL works. */
static void
test_front_end(void **state)
{
	struct dp_config cfg = { .backend = DP_BACKEND_AUTO, .spus = 1 };
	struct errbuf err = { { 0 } };
	struct dp_tunnel t = { .id = 11, .unit = DP_UNIT_NONE, .spu = DP_SPU_ANY };
	struct dp_policy p = { .id = 1, .tunnel_id = 11, .dir = DP_DIR_OUT };
	struct dp_addr l = a4("192.0.2.1"), r = a4("192.0.2.2");
	struct dp_sa sa;
	struct dp *dp = NULL;
	uint32_t spu = 99, spi = 0;

	(void)state;
	assert_int_equal(dp_open(&cfg, &dp, &err), 0);
	printf("# AUTO chose %s\n", dp_backend_name(dp));
	assert_string_equal(dp_backend_name(dp), probe_rc == 0 ? "kernel" : "userspace");
	/* The probe's reason reaches the operator (iked logs it, show version). */
	printf("# AUTO reason: %s\n", dp_backend_reason(dp));
	if (probe_rc == 0) {
		assert_string_equal(
		    dp_backend_reason(dp), "auto-detected: the kernel can install an ESP SA");
	} else {
		static const char advice[] = ": use security dataplane backend userspace";
		char want[DP_REASON_LEN + ERRBUF_LEN], probe_msg[ERRBUF_LEN], *at;

		/* the probe's advice to choose userspace is not repeated once
		 * the choice is made */
		snprintf(probe_msg, sizeof(probe_msg), "%s", probe_err.msg);
		if ((at = strstr(probe_msg, advice)) != NULL)
			memmove(at, at + strlen(advice), strlen(at + strlen(advice)) + 1);
		snprintf(want, sizeof(want),
		    "auto-detected: the kernel cannot install an ESP SA (%s): %s",
		    strerror(-probe_rc), probe_msg);
		assert_string_equal(dp_backend_reason(dp), want);
		assert_null(strstr(dp_backend_reason(dp), "use security dataplane backend"));
		/* this host: no ESP in the kernel, and the kernel's own words */
		assert_int_equal(probe_rc, -EPROTONOSUPPORT);
		assert_non_null(strstr(dp_backend_reason(dp),
		    "cannot install an ESP SA (Protocol not supported): kernel dataplane probe "));
		assert_non_null(strstr(
		    dp_backend_reason(dp), "the kernel has no ESP support (CONFIG_INET_ESP)"));
		assert_non_null(
		    strstr(dp_backend_reason(dp), "(kernel: Requested type not found)"));
	}
	dp_close(dp);

	cfg.backend = DP_BACKEND_KERNEL;
	assert_int_equal(dp_open(&cfg, &dp, &err), 0);
	assert_string_equal(dp_backend_name(dp), "kernel");
	assert_string_equal(dp_backend_reason(dp), "named by the configuration");
	t.local_gw = l;
	t.remote_gw = r;
	assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);
	assert_true(spu < dp_spu_count(dp));
	p.sel_src = ts4("10.1.0.0", "10.1.0.255");
	p.sel_dst = ts4("10.2.0.0", "10.2.0.255");
	assert_int_equal(dp_policy_add(dp, &p, &err), 0);
	assert_int_equal(dp_spi_alloc(dp, &l, &r, spu, &spi, &err), 0);
	memset(&sa, 0, sizeof(sa));
	sa.spi = spi;
	sa.dir = DP_DIR_IN;
	sa.tunnel_id = 11;
	sa.local = l;
	sa.remote = r;
	sa.enc = DP_ENC_AES_GCM_128;
	sa.enc_key_len = 20;
	sa.replay_window = 64;
	sa.df = DP_DF_COPY;
	if (probe_rc != 0) {
		assert_int_equal(
		    dp_sa_add(dp, &sa, &err), probe_rc == -EPROTONOSUPPORT ? -ENOSYS : probe_rc);
		assert_non_null(strstr(err.msg, "use security dataplane backend userspace"));
	} else
		assert_int_equal(dp_sa_add(dp, &sa, &err), 0);
	dp_close(dp); /* removes the policy and the (larval) SA */
	{
		struct pol_list pl;

		pol_dump(&pl);
		assert_int_equal(pl.n, 0);
	}
}

static int
bring_lo_up(void)
{
	uint8_t buf[XFRM_REQ_MAX] __attribute__((aligned(8)));
	struct xnl *rt = xnl_open(NETLINK_ROUTE, 0);
	int rc;

	if (rt == NULL)
		return -errno;
	rtnl_build_link_set(buf, sizeof(buf), 1, 0, true);
	rc = xnl_transact(rt, (struct nlmsghdr *)buf, NULL, NULL, NULL);
	xnl_close(rt);
	return rc;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_policy_v6_ports),
		cmocka_unit_test(test_policy_if_id_get),
		cmocka_unit_test(test_spi_alloc),
		cmocka_unit_test(test_sa_del_refused),
		cmocka_unit_test(test_esp_sa),
		cmocka_unit_test(test_replay_window_limit),
		cmocka_unit_test(test_sa_variants),
		cmocka_unit_test(test_unit),
		cmocka_unit_test(test_acquire),
		cmocka_unit_test(test_acquire_overrun),
		cmocka_unit_test(test_acquire_resync),
		cmocka_unit_test(test_acquire_resync_wrap),
		cmocka_unit_test(test_acquire_foreign),
		cmocka_unit_test(test_acquire_foreign_resync),
		cmocka_unit_test(test_tunnel_del_policies),
		cmocka_unit_test(test_spu),
		cmocka_unit_test(test_front_end),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_xfrm_host: needs root, skipped\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "test_xfrm_host: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	if (bring_lo_up() < 0) {
		fprintf(stderr, "test_xfrm_host: cannot bring lo up\n");
		return 1;
	}
	probe_rc = dp_kernel_probe(&probe_err);
	printf("# dp_kernel_probe: %d %s\n", probe_rc, probe_err.msg);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
