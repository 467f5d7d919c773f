/* SPDX-License-Identifier: MIT */
/*
 * us_rtmtu: the route MTU toward the peers, for the outbound SAs' path
 * MTU (docs/dataplane.md §5 step 3). One socket per peer (connect, then
 * IP_MTU) cost about 8 µs of the caller's thread per peer, 80 ms for
 * 10,000 peers every 5 s; here up to RTMTU_CHUNK RTM_GETROUTE requests go
 * in one send on one rtnetlink socket. The kernel answers each while the
 * send runs (route lookups take no lock), so the answers are already
 * queued when the send returns and are read with recvmmsg, without
 * waiting. The output devices' MTUs (for routes with no MTU metric) are
 * asked with RTM_GETLINK and remembered for a second.
 *
 * Equivalence with IP_MTU (net/ipv4/route.c ipv4_mtu, net/ipv6/route.c
 * ip6_mtu): RTM_GETROUTE without RTM_F_FIB_MATCH resolves the route as
 * an output lookup and reports the dst's metrics, in which RTAX_MTU is
 * the unexpired PMTU exception if any, else the route's `mtu`; with
 * none, IPv4 uses the device's MTU (576 if the MTU is locked and the
 * route has a gateway) and IPv6 the device's mtu6. connect() of an
 * unbound IPv4 socket looks the route up twice, the second time from the
 * source address the first chose (ip_route_connect), so that policy rules
 * on the source apply: an IPv4 answer with RTA_PREFSRC is asked again
 * with that RTA_SRC (IPv6 connect() keeps its first lookup). Not covered:
 * lightweight-tunnel headroom (a route with `encap`) and policy rules
 * that match on the UDP port the old socket used (9).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/ipv6.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include "hmap.h"
#include "rd.h"
#include "us_rtmtu.h"

#define REPLY_SLOT  1024  /* one RTM_NEWROUTE answer (about 150-250 bytes) */
#define LINK_BUF    32768 /* one RTM_NEWLINK answer (stats included) */
#define REQ_BUF     8192  /* RTMTU_CHUNK requests of at most 56 bytes */
#define LINKS_MAX   32    /* output devices remembered */
#define LINK_SECS   1     /* for at most this long (a device's MTU changes rarely) */
#define CACHE_MIN   1024  /* slots; doubles at half full */
#define RCVBUF      (4 << 20)
#define MTU_DEFAULT 1500
#define MTU_FLOOR   576

struct ent {
	struct dp_addr peer; /* family 0: free slot */
	uint32_t mtu;
	time_t at;
};

struct rtmtu {
	struct mnl_socket *sk;
	uint32_t portid, seq;
	struct ent *tab;
	size_t mask, n; /* slots - 1, used */
	uint8_t *slots; /* RTMTU_CHUNK * REPLY_SLOT */
	struct mmsghdr *mm;
	struct iovec *iov;
	uint8_t *linkbuf;
	struct rtmtu_link links[LINKS_MAX];
	size_t nlinks;
	time_t links_at; /* when links[] was started */
};

static time_t
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

/* ---- cache: open addressing, linear probing ---- */

static size_t
ent_hash(const struct dp_addr *a)
{
	return (size_t)hmap_bytes(a->u.b, dp_addr_len(a->family), a->family);
}

static bool
ent_is(const struct ent *e, const struct dp_addr *a)
{
	return dp_addr_eq(&e->peer, a);
}

static struct ent *
ent_find(const struct rtmtu *r, const struct dp_addr *a)
{
	size_t i = ent_hash(a) & r->mask;

	while (r->tab[i].peer.family != 0) {
		if (ent_is(&r->tab[i], a))
			return &r->tab[i];
		i = (i + 1) & r->mask;
	}
	return NULL;
}

/* Moves the entries asked at or after `keep` into a table of `slots`; 0 or -ENOMEM. */
static int
tab_rebuild(struct rtmtu *r, size_t slots, time_t keep)
{
	struct ent *old = r->tab, *t = calloc(slots, sizeof(*t));
	size_t i, j, oldn = r->mask + 1;

	if (t == NULL)
		return -ENOMEM;
	r->tab = t;
	r->mask = slots - 1;
	r->n = 0;
	for (i = 0; old != NULL && i < oldn; i++) {
		if (old[i].peer.family == 0 || old[i].at < keep)
			continue;
		j = ent_hash(&old[i].peer) & r->mask;
		while (t[j].peer.family != 0)
			j = (j + 1) & r->mask;
		t[j] = old[i];
		r->n++;
	}
	free(old);
	return 0;
}

