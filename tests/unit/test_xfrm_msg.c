/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the kernel dataplane's message layer (no kernel needed):
 * XFRM SA and policy requests built and read back through the parsers,
 * traffic selectors as XFRM selectors, the reply walk (acks, ext-ack
 * errors, dumps, stale replies), acquire/expire parsing, rtnetlink requests,
 * and the wait for an answer across signals (over a socketpair).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dp.h"
#include "xfrm.h"

static uint8_t buf[XFRM_REQ_MAX] __attribute__((aligned(8)));

static struct dp_addr
a4(const char *s)
{
	struct dp_addr a = { .family = AF_INET };

	inet_pton(AF_INET, s, &a.u.v4);
	return a;
}

static struct dp_addr
a6(const char *s)
{
	struct dp_addr a = { .family = AF_INET6 };

	inet_pton(AF_INET6, s, &a.u.v6);
	return a;
}

static void
base_sa(struct dp_sa *sa, enum dp_enc enc, enum dp_integ integ, enum dp_dir dir)
{
	static const uint8_t elen[] = { 20, 36, 16, 32 }, ilen[] = { 0, 32, 48, 64 };

	memset(sa, 0, sizeof(*sa));
	sa->spi = 0xc0ffee01;
	sa->dir = dir;
	sa->local = a4("192.0.2.1");
	sa->remote = a4("192.0.2.2");
	sa->enc = enc;
	sa->integ = integ;
	sa->enc_key_len = elen[enc];
	sa->integ_key_len = ilen[integ];
	memset(sa->enc_key, 0xa5, sa->enc_key_len);
	memset(sa->integ_key, 0x5a, sa->integ_key_len);
	sa->df = DP_DF_COPY;
	sa->replay_window = dir == DP_DIR_IN ? 32 : 0;
}

/* Builds the SA request and parses it back as the kernel's SA message. */
static int
roundtrip(const struct dp_sa *sa, const struct xfrm_sa_extra *x, struct xfrm_sa_info *info)
{
	struct errbuf err = { { 0 } };
	struct nlmsghdr hdr;
	struct rd r, payload;
	int len;

	len = xfrm_build_sa(buf, sizeof(buf), XFRM_MSG_NEWSA, sa, x, &err);
	if (len < 0)
		return len;
	rd_init(&r, buf, (size_t)len);
	assert_int_equal(nlp_next_msg(&r, &hdr, &payload), 0);
	assert_int_equal(hdr.nlmsg_type, XFRM_MSG_NEWSA);
	assert_int_equal(hdr.nlmsg_len, len);
	assert_true(hdr.nlmsg_flags & NLM_F_ACK);
	return xfrm_parse_sa(payload, info);
}

static void
test_sa_gcm(void **state)
{
	struct xfrm_sa_extra x = { .reqid = 9, .if_id = 5 };
	struct xfrm_sa_info i;
	struct dp_sa sa;
	struct dp_addr remote = a4("192.0.2.2"), local = a4("192.0.2.1");
	uint8_t key[20];

	(void)state;
	base_sa(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, DP_DIR_OUT);
	sa.flags = DP_SA_HAS_LIFETIME;
	sa.life.soft_bytes = 1000;
	sa.life.hard_seconds = 3600;
	assert_int_equal(roundtrip(&sa, &x, &i), 0);
	assert_string_equal(i.aead, "rfc4106(gcm(aes))");
	assert_int_equal(i.aead_key_bits, 160); /* 16 key + 4 salt */
	assert_int_equal(i.aead_icv_bits, 128);
	assert_string_equal(i.crypt, "");
	assert_int_equal(ntohl(i.u.id.spi), 0xc0ffee01);
	assert_int_equal(i.u.id.proto, IPPROTO_ESP);
	assert_int_equal(i.u.family, AF_INET);
	assert_int_equal(i.u.mode, XFRM_MODE_TUNNEL);
	assert_int_equal(i.u.reqid, 9);
	assert_memory_equal(&i.u.id.daddr.a4, &remote.u.v4, 4); /* outbound: to the peer */
	assert_memory_equal(&i.u.saddr.a4, &local.u.v4, 4);
	assert_true(i.u.flags & XFRM_STATE_AF_UNSPEC);
	assert_false(i.u.flags & XFRM_STATE_NOPMTUDISC);
	assert_int_equal(i.u.lft.soft_byte_limit, 1000);
	assert_int_equal(i.u.lft.hard_byte_limit, XFRM_LIFE_INF);
	assert_int_equal(i.u.lft.hard_packet_limit, XFRM_LIFE_INF);
	assert_int_equal(i.u.lft.hard_add_expires_seconds, 3600);
	assert_int_equal(i.u.lft.soft_add_expires_seconds, 0);
	assert_true(i.has_if_id);
	assert_int_equal(i.if_id, 5);
	assert_int_equal(i.extra_flags, XFRM_SA_XFLAG_DONT_ENCAP_DSCP);
	assert_false(i.has_esn);
	assert_false(i.has_pcpu);
	assert_int_equal(i.u.replay_window, 0);
	/* the key is in the request (and only there) */
	memset(key, 0xa5, sizeof(key));
	assert_non_null(memmem(buf, sizeof(buf), key, sizeof(key)));
}

static void
test_sa_cbc_hmac(void **state)
{
	static const struct {
		enum dp_integ integ;
		const char *name;
		uint32_t key_bits, trunc;
	} v[] = {
		{ DP_INTEG_HMAC_SHA256_128, "hmac(sha256)", 256, 128 },
		{ DP_INTEG_HMAC_SHA384_192, "hmac(sha384)", 384, 192 },
		{ DP_INTEG_HMAC_SHA512_256, "hmac(sha512)", 512, 256 },
	};
	struct xfrm_sa_extra x = { .reqid = 1 };
	struct xfrm_sa_info i;
	struct dp_sa sa;
	struct dp_addr local = a4("192.0.2.1");

	(void)state;
	for (size_t n = 0; n < sizeof(v) / sizeof(v[0]); n++) {
		base_sa(&sa, DP_ENC_AES_CBC_256, v[n].integ, DP_DIR_IN);
		sa.flags = DP_SA_COPY_DSCP;
		sa.df = DP_DF_CLEAR;
		assert_int_equal(roundtrip(&sa, &x, &i), 0);
		assert_string_equal(i.crypt, "cbc(aes)");
		assert_int_equal(i.crypt_key_bits, 256);
		assert_string_equal(i.auth, v[n].name);
		assert_int_equal(i.auth_key_bits, v[n].key_bits);
		assert_int_equal(i.auth_trunc_bits, v[n].trunc); /* RFC 4868 */
		assert_string_equal(i.aead, "");
		assert_memory_equal(&i.u.id.daddr.a4, &local.u.v4, 4); /* inbound: to us */
		assert_int_equal(i.u.replay_window, 32);
		assert_true(i.u.flags & XFRM_STATE_NOPMTUDISC);
		assert_int_equal(i.extra_flags, 0);
		assert_false(i.has_if_id);
	}
}

