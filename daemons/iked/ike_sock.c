/* SPDX-License-Identifier: MIT */
/* ike_sock: UDP sockets for IKE on 500 and 4500 (RFC 7296 2.11, RFC 3948 2.2). */
#define _GNU_SOURCE
#include "ike_sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ike_wire.h"

#include "banned.h"

#ifndef UDP_ENCAP
#define UDP_ENCAP 100
#endif
#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

enum { S_V4_IKE, S_V4_NATT, S_V6_IKE, S_V6_NATT, S_N };

#define IKE_SOCK_BUF (4 << 20)

struct ike_sock {
	struct ike_sock_conf c;
	int fd[S_N];
	uint16_t port[S_N];
	int (*natt_fn)(void *ctx, const struct ike_dgram *d);
	void *natt_ctx;
};

/*
 * Room for bursts: many peers starting at once (a hub's tunnels after a
 * restart) would overflow the default ~200 KB and cost each dropped
 * IKE_SA_INIT a 2 s retransmission. The FORCE variants pass the sysctl
 * limits when we have CAP_NET_ADMIN; otherwise the kernel caps the plain
 * ones. Best effort: a smaller buffer still works.
 */
static void
sock_buffers(int fd)
{
	int sz = IKE_SOCK_BUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0) {
		/* keep the default */
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) < 0) {
		/* keep the default */
	}
}

static int
open_one(struct ike_sock *s, int slot, int family, uint16_t port, bool encap, struct errbuf *err)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, rc;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (fd < 0)
		return errbuf_set(err, -errno, "IKE socket: %s", strerror(errno));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sl = sizeof(*sin);
		rc = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sl = sizeof(*sin6);
		rc = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (rc == 0)
			rc = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	if (rc == 0)
		rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rc == 0)
		sock_buffers(fd);
	if (rc == 0 && bind(fd, (struct sockaddr *)&ss, sl) < 0)
		rc = -1;
	if (rc == 0 && encap) {
		int type = UDP_ENCAP_ESPINUDP;

		rc = setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type));
	}
	if (rc < 0) {
		rc = -errno;
		close(fd);
		return errbuf_set(err, rc, "IKE socket %s port %u: %s",
		    family == AF_INET ? "IPv4" : "IPv6", port, strerror(-rc));
	}
	s->fd[slot] = fd;
	s->port[slot] = port;
	return 0;
}

struct ike_sock *
ike_sock_open(const struct ike_sock_conf *c, struct errbuf *err)
{
	struct ike_sock *s = calloc(1, sizeof(*s));
	int i, rc = 0;

	if (!s) {
		errbuf_set(err, -ENOMEM, "IKE sockets: out of memory");
		return NULL;
	}
	s->c = *c;
	if (!s->c.ike_port)
		s->c.ike_port = 500;
	if (!s->c.natt_port)
		s->c.natt_port = 4500;
	for (i = 0; i < S_N; i++)
		s->fd[i] = -1;
	if (!c->no_v4) {
		rc = open_one(s, S_V4_IKE, AF_INET, s->c.ike_port, false, err);
		if (rc == 0 && !c->no_natt)
			rc = open_one(
			    s, S_V4_NATT, AF_INET, s->c.natt_port, c->kernel_espinudp, err);
	}
	if (rc == 0 && !c->no_v6) {
		rc = open_one(s, S_V6_IKE, AF_INET6, s->c.ike_port, false, err);
		if (rc == 0 && !c->no_natt)
			rc = open_one(
			    s, S_V6_NATT, AF_INET6, s->c.natt_port, c->kernel_espinudp, err);
	}
	if (rc < 0) {
		ike_sock_close(s);
		errno = -rc;
		return NULL;
	}
	return s;
}

void
ike_sock_close(struct ike_sock *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < S_N; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	free(s);
}

size_t
ike_sock_fds(const struct ike_sock *s, int *fds, size_t max)
{
	size_t n = 0;
	int i;

	for (i = 0; i < S_N && n < max; i++)
		if (s->fd[i] >= 0)
			fds[n++] = s->fd[i];
	return n;
}

