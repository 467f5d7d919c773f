/* SPDX-License-Identifier: MIT */
/*
 * pkt: IPv4/IPv6 helpers of the userspace dataplane (see pkt.h). Every
 * function takes (pointer, length) and checks lengths before reading; the
 * inputs include decrypted packets from peers.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include "pkt.h"
#include "rd.h"

#define IP4_HL  20
#define IP6_HL  40
#define TCP_HL  20
#define ICMP_HL 8

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- checksums ---- */

/*
 * One's complement sums are independent of the word size as long as the
 * carries wrap around: 64-bit words go into a 128-bit accumulator (add
 * with carry), folded at the end.
 */
static uint64_t
fold128(unsigned __int128 acc)
{
	uint64_t lo = (uint64_t)acc, hi = (uint64_t)(acc >> 64);

	lo += hi;
	if (lo < hi)
		lo++;
	return lo;
}

static uint64_t
add64(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

uint64_t
pkt_csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	unsigned __int128 acc = sum;
	uint64_t w, w2, w3, w4;
	uint8_t tail[8];

	while (len >= 32) {
		memcpy(&w, p, 8);
		memcpy(&w2, p + 8, 8);
		memcpy(&w3, p + 16, 8);
		memcpy(&w4, p + 24, 8);
		acc += (unsigned __int128)w + w2 + w3 + w4;
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		acc += w;
		p += 8;
		len -= 8;
	}
	if (len > 0) {
		/* the tail, zero padded: the same as summing it in 16-bit steps */
		memset(tail, 0, sizeof(tail));
		memcpy(tail, p, len);
		memcpy(&w, tail, 8);
		acc += w;
	}
	return fold128(acc);
}

/* Copies len bytes and returns sum plus their checksum (one pass). */
static uint64_t
csum_copy(uint8_t *dst, const uint8_t *src, size_t len, uint64_t sum)
{
	unsigned __int128 acc = sum;
	uint64_t w, w2, w3, w4;
	uint8_t tail[8];

	while (len >= 32) {
		memcpy(&w, src, 8);
		memcpy(&w2, src + 8, 8);
		memcpy(&w3, src + 16, 8);
		memcpy(&w4, src + 24, 8);
		memcpy(dst, &w, 8);
		memcpy(dst + 8, &w2, 8);
		memcpy(dst + 16, &w3, 8);
		memcpy(dst + 24, &w4, 8);
		acc += (unsigned __int128)w + w2 + w3 + w4;
		src += 32;
		dst += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w, src, 8);
		memcpy(dst, &w, 8);
		acc += w;
		src += 8;
		dst += 8;
		len -= 8;
	}
	if (len > 0) {
		memset(tail, 0, sizeof(tail));
		memcpy(tail, src, len);
		memcpy(dst, tail, len);
		memcpy(&w, tail, 8);
		acc += w;
	}
	return fold128(acc);
}

uint16_t
pkt_csum_fold(uint64_t sum)
{
	sum = add64(sum & 0xffffffffULL, sum >> 32);
	sum = (sum & 0xffffffffULL) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint64_t
pkt_pseudo_sum(
    uint8_t family, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t l4len)
{
	uint8_t tail[8];
	uint64_t sum = 0;
	size_t alen = family == AF_INET ? 4 : 16;

	sum = pkt_csum_add(sum, src, alen);
	sum = pkt_csum_add(sum, dst, alen);
	if (family == AF_INET) {
		tail[0] = 0;
		tail[1] = proto;
		wr_be16(tail + 2, (uint16_t)l4len);
		return pkt_csum_add(sum, tail, 4);
	}
	wr_be32(tail, l4len);
	tail[4] = tail[5] = tail[6] = 0;
	tail[7] = proto;
	return pkt_csum_add(sum, tail, 8);
}

void
pkt_ip4_csum(uint8_t *ip)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = (uint16_t)~pkt_csum_fold(pkt_csum_add(0, ip, hl));
	memcpy(ip + 10, &c, 2);
}

