/* SPDX-License-Identifier: MIT */
/*
 * xnl: one netlink socket with extended acks, request/ack matching on seq
 * and portid, and a bounds-checked walk over the replies (nlp.h).
 */
#include "xfrm.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "xmem.h"
#include "banned.h"

struct xnl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint8_t *rbuf; /* XNL_RCV_MAX bytes */
};

struct xnl *
xnl_open(int bus, uint32_t groups)
{
	struct xnl *nl;
	int one = 1, rcvbuf = 1 << 20, saved;

	if ((nl = calloc(1, sizeof(*nl))) == NULL)
		return NULL;
	if ((nl->rbuf = malloc(XNL_RCV_MAX)) == NULL)
		goto fail;
	if ((nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC)) == NULL)
		goto fail;
	/* The kernel explains refusals (NLMSGERR_ATTR_MSG) and does not echo
	 * our request, which may hold keys, back in its errors. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (groups != 0) /* notifications come in bursts (expiries at rekey time) */
		setsockopt(
		    mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_bind(nl->sock, groups, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	return nl;
fail:
	saved = errno;
	xnl_close(nl);
	errno = saved;
	return NULL;
}

void
xnl_close(struct xnl *nl)
{
	if (nl == NULL)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	xmem_free(nl->rbuf, nl->rbuf ? XNL_RCV_MAX : 0);
	free(nl);
}

int
xnl_fd(const struct xnl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

uint32_t
xnl_next_seq(struct xnl *nl)
{
	if (++nl->seq == 0)
		nl->seq = 1;
	return nl->seq;
}

int
xnl_walk(const uint8_t *buf, size_t len, uint32_t seq, uint32_t portid, xnl_cb cb, void *arg,
    bool *done, int *cbrc, struct nlp_err *kerr)
{
	struct rd r, payload;
	struct nlmsghdr hdr;
	int rc;

	rd_init(&r, buf, len);
	while ((rc = nlp_next_msg(&r, &hdr, &payload)) == 0) {
		if (hdr.nlmsg_seq != seq || (portid != 0 && hdr.nlmsg_pid != portid))
			continue; /* a stale reply or someone else's */
		switch (hdr.nlmsg_type) {
		case NLMSG_NOOP:
			break;
		case NLMSG_ERROR:
			if ((rc = nlp_parse_err(&hdr, payload, kerr)) < 0)
				return rc;
			*done = true;
			return 0;
		case NLMSG_DONE:
			/* End of a dump: an int error, then optional ext-ack TLVs. */
			if ((rc = nlp_parse_done(&hdr, payload, kerr)) < 0)
				return rc;
			*done = true;
			return 0;
		default:
			if (hdr.nlmsg_type < NLMSG_MIN_TYPE)
				break;
			/* After a callback failure keep reading: the ack follows. */
			if (cb != NULL && *cbrc >= 0)
				*cbrc = cb(&hdr, payload, arg);
			break;
		}
	}
	return rc == -ENOENT ? 0 : rc;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ssize_t
xnl_recv_wait(int fd, uint8_t *buf, size_t cap, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms, left;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int rc;

	for (;;) {
		left = deadline - mono_ms();
		if (left < 0)
			left = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue; /* a signal: wait out the rest for the same answer */
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0)
			return -errno;
		if (msg.msg_flags & MSG_TRUNC)
			return -ENOSPC;
		return n;
	}
}

int
xnl_transact(struct xnl *nl, struct nlmsghdr *req, xnl_cb cb, void *arg, struct nlp_err *kerr)
{
	struct nlp_err local;
	bool done = false;
	ssize_t n;
	int rc = 0, walk, cbrc = 0;

	if (kerr == NULL)
		kerr = &local;
	memset(kerr, 0, sizeof(*kerr));
	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (req->nlmsg_seq == 0)
		req->nlmsg_seq = xnl_next_seq(nl);
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	while (!done) {
		n = xnl_recv_wait(
		    mnl_socket_get_fd(nl->sock), nl->rbuf, XNL_RCV_MAX, XNL_TIMEOUT_MS);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		walk = xnl_walk(
		    nl->rbuf, (size_t)n, req->nlmsg_seq, nl->portid, cb, arg, &done, &cbrc, kerr);
		explicit_bzero(nl->rbuf, (size_t)n);
		if (walk < 0) {
			rc = walk;
			break;
		}
	}
	if (rc == 0)
		rc = kerr->error;
	if (rc == 0)
		rc = cbrc;
	return rc;
}

ssize_t
xnl_recv_nb(struct xnl *nl, uint8_t *buf, size_t cap)
{
	ssize_t n;

	n = recv(mnl_socket_get_fd(nl->sock), buf, cap, MSG_DONTWAIT);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}