static void
test_sa_replay(void **state)
{
	struct xfrm_sa_extra x = { 0 };
	struct xfrm_sa_info i;
	struct errbuf err = { { 0 } };
	struct dp_sa sa;

	(void)state;
	/* ESN inbound: the bitmap attribute, header window 0 */
	base_sa(&sa, DP_ENC_AES_GCM_256, DP_INTEG_NONE, DP_DIR_IN);
	sa.flags = DP_SA_ESN;
	sa.replay_window = 128;
	assert_int_equal(roundtrip(&sa, &x, &i), 0);
	assert_true(i.u.flags & XFRM_STATE_ESN);
	assert_true(i.has_esn);
	assert_int_equal(i.esn.replay_window, 128);
	assert_int_equal(i.esn.bmp_len, 4);
	assert_int_equal(i.u.replay_window, 0);
	assert_int_equal(i.aead_key_bits, 288);
	/* a large window without ESN also needs the bitmap */
	sa.flags = 0;
	sa.replay_window = 1000;
	assert_int_equal(roundtrip(&sa, &x, &i), 0);
	assert_false(i.u.flags & XFRM_STATE_ESN);
	assert_true(i.has_esn);
	assert_int_equal(i.esn.bmp_len, 32);
	/* ESN outbound: a non-zero window, as the kernel requires */
	base_sa(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, DP_DIR_OUT);
	sa.flags = DP_SA_ESN;
	assert_int_equal(roundtrip(&sa, &x, &i), 0);
	assert_true(i.has_esn);
	assert_int_equal(i.esn.replay_window, 32);
	/* ESN inbound without anti-replay: the kernel cannot */
	base_sa(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, DP_DIR_IN);
	sa.flags = DP_SA_ESN;
	sa.replay_window = 0;
	assert_int_equal(
	    xfrm_build_sa(buf, sizeof(buf), XFRM_MSG_NEWSA, &sa, &x, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "anti-replay off"));
	/* too large */
	sa.replay_window = 40000;
	err.msg[0] = '\0';
	assert_int_equal(xfrm_build_sa(buf, sizeof(buf), XFRM_MSG_NEWSA, &sa, &x, &err), -EINVAL);
}

/*
 * The kernel's largest replay bitmap is 128 32-bit words (verify_replay:
 * bmp_len <= XFRMA_REPLAY_ESN_MAX / sizeof(__u32) / 8), a window of 4096
 * packets; Junos allows windows up to 8192. Windows that are not a
 * multiple of 32 round the bitmap up.
 */
static void
test_sa_replay_limits(void **state)
{
	struct xfrm_sa_extra x = { 0 };
	struct xfrm_sa_info i;
	struct errbuf err = { { 0 } };
	struct dp_sa sa;

	(void)state;
	base_sa(&sa, DP_ENC_AES_CBC_256, DP_INTEG_HMAC_SHA512_256, DP_DIR_IN);
	sa.replay_window = 4096;
	assert_int_equal(roundtrip(&sa, &x, &i), 0);
	assert_true(i.has_esn);
	assert_int_equal(i.esn.bmp_len, 128);
	assert_int_equal(i.esn.replay_window, 4096);
	sa.flags = DP_SA_ESN;
	sa.replay_window = 100; /* not a multiple of 32: 4 words */
	assert_int_equal(roundtrip(&sa, &x, &i), 0);
	assert_int_equal(i.esn.bmp_len, 4);
	assert_int_equal(i.esn.replay_window, 100);
	sa.replay_window = 33; /* just over the legacy field's 32 */
	sa.flags = 0;
	assert_int_equal(roundtrip(&sa, &x, &i), 0);
	assert_int_equal(i.esn.bmp_len, 2);
	assert_int_equal(i.u.replay_window, 0);
	/* one more than the kernel's bitmap holds: refused before the kernel */
	for (uint32_t w = 4097; w <= 8192; w += 4095) {
		sa.replay_window = w;
		err.msg[0] = '\0';
		assert_int_equal(xfrm_sa_check(&sa, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "is larger than the kernel's 4096"));
		assert_int_equal(
		    xfrm_build_sa(buf, sizeof(buf), XFRM_MSG_NEWSA, &sa, &x, &err), -EINVAL);
	}
}

static void
test_sa_encap_pcpu(void **state)
{
	struct xfrm_sa_extra x = { .pcpu = true, .cpu = 3 };
	struct xfrm_sa_info i;
	struct errbuf err = { { 0 } };
	struct dp_sa sa;

	(void)state;
	base_sa(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, DP_DIR_OUT);
	sa.flags = DP_SA_HAS_ENCAP | DP_SA_ESN;
	sa.encap_local_port = 4500;
	sa.encap_remote_port = 4501;
	assert_int_equal(roundtrip(&sa, &x, &i), 0);
	assert_true(i.has_encap);
	assert_int_equal(i.encap.encap_type, 2); /* UDP_ENCAP_ESPINUDP */
	assert_int_equal(ntohs(i.encap.encap_sport), 4500);
	assert_int_equal(ntohs(i.encap.encap_dport), 4501);
	assert_true(i.has_pcpu);
	assert_int_equal(i.pcpu, 3);
	assert_true(i.has_dir);
	assert_int_equal(i.dir, XFRM_SA_DIR_OUT);
	assert_int_equal(i.esn.replay_window, 0); /* declared output SA: window 0 */
	/* inbound: ports reversed; per-CPU refused */
	sa.dir = DP_DIR_IN;
	sa.replay_window = 64;
	x.pcpu = false;
	assert_int_equal(roundtrip(&sa, &x, &i), 0);
	assert_int_equal(ntohs(i.encap.encap_sport), 4501);
	assert_int_equal(ntohs(i.encap.encap_dport), 4500);
	x.pcpu = true;
	assert_int_equal(xfrm_build_sa(buf, sizeof(buf), XFRM_MSG_NEWSA, &sa, &x, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "per-CPU SAs are outbound only"));
}