static void
store_csum(uint8_t *at, uint64_t sum)
{
	uint16_t c = (uint16_t)~pkt_csum_fold(sum);

	memcpy(at, &c, 2);
}

/* ---- parsing ---- */

static bool
is_v6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51;
}

int
pkt_parse(const uint8_t *p, size_t len, struct pkt_info *pi)
{
	size_t l3, tot;
	uint8_t nh;
	int n;

	memset(pi, 0, sizeof(*pi));
	if (len < 1)
		return -EBADMSG;
	if ((p[0] >> 4) == 4) {
		if (len < IP4_HL)
			return -EBADMSG;
		l3 = (size_t)(p[0] & 0x0f) * 4;
		tot = be16(p + 2);
		if (l3 < IP4_HL || tot < l3 || tot > len)
			return -EBADMSG;
		pi->family = AF_INET;
		pi->tos = p[1];
		pi->df = (p[6] & 0x40) != 0;
		pi->frag = (be16(p + 6) & 0x3fff) != 0;
		pi->later_frag = (be16(p + 6) & 0x1fff) != 0;
		pi->frag_id = be16(p + 4);
		pi->proto = p[9];
		pi->src = p + 12;
		pi->dst = p + 16;
		pi->len = tot;
	} else if ((p[0] >> 4) == 6) {
		if (len < IP6_HL)
			return -EBADMSG;
		tot = (size_t)be16(p + 4) + IP6_HL;
		if (tot > len)
			return -EBADMSG;
		pi->family = AF_INET6;
		pi->tos = (uint8_t)((be16(p) >> 4) & 0xff);
		pi->src = p + 8;
		pi->dst = p + 24;
		pi->len = tot;
		nh = p[6];
		l3 = IP6_HL;
		/* RFC 8200 4: walk a bounded number of extension headers */
		for (n = 0; n < 8 && is_v6_ext(nh); n++) {
			size_t elen;

			if (l3 + 8 > tot)
				return -EBADMSG;
			if (nh == 44) { /* fragment header: fixed 8 bytes */
				uint16_t fo = be16(p + l3 + 2);
				pi->frag = true;
				pi->later_frag = (fo & 0xfff8) != 0;
				pi->frag_id = ((uint32_t)be16(p + l3 + 4) << 16) | be16(p + l3 + 6);
				elen = 8;
			} else if (nh == 51) { /* AH: (len + 2) * 4 */
				elen = ((size_t)p[l3 + 1] + 2) * 4;
			} else {
				elen = ((size_t)p[l3 + 1] + 1) * 8;
			}
			nh = p[l3];
			l3 += elen;
			if (l3 > tot)
				return -EBADMSG;
			/* RFC 8200 4.5: after a later fragment's fragment
			 * header comes payload, not headers; its protocol is
			 * the fragment header's next header (the kernel's flow
			 * dissector says the same) */
			if (pi->later_frag)
				break;
		}
		if (is_v6_ext(nh) && !pi->later_frag)
			return -EBADMSG; /* too many extension headers */
		pi->proto = nh;
	} else {
		return -EBADMSG;
	}
	if (l3 > 0xffff)
		return -EBADMSG;
	pi->l3len = (uint16_t)l3;
	if (!pi->later_frag) {
		if (pkt_proto_has_ports(pi->proto) && l3 + 4 <= pi->len) {
			pi->sport = be16(p + l3);
			pi->dport = be16(p + l3 + 2);
			pi->ports = true;
		}
		if (pi->family == AF_INET && pi->proto == IPPROTO_ICMP && l3 + 1 <= pi->len) {
			uint8_t t = p[l3];
			pi->icmp_error = t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
		}
		if (pi->family == AF_INET6 && pi->proto == IPPROTO_ICMPV6 && l3 + 1 <= pi->len)
			pi->icmp_error = p[l3] < 128;
	}
	return 0;
}

/* ---- fragment decisions ---- */

void
frag_tab_init(struct frag_tab *t)
{
	memset(t, 0, sizeof(*t));
}

/* FNV-1a over the key: the table is per SPU and small, a seedless hash
 * is enough (a flood of colliding ids only evicts decisions, whose
 * fragments are then dropped, as under any flood) */
