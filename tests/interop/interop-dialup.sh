#!/bin/sh
# SPDX-License-Identifier: MIT
# A Cairn dial-up gateway against two strongSwan 5.9.8 road warriors at once
# (docs/interop.md):
#
#                                 +== 192.0.2.2 gw2: strongSwan -- h2 10.2.0.2
#   h1 10.1.0.2 -- gw1: Cairn ==WAN
#                   192.0.2.1     +== 192.0.2.3 gw3: strongSwan -- h3 10.3.0.2
#
# Cairn's gateway has no peer address (`dynamic hostname|user-at-hostname
# ... ike-user-type group-ike-id|shared-ike-id`); each road warrior
# initiates with its own identity and selectors (10.N.0.0/24 ===
# 10.1.0.0/24). Both tunnels are up at once on one VPN (st0.0); each case
# checks both peers' SPIs against their swanctl --list-sas, both peers in
# show security ike security-associations (their IKE SPIs), the round robin
# of show security ipsec tunnel-distribution, and ping and TCP both ways
# between h1 and each peer's host.
set -eu
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../build" && pwd)}
INTEROP_ONLY=""
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--only) INTEROP_ONLY=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [--only CASE-PATTERN]" >&2; exit 2 ;;
	esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib-appliance.sh"
. "$HERE/lib-interop.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

PEERS="2 3"

# dial_spis_match: Cairn's SA pairs of v1 are the two peers' CHILD SAs,
# crossed, one per peer
dial_spis_match() {
	c=$(cairn_spis 1 v1 | sort)
	s=$(for p in $PEERS; do sw_spis "$p"; done | awk '{ print $2, $1 }' | sort)
	[ "$(echo "$c" | grep -c .)" -eq 2 ] && [ "$(sw_spis 2 | wc -l)" -eq 1 ] &&
		[ "$(sw_spis 3 | wc -l)" -eq 1 ] && [ "$c" = "$s" ]
}

dial_spis_report() {
	echo "Cairn (in out): $(cairn_spis 1 v1 | tr '\n' ';') gw2: $(sw_spis 2 | tr '\n' ';') gw3: $(sw_spis 3 | tr '\n' ';')"
}