static void
test_sa_check(void **state)
{
	struct errbuf err = { { 0 } };
	struct dp_sa sa;

	(void)state;
	base_sa(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, DP_DIR_OUT);
	assert_int_equal(xfrm_sa_check(&sa, &err), 0);
	sa.integ = DP_INTEG_HMAC_SHA256_128;
	assert_int_equal(xfrm_sa_check(&sa, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "AEAD"));
	base_sa(&sa, DP_ENC_AES_CBC_128, DP_INTEG_NONE, DP_DIR_OUT);
	err.msg[0] = '\0';
	assert_int_equal(xfrm_sa_check(&sa, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "needs an integrity algorithm"));
	base_sa(&sa, DP_ENC_AES_CBC_128, DP_INTEG_HMAC_SHA384_192, DP_DIR_OUT);
	sa.integ_key_len = 32;
	err.msg[0] = '\0';
	assert_int_equal(xfrm_sa_check(&sa, &err), -EINVAL);
	assert_string_equal(
	    err.msg, "SA c0ffee01: integrity key is 32 bytes, hmac(sha384) needs 48");
	base_sa(&sa, DP_ENC_AES_CBC_128, DP_INTEG_HMAC_SHA256_128, DP_DIR_OUT);
	sa.remote = a6("2001:db8::2");
	err.msg[0] = '\0';
	assert_int_equal(xfrm_sa_check(&sa, &err), -EINVAL);
	base_sa(&sa, DP_ENC_AES_CBC_128, DP_INTEG_HMAC_SHA256_128, DP_DIR_OUT);
	sa.df = DP_DF_SET;
	err.msg[0] = '\0';
	assert_int_equal(xfrm_sa_check(&sa, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "df-bit set"));
	sa.df = DP_DF_COPY;
	sa.spi = 0;
	assert_int_equal(xfrm_sa_check(&sa, NULL), -EINVAL);
}

static void
test_sa_id_allocspi_v6(void **state)
{
	struct dp_addr l = a6("2001:db8::1"), r = a6("2001:db8::2");
	struct xfrm_usersa_id id;
	struct xfrm_userspi_info si;
	struct nlmsghdr hdr;
	struct rd rd, payload;
	int len;

	(void)state;
	len = xfrm_build_sa_id(buf, sizeof(buf), XFRM_MSG_DELSA, &r, 0x1234, 0, 0);
	assert_true(len > 0);
	rd_init(&rd, buf, (size_t)len);
	assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
	assert_int_equal(hdr.nlmsg_type, XFRM_MSG_DELSA);
	assert_true(rd_bytes(&payload, &id, sizeof(id)));
	assert_int_equal(ntohl(id.spi), 0x1234);
	assert_int_equal(id.family, AF_INET6);
	assert_memory_equal(id.daddr.a6, &r.u.v6, 16);

	len = xfrm_build_allocspi(buf, sizeof(buf), &l, &r, 7, 0x100, 0xffff);
	assert_true(len > 0);
	rd_init(&rd, buf, (size_t)len);
	assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
	assert_true(rd_bytes(&payload, &si, sizeof(si)));
	assert_int_equal(si.min, 0x100);
	assert_int_equal(si.max, 0xffff);
	assert_int_equal(si.info.reqid, 7);
	assert_memory_equal(si.info.id.daddr.a6, &l.u.v6, 16); /* inbound: to us */
	assert_int_equal(xfrm_build_allocspi(buf, sizeof(buf), &l, &r, 0, 0, 10), -EINVAL);
	assert_int_equal(
	    xfrm_build_allocspi(buf, sizeof(buf), &l, &(struct dp_addr){ 0 }, 0, 1, 10), -EINVAL);
}

static void
test_policy_roundtrip(void **state)
{
	struct xfrm_pol p, q;
	struct dp_addr l = a4("192.0.2.1"), r = a4("192.0.2.2");
	struct nlmsghdr hdr;
	struct rd rd, payload;
	int len;

	(void)state;
	memset(&p, 0, sizeof(p));
	xfrm_sel_any(&p.u.sel, AF_INET);
	p.u.dir = XFRM_POLICY_FWD;
	p.u.priority = 77;
	p.n_tmpl = 2;
	xfrm_tmpl_esp(&p.tmpl[0], &r, &l, 11);
	xfrm_tmpl_esp(&p.tmpl[1], &l, &r, 12);
	p.has_if_id = true;
	p.if_id = 0x42;
	p.has_mark = true;
	p.mark.v = 1;
	p.mark.m = 0xffffffff;
	len = xfrm_build_policy(buf, sizeof(buf), XFRM_MSG_UPDPOLICY, &p);
	assert_true(len > 0);
	rd_init(&rd, buf, (size_t)len);
	assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
	assert_int_equal(xfrm_parse_policy(payload, &q), 0);
	assert_int_equal(q.u.dir, XFRM_POLICY_FWD);
	assert_int_equal(q.u.priority, 77);
	assert_int_equal(q.u.lft.hard_byte_limit, XFRM_LIFE_INF);
	assert_int_equal(q.n_tmpl, 2);
	assert_int_equal(q.tmpl[1].reqid, 12);
	assert_int_equal(q.tmpl[0].mode, XFRM_MODE_TUNNEL);
	assert_memory_equal(&q.tmpl[0].saddr.a4, &r.u.v4, 4);
	assert_true(q.has_if_id && q.if_id == 0x42);
	assert_true(q.has_mark && q.mark.m == 0xffffffff);
	p.n_tmpl = XFRM_TMPL_MAX + 1;
	assert_int_equal(xfrm_build_policy(buf, sizeof(buf), XFRM_MSG_NEWPOLICY, &p), -EINVAL);
}

static struct dp_ts
ts(uint8_t family, const char *lo, const char *hi, uint16_t plo, uint16_t phi)
{
	struct dp_ts t = { .family = family, .port_lo = plo, .port_hi = phi };

	t.addr_lo = family == AF_INET ? a4(lo) : a6(lo);
	t.addr_hi = family == AF_INET ? a4(hi) : a6(hi);
	return t;
}

