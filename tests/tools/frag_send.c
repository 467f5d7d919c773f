/* SPDX-License-Identifier: MIT */
/*
 * frag-send: one IPv4 UDP datagram, sent as fragments in a chosen order
 * through a raw socket (the test's own namespaces only), for the
 * dataplane's fragment checks (tests/integration/dp-policy-frag.sh).
 *
 *   frag-send SRC DST SPORT DPORT PAYLOAD_BYTES FRAG_BYTES ID in-order|reverse
 *
 * FRAG_BYTES is each fragment's payload (a multiple of 8); ID the IPv4
 * identification. "reverse" sends the last fragment first and the first
 * one last, as a network that reorders would deliver them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ref_csum.h"

#define MAX_PAYLOAD 60000

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int
main(int argc, char **argv)
{
	static uint8_t udp[8 + MAX_PAYLOAD];
	uint8_t pkt[1500], pseudo[12];
	struct sockaddr_in to;
	struct in_addr src, dst;
	size_t plen, flen, ulen, nfrag, i, k;
	uint16_t id, c;
	int fd;
	bool reverse;

	if (argc != 9 || inet_pton(AF_INET, argv[1], &src) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst) != 1) {
		fprintf(stderr,
		    "usage: frag-send SRC DST SPORT DPORT PAYLOAD FRAG ID in-order|reverse\n");
		return 2;
	}
	plen = strtoul(argv[5], NULL, 10);
	flen = strtoul(argv[6], NULL, 10);
	id = (uint16_t)strtoul(argv[7], NULL, 0);
	reverse = strcmp(argv[8], "reverse") == 0;
	if (plen > MAX_PAYLOAD || flen == 0 || flen % 8 != 0 || flen > sizeof(pkt) - 20) {
		fprintf(stderr, "frag-send: bad sizes\n");
		return 2;
	}
	ulen = 8 + plen;
	put16(udp, (uint16_t)strtoul(argv[3], NULL, 10));
	put16(udp + 2, (uint16_t)strtoul(argv[4], NULL, 10));
	put16(udp + 4, (uint16_t)ulen);
	for (i = 0; i < plen; i++)
		udp[8 + i] = (uint8_t)(i * 7);
	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	put16(pseudo + 10, (uint16_t)ulen);
	c = ref_csum(pseudo, sizeof(pseudo), 0);
	c = ref_csum(udp, ulen, (uint16_t)~c);
	put16(udp + 6, c != 0 ? c : 0xffff);

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("frag-send: socket");
		return 1;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr = dst;
	nfrag = (ulen + flen - 1) / flen;
	for (k = 0; k < nfrag; k++) {
		size_t f = reverse ? nfrag - 1 - k : k, off = f * flen;
		size_t n = ulen - off < flen ? ulen - off : flen;
		uint16_t fo = (uint16_t)(off / 8);

		memset(pkt, 0, 20);
		pkt[0] = 0x45;
		put16(pkt + 2, (uint16_t)(20 + n));
		put16(pkt + 4, id);
		if (f + 1 < nfrag)
			fo |= 0x2000; /* MF */
		put16(pkt + 6, fo);
		pkt[8] = 64;
		pkt[9] = IPPROTO_UDP;
		memcpy(pkt + 12, &src, 4);
		memcpy(pkt + 16, &dst, 4);
		put16(pkt + 10, ref_csum(pkt, 20, 0));
		memcpy(pkt + 20, udp + off, n);
		if (sendto(fd, pkt, 20 + n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			fprintf(stderr, "frag-send: fragment %zu: %s\n", f, strerror(errno));
			close(fd);
			return 1;
		}
	}
	close(fd);
	printf("sent %zu fragments\n", nfrag);
	return 0;
}
