/* SPDX-License-Identifier: MIT */
/*
 * gen-xfrm-corpus: writes the seed corpus of fuzz_xfrm_reply into DIR.
 * Each file is a 4-byte request sequence number and one datagram:
 *  - kernel-*: real replies of this host's kernel, captured in a private
 *    network namespace (root): acks, ext-ack errors (capped and not),
 *    policy and SA dumps, an ALLOCSPI reply, an RTM_GETLINK reply;
 *  - built-*: SA messages made by xfrm_build_sa (the kernel's SA message
 *    layout), and crafted acquire and expire notifications.
 * usage: gen-xfrm-corpus DIR
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xfrm.h"

static const char *dir;
static uint8_t req[XFRM_REQ_MAX] __attribute__((aligned(8)));
static uint8_t rbuf[XNL_RCV_MAX] __attribute__((aligned(8)));
static uint32_t seq = 100;

static void
save(const char *name, int idx, uint32_t s, const void *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-%d", dir, name, idx);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	fwrite(&s, sizeof(s), 1, f);
	fwrite(p, 1, len, f);
	fclose(f);
}

static struct mnl_socket *
sock(int bus, bool cap_ack)
{
	struct mnl_socket *nl = mnl_socket_open(bus);
	int one = 1;

	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		exit(1);
	}
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (cap_ack)
		mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return nl;
}

/* Sends req and saves every reply datagram until the ack/done. */
static void
capture(struct mnl_socket *nl, const char *name)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)req;
	uint32_t s = ++seq;
	int idx = 0;
	bool done = false;

	nlh->nlmsg_seq = s;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (mnl_socket_sendto(nl, req, nlh->nlmsg_len) < 0) {
		perror("sendto");
		exit(1);
	}
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		struct nlmsghdr hdr;
		struct rd r, payload;

		if (n < 0) {
			perror("recv");
			exit(1);
		}
		save(name, idx++, s, rbuf, (size_t)n);
		rd_init(&r, rbuf, (size_t)n);
		while (nlp_next_msg(&r, &hdr, &payload) == 0)
			if (hdr.nlmsg_type == NLMSG_ERROR || hdr.nlmsg_type == NLMSG_DONE)
				done = true;
	}
	printf("%s: %d datagram(s)\n", name, idx);
}

static struct dp_addr
a4(const char *s)
{
	struct dp_addr a = { .family = AF_INET };

	inet_pton(AF_INET, s, &a.u.v4);
	return a;
}

static void
sa(struct dp_sa *x, enum dp_enc enc, enum dp_integ integ, enum dp_dir d)
{
	static const uint8_t elen[] = { 20, 36, 16, 32 }, ilen[] = { 0, 32, 48, 64 };

	memset(x, 0, sizeof(*x));
	x->spi = 0x1001;
	x->dir = d;
	x->local = a4("192.0.2.1");
	x->remote = a4("192.0.2.2");
	x->enc = enc;
	x->integ = integ;
	x->enc_key_len = elen[enc];
	x->integ_key_len = ilen[integ];
	memset(x->enc_key, 0x11, sizeof(x->enc_key));
	memset(x->integ_key, 0x22, sizeof(x->integ_key));
	x->df = DP_DF_COPY;
	x->replay_window = d == DP_DIR_IN ? 64 : 0;
}