void
ike_sock_set_natt_sender(
    struct ike_sock *s, int (*fn)(void *ctx, const struct ike_dgram *d), void *ctx)
{
	s->natt_fn = fn;
	s->natt_ctx = ctx;
}

int
ike_sock_recv(struct ike_sock *s, int fd, struct ike_dgram *d, uint8_t *buf, size_t cap)
{
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cm;
	struct sockaddr_storage from;
	struct iovec iov = { buf, cap };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;
	int slot;

	for (slot = 0; slot < S_N && s->fd[slot] != fd; slot++)
		;
	if (slot == S_N)
		return -EBADF;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &from;
	mh.msg_namelen = sizeof(from);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = sizeof(cm.b);
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return 1;
	memset(d, 0, sizeof(*d));
	d->local.port = s->port[slot];
	if (from.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&from;

		d->remote.addr.family = AF_INET;
		memcpy(d->remote.addr.b, &sin->sin_addr, 4);
		d->remote.port = ntohs(sin->sin_port);
	} else if (from.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&from;

		d->remote.addr.family = AF_INET6;
		memcpy(d->remote.addr.b, &sin6->sin6_addr, 16);
		d->remote.port = ntohs(sin6->sin6_port);
	} else {
		return 1;
	}
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			d->local.addr.family = AF_INET;
			memcpy(d->local.addr.b, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			d->local.addr.family = AF_INET6;
			memcpy(d->local.addr.b, &pi.ipi6_addr, 16);
		}
	}
	d->kind = IKE_DGRAM_IKE;
	d->data = buf;
	d->len = (size_t)n;
	if (slot == S_V4_NATT || slot == S_V6_NATT) {
		static const uint8_t zero[IKE_NON_ESP_MARKER];

		/* RFC 3948 2.2/2.3: keepalive (0xff), IKE (marker), else ESP. */
		if (n < IKE_NON_ESP_MARKER || memcmp(buf, zero, IKE_NON_ESP_MARKER) != 0)
			return 1;
		d->data = buf + IKE_NON_ESP_MARKER;
		d->len = (size_t)n - IKE_NON_ESP_MARKER;
	}
	return 0;
}

int
ike_sock_send(struct ike_sock *s, const struct ike_dgram *d)
{
	static const uint8_t marker[IKE_NON_ESP_MARKER], ka = 0xff;
	bool v6 = d->remote.addr.family == AF_INET6, natt = d->local.port == s->c.natt_port;
	int slot = v6 ? (natt ? S_V6_NATT : S_V6_IKE) : (natt ? S_V4_NATT : S_V4_IKE);
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cm;
	struct sockaddr_storage to;
	struct iovec iov[2];
	struct msghdr mh;
	size_t niov = 0;

	if (s->fd[slot] < 0) {
		if (natt && s->natt_fn)
			return s->natt_fn(s->natt_ctx, d); /* IKE and keepalives */
		return -ENOTCONN;
	}
	memset(&to, 0, sizeof(to));
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(d->remote.port);
		memcpy(&sin6->sin6_addr, d->remote.addr.b, 16);
		mh.msg_namelen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&to;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(d->remote.port);
		memcpy(&sin->sin_addr, d->remote.addr.b, 4);
		mh.msg_namelen = sizeof(*sin);
	}
	mh.msg_name = &to;
	if (d->kind == IKE_DGRAM_KEEPALIVE) {
		iov[niov++] = (struct iovec){ (void *)&ka, 1 };
	} else {
		if (natt)
			iov[niov++] = (struct iovec){ (void *)marker, sizeof(marker) };
		iov[niov++] = (struct iovec){ (void *)d->data, d->len };
	}
	mh.msg_iov = iov;
	mh.msg_iovlen = niov;
	/* RFC 7296 2.11: answer from the address the request came to. */
	if (ike_addr_is_set(&d->local.addr) && d->local.addr.family == d->remote.addr.family) {
		struct cmsghdr *c;

		mh.msg_control = cm.b;
		c = (struct cmsghdr *)cm.b;
		if (v6) {
			struct in6_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi6_addr, d->local.addr.b, 16);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		} else {
			struct in_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi_spec_dst, d->local.addr.b, 4);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		}
	}
	if (sendmsg(s->fd[slot], &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}
