/* SPDX-License-Identifier: MIT */
/*
 * test_pkt: packet helpers of the userspace dataplane (userspace/pkt.c):
 * parsing, checksums, selectors, ICMP "too big" errors, IPv4
 * fragmentation, TCP segmentation of TUN GSO packets and GRO coalescing
 * of the segments back into one GSO write.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../tools/ref_csum.h"
#include "pkt.h"

static uint32_t
ref_pseudo(uint8_t fam, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t len)
{
	uint32_t sum = 0;
	size_t n = fam == AF_INET ? 4 : 16, i;

	for (i = 0; i < n; i += 2) {
		sum += (uint32_t)src[i] << 8 | src[i + 1];
		sum += (uint32_t)dst[i] << 8 | dst[i + 1];
	}
	sum += proto + (len & 0xffff) + (len >> 16);
	return sum;
}

/* Builds a TCP/IPv4 (or IPv6) packet with plen payload bytes. */
static size_t
mk_tcp(uint8_t *p, uint8_t fam, size_t plen, uint32_t seq, uint8_t flags, uint8_t fill)
{
	size_t l3 = fam == AF_INET ? 20 : 40, i, total = l3 + 32 + plen;
	uint8_t *t = p + l3;
	uint32_t sum;
	uint16_t c;

	memset(p, 0, total);
	if (fam == AF_INET) {
		p[0] = 0x45;
		p[2] = (uint8_t)(total >> 8);
		p[3] = (uint8_t)total;
		p[4] = 0x12;
		p[5] = 0x34;
		p[6] = 0x40; /* DF */
		p[8] = 64;
		p[9] = 6;
		inet_pton(AF_INET, "10.1.0.2", p + 12);
		inet_pton(AF_INET, "10.2.0.2", p + 16);
		pkt_ip4_csum(p);
	} else {
		p[0] = 0x60;
		p[4] = (uint8_t)((total - 40) >> 8);
		p[5] = (uint8_t)(total - 40);
		p[6] = 6;
		p[7] = 64;
		inet_pton(AF_INET6, "fd01::2", p + 8);
		inet_pton(AF_INET6, "fd02::2", p + 24);
	}
	t[0] = 0x9c;
	t[1] = 0x40; /* 40000 */
	t[2] = 0x14;
	t[3] = 0x51; /* 5201 */
	t[4] = (uint8_t)(seq >> 24);
	t[5] = (uint8_t)(seq >> 16);
	t[6] = (uint8_t)(seq >> 8);
	t[7] = (uint8_t)seq;
	t[11] = 1;
	t[12] = 8 << 4; /* 32-byte header: timestamp option */
	t[13] = flags;
	t[14] = 0x01;
	t[20] = 1;
	t[21] = 1;
	t[22] = 8;
	t[23] = 10;
	t[27] = 7;
	for (i = 0; i < plen; i++)
		t[32 + i] = (uint8_t)(fill + i);
	sum = ref_pseudo(fam, fam == AF_INET ? p + 12 : p + 8, fam == AF_INET ? p + 16 : p + 24, 6,
	    (uint32_t)(32 + plen));
	c = ref_csum(t, 32 + plen, sum);
	t[16] = (uint8_t)(c >> 8);
	t[17] = (uint8_t)c;
	return total;
}

static void
check_tcp_csum(const uint8_t *p, size_t len)
{
	uint8_t fam = (p[0] >> 4) == 4 ? AF_INET : AF_INET6;
	size_t l3 = fam == AF_INET ? 20 : 40;
	uint32_t sum = ref_pseudo(fam, fam == AF_INET ? p + 12 : p + 8,
	    fam == AF_INET ? p + 16 : p + 24, 6, (uint32_t)(len - l3));

	assert_int_equal(ref_csum(p + l3, len - l3, sum), 0);
	if (fam == AF_INET)
		assert_int_equal(ref_csum(p, 20, 0), 0);
}

static void
test_csum(void **state)
{
	uint8_t buf[101] = { 0 };
	uint16_t ours, c;
	size_t len;

	(void)state;
	for (len = 0; len <= sizeof(buf); len++) {
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(i * 37 + len);
		c = (uint16_t)~pkt_csum_fold(pkt_csum_add(0, buf, len));
		memcpy(&ours, &c, 2);
		/* stored natively, it reads as the network-order checksum */
		uint8_t *b = (uint8_t *)&c;
		assert_int_equal((uint16_t)(b[0] << 8 | b[1]), ref_csum(buf, len, 0));
	}
}

