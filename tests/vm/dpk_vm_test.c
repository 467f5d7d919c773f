/* SPDX-License-Identifier: MIT */
/*
 * dpk-vm-test: the kernel dataplane backend carrying real ESP, run inside a
 * qemu guest whose kernel has ESP (tests/vm/run-vm-test.sh boots it).
 * Everything ESP is installed by Cairn's own code (dp_kernel_ops); the
 * guest's init only made the two namespaces and their plain addresses:
 *
 *   netns L                                         netns R
 *   lo 10.0.1.1 10.0.5.1                            lo 10.0.2.1 10.0.6.1
 *   st0.0 10.0.3.1  st0.1 10.0.7.1  st0.2           st0.0 10.0.4.1  st0.1 10.0.8.1
 *   vL 192.0.2.1/24 ------------- veth ------------ vR 192.0.2.2/24
 *
 *   A  policy-based, AES-GCM-128, inbound SPIs from spi_alloc (UPDSA path)
 *   B  route-based st0.0, AES-CBC-128 + HMAC-SHA-256-128, ESN, window 128
 *   B2 sa_update: a lifetime (soft expiry follows), the peer's address
 *      moved away and back (counters carried)
 *   B3 two outbound SAs with one SPI to two peers: a lifetime update and a
 *      peer move of one leave the other untouched (read from the kernel's
 *      dump); an update naming no tunnel is refused as ambiguous
 *   C  per-CPU outbound SAs (DP_SA_PCPU) on CPU0/CPU1, if the kernel has them
 *   D  route-based st0.1, AES-CBC-256 + HMAC-SHA-512-256, ESP in UDP 4500,
 *      soft packet lifetime -> DP_EV_SOFT_EXPIRE
 *   D2 sa_update: the peer's UDP port moved (NAT mapping) and back
 *   E  route-based st0.2 with no SA, on-traffic -> DP_EV_ACQUIRE; its ACQ
 *      state in the dump carries reqid, outer addresses and if_id
 *   G  route-based st0.3 over IPv6 (outer and inner), AES-GCM-256
 *   K  a tunnel delete whose SA delete the kernel refuses: the SA stays listed
 *   L  an event-socket overrun: the lost acquires and an SA gone behind the
 *      backend's back come from the resynchronisation's dump
 *   F  the inbound SA of A deleted on R: traffic stops
 * Counters are read back through sa_stats / spu_stats. Prints "ok", "FAIL"
 * and "SKIP" lines; exits 0 when nothing failed.
 *
 * usage: dpk-vm-test NS_L NS_R   (names under /run/netns)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dp.h"
#include "dp_kernel.h"
#include "xfrm.h"

#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

static const struct dp_ops *ops = &dp_kernel_ops;
static int npass, nfail;
static int ns_fd[2];
static const char *ns_name[2];

enum { L, R };

static void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
ok(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("ok   - ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	npass++;
}

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL - ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	nfail++;
}

static void
skip(const char *what)
{
	printf("SKIP - %s\n", what);
}

static void
sec(const char *what)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	printf("== [%ld.%03lds] %s\n", (long)t.tv_sec, t.tv_nsec / 1000000, what);
	fflush(stdout);
}

/* A failed step: prints the operator message and counts a failure. */
static bool
step(int rc, const struct errbuf *err, const char *what)
{
	if (rc == 0)
		return true;
	bad("%s: %d %s", what, rc, err->msg);
	return false;
}

/* Drops or raises CAP_NET_ADMIN in this thread's effective set (the
 * permitted set keeps it, so it can come back). */
static void
net_admin_effective(bool on)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0) {
		perror("capget");
		exit(2);
	}
	if (on)
		d[0].effective |= 1u << CAP_NET_ADMIN;
	else
		d[0].effective &= ~(1u << CAP_NET_ADMIN);
	if (syscall(SYS_capset, &h, d) < 0) {
		perror("capset");
		exit(2);
	}
}

static struct dp_addr
ip(const char *s)
{
	struct dp_addr a;

	memset(&a, 0, sizeof(a));
	a.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a.family, s, a.u.b) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
	return a;
}

static struct dp_prefix
pfx(const char *s, uint8_t len)
{
	struct dp_prefix p = { .addr = ip(s), .len = len };

	return p;
}

static struct dp_ts
ts_net(const char *lo, const char *hi)
{
	struct dp_ts t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	t.port_hi = 0xffff;
	t.addr_lo = ip(lo);
	t.addr_hi = ip(hi);
	return t;
}

static void
enter(int side)
{
	if (setns(ns_fd[side], CLONE_NEWNET) < 0) {
		perror("setns");
		exit(2);
	}
}

static void *
dp_open_in(int side)
{
	struct dp_config cfg = { .backend = DP_BACKEND_KERNEL, .netns = ns_name[side] };
	struct errbuf err = { { 0 } };
	void *impl = NULL;

	enter(side);
	if (ops->open(&cfg, &impl, &err) < 0) {
		bad("open kernel dataplane in %s: %s", ns_name[side], err.msg);
		exit(1);
	}
	return impl;
}