/* The protocol is part of an IPv4 packet's identity (RFC 791 3.2); an
 * IPv6 packet is its source, destination and id (RFC 8200 4.5), and the
 * protocol a first fragment shows (past the extension headers of its
 * fragmentable part) is not the one its later fragments show. */
static uint8_t
frag_key_proto(const struct pkt_info *pi)
{
	return pi->family == AF_INET ? pi->proto : 0;
}

static uint32_t
frag_hash(const struct pkt_info *pi)
{
	size_t alen = pi->family == AF_INET ? 4 : 16, i;
	uint32_t h = 2166136261u;

	h = (h ^ pi->family) * 16777619u;
	h = (h ^ frag_key_proto(pi)) * 16777619u;
	for (i = 0; i < 4; i++)
		h = (h ^ ((pi->frag_id >> (8 * i)) & 0xff)) * 16777619u;
	for (i = 0; i < alen; i++)
		h = (h ^ pi->src[i]) * 16777619u;
	for (i = 0; i < alen; i++)
		h = (h ^ pi->dst[i]) * 16777619u;
	return h;
}

static bool
frag_key_eq(const struct frag_ent *e, const struct pkt_info *pi)
{
	size_t alen = pi->family == AF_INET ? 4 : 16;

	return e->id == pi->frag_id && e->family == pi->family && e->proto == frag_key_proto(pi) &&
	       memcmp(e->src, pi->src, alen) == 0 && memcmp(e->dst, pi->dst, alen) == 0;
}

static struct frag_ent *
frag_bucket(struct frag_tab *t, const struct pkt_info *pi)
{
	return &t->ent[(frag_hash(pi) % (FRAG_SLOTS / FRAG_WAYS)) * FRAG_WAYS];
}

void
frag_tab_put(struct frag_tab *t, const struct pkt_info *pi, uint64_t value, uint64_t now_ms)
{
	struct frag_ent *b = frag_bucket(t, pi), *e = NULL;
	size_t alen = pi->family == AF_INET ? 4 : 16;
	int i;

	for (i = 0; i < FRAG_WAYS; i++) {
		if (b[i].expires_ms > now_ms && frag_key_eq(&b[i], pi)) {
			e = &b[i]; /* the same packet again (a duplicate first fragment) */
			break;
		}
		if (b[i].expires_ms <= now_ms && e == NULL)
			e = &b[i]; /* free or expired */
	}
	if (e == NULL) {
		/* all live: the one that expires first goes */
		e = &b[0];
		for (i = 1; i < FRAG_WAYS; i++)
			if (b[i].expires_ms < e->expires_ms)
				e = &b[i];
		t->evictions++;
	}
	memset(e, 0, sizeof(*e));
	e->expires_ms = now_ms + FRAG_TTL_MS;
	e->id = pi->frag_id;
	e->value = value;
	e->family = pi->family;
	e->proto = frag_key_proto(pi);
	memcpy(e->src, pi->src, alen);
	memcpy(e->dst, pi->dst, alen);
}

bool
frag_tab_get(struct frag_tab *t, const struct pkt_info *pi, uint64_t *value, uint64_t now_ms)
{
	struct frag_ent *b = frag_bucket(t, pi);
	int i;

	for (i = 0; i < FRAG_WAYS; i++) {
		if (b[i].expires_ms > now_ms && frag_key_eq(&b[i], pi)) {
			b[i].expires_ms = now_ms + FRAG_TTL_MS;
			*value = b[i].value;
			return true;
		}
	}
	return false;
}

/* ---- selectors ---- */

static int
addr_cmp(const uint8_t *a, const uint8_t *b, size_t n)
{
	return memcmp(a, b, n);
}