static void
test_ts_to_sels(void **state)
{
	struct xfrm_selector s[64];
	struct dp_ts any = ts(AF_INET, "0.0.0.0", "255.255.255.255", 0, 65535);
	struct dp_ts net = ts(AF_INET, "10.1.0.0", "10.1.255.255", 0, 65535);
	struct dp_ts odd = ts(AF_INET, "10.0.0.1", "10.0.0.6", 0, 65535);
	struct dp_ts port = ts(AF_INET, "10.2.0.0", "10.2.0.255", 500, 500);
	struct dp_ts prange = ts(AF_INET, "10.2.0.0", "10.2.0.255", 1000, 1999);
	struct dp_ts v6 = ts(AF_INET6, "2001:db8::", "2001:db8::ffff", 0, 65535);
	struct dp_ts v6all =
	    ts(AF_INET6, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 65535);
	struct dp_ts bad = ts(AF_INET, "10.0.0.9", "10.0.0.1", 0, 65535);
	size_t n;

	(void)state;
	assert_int_equal(xfrm_ts_to_sels(&any, &net, s, 64, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].prefixlen_s, 0);
	assert_int_equal(s[0].prefixlen_d, 16);
	assert_int_equal(s[0].sport_mask, 0);
	assert_int_equal(s[0].family, AF_INET);

	assert_int_equal(xfrm_ts_to_sels(&odd, &any, s, 64, &n), 0);
	assert_int_equal(n, 4); /* .1/32 .2/31 .4/31 .6/32 */
	assert_int_equal(s[0].prefixlen_s, 32);
	assert_int_equal(s[1].prefixlen_s, 31);
	assert_int_equal(s[2].prefixlen_s, 31);
	assert_int_equal(s[3].prefixlen_s, 32);
	assert_int_equal(((uint8_t *)&s[3].saddr.a4)[3], 6);

	port.proto = IPPROTO_UDP;
	assert_int_equal(xfrm_ts_to_sels(&any, &port, s, 64, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].proto, IPPROTO_UDP);
	assert_int_equal(ntohs(s[0].dport), 500);
	assert_int_equal(ntohs(s[0].dport_mask), 0xffff);
	assert_int_equal(s[0].prefixlen_d, 24);

	/* 1000-1999: 1000/13 1008/12 1024/7 1536/8 1792/9 1920/10 1984/12 */
	assert_int_equal(xfrm_ts_to_sels(&any, &prange, s, 64, &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(ntohs(s[0].dport), 1000);
	assert_int_equal(ntohs(s[0].dport_mask), 0xfff8);
	assert_int_equal(ntohs(s[5].dport), 1920);
	assert_int_equal(ntohs(s[5].dport_mask), 0xffc0);
	assert_int_equal(ntohs(s[6].dport), 1984);
	assert_int_equal(ntohs(s[6].dport_mask), 0xfff0);

	assert_int_equal(xfrm_ts_to_sels(&v6, &v6all, s, 64, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].prefixlen_s, 112);
	assert_int_equal(s[0].prefixlen_d, 0);
	assert_int_equal(s[0].family, AF_INET6);

	assert_int_equal(xfrm_ts_to_sels(&v6, &any, s, 64, &n), -EINVAL);
	assert_int_equal(xfrm_ts_to_sels(&bad, &any, s, 64, &n), -EINVAL);
	assert_int_equal(xfrm_ts_to_sels(&odd, &odd, s, 8, &n), -E2BIG); /* 16 needed */
	port.proto = IPPROTO_TCP;
	prange.proto = IPPROTO_UDP;
	assert_int_equal(xfrm_ts_to_sels(&port, &prange, s, 64, &n), -EINVAL);
}

/* Equal tunnels are equal whatever their padding and unused address bytes
 * hold (a caller's stack), so an unchanged tunnel keeps its policies. */
static void
fill_tunnel(struct dp_tunnel *t, uint8_t junk, uint16_t port_hi)
{
	struct dp_ts *ts;

	memset(t, junk, sizeof(*t));
	t->id = 3;
	t->unit = 7;
	t->local_gw.family = t->remote_gw.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &t->local_gw.u.v4);
	inet_pton(AF_INET, "192.0.2.2", &t->remote_gw.u.v4);
	t->n_local_ts = t->n_remote_ts = 1;
	for (int i = 0; i < 2; i++) {
		ts = i == 0 ? &t->local_ts[0] : &t->remote_ts[0];
		ts->family = AF_INET;
		ts->proto = IPPROTO_TCP;
		ts->port_lo = 0;
		ts->port_hi = port_hi;
		ts->addr_lo.family = ts->addr_hi.family = AF_INET;
		inet_pton(AF_INET, i == 0 ? "10.1.0.0" : "10.2.0.0", &ts->addr_lo.u.v4);
		inet_pton(AF_INET, i == 0 ? "10.1.0.255" : "10.2.0.255", &ts->addr_hi.u.v4);
	}
}

static void
test_tunnel_same_policies(void **state)
{
	static struct dp_tunnel a, b;

	(void)state;
	fill_tunnel(&a, 0x00, 65535);
	fill_tunnel(&b, 0xa5, 65535);
	assert_true(xfrm_tunnel_same_policies(&a, &b));
	/* what the policies depend on: each one makes a difference */
	fill_tunnel(&b, 0xa5, 443);
	assert_false(xfrm_tunnel_same_policies(&a, &b));
	fill_tunnel(&b, 0xa5, 65535);
	b.remote_ts[0].proto = IPPROTO_UDP;
	assert_false(xfrm_tunnel_same_policies(&a, &b));
	fill_tunnel(&b, 0xa5, 65535);
	b.local_ts[0].addr_hi.u.b[3] = 0x7f;
	assert_false(xfrm_tunnel_same_policies(&a, &b));
	fill_tunnel(&b, 0xa5, 65535);
	b.remote_gw.u.b[3] = 9;
	assert_false(xfrm_tunnel_same_policies(&a, &b));
	fill_tunnel(&b, 0xa5, 65535);
	b.unit = 8;
	assert_false(xfrm_tunnel_same_policies(&a, &b));
	fill_tunnel(&b, 0xa5, 65535);
	b.n_remote_ts = 0;
	assert_false(xfrm_tunnel_same_policies(&a, &b));
	/* not compared: what the policies do not depend on */
	fill_tunnel(&b, 0xa5, 65535);
	b.spu = 3;
	b.on_traffic = !a.on_traffic;
	b.local_ts[1].proto = 99; /* beyond n_local_ts */
	assert_true(xfrm_tunnel_same_policies(&a, &b));
}

/* ------------------------------------------------------ reply walking */

static size_t
put_msg(uint8_t *at, uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = pid;
	return 0;
}

static size_t
put_err(uint8_t *at, uint32_t seq, int error, const char *msg, bool capped)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 4242;
	nlh->nlmsg_flags = (capped ? NLM_F_CAPPED : 0) | (msg ? NLM_F_ACK_TLVS : 0);
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = capped ? sizeof(e->msg) : sizeof(e->msg) + 8;
	e->msg.nlmsg_type = XFRM_MSG_NEWSA;
	e->msg.nlmsg_seq = seq;
	if (!capped) /* the echoed request body */
		mnl_nlmsg_put_extra_header(nlh, 8);
	if (msg) {
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 20);
	}
	return NLP_ALIGN(nlh->nlmsg_len);
}

struct seen {
	int n;
	uint16_t type;
};

static int
seen_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	struct seen *s = arg;

	(void)payload;
	s->n++;
	s->type = hdr->nlmsg_type;
	return 0;
}

