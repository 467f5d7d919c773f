#!/bin/sh
# SPDX-License-Identifier: MIT
# gen-vpn-pair.sh: the set lines of one side of N route-based VPNs between
# two Cairn appliances (the scale benchmark, tests/bench/ike-scale.sh).
#
#   gen-vpn-pair.sh hub|spoke [N] [FIRST] [HUB-ADDRESS]
#
# The hub (HUB-ADDRESS, default 192.0.2.1) has one gateway per VPN toward
# the spoke address 198.18.x.y of VPN i; the spoke owns those N addresses
# and has one gateway per VPN toward the hub, with local-address
# 198.18.x.y. So every tunnel has its own IKE SA (N IKE SAs, N CHILD SAs).
# PSK (one key per VPN), ECP256 (group19), AES-GCM-128 for IKE and ESP.
# The hub answers (establish-tunnels responder-only), the spoke initiates
# (immediately). Per VPN i, 10 lines: IKE policy (2), gateway (3), VPN (4),
# st0 unit i (169.254.a.b/30: .1 hub, .2 spoke), one static route into it
# (hub: 10.x.y.0/24, spoke: 100.(64+x).y.0/24). N + FIRST is at most 16000.
set -eu
side=${1:-}
n=${2:-10000}
first=${3:-0}
hub=${4:-192.0.2.1}
case "$side" in hub | spoke) ;; *)
	echo "usage: $0 hub|spoke [N] [FIRST] [HUB-ADDRESS]" >&2
	exit 2
	;;
esac
case "$n$first" in *[!0-9]*)
	echo "usage: $0 hub|spoke [N] [FIRST] [HUB-ADDRESS]" >&2
	exit 2
	;;
esac
if [ $((first + n)) -gt 16000 ]; then
	echo "$0: st0 units stop at 15999" >&2
	exit 2
fi
if [ "$first" -eq 0 ]; then
	cat <<'HEAD'
set security ike proposal ike-prop authentication-method pre-shared-keys
set security ike proposal ike-prop dh-group group19
set security ike proposal ike-prop encryption-algorithm aes-128-gcm
set security ipsec proposal ipsec-prop protocol esp
set security ipsec proposal ipsec-prop encryption-algorithm aes-128-gcm
set security ipsec policy ipsec-pol proposals ipsec-prop
HEAD
fi
awk -v n="$n" -v first="$first" -v side="$side" -v hub="$hub" 'BEGIN {
	for (i = first; i < first + n; i++) {
		spoke = sprintf("198.18.%d.%d", int(i / 250), i % 250 + 1)
		printf "set security ike policy ike-pol-%d proposals ike-prop\n", i
		printf "set security ike policy ike-pol-%d pre-shared-key ascii-text \"psk-%08d-secret\"\n", i, i
		printf "set security ike gateway gw-%d ike-policy ike-pol-%d\n", i, i
		if (side == "hub") {
			printf "set security ike gateway gw-%d address %s\n", i, spoke
			printf "set security ike gateway gw-%d local-address %s\n", i, hub
		} else {
			printf "set security ike gateway gw-%d address %s\n", i, hub
			printf "set security ike gateway gw-%d local-address %s\n", i, spoke
		}
		printf "set security ipsec vpn vpn-%d bind-interface st0.%d\n", i, i
		printf "set security ipsec vpn vpn-%d ike gateway gw-%d\n", i, i
		printf "set security ipsec vpn vpn-%d ike ipsec-policy ipsec-pol\n", i
		printf "set security ipsec vpn vpn-%d establish-tunnels %s\n", i,
		    side == "hub" ? "responder-only" : "immediately"
		printf "set interfaces st0 unit %d family inet address 169.254.%d.%d/30\n", i,
		    int(i / 64), (i % 64) * 4 + (side == "hub" ? 1 : 2)
		if (side == "hub")
			printf "set routing-options static route 10.%d.%d.0/24 next-hop st0.%d\n",
			    int(i / 256), i % 256, i
		else
			printf "set routing-options static route 100.%d.%d.0/24 next-hop st0.%d\n",
			    64 + int(i / 256), i % 256, i
	}
}'
