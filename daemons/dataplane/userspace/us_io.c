/* SPDX-License-Identifier: MIT */
/*
 * us_io: the devices and sockets of the userspace backend.
 *
 * st0: one multi-queue TUN device shared by every unit, one queue per
 * SPU, with IFF_VNET_HDR and TSO/checksum offloads so that the kernel
 * hands over (and accepts) up to 64 KiB TCP super-packets.
 *
 * UDP 4500: per address family one SO_REUSEPORT group: the IKE socket
 * (index 0), then one socket per SPU (index 1 + n), then the SPUs'
 * "DF set" send sockets, which the group's classic BPF program never
 * selects. The program sends non-ESP-marker datagrams (and anything too
 * short to hold an SPI, i.e. NAT keepalives) to the IKE socket, and ESP to
 * SPU (SPI mod nspu) + 1: inbound SPIs are allocated so that SPI mod nspu
 * is the owning SPU (dp_spi_alloc). Manual SPIs land wherever their value
 * says and are handed to the owner.
 *
 * Raw ESP (IP protocol 50): per SPU and family one receiving socket whose
 * socket filter accepts only SPIs with SPI mod nspu == n, and one "DF set"
 * socket that receives nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/udp.h>

#include "log.h"
#include "us.h"

#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

static void
write_sysctl(const char *family, const char *ifname, const char *key, const char *val)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return; /* e.g. IPv6 disabled: not fatal */
	if (write(fd, val, strlen(val)) < 0) {
		/* best effort */
	}
	close(fd);
}

int
us_tun_open(struct us *us, struct errbuf *err)
{
	struct ifreq ifr;
	uint32_t i;
	int fd, sz = (int)sizeof(struct virtio_net_hdr);

	/* attaching queues to someone else's st0 would merge two dataplanes */
	if (if_nametoindex(us->tun_name) != 0)
		return errbuf_set(err, -EEXIST,
		    "%s already exists in this network namespace (another dataplane?)",
		    us->tun_name);
	for (i = 0; i < us->nspu; i++) {
		fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return errbuf_set(err, -errno, "/dev/net/tun: %s", strerror(errno));
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", us->tun_name);
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			int e = errno;
			close(fd);
			return errbuf_set(err, -e, "%s: cannot create the TUN device: %s",
			    us->tun_name, strerror(e));
		}
		us->spu[i].tunfd = fd;
		if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0)
			return errbuf_set(
			    err, -errno, "%s: TUNSETVNETHDRSZ: %s", us->tun_name, strerror(errno));
		if (i == 0 && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0)
			return errbuf_set(
			    err, -errno, "%s: TUNSETOFFLOAD: %s", us->tun_name, strerror(errno));
	}
	us->ifindex = (int)if_nametoindex(us->tun_name);
	if (us->ifindex == 0)
		return errbuf_set(err, -errno, "%s: %s", us->tun_name, strerror(errno));
	/* ICMP errors the dataplane writes come from st0's own addresses;
	 * traffic arrives on st0 from any source */
	write_sysctl("ipv4", us->tun_name, "accept_local", "1");
	write_sysctl("ipv4", us->tun_name, "rp_filter", "0");
	write_sysctl("ipv6", us->tun_name, "addr_gen_mode", "1");
	write_sysctl("ipv6", us->tun_name, "accept_dad", "0");
	write_sysctl("ipv6", us->tun_name, "router_solicitations", "0");
	return nl_link_set(us->nl, us->ifindex, true, US_TUN_MTU, err);
}

/*
 * The unit address devices "st0-addrN". Unit addresses do not live on st0:
 * every address added to a device makes the kernel walk that device's
 * addresses (__inet_insert_ifa) and every route whose next-hop device
 * hashes with it (fib_sync_up): quadratic for 10,000 addresses on one
 * device (on st0 the walk also meets the units' 20,000 routes; on lo it
 * costs about 1 s of system time with `ip -batch` alone). They are spread
 * over devices of the dataplane's own, at most US_ADEV_UNITS units each:
 * 10,000 addresses on 40 devices take a sixth of that. The routes
 * into a unit name its address as preferred source, so what the box sends
 * through st0.N still comes from st0.N's address, and traffic to the
 * address is local whatever device carries it.
 *
 * Each is a non-persistent single-queue TUN whose fd the dataplane holds
 * and never reads: the kernel removes it, and its addresses, when the fd
 * closes, also when the dataplane crashes, so nothing is left to clean up
 * at the next start. Only local routes point at it; what the kernel might
 * send there (a unit subnet's broadcast) waits in a queue of
 * US_ADEV_TXQLEN packets, then is dropped.
 */