static void
ent_put(struct rtmtu *r, const struct dp_addr *a, uint32_t mtu, time_t at)
{
	struct ent *e = ent_find(r, a);
	size_t i;

	if (e == NULL) {
		if ((r->n + 1) * 2 > r->mask + 1 && tab_rebuild(r, (r->mask + 1) * 2, 0) < 0)
			return; /* out of memory: not cached */
		i = ent_hash(a) & r->mask;
		while (r->tab[i].peer.family != 0)
			i = (i + 1) & r->mask;
		e = &r->tab[i];
		memset(e, 0, sizeof(*e));
		e->peer.family = a->family;
		memcpy(e->peer.u.b, a->u.b, dp_addr_len(a->family));
		r->n++;
	}
	e->mtu = mtu;
	e->at = at;
}

bool
rtmtu_cached(const struct rtmtu *r, const struct dp_addr *peer, time_t since, uint32_t *mtu)
{
	const struct ent *e = ent_find(r, peer);

	if (e == NULL || e->at < since)
		return false;
	*mtu = e->mtu;
	return true;
}

void
rtmtu_expire(struct rtmtu *r, time_t before)
{
	size_t slots = CACHE_MIN;
	size_t live = 0, i;

	for (i = 0; i <= r->mask; i++)
		live += r->tab[i].peer.family != 0 && r->tab[i].at >= before;
	while (slots < live * 2 + 2)
		slots *= 2;
	if (live == r->n && slots >= r->mask + 1)
		return;                      /* nothing to drop, room enough */
	(void)tab_rebuild(r, slots, before); /* out of memory: the old table stays */
}

size_t
rtmtu_cache_size(const struct rtmtu *r)
{
	return r->n;
}

/* ---- object ---- */