bool
pkt_ts_match(const struct dp_ts *ts, uint8_t family, const uint8_t *addr, uint8_t proto,
    uint16_t port, bool has_port)
{
	size_t alen = family == AF_INET ? 4 : 16;

	if (ts->family != family)
		return false;
	if (ts->proto != 0 && ts->proto != proto)
		return false;
	if (addr_cmp(addr, ts->addr_lo.u.b, alen) < 0 || addr_cmp(addr, ts->addr_hi.u.b, alen) > 0)
		return false;
	if (ts->port_lo == 0 && ts->port_hi == 0xffff)
		return true;
	/* RFC 7296 3.13.1: a port range other than "any" needs the port */
	if (!has_port)
		return false;
	return port >= ts->port_lo && port <= ts->port_hi;
}

/* ---- ICMP too big ---- */

static bool
is_multicast(uint8_t family, const uint8_t *a)
{
	if (family == AF_INET)
		return (a[0] & 0xf0) == 0xe0 ||
		       (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255);
	return a[0] == 0xff;
}

size_t
pkt_icmp_too_big(uint8_t *out, size_t cap, const uint8_t *orig, size_t orig_len, uint32_t mtu,
    const struct dp_addr *src)
{
	struct pkt_info pi;
	size_t quote, total;
	uint64_t sum;

	if (pkt_parse(orig, orig_len, &pi) < 0 || pi.icmp_error || pi.later_frag)
		return 0;
	if (is_multicast(pi.family, pi.dst) || is_multicast(pi.family, pi.src))
		return 0;
	if (src == NULL || src->family != pi.family)
		return 0;
	if (pi.family == AF_INET) {
		/* RFC 1812 4.3.2.3: quote as much as fits in 576 bytes */
		quote = pi.len < 576 - IP4_HL - ICMP_HL ? pi.len : 576 - IP4_HL - ICMP_HL;
		total = IP4_HL + ICMP_HL + quote;
		if (cap < total)
			return 0;
		memset(out, 0, IP4_HL + ICMP_HL);
		out[0] = 0x45;
		out[1] = 0xc0; /* internetwork control */
		wr_be16(out + 2, (uint16_t)total);
		out[8] = 64;
		out[9] = IPPROTO_ICMP;
		memcpy(out + 12, &src->u.v4, 4);
		memcpy(out + 16, pi.src, 4);
		pkt_ip4_csum(out);
		out[IP4_HL] = 3;     /* destination unreachable */
		out[IP4_HL + 1] = 4; /* fragmentation needed and DF set */
		wr_be16(out + IP4_HL + 6, (uint16_t)(mtu > 0xffff ? 0xffff : mtu));
		memcpy(out + IP4_HL + ICMP_HL, orig, quote);
		store_csum(out + IP4_HL + 2, pkt_csum_add(0, out + IP4_HL, ICMP_HL + quote));
		return total;
	}
	/* RFC 4443 2.4(c): as much of the original as fits in 1280 bytes */
	quote = pi.len < 1280 - IP6_HL - ICMP_HL ? pi.len : 1280 - IP6_HL - ICMP_HL;
	total = IP6_HL + ICMP_HL + quote;
	if (cap < total)
		return 0;
	memset(out, 0, IP6_HL + ICMP_HL);
	out[0] = 0x60;
	wr_be16(out + 4, (uint16_t)(ICMP_HL + quote));
	out[6] = IPPROTO_ICMPV6;
	out[7] = 64;
	memcpy(out + 8, &src->u.v6, 16);
	memcpy(out + 24, pi.src, 16);
	out[IP6_HL] = 2; /* packet too big */
	wr_be32(out + IP6_HL + 4, mtu < 1280 ? 1280 : mtu);
	memcpy(out + IP6_HL + ICMP_HL, orig, quote);
	sum = pkt_pseudo_sum(
	    AF_INET6, out + 8, out + 24, IPPROTO_ICMPV6, (uint32_t)(ICMP_HL + quote));
	store_csum(out + IP6_HL + 2, pkt_csum_add(sum, out + IP6_HL, ICMP_HL + quote));
	return total;
}

/* ---- ICMP error rate limit ---- */

void
pkt_tb_init(struct pkt_tbucket *tb, uint32_t rate, uint32_t burst, uint64_t now_ms)
{
	tb->last_ms = now_ms;
	tb->tokens = burst;
	tb->rate = rate;
	tb->burst = burst;
}