/* ping in a namespace, optionally pinned to a CPU; true when all replies came. */
static bool
ping(int side, int cpu, int count, const char *src, const char *dst)
{
	char c[8];
	int status;
	pid_t pid;

	snprintf(c, sizeof(c), "%d", count);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		enter(side);
		if (cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set) < 0)
				_exit(3);
		}
		/* single pings are the negative checks: do not wait long */
		execlp("ping", "ping", "-q", "-A", "-c", c, "-W", count == 1 ? "1" : "2", "-I", src,
		    dst, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Fixed test keys (never use outside tests). */
static void
keys(struct dp_sa *sa, enum dp_enc enc, enum dp_integ integ, uint8_t seed)
{
	static const uint8_t enc_len[] = { 20, 36, 16, 32 };
	static const uint8_t integ_len[] = { 0, 32, 48, 64 };

	sa->enc = enc;
	sa->integ = integ;
	sa->enc_key_len = enc_len[enc];
	sa->integ_key_len = integ_len[integ];
	for (unsigned i = 0; i < DP_KEY_MAX; i++) {
		sa->enc_key[i] = (uint8_t)(seed + i);
		sa->integ_key[i] = (uint8_t)(seed * 3 + i);
	}
	if (sa->enc_key_len < DP_KEY_MAX)
		memset(sa->enc_key + sa->enc_key_len, 0, DP_KEY_MAX - sa->enc_key_len);
	if (sa->integ_key_len < DP_KEY_MAX)
		memset(sa->integ_key + sa->integ_key_len, 0, DP_KEY_MAX - sa->integ_key_len);
}

/* The SA as one side sees it: dir relative to that side. */
static struct dp_sa
sa_for(int side, enum dp_dir dir, uint32_t spi, uint32_t tunnel)
{
	struct dp_sa sa;

	memset(&sa, 0, sizeof(sa));
	sa.spi = spi;
	sa.dir = dir;
	sa.tunnel_id = tunnel;
	sa.local = ip(side == L ? "192.0.2.1" : "192.0.2.2");
	sa.remote = ip(side == L ? "192.0.2.2" : "192.0.2.1");
	sa.df = DP_DF_COPY;
	sa.replay_window = dir == DP_DIR_IN ? 32 : 0;
	sa.flags = DP_SA_COPY_DSCP;
	return sa;
}

static uint64_t
pkts(void *k, uint32_t spi, enum dp_dir dir, const char *dst)
{
	struct errbuf err = { { 0 } };
	struct dp_sa_stats st;
	struct dp_addr d = ip(dst);

	if (ops->sa_stats(k, spi, dir, &d, &st, &err) < 0) {
		bad("sa_stats %08x: %s", spi, err.msg);
		return 0;
	}
	return st.packets;
}

static void
counted(void *k, const char *who, uint32_t spi, enum dp_dir dir, const char *dst, uint64_t min)
{
	uint64_t n = pkts(k, spi, dir, dst);

	if (n >= min)
		ok("%s: SA %08x counted %llu packets", who, spi, (unsigned long long)n);
	else
		bad("%s: SA %08x counted %llu packets, want >= %llu", who, spi,
		    (unsigned long long)n, (unsigned long long)min);
}

/* Both directions of one CHILD SA pair on both sides. */
static bool
install_pair(void *k[2], uint32_t tunnel, uint32_t spi_lr, uint32_t spi_rl, enum dp_enc enc,
    enum dp_integ integ, uint32_t extra_flags, const char *what)
{
	struct errbuf err = { { 0 } };
	struct dp_sa sa;
	bool good = true;

	for (int side = L; side <= R && good; side++) {
		uint32_t out = side == L ? spi_lr : spi_rl, in = side == L ? spi_rl : spi_lr;

		sa = sa_for(side, DP_DIR_OUT, out, tunnel);
		sa.flags |= extra_flags;
		keys(&sa, enc, integ, (uint8_t)out);
		good = step(ops->sa_add(k[side], &sa, &err), &err, what);
		sa = sa_for(side, DP_DIR_IN, in, tunnel);
		sa.flags |= extra_flags;
		if (extra_flags & DP_SA_ESN)
			sa.replay_window = 128;
		keys(&sa, enc, integ, (uint8_t)in);
		good = good && step(ops->sa_add(k[side], &sa, &err), &err, what);
		explicit_bzero(&sa, sizeof(sa));
	}
	return good;
}

static void
units_and_routes(void *k[2], uint32_t unit, const char *addr_l, const char *addr_r,
    const char *net_l, const char *net_r)
{
	struct errbuf err = { { 0 } };

	for (int side = L; side <= R; side++) {
		struct dp_unit u = { .unit = unit, .mtu = 1400, .up = true };
		struct dp_route r = { .unit = unit };

		u.addr4 = pfx(side == L ? addr_l : addr_r, 32);
		r.dst = pfx(side == L ? net_r : net_l, 24);
		if (step(ops->unit_set(k[side], &u, &err), &err, "unit_set") &&
		    step(ops->route_add(k[side], &r, &err), &err, "route_add"))
			ok("%s: st0.%u (xfrm interface if_id %u) up with %s, route %s/24",
			    ns_name[side], unit, dp_kernel_unit_if_id(unit),
			    side == L ? addr_l : addr_r, side == L ? net_r : net_l);
	}
}

static void
tunnel(void *k[2], uint32_t id, uint32_t unit, bool on_traffic)
{
	struct errbuf err = { { 0 } };

	for (int side = L; side <= R; side++) {
		struct dp_tunnel t;

		memset(&t, 0, sizeof(t));
		t.id = id;
		t.unit = unit;
		t.on_traffic = on_traffic;
		t.local_gw = ip(side == L ? "192.0.2.1" : "192.0.2.2");
		t.remote_gw = ip(side == L ? "192.0.2.2" : "192.0.2.1");
		step(ops->tunnel_set(k[side], &t, &err), &err, "tunnel_set");
	}
}

static void
policies(void *k[2], uint32_t tunnel_id, const char *net_l, const char *net_l_hi, const char *net_r,
    const char *net_r_hi)
{
	struct errbuf err = { { 0 } };

	for (int side = L; side <= R; side++) {
		struct dp_ts mine = side == L ? ts_net(net_l, net_l_hi) : ts_net(net_r, net_r_hi);
		struct dp_ts theirs = side == L ? ts_net(net_r, net_r_hi) : ts_net(net_l, net_l_hi);
		struct dp_policy p = { .tunnel_id = tunnel_id, .priority = 100 };

		p.id = tunnel_id * 10 + 1;
		p.dir = DP_DIR_OUT;
		p.sel_src = mine;
		p.sel_dst = theirs;
		step(ops->policy_add(k[side], &p, &err), &err, "policy_add out");
		p.id = tunnel_id * 10 + 2;
		p.dir = DP_DIR_IN;
		p.sel_src = theirs;
		p.sel_dst = mine;
		step(ops->policy_add(k[side], &p, &err), &err, "policy_add in");
	}
}

/* Waits for an event of type (and SPI, 0 = any); others are skipped. */
static bool
wait_event(void *k, enum dp_event_type type, uint32_t spi, struct dp_event *ev, int ms)
{
	struct pollfd pfd = { .fd = ops->event_fd(k), .events = POLLIN };

	for (int waited = 0; waited <= ms; waited += 100) {
		while (ops->event_read(k, ev) == 0)
			if (ev->type == type && (spi == 0 || ev->spi == spi))
				return true;
		poll(&pfd, 1, 100);
	}
	return false;
}

/* One SA of the kernel's dump, by SPI and destination. */
struct dumped {
	uint32_t spi;
	struct dp_addr dst;
	bool found;
	uint64_t soft_packets;
	uint32_t reqid;
};

static int
dumped_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	struct dumped *d = arg;
	struct xfrm_sa_info info;
	struct dp_addr dst;

	if (hdr->nlmsg_type != XFRM_MSG_NEWSA || xfrm_parse_sa(payload, &info) < 0)
		return 0;
	xfrm_addr_to_dp(&dst, info.u.family, &info.u.id.daddr);
	if (ntohl(info.u.id.spi) != d->spi || dst.family != d->dst.family ||
	    memcmp(dst.u.b, d->dst.u.b, dst.family == AF_INET ? 4 : 16) != 0)
		return 0;
	d->found = true;
	d->soft_packets = info.u.lft.soft_packet_limit;
	d->reqid = info.u.reqid;
	return 0;
}

/* Reads the SA (spi, dst) from the kernel's own dump of side's namespace
 * (not through the backend's table). */
static struct dumped
kernel_sa(int side, uint32_t spi, const char *dst)
{
	struct dumped d = { .spi = spi, .dst = ip(dst) };
	uint8_t buf[XFRM_REQ_MAX] __attribute__((aligned(8)));
	struct xnl *nl;
	int rc;

	enter(side);
	if ((nl = xnl_open(NETLINK_XFRM, 0)) == NULL) {
		bad("dump: cannot open an XFRM socket: %s", strerror(errno));
		return d;
	}
	rc = xfrm_build_sa_dump(buf, sizeof(buf));
	if (rc < 0 || (rc = xnl_transact(nl, (struct nlmsghdr *)buf, dumped_cb, &d, NULL)) < 0)
		bad("dump of the kernel's SAs: %s", strerror(-rc));
	xnl_close(nl);
	return d;
}

/* A pending acquire's ACQ state in the kernel's dump, by reqid. */
struct acq_state {
	uint32_t reqid;
	bool found, has_if_id;
	uint32_t if_id;
	struct dp_addr src, dst; /* the template's outer addresses */
};