static void
test_walk(void **state)
{
	static uint8_t d[4096] __attribute__((aligned(8)));
	struct nlp_err kerr;
	struct seen s = { 0 };
	bool done = false;
	int cbrc = 0;
	size_t off = 0;

	(void)state;
	/* a stale reply, a data message, then the error with ext-ack text */
	memset(d, 0, sizeof(d));
	put_msg(d + off, XFRM_MSG_NEWSA, 0, 4, 4242);
	off += NLP_ALIGN(((struct nlmsghdr *)(d + off))->nlmsg_len);
	put_msg(d + off, XFRM_MSG_NEWSA, 0, 5, 4242);
	off += NLP_ALIGN(((struct nlmsghdr *)(d + off))->nlmsg_len);
	off += put_err(d + off, 5, -EPROTONOSUPPORT, "Requested type not found", true);
	assert_int_equal(xnl_walk(d, off, 5, 4242, seen_cb, &s, &done, &cbrc, &kerr), 0);
	assert_true(done);
	assert_int_equal(s.n, 1);
	assert_int_equal(kerr.error, -EPROTONOSUPPORT);
	assert_string_equal(kerr.msg, "Requested type not found");
	assert_int_equal(kerr.attr_off, 20);

	/* not capped: the original request is skipped before the TLVs */
	memset(d, 0, sizeof(d));
	off = put_err(d, 9, -ENOSYS, "Requested AEAD algorithm not found", false);
	done = false;
	assert_int_equal(xnl_walk(d, off, 9, 4242, NULL, NULL, &done, &cbrc, &kerr), 0);
	assert_true(done);
	assert_int_equal(kerr.error, -ENOSYS);
	assert_string_equal(kerr.msg, "Requested AEAD algorithm not found");

	/* a plain ack */
	memset(d, 0, sizeof(d));
	off = put_err(d, 3, 0, NULL, true);
	done = false;
	assert_int_equal(xnl_walk(d, off, 3, 4242, NULL, NULL, &done, &cbrc, &kerr), 0);
	assert_true(done);
	assert_int_equal(kerr.error, 0);
	assert_string_equal(kerr.msg, "");
	/* someone else's port: ignored */
	done = false;
	assert_int_equal(xnl_walk(d, off, 3, 1111, NULL, NULL, &done, &cbrc, &kerr), 0);
	assert_false(done);

	/* a dump: two messages and NLMSG_DONE carrying an error */
	memset(d, 0, sizeof(d));
	off = 0;
	for (int i = 0; i < 2; i++) {
		put_msg(d + off, XFRM_MSG_NEWPOLICY, NLM_F_MULTI, 7, 4242);
		off += NLP_ALIGN(((struct nlmsghdr *)(d + off))->nlmsg_len);
	}
	put_msg(d + off, NLMSG_DONE, NLM_F_MULTI, 7, 4242);
	{
		struct nlmsghdr *nlh = (struct nlmsghdr *)(d + off);
		int32_t *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

		*e = -EINTR;
		off += NLP_ALIGN(nlh->nlmsg_len);
	}
	s.n = 0;
	done = false;
	assert_int_equal(xnl_walk(d, off, 7, 4242, seen_cb, &s, &done, &cbrc, &kerr), 0);
	assert_true(done);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.type, XFRM_MSG_NEWPOLICY);
	assert_int_equal(kerr.error, -EINTR);
	assert_string_equal(kerr.msg, "");

	/* NLMSG_DONE with an error and the kernel's ext-ack text after the int */
	memset(d, 0, sizeof(d));
	off = 0;
	put_msg(d, NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS, 8, 4242);
	{
		struct nlmsghdr *nlh = (struct nlmsghdr *)d;
		int32_t *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

		*e = -EMSGSIZE;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "dump interrupted: policy table changed");
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 16);
		off = NLP_ALIGN(nlh->nlmsg_len);
	}
	s.n = 0;
	done = false;
	assert_int_equal(xnl_walk(d, off, 8, 4242, seen_cb, &s, &done, &cbrc, &kerr), 0);
	assert_true(done);
	assert_int_equal(s.n, 0);
	assert_int_equal(kerr.error, -EMSGSIZE);
	assert_int_equal(kerr.seq, 8);
	assert_string_equal(kerr.msg, "dump interrupted: policy table changed");
	assert_int_equal(kerr.attr_off, 16);
	/* a malformed TLV after the int: the reply is refused */
	((struct nlattr *)(d + NLMSG_HDRLEN + 4))->nla_len = 200;
	done = false;
	assert_int_equal(xnl_walk(d, off, 8, 4242, seen_cb, &s, &done, &cbrc, &kerr), -EBADMSG);
	/* an empty NLMSG_DONE (old kernels): the dump ends without error */
	memset(d, 0, sizeof(d));
	put_msg(d, NLMSG_DONE, NLM_F_MULTI, 8, 4242);
	done = false;
	assert_int_equal(xnl_walk(d, NLMSG_HDRLEN, 8, 4242, NULL, NULL, &done, &cbrc, &kerr), 0);
	assert_true(done);
	assert_int_equal(kerr.error, 0);

	/* the dump with the -EINTR again, for the truncation checks below */
	memset(d, 0, sizeof(d));
	off = 0;
	for (int i = 0; i < 2; i++) {
		put_msg(d + off, XFRM_MSG_NEWPOLICY, NLM_F_MULTI, 7, 4242);
		off += NLP_ALIGN(((struct nlmsghdr *)(d + off))->nlmsg_len);
	}
	put_msg(d + off, NLMSG_DONE, NLM_F_MULTI, 7, 4242);
	{
		struct nlmsghdr *nlh = (struct nlmsghdr *)(d + off);
		int32_t *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

		*e = -EINTR;
		off += NLP_ALIGN(nlh->nlmsg_len);
	}

	/* truncated: a length beyond the datagram, and a length below the header */
	((struct nlmsghdr *)d)->nlmsg_len = (uint32_t)off + 4;
	assert_int_equal(xnl_walk(d, off, 7, 4242, seen_cb, &s, &done, &cbrc, &kerr), -EBADMSG);
	((struct nlmsghdr *)d)->nlmsg_len = 8;
	assert_int_equal(xnl_walk(d, off, 7, 4242, seen_cb, &s, &done, &cbrc, &kerr), -EBADMSG);
	/* an error message too short for its struct */
	memset(d, 0, sizeof(d));
	put_msg(d, NLMSG_ERROR, 0, 1, 4242);
	done = false;
	assert_int_equal(xnl_walk(d, 16, 1, 4242, NULL, NULL, &done, &cbrc, &kerr), -EBADMSG);
}