bool
pkt_tb_take(struct pkt_tbucket *tb, uint64_t now_ms)
{
	if (now_ms > tb->last_ms) {
		uint64_t dt = now_ms - tb->last_ms;
		/* whole tokens only; last_ms stays until one is earned, so
		 * frequent calls do not lose the fractions */
		uint64_t add = dt > 3600000 ? tb->burst : dt * tb->rate / 1000;

		if (add > 0) {
			tb->tokens =
			    (uint32_t)(tb->tokens + add > tb->burst ? tb->burst : tb->tokens + add);
			tb->last_ms = now_ms;
		}
	} else if (now_ms < tb->last_ms) {
		tb->last_ms = now_ms; /* a clock that went back: start over from here */
	}
	if (tb->tokens == 0)
		return false;
	tb->tokens--;
	return true;
}

void
pkt_tb_refund(struct pkt_tbucket *tb)
{
	if (tb->tokens < tb->burst)
		tb->tokens++;
}

/* ---- IPv4 fragmentation ---- */

/*
 * The options of the pieces after the first: those of opt[0..n) with the
 * copied flag, in order, padded with EOL. NOP and the other uncopied
 * options are left out; EOL ends the list. -EBADMSG when an option's
 * length is below 2 or runs past the header.
 */
static int
frag4_opts(const uint8_t *opt, size_t n, uint8_t *out, uint8_t *outlen)
{
	size_t i = 0, o = 0, olen;

	while (i < n) {
		uint8_t type = opt[i];

		if (type == 0) /* EOL */
			break;
		if (type == 1) { /* NOP: not copied */
			i++;
			continue;
		}
		if (i + 1 >= n)
			return -EBADMSG;
		olen = opt[i + 1];
		if (olen < 2 || olen > n - i)
			return -EBADMSG;
		if ((type & 0x80) != 0) {
			memcpy(out + o, opt + i, olen); /* o + olen <= i + olen <= n */
			o += olen;
		}
		i += olen;
	}
	while (o % 4 != 0)
		out[o++] = 0; /* EOL */
	*outlen = (uint8_t)o;
	return 0;
}

int
frag4_init(struct frag4_iter *it, const uint8_t *p, size_t len, size_t mtu)
{
	struct pkt_info pi;
	uint8_t olen;

	if (pkt_parse(p, len, &pi) < 0 || pi.family != AF_INET || pi.l3len > IP4_HL + 40)
		return -EBADMSG;
	if (mtu < (size_t)pi.l3len + 8)
		return -EMSGSIZE;
	memset(it, 0, sizeof(*it));
	if (frag4_opts(p + IP4_HL, pi.l3len - IP4_HL, it->opt2, &olen) < 0)
		return -EBADMSG;
	it->p = p;
	it->len = pi.len;
	it->hl = pi.l3len;
	it->hl2 = (uint8_t)(IP4_HL + olen);
	it->off = pi.l3len;
	it->mtu = mtu;
	it->base_off = be16(p + 6) & 0x1fff;
	it->base_mf = (p[6] & 0x20) != 0;
	return 0;
}

size_t
frag4_next(struct frag4_iter *it, uint8_t *out, size_t cap)
{
	size_t data, room, total;
	uint16_t fo;
	bool last;

	size_t hl = it->off == it->hl ? it->hl : it->hl2; /* the first piece: all options */

	if (it->off >= it->len)
		return 0;
	room = ((it->mtu - hl) / 8) * 8;
	data = it->len - it->off;
	last = data <= room;
	if (!last)
		data = room;
	total = hl + data;
	if (cap < total)
		return 0;
	if (hl == it->hl) {
		memcpy(out, it->p, hl);
	} else {
		memcpy(out, it->p, IP4_HL);
		memcpy(out + IP4_HL, it->opt2, hl - IP4_HL);
		out[0] = (uint8_t)(0x40 | hl / 4);
	}
	memcpy(out + hl, it->p + it->off, data);
	wr_be16(out + 2, (uint16_t)total);
	fo = (uint16_t)(it->base_off + (it->off - it->hl) / 8);
	if (!last || it->base_mf)
		fo |= 0x2000;                   /* MF */
	fo |= (uint16_t)((out[6] & 0x40) << 8); /* keep DF as it was (clear here) */
	wr_be16(out + 6, fo);
	pkt_ip4_csum(out);
	it->off += data;
	return total;
}