static void
kernel_captures(void)
{
	struct mnl_socket *x = sock(NETLINK_XFRM, true), *xe = sock(NETLINK_XFRM, false);
	struct mnl_socket *rt = sock(NETLINK_ROUTE, true);
	struct dp_addr l = a4("192.0.2.1"), r = a4("192.0.2.2");
	struct xfrm_sa_extra ex = { .reqid = 1 };
	struct errbuf err = { { 0 } };
	struct xfrm_pol p;
	struct dp_sa s;

	memset(&p, 0, sizeof(p));
	xfrm_sel_any(&p.u.sel, AF_INET);
	p.u.sel.prefixlen_d = 24;
	p.u.dir = XFRM_POLICY_OUT;
	p.u.priority = 100;
	p.n_tmpl = 1;
	xfrm_tmpl_esp(&p.tmpl[0], &l, &r, 5);
	p.has_if_id = true;
	p.if_id = 7;
	p.has_mark = true;
	p.mark.v = 1;
	p.mark.m = 0xff;
	xfrm_build_policy(req, sizeof(req), XFRM_MSG_NEWPOLICY, &p);
	capture(x, "kernel-policy-add-ack");
	xfrm_build_policy(req, sizeof(req), XFRM_MSG_NEWPOLICY, &p);
	capture(x, "kernel-policy-add-eexist");
	p.u.dir = XFRM_POLICY_IN;
	p.has_if_id = false;
	xfrm_build_policy(req, sizeof(req), XFRM_MSG_NEWPOLICY, &p);
	capture(x, "kernel-policy-add-in");
	xfrm_build_policy_dump(req, sizeof(req));
	capture(x, "kernel-policy-dump");
	xfrm_build_policy_id(req, sizeof(req), XFRM_MSG_GETPOLICY, &p);
	capture(x, "kernel-policy-get");
	xfrm_build_allocspi(req, sizeof(req), &l, &r, 3, 0x100, 0xffffffff);
	capture(x, "kernel-allocspi");
	xfrm_build_sa_dump(req, sizeof(req));
	capture(x, "kernel-sa-dump");
	sa(&s, DP_ENC_AES_CBC_128, DP_INTEG_HMAC_SHA256_128, DP_DIR_OUT);
	xfrm_build_sa(req, sizeof(req), XFRM_MSG_NEWSA, &s, &ex, &err);
	capture(x, "kernel-newsa-cbc");
	xfrm_build_sa(req, sizeof(req), XFRM_MSG_NEWSA, &s, &ex, &err);
	capture(xe, "kernel-newsa-cbc-uncapped");
	sa(&s, DP_ENC_AES_GCM_128, DP_INTEG_NONE, DP_DIR_OUT);
	xfrm_build_sa(req, sizeof(req), XFRM_MSG_NEWSA, &s, &ex, &err);
	capture(x, "kernel-newsa-gcm");
	rtnl_build_link_get(req, sizeof(req), "lo");
	capture(rt, "kernel-getlink-lo");
	rtnl_build_xfrmi_add(req, sizeof(req), "st0.0", 1, 0, 0);
	capture(rt, "kernel-newlink-xfrm");
	mnl_socket_close(x);
	mnl_socket_close(xe);
	mnl_socket_close(rt);
}

static void
built(void)
{
	struct errbuf err = { { 0 } };
	struct xfrm_sa_extra ex = { .reqid = 4, .if_id = 9 };
	struct dp_sa s;
	struct nlmsghdr *nlh;
	struct xfrm_user_acquire *acq;
	struct xfrm_user_expire *exp;
	struct xfrm_user_tmpl t;
	struct dp_addr l = a4("192.0.2.1"), r = a4("192.0.2.2");
	int len;

	sa(&s, DP_ENC_AES_GCM_256, DP_INTEG_NONE, DP_DIR_IN);
	s.flags = DP_SA_HAS_LIFETIME | DP_SA_ESN;
	s.life.hard_bytes = 1 << 30;
	len = xfrm_build_sa(req, sizeof(req), XFRM_MSG_NEWSA, &s, &ex, &err);
	((struct nlmsghdr *)req)->nlmsg_seq = 1;
	save("built-sa-gcm256-esn", 0, 1, req, (size_t)len);
	sa(&s, DP_ENC_AES_CBC_256, DP_INTEG_HMAC_SHA512_256, DP_DIR_OUT);
	s.flags = DP_SA_HAS_ENCAP;
	s.encap_local_port = s.encap_remote_port = 4500;
	ex.pcpu = true;
	ex.cpu = 1;
	len = xfrm_build_sa(req, sizeof(req), XFRM_MSG_NEWSA, &s, &ex, &err);
	((struct nlmsghdr *)req)->nlmsg_seq = 2;
	save("built-sa-cbc-sha512-encap-pcpu", 0, 2, req, (size_t)len);

	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = XFRM_MSG_ACQUIRE;
	acq = mnl_nlmsg_put_extra_header(nlh, sizeof(*acq));
	acq->sel.family = AF_INET;
	acq->sel.prefixlen_d = 32;
	memcpy(&acq->id.daddr.a4, &r.u.v4, 4);
	xfrm_tmpl_esp(&t, &l, &r, 5);
	mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t), &t);
	mnl_attr_put_u32(nlh, XFRMA_IF_ID, 3);
	mnl_attr_put_u32(nlh, XFRMA_SA_PCPU, 1);
	save("built-acquire", 0, 0, req, nlh->nlmsg_len);

	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = XFRM_MSG_EXPIRE;
	exp = mnl_nlmsg_put_extra_header(nlh, sizeof(*exp));
	exp->state.family = AF_INET;
	exp->state.id.proto = IPPROTO_ESP;
	exp->state.id.spi = htonl(0x4001);
	exp->hard = 0;
	mnl_attr_put_u32(nlh, XFRMA_IF_ID, 2);
	save("built-expire-soft", 0, 0, req, nlh->nlmsg_len);
	printf("built: 4 messages\n");
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen-xfrm-corpus DIR\n");
		return 2;
	}
	dir = argv[1];
	built();
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(
		    stderr, "unshare: %s (root needed for the kernel captures)\n", strerror(errno));
		return 1;
	}
	kernel_captures();
	return 0;
}