static void
test_acquire_expire(void **state)
{
	struct xfrm_user_acquire *acq;
	struct xfrm_user_expire *exp;
	struct xfrm_user_tmpl t;
	struct xfrm_acquire_info ai;
	struct xfrm_expire_info ei;
	struct dp_addr l = a4("192.0.2.1"), r = a4("192.0.2.2");
	struct nlmsghdr *nlh, hdr;
	struct rd rd, payload;

	(void)state;
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_ACQUIRE;
	acq = mnl_nlmsg_put_extra_header(nlh, sizeof(*acq));
	acq->sel.family = AF_INET;
	memcpy(&acq->sel.daddr.a4, &r.u.v4, 4);
	xfrm_tmpl_esp(&t, &l, &r, 33);
	mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t), &t);
	mnl_attr_put_u32(nlh, XFRMA_IF_ID, 4);
	mnl_attr_put_u32(nlh, XFRMA_SA_PCPU, 1);
	rd_init(&rd, buf, nlh->nlmsg_len);
	assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
	assert_int_equal(xfrm_parse_acquire(payload, &ai), 0);
	assert_int_equal(ai.n_tmpl, 1);
	assert_int_equal(ai.tmpl[0].reqid, 33);
	assert_true(ai.has_if_id && ai.if_id == 4);
	assert_true(ai.has_pcpu && ai.pcpu == 1);
	/* a template attribute of a wrong size */
	mnl_attr_put_u32(nlh, XFRMA_TMPL, 1);
	rd_init(&rd, buf, nlh->nlmsg_len);
	assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
	assert_int_equal(xfrm_parse_acquire(payload, &ai), -EBADMSG);

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_EXPIRE;
	exp = mnl_nlmsg_put_extra_header(nlh, sizeof(*exp));
	exp->state.family = AF_INET;
	exp->state.id.spi = htonl(0x4001);
	exp->state.id.proto = IPPROTO_ESP;
	exp->hard = 1;
	mnl_attr_put_u32(nlh, XFRMA_IF_ID, 2);
	rd_init(&rd, buf, nlh->nlmsg_len);
	assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
	assert_int_equal(xfrm_parse_expire(payload, &ei), 0);
	assert_true(ei.hard);
	assert_int_equal(ntohl(ei.sa.u.id.spi), 0x4001);
	assert_true(ei.sa.has_if_id && ei.sa.if_id == 2);
	/* cut short */
	payload.left = sizeof(*exp) - 1;
	assert_int_equal(xfrm_parse_expire(payload, &ei), -EBADMSG);
}

/* A dump's NEWSA of the kernel's ACQ state, as xfrm_state_find() keeps it
 * for a pending acquire (copy_to_user_state(): SPI 0, seq of the acquire). */
static size_t
put_acq_state(uint8_t *at, uint32_t seq, uint32_t reqid)
{
	struct dp_addr l = a4("192.0.2.1"), r = a4("192.0.2.2");
	struct dp_addr fs = a4("10.77.0.1"), fd = a4("10.77.0.2");
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct xfrm_usersa_info *xs;

	nlh->nlmsg_type = XFRM_MSG_NEWSA;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 5;
	xs = mnl_nlmsg_put_extra_header(nlh, sizeof(*xs));
	xs->family = AF_INET;
	xs->id.proto = IPPROTO_ESP;
	memcpy(&xs->id.daddr.a4, &r.u.v4, 4);
	memcpy(&xs->saddr.a4, &l.u.v4, 4);
	xs->sel.family = AF_INET;
	memcpy(&xs->sel.saddr.a4, &fs.u.v4, 4);
	memcpy(&xs->sel.daddr.a4, &fd.u.v4, 4);
	xs->sel.prefixlen_s = xs->sel.prefixlen_d = 32;
	xs->sel.proto = IPPROTO_UDP;
	xs->reqid = reqid;
	xs->mode = XFRM_MODE_TUNNEL;
	xs->seq = seq;
	xs->lft.hard_add_expires_seconds = 30;
	mnl_attr_put_u8(nlh, XFRMA_SA_DIR, 2); /* XFRM_SA_DIR_OUT, Linux 6.10+ */
	return nlh->nlmsg_len;
}

struct classify {
	unsigned acq, other;
	uint32_t seq, reqid;
};

static int
classify_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	struct classify *c = arg;
	struct xfrm_sa_info info;

	if (hdr->nlmsg_type != XFRM_MSG_NEWSA || xfrm_parse_sa(payload, &info) < 0)
		return -EBADMSG;
	if (xfrm_sa_is_acquire(&info)) {
		c->acq++;
		c->seq = info.u.seq;
		c->reqid = info.u.reqid;
	} else
		c->other++;
	return 0;
}

/*
 * The resynchronisation after an event overrun tells a pending acquire
 * from SAs in a GETSA dump: the ACQ state (SPI 0, no algorithm, the
 * acquire's seq) is one; ALLOCSPI's larval SA (an SPI) and an installed
 * SA (algorithms, and in a dump reply its seq may be anything) are not.
 */
static void
test_sa_is_acquire(void **state)
{
	static uint8_t dump[16384] __attribute__((aligned(8)));
	struct xfrm_sa_extra x = { .reqid = 7 };
	struct errbuf err = { { 0 } };
	struct nlp_err kerr;
	struct classify c = { 0 };
	struct xfrm_usersa_info *xs;
	struct xfrm_sa_info info;
	struct dp_sa sa;
	struct nlmsghdr *nlh;
	size_t off = 0;
	bool done = false;
	int cbrc = 0, len;

	(void)state;
	memset(dump, 0, sizeof(dump));
	/* 1. a pending acquire */
	off += NLP_ALIGN(put_acq_state(dump + off, 0x114386, 9));
	/* 2. an SPI from ALLOCSPI: no algorithms either, but an SPI */
	off += NLP_ALIGN(put_acq_state(dump + off, 0, 0));
	nlh = (struct nlmsghdr *)(dump + NLP_ALIGN(((struct nlmsghdr *)dump)->nlmsg_len));
	xs = mnl_nlmsg_get_payload(nlh);
	xs->id.spi = htonl(0x2de);
	/* 3. an installed GCM SA with a seq (as an SA added from an acquire) */
	base_sa(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, DP_DIR_OUT);
	len = xfrm_build_sa(dump + off, sizeof(dump) - off, XFRM_MSG_NEWSA, &sa, &x, &err);
	assert_true(len > 0);
	nlh = (struct nlmsghdr *)(dump + off);
	nlh->nlmsg_seq = 5;
	((struct xfrm_usersa_info *)mnl_nlmsg_get_payload(nlh))->seq = 0x114387;
	off += NLP_ALIGN((size_t)len);
	/* 4. an SA whose SPI is 0 but which has algorithms is no acquire */
	len = xfrm_build_sa(dump + off, sizeof(dump) - off, XFRM_MSG_NEWSA, &sa, &x, &err);
	assert_true(len > 0);
	nlh = (struct nlmsghdr *)(dump + off);
	nlh->nlmsg_seq = 5;
	xs = mnl_nlmsg_get_payload(nlh);
	xs->id.spi = 0;
	xs->seq = 3;
	off += NLP_ALIGN((size_t)len);
	nlh = mnl_nlmsg_put_header(dump + off);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = 5;
	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	off += nlh->nlmsg_len;

	assert_int_equal(xnl_walk(dump, off, 5, 0, classify_cb, &c, &done, &cbrc, &kerr), 0);
	assert_int_equal(kerr.error, 0);
	assert_true(done);
	assert_int_equal(cbrc, 0);
	assert_int_equal(c.acq, 1);
	assert_int_equal(c.other, 3);
	assert_int_equal(c.seq, 0x114386);
	assert_int_equal(c.reqid, 9);

	/* the ACQ state alone, parsed: its selector is the packet's flow */
	memset(dump, 0, sizeof(dump));
	len = (int)put_acq_state(dump, 42, 9);
	{
		struct rd rd, payload;
		struct nlmsghdr hdr;
		struct dp_addr fd = a4("10.77.0.2");

		rd_init(&rd, dump, (size_t)len);
		assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
		assert_int_equal(xfrm_parse_sa(payload, &info), 0);
		assert_true(xfrm_sa_is_acquire(&info));
		assert_memory_equal(&info.u.sel.daddr.a4, &fd.u.v4, 4);
		assert_true(info.has_dir && info.dir == 2);
		/* a seq of 0 is no acquire's (the kernel never hands out 0) */
		info.u.seq = 0;
		assert_false(xfrm_sa_is_acquire(&info));
	}
}