/* ---- checksum offload and TSO ---- */

int
pkt_csum_finish(uint8_t *p, size_t len, uint16_t start, uint16_t off)
{
	uint16_t c;

	if ((size_t)start + off + 2 > len)
		return -EBADMSG;
	c = (uint16_t)~pkt_csum_fold(pkt_csum_add(0, p + start, len - start));
	if (off == 6 && c == 0)
		c = 0xffff; /* UDP: 0 means "no checksum" */
	memcpy(p + start + off, &c, 2);
	return 0;
}

int
gso_iter_init(struct gso_iter *it, const struct virtio_net_hdr *vh, const uint8_t *p, size_t len)
{
	uint8_t gt = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	size_t l3, thl;

	memset(it, 0, sizeof(*it));
	if (gt != VIRTIO_NET_HDR_GSO_TCPV4 && gt != VIRTIO_NET_HDR_GSO_TCPV6)
		return -EOPNOTSUPP;
	if (vh->gso_size == 0)
		return -EBADMSG;
	if (gt == VIRTIO_NET_HDR_GSO_TCPV4) {
		if (len < IP4_HL || (p[0] >> 4) != 4)
			return -EBADMSG;
		l3 = (size_t)(p[0] & 0x0f) * 4;
		if (l3 < IP4_HL || p[9] != IPPROTO_TCP)
			return -EOPNOTSUPP;
		it->family = AF_INET;
		it->id = be16(p + 4);
	} else {
		if (len < IP6_HL || (p[0] >> 4) != 6)
			return -EBADMSG;
		l3 = IP6_HL;
		if (p[6] != IPPROTO_TCP)
			return -EOPNOTSUPP; /* extension headers: not produced by Linux TSO */
		it->family = AF_INET6;
	}
	if (len < l3 + TCP_HL)
		return -EBADMSG;
	thl = (size_t)(p[l3 + 12] >> 4) * 4;
	if (thl < TCP_HL || len < l3 + thl)
		return -EBADMSG;
	it->p = p;
	it->len = len; /* the IP length field of a TSO packet may be stale */
	it->l3len = (uint16_t)l3;
	it->hlen = (uint16_t)(l3 + thl);
	it->mss = vh->gso_size;
	it->off = l3 + thl;
	it->seq = be32(p + l3 + 4);
	return 0;
}

size_t
gso_iter_next(struct gso_iter *it, uint8_t *out, size_t cap)
{
	size_t data, total;
	uint8_t *tcp, flags;
	uint64_t sum, psum;
	bool first, last;

	/* a header-only packet still yields itself once */
	if (it->off >= it->len && it->idx > 0)
		return 0;
	data = it->len - it->off;
	if (data > it->mss)
		data = it->mss;
	total = (size_t)it->hlen + data;
	if (cap < total)
		return 0;
	first = it->idx == 0;
	last = it->off + data >= it->len;
	memcpy(out, it->p, it->hlen);
	/* the payload's checksum comes with the copy; the header is summed below */
	psum = csum_copy(out + it->hlen, it->p + it->off, data, 0);
	if (it->family == AF_INET) {
		wr_be16(out + 2, (uint16_t)total);
		wr_be16(out + 4, (uint16_t)(it->id + it->idx));
		pkt_ip4_csum(out);
	} else {
		wr_be16(out + 4, (uint16_t)(total - IP6_HL));
	}
	tcp = out + it->l3len;
	wr_be32(tcp + 4, it->seq + (uint32_t)(it->off - it->hlen));
	flags = tcp[13];
	if (!last)
		flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
	if (!first)
		flags &= (uint8_t)~TCP_CWR;
	tcp[13] = flags;
	tcp[16] = tcp[17] = 0;
	sum = pkt_pseudo_sum(it->family, it->family == AF_INET ? out + 12 : out + 8,
	    it->family == AF_INET ? out + 16 : out + 24, IPPROTO_TCP,
	    (uint32_t)(total - it->l3len));
	/* TCP header lengths are multiples of 4: the payload sum stays aligned */
	sum = pkt_csum_add(sum, tcp, (size_t)it->hlen - it->l3len);
	if ((it->hlen - it->l3len) % 2 != 0)
		return 0; /* cannot happen: data offset counts 32-bit words */
	store_csum(tcp + 16, add64(sum, psum));
	it->off += data;
	it->idx++;
	return total;
}

