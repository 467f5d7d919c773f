#!/bin/sh
# SPDX-License-Identifier: MIT
# NAT between Cairn and strongSwan 5.9.8 (docs/interop.md). One lab, two
# pairs; each NAT namespace masquerades with random source ports (nftables)
# and forwards UDP 500/4500 of its public address to the gateway behind it:
#
#   h1 -- gw1: Cairn 100.64.1.2 -- nat1 192.0.2.101 ==+== 192.0.2.2 gw2: strongSwan -- h2
#   h3 -- gw3: Cairn 192.0.2.3 =======================+== 192.0.2.104 nat4 -- 100.64.4.2 gw4: strongSwan -- h4
#
# Cases: Cairn behind the NAT and strongSwan behind it, each with Cairn as
# initiator and as responder (through the port forward). Identities are
# FQDNs (the addresses differ on the two sides of a NAT). Each checks the
# NAT detection Cairn shows, the translated ports both sides use, and the
# usual roles, SPIs and traffic both ways.
. "$(dirname "$0")/interop-start.sh"

# nat ROLE WHO(cairn|sw): who sits behind the NAT
nat() {
	role=$1
	behind=$2
	cairn_defaults
	sw_defaults
	if [ "$behind" = cairn ]; then
		C_SITE=1 S_SITE=2
		C_LOCAL=100.64.1.2 C_PEER=192.0.2.2
		S_LOCAL=192.0.2.2 S_REMOTE=192.0.2.101
	else
		C_SITE=3 S_SITE=4
		C_LOCAL=192.0.2.3 C_PEER=192.0.2.104
		S_LOCAL=100.64.4.2 S_REMOTE=192.0.2.3
	fi
	C_ROUTES="10.$S_SITE.0.0/24"
	C_LOCAL_ID="hostname cairn.example.net"
	C_REMOTE_ID="hostname swan.example.net"
	S_LOCAL_ID=swan.example.net
	S_REMOTE_ID=cairn.example.net
	S_CHILDREN="net 10.$S_SITE.0.0/24 10.$C_SITE.0.0/24"
	establish "$role"
	verify_case "$role" 1
	ike=$(cli "$C_SITE" show security ike security-associations detail)
	sas=$(swc "$S_SITE" --list-sas --noblock)
	# the NAT Cairn found (strongSwan's kernel-libipsec claims one anyway:
	# it always floats, test-environment.md), and the ports: the side
	# behind the NAT shows its peer a random port when it initiated (the
	# masquerade), the forwarded 4500 when the peer did
	if [ "$behind" = cairn ]; then
		echo "$ike" | grep -Eq "NAT traversal: (Local|Both)" || fail "Cairn did not find itself behind a NAT: $ike"
		echo "$sas" | grep -q "remote 'cairn.example.net' @ 192.0.2.101\[" || fail "strongSwan's view of Cairn: $sas"
		port=$(echo "$sas" | awk '/remote .cairn.example.net. @/ { sub(/.*\[/, ""); sub(/\].*/, ""); print; exit }')
	else
		echo "$ike" | grep -Eq "NAT traversal: (Remote|Both)" || fail "Cairn did not find the peer behind a NAT: $ike"
		port=$(echo "$ike" | awk '/Remote: 192.0.2.104:/ { n = split($NF, a, ":"); print a[n]; exit }')
		# the IPsec SAs go to that port too
		cli "$C_SITE" show security ipsec security-associations | grep -q " $port 192.0.2.104" ||
			fail "Cairn's IPsec SAs do not use port $port: $(cli "$C_SITE" show security ipsec security-associations)"
	fi
	if { [ "$behind" = cairn ] && [ "$role" = init ]; } || { [ "$behind" = sw ] && [ "$role" = resp ]; }; then
		[ -n "$port" ] && [ "$port" != 4500 ] && [ "$port" != 500 ] ||
			fail "no masqueraded port seen ($port): $ike $sas"
	else
		[ "$port" = 4500 ] || fail "the forwarded port is not 4500 ($port): $ike $sas"
	fi
	figure "nat-$behind-behind-$role: $(echo "$ike" | grep "NAT traversal" | sed 's/^ *//'), the NAT'd side seen by its peer on port $port"
}

lab_init
interop_nat_site 1 fwd
lab_site 2
lab_site 3
interop_nat_site 4 fwd
cairn_start 1
cairn_start 3
sw_start 2
sw_start 4
# the masquerading case of each pair first: a later one reuses its
# conntrack entries (as a real NAT would, the mapping is kept)
run_case nat-cairn-behind-init nat init cairn
run_case nat-sw-behind-resp nat resp sw
run_case nat-cairn-behind-resp nat resp cairn
run_case nat-sw-behind-init nat init sw
cases_summary