static int
acq_state_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	struct acq_state *a = arg;
	struct xfrm_sa_info info;

	if (hdr->nlmsg_type != XFRM_MSG_NEWSA || xfrm_parse_sa(payload, &info) < 0 ||
	    !xfrm_sa_is_acquire(&info) || info.u.reqid != a->reqid)
		return 0;
	a->found = true;
	a->has_if_id = info.has_if_id;
	a->if_id = info.if_id;
	xfrm_addr_to_dp(&a->src, info.u.family, &info.u.saddr);
	xfrm_addr_to_dp(&a->dst, info.u.family, &info.u.id.daddr);
	return 0;
}

/* ESP-in-UDP receive path: a UDP 4500 socket in encap mode (iked's job). */
static int
natt_socket(int side)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(4500) };
	int fd, type = UDP_ENCAP_ESPINUDP;

	enter(side);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0) {
		bad("%s: UDP 4500 encap socket: %s", ns_name[side], strerror(errno));
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	struct errbuf err = { { 0 } };
	struct dp_event ev;
	struct dp_sa sa;
	void *k[2];
	uint32_t spi_a_lr = 0, spi_a_rl = 0;
	int rc, natt[2];
	char path[128];

	if (argc != 3) {
		fprintf(stderr, "usage: dpk-vm-test NS_L NS_R\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int side = L; side <= R; side++) {
		ns_name[side] = argv[1 + side];
		snprintf(path, sizeof(path), "/run/netns/%s", ns_name[side]);
		if ((ns_fd[side] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			perror(path);
			return 2;
		}
	}

	sec("probe");
	rc = dp_kernel_probe(&err);
	if (rc == 0)
		ok("dp_kernel_probe: this kernel installs ESP SAs (CBC+HMAC and GCM)");
	else
		bad("dp_kernel_probe: %d %s", rc, err.msg);

	k[L] = dp_open_in(L);
	k[R] = dp_open_in(R);
	ok("kernel dataplane open in %s and %s, %u SPUs (CPUs)", ns_name[L], ns_name[R],
	    ops->spu_count(k[L]));

	sec("A: policy-based, AES-GCM-128, SPIs from spi_alloc");
	tunnel(k, 1, DP_UNIT_NONE, false);
	policies(k, 1, "10.0.1.0", "10.0.1.255", "10.0.2.0", "10.0.2.255");
	{
		struct dp_addr gl = ip("192.0.2.1"), gr = ip("192.0.2.2");

		if (step(ops->spi_alloc(k[R], &gr, &gl, 0, &spi_a_lr, &err), &err, "spi_alloc R") &&
		    step(ops->spi_alloc(k[L], &gl, &gr, 0, &spi_a_rl, &err), &err, "spi_alloc L"))
			ok("A: allocated inbound SPIs %08x (R) and %08x (L)", spi_a_lr, spi_a_rl);
	}
	if (install_pair(k, 1, spi_a_lr, spi_a_rl, DP_ENC_AES_GCM_128, DP_INTEG_NONE, 0, "A"))
		ok("A: GCM SAs installed (larval SAs updated)");
	if (ping(L, -1, 3, "10.0.1.1", "10.0.2.1"))
		ok("A: ping 10.0.1.1 -> 10.0.2.1 through the GCM tunnel");
	else
		bad("A: ping 10.0.1.1 -> 10.0.2.1 through the GCM tunnel");
	counted(k[L], "A: L encrypt", spi_a_lr, DP_DIR_OUT, "192.0.2.2", 3);
	counted(k[R], "A: R decrypt", spi_a_lr, DP_DIR_IN, "192.0.2.2", 3);
	counted(k[R], "A: R encrypt", spi_a_rl, DP_DIR_OUT, "192.0.2.1", 3);
	counted(k[L], "A: L decrypt", spi_a_rl, DP_DIR_IN, "192.0.2.1", 3);

	sec("B: route-based st0.0, AES-CBC-128 + HMAC-SHA-256-128, ESN, window 128");
	units_and_routes(k, 0, "10.0.3.1", "10.0.4.1", "10.0.3.0", "10.0.4.0");
	tunnel(k, 2, 0, false);
	if (install_pair(
	        k, 2, 0x2001, 0x2002, DP_ENC_AES_CBC_128, DP_INTEG_HMAC_SHA256_128, DP_SA_ESN, "B"))
		ok("B: CBC/HMAC-SHA-256 ESN SAs installed with if_id %u", dp_kernel_unit_if_id(0));
	if (ping(L, -1, 3, "10.0.3.1", "10.0.4.1"))
		ok("B: ping 10.0.3.1 -> 10.0.4.1 through st0.0");
	else
		bad("B: ping 10.0.3.1 -> 10.0.4.1 through st0.0");
	counted(k[L], "B: L encrypt", 0x2001, DP_DIR_OUT, "192.0.2.2", 3);
	counted(k[R], "B: R decrypt", 0x2001, DP_DIR_IN, "192.0.2.2", 3);
	counted(k[L], "B: L decrypt", 0x2002, DP_DIR_IN, "192.0.2.1", 3);
	{
		struct dp_sa_stats st;
		struct dp_addr d = ip("192.0.2.2");

		if (ops->sa_stats(k[L], 0x2001, DP_DIR_OUT, &d, &st, &err) == 0 && st.seq >= 3 &&
		    st.add_time > 0)
			ok("B: outbound sequence number %llu, installed at %llus (monotonic)",
			    (unsigned long long)st.seq, (unsigned long long)st.add_time);
		else
			bad("B: outbound seq/add_time not reported: %s", err.msg);
	}

	sec("B2: sa_update: lifetime, then the peer's address moves and comes back");
	{
		struct dp_sa u = sa_for(L, DP_DIR_OUT, 0x2001, 2);
		struct dp_sa_stats st;
		struct dp_addr moved = ip("192.0.2.3"), home = ip("192.0.2.2");
		uint64_t before = pkts(k[L], 0x2001, DP_DIR_OUT, "192.0.2.2");

		u.life.soft_packets = before + 2;
		if (step(
		        ops->sa_update(k[L], &u, DP_SA_UPD_LIFETIME, &err), &err, "B2: lifetime") &&
		    ping(L, -1, 3, "10.0.3.1", "10.0.4.1") &&
		    wait_event(k[L], DP_EV_SOFT_EXPIRE, 0x2001, &ev, 3000))
			ok("B2: soft limit set by sa_update to %llu packets: %s",
			    (unsigned long long)u.life.soft_packets, ev.msg);
		else
			bad("B2: no soft expiry after sa_update of the lifetime");
		u.remote = moved;
		before = pkts(k[L], 0x2001, DP_DIR_OUT, "192.0.2.2");
		err.msg[0] = '\0';
		if (step(ops->sa_update(k[L], &u, DP_SA_UPD_REMOTE, &err), &err, "B2: move") &&
		    ops->sa_stats(k[L], 0x2001, DP_DIR_OUT, &moved, &st, &err) == 0 &&
		    ops->sa_stats(k[L], 0x2001, DP_DIR_OUT, &home, &st, &err) == -ESRCH)
			ok("B2: outbound SA 00002001 now to 192.0.2.3 (re-added, old one gone)");
		else
			bad("B2: outbound SA not moved: %s", err.msg);
		if (ping(L, -1, 1, "10.0.3.1", "10.0.4.1"))
			bad("B2: ping answered while the SA points at 192.0.2.3");
		else
			ok("B2: traffic follows the SA to 192.0.2.3 (no answer there)");
		u.remote = home;
		err.msg[0] = '\0';
		if (step(ops->sa_update(k[L], &u, DP_SA_UPD_REMOTE, &err), &err, "B2: back") &&
		    ping(L, -1, 3, "10.0.3.1", "10.0.4.1"))
			ok("B2: back to 192.0.2.2, ping through st0.0 again");
		else
			bad("B2: ping after moving the SA back");
		{
			uint64_t now = pkts(k[L], 0x2001, DP_DIR_OUT, "192.0.2.2");

			/* not reset by the re-adds: the pings after it add 3 */
			if (now >= before + 3)
				ok("B2: counters carried across the moves (%llu -> %llu)",
				    (unsigned long long)before, (unsigned long long)now);
			else
				bad("B2: counters %llu -> %llu, want >= +3",
				    (unsigned long long)before, (unsigned long long)now);
		}
		explicit_bzero(&u, sizeof(u));
	}

	sec("B3: two peers chose the same outbound SPI: an update touches only its own SA");
	{
		/* Tunnels 20 and 21 (policy-based, no traffic) to two peers, each
		 * with outbound SA 0x5151: legal, the kernel keys SAs by (dst, SPI). */
		static const char *const peer[2] = { "192.0.2.20", "192.0.2.21" };
		struct dp_sa u;
		struct dumped d20, d21, d22;
		bool good = true;

		for (int i = 0; i < 2 && good; i++) {
			struct dp_tunnel t;

			memset(&t, 0, sizeof(t));
			t.id = 20 + (uint32_t)i;
			t.unit = DP_UNIT_NONE;
			t.local_gw = ip("192.0.2.1");
			t.remote_gw = ip(peer[i]);
			u = sa_for(L, DP_DIR_OUT, 0x5151, 20 + (uint32_t)i);
			u.remote = ip(peer[i]);
			keys(&u, DP_ENC_AES_GCM_128, DP_INTEG_NONE, (uint8_t)(0x51 + i));
			good = step(ops->tunnel_set(k[L], &t, &err), &err, "B3: tunnel_set") &&
			       step(ops->sa_add(k[L], &u, &err), &err, "B3: sa_add");
		}
		if (good)
			ok("B3: outbound SA 00005151 to 192.0.2.20 (tunnel 20) and to 192.0.2.21 "
			   "(tunnel 21)");
		/* a lifetime change of tunnel 21's SA */
		u = sa_for(L, DP_DIR_OUT, 0x5151, 21);
		u.remote = ip("192.0.2.21");
		u.life.soft_packets = 777;
		err.msg[0] = '\0';
		if (good && step(ops->sa_update(k[L], &u, DP_SA_UPD_LIFETIME, &err), &err,
		                "B3: lifetime")) {
			d20 = kernel_sa(L, 0x5151, "192.0.2.20");
			d21 = kernel_sa(L, 0x5151, "192.0.2.21");
			if (d21.found && d21.soft_packets == 777 && d20.found &&
			    d20.soft_packets != 777)
				ok("B3: lifetime update of tunnel 21's SA: the kernel shows it on "
				   "the "
				   "SA to 192.0.2.21 only");
			else
				bad("B3: lifetime update hit the wrong SA: to .20 %s soft %llu, to "
				    ".21 "
				    "%s soft %llu",
				    d20.found ? "present" : "MISSING",
				    (unsigned long long)d20.soft_packets,
				    d21.found ? "present" : "MISSING",
				    (unsigned long long)d21.soft_packets);
		}
		/* tunnel 21's peer moves (NAT) to 192.0.2.22 */
		u.remote = ip("192.0.2.22");
		err.msg[0] = '\0';
		if (good &&
		    step(ops->sa_update(k[L], &u, DP_SA_UPD_REMOTE, &err), &err, "B3: move")) {
			d20 = kernel_sa(L, 0x5151, "192.0.2.20");
			d21 = kernel_sa(L, 0x5151, "192.0.2.21");
			d22 = kernel_sa(L, 0x5151, "192.0.2.22");
			if (d20.found && !d21.found && d22.found && d22.reqid == 21 &&
			    d20.reqid == 20)
				ok("B3: tunnel 21's SA moved to 192.0.2.22 (reqid %u); tunnel 20's "
				   "SA "
				   "to 192.0.2.20 untouched (reqid %u)",
				    d22.reqid, d20.reqid);
			else
				bad("B3: the move hit the wrong SA: kernel has .20 %s (reqid %u), "
				    ".21 %s, .22 %s (reqid %u)",
				    d20.found ? "yes" : "NO", d20.reqid, d21.found ? "yes" : "no",
				    d22.found ? "yes" : "no", d22.reqid);
		}
		/* no tunnel named and the SPI is not unique: refused, nothing moved */
		u.tunnel_id = 0;
		u.remote = ip("192.0.2.23");
		err.msg[0] = '\0';
		rc = ops->sa_update(k[L], &u, DP_SA_UPD_REMOTE, &err);
		d20 = kernel_sa(L, 0x5151, "192.0.2.20");
		d22 = kernel_sa(L, 0x5151, "192.0.2.22");
		if (good && rc == -EEXIST && d20.found && d22.found)
			ok("B3: an update naming no tunnel is refused as ambiguous: %s", err.msg);
		else if (good)
			bad("B3: ambiguous update: rc %d (%s), .20 %s, .22 %s", rc, err.msg,
			    d20.found ? "kept" : "GONE", d22.found ? "kept" : "GONE");
		explicit_bzero(&u, sizeof(u));
		for (int i = 0; i < 2; i++)
			step(ops->tunnel_del(k[L], 20 + (uint32_t)i, &err), &err, "B3: tunnel_del");
	}

	sec("C: per-CPU outbound SAs (XFRMA_SA_PCPU)");
	tunnel(k, 3, DP_UNIT_NONE, false);
	policies(k, 3, "10.0.5.0", "10.0.5.255", "10.0.6.0", "10.0.6.255");
	sa = sa_for(L, DP_DIR_OUT, 0x3000, 3);
	sa.flags |= DP_SA_PCPU;
	sa.spu = 0;
	keys(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, 0x30);
	err.msg[0] = '\0';
	rc = ops->sa_add(k[L], &sa, &err);
	if (rc == -EOPNOTSUPP) {
		printf("       %s\n", err.msg);
		skip("C: per-CPU SAs: this kernel has none (Linux >= 6.13)");
	} else if (rc < 0) {
		bad("C: per-CPU SA for CPU0: %s", err.msg);
	} else if (ops->spu_count(k[L]) < 2) {
		skip("C: per-CPU SAs need 2 CPUs");
	} else {
		bool good = true;

		ok("C: per-CPU SA %08x for CPU0 installed and read back", sa.spi);
		sa.spi = 0x3001;
		sa.spu = 1;
		good = step(ops->sa_add(k[L], &sa, &err), &err, "C: per-CPU SA for CPU1");
		for (uint32_t spi = 0x3000; spi <= 0x3001 && good; spi++) {
			struct dp_sa in = sa_for(R, DP_DIR_IN, spi, 3);

			keys(&in, DP_ENC_AES_GCM_128, DP_INTEG_NONE, 0x30);
			good = step(ops->sa_add(k[R], &in, &err), &err, "C: R inbound");
		}
		for (int side = L; side <= R && good; side++) {
			struct dp_sa back =
			    sa_for(side, side == L ? DP_DIR_IN : DP_DIR_OUT, 0x3002, 3);

			keys(&back, DP_ENC_AES_GCM_128, DP_INTEG_NONE, 0x31);
			good = step(ops->sa_add(k[side], &back, &err), &err, "C: return SA");
		}
		if (good && ping(L, 0, 2, "10.0.5.1", "10.0.6.1") &&
		    ping(L, 1, 3, "10.0.5.1", "10.0.6.1"))
			ok("C: pings pinned to CPU0 (2) and CPU1 (3)");
		else
			bad("C: pinned pings through per-CPU SAs");
		{
			uint64_t n0 = pkts(k[L], 0x3000, DP_DIR_OUT, "192.0.2.2");
			uint64_t n1 = pkts(k[L], 0x3001, DP_DIR_OUT, "192.0.2.2");
			struct dp_spu_stats s1;

			if (n0 == 2 && n1 == 3)
				ok("C: CPU0 traffic used SA 00003000 (%llu), CPU1 used 00003001 "
				   "(%llu)",
				    (unsigned long long)n0, (unsigned long long)n1);
			else
				bad("C: per-CPU selection: SA 3000 %llu packets (want 2), SA 3001 "
				    "%llu "
				    "(want 3)",
				    (unsigned long long)n0, (unsigned long long)n1);
			if (ops->spu_stats(k[L], 1, &s1) == 0 && s1.encrypt_packets == 3)
				ok("C: spu_stats(1) encrypt_packets = 3");
			else
				bad("C: spu_stats(1) encrypt_packets = %llu, want 3",
				    (unsigned long long)s1.encrypt_packets);
		}
	}
	explicit_bzero(&sa, sizeof(sa));

	sec("D: route-based st0.1, AES-CBC-256 + HMAC-SHA-512-256, ESP in UDP 4500, soft expiry");
	natt[L] = natt_socket(L);
	natt[R] = natt_socket(R);
	units_and_routes(k, 1, "10.0.7.1", "10.0.8.1", "10.0.7.0", "10.0.8.0");
	tunnel(k, 4, 1, false);
	{
		bool good = true;

		for (int side = L; side <= R && good; side++)
			for (int d = 0; d < 2 && good; d++) {
				enum dp_dir dir = d ? DP_DIR_OUT : DP_DIR_IN;
				uint32_t spi = (side == L) == (dir == DP_DIR_OUT) ? 0x4001 : 0x4002;

				sa = sa_for(side, dir, spi, 4);
				sa.flags |= DP_SA_HAS_ENCAP | DP_SA_HAS_LIFETIME;
				sa.encap_local_port = sa.encap_remote_port = 4500;
				if (side == L && dir == DP_DIR_OUT)
					sa.life.soft_packets = 3;
				keys(&sa, DP_ENC_AES_CBC_256, DP_INTEG_HMAC_SHA512_256,
				    (uint8_t)spi);
				good = step(ops->sa_add(k[side], &sa, &err), &err, "D: sa_add");
				explicit_bzero(&sa, sizeof(sa));
			}
		if (good)
			ok("D: ESP-in-UDP SAs with HMAC-SHA-512 installed");
	}
	if (ping(L, -1, 5, "10.0.7.1", "10.0.8.1"))
		ok("D: ping 10.0.7.1 -> 10.0.8.1 through st0.1 in UDP 4500");
	else
		bad("D: ping 10.0.7.1 -> 10.0.8.1 through st0.1 in UDP 4500");
	counted(k[R], "D: R decrypt (UDP-encapsulated)", 0x4001, DP_DIR_IN, "192.0.2.2", 5);
	counted(k[L], "D: L decrypt (UDP-encapsulated)", 0x4002, DP_DIR_IN, "192.0.2.1", 5);
	if (wait_event(k[L], DP_EV_SOFT_EXPIRE, 0x4001, &ev, 3000) && ev.tunnel_id == 4)
		ok("D: DP_EV_SOFT_EXPIRE for SA %08x of tunnel %u: %s", ev.spi, ev.tunnel_id,
		    ev.msg);
	else
		bad("D: no soft-expire event for SA 00004001");

	sec("D2: sa_update: the peer's NAT port moves (4502: nobody listens), then back");
	{
		struct dp_sa u = sa_for(L, DP_DIR_OUT, 0x4001, 4);

		u.flags |= DP_SA_HAS_ENCAP;
		u.encap_local_port = 4500;
		u.encap_remote_port = 4502;
		if (step(ops->sa_update(k[L], &u, DP_SA_UPD_REMOTE, &err), &err, "D2: port") &&
		    !ping(L, -1, 1, "10.0.7.1", "10.0.8.1"))
			ok("D2: ESP-in-UDP to port 4502 is not answered");
		else
			bad("D2: port change had no effect");
		u.encap_remote_port = 4500;
		if (step(ops->sa_update(k[L], &u, DP_SA_UPD_REMOTE, &err), &err, "D2: back") &&
		    ping(L, -1, 2, "10.0.7.1", "10.0.8.1"))
			ok("D2: back on 4500, ping through st0.1 again");
		else
			bad("D2: ping after the port came back");
	}

	sec("E: route-based st0.2 with no SA, establish on traffic");
	units_and_routes(k, 2, "10.0.9.1", "10.0.10.1", "10.0.9.0", "10.0.10.0");
	tunnel(k, 5, 2, true);
	ping(L, -1, 1, "10.0.9.1", "10.0.10.1");
	if (wait_event(k[L], DP_EV_ACQUIRE, 0, &ev, 3000) && ev.tunnel_id == 5)
		ok("E: DP_EV_ACQUIRE for tunnel %u: %s", ev.tunnel_id, ev.msg);
	else
		bad("E: no acquire event for tunnel 5");
	{
		/* An overrun's resynchronisation knows a route-based tunnel's
		 * pending acquire by its template: reqid, outer addresses and
		 * the unit's if_id must all be in the ACQ state it dumps. */
		uint8_t b[XFRM_REQ_MAX] __attribute__((aligned(8)));
		struct acq_state a = { .reqid = 5 };
		struct dp_addr gl = ip("192.0.2.1"), gr = ip("192.0.2.2");
		struct xnl *nl;

		enter(L);
		nl = xnl_open(NETLINK_XFRM, 0);
		if (nl == NULL || xfrm_build_sa_dump(b, sizeof(b)) < 0 ||
		    xnl_transact(nl, (struct nlmsghdr *)b, acq_state_cb, &a, NULL) < 0)
			bad("E: dump of the kernel's SAs");
		else if (a.found && a.has_if_id && a.if_id == dp_kernel_unit_if_id(2) &&
		         memcmp(a.src.u.b, gl.u.b, 4) == 0 && memcmp(a.dst.u.b, gr.u.b, 4) == 0)
			ok("E: the pending acquire's ACQ state holds reqid 5, 192.0.2.1 -> "
			   "192.0.2.2 and if_id %u (what the resynchronisation matches)",
			    a.if_id);
		else
			bad("E: ACQ state of reqid 5: %s, if_id %s %u",
			    a.found ? "found" : "MISSING", a.has_if_id ? "present" : "ABSENT",
			    a.if_id);
		xnl_close(nl);
	}

	sec("G: route-based st0.3 over IPv6, AES-GCM-256, IPv6 inside");
	{
		bool good = true;

		for (int side = L; side <= R && good; side++) {
			struct dp_unit u = { .unit = 3, .up = true };
			struct dp_route r = { .unit = 3 };
			struct dp_tunnel t;

			u.addr6 = pfx(side == L ? "2001:db8:a::1" : "2001:db8:b::1", 128);
			r.dst = pfx(side == L ? "2001:db8:b::" : "2001:db8:a::", 64);
			memset(&t, 0, sizeof(t));
			t.id = 6;
			t.unit = 3;
			t.local_gw = ip(side == L ? "2001:db8:2::1" : "2001:db8:2::2");
			t.remote_gw = ip(side == L ? "2001:db8:2::2" : "2001:db8:2::1");
			good = step(ops->unit_set(k[side], &u, &err), &err, "G: unit_set") &&
			       step(ops->route_add(k[side], &r, &err), &err, "G: route_add") &&
			       step(ops->tunnel_set(k[side], &t, &err), &err, "G: tunnel_set");
			for (int d = 0; d < 2 && good; d++) {
				enum dp_dir dir = d ? DP_DIR_OUT : DP_DIR_IN;
				uint32_t spi = (side == L) == (dir == DP_DIR_OUT) ? 0x6001 : 0x6002;

				sa = sa_for(side, dir, spi, 6);
				sa.local = t.local_gw;
				sa.remote = t.remote_gw;
				keys(&sa, DP_ENC_AES_GCM_256, DP_INTEG_NONE, (uint8_t)spi);
				good = step(ops->sa_add(k[side], &sa, &err), &err, "G: sa_add");
				explicit_bzero(&sa, sizeof(sa));
			}
		}
		if (good)
			ok("G: st0.3 with 2001:db8:a::1 / 2001:db8:b::1, GCM-256 SAs over IPv6");
		if (good && ping(L, -1, 3, "2001:db8:a::1", "2001:db8:b::1"))
			ok("G: ping 2001:db8:a::1 -> 2001:db8:b::1 through st0.3 over IPv6");
		else
			bad("G: ping 2001:db8:a::1 -> 2001:db8:b::1 through st0.3 over IPv6");
		counted(k[L], "G: L encrypt (IPv6 outer)", 0x6001, DP_DIR_OUT, "2001:db8:2::2", 3);
		counted(k[R], "G: R decrypt (IPv6 outer)", 0x6001, DP_DIR_IN, "2001:db8:2::2", 3);
	}

	sec("H: an allocated SPI whose larval SA expired before sa_add");
	{
		uint8_t b[XFRM_REQ_MAX] __attribute__((aligned(8)));
		struct dp_addr gl = ip("192.0.2.1"), gr = ip("192.0.2.2");
		struct dp_sa_stats st;
		struct xnl *nl;
		uint32_t spi = 0;

		if (step(ops->spi_alloc(k[L], &gl, &gr, 0, &spi, &err), &err, "H: spi_alloc")) {
			/* the kernel drops a larval SA after xfrm_acq_expires (30 s):
			 * delete it behind the backend's back instead of waiting */
			enter(L);
			nl = xnl_open(NETLINK_XFRM, 0);
			if (nl == NULL ||
			    xfrm_build_sa_id(b, sizeof(b), XFRM_MSG_DELSA, &gl, spi, 0, 0) < 0 ||
			    xnl_transact(nl, (struct nlmsghdr *)b, NULL, NULL, NULL) < 0)
				bad("H: deleting the larval SA %08x", spi);
			sa = sa_for(L, DP_DIR_IN, spi, 1);
			keys(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, 0x48);
			{
				/* what the kernel answers an UPDSA of an SA it lacks */
				struct xfrm_sa_extra x = { .reqid = 1 };
				struct nlp_err kerr;
				int len =
				    xfrm_build_sa(b, sizeof(b), XFRM_MSG_UPDSA, &sa, &x, &err);

				rc = len < 0 || nl == NULL ? len
				                           : xnl_transact(nl, (struct nlmsghdr *)b,
				                                 NULL, NULL, &kerr);
				explicit_bzero(b, sizeof(b));
				if (rc == -ESRCH)
					ok("H: UPDSA of a missing SA: ESRCH (%s)", strerror(-rc));
				else
					bad("H: UPDSA of a missing SA: %d", rc);
			}
			xnl_close(nl);
			err.msg[0] = '\0';
			if (step(ops->sa_add(k[L], &sa, &err), &err, "H: sa_add") &&
			    ops->sa_stats(k[L], spi, DP_DIR_IN, &gl, &st, &err) == 0)
				ok("H: inbound SA %08x added anew (UPDSA: ESRCH, then NEWSA)", spi);
			explicit_bzero(&sa, sizeof(sa));
		}
	}

	sec("I: the largest anti-replay window the kernel takes");
	sa = sa_for(L, DP_DIR_IN, 0x7001, 2);
	keys(&sa, DP_ENC_AES_CBC_128, DP_INTEG_HMAC_SHA256_128, 0x70);
	sa.flags |= DP_SA_ESN;
	sa.replay_window = 4096;
	if (step(ops->sa_add(k[L], &sa, &err), &err, "I: window 4096"))
		ok("I: ESN SA with a 4096-packet window (128-word bitmap) installed");
	sa.spi = 0x7002;
	sa.replay_window = 8192;
	err.msg[0] = '\0';
	if (ops->sa_add(k[L], &sa, &err) == -EINVAL && strstr(err.msg, "larger than the kernel's"))
		ok("I: window 8192 refused: %s", err.msg);
	else
		bad("I: window 8192: %s", err.msg);
	explicit_bzero(&sa, sizeof(sa));

	sec("J: lifetimes in seconds: soft then hard expiry of an idle SA");
	sa = sa_for(L, DP_DIR_IN, 0x7003, 2);
	keys(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, 0x73);
	sa.flags |= DP_SA_HAS_LIFETIME;
	sa.life.soft_seconds = 1;
	sa.life.hard_seconds = 2;
	if (step(ops->sa_add(k[L], &sa, &err), &err, "J: sa_add")) {
		struct dp_addr d = ip("192.0.2.1");
		struct dp_sa_stats st;

		if (wait_event(k[L], DP_EV_SOFT_EXPIRE, 0x7003, &ev, 5000))
			ok("J: DP_EV_SOFT_EXPIRE after 1 s: %s", ev.msg);
		else
			bad("J: no soft expiry of SA 00007003");
		if (wait_event(k[L], DP_EV_HARD_EXPIRE, 0x7003, &ev, 5000) && ev.tunnel_id == 2 &&
		    ev.dir == DP_DIR_IN)
			ok("J: DP_EV_HARD_EXPIRE after 2 s (tunnel %u, inbound): %s", ev.tunnel_id,
			    ev.msg);
		else
			bad("J: no hard expiry of SA 00007003");
		err.msg[0] = '\0';
		rc = ops->sa_stats(k[L], 0x7003, DP_DIR_IN, &d, &st, &err);
		if (rc == -ESRCH)
			ok("J: the kernel removed it: %s", err.msg);
		else
			bad("J: sa_stats after the hard expiry: %d", rc);
	}
	explicit_bzero(&sa, sizeof(sa));

	sec("K: a tunnel delete the kernel refuses for its SA keeps the SA listed");
	{
		/* its own instance: closing it shows what its table still lists */
		void *kk[2] = { dp_open_in(L), NULL };
		struct dp_addr d = ip("192.0.2.1");
		struct dp_sa_stats st;
		struct dp_tunnel t;

		memset(&t, 0, sizeof(t));
		t.id = 9;
		t.unit = DP_UNIT_NONE;
		t.local_gw = ip("192.0.2.1");
		t.remote_gw = ip("192.0.2.2");
		sa = sa_for(L, DP_DIR_IN, 0x7009, 9);
		keys(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, 0x79);
		if (step(ops->tunnel_set(kk[0], &t, &err), &err, "K: tunnel_set") &&
		    step(ops->sa_add(kk[0], &sa, &err), &err, "K: sa_add")) {
			err.msg[0] = '\0';
			net_admin_effective(false); /* the kernel checks it at each request */
			rc = ops->tunnel_del(kk[0], 9, &err);
			net_admin_effective(true);
			if (rc == -EPERM && strstr(err.msg, "still installed"))
				ok("K: tunnel_del refused for its SA: %s", err.msg);
			else
				bad("K: tunnel_del with the SA delete refused: %d %s", rc, err.msg);
			if (ops->sa_stats(k[L], 0x7009, DP_DIR_IN, &d, &st, &err) == 0)
				ok("K: the kernel still holds the SA");
			else
				bad("K: the SA is gone from the kernel: %s", err.msg);
		}
		ops->close(kk[0]);
		err.msg[0] = '\0';
		rc = ops->sa_stats(k[L], 0x7009, DP_DIR_IN, &d, &st, &err);
		if (rc == -ESRCH || rc == -ENOENT)
			ok("K: close removed it: the table had kept it");
		else
			bad("K: the SA outlived its dataplane's close (%d): the table forgot it",
			    rc);
		explicit_bzero(&sa, sizeof(sa));
	}

	sec("L: an event-socket overrun: what was lost comes from the resynchronisation");
	{
		/* its own instance, with an event socket as small as the kernel
		 * allows; a second listener keeps the kernel's ACQ states */
		void *kl = dp_open_in(L);
		uint8_t b[XFRM_REQ_MAX] __attribute__((aligned(8)));
		struct dp_addr gl = ip("192.0.2.1"), gr = ip("192.0.2.2");
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
		struct dp_tunnel t;
		struct xnl *nl, *other;
		unsigned acq = 0, lost = 0, gone = 0, seen = 0;
		int one = 1, big = 4 << 20, fd;

		memset(&t, 0, sizeof(t));
		t.id = 10;
		t.unit = DP_UNIT_NONE;
		t.on_traffic = true;
		t.local_gw = gl;
		t.remote_gw = gr;
		sa = sa_for(L, DP_DIR_OUT, 0x700a, 10);
		keys(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, 0x7a);
		enter(L);
		nl = xnl_open(NETLINK_XFRM, 0);
		other = xnl_open(NETLINK_XFRM, 1u << (XFRMNLGRP_ACQUIRE - 1));
		if (nl != NULL && other != NULL &&
		    setsockopt(xnl_fd(other), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) == 0 &&
		    setsockopt(ops->event_fd(kl), SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)) == 0 &&
		    step(ops->tunnel_set(kl, &t, &err), &err, "L: tunnel_set") &&
		    step(ops->sa_add(kl, &sa, &err), &err, "L: sa_add")) {
			/* 1. the SA goes behind the backend's back (no expire is sent) */
			if (xfrm_build_sa_id(b, sizeof(b), XFRM_MSG_DELSA, &gr, 0x700a, 0, 0) < 0 ||
			    xnl_transact(nl, (struct nlmsghdr *)b, NULL, NULL, NULL) < 0)
				bad("L: deleting SA 0000700a behind the backend's back");
			/* 2. sixteen acquires at once overrun the small socket */
			for (unsigned i = 0; i < 16; i++) {
				char d[32];
				struct dp_policy p = { .id = 1000 + i,
					.tunnel_id = 10,
					.dir = DP_DIR_OUT,
					.priority = 10,
					.reqid = 1000 + i };

				snprintf(d, sizeof(d), "192.0.2.%u", 100 + i);
				p.sel_src = ts_net("192.0.2.1", "192.0.2.1");
				p.sel_dst = ts_net(d, d);
				step(ops->policy_add(kl, &p, &err), &err, "L: policy_add");
			}
			fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
			for (unsigned i = 0; fd >= 0 && i < 16; i++) {
				to.sin_addr.s_addr = htonl(0xc0000264u + i); /* 192.0.2.100 + i */
				(void)sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
			}
			if (fd >= 0)
				close(fd);
			/* 3. read until drained: the overrun, then the dump's events */
			while (ops->event_read(kl, &ev) == 0) {
				if (ev.type == DP_EV_ACQUIRE && ev.tunnel_id == 10) {
					unsigned i = ((uint8_t *)&ev.dst.u.v4)[3] - 100u;

					if (i < 16 && !(seen & 1u << i))
						acq++;
					seen |= i < 16 ? 1u << i : 0;
				} else if (ev.type == DP_EV_ERROR && strstr(ev.msg, "were lost"))
					lost++;
				else if (ev.type == DP_EV_HARD_EXPIRE && ev.spi == 0x700a &&
				         ev.tunnel_id == 10 && ev.dir == DP_DIR_OUT)
					gone++;
				else
					printf("   (L: event %d: %s)\n", ev.type, ev.msg);
			}
			if (lost >= 1 && acq == 16)
				ok("L: %u overrun(s); all 16 acquires raised (the lost ones from "
				   "the "
				   "dump)",
				    lost);
			else
				bad("L: %u overrun(s), %u of 16 acquires", lost, acq);
			if (gone == 1)
				ok("L: DP_EV_HARD_EXPIRE for SA 0000700a, gone behind the "
				   "backend's back");
			else
				bad("L: %u hard expiries for the vanished SA 0000700a", gone);
		}
		xnl_close(nl);
		xnl_close(other);
		ops->close(kl);
		explicit_bzero(&sa, sizeof(sa));
	}

	sec("M: a soft expiry lost in an overrun comes from the resynchronisation, once");
	{
		/* its own instance with a minimal event socket: SA 0000700c has a
		 * soft limit of 500 bytes; the kernel's soft EXPIRE for it is sent
		 * while the socket is full of acquires (another listener keeps
		 * their ACQ states, so each is sent once) */
		void *km = dp_open_in(L);
		struct dp_addr gl = ip("192.0.2.1"), gr = ip("192.0.2.2");
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
		char payload[200];
		struct dp_sa_stats st;
		struct dp_tunnel t;
		struct xnl *other;
		unsigned lost[2] = { 0, 0 }, resynced[2] = { 0, 0 }, socket_soft[2] = { 0, 0 };
		unsigned d_again = 0;
		bool d_socket = false;
		int one = 1, big = 4 << 20, fd = -1;
		bool good;

		memset(payload, 'm', sizeof(payload));
		memset(&t, 0, sizeof(t));
		t.id = 12;
		t.unit = DP_UNIT_NONE;
		t.on_traffic = false; /* the fillers' acquires are not raised */
		t.local_gw = gl;
		t.remote_gw = gr;
		sa = sa_for(L, DP_DIR_OUT, 0x700c, 12);
		sa.flags |= DP_SA_HAS_LIFETIME;
		sa.life.soft_bytes = 500;
		keys(&sa, DP_ENC_AES_GCM_128, DP_INTEG_NONE, 0x7c);
		enter(L);
		other = xnl_open(NETLINK_XFRM, 1u << (XFRMNLGRP_ACQUIRE - 1));
		good =
		    other != NULL &&
		    setsockopt(xnl_fd(other), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) == 0 &&
		    setsockopt(ops->event_fd(km), SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)) == 0 &&
		    step(ops->tunnel_set(km, &t, &err), &err, "M: tunnel_set") &&
		    step(ops->sa_add(km, &sa, &err), &err, "M: sa_add");
		/* SA 0000700d (reqid 13, 192.0.2.151): its soft expiry is read
		 * from the socket before any overrun */
		sa.spi = 0x700d;
		sa.reqid = 13;
		good = good && step(ops->sa_add(km, &sa, &err), &err, "M: sa_add");
		/* the SAs' traffic (192.0.2.150, .151) and two batches of 16 fillers
		 * (192.0.2.160.., 192.0.2.192..) with no SA */
		for (unsigned i = 0; good && i <= 33; i++) {
			char d[32];
			struct dp_policy p = { .id = 1200 + i,
				.tunnel_id = 12,
				.dir = DP_DIR_OUT,
				.priority = 10,
				.reqid = i == 0    ? 12
				         : i == 33 ? 13
				                   : 1300 + i };

			snprintf(d, sizeof(d), "192.0.2.%u",
			    i == 0    ? 150
			    : i == 33 ? 151
			    : i <= 16 ? 159 + i
			              : 175 + i);
			p.sel_src = ts_net("192.0.2.1", "192.0.2.1");
			p.sel_dst = ts_net(d, d);
			good = step(ops->policy_add(km, &p, &err), &err, "M: policy_add");
		}
		if (good)
			fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		to.sin_addr.s_addr = htonl(0xc0000297u); /* 192.0.2.151 */
		for (unsigned i = 0; fd >= 0 && i < 10; i++)
			(void)sendto(
			    fd, payload, sizeof(payload), 0, (struct sockaddr *)&to, sizeof(to));
		d_socket = fd >= 0 && wait_event(km, DP_EV_SOFT_EXPIRE, 0x700d, &ev, 3000) &&
		           strstr(ev.msg, "expiry was lost") == NULL;
		if (d_socket)
			ok("M: DP_EV_SOFT_EXPIRE for SA 0000700d from the socket: %s", ev.msg);
		else
			bad("M: no soft expiry for SA 0000700d from the socket");
		for (int round = 0; fd >= 0 && round < 2; round++) {
			/* 1. the fillers' acquires overrun the socket */
			for (unsigned i = 0; i < 16; i++) {
				to.sin_addr.s_addr = htonl(0xc00002a0u + 32 * (unsigned)round + i);
				(void)sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
			}
			/* 2. round 0: 10 x 200 bytes through SA 0000700c, past its soft
			 * limit: the kernel's soft EXPIRE finds the socket full;
			 * round 1: more traffic (the kernel sends no second one) */
			to.sin_addr.s_addr = htonl(0xc0000296u); /* 192.0.2.150 */
			for (unsigned i = 0; i < 10; i++)
				(void)sendto(fd, payload, sizeof(payload), 0,
				    (struct sockaddr *)&to, sizeof(to));
			/* 3. read until drained: the overrun, then the dump's events */
			while (ops->event_read(km, &ev) == 0) {
				if (ev.type == DP_EV_ERROR && strstr(ev.msg, "were lost"))
					lost[round]++;
				else if (ev.type == DP_EV_SOFT_EXPIRE && ev.spi == 0x700c &&
				         ev.tunnel_id == 12 && ev.dir == DP_DIR_OUT &&
				         strstr(ev.msg, "expiry was lost"))
					resynced[round]++;
				else if (ev.type == DP_EV_SOFT_EXPIRE && ev.spi == 0x700c)
					socket_soft[round]++;
				else if (ev.type == DP_EV_SOFT_EXPIRE && ev.spi == 0x700d)
					d_again++;
				else
					printf("   (M: event %d: %s)\n", ev.type, ev.msg);
			}
			if (round == 0) {
				struct dp_addr d = gr;

				err.msg[0] = '\0';
				if (step(ops->sa_stats(km, 0x700c, DP_DIR_OUT, &d, &st, &err), &err,
				        "M: sa_stats") &&
				    st.bytes >= 500)
					ok("M: SA 0000700c carried %llu bytes (%llu packets), past "
					   "its "
					   "soft limit of 500",
					    (unsigned long long)st.bytes,
					    (unsigned long long)st.packets);
				else
					bad("M: SA 0000700c carried %llu bytes, want >= 500",
					    (unsigned long long)st.bytes);
			}
		}
		if (fd >= 0)
			close(fd);
		if (fd >= 0 && lost[0] >= 1 && socket_soft[0] == 0 && resynced[0] == 1)
			ok("M: %u overrun(s); the lost soft expiry of SA 0000700c raised once by "
			   "the resynchronisation",
			    lost[0]);
		else
			bad("M: %u overrun(s); soft expiries of SA 0000700c: %u from the "
			    "resynchronisation (want 1), %u from the socket (want 0: not lost)",
			    lost[0], resynced[0], socket_soft[0]);
		if (fd >= 0 && lost[1] >= 1 && resynced[1] + socket_soft[1] == 0)
			ok("M: a second overrun's resynchronisation raises it no more");
		else
			bad("M: second overrun: %u overrun(s), %u + %u soft expiries of SA "
			    "0000700c "
			    "(want >= 1, 0)",
			    lost[1], resynced[1], socket_soft[1]);
		if (fd >= 0 && d_again == 0)
			ok("M: neither resynchronisation raised SA 0000700d's soft expiry again");
		else
			bad("M: SA 0000700d's soft expiry raised %u more time(s)", d_again);
		xnl_close(other);
		ops->close(km);
		explicit_bzero(&sa, sizeof(sa));
	}

	sec("F: inbound SA of A removed on R: traffic must stop");
	{
		struct dp_addr d = ip("192.0.2.2");
		struct dp_sa_stats st;

		step(ops->sa_del(k[R], spi_a_lr, DP_DIR_IN, &d, &err), &err, "F: sa_del");
		if (ping(L, -1, 1, "10.0.1.1", "10.0.2.1"))
			bad("F: ping still answered without the inbound SA");
		else
			ok("F: ping dropped without the inbound SA");
		err.msg[0] = '\0';
		rc = ops->sa_stats(k[R], spi_a_lr, DP_DIR_IN, &d, &st, &err);
		if (rc == -ESRCH || rc == -ENOENT)
			ok("F: the SA is gone: %s", err.msg);
		else
			bad("F: sa_stats after delete: %d", rc);
	}

	sec("close");
	ops->close(k[L]);
	ops->close(k[R]);
	for (int side = L; side <= R; side++)
		if (natt[side] >= 0)
			close(natt[side]);
	printf("dpk-vm-test: %d passed, %d failed\n", npass, nfail);
	return nfail == 0 && npass > 0 ? 0 : 1;
}