static void
test_parse(void **state)
{
	uint8_t p[256];
	struct pkt_info pi;
	size_t n;

	(void)state;
	n = mk_tcp(p, AF_INET, 10, 1, 0x18, 0);
	assert_int_equal(pkt_parse(p, n, &pi), 0);
	assert_int_equal(pi.family, AF_INET);
	assert_int_equal(pi.proto, 6);
	assert_true(pi.df);
	assert_true(pi.ports);
	assert_int_equal(pi.sport, 40000);
	assert_int_equal(pi.dport, 5201);
	assert_int_equal(pi.len, n);
	/* trailing bytes beyond the IP length are ignored */
	assert_int_equal(pkt_parse(p, n + 20, &pi), 0);
	assert_int_equal(pi.len, n);
	/* truncated, bad version, bad lengths */
	assert_int_equal(pkt_parse(p, n - 1, &pi), -EBADMSG);
	assert_int_equal(pkt_parse(p, 19, &pi), -EBADMSG);
	p[0] = 0x44;
	assert_int_equal(pkt_parse(p, n, &pi), -EBADMSG);
	p[0] = 0x55;
	assert_int_equal(pkt_parse(p, n, &pi), -EBADMSG);

	n = mk_tcp(p, AF_INET6, 10, 1, 0x18, 0);
	assert_int_equal(pkt_parse(p, n, &pi), 0);
	assert_int_equal(pi.family, AF_INET6);
	assert_int_equal(pi.l3len, 40);
	assert_int_equal(pi.dport, 5201);
	/* an IPv6 extension header chain: hop-by-hop then TCP */
	memmove(p + 48, p + 40, n - 40);
	p[6] = 0;
	memset(p + 40, 0, 8);
	p[40] = 6;
	p[5] += 8;
	assert_int_equal(pkt_parse(p, n + 8, &pi), 0);
	assert_int_equal(pi.proto, 6);
	assert_int_equal(pi.l3len, 48);
	assert_int_equal(pi.dport, 5201);
	/* extension header running off the end */
	p[41] = 200;
	assert_int_equal(pkt_parse(p, n + 8, &pi), -EBADMSG);
}

static void
test_ts_match(void **state)
{
	struct dp_ts ts;
	uint8_t a[4];

	(void)state;
	memset(&ts, 0, sizeof(ts));
	ts.family = AF_INET;
	ts.addr_lo.family = ts.addr_hi.family = AF_INET;
	inet_pton(AF_INET, "10.2.0.0", &ts.addr_lo.u.v4);
	inet_pton(AF_INET, "10.2.0.255", &ts.addr_hi.u.v4);
	ts.port_lo = 0;
	ts.port_hi = 0xffff;
	inet_pton(AF_INET, "10.2.0.7", a);
	assert_true(pkt_ts_match(&ts, AF_INET, a, 17, 53, true));
	assert_true(pkt_ts_match(&ts, AF_INET, a, 1, 0, false));
	assert_false(pkt_ts_match(&ts, AF_INET6, a, 17, 53, true));
	inet_pton(AF_INET, "10.2.1.0", a);
	assert_false(pkt_ts_match(&ts, AF_INET, a, 17, 53, true));
	inet_pton(AF_INET, "10.2.0.7", a);
	ts.proto = 6;
	ts.port_lo = ts.port_hi = 80;
	assert_false(pkt_ts_match(&ts, AF_INET, a, 17, 80, true));
	assert_true(pkt_ts_match(&ts, AF_INET, a, 6, 80, true));
	assert_false(pkt_ts_match(&ts, AF_INET, a, 6, 81, true));
	assert_false(pkt_ts_match(&ts, AF_INET, a, 6, 80, false)); /* no port known */
}

