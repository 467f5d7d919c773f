#!/bin/sh
# SPDX-License-Identifier: MIT
# gen-vpn-config.sh: prints the set lines of a route-based VPN hub with N
# tunnels (default 10000), the configuration Cairn's benchmarks use.
#
#   gen-vpn-config.sh [N] [FIRST]
#
# Shared part: an IKE and an IPsec proposal, an IPsec policy, the external
# interface ge-0/0/0.0 in zone untrust (IKE allowed), zone vpn.
# Per VPN i (FIRST <= i < FIRST+N), 11 lines:
#   security ike policy ike-pol-i: proposals, pre-shared-key (typed in clear)
#   security ike gateway gw-i: ike-policy, address 198.18.x.y, external-interface
#   security ipsec vpn vpn-i: bind-interface st0.i, ike gateway, ike ipsec-policy
#   interfaces st0 unit i family inet address 169.254.a.b/30
#   routing-options static route 10.x.y.0/24 next-hop st0.i
#   security zones security-zone vpn interfaces st0.i
# The output validates against yang/ (every reference resolves). N is at
# most 16000 (st0 units 0..15999); FIRST lets a second run add tunnels.
set -eu
n=${1:-10000}
first=${2:-0}
case "$n$first" in *[!0-9]*) echo "usage: $0 [N] [FIRST]" >&2; exit 2 ;; esac
if [ $((first + n)) -gt 16000 ]; then
	echo "$0: st0 units stop at 15999" >&2
	exit 2
fi
if [ "$first" -eq 0 ]; then
	cat <<'HEAD'
set security ike proposal ike-prop authentication-method pre-shared-keys
set security ike proposal ike-prop dh-group group19
set security ike proposal ike-prop encryption-algorithm aes-256-gcm
set security ike proposal ike-prop authentication-algorithm sha-256
set security ipsec proposal ipsec-prop protocol esp
set security ipsec proposal ipsec-prop encryption-algorithm aes-256-gcm
set security ipsec policy ipsec-pol proposals ipsec-prop
set security ipsec policy ipsec-pol perfect-forward-secrecy keys group19
set interfaces ge-0/0/0 unit 0 family inet address 192.0.2.1/24
set security zones security-zone untrust interfaces ge-0/0/0.0 host-inbound-traffic system-services ike
set security zones security-zone vpn host-inbound-traffic system-services ping
HEAD
fi
awk -v n="$n" -v first="$first" 'BEGIN {
	for (i = first; i < first + n; i++) {
		printf "set security ike policy ike-pol-%d proposals ike-prop\n", i
		printf "set security ike policy ike-pol-%d pre-shared-key ascii-text \"psk-%08d-secret\"\n", i, i
		printf "set security ike gateway gw-%d ike-policy ike-pol-%d\n", i, i
		printf "set security ike gateway gw-%d address 198.18.%d.%d\n", i, int(i / 250), i % 250 + 1
		printf "set security ike gateway gw-%d external-interface ge-0/0/0.0\n", i
		printf "set security ipsec vpn vpn-%d bind-interface st0.%d\n", i, i
		printf "set security ipsec vpn vpn-%d ike gateway gw-%d\n", i, i
		printf "set security ipsec vpn vpn-%d ike ipsec-policy ipsec-pol\n", i
		printf "set interfaces st0 unit %d family inet address 169.254.%d.%d/30\n", i, int(i / 64), (i % 64) * 4 + 1
		printf "set routing-options static route 10.%d.%d.0/24 next-hop st0.%d\n", int(i / 256), i % 256, i
		printf "set security zones security-zone vpn interfaces st0.%d\n", i
	}
}'
