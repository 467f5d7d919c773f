/* SPDX-License-Identifier: MIT */
/*
 * rtnl: rtnetlink requests for st0 units on the kernel dataplane: xfrm
 * interfaces (IFLA_INFO_KIND "xfrm", IFLA_XFRM_IF_ID, IFLA_XFRM_LINK),
 * their addresses, MTU and state, and routes into them.
 */
#include "xfrm.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "banned.h"

static struct nlmsghdr *
put_hdr(uint8_t *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return nlh;
}

int
rtnl_build_xfrmi_add(
    uint8_t *buf, size_t cap, const char *name, uint32_t if_id, uint32_t link, uint32_t mtu)
{
	struct nlmsghdr *nlh;
	struct nlattr *linkinfo, *data;

	if (cap < XFRM_REQ_MAX)
		return -EMSGSIZE;
	if (strlen(name) >= IFNAMSIZ || if_id == 0)
		return -EINVAL;
	nlh = put_hdr(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	if (!mnl_attr_put_strz_check(nlh, cap, IFLA_IFNAME, name))
		return -EMSGSIZE;
	if (mtu && !mnl_attr_put_u32_check(nlh, cap, IFLA_MTU, mtu))
		return -EMSGSIZE;
	if ((linkinfo = mnl_attr_nest_start_check(nlh, cap, IFLA_LINKINFO)) == NULL)
		return -EMSGSIZE;
	if (!mnl_attr_put_strz_check(nlh, cap, IFLA_INFO_KIND, "xfrm"))
		return -EMSGSIZE;
	if ((data = mnl_attr_nest_start_check(nlh, cap, IFLA_INFO_DATA)) == NULL)
		return -EMSGSIZE;
	if (!mnl_attr_put_u32_check(nlh, cap, IFLA_XFRM_IF_ID, if_id) ||
	    !mnl_attr_put_u32_check(nlh, cap, IFLA_XFRM_LINK, link))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return (int)nlh->nlmsg_len;
}

int
rtnl_build_link_set(uint8_t *buf, size_t cap, int ifindex, uint32_t mtu, bool up)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (cap < XFRM_REQ_MAX || ifindex <= 0)
		return -EINVAL;
	nlh = put_hdr(buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu && !mnl_attr_put_u32_check(nlh, cap, IFLA_MTU, mtu))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int
rtnl_build_link_get(uint8_t *buf, size_t cap, const char *name)
{
	struct nlmsghdr *nlh;

	if (cap < XFRM_REQ_MAX || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	nlh = put_hdr(buf, RTM_GETLINK, 0);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	if (!mnl_attr_put_strz_check(nlh, cap, IFLA_IFNAME, name))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int
rtnl_build_link_del(uint8_t *buf, size_t cap, int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (cap < XFRM_REQ_MAX || ifindex <= 0)
		return -EINVAL;
	nlh = put_hdr(buf, RTM_DELLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	return (int)nlh->nlmsg_len;
}

static size_t
alen(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int
rtnl_build_addr(uint8_t *buf, size_t cap, uint16_t type, int ifindex, const struct dp_prefix *p)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t n = alen(p->addr.family);

	if (cap < XFRM_REQ_MAX || n == 0 || ifindex <= 0 || p->len > n * 8)
		return -EINVAL;
	nlh = put_hdr(buf, type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = p->addr.family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	if (!mnl_attr_put_check(nlh, cap, IFA_LOCAL, n, p->addr.u.b) ||
	    !mnl_attr_put_check(nlh, cap, IFA_ADDRESS, n, p->addr.u.b))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int
rtnl_build_route(uint8_t *buf, size_t cap, uint16_t type, const struct dp_prefix *dst, int ifindex,
    const struct dp_addr *nexthop, uint32_t metric, uint32_t table)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	size_t n = alen(dst->addr.family);
	bool gw = nexthop != NULL && nexthop->family != 0;

	if (cap < XFRM_REQ_MAX || n == 0 || ifindex <= 0 || dst->len > n * 8)
		return -EINVAL;
	if (gw && nexthop->family != dst->addr.family)
		return -EINVAL;
	nlh = put_hdr(buf, type, type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->addr.family;
	rtm->rtm_dst_len = dst->len;
	if (table == 0)
		table = RT_TABLE_MAIN;
	/* rtm_table is 8 bits: larger table ids go in RTA_TABLE only */
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (type == RTM_DELROUTE)
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	if ((dst->len && !mnl_attr_put_check(nlh, cap, RTA_DST, n, dst->addr.u.b)) ||
	    !mnl_attr_put_u32_check(nlh, cap, RTA_OIF, (uint32_t)ifindex) ||
	    (gw && !mnl_attr_put_check(nlh, cap, RTA_GATEWAY, n, nexthop->u.b)) ||
	    (metric && !mnl_attr_put_u32_check(nlh, cap, RTA_PRIORITY, metric)) ||
	    !mnl_attr_put_u32_check(nlh, cap, RTA_TABLE, table))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int
rtnl_parse_link(struct rd payload, struct rtnl_link_info *out)
{
	struct ifinfomsg ifi;
	struct rd tb[IFLA_MAX + 1], li[IFLA_INFO_MAX + 1], xd[IFLA_XFRM_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (!rd_bytes(&payload, &ifi, sizeof(ifi)))
		return -EBADMSG;
	out->ifindex = ifi.ifi_index;
	out->flags = ifi.ifi_flags;
	if (nlp_attrs(payload, tb, IFLA_MAX + 1) < 0)
		return -EBADMSG;
	if (nlp_has(tb, IFLA_MTU) && !nlp_u32(&tb[IFLA_MTU], &out->mtu))
		return -EBADMSG;
	if (!nlp_has(tb, IFLA_LINKINFO))
		return 0;
	if (nlp_attrs(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX + 1) < 0)
		return -EBADMSG;
	if (nlp_has(li, IFLA_INFO_KIND))
		nlp_str(&li[IFLA_INFO_KIND], out->kind, sizeof(out->kind));
	if (strcmp(out->kind, "xfrm") == 0 && nlp_has(li, IFLA_INFO_DATA)) {
		if (nlp_attrs(li[IFLA_INFO_DATA], xd, IFLA_XFRM_MAX + 1) < 0)
			return -EBADMSG;
		if (nlp_has(xd, IFLA_XFRM_IF_ID)) {
			if (!nlp_u32(&xd[IFLA_XFRM_IF_ID], &out->if_id))
				return -EBADMSG;
			out->has_if_id = true;
		}
	}
	return 0;
}