static void
test_icmp_too_big(void **state)
{
	uint8_t p[2000], out[1400];
	struct dp_addr src;
	struct pkt_info pi;
	size_t n, m;

	(void)state;
	memset(&src, 0, sizeof(src));
	src.family = AF_INET;
	inet_pton(AF_INET, "10.255.0.1", &src.u.v4);
	n = mk_tcp(p, AF_INET, 1400, 1, 0x10, 0);
	m = pkt_icmp_too_big(out, sizeof(out), p, n, 1380, &src);
	assert_int_equal(m, 576);
	assert_int_equal(pkt_parse(out, m, &pi), 0);
	assert_int_equal(pi.proto, 1);
	assert_true(pi.icmp_error);
	assert_memory_equal(out + 16, p + 12, 4); /* back to the sender */
	assert_int_equal(out[20], 3);
	assert_int_equal(out[21], 4);
	assert_int_equal(out[26] << 8 | out[27], 1380);
	assert_int_equal(ref_csum(out, 20, 0), 0);
	assert_int_equal(ref_csum(out + 20, m - 20, 0), 0);
	/* never about an ICMP error, nor with no source */
	assert_int_equal(pkt_icmp_too_big(p, sizeof(p), out, m, 1000, &src), 0);
	assert_int_equal(pkt_icmp_too_big(out, sizeof(out), p, n, 1380, NULL), 0);

	n = mk_tcp(p, AF_INET6, 1400, 1, 0x10, 0);
	src.family = AF_INET6;
	inet_pton(AF_INET6, "fd00::1", &src.u.v6);
	m = pkt_icmp_too_big(out, sizeof(out), p, n, 1300, &src);
	assert_int_equal(m, 1280);
	assert_int_equal(out[40], 2);
	assert_int_equal(out[44] << 24 | out[45] << 16 | out[46] << 8 | out[47], 1300);
	assert_int_equal(ref_csum(out + 40, m - 40,
	                     ref_pseudo(AF_INET6, out + 8, out + 24, 58, (uint32_t)(m - 40))),
	    0);
	/* the minimum IPv6 MTU is announced at least */
	m = pkt_icmp_too_big(out, sizeof(out), p, n, 1000, &src);
	assert_int_equal(out[44] << 24 | out[45] << 16 | out[46] << 8 | out[47], 1280);
}

/*
 * The ICMP error token bucket: a burst of oversize packets yields at most
 * the burst's number of errors; then the rate, whole tokens only, never
 * more than the burst after a pause, and a refund for an error not sent.
 */
static void
test_icmp_ratelimit(void **state)
{
	struct pkt_tbucket tb;
	uint64_t t = 5000;
	unsigned i, ok;

	(void)state;
	pkt_tb_init(&tb, PKT_ICMP_RATE, PKT_ICMP_BURST, t);
	for (i = ok = 0; i < 1000; i++)
		ok += pkt_tb_take(&tb, t);
	assert_int_equal(ok, PKT_ICMP_BURST);
	/* 1000 a second: one per millisecond, fractions kept across calls */
	for (i = ok = 0; i < 100; i++) {
		t += 1;
		ok += pkt_tb_take(&tb, t);
		ok += pkt_tb_take(&tb, t);
	}
	assert_int_equal(ok, 100);
	pkt_tb_init(&tb, 10, 5, t);
	for (i = ok = 0; i < 20; i++)
		ok += pkt_tb_take(&tb, t);
	assert_int_equal(ok, 5);
	for (i = ok = 0; i < 1000; i++) /* 10 a second over one second */
		ok += pkt_tb_take(&tb, ++t);
	assert_int_equal(ok, 10);
	t += 3600 * 1000; /* a long pause refills the burst, no more */
	for (i = ok = 0; i < 20; i++)
		ok += pkt_tb_take(&tb, t);
	assert_int_equal(ok, 5);
	pkt_tb_refund(&tb);
	assert_true(pkt_tb_take(&tb, t));
	assert_false(pkt_tb_take(&tb, t));
	pkt_tb_refund(&tb);
	pkt_tb_refund(&tb);
	pkt_tb_refund(&tb);
	pkt_tb_refund(&tb);
	pkt_tb_refund(&tb);
	pkt_tb_refund(&tb); /* never above the burst */
	for (i = ok = 0; i < 20; i++)
		ok += pkt_tb_take(&tb, t);
	assert_int_equal(ok, 5);
	/* a clock going back neither refills nor stalls */
	t -= 10000;
	assert_false(pkt_tb_take(&tb, t));
	t += 100;
	assert_true(pkt_tb_take(&tb, t));
}

