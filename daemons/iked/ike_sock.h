/* SPDX-License-Identifier: MIT */
/*
 * ike_sock: the daemon's UDP transport for IKE, on ports 500 and 4500, IPv4
 * and IPv6. It learns the local address of every datagram (IP_PKTINFO) and
 * answers from it, strips the non-ESP marker of IKE on 4500 and adds it
 * when sending there (RFC 3948 2.2), drops NAT keepalives and ESP on 4500,
 * and sends keepalives. When the userspace dataplane owns 4500 the daemon
 * opens no socket there and hands IKE on 4500 to a delegate
 * (ike_engine_dp_ike_send()); what arrives there comes through the
 * dataplane (ike_engine_dp_poll()). The engine never uses this module
 * itself: the daemon wires it to env.send and ike_engine_input().
 */
#ifndef CAIRN_IKE_SOCK_H
#define CAIRN_IKE_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "ike_addr.h"

struct ike_sock_conf {
	uint16_t ike_port;    /* default 500 */
	uint16_t natt_port;   /* default 4500 */
	bool no_v4, no_v6;    /* skip a family */
	bool no_natt;         /* the dataplane owns the NAT-T port */
	bool kernel_espinudp; /* UDP_ENCAP_ESPINUDP on 4500 (kernel ESP) */
};

struct ike_sock;

/* Opens and binds the sockets; NULL with err set. */
struct ike_sock *ike_sock_open(const struct ike_sock_conf *c, struct errbuf *err);
void ike_sock_close(struct ike_sock *s);
/* The descriptors to watch for input; returns how many. */
size_t ike_sock_fds(const struct ike_sock *s, int *fds, size_t max);
/*
 * Reads one datagram from fd: 0 with *d filled (data in buf), 1 when what
 * arrived is not for IKE (ESP or a keepalive on 4500), -EAGAIN when none,
 * other -errno on errors.
 */
int ike_sock_recv(struct ike_sock *s, int fd, struct ike_dgram *d, uint8_t *buf, size_t cap);
/* Sends a datagram from d->local (address may be unset), to d->remote. */
int ike_sock_send(struct ike_sock *s, const struct ike_dgram *d);
/* Where IKE on the NAT-T port goes when no socket is open there. */
void ike_sock_set_natt_sender(
    struct ike_sock *s, int (*fn)(void *ctx, const struct ike_dgram *d), void *ctx);

#endif
