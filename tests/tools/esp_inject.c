/* SPDX-License-Identifier: MIT */
/*
 * esp-inject: captures ESP packets a gateway sends on an interface and
 * injects altered copies, to test the receiver's defences.
 *
 *   esp-inject IFACE replay|tamper|unknown-spi COUNT [SECONDS]
 *
 * It waits (up to SECONDS, default 10) for COUNT outgoing ESP packets,
 * raw (IP protocol 50) or in UDP to port 4500 (RFC 3948), on IFACE, then
 * sends for each, through the same interface:
 *   replay       the packet unchanged (a duplicate sequence number);
 *   tamper       the packet with a sequence number far ahead (so the
 *                replay check passes) and one ICV bit flipped;
 *   unknown-spi  the packet with its SPI replaced.
 * It prints how many it injected; exit 0 when COUNT were.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ref_csum.h"

#define MAXP 64

struct frame {
	uint8_t b[2048];
	size_t len;
	size_t esp; /* offset of the ESP header */
	size_t l4;  /* offset of the UDP header, 0 for raw ESP */
	size_t l3;  /* offset of the IP header */
	int v6;
};

/* true if the frame carries ESP; fills the offsets */
static int
classify(struct frame *f)
{
	uint16_t et;
	size_t l3 = 14, l4;
	uint8_t proto;

	if (f->len < 14)
		return 0;
	et = (uint16_t)(f->b[12] << 8 | f->b[13]);
	if (et == 0x0800) {
		if (f->len < l3 + 20)
			return 0;
		l4 = l3 + (size_t)(f->b[l3] & 0x0f) * 4;
		proto = f->b[l3 + 9];
		f->v6 = 0;
	} else if (et == 0x86dd) {
		if (f->len < l3 + 40)
			return 0;
		l4 = l3 + 40;
		proto = f->b[l3 + 6];
		f->v6 = 1;
	} else {
		return 0;
	}
	f->l3 = l3;
	if (proto == 50) {
		f->l4 = 0;
		f->esp = l4;
	} else if (proto == 17 && f->len >= l4 + 16 && f->b[l4 + 2] == 0x11 &&
	           f->b[l4 + 3] == 0x94) {
		if ((f->b[l4 + 8] | f->b[l4 + 9] | f->b[l4 + 10] | f->b[l4 + 11]) == 0)
			return 0; /* IKE (non-ESP marker) */
		f->l4 = l4;
		f->esp = l4 + 8;
	} else {
		return 0;
	}
	return f->len >= f->esp + 16;
}

static void
fix_udp(struct frame *f)
{
	uint8_t *u = f->b + f->l4;
	size_t ulen = (size_t)(u[4] << 8 | u[5]);
	uint32_t sum = 0;
	const uint8_t *ip = f->b + f->l3;
	size_t i, n = f->v6 ? 16 : 4, so = f->v6 ? 8 : 12, dofs = f->v6 ? 24 : 16;
	uint16_t c;

	if (f->l4 == 0)
		return;
	u[6] = u[7] = 0;
	if (!f->v6)
		return; /* IPv4: checksum 0 = none */
	for (i = 0; i < n; i += 2) {
		sum += (uint32_t)ip[so + i] << 8 | ip[so + i + 1];
		sum += (uint32_t)ip[dofs + i] << 8 | ip[dofs + i + 1];
	}
	sum += 17 + (uint32_t)ulen;
	c = ref_csum(u, ulen, sum);
	if (c == 0)
		c = 0xffff;
	u[6] = (uint8_t)(c >> 8);
	u[7] = (uint8_t)c;
}

int
main(int argc, char **argv)
{
	static struct frame fr[MAXP];
	struct sockaddr_ll sll;
	socklen_t sl;
	struct pollfd pfd;
	int fd, count, got = 0, sent = 0, i, secs = 10;
	unsigned ifindex;
	time_t end;

	if (argc < 4) {
		fprintf(
		    stderr, "usage: esp-inject IFACE replay|tamper|unknown-spi COUNT [SECONDS]\n");
		return 2;
	}
	count = atoi(argv[3]);
	if (argc > 4)
		secs = atoi(argv[4]);
	if (count < 1 || count > MAXP)
		return 2;
	ifindex = if_nametoindex(argv[1]);
	if (ifindex == 0) {
		perror(argv[1]);
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("AF_PACKET");
		return 1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("bind");
		return 1;
	}
	end = time(NULL) + secs;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < count && time(NULL) < end) {
		struct frame *f = &fr[got];
		ssize_t n;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		sl = sizeof(sll);
		n = recvfrom(fd, f->b, sizeof(f->b), 0, (struct sockaddr *)&sll, &sl);
		if (n <= 0 || sll.sll_pkttype != PACKET_OUTGOING)
			continue;
		f->len = (size_t)n;
		if (classify(f))
			got++;
	}
	for (i = 0; i < got; i++) {
		struct frame *f = &fr[i];
		uint8_t *e = f->b + f->esp;

		if (strcmp(argv[2], "tamper") == 0) {
			uint32_t seq = (uint32_t)e[4] << 24 | (uint32_t)e[5] << 16 |
			               (uint32_t)e[6] << 8 | e[7];
			seq += 100000;
			e[4] = (uint8_t)(seq >> 24);
			e[5] = (uint8_t)(seq >> 16);
			e[6] = (uint8_t)(seq >> 8);
			e[7] = (uint8_t)seq;
			f->b[f->len - 1] ^= 0x01;
		} else if (strcmp(argv[2], "unknown-spi") == 0) {
			e[0] = 0xde;
			e[1] = 0xad;
			e[2] = 0xbe;
			e[3] = (uint8_t)(0xe0 + i);
		} else if (strcmp(argv[2], "replay") != 0) {
			fprintf(stderr, "esp-inject: unknown mode %s\n", argv[2]);
			return 2;
		}
		fix_udp(f);
		memset(&sll, 0, sizeof(sll));
		sll.sll_family = AF_PACKET;
		sll.sll_ifindex = (int)ifindex;
		sll.sll_halen = 6;
		memcpy(sll.sll_addr, f->b, 6);
		if (sendto(fd, f->b, f->len, 0, (struct sockaddr *)&sll, sizeof(sll)) ==
		    (ssize_t)f->len)
			sent++;
	}
	printf("esp-inject: %s %d of %d (captured %d)\n", argv[2], sent, count, got);
	close(fd);
	return sent == count ? 0 : 1;
}