static void
test_frag4(void **state)
{
	uint8_t p[3000], f[1500], re[3000];
	struct frag4_iter it;
	struct pkt_info pi;
	size_t n, fl, got = 0, count = 0;

	(void)state;
	n = mk_tcp(p, AF_INET, 2800, 1, 0x10, 3);
	p[6] = 0; /* DF clear */
	pkt_ip4_csum(p);
	assert_int_equal(frag4_init(&it, p, n, 1000), 0);
	memcpy(re, p, 20);
	while ((fl = frag4_next(&it, f, sizeof(f))) > 0) {
		uint16_t fo;

		assert_true(fl <= 1000);
		assert_int_equal(pkt_parse(f, fl, &pi), 0);
		assert_true(pi.frag);
		assert_int_equal(ref_csum(f, 20, 0), 0);
		fo = (uint16_t)((f[6] & 0x1f) << 8 | f[7]);
		assert_int_equal(fo * 8, got);
		if (got + fl - 20 < n - 20)
			assert_true(f[6] & 0x20); /* MF */
		else
			assert_false(f[6] & 0x20);
		if (fl - 20 != n - 20 - got)
			assert_int_equal((fl - 20) % 8, 0);
		memcpy(re + 20 + got, f + 20, fl - 20);
		got += fl - 20;
		count++;
	}
	assert_int_equal(got, n - 20);
	assert_int_equal(count, 3);
	assert_memory_equal(re + 20, p + 20, n - 20);
	assert_int_equal(frag4_init(&it, p, n, 20), -EMSGSIZE);
}

/* An IPv4 packet (protocol 253) with the given options and plen bytes. */
static size_t
mk_ip4_opts(uint8_t *p, const uint8_t *opt, size_t olen, size_t plen)
{
	size_t hl = 20 + olen, i;

	memset(p, 0, hl + plen);
	p[0] = (uint8_t)(0x40 | hl / 4);
	p[2] = (uint8_t)((hl + plen) >> 8);
	p[3] = (uint8_t)(hl + plen);
	p[8] = 64;
	p[9] = 253;
	inet_pton(AF_INET, "10.1.0.2", p + 12);
	inet_pton(AF_INET, "10.2.0.2", p + 16);
	memcpy(p + 20, opt, olen);
	for (i = 0; i < plen; i++)
		p[hl + i] = (uint8_t)(i * 7);
	pkt_ip4_csum(p);
	return hl + plen;
}

/*
 * Options and fragments (RFC 791 3.1, 3.2): the first fragment keeps them
 * all; the later ones only those with the copied flag, padded with EOL;
 * NOP and uncopied options (record route) left out, nothing after EOL.
 * Malformed option lengths are refused.
 */
static void
test_frag4_options(void **state)
{
	static const struct {
		uint8_t opt[40];
		size_t olen;
		uint8_t want[40]; /* the later fragments' options */
		size_t wlen;
	} c[] = {
		/* NOP, record route (7), LSRR (131), router alert (148), EOL */
		{ { 1, 7, 7, 4, 0, 0, 0, 0, 131, 7, 4, 10, 9, 9, 9, 148, 4, 0, 0, 0 }, 20,
		    { 131, 7, 4, 10, 9, 9, 9, 148, 4, 0, 0, 0 }, 12 },
		/* router alert, EOL, then bytes that are not options */
		{ { 148, 4, 0, 0, 0, 131, 3, 4 }, 8, { 148, 4, 0, 0 }, 4 },
		/* only uncopied options: later fragments have none */
		{ { 7, 7, 4, 0, 0, 0, 0, 1 }, 8, { 0 }, 0 },
		/* timestamp (68, not copied) then security (130, copied) */
		{ { 68, 8, 5, 0, 1, 2, 3, 4, 130, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1 }, 20,
		    { 130, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0 }, 12 },
	};
	static const struct {
		uint8_t opt[8];
	} bad[] = {
		{ { 7, 0, 1, 1, 1, 1, 1, 1 } },       /* length 0 */
		{ { 131, 1, 1, 1, 1, 1, 1, 1 } },     /* length 1 */
		{ { 1, 1, 131, 7, 4, 0, 0, 0 } },     /* past the header */
		{ { 1, 1, 1, 1, 1, 1, 1, 131 } },     /* no length byte */
		{ { 148, 4, 0, 0, 130, 200, 0, 0 } }, /* far past it */
	};
	uint8_t p[3000], f[1500], re[3000];
	struct frag4_iter it;
	struct pkt_info pi;
	size_t n, fl, got, count, hl, i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		hl = 20 + c[i].olen;
		n = mk_ip4_opts(p, c[i].opt, c[i].olen, 2500);
		assert_int_equal(frag4_init(&it, p, n, 1000), 0);
		got = count = 0;
		while ((fl = frag4_next(&it, f, sizeof(f))) > 0) {
			size_t fhl = (size_t)(f[0] & 0x0f) * 4;
			uint16_t fo = (uint16_t)((f[6] & 0x1f) << 8 | f[7]);

			assert_true(fl <= 1000);
			assert_int_equal(pkt_parse(f, fl, &pi), 0);
			assert_int_equal(pi.l3len, fhl);
			assert_int_equal(ref_csum(f, fhl, 0), 0);
			assert_int_equal(f[2] << 8 | f[3], fl);
			assert_memory_equal(f + 8, p + 8, 2); /* TTL, protocol */
			assert_memory_equal(f + 12, p + 12, 8);
			if (count == 0) {
				assert_int_equal(fhl, hl);
				assert_memory_equal(f + 20, p + 20, hl - 20);
			} else {
				assert_int_equal(fhl, 20 + c[i].wlen);
				assert_memory_equal(f + 20, c[i].want, c[i].wlen);
			}
			assert_int_equal(fo * 8, got);
			if (got + fl - fhl < n - hl)
				assert_int_equal((fl - fhl) % 8, 0);
			memcpy(re + got, f + fhl, fl - fhl);
			got += fl - fhl;
			count++;
		}
		assert_int_equal(got, n - hl);
		assert_memory_equal(re, p + hl, n - hl);
		assert_true(count >= 3);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = mk_ip4_opts(p, bad[i].opt, 8, 2000);
		assert_int_equal(frag4_init(&it, p, n, 1000), -EBADMSG);
	}
}