#define US_ADEV_TXQLEN 8

int
us_adev_open(struct us *us, uint32_t slot, struct errbuf *err)
{
	struct us_adev *a = &us->adev[slot];
	struct ifreq ifr;
	char name[IFNAMSIZ];
	int fd, rc;

	if ((size_t)snprintf(name, sizeof(name), "%s-addr%u", us->tun_name, slot) >= sizeof(name))
		return errbuf_set(err, -ENAMETOOLONG,
		    "%s: name too long for its unit address devices", us->tun_name);
	/* ours go with the dataplane: one of this name is someone else's */
	if (if_nametoindex(name) != 0)
		return errbuf_set(err, -EEXIST, "%s already exists (not this dataplane's)", name);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errbuf_set(err, -errno, "/dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, sizeof(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = errbuf_set(
		    err, -errno, "%s: cannot create the TUN device: %s", name, strerror(errno));
		close(fd);
		return rc;
	}
	a->fd = fd;
	a->units = 0;
	a->ifindex = (int)if_nametoindex(name);
	if (a->ifindex == 0) {
		rc = errbuf_set(err, -errno, "%s: %s", name, strerror(errno));
		us_adev_close(us, slot);
		return rc;
	}
	/* no link-local address, DAD or router solicitation; a deleted
	 * address keeps the others of its subnet */
	write_sysctl("ipv6", name, "addr_gen_mode", "1");
	write_sysctl("ipv6", name, "accept_dad", "0");
	write_sysctl("ipv6", name, "router_solicitations", "0");
	write_sysctl("ipv4", name, "promote_secondaries", "1");
	if ((rc = nl_link_up_txqlen(us->nl, a->ifindex, US_ADEV_TXQLEN, name, err)) < 0) {
		us_adev_close(us, slot);
		return rc;
	}
	return 0;
}

/* Closes the device of a slot: the kernel removes it with its addresses. */
void
us_adev_close(struct us *us, uint32_t slot)
{
	struct us_adev *a = &us->adev[slot];

	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	a->ifindex = 0;
	a->units = 0;
}

static int
sock_opts(int fd, int family, bool df, bool udp, struct errbuf *err, const char *what)
{
	int one = 1, buf = 8 << 20, pmtu;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	if (family == AF_INET) {
		/* DONT: DF clear, the kernel fragments; PROBE: DF set, no PMTU cache */
		pmtu = df ? IP_PMTUDISC_PROBE : IP_PMTUDISC_DONT;
		if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one)) < 0)
			return errbuf_set(
			    err, -errno, "%s: socket options: %s", what, strerror(errno));
	} else {
		pmtu = df ? IPV6_PMTUDISC_PROBE : IPV6_PMTUDISC_DONT;
		/* IPV6_V6ONLY: the IPv4 group is separate (raw sockets: no such option) */
		if ((udp && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof(pmtu)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one)) < 0)
			return errbuf_set(
			    err, -errno, "%s: socket options: %s", what, strerror(errno));
		if (df)
			setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one));
	}
	return 0;
}

static int
udp_open(struct us *us, int family, bool df, bool gro, struct errbuf *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, rc;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errbuf_set(err, -errno, "UDP socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		rc = errbuf_set(err, -errno, "SO_REUSEPORT: %s", strerror(errno));
		goto fail;
	}
	if ((rc = sock_opts(fd, family, df, true, err, "UDP 4500")) < 0)
		goto fail;
	if (gro)
		setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(us->natt_port);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(us->natt_port);
		sl = sizeof(*sin6);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		rc = errbuf_set(err, -errno, "UDP port %u (%s): %s", us->natt_port,
		    family == AF_INET ? "IPv4" : "IPv6", strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

/* The reuseport steering program (see the file comment). */
static int
attach_reuseport_prog(int fd, uint32_t nspu, struct errbuf *err)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),        /* A = payload length */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 4, 0, 5), /* < 4: keepalive -> IKE */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),        /* A = first word */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0), /* non-ESP marker -> IKE */
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, nspu),    /* A = SPI mod nspu */
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),       /* + 1: skip the IKE socket */
		BPF_STMT(BPF_RET | BPF_A, 0), BPF_STMT(BPF_RET | BPF_K, 0), /* the IKE socket */
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
		return errbuf_set(err, -errno, "SO_ATTACH_REUSEPORT_CBPF: %s", strerror(errno));
	return 0;
}