static void
test_sa_parse_bad_key(void **state)
{
	struct xfrm_usersa_info *xs;
	union {
		struct xfrm_algo_aead h;
		uint8_t raw[sizeof(struct xfrm_algo_aead) + 4];
	} aead;
	struct xfrm_sa_info info;
	struct nlmsghdr *nlh, hdr;
	struct rd rd, payload;

	(void)state;
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_NEWSA;
	xs = mnl_nlmsg_put_extra_header(nlh, sizeof(*xs));
	xs->family = AF_INET;
	memset(&aead, 0, sizeof(aead));
	snprintf(aead.h.alg_name, sizeof(aead.h.alg_name), "rfc4106(gcm(aes))");
	aead.h.alg_key_len = 160; /* claims 20 key bytes, carries 4 */
	mnl_attr_put(nlh, XFRMA_ALG_AEAD, sizeof(aead), &aead);
	rd_init(&rd, buf, nlh->nlmsg_len);
	assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
	assert_int_equal(xfrm_parse_sa(payload, &info), -EBADMSG);
	xs->family = 99;
	assert_int_equal(xfrm_parse_sa(payload, &info), -EBADMSG);
}

/* A NEWSA message as the kernel dumps it: lifetime limits and counters. */
static void
test_sa_lifetimes(void **state)
{
	struct errbuf err = { { 0 } };
	struct xfrm_sa_extra x = { .reqid = 7 };
	struct xfrm_usersa_info *xs;
	struct xfrm_sa_info info;
	struct nlmsghdr hdr;
	struct rd rd, payload;
	struct dp_sa sa;
	int len;

	(void)state;
	base_sa(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, DP_DIR_OUT);
	sa.flags |= DP_SA_HAS_LIFETIME;
	sa.life.soft_bytes = 1000;
	sa.life.hard_bytes = 5000;
	sa.life.soft_seconds = 60;
	sa.life.hard_seconds = 90;
	len = xfrm_build_sa(buf, sizeof(buf), XFRM_MSG_NEWSA, &sa, &x, &err);
	assert_true(len > 0);
	xs = (struct xfrm_usersa_info *)(buf + NLMSG_HDRLEN);
	xs->curlft.bytes = 999;
	xs->curlft.packets = 7;
	xs->curlft.add_time = 1700000000;
	xs->curlft.use_time = 0;
	xs->lft.soft_use_expires_seconds = 30;
	rd_init(&rd, buf, (size_t)len);
	assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
	assert_int_equal(xfrm_parse_sa(payload, &info), 0);
	assert_int_equal(info.u.curlft.bytes, 999);
	assert_int_equal(info.u.curlft.packets, 7);
	assert_int_equal(info.u.curlft.add_time, 1700000000);
	assert_int_equal(info.u.curlft.use_time, 0);
	assert_int_equal(info.u.lft.soft_byte_limit, 1000);
	assert_int_equal(info.u.lft.hard_byte_limit, 5000);
	assert_true(info.u.lft.soft_packet_limit == XFRM_INF);
	assert_int_equal(info.u.lft.soft_add_expires_seconds, 60);
	assert_int_equal(info.u.lft.hard_add_expires_seconds, 90);
	assert_int_equal(info.u.lft.soft_use_expires_seconds, 30);

	/* below every limit; unused, so the use limit does not run */
	assert_false(xfrm_sa_soft_passed(&info, 1700000059));
	/* the add-time limit, as the kernel's timer: add_time + 60 <= now */
	assert_true(xfrm_sa_soft_passed(&info, 1700000060));
	/* a clock before add_time passes nothing (no wrap-around) */
	assert_false(xfrm_sa_soft_passed(&info, 1));
	/* bytes: >= the limit */
	info.u.curlft.bytes = 1000;
	assert_true(xfrm_sa_soft_passed(&info, 1700000000));
	info.u.curlft.bytes = 999;
	/* packets: >= the limit (XFRM_INF above: never) */
	info.u.lft.soft_packet_limit = 7;
	assert_true(xfrm_sa_soft_passed(&info, 1700000000));
	info.u.lft.soft_packet_limit = XFRM_INF;
	info.u.curlft.packets = UINT64_MAX - 1;
	assert_false(xfrm_sa_soft_passed(&info, 1700000000));
	/* the use-time limit once used */
	info.u.curlft.use_time = 1700000010;
	assert_false(xfrm_sa_soft_passed(&info, 1700000039));
	assert_true(xfrm_sa_soft_passed(&info, 1700000040));
	/* no time limits (0 seconds) and a far clock: nothing passed */
	info.u.lft.soft_add_expires_seconds = 0;
	info.u.lft.soft_use_expires_seconds = 0;
	assert_false(xfrm_sa_soft_passed(&info, UINT64_MAX));
	/* a huge limit does not wrap around */
	info.u.lft.soft_add_expires_seconds = UINT64_MAX;
	assert_false(xfrm_sa_soft_passed(&info, UINT64_MAX - 1));

	/* a message cut inside struct xfrm_usersa_info (in curlft) */
	rd_init(&payload, buf + NLMSG_HDRLEN, offsetof(struct xfrm_usersa_info, curlft) + 8);
	assert_int_equal(xfrm_parse_sa(payload, &info), -EBADMSG);
	explicit_bzero(buf, sizeof(buf));
}