/* ---- GRO ---- */

void
gro_init(struct gro *g, int (*out)(void *arg, struct iovec *iov, int iovcnt), void *arg)
{
	memset(g, 0, sizeof(*g));
	g->out = out;
	g->arg = arg;
}

static int
gro_emit_single(struct gro *g, uint8_t *pkt, size_t len)
{
	struct virtio_net_hdr vh;
	struct iovec iov[2];

	memset(&vh, 0, sizeof(vh));
	iov[0].iov_base = &vh;
	iov[0].iov_len = sizeof(vh);
	iov[1].iov_base = pkt;
	iov[1].iov_len = len;
	g->packets_out++;
	return g->out(g->arg, iov, 2);
}

static int
gro_flush_slot(struct gro *g, struct gro_slot *s)
{
	uint8_t *ip = s->pkt, *tcp = s->pkt + s->l3len;
	uint64_t sum;
	uint16_t c;
	int rc;

	if (!s->used)
		return 0;
	s->used = false;
	if (s->nseg == 1)
		return gro_emit_single(g, s->pkt, s->iov[1].iov_len);
	if (s->family == AF_INET) {
		wr_be16(ip + 2, (uint16_t)s->total);
		pkt_ip4_csum(ip);
	} else {
		wr_be16(ip + 4, (uint16_t)(s->total - IP6_HL));
	}
	if (s->psh)
		tcp[13] |= TCP_PSH;
	/* CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum */
	sum = pkt_pseudo_sum(s->family, s->family == AF_INET ? ip + 12 : ip + 8,
	    s->family == AF_INET ? ip + 16 : ip + 24, IPPROTO_TCP, s->total - s->l3len);
	c = pkt_csum_fold(sum);
	memcpy(tcp + 16, &c, 2);
	memset(&s->vh, 0, sizeof(s->vh));
	s->vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	s->vh.gso_type = s->family == AF_INET ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
	s->vh.hdr_len = s->hlen;
	s->vh.gso_size = s->mss;
	s->vh.csum_start = s->l3len;
	s->vh.csum_offset = 16;
	s->iov[0].iov_base = &s->vh;
	s->iov[0].iov_len = sizeof(s->vh);
	g->packets_out++;
	rc = g->out(g->arg, s->iov, (int)s->nseg + 1);
	return rc;
}

int
gro_flush(struct gro *g)
{
	int rc = 0, r;
	unsigned i;

	for (i = 0; i < GRO_SLOTS; i++) {
		r = gro_flush_slot(g, &g->slot[i]);
		if (r < 0 && rc == 0)
			rc = r;
	}
	return rc;
}

/* Same flow: addresses and ports. */
static bool
same_flow(const struct gro_slot *s, const uint8_t *p, uint16_t l3len)
{
	const uint8_t *q = s->pkt;
	size_t alen = s->family == AF_INET ? 8 : 32;
	size_t aoff = s->family == AF_INET ? 12 : 8;

	if ((p[0] >> 4) != (q[0] >> 4) || l3len != s->l3len)
		return false;
	return memcmp(p + aoff, q + aoff, alen) == 0 && memcmp(p + l3len, q + s->l3len, 4) == 0;
}