/* Raw ESP socket filter: accept SPI mod nspu == idx (or nothing). */
static int
attach_raw_filter(int fd, int family, uint32_t nspu, uint32_t idx, bool none, struct errbuf *err)
{
	struct sock_filter v4[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), /* X = IPv4 header length */
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0),  /* A = SPI */
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, nspu),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, idx, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter v6[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), /* A = SPI (no IPv6 header) */
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, nspu),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, idx, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter drop[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog;

	if (none) {
		prog.len = 1;
		prog.filter = drop;
	} else if (nspu <= 1) {
		return 0;
	} else if (family == AF_INET) {
		prog.len = sizeof(v4) / sizeof(v4[0]);
		prog.filter = v4;
	} else {
		prog.len = sizeof(v6) / sizeof(v6[0]);
		prog.filter = v6;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return errbuf_set(err, -errno, "SO_ATTACH_FILTER: %s", strerror(errno));
	return 0;
}

static int
raw_open(int family, bool df, struct errbuf *err)
{
	int fd, rc;

	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
	if (fd < 0)
		return errbuf_set(err, -errno, "raw ESP socket: %s", strerror(errno));
	if ((rc = sock_opts(fd, family, df, false, err, "raw ESP")) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int
us_sockets_open(struct us *us, struct errbuf *err)
{
	static const int fam[2] = { AF_INET, AF_INET6 };
	struct epoll_event ev;
	uint32_t i;
	int f, rc;

	for (f = 0; f < 2; f++) {
		/* a kernel without IPv6 (ipv6.disable=1): IPv4 only */
		if (f == 1) {
			int probe = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (probe < 0 && errno == EAFNOSUPPORT) {
				log_warnx(
				    LOG_SPU, "no IPv6 in this kernel: IPv4 outer addresses only");
				break;
			}
			if (probe >= 0)
				close(probe);
		}
		/* bind order is the reuseport index order */
		rc = udp_open(us, fam[f], false, false, err);
		if (rc < 0)
			return rc;
		us->ike[f] = rc;
		for (i = 0; i < us->nspu; i++) {
			if ((rc = udp_open(us, fam[f], false, true, err)) < 0)
				return rc;
			us->spu[i].udp[f] = rc;
		}
		for (i = 0; i < us->nspu; i++) {
			if ((rc = udp_open(us, fam[f], true, false, err)) < 0)
				return rc;
			us->spu[i].udp_df[f] = rc;
		}
		if ((rc = attach_reuseport_prog(us->ike[f], us->nspu, err)) < 0)
			return rc;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)f + 1;
		if (epoll_ctl(us->agg_fd, EPOLL_CTL_ADD, us->ike[f], &ev) < 0)
			return errbuf_set(err, -errno, "epoll: %s", strerror(errno));

		for (i = 0; i < us->nspu; i++) {
			if ((rc = raw_open(fam[f], false, err)) < 0)
				return rc;
			us->spu[i].raw[f] = rc;
			if ((rc = attach_raw_filter(rc, fam[f], us->nspu, i, false, err)) < 0)
				return rc;
			if ((rc = raw_open(fam[f], true, err)) < 0)
				return rc;
			us->spu[i].raw_df[f] = rc;
			if ((rc = attach_raw_filter(rc, fam[f], us->nspu, i, true, err)) < 0)
				return rc;
		}
	}
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void
us_io_close(struct us *us)
{
	uint32_t i;
	int f;

	for (f = 0; f < 2; f++)
		close_fd(&us->ike[f]);
	for (i = 0; i < us->nadev; i++)
		us_adev_close(us, i); /* with the unit addresses */
	if (us->spu == NULL)
		return;
	for (i = 0; i < us->nspu; i++) {
		struct spu *s = &us->spu[i];
		for (f = 0; f < 2; f++) {
			close_fd(&s->udp[f]);
			close_fd(&s->udp_df[f]);
			close_fd(&s->raw[f]);
			close_fd(&s->raw_df[f]);
		}
		close_fd(&s->tunfd); /* the last queue takes st0 and its routes away */
	}
}
