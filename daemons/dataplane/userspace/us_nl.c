/* SPDX-License-Identifier: MIT */
/*
 * us_nl: the rtnetlink requests of the userspace backend (link state of
 * st0 and of the unit address devices, unit addresses, routes into st0,
 * policy-routing rules), over libmnl.
 * Every request asks for an ACK with extended ACK text, matched on
 * sequence number and port id; the kernel's reason lands in the errbuf.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "us.h"

#define NL_BUF       8192 /* fixed, see STYLE.md §8 */
#define RTPROT_CAIRN 196

struct nl {
	struct mnl_socket *sk;
	uint32_t portid, seq;
};

struct nl *
nl_open(struct errbuf *err)
{
	struct nl *n = calloc(1, sizeof(*n));
	int one = 1;

	if (n == NULL) {
		errbuf_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	n->sk = mnl_socket_open(NETLINK_ROUTE);
	if (n->sk == NULL || mnl_socket_bind(n->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		errbuf_set(err, -errno, "rtnetlink socket: %s", strerror(errno));
		nl_close(n);
		return NULL;
	}
	mnl_socket_setsockopt(n->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(n->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	n->portid = mnl_socket_get_portid(n->sk);
	n->seq = (uint32_t)time(NULL);
	return n;
}

void
nl_close(struct nl *n)
{
	if (n == NULL)
		return;
	if (n->sk != NULL)
		mnl_socket_close(n->sk);
	free(n);
}

struct ack {
	int error;
	char msg[160];
};

static int
ext_ack_attr(const struct nlattr *a, void *data)
{
	struct ack *ack = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
		snprintf(ack->msg, sizeof(ack->msg), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

/* NLMSG_ERROR: the error code and, with NLM_F_ACK_TLVS, the kernel's text. */
static int
ack_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ack *ack = data;
	const struct nlmsgerr *e;
	size_t off;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		ack->error = -EBADMSG;
		return MNL_CB_ERROR;
	}
	e = mnl_nlmsg_get_payload(nlh);
	ack->error = e->error;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (off <= mnl_nlmsg_get_payload_len(nlh))
			mnl_attr_parse(nlh, (unsigned int)off, ext_ack_attr, ack);
	}
	return MNL_CB_STOP;
}

static int
nl_transact(struct nl *n, struct nlmsghdr *nlh, struct errbuf *err, const char *what)
{
	uint8_t buf[NL_BUF];
	struct ack ack;
	ssize_t len;
	int rc;
	mnl_cb_t ctl[NLMSG_MIN_TYPE];

	memset(ctl, 0, sizeof(ctl));
	ctl[NLMSG_ERROR] = ack_cb;
	memset(&ack, 0, sizeof(ack));
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++n->seq;
	if (mnl_socket_sendto(n->sk, nlh, nlh->nlmsg_len) < 0)
		return errbuf_set(err, -errno, "%s: netlink send: %s", what, strerror(errno));
	for (;;) {
		len = mnl_socket_recvfrom(n->sk, buf, sizeof(buf));
		if (len < 0)
			return errbuf_set(
			    err, -errno, "%s: netlink receive: %s", what, strerror(errno));
		errno = 0;
		rc = mnl_cb_run2(
		    buf, (size_t)len, nlh->nlmsg_seq, n->portid, NULL, &ack, ctl, NLMSG_MIN_TYPE);
		if (rc == MNL_CB_STOP || ack.error != 0)
			break; /* our ACK (or a malformed one) */
		if (rc == MNL_CB_OK)
			continue;
		if (errno == ESRCH || errno == EPROTO)
			continue; /* a stale reply from an earlier request */
		return errbuf_set(err, errno ? -errno : -EBADMSG, "%s: netlink: %s", what,
		    strerror(errno ? errno : EBADMSG));
	}
	if (ack.error != 0) {
		if (ack.msg[0] != '\0')
			return errbuf_set(
			    err, ack.error, "%s: %s (%s)", what, strerror(-ack.error), ack.msg);
		return errbuf_set(err, ack.error, "%s: %s", what, strerror(-ack.error));
	}
	return 0;
}

static size_t
alen(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

static int
link_req(struct nl *n, int ifindex, bool up, uint32_t mtu, uint32_t txqlen, const char *what,
    struct errbuf *err)
{
	uint8_t buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (txqlen != 0)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, txqlen);
	return nl_transact(n, nlh, err, what);
}

int
nl_link_set(struct nl *n, int ifindex, bool up, uint32_t mtu, struct errbuf *err)
{
	return link_req(n, ifindex, up, mtu, 0, "st0 link", err);
}

/* Up, with a transmit queue of txqlen packets (what names the device). */
int
nl_link_up_txqlen(struct nl *n, int ifindex, uint32_t txqlen, const char *what, struct errbuf *err)
{
	return link_req(n, ifindex, true, 0, txqlen, what, err);
}

int
nl_addr(struct nl *n, bool add, int ifindex, const struct dp_prefix *p, struct errbuf *err)
{
	uint8_t buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	if (add)
		nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = p->addr.family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	if (p->addr.family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, alen(p->addr.family), p->addr.u.b);
	mnl_attr_put(nlh, IFA_ADDRESS, alen(p->addr.family), p->addr.u.b);
	/* the unit's subnet route is ours: it carries the unit MTU */
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NOPREFIXROUTE | (uint32_t)ifa->ifa_flags);
	return nl_transact(n, nlh, err, add ? "st0 address add" : "st0 address delete");
}

int
nl_route(struct nl *n, bool add, const struct nl_route *r, struct errbuf *err)
{
	uint8_t buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	struct nlattr *nest;

	nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	if (add)
		nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->dst.addr.family;
	rtm->rtm_dst_len = r->dst.len;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_CAIRN;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_scope = r->gw.family != 0 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	if (r->gw.family != 0)
		rtm->rtm_flags = RTNH_F_ONLINK;
	if (r->table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->dst.len > 0)
		mnl_attr_put(nlh, RTA_DST, alen(r->dst.addr.family), r->dst.addr.u.b);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->ifindex);
	if (r->gw.family != 0)
		mnl_attr_put(nlh, RTA_GATEWAY, alen(r->gw.family), r->gw.u.b);
	if (r->prefsrc.family == r->dst.addr.family)
		mnl_attr_put(nlh, RTA_PREFSRC, alen(r->prefsrc.family), r->prefsrc.u.b);
	if (r->metric != 0)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	if (add && r->mtu != 0) {
		nest = mnl_attr_nest_start(nlh, RTA_METRICS);
		mnl_attr_put_u32(nlh, RTAX_MTU, r->mtu);
		mnl_attr_nest_end(nlh, nest);
	}
	return nl_transact(n, nlh, err, add ? "route into st0" : "route delete");
}

int
nl_rule(struct nl *n, bool add, const struct nl_rule *r, struct errbuf *err)
{
	uint8_t buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;
	struct fib_rule_port_range pr;

	nlh->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
	if (add)
		nlh->nlmsg_flags = NLM_F_CREATE | (r->shared ? 0 : NLM_F_EXCL);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = r->family;
	frh->src_len = r->src.len;
	frh->dst_len = r->dst.len;
	frh->action = r->action != 0 ? r->action : FR_ACT_TO_TBL;
	if (frh->action == FR_ACT_TO_TBL) {
		frh->table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
		mnl_attr_put_u32(nlh, FRA_TABLE, r->table);
	}
	if (frh->action == FR_ACT_GOTO)
		mnl_attr_put_u32(nlh, FRA_GOTO, r->goto_prio);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, r->priority);
	if (r->mark_mask != 0) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, r->mark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, r->mark_mask);
	}
	if (r->src.len > 0)
		mnl_attr_put(nlh, FRA_SRC, alen(r->family), r->src.addr.u.b);
	if (r->dst.len > 0)
		mnl_attr_put(nlh, FRA_DST, alen(r->family), r->dst.addr.u.b);
	if (r->proto != 0)
		mnl_attr_put_u8(nlh, FRA_IP_PROTO, r->proto);
	if (r->sport_lo != 0 || r->sport_hi != 0xffff) {
		pr.start = r->sport_lo;
		pr.end = r->sport_hi;
		mnl_attr_put(nlh, FRA_SPORT_RANGE, sizeof(pr), &pr);
	}
	if (r->dport_lo != 0 || r->dport_hi != 0xffff) {
		pr.start = r->dport_lo;
		pr.end = r->dport_hi;
		mnl_attr_put(nlh, FRA_DPORT_RANGE, sizeof(pr), &pr);
	}
	return nl_transact(n, nlh, err, add ? "policy rule" : "policy rule delete");
}

int
nl_rule_flush_table(
    struct nl *n, uint8_t family, uint32_t table, unsigned *n_deleted, struct errbuf *err)
{
	uint8_t buf[NL_BUF];
	struct errbuf why;
	unsigned k;
	int rc;

	*n_deleted = 0;
	/* a delete with only the table (no FRA_PRIORITY: any priority)
	 * removes the first such rule; one at a time until none is left.
	 * Bounded: the kernel has at most what was added. */
	for (k = 0; k < 1000000; k++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct fib_rule_hdr *frh;

		nlh->nlmsg_type = RTM_DELRULE;
		frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
		frh->family = family;
		frh->action = FR_ACT_TO_TBL;
		frh->table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
		mnl_attr_put_u32(nlh, FRA_TABLE, table);
		errbuf_clear(&why);
		rc = nl_transact(n, nlh, &why, "stale policy rule delete");
		if (rc == -ENOENT)
			return 0;
		if (rc < 0)
			return errbuf_set(err, rc, "%s", why.msg);
		(*n_deleted)++;
	}
	return errbuf_set(err, -ELOOP, "stale policy rules: still there after %u deletes", k);
}