struct rtmtu *
rtmtu_new(void)
{
	struct rtmtu *r = calloc(1, sizeof(*r));
	int one = 1, rcv = RCVBUF, i;

	if (r == NULL)
		return NULL;
	r->slots = malloc((size_t)RTMTU_CHUNK * REPLY_SLOT);
	r->mm = calloc(RTMTU_CHUNK, sizeof(*r->mm));
	r->iov = calloc(RTMTU_CHUNK, sizeof(*r->iov));
	r->linkbuf = malloc(LINK_BUF);
	if (r->slots == NULL || r->mm == NULL || r->iov == NULL || r->linkbuf == NULL ||
	    tab_rebuild(r, CACHE_MIN, 0) < 0) {
		rtmtu_free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->sk = mnl_socket_open(NETLINK_ROUTE);
	if (r->sk == NULL || mnl_socket_bind(r->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		rtmtu_free(r);
		errno = e;
		return NULL;
	}
	/* a chunk's answers are queued before the first is read: room for
	 * them (FORCE needs CAP_NET_ADMIN; else as much as rmem_max allows) */
	if (setsockopt(mnl_socket_get_fd(r->sk), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(r->sk), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	mnl_socket_setsockopt(r->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	r->portid = mnl_socket_get_portid(r->sk);
	r->seq = (uint32_t)time(NULL);
	for (i = 0; i < RTMTU_CHUNK; i++) {
		r->iov[i].iov_base = r->slots + (size_t)i * REPLY_SLOT;
		r->iov[i].iov_len = REPLY_SLOT;
	}
	return r;
}

void
rtmtu_free(struct rtmtu *r)
{
	if (r == NULL)
		return;
	if (r->sk != NULL)
		mnl_socket_close(r->sk);
	free(r->tab);
	free(r->slots);
	free(r->mm);
	free(r->iov);
	free(r->linkbuf);
	free(r);
}

/* ---- parsers ---- */

static int
metrics_attr(const struct nlattr *a, void *data)
{
	struct rtmtu_route *rt = data;

	if (mnl_attr_get_type(a) == RTAX_MTU && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		rt->mtu = mnl_attr_get_u32(a);
	if (mnl_attr_get_type(a) == RTAX_LOCK && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		rt->mtu_locked = (mnl_attr_get_u32(a) & (1u << RTAX_MTU)) != 0;
	return MNL_CB_OK;
}

static int
route_attr(const struct nlattr *a, void *data)
{
	struct rtmtu_route *rt = data;

	switch (mnl_attr_get_type(a)) {
	case RTA_OIF:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			rt->oif = mnl_attr_get_u32(a);
		break;
	case RTA_PREFSRC:
		if (mnl_attr_get_payload_len(a) == sizeof(rt->prefsrc))
			memcpy(rt->prefsrc, mnl_attr_get_payload(a), sizeof(rt->prefsrc));
		break;
	case RTA_GATEWAY:
	case RTA_VIA:
		rt->gateway = true;
		break;
	case RTA_METRICS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) == 0 &&
		    mnl_attr_parse_nested(a, metrics_attr, rt) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

/* The three checks of STYLE.md §4 for one netlink message in (msg, len). */
static const struct nlmsghdr *
one_msg(const uint8_t *msg, size_t len, uint16_t type, size_t hdr)
{
	struct rd r = { msg, len };
	struct nlmsghdr h;

	if (!rd_bytes(&r, &h, sizeof(h)) || h.nlmsg_len < sizeof(h) || h.nlmsg_len > len ||
	    h.nlmsg_type != type || h.nlmsg_len - sizeof(h) < hdr)
		return NULL;
	if (((uintptr_t)msg & 3) != 0)
		return NULL; /* netlink buffers are aligned; the attribute walk needs it */
	return (const struct nlmsghdr *)msg;
}

int
rtmtu_route_parse(const uint8_t *msg, size_t len, struct rtmtu_route *out)
{
	const struct nlmsghdr *nlh = one_msg(msg, len, RTM_NEWROUTE, sizeof(struct rtmsg));

	memset(out, 0, sizeof(*out));
	if (nlh == NULL)
		return -EBADMSG;
	out->family = ((const struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_family;
	if (mnl_attr_parse(nlh, sizeof(struct rtmsg), route_attr, out) < 0)
		return -EBADMSG;
	return 0;
}

static int
inet6_attr(const struct nlattr *a, void *data)
{
	struct rtmtu_link *l = data;

	/* an array of s32 indexed by DEVCONF_* */
	if (mnl_attr_get_type(a) == IFLA_INET6_CONF &&
	    mnl_attr_get_payload_len(a) >= (DEVCONF_MTU6 + 1) * sizeof(int32_t)) {
		int32_t v;
		memcpy(&v, (const uint8_t *)mnl_attr_get_payload(a) + DEVCONF_MTU6 * sizeof(v),
		    sizeof(v));
		l->mtu6 = v > 0 ? (uint32_t)v : 0;
	}
	return MNL_CB_OK;
}

static int
af_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == AF_INET6 && mnl_attr_validate(a, MNL_TYPE_NESTED) == 0 &&
	    mnl_attr_parse_nested(a, inet6_attr, data) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

static int
link_attr(const struct nlattr *a, void *data)
{
	struct rtmtu_link *l = data;

	if (mnl_attr_get_type(a) == IFLA_MTU && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		l->mtu = mnl_attr_get_u32(a);
	if (mnl_attr_get_type(a) == IFLA_AF_SPEC && mnl_attr_validate(a, MNL_TYPE_NESTED) == 0 &&
	    mnl_attr_parse_nested(a, af_attr, l) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

int
rtmtu_link_parse(const uint8_t *msg, size_t len, struct rtmtu_link *out)
{
	const struct nlmsghdr *nlh = one_msg(msg, len, RTM_NEWLINK, sizeof(struct ifinfomsg));
	const struct ifinfomsg *ifi;

	memset(out, 0, sizeof(*out));
	if (nlh == NULL)
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	out->ifindex = ifi->ifi_index > 0 ? (uint32_t)ifi->ifi_index : 0;
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr, out) < 0)
		return -EBADMSG;
	return 0;
}

uint32_t
rtmtu_effective(const struct rtmtu_route *rt, const struct rtmtu_link *link)
{
	uint32_t mtu = rt->mtu;

	if (mtu == 0 && link != NULL) {
		if (rt->family == AF_INET6) {
			mtu = link->mtu6;
		} else {
			mtu = link->mtu;
			/* ipv4_mtu(): a locked MTU with no value, via a gateway */
			if (rt->mtu_locked && rt->gateway && mtu > MTU_FLOOR)
				mtu = MTU_FLOOR;
		}
	}
	if (rt->family == AF_INET && mtu > 0xffff)
		mtu = 0xffff; /* IP_MAX_MTU */
	return mtu < MTU_FLOOR ? MTU_DEFAULT : mtu;
}

/* ---- asking ---- */

/* Puts one RTM_GETROUTE for peer (from src if not NULL: IPv4, 4 bytes) at buf; its length. */
static size_t
put_getroute(uint8_t *buf, uint32_t seq, const struct dp_addr *peer, const uint8_t *src)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = peer->family;
	rtm->rtm_dst_len = (uint8_t)(dp_addr_len(peer->family) * 8);
	mnl_attr_put(nlh, RTA_DST, dp_addr_len(peer->family), peer->u.b);
	if (src != NULL) {
		rtm->rtm_src_len = 32;
		mnl_attr_put(nlh, RTA_SRC, 4, src);
	}
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

/* The device's MTUs: from r->links (at most LINK_SECS old) or asked now and remembered. */
static const struct rtmtu_link *
link_get(struct rtmtu *r, uint32_t ifindex)
{
	uint8_t req[64];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct rtmtu_link l;
	uint32_t seq = ++r->seq;
	ssize_t len;
	size_t i;

	if (now_sec() - r->links_at >= LINK_SECS) {
		r->nlinks = 0;
		r->links_at = now_sec();
	}
	for (i = 0; i < r->nlinks; i++)
		if (r->links[i].ifindex == ifindex)
			return &r->links[i];
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = (int)ifindex;
	if (mnl_socket_sendto(r->sk, nlh, nlh->nlmsg_len) < 0)
		return NULL;
	/* answered during the send; older answers (a chunk's lost ones) are skipped */
	for (;;) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)r->linkbuf;
		len = recv(mnl_socket_get_fd(r->sk), r->linkbuf, LINK_BUF, MSG_DONTWAIT);
		if (len < 0 && errno == ENOBUFS)
			continue;
		if (len < (ssize_t)sizeof(*h))
			return NULL;
		if (h->nlmsg_seq != seq || h->nlmsg_pid != r->portid)
			continue;
		if (rtmtu_link_parse(r->linkbuf, (size_t)len, &l) < 0 || l.ifindex != ifindex)
			return NULL;
		break;
	}
	if (r->nlinks == LINKS_MAX)
		r->nlinks = 0; /* many devices: start over */
	r->links[r->nlinks] = l;
	return &r->links[r->nlinks++];
}

/*
 * One chunk: n <= RTMTU_CHUNK requests in one send (peer i from src[i]
 * when src is not NULL), the answers read with recvmmsg. res[i].family
 * stays 0 for a peer without an answer.
 */
static void
ask_chunk(struct rtmtu *r, const struct dp_addr *peers, const uint8_t (*src)[4], size_t n,
    struct rtmtu_route *res, int *err)
{
	uint8_t req[REQ_BUF];
	uint32_t base = r->seq + 1;
	size_t off = 0, i, got = 0;
	int k, j;

	memset(res, 0, n * sizeof(*res));
	memset(err, 0, n * sizeof(*err));
	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		off += put_getroute(req + off, base + (uint32_t)i, &peers[i], src ? src[i] : NULL);
	r->seq += (uint32_t)n;
	if (mnl_socket_sendto(r->sk, req, off) < 0)
		return;
	while (got < n) {
		for (j = 0; j < RTMTU_CHUNK; j++) {
			memset(&r->mm[j].msg_hdr, 0, sizeof(r->mm[j].msg_hdr));
			r->mm[j].msg_hdr.msg_iov = &r->iov[j];
			r->mm[j].msg_hdr.msg_iovlen = 1;
		}
		k = recvmmsg(mnl_socket_get_fd(r->sk), r->mm, RTMTU_CHUNK, MSG_DONTWAIT, NULL);
		if (k < 0 && errno == ENOBUFS)
			continue; /* answers were lost: those peers stay unanswered */
		if (k <= 0)
			break;
		for (j = 0; j < k; j++) {
			const uint8_t *m = r->iov[j].iov_base;
			size_t len = r->mm[j].msg_len;
			const struct nlmsghdr *h = (const struct nlmsghdr *)m;
			uint32_t idx;

			if (len < sizeof(*h) || (r->mm[j].msg_hdr.msg_flags & MSG_TRUNC) ||
			    h->nlmsg_pid != r->portid)
				continue;
			idx = h->nlmsg_seq - base;
			if (idx >= n)
				continue; /* an earlier chunk's late answer */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
				/* nlmsg_len first: below the header, the payload
				 * length would wrap */
				if (h->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(*e) &&
				    h->nlmsg_len <= len)
					err[idx] = e->error < 0 ? e->error : -EIO;
				got++;
				continue;
			}
			if (rtmtu_route_parse(m, len, &res[idx]) == 0)
				got++;
		}
	}
}

/*
 * connect()'s second lookup (ip_route_connect): the IPv4 answers of
 * res[0..n) that name a source are asked again from it; their answers
 * replace the first (lost ones: res[i].family 0, the socket asks).
 */
static void
again(struct rtmtu *r, const struct dp_addr *peers, size_t n, struct rtmtu_route *res, int *err)
{
	static const uint8_t none[4];
	struct dp_addr p2[RTMTU_CHUNK];
	uint8_t src[RTMTU_CHUNK][4];
	struct rtmtu_route res2[RTMTU_CHUNK];
	int err2[RTMTU_CHUNK];
	size_t ix[RTMTU_CHUNK], m = 0, i;

	for (i = 0; i < n; i++) {
		if (err[i] < 0 || res[i].family != AF_INET || peers[i].family != AF_INET ||
		    !memcmp(res[i].prefsrc, none, sizeof(none)))
			continue;
		p2[m] = peers[i];
		memcpy(src[m], res[i].prefsrc, sizeof(src[m]));
		ix[m++] = i;
	}
	if (m == 0)
		return;
	ask_chunk(r, p2, (const uint8_t(*)[4])src, m, res2, err2);
	for (i = 0; i < m; i++) {
		res[ix[i]] = res2[i];
		err[ix[i]] = err2[i];
	}
}

void
rtmtu_ask(struct rtmtu *r, const struct dp_addr *peers, size_t n, uint32_t *mtu)
{
	struct rtmtu_route res[RTMTU_CHUNK];
	int err[RTMTU_CHUNK];
	size_t c, i;
	time_t at = now_sec();

	for (c = 0; c < n; c += RTMTU_CHUNK) {
		size_t m = n - c < RTMTU_CHUNK ? n - c : RTMTU_CHUNK;

		ask_chunk(r, peers + c, NULL, m, res, err);
		again(r, peers + c, m, res, err);
		for (i = 0; i < m; i++) {
			const struct rtmtu_link *l = NULL;

			if (err[i] < 0) {
				mtu[c + i] = MTU_DEFAULT; /* no route: as connect() failing */
			} else if (res[i].family == 0) {
				mtu[c + i] = rtmtu_ask_sock(&peers[c + i]); /* answer lost */
			} else {
				if (res[i].mtu == 0 && res[i].oif != 0 &&
				    (l = link_get(r, res[i].oif)) == NULL) {
					mtu[c + i] = rtmtu_ask_sock(&peers[c + i]);
					goto put;
				}
				mtu[c + i] = rtmtu_effective(&res[i], l);
			}
		put:
			ent_put(r, &peers[c + i], mtu[c + i], at);
		}
	}
}

uint32_t
rtmtu_get(struct rtmtu *r, const struct dp_addr *peer)
{
	uint32_t mtu;

	if (rtmtu_cached(r, peer, now_sec() - RTMTU_CACHE_SECS + 1, &mtu))
		return mtu;
	rtmtu_ask(r, peer, 1, &mtu);
	return mtu;
}

uint32_t
rtmtu_ask_sock(const struct dp_addr *peer)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, mtu = 0;
	socklen_t ml = sizeof(mtu);

	memset(&ss, 0, sizeof(ss));
	if (peer->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(9);
		sin->sin_addr = peer->u.v4;
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(9);
		sin6->sin6_addr = peer->u.v6;
		sl = sizeof(*sin6);
	}
	fd = socket(peer->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return MTU_DEFAULT;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    getsockopt(fd, peer->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
	        peer->family == AF_INET ? IP_MTU : IPV6_MTU, &mtu, &ml) < 0 ||
	    mtu < MTU_FLOOR)
		mtu = MTU_DEFAULT;
	close(fd);
	return (uint32_t)mtu;
}