static void
test_rtnl(void **state)
{
	struct rtnl_link_info li;
	struct dp_prefix p = { .addr = a4("10.0.3.0"), .len = 24 };
	struct dp_addr nh = a4("10.0.3.254"), nh6 = a6("2001:db8::1");
	struct nlmsghdr hdr;
	struct rd rd, payload;
	struct rtmsg rtm;
	int len;

	(void)state;
	len = rtnl_build_xfrmi_add(buf, sizeof(buf), "st0.12", 13, 0, 1400);
	assert_true(len > 0);
	rd_init(&rd, buf, (size_t)len);
	assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
	assert_int_equal(hdr.nlmsg_type, RTM_NEWLINK);
	assert_true(hdr.nlmsg_flags & NLM_F_EXCL);
	assert_int_equal(rtnl_parse_link(payload, &li), 0);
	assert_string_equal(li.kind, "xfrm");
	assert_true(li.has_if_id);
	assert_int_equal(li.if_id, 13);
	assert_int_equal(li.mtu, 1400);
	assert_int_equal(
	    rtnl_build_xfrmi_add(buf, sizeof(buf), "st0.1234567890123", 1, 0, 0), -EINVAL);
	assert_int_equal(rtnl_build_xfrmi_add(buf, sizeof(buf), "st0.0", 0, 0, 0), -EINVAL);

	len = rtnl_build_route(buf, sizeof(buf), RTM_NEWROUTE, &p, 7, &nh, 5, 0);
	assert_true(len > 0);
	rd_init(&rd, buf, (size_t)len);
	assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
	assert_true(rd_bytes(&payload, &rtm, sizeof(rtm)));
	assert_int_equal(rtm.rtm_dst_len, 24);
	assert_int_equal(rtm.rtm_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(rtm.rtm_table, RT_TABLE_MAIN);
	{
		struct rd tb[RTA_MAX + 1];
		uint32_t v;

		assert_int_equal(nlp_attrs(payload, tb, RTA_MAX + 1), 0);
		assert_true(nlp_u32(&tb[RTA_OIF], &v) && v == 7);
		assert_true(nlp_u32(&tb[RTA_PRIORITY], &v) && v == 5);
		assert_true(nlp_u32(&tb[RTA_TABLE], &v) && v == RT_TABLE_MAIN);
		assert_true(nlp_has(tb, RTA_GATEWAY));
	}
	/* table 1000 does not fit rtm_table: RTA_TABLE carries it */
	len = rtnl_build_route(buf, sizeof(buf), RTM_NEWROUTE, &p, 7, NULL, 0, 1000);
	assert_true(len > 0);
	rd_init(&rd, buf, (size_t)len);
	assert_int_equal(nlp_next_msg(&rd, &hdr, &payload), 0);
	assert_true(rd_bytes(&payload, &rtm, sizeof(rtm)));
	assert_int_equal(rtm.rtm_table, RT_TABLE_UNSPEC);
	assert_int_equal(rtm.rtm_scope, RT_SCOPE_LINK);
	{
		struct rd tb[RTA_MAX + 1];
		uint32_t v;

		assert_int_equal(nlp_attrs(payload, tb, RTA_MAX + 1), 0);
		assert_true(nlp_u32(&tb[RTA_TABLE], &v) && v == 1000);
		assert_false(nlp_has(tb, RTA_GATEWAY));
	}
	assert_int_equal(
	    rtnl_build_route(buf, sizeof(buf), RTM_NEWROUTE, &p, 7, &nh6, 0, 0), -EINVAL);
	assert_int_equal(
	    rtnl_build_route(buf, sizeof(buf), RTM_NEWROUTE, &p, 0, NULL, 0, 0), -EINVAL);
	p.len = 33;
	assert_int_equal(rtnl_build_addr(buf, sizeof(buf), RTM_NEWADDR, 7, &p), -EINVAL);
	p.len = 32;
	assert_true(rtnl_build_addr(buf, sizeof(buf), RTM_NEWADDR, 7, &p) > 0);
}

/* ------------------------------------------- waiting across signals */

static volatile sig_atomic_t n_sig;

static void
on_sig(int sig)
{
	(void)sig;
	n_sig++;
}

struct sig_thread {
	pthread_t target;
	int fd;              /* -1: send nothing */
	int nsig;            /* signals to send (0: until stop) */
	volatile bool stop;  /* set by the waiter */
	volatile bool ended; /* the thread gave up (30 s) */
};

static void
nap_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void *
sig_main(void *arg)
{
	struct sig_thread *t = arg;
	int i;

	for (i = 0; !t->stop && (t->nsig == 0 || i < t->nsig) && i < 1500; i++) {
		nap_ms(20);
		pthread_kill(t->target, SIGUSR1);
	}
	if (t->fd >= 0 && !t->stop) {
		nap_ms(20);
		assert_int_equal(send(t->fd, "answer", 6, 0), 6);
	}
	t->ended = i >= 1500;
	return NULL;
}

static void
sig_install(struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig; /* no SA_RESTART: the wait sees EINTR */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, old), 0);
	n_sig = 0;
}

/* Signals during the wait for an answer: the answer is still read. */
static void
test_wait_eintr(void **state)
{
	struct sig_thread t = { .target = pthread_self(), .nsig = 3 };
	struct sigaction old;
	uint8_t b[64];
	pthread_t th;
	int sv[2];
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	sig_install(&old);
	t.fd = sv[1];
	assert_int_equal(pthread_create(&th, NULL, sig_main, &t), 0);
	n = xnl_recv_wait(sv[0], b, sizeof(b), 60000);
	t.stop = true;
	pthread_join(th, NULL);
	assert_int_equal(n, 6);
	assert_memory_equal(b, "answer", 6);
	assert_true(n_sig >= 3);
	/* a datagram larger than the buffer is an error, not a cut answer */
	assert_int_equal(send(sv[1], "answer", 6, 0), 6);
	assert_int_equal(xnl_recv_wait(sv[0], b, 3, 1000), -ENOSPC);
	sigaction(SIGUSR1, &old, NULL);
	close(sv[0]);
	close(sv[1]);
}

/* Signals do not extend the wait: the timeout still ends it. */
static void
test_wait_eintr_timeout(void **state)
{
	struct sig_thread t = { .target = pthread_self(), .fd = -1, .nsig = 0 };
	struct sigaction old;
	uint8_t b[64];
	pthread_t th;
	int sv[2];
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	sig_install(&old);
	assert_int_equal(pthread_create(&th, NULL, sig_main, &t), 0);
	/* signals every 20 ms for up to 30 s; the wait is 300 ms */
	n = xnl_recv_wait(sv[0], b, sizeof(b), 300);
	t.stop = true;
	pthread_join(th, NULL);
	assert_int_equal(n, -ETIMEDOUT);
	assert_false(t.ended); /* ended by its timeout, not by the signals stopping */
	sigaction(SIGUSR1, &old, NULL);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sa_gcm),
		cmocka_unit_test(test_sa_cbc_hmac),
		cmocka_unit_test(test_sa_replay),
		cmocka_unit_test(test_sa_replay_limits),
		cmocka_unit_test(test_sa_encap_pcpu),
		cmocka_unit_test(test_sa_check),
		cmocka_unit_test(test_sa_id_allocspi_v6),
		cmocka_unit_test(test_policy_roundtrip),
		cmocka_unit_test(test_ts_to_sels),
		cmocka_unit_test(test_tunnel_same_policies),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_acquire_expire),
		cmocka_unit_test(test_sa_is_acquire),
		cmocka_unit_test(test_sa_parse_bad_key),
		cmocka_unit_test(test_sa_lifetimes),
		cmocka_unit_test(test_rtnl),
		cmocka_unit_test(test_wait_eintr),
		cmocka_unit_test(test_wait_eintr_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