# dialup START(together|one-by-one) KIND(hostname|user-at-hostname)
# USER-TYPE(group-ike-id|shared-ike-id) DYN-ID PEER-ID-2 PEER-ID-3
dialup() {
	start=$1
	shift
	kind=$1
	utype=$2
	dyn=$3
	cairn_defaults
	C_LOCAL_ID="hostname vpn.example.net"
	C_ROUTES="10.2.0.0/24 10.3.0.0/24"
	C_EXTRA="set security ike gateway gw1 dynamic $kind $dyn
set security ike gateway gw1 dynamic ike-user-type $utype
set interfaces st0 unit 0 family inet address 10.255.0.1/24"
	# a dial-up gateway has no peer address and waits for its peers
	out=$(cairn_conf | sed -e '/gateway gw1 address /d' -e '/establish-tunnels/d' \
		-e '/st0 unit 0 family inet address 10.255.0.1\/30/d' | configure 1 2>&1) ||
		fail "commit refused: $out"
	echo "$out" | grep -q "commit complete" || fail "gw1: $out"
	shift 3
	for p in $PEERS; do
		sw_defaults
		S_SITE=$p
		S_LOCAL=192.0.2.$p
		S_REMOTE=192.0.2.1
		S_LOCAL_ID=$1
		S_REMOTE_ID=vpn.example.net
		S_CHILDREN="net 10.$p.0.0/24 10.1.0.0/24"
		shift
		sw_apply
	done
	if [ "$start" = together ]; then
		# both road warriors at once
		for p in $PEERS; do
			swc "$p" --initiate --child net --timeout 20 >"$LAB/initiate$p.out" 2>&1 &
			eval "ipid_$p=\$!"
		done
		for p in $PEERS; do
			eval "wait \$ipid_$p" || fail "swanctl --initiate in gw$p: $(tail -5 "$LAB/initiate$p.out")"
		done
	else
		# the second comes when the first is up (and sends INITIAL_CONTACT:
		# it has no SA with Cairn), with traffic through the first's tunnel
		for p in $PEERS; do
			swc "$p" --initiate --child net --timeout 20 >"$LAB/initiate$p.out" 2>&1 ||
				fail "swanctl --initiate in gw$p: $(tail -5 "$LAB/initiate$p.out")"
			ping_ok 1 "10.$p.0.2" || fail "ping h1 -> h$p after gw$p came up"
		done
		case_log_since "$LAB/sw3/charon.log" | grep -q "generating IKE_AUTH request.*N(INIT_CONTACT)" ||
			fail "gw3's IKE_AUTH carried no INITIAL_CONTACT"
	fi
	end=$(($(date +%s) + 20))
	while ! dial_spis_match; do
		[ "$(date +%s)" -lt "$end" ] || fail "after 20s: SPIs differ: $(dial_spis_report)"
		sleep 0.1
	done
	# both peers on Cairn's IKE SA list, each with its own IKE SPIs
	ike=$(cli 1 show security ike security-associations)
	echo "$ike"
	[ "$(echo "$ike" | awk '$2 == "UP"' | wc -l)" -eq 2 ] || fail "Cairn's IKE SAs: $ike"
	for p in $PEERS; do
		S_SITE=$p
		spis=$(ike_spis_sw)
		echo "$ike" | awk -v s="$spis" -v a="192.0.2.$p" '$2 == "UP" && ($3 " " $4) == s && $NF == a { f = 1 } END { exit !f }' ||
			fail "peer gw$p (IKE SPIs $spis) not in Cairn's IKE SAs: $ike"
		[ "$(sw_role "$p")" = initiator ] || fail "gw$p is not the initiator"
	done
	cli 1 show security ike security-associations detail | grep -q "Role: Initiator" &&
		fail "Cairn initiated an IKE SA"
	det=$(cli 1 show security ike security-associations detail)
	for id in "$@"; do
		echo "$det" | grep -q "Peer ike-id: $id$" || fail "Cairn's IKE SA detail lacks $id: $det"
	done
	# tunnel-distribution: one tunnel per peer, spread round robin over the SPUs
	dist=$(cli 1 show security ipsec tunnel-distribution)
	echo "$dist"
	[ "$(echo "$dist" | grep -Ec " up +dynamic +192.0.2.[23] +gw1 +v1$")" -eq 2 ] ||
		fail "tunnel-distribution: $dist"
	spus=$(echo "$dist" | awk '$3 == "up" { print $2 }' | sort -u | wc -l)
	nspu=$(cli 1 show security ipsec tunnel-distribution summary | awk '$1 ~ /^[0-9]+$/' | wc -l)
	if [ "$nspu" -ge 2 ]; then
		[ "$spus" -eq 2 ] || fail "the two peers are not spread round robin over $nspu SPUs: $dist"
	fi
	map=$(cli 1 show security ike tunnel-map)
	echo "$map" | grep -Eq "^[0-9]+ +gw1 +dynamic +rr +2 +2$" || fail "tunnel-map: $map"
	for p in $PEERS; do
		traffic_both 1 "$p" "10.$p.0.2" 10.1.0.2
	done
	dial_spis_match || fail "SPIs changed during traffic: $(dial_spis_report)"
	echo "$det" | grep "Peer ike-id" | sed 's/^ */   /'
	figure "$(echo "$kind $utype" | tr ' ' '/'): peers $(echo "$det" | awk -F': ' '/Peer ike-id/ { printf "%s ", $2 }')on SPUs $(echo "$dist" | awk '$3 == "up" { printf "%s ", $2 }')"
}

lab_init
lab_site 1
lab_site 2
lab_site 3
cairn_start 1
sw_start 2
sw_start 3
run_case dialup-group-fqdn dialup together hostname group-ike-id example.net \
	peer2.example.net peer3.example.net
run_case dialup-group-ufqdn dialup one-by-one user-at-hostname group-ike-id example.net \
	user2@example.net user3@example.net
run_case dialup-shared-together dialup together user-at-hostname shared-ike-id rw@example.net \
	rw@example.net rw@example.net
run_case dialup-shared-one-by-one dialup one-by-one user-at-hostname shared-ike-id rw@example.net \
	rw@example.net rw@example.net
cases_summary
