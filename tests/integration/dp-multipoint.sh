#!/bin/sh
# SPDX-License-Identifier: MIT
# A multipoint st0 unit (hub): several tunnels on one unit, each bound to
# a next-hop tunnel address; routes via a next hop pick the tunnel, and so
# does traffic to a peer's own tunnel address. A dataplane killed with
# SIGKILL leaves no unit address behind (its address devices go with it).
#
#   dp-multipoint.sh --build DIR
set -eu

while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
. "$(dirname "$0")/dp-lib.sh"

topology
cat >"$TMP/gw1.conf" <<EOF
dataplane spus 2
unit 0 inet 10.255.0.1/24 multipoint
route 10.2.0.0/24 unit 0 nexthop 10.255.0.2
route 10.3.0.0/24 unit 0 nexthop 10.255.0.3
tunnel 1 unit 0 local 192.0.2.1 remote 192.0.2.2 nexthop 10.255.0.2
tunnel 2 unit 0 local 192.0.2.1 remote 192.0.2.3 nexthop 10.255.0.3 on-traffic
sa out spi 0x1001 tunnel 1 local 192.0.2.1 remote 192.0.2.2 enc aes-gcm-128 key $K_GCM1 udp
sa in spi 0x1002 tunnel 1 local 192.0.2.1 remote 192.0.2.2 enc aes-gcm-128 key $K_GCM2 udp
EOF
cat >"$TMP/gw2.conf" <<EOF
dataplane spus 1
unit 0 inet 10.255.0.2/24
route 10.1.0.0/24 unit 0
tunnel 1 unit 0 local 192.0.2.2 remote 192.0.2.1
sa out spi 0x1002 tunnel 1 local 192.0.2.2 remote 192.0.2.1 enc aes-gcm-128 key $K_GCM2 udp
sa in spi 0x1001 tunnel 1 local 192.0.2.2 remote 192.0.2.1 enc aes-gcm-128 key $K_GCM1 udp
EOF
start_gw 1 "$TMP/gw1.conf"
start_gw 2 "$TMP/gw2.conf"
n gw1 ip route show 10.2.0.0/24 | grep -q "via 10.255.0.2 dev st0" || fail "kernel route via the next hop"

log "a route via next hop 10.255.0.2 rides tunnel 1"
n h1 ping -c 3 -i 0.2 -W 2 10.2.0.2 >/dev/null || fail "ping through tunnel 1"
log "the spoke's own tunnel address too"
n gw1 ping -c 2 -i 0.2 -W 2 10.255.0.2 >/dev/null || fail "ping to the spoke's st0 address"
[ "$(sa_stat 1 0x1001 out packets)" -ge 5 ] || fail "tunnel 1 SA unused"
log "next hop 10.255.0.3 is tunnel 2 (no SA yet: acquire)"
n h1 ping -c 1 -W 1 10.3.0.9 >/dev/null 2>&1 || true
ctl 1 events | grep -q "event acquire tunnel 2 " || fail "no acquire for tunnel 2"

log "gw2's dataplane killed (SIGKILL): its address device goes with the unit address"
n gw2 ip -o addr show dev st0-addr0 | grep -q "inet 10\.255\.0\.2/24 " ||
	fail "st0.0's address not on st0-addr0: $(n gw2 ip -o addr show)"
kill -9 "${PIDS##* }" # gw2's cairn-dp-manual, started last
st0_gone_in 2 "st0 still there after SIGKILL"
! n gw2 ip link show | grep -q 'st0-addr' || fail "address devices left: $(n gw2 ip -br link show)"
! n gw2 ip addr show | grep -q '10\.255\.' || fail "unit address left: $(n gw2 ip addr show)"
log "PASS"
