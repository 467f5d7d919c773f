#!/bin/sh
# SPDX-License-Identifier: MIT
# Policy-based VPN on the userspace dataplane: only traffic that matches
# the policy selectors (here TCP to/from port 5201 between the two LANs)
# is carried by the tunnel's SA; everything else between the same hosts
# takes the clear routed path and leaves the SA counters alone. Removing
# the policy sends the selected traffic back to the clear path.
#
#   dp-policy.sh --build DIR [--spus N]
set -eu

SPUS=1
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2 ;;
	--spus) SPUS=$2 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
. "$(dirname "$0")/dp-lib.sh"

log "topology, clear routes between the LANs"
topology
n gw1 ip route add 10.2.0.0/24 via 192.0.2.2
n gw2 ip route add 10.1.0.0/24 via 192.0.2.1

# The tunnels' own selectors name hosts that send nothing: what the SAs
# carry inbound is admitted by the IN policies alone (in the decrypted
# packet's terms: source the remote LAN, destination the local one).
cat >"$TMP/gw1.conf" <<EOF
dataplane spus $SPUS
tunnel 1 local 192.0.2.1 remote 192.0.2.2 local-ts 10.1.0.250/32 remote-ts 10.2.0.250/32
sa out spi 0x1001 tunnel 1 local 192.0.2.1 remote 192.0.2.2 enc aes-gcm-128 key $K_GCM1
sa in spi 0x1002 tunnel 1 local 192.0.2.1 remote 192.0.2.2 enc aes-gcm-128 key $K_GCM2
policy 1 tunnel 1 out src 10.1.0.0/24 dst 10.2.0.0/24 proto 6 dport 5201 priority 10
policy 2 tunnel 1 in src 10.2.0.0/24 dst 10.1.0.0/24 proto 6 sport 5201 priority 10
EOF
cat >"$TMP/gw2.conf" <<EOF
dataplane spus $SPUS
tunnel 1 local 192.0.2.2 remote 192.0.2.1 local-ts 10.2.0.250/32 remote-ts 10.1.0.250/32
sa out spi 0x1002 tunnel 1 local 192.0.2.2 remote 192.0.2.1 enc aes-gcm-128 key $K_GCM2
sa in spi 0x1001 tunnel 1 local 192.0.2.2 remote 192.0.2.1 enc aes-gcm-128 key $K_GCM1
policy 1 tunnel 1 out src 10.2.0.0/24 dst 10.1.0.0/24 proto 6 sport 5201 priority 10
policy 2 tunnel 1 in src 10.1.0.0/24 dst 10.2.0.0/24 proto 6 dport 5201 priority 10
EOF
start_gw 1 "$TMP/gw1.conf"
start_gw 2 "$TMP/gw2.conf"
n gw1 ip rule | grep -q "lookup 220" || fail "no policy rule in gw1"

log "ICMP is not selected: clear path, SA untouched"
n h1 ping -c 3 -i 0.2 -W 2 10.2.0.2 >/dev/null || fail "ping over the clear path"
[ "$(sa_stat 1 0x1001 out packets)" = 0 ] || fail "ICMP went into the tunnel"
[ "$(sa_stat 2 0x1001 in packets)" = 0 ] || fail "ICMP arrived through the tunnel"

log "TCP to port 5201 is selected: carried by the SA both ways"
tcp_transfer 10.2.0.2 5M
out1=$(sa_stat 1 0x1001 out packets)
in2=$(sa_stat 2 0x1001 in packets)
back=$(sa_stat 2 0x1002 out packets)
[ "$out1" -gt 100 ] || fail "gw1 encrypted only $out1 packets"
[ "$in2" -gt 100 ] || fail "gw2 decrypted only $in2 packets"
[ "$back" -gt 10 ] || fail "the replies (sport 5201) were not encrypted: $back"

log "TCP to another port is not selected"
ip netns exec "$P-h2" iperf3 -s -1 -p 5202 >"$TMP/iperf-s2.log" 2>&1 &
PIDS="$PIDS $!"
i=0
until n h2 ss -ltn | grep -q ':5202'; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "iperf3 server did not start"
	sleep 0.1
done
n h1 timeout 60 iperf3 -c 10.2.0.2 -p 5202 -n 2M >/dev/null 2>&1 || fail "TCP to port 5202"
[ "$(sa_stat 1 0x1001 out packets)" = "$out1" ] || fail "port 5202 traffic went into the tunnel"

log "without the policy, port 5201 takes the clear path too"
ctl 1 policy-del 1 | grep -q ok || fail "policy-del"
ctl 2 policy-del 1 | grep -q ok || fail "policy-del"
n gw1 ip rule | grep -q "lookup 220" && fail "policy rule left behind"
tcp_transfer 10.2.0.2 2M
[ "$(sa_stat 1 0x1001 out packets)" = "$out1" ] || fail "traffic still encrypted"
log "PASS"