/*
 * A fragment arriving in st0 that does not fit either (df-bit set): its
 * pieces keep its offset, and MF stays on the last one when the fragment
 * was not the original's last (RFC 791 3.2, fragmenting a fragment).
 */
static void
test_frag4_of_fragment(void **state)
{
	uint8_t p[3000], f[1500];
	struct frag4_iter it;
	struct pkt_info pi;
	size_t n, fl, got, count;
	int mf;

	(void)state;
	for (mf = 0; mf <= 1; mf++) {
		n = mk_tcp(p, AF_INET, 2000, 1, 0x10, 5);
		/* a fragment at offset 1480 (185 units), MF as given, DF clear */
		p[6] = (uint8_t)((mf ? 0x20 : 0) | (185 >> 8));
		p[7] = 185 & 0xff;
		pkt_ip4_csum(p);
		assert_int_equal(frag4_init(&it, p, n, 1000), 0);
		got = count = 0;
		while ((fl = frag4_next(&it, f, sizeof(f))) > 0) {
			uint16_t fo = (uint16_t)((f[6] & 0x1f) << 8 | f[7]);
			bool last = got + fl - 20 == n - 20;

			assert_true(fl <= 1000);
			assert_int_equal(pkt_parse(f, fl, &pi), 0);
			assert_true(pi.frag);
			assert_false(pi.df);
			assert_int_equal(ref_csum(f, 20, 0), 0);
			assert_int_equal(fo * 8, 1480 + got);
			assert_int_equal((f[6] & 0x20) != 0, !last || mf);
			assert_memory_equal(f + 20, p + 20 + got, fl - 20);
			got += fl - 20;
			count++;
		}
		assert_int_equal(got, n - 20);
		assert_int_equal(count, 3);
	}
}

