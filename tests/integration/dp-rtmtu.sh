#!/bin/sh
# SPDX-License-Identifier: MIT
# The userspace dataplane's route-MTU ask (us_rtmtu.c: RTM_GETROUTE,
# pipelined) against the connected socket's IP_MTU / IPV6_MTU it replaced,
# in h1 of dp-lib.sh's topology (h1 -- gw1 -- gw2 -- h2), IPv4 and IPv6:
# a plain route, a route with `mtu 1300`, a locked `mtu lock 1350`, a
# device (a veth) with its own MTU (and, for IPv6, its own mtu6), an unreachable
# destination, a local address, a PMTU exception h1 learned from
# gw1's "fragmentation needed" / "packet too big" (gw1 -- gw2 at 1400),
# and a policy rule that selects on the source address connect() chose
# (IPv4 connect() looks the route up again with it; IPv6 does not).
#
#   dp-rtmtu.sh --build DIR
set -eu

while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
. "$(dirname "$0")/dp-lib.sh"
CHECK=$BUILD/tests/rtmtu-check

topology
n h1 ip route add 203.0.113.0/25 via 10.1.0.1 mtu 1300
n h1 ip route add 203.0.113.128/25 via 10.1.0.1 mtu lock 1350
n h1 ip -6 route add fd99:1::/64 via fd01::1 mtu 1300
n h1 ip -6 route add fd99:2::/64 via fd01::1 mtu lock 1350
n h1 ip link add d$$ type veth peer name e$$
n h1 ip link set e$$ up
n h1 ip link set d$$ mtu 1480 up
n h1 sysctl -qw "net.ipv6.conf.d$$.mtu=1460"
n h1 ip route add 198.51.100.0/24 dev d$$
n h1 ip -6 route add fd99:3::/64 dev d$$
n h1 ip route add unreachable 198.18.0.0/24
n h1 ip -6 route add unreachable fd99:4::/64

log "routes without a learned PMTU"
n h1 "$CHECK" 10.2.0.2=1500 fd02::2=1500 203.0.113.5=1300 203.0.113.200=1350 \
	fd99:1::5=1300 fd99:2::5=1350 198.51.100.7=1480 fd99:3::7=1460 \
	198.18.0.1=1500 fd99:4::1=1500 10.1.0.2 fd01::2 127.0.0.1 ::1 ||
	fail "the rtnetlink ask differs from IP_MTU"

log "a policy rule on the source address (ip rule from 10.1.0.2)"
n h1 ip rule add from 10.1.0.2 to 203.0.114.0/24 lookup 100 pref 100
n h1 ip route add 203.0.114.0/24 via 10.1.0.1 mtu 1320 table 100
n h1 ip -6 rule add from fd01::2 to fd99:6::/64 lookup 100 pref 100
n h1 ip -6 route add fd99:6::/64 via fd01::1 mtu 1320 table 100
n h1 "$CHECK" 203.0.114.5=1320 203.0.113.5=1300 fd99:6::5 10.2.0.2=1500 ||
	fail "the rtnetlink ask differs from IP_MTU under a source rule"

log "a PMTU exception learned from gw1 (gw1 -- gw2 at 1400)"
# no dataplanes here: gw1 and gw2 route h1's and h2's networks in clear
n gw1 ip route add 10.2.0.0/24 via 192.0.2.2
n gw1 ip -6 route add fd02::/64 via fd00::2
n gw2 ip route add 10.1.0.0/24 via 192.0.2.1
n gw2 ip -6 route add fd01::/64 via fd00::1
n gw1 ip link set b1 mtu 1400
n gw2 ip link set b2 mtu 1400
n h1 ping -c 1 -W 2 -M do -s 1472 10.2.0.2 >/dev/null 2>&1 || true
n h1 ping -6 -c 1 -W 2 -M do -s 1452 fd02::2 >/dev/null 2>&1 || true
n h1 ip route get 10.2.0.2 | grep -q "mtu 1400" || fail "h1 learned no IPv4 PMTU"
n h1 ip -6 route get fd02::2 | grep -q "mtu 1400" || fail "h1 learned no IPv6 PMTU"
# the exception is per destination: the route's other addresses keep 1500
n h1 "$CHECK" 10.2.0.2=1400 fd02::2=1400 10.2.0.3=1500 fd02::3=1500 ||
	fail "the rtnetlink ask differs from IP_MTU with a learned PMTU"

log "a route with a locked MTU: IPv4 learns nothing from frag-needed"
n h1 ip route add 10.2.0.2/32 via 10.1.0.1 mtu lock 1500
n h1 ip -6 route add fd02::2/128 via fd01::1 mtu lock 1500
n h1 ping -c 1 -W 2 -M do -s 1472 10.2.0.2 >/dev/null 2>&1 || true
n h1 ping -6 -c 1 -W 2 -M do -s 1452 fd02::2 >/dev/null 2>&1 || true
# (IPv6 here learns the PMTU despite the lock: both ways must agree)
n h1 "$CHECK" 10.2.0.2=1500 fd02::2 || fail "locked route MTU"
log "ok"
