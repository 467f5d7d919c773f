/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ike_sock on the loopback interface (high ports, no root):
 * IKE on the IKE port as is, on the NAT-T port with the non-ESP marker
 * added and stripped, keepalives and ESP on NAT-T dropped, the local
 * address learned, the NAT-T delegate used when the port is not ours.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ike_sock.h"

static uint16_t base_port;

/* Two transports on free ports: ports p, p+1 and p+2, p+3. */
static void
open_pair(struct ike_sock **a, struct ike_sock **b, bool v6)
{
	int attempt;

	for (attempt = 0; attempt < 50; attempt++) {
		struct ike_sock_conf ca = { 0 }, cb = { 0 };
		struct errbuf err = { .msg = "" };

		base_port = (uint16_t)(20000 + (getpid() * 7 + attempt * 131) % 30000);
		ca.ike_port = base_port;
		ca.natt_port = (uint16_t)(base_port + 1);
		cb.ike_port = (uint16_t)(base_port + 2);
		cb.natt_port = (uint16_t)(base_port + 3);
		ca.no_v6 = cb.no_v6 = !v6;
		ca.no_v4 = cb.no_v4 = v6;
		errbuf_clear(&err);
		*a = ike_sock_open(&ca, &err);
		*b = *a ? ike_sock_open(&cb, &err) : NULL;
		if (*a && *b)
			return;
		ike_sock_close(*a);
		ike_sock_close(*b);
	}
	fail_msg("no free ports");
}

static int
recv_one(struct ike_sock *s, struct ike_dgram *d, uint8_t *buf, size_t cap)
{
	int fds[4];
	size_t n = ike_sock_fds(s, fds, 4), i;
	int tries;

	for (tries = 0; tries < 200; tries++) {
		struct pollfd p[4];

		for (i = 0; i < n; i++)
			p[i] = (struct pollfd){ fds[i], POLLIN, 0 };
		if (poll(p, n, 50) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			int rc;

			if (!(p[i].revents & POLLIN))
				continue;
			rc = ike_sock_recv(s, fds[i], d, buf, cap);
			if (rc != -EAGAIN)
				return rc;
		}
	}
	return -ETIMEDOUT;
}

static void
check_family(bool v6)
{
	struct ike_sock *a, *b;
	struct ike_dgram d, r;
	uint8_t msg[40], buf[256];
	const char *lo = v6 ? "::1" : "127.0.0.1";
	char txt[64];
	int raw, rc;

	open_pair(&a, &b, v6);
	memset(msg, 0x5a, sizeof(msg));
	memset(&d, 0, sizeof(d));
	ike_addr_parse(lo, &d.remote.addr);
	d.remote.port = (uint16_t)(base_port + 2);
	d.local.port = base_port;
	d.kind = IKE_DGRAM_IKE;
	d.data = msg;
	d.len = sizeof(msg);
	/* IKE port: as is; the receiver learns its local address. */
	assert_int_equal(ike_sock_send(a, &d), 0);
	assert_int_equal(recv_one(b, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.len, sizeof(msg));
	assert_int_equal(r.local.port, base_port + 2);
	assert_int_equal(r.remote.port, base_port);
	assert_string_equal(ike_addr_str(&r.local.addr, txt, sizeof(txt)), lo);
	/* NAT-T port: the marker is added on the wire and stripped again. */
	d.local.port = (uint16_t)(base_port + 1);
	d.remote.port = (uint16_t)(base_port + 3);
	ike_addr_parse(lo, &d.local.addr);
	assert_int_equal(ike_sock_send(a, &d), 0);
	assert_int_equal(recv_one(b, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.len, sizeof(msg));
	assert_memory_equal(r.data, msg, sizeof(msg));
	assert_true(r.data == buf + 4);
	/* Keepalives and ESP on NAT-T are not for IKE. */
	d.kind = IKE_DGRAM_KEEPALIVE;
	assert_int_equal(ike_sock_send(a, &d), 0);
	assert_int_equal(recv_one(b, &r, buf, sizeof(buf)), 1);
	raw = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	assert_true(raw >= 0);
	{
		struct sockaddr_storage ss;
		socklen_t sl;
		uint8_t esp[16] = { 0xc0, 0, 0, 1 };

		memset(&ss, 0, sizeof(ss));
		if (v6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)(base_port + 3));
			inet_pton(AF_INET6, lo, &s6->sin6_addr);
			sl = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)(base_port + 3));
			inet_pton(AF_INET, lo, &s4->sin_addr);
			sl = sizeof(*s4);
		}
		assert_int_equal(sendto(raw, esp, sizeof(esp), 0, (struct sockaddr *)&ss, sl),
		    (ssize_t)sizeof(esp));
		assert_int_equal(recv_one(b, &r, buf, sizeof(buf)), 1);
	}
	close(raw);
	rc = ike_sock_recv(b, -1, &r, buf, sizeof(buf));
	assert_int_equal(rc, -EBADF);
	ike_sock_close(a);
	ike_sock_close(b);
}

static void
test_ipv4(void **state)
{
	(void)state;
	check_family(false);
}

static void
test_ipv6(void **state)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	(void)state;
	if (fd < 0) {
		skip();
		return;
	}
	close(fd);
	check_family(true);
}

static int delegated;

static int
natt_delegate(void *ctx, const struct ike_dgram *d)
{
	(void)ctx;
	delegated += (int)d->len;
	return 0;
}

/* The dataplane owns NAT-T: IKE on it goes to the delegate. */
static void
test_natt_delegate(void **state)
{
	struct ike_sock_conf c = { 0 };
	struct ike_sock *s;
	struct ike_dgram d;
	struct errbuf err = { .msg = "" };
	uint8_t msg[10] = { 0 };
	int fds[4];

	(void)state;
	c.ike_port = (uint16_t)(20000 + getpid() % 30000);
	c.natt_port = 4500;
	c.no_natt = true;
	c.no_v6 = true;
	errbuf_clear(&err);
	s = ike_sock_open(&c, &err);
	assert_non_null(s);
	assert_int_equal(ike_sock_fds(s, fds, 4), 1);
	memset(&d, 0, sizeof(d));
	ike_addr_parse("127.0.0.1", &d.remote.addr);
	d.remote.port = 4500;
	d.local.port = 4500;
	d.data = msg;
	d.len = sizeof(msg);
	assert_int_equal(ike_sock_send(s, &d), -ENOTCONN);
	ike_sock_set_natt_sender(s, natt_delegate, NULL);
	assert_int_equal(ike_sock_send(s, &d), 0);
	assert_int_equal(delegated, 10);
	ike_sock_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_natt_delegate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