static void
test_gso_segment(void **state)
{
	static uint8_t p[70000], seg[2000];
	struct virtio_net_hdr vh;
	struct gso_iter it;
	uint8_t fam;
	size_t n, sl, got;
	uint32_t seq0 = 1000000;
	unsigned count;

	(void)state;
	for (fam = AF_INET; fam != 0; fam = fam == AF_INET ? AF_INET6 : 0) {
		size_t l3 = fam == AF_INET ? 20 : 40, mss = 1348, plen = 60000;

		n = mk_tcp(p, fam, plen, seq0, 0x18 | 0x01 /* PSH FIN */, 9);
		/* the kernel leaves a partial checksum and may leave lengths stale */
		memset(&vh, 0, sizeof(vh));
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.gso_type = fam == AF_INET ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
		vh.gso_size = (uint16_t)mss;
		vh.hdr_len = (uint16_t)(l3 + 32);
		vh.csum_start = (uint16_t)l3;
		vh.csum_offset = 16;
		assert_int_equal(gso_iter_init(&it, &vh, p, n), 0);
		got = 0;
		count = 0;
		while ((sl = gso_iter_next(&it, seg, sizeof(seg))) > 0) {
			const uint8_t *t = seg + l3;
			uint32_t seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 |
			               (uint32_t)t[6] << 8 | t[7];
			bool last = got + (sl - l3 - 32) == plen;
			struct pkt_info pi;

			assert_int_equal(pkt_parse(seg, sl, &pi), 0);
			assert_int_equal(pi.len, sl);
			assert_true(sl - l3 - 32 == mss || last);
			assert_int_equal(seq, seq0 + got);
			check_tcp_csum(seg, sl);
			assert_memory_equal(seg + l3 + 32, p + l3 + 32 + got, sl - l3 - 32);
			/* PSH and FIN only on the last segment */
			assert_int_equal((t[13] & 0x09) != 0, last);
			if (fam == AF_INET)
				assert_int_equal(seg[4] << 8 | seg[5], 0x1234 + count);
			got += sl - l3 - 32;
			count++;
		}
		assert_int_equal(got, plen);
		assert_int_equal(count, (plen + mss - 1) / mss);
		/* UDP GSO is not ours to segment */
		vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;
		assert_int_equal(gso_iter_init(&it, &vh, p, n), -EOPNOTSUPP);
	}
}

/* GRO output collector */
struct sink {
	uint8_t buf[10][70000];
	struct virtio_net_hdr vh[10];
	size_t len[10];
	int n;
};

