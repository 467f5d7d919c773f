/* SPDX-License-Identifier: MIT */
/*
 * udp-blast: small-packet rate for the ESP benchmark (iperf3's UDP sender
 * tops out below what the paths carry with 64-byte packets).
 *
 *   udp-blast send ADDR PORT SECONDS [IP_PACKET_SIZE]   (default 64 bytes)
 *   udp-blast recv PORT SECONDS
 *
 * The sender sends IPv4 UDP datagrams of IP_PACKET_SIZE bytes in sendmmsg
 * batches of 64 for SECONDS; the receiver counts what arrives with
 * recvmmsg and prints "received N packets in S s: P pps" for the time
 * between its first and last packet.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
do_send(const char *addr, int port, double secs, int size)
{
	static char buf[BATCH][2048];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in sin;
	unsigned long long sent = 0;
	double end;
	int fd, i, n, payload = size - 28;

	if (payload < 1 || payload > 1472)
		return 2;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("udp-blast: socket");
		return 1;
	}
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++) {
		memset(buf[i], 'x', sizeof(buf[i]));
		iov[i].iov_base = buf[i];
		iov[i].iov_len = (size_t)payload;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	end = now() + secs;
	while (now() < end) {
		n = sendmmsg(fd, msg, BATCH, 0);
		if (n > 0)
			sent += (unsigned long long)n;
		else if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED)
			break;
	}
	printf("sent %llu packets\n", sent);
	close(fd);
	return 0;
}

static int
do_recv(int port, double secs)
{
	static char buf[BATCH][2048];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in sin;
	struct pollfd pfd;
	unsigned long long got = 0;
	double first = 0, last = 0, end;
	int fd, i, n, rcvbuf = 8 << 20;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("udp-blast: bind");
		return 1;
	}
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	end = now() + secs;
	while (now() < end) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = recvmmsg(fd, msg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		if (got == 0)
			first = now();
		got += (unsigned long long)n;
		last = now();
	}
	printf("received %llu packets in %.2f s: %.0f pps\n", got, last - first,
	    last > first ? (double)got / (last - first) : 0.0);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "send") == 0)
		return do_send(
		    argv[2], atoi(argv[3]), atof(argv[4]), argc > 5 ? atoi(argv[5]) : 64);
	if (argc >= 4 && strcmp(argv[1], "recv") == 0)
		return do_recv(atoi(argv[2]), atof(argv[3]));
	fprintf(stderr, "usage: udp-blast send ADDR PORT SECONDS [SIZE] | recv PORT SECONDS\n");
	return 2;
}