/* Everything but length, id, checksum and sequence number must match. */
static bool
headers_compatible(const struct gro_slot *s, const uint8_t *p)
{
	const uint8_t *q = s->pkt, *tp = p + s->l3len, *tq = q + s->l3len;
	uint8_t fp = tp[13] & (uint8_t)~TCP_PSH, fq = tq[13] & (uint8_t)~TCP_PSH;

	if (s->family == AF_INET) {
		if (p[1] != q[1] || p[6] != q[6] || p[8] != q[8]) /* tos, DF, ttl */
			return false;
	} else {
		if (memcmp(p, q, 4) != 0 || p[7] != q[7]) /* tc, flow label, hop limit */
			return false;
	}
	if (memcmp(tp + 8, tq + 8, 4) != 0 || tp[12] != tq[12] || fp != fq ||
	    memcmp(tp + 14, tq + 14, 2) != 0) /* ack, data offset, flags, window */
		return false;
	return memcmp(tp + TCP_HL, tq + TCP_HL, s->hlen - s->l3len - TCP_HL) == 0; /* options */
}

int
gro_add(struct gro *g, uint8_t *pkt, size_t len)
{
	struct gro_slot *s = NULL, *free_slot = NULL;
	struct pkt_info pi;
	size_t thl, payload;
	uint8_t flags;
	unsigned i;
	int rc;

	g->packets_in++;
	if (pkt_parse(pkt, len, &pi) < 0)
		return gro_emit_single(g, pkt, len);
	len = pi.len;
	for (i = 0; i < GRO_SLOTS; i++) {
		if (g->slot[i].used && pi.proto == IPPROTO_TCP &&
		    same_flow(&g->slot[i], pkt, pi.l3len))
			s = &g->slot[i];
		else if (!g->slot[i].used && free_slot == NULL)
			free_slot = &g->slot[i];
	}
	if (pi.proto != IPPROTO_TCP || pi.frag || (size_t)pi.l3len + TCP_HL > len ||
	    (pi.family == AF_INET && (pi.l3len != IP4_HL || !pi.df)) ||
	    (pi.family == AF_INET6 && pi.l3len != IP6_HL))
		goto alone;
	thl = (size_t)(pkt[pi.l3len + 12] >> 4) * 4;
	if (thl < TCP_HL || pi.l3len + thl > len)
		goto alone;
	payload = len - pi.l3len - thl;
	flags = pkt[pi.l3len + 13];
	if (payload == 0 || (flags & ~(TCP_ACK | TCP_PSH)) != 0 || !(flags & TCP_ACK))
		goto alone;

	if (s != NULL) {
		uint32_t seq = be32(pkt + pi.l3len + 4);

		if (!s->closed && seq == s->next_seq && payload <= s->mss &&
		    s->hlen == pi.l3len + thl && s->nseg < GRO_MAX_SEGS &&
		    s->total + payload <= 0xffff && headers_compatible(s, pkt)) {
			s->iov[s->nseg + 1].iov_base = pkt + pi.l3len + thl;
			s->iov[s->nseg + 1].iov_len = payload;
			s->nseg++;
			s->total += (uint32_t)payload;
			s->next_seq += (uint32_t)payload;
			if (payload < s->mss || (flags & TCP_PSH)) {
				s->closed = true;
				s->psh = (flags & TCP_PSH) != 0;
			}
			return 0;
		}
		if ((rc = gro_flush_slot(g, s)) < 0)
			return rc;
		free_slot = s;
	}
	if (free_slot == NULL) {
		if ((rc = gro_flush(g)) < 0)
			return rc;
		free_slot = &g->slot[0];
	}
	s = free_slot;
	s->used = true;
	s->family = pi.family;
	s->l3len = pi.l3len;
	s->hlen = (uint16_t)(pi.l3len + thl);
	s->mss = (uint16_t)payload;
	s->nseg = 1;
	s->total = (uint32_t)len;
	s->pkt = pkt;
	s->next_seq = be32(pkt + pi.l3len + 4) + (uint32_t)payload;
	s->psh = (flags & TCP_PSH) != 0;
	s->closed = s->psh;
	s->iov[1].iov_base = pkt;
	s->iov[1].iov_len = len;
	return 0;
alone:
	/* keep the flow's order: what was queued for it goes first */
	if (s != NULL && (rc = gro_flush_slot(g, s)) < 0)
		return rc;
	return gro_emit_single(g, pkt, len);
}