static int
sink_out(void *arg, struct iovec *iov, int cnt)
{
	struct sink *s = arg;
	size_t off = 0;
	int i;

	assert_true(s->n < 10);
	assert_int_equal(iov[0].iov_len, sizeof(struct virtio_net_hdr));
	memcpy(&s->vh[s->n], iov[0].iov_base, sizeof(struct virtio_net_hdr));
	for (i = 1; i < cnt; i++) {
		memcpy(s->buf[s->n] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	s->len[s->n++] = off;
	return 0;
}

static void
test_gro(void **state)
{
	static struct sink sink;
	static uint8_t pk[40][1500];
	size_t len[40];
	struct gro g;
	uint32_t seq = 5000;
	int i;

	(void)state;
	memset(&sink, 0, sizeof(sink));
	gro_init(&g, sink_out, &sink);
	/* 30 full segments and a short PSH one: one GSO packet */
	for (i = 0; i < 31; i++) {
		size_t pl = i < 30 ? 1300 : 500;
		len[i] = mk_tcp(pk[i], AF_INET, pl, seq, i < 30 ? 0x10 : 0x18, (uint8_t)i);
		pk[i][4] = (uint8_t)i; /* IP ids differ */
		pkt_ip4_csum(pk[i]);
		seq += (uint32_t)pl;
		assert_int_equal(gro_add(&g, pk[i], len[i]), 0);
	}
	/* a UDP packet passes alone, a pure ACK of another flow too */
	assert_int_equal(gro_flush(&g), 0);
	assert_int_equal(sink.n, 1);
	assert_int_equal(sink.vh[0].gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(sink.vh[0].gso_size, 1300);
	assert_int_equal(sink.vh[0].hdr_len, 52);
	assert_int_equal(sink.vh[0].csum_start, 20);
	assert_int_equal(sink.vh[0].csum_offset, 16);
	assert_int_equal(sink.len[0], 52 + 30 * 1300 + 500);
	assert_int_equal(sink.buf[0][2] << 8 | sink.buf[0][3], sink.len[0]);
	assert_int_equal(ref_csum(sink.buf[0], 20, 0), 0);
	assert_true(sink.buf[0][20 + 13] & 0x08); /* PSH */
	/* the TCP checksum field holds the (uncomplemented) pseudo-header sum */
	{
		uint32_t ps = ref_pseudo(
		    AF_INET, sink.buf[0] + 12, sink.buf[0] + 16, 6, (uint32_t)(sink.len[0] - 20));
		uint16_t want = (uint16_t)~ref_csum(NULL, 0, ps);
		assert_int_equal(sink.buf[0][36] << 8 | sink.buf[0][37], want);
	}
	for (i = 0; i < 31; i++)
		assert_memory_equal(
		    sink.buf[0] + 52 + (size_t)i * 1300, pk[i] + 52, i < 30 ? 1300 : 500);

	/* out of order: a gap ends the run */
	memset(&sink, 0, sizeof(sink));
	seq = 1;
	len[0] = mk_tcp(pk[0], AF_INET6, 1000, seq, 0x10, 1);
	len[1] = mk_tcp(pk[1], AF_INET6, 1000, seq + 2000, 0x10, 2);
	len[2] = mk_tcp(pk[2], AF_INET6, 1000, seq + 3000, 0x10, 3);
	len[3] = mk_tcp(pk[3], AF_INET6, 1000, seq + 1000, 0x10, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(gro_add(&g, pk[i], len[i]), 0);
	assert_int_equal(gro_flush(&g), 0);
	assert_int_equal(sink.n, 3); /* [0], [1,2], [3] */
	assert_int_equal(sink.vh[0].gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(sink.vh[1].gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(sink.len[1], 40 + 32 + 2000);
	assert_int_equal(sink.buf[1][4] << 8 | sink.buf[1][5], 32 + 2000);
	/* singles are written untouched, checksums intact */
	check_tcp_csum(sink.buf[0], sink.len[0]);
	check_tcp_csum(sink.buf[2], sink.len[2]);
	assert_int_equal(g.packets_in, 35);
}

/*
 * Stateful fragment checking: the first fragment (with the ports)
 * decides, the later ones (no ports) find that decision under their
 * packet's addresses, protocol and id; other packets, expired decisions
 * and evicted ones are not found.
 */
static void
test_frag_tab(void **state)
{
	static struct frag_tab t;
	uint8_t p[3000], f[3][1500], v6[200];
	struct frag4_iter it;
	struct pkt_info pi[3], other;
	uint64_t v;
	size_t n, fl;
	int k = 0, i;

	(void)state;
	frag_tab_init(&t);
	n = mk_tcp(p, AF_INET, 2800, 1, 0x10, 3);
	p[4] = 0x12;
	p[5] = 0x34; /* IPv4 identification */
	p[6] = 0;    /* DF clear */
	pkt_ip4_csum(p);
	assert_int_equal(frag4_init(&it, p, n, 1000), 0);
	while (k < 3 && (fl = frag4_next(&it, f[k], sizeof(f[k]))) > 0) {
		assert_int_equal(pkt_parse(f[k], fl, &pi[k]), 0);
		assert_true(pi[k].frag);
		assert_int_equal(pi[k].frag_id, 0x1234);
		k++;
	}
	assert_int_equal(k, 3);
	assert_false(pi[0].later_frag);
	assert_true(pi[0].ports);
	assert_true(pi[1].later_frag);
	assert_false(pi[1].ports);

	/* out of order: nothing known yet */
	assert_false(frag_tab_get(&t, &pi[2], &v, 1000));
	frag_tab_put(&t, &pi[0], 7, 1000);
	assert_true(frag_tab_get(&t, &pi[1], &v, 1001));
	assert_int_equal(v, 7);
	assert_true(frag_tab_get(&t, &pi[2], &v, 1002));
	assert_int_equal(v, 7);

	/* another id, protocol or source is another packet */
	f[1][5] ^= 1;
	assert_int_equal(pkt_parse(f[1], 1000, &other), 0);
	assert_false(frag_tab_get(&t, &other, &v, 1003));
	f[1][5] ^= 1;
	f[1][9] = 17;
	assert_int_equal(pkt_parse(f[1], 1000, &other), 0);
	assert_false(frag_tab_get(&t, &other, &v, 1003));
	f[1][9] = 6;
	f[1][12] ^= 1;
	assert_int_equal(pkt_parse(f[1], 1000, &other), 0);
	assert_false(frag_tab_get(&t, &other, &v, 1003));
	f[1][12] ^= 1;

	/* a use renews the decision; without use it expires */
	assert_true(frag_tab_get(&t, &pi[1], &v, 1000 + FRAG_TTL_MS));
	assert_true(frag_tab_get(&t, &pi[1], &v, 1000 + 2 * FRAG_TTL_MS - 1));
	assert_false(frag_tab_get(&t, &pi[1], &v, 1000 + 3 * FRAG_TTL_MS));

	/* IPv6: a fragment header (RFC 8200 4.5) with id 0xdeadbeef */
	memset(v6, 0, sizeof(v6));
	v6[0] = 0x60;
	v6[5] = 8 + 8 + 16; /* payload: fragment header, UDP header, 16 bytes */
	v6[6] = 44;
	v6[7] = 64;
	v6[23] = 1;
	v6[39] = 2;
	v6[40] = 17; /* next header UDP */
	v6[43] = 1;  /* offset 0, M */
	v6[44] = 0xde;
	v6[45] = 0xad;
	v6[46] = 0xbe;
	v6[47] = 0xef;
	v6[48 + 1] = 53;
	v6[48 + 3] = 53;
	assert_int_equal(pkt_parse(v6, 40 + 32, &pi[0]), 0);
	assert_true(pi[0].frag);
	assert_false(pi[0].later_frag);
	assert_true(pi[0].ports);
	assert_int_equal(pi[0].frag_id, 0xdeadbeef);
	frag_tab_put(&t, &pi[0], 9, 5000);
	v6[43] = 0x10; /* offset 16 bytes, last */
	assert_int_equal(pkt_parse(v6, 40 + 32, &pi[1]), 0);
	assert_true(pi[1].later_frag);
	assert_false(pi[1].ports);
	assert_true(frag_tab_get(&t, &pi[1], &v, 5001));
	assert_int_equal(v, 9);

	/* IPv6 with a Destination Options header in the fragmentable part
	 * (RFC 8200 4.1 order: fragment header, destination options, UDP):
	 * the first fragment's upper layer is UDP; a later fragment's bytes
	 * after its fragment header are payload, not headers, so its
	 * protocol is the fragment header's next header (as the kernel's
	 * flow dissector has it) and it still finds its packet's decision
	 * (RFC 8200 4.5: the packet is source, destination and id) */
	memset(v6, 0, sizeof(v6));
	v6[0] = 0x60;
	v6[5] = 8 + 8 + 8 + 16; /* fragment header, dest options, UDP, 16 bytes */
	v6[6] = 44;
	v6[7] = 64;
	v6[23] = 1;
	v6[39] = 2;
	v6[40] = 60; /* next header: destination options */
	v6[43] = 1;  /* offset 0, M */
	v6[47] = 0x77;
	v6[48] = 17; /* dest options: next header UDP, length 0 (8 bytes) */
	v6[50] = 1;  /* PadN, 4 bytes */
	v6[51] = 4;
	v6[56 + 1] = 53;
	v6[56 + 3] = 53;
	assert_int_equal(pkt_parse(v6, 40 + 40, &pi[0]), 0);
	assert_false(pi[0].later_frag);
	assert_int_equal(pi[0].proto, 17);
	assert_true(pi[0].ports);
	frag_tab_put(&t, &pi[0], 11, 6000);
	v6[43] = 0x18; /* offset 24 bytes, last: payload from here */
	memset(v6 + 48, 0, 32);
	v6[48] = 6; /* payload that reads like dest options, then TCP */
	assert_int_equal(pkt_parse(v6, 40 + 40, &pi[1]), 0);
	assert_true(pi[1].later_frag);
	assert_int_equal(pi[1].proto, 60);
	assert_true(frag_tab_get(&t, &pi[1], &v, 6001));
	assert_int_equal(v, 11);
	v6[49] = 0xff; /* such "options" would run past the packet */
	assert_int_equal(pkt_parse(v6, 40 + 40, &pi[1]), 0);
	assert_true(frag_tab_get(&t, &pi[1], &v, 6002));
	assert_int_equal(v, 11);

	/* bounded: 4 x FRAG_SLOTS packets fit in FRAG_SLOTS entries; the
	 * newest decisions survive, the oldest are evicted */
	frag_tab_init(&t);
	for (i = 0; i < 4 * FRAG_SLOTS; i++) {
		pi[0].frag_id = (uint32_t)i;
		frag_tab_put(&t, &pi[0], (uint32_t)i, 10000);
	}
	assert_true(t.evictions >= 3 * FRAG_SLOTS);
	pi[0].frag_id = 4 * FRAG_SLOTS - 1;
	assert_true(frag_tab_get(&t, &pi[0], &v, 10001));
	assert_int_equal(v, 4 * FRAG_SLOTS - 1);
	pi[0].frag_id = 0;
	assert_false(frag_tab_get(&t, &pi[0], &v, 10001));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_ts_match),
		cmocka_unit_test(test_icmp_too_big),
		cmocka_unit_test(test_icmp_ratelimit),
		cmocka_unit_test(test_frag4),
		cmocka_unit_test(test_frag4_of_fragment),
		cmocka_unit_test(test_frag4_options),
		cmocka_unit_test(test_gso_segment),
		cmocka_unit_test(test_gro),
		cmocka_unit_test(test_frag_tab),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
