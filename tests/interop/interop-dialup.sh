#!/bin/sh
# SPDX-License-Identifier: MIT
# A Cairn dial-up gateway against two strongSwan 5.9.8 road warriors at once
# (docs/interop.md):
#
#                                 +== 192.0.2.2 gw2: strongSwan -- h2 10.2.0.2
#   h1 10.1.0.2 -- gw1: Cairn ==WAN+== 192.0.2.3 gw3: strongSwan -- h3 10.3.0.2
#                   192.0.2.1     +== 192.0.2.104 nat4 (masquerade) -+- 100.64.4.2 gw4: strongSwan -- h4
#                                                                    +- 100.64.4.3 gw5: strongSwan -- h5
#
# Cairn's gateway has no peer address (`dynamic hostname|user-at-hostname
# ... ike-user-type group-ike-id|shared-ike-id`); each road warrior
# initiates with its own identity and selectors (10.N.0.0/24 ===
# 10.1.0.0/24). Both tunnels are up at once on one VPN (st0.0); each case
# checks both peers' SPIs against their swanctl --list-sas, both peers in
# show security ike security-associations (their IKE SPIs), the round robin
# of show security ipsec tunnel-distribution, and ping and TCP both ways
# between h1 and each peer's host. Cases: group-ike-id with FQDNs and with
# user@FQDNs, shared-ike-id (one identity for all), the peers starting
# together or one after the other (the second's INITIAL_CONTACT must not
# clear the first's SAs), and two road warriors behind one NAT (one public
# address, told apart by their ports); two of them over an IPv6 WAN; and
# DPD on the gateway with one road warrior killed (dialup-dpd).
. "$(dirname "$0")/interop-start.sh"

PEERS="2 3"

# WAN6=1: the road warriors reach Cairn over IPv6 (2001:db8::N)
WAN6=""

# peer_addr N: the address Cairn sees gwN at (sites 4 and 5 share a NAT)
peer_addr() {
	if [ -n "$WAN6" ]; then
		echo "2001:db8::$1"
		return
	fi
	case $1 in 4 | 5) echo 192.0.2.104 ;; *) echo "192.0.2.$1" ;; esac
}

# dial_nat_pair: gw4 (100.64.4.2) and gw5 (100.64.4.3) behind one NAT
# namespace (masquerade to 192.0.2.104, random ports): two road warriors
# at one public address, told apart by their ports only
dial_nat_pair() {
	SITES="$SITES 4 5"
	ip netns add "$P-nat4"
	ip -n "$P-nat4" link set lo up
	ip link add w4 netns "$P-nat4" type veth peer name p4 netns "$P-wan"
	ip -n "$P-wan" link set p4 master br0 up
	ip -n "$P-nat4" addr add 192.0.2.104/24 dev w4
	ip -n "$P-nat4" link set w4 up
	ip -n "$P-nat4" link add name nbr type bridge
	ip -n "$P-nat4" addr add 100.64.4.1/24 dev nbr
	ip -n "$P-nat4" link set nbr up
	ip netns exec "$P-nat4" sysctl -qw net.ipv4.ip_forward=1
	printf '%s\n' 'table ip nat {' 'chain post { type nat hook postrouting priority srcnat; oifname "w4" masquerade random; }' '}' |
		ip netns exec "$P-nat4" nft -f -
	for n in 4 5; do
		ip netns add "$P-gw$n"
		ip netns add "$P-h$n"
		ip -n "$P-gw$n" link set lo up
		ip -n "$P-h$n" link set lo up
		ip link add "i$n" netns "$P-nat4" type veth peer name "w$n" netns "$P-gw$n"
		ip -n "$P-nat4" link set "i$n" master nbr up
		ip -n "$P-gw$n" addr add "100.64.4.$((n - 2))/24" dev "w$n"
		ip -n "$P-gw$n" link set "w$n" up
		ip -n "$P-gw$n" route add default via 100.64.4.1
		lab_lan4 "$n"
	done
}

# dial_spis_match: Cairn's SA pairs of v1 are the two peers' CHILD SAs,
# crossed, one per peer
dial_spis_match() {
	c=$(cairn_spis 1 v1 | sort)
	s=$(for p in $PEERS; do sw_spis "$p"; done | awk '{ print $2, $1 }' | sort)
	set -- $PEERS
	[ "$(echo "$c" | grep -c .)" -eq 2 ] && [ "$(sw_spis "$1" | wc -l)" -eq 1 ] &&
		[ "$(sw_spis "$2" | wc -l)" -eq 1 ] && [ "$c" = "$s" ]
}

dial_spis_report() {
	echo "Cairn (in out): $(cairn_spis 1 v1 | tr '\n' ';')"
	for p in $PEERS; do echo " gw$p: $(sw_spis "$p" | tr '\n' ';')"; done
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
	[ -z "$WAN6" ] || C_LOCAL=2001:db8::1
	C_DPD=${DIAL_DPD:-}
	C_LOCAL_ID="hostname vpn.example.net"
	C_ROUTES=$(for p in $PEERS; do printf '10.%s.0.0/24 ' "$p"; done)
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
		[ "$p" -lt 4 ] || S_LOCAL=100.64.4.$((p - 2))
		S_REMOTE=192.0.2.1
		[ -z "$WAN6" ] || S_LOCAL=2001:db8::$p S_REMOTE=2001:db8::1
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
		case_log_since "$LAB/sw$p/charon.log" | grep -q "generating IKE_AUTH request.*N(INIT_CONTACT)" ||
			fail "gw$p's IKE_AUTH carried no INITIAL_CONTACT"
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
		echo "$ike" | awk -v s="$spis" -v a="$(peer_addr "$p")" '$2 == "UP" && ($3 " " $4) == s && $NF == a { f = 1 } END { exit !f }' ||
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
	for p in $PEERS; do
		[ "$(echo "$dist" | grep -Ec " up +dynamic +$(peer_addr "$p") +gw1 +v1$")" -ge 1 ] ||
			fail "tunnel-distribution lacks gw$p: $dist"
	done
	[ "$(echo "$dist" | grep -Ec " up +dynamic ")" -eq 2 ] || fail "tunnel-distribution: $dist"
	spus=$(echo "$dist" | awk '$3 == "up" { print $2 }' | sort -u | wc -l)
	# the SPU rows of the first block (the key-cache block follows a blank line)
	nspu=$(cli 1 show security ipsec tunnel-distribution summary |
		awk '/^$/ { exit } $1 ~ /^[0-9]+$/' | wc -l)
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
	nat=""
	set -- $PEERS
	if [ "$(peer_addr "$1")" = "$(peer_addr "$2")" ]; then
		# one public address: the peers are their ports, each IKE SA its own
		ports=$(echo "$det" | awk -v a="$(peer_addr "$1")" '$0 ~ "Remote: " a ":" { n = split($NF, x, ":"); print x[n] }' | sort -u)
		[ "$(echo "$ports" | wc -w)" -eq 2 ] || fail "not two remote ports at $(peer_addr "$1"): $det"
		nat=" behind one NAT, ports $(echo $ports)"
	fi
	if [ "$start" = one-by-one ]; then
		# the first road warrior leaves (swanctl --terminate: DELETE): its
		# IKE SA and tunnel go on Cairn, the other's stay and carry traffic
		set -- $PEERS
		gone=$1
		kept=$2
		swc "$gone" --terminate --ike c1 --timeout 10 >/dev/null 2>&1 || fail "swanctl --terminate in gw$gone"
		left() {
			[ "$(cli 1 show security ike security-associations | awk '$2 == "UP"' | wc -l)" -eq 1 ] &&
				[ "$(cairn_spis 1 v1 | wc -l)" -eq 1 ] &&
				[ "$(cairn_spis 1 v1)" = "$(sw_spis "$kept" | awk '{ print $2, $1 }')" ]
		}
		wait_for 10 "gw$gone's SAs gone from Cairn, gw$kept's kept" left
		ping_ok 1 "10.$kept.0.2" || fail "ping h1 -> h$kept after gw$gone left"
		ping_ok "$kept" 10.1.0.2 || fail "ping h$kept -> h1 after gw$gone left"
	fi
	figure "$(echo "$start $kind $utype" | tr ' ' '/'): peers $(echo "$det" | awk -F': ' '/Peer ike-id/ { printf "%s ", $2 }')on SPUs $(echo "$dist" | awk '$3 == "up" { printf "%s ", $2 }')$nat${WAN6:+ (IPv6 WAN)}"
}

# dialup_dpd: the gateway with DPD (probe-idle-tunnel, 2 s x 3); both road
# warriors up, one killed (SIGKILL: no DELETE): Cairn clears that one's
# SAs by DPD within 2 x interval + interval x threshold (+3 s of slack), the
# other's stay and carry traffic; the dead one comes back and gets a new
# tunnel
dialup_dpd() {
	DIAL_DPD="probe-idle-tunnel 2 3"
	dialup together hostname group-ike-id example.net peer2.example.net peer3.example.net
	case_mark
	t0=$(now_ms)
	sw_kill 2
	# a dial-up peer's tunnel goes with it (no inactive tunnel is left): the
	# reason is in the log
	cleared() {
		case_log_since "$LAB/gw1/iked.log" | grep -q "DPD detected peer as down" &&
			[ "$(cli 1 show security ike security-associations | awk '$2 == "UP"' | wc -l)" -eq 1 ] &&
			[ "$(cairn_spis 1 v1)" = "$(sw_spis 3 | awk '{ print $2, $1 }')" ]
	}
	wait_for 30 "Cairn to clear gw2's SAs by DPD, and only those" cleared
	dt=$(($(now_ms) - t0))
	cli 1 show security ike security-associations | awk '$2 == "UP"' | grep -q " 192.0.2.3$" ||
		fail "the IKE SA left is not gw3's: $(cli 1 show security ike security-associations)"
	# 2 intervals to see the peer idle, 3 probes, polling slack
	[ "$dt" -le 13000 ] || fail "gw2 cleared $dt ms after the kill"
	traffic_both 1 3 10.3.0.2 10.1.0.2 1M
	figure "dialup-dpd: gw2's charon killed, its SAs cleared by Cairn's DPD $dt ms later, gw3's kept"
	cp "$LAB/sw2/swanctl.conf" "$LAB/sw2/swanctl.saved"
	sw_start 2
	sw_load 2 <"$LAB/sw2/swanctl.saved"
	swc 2 --initiate --child net --timeout 20 >"$LAB/initiate2.out" 2>&1 ||
		fail "swanctl --initiate in gw2 after its restart: $(tail -5 "$LAB/initiate2.out")"
	end=$(($(date +%s) + 20))
	while ! dial_spis_match; do
		[ "$(date +%s)" -lt "$end" ] || fail "after gw2's return: SPIs differ: $(dial_spis_report)"
		sleep 0.1
	done
	traffic_both 1 2 10.2.0.2 10.1.0.2 1M
}

lab_init
lab_site 1
lab_site 2
lab_site 3
cairn_start 1
dial_nat_pair
# an IPv6 WAN too (documentation addresses), for the dialup6 cases
for s in 1 2 3; do gw $s ip addr add "2001:db8::$s/64" dev "w$s" nodad; done
sw_start 2
sw_start 3
sw_start 4
sw_start 5
run_case dialup-group-fqdn dialup together hostname group-ike-id example.net \
	peer2.example.net peer3.example.net
run_case dialup-group-ufqdn dialup one-by-one user-at-hostname group-ike-id example.net \
	user2@example.net user3@example.net
run_case dialup-shared-together dialup together user-at-hostname shared-ike-id rw@example.net \
	rw@example.net rw@example.net
run_case dialup-shared-one-by-one dialup one-by-one user-at-hostname shared-ike-id rw@example.net \
	rw@example.net rw@example.net
run_case dialup-dpd dialup_dpd
# the same over IPv6
WAN6=1
run_case dialup6-group-fqdn dialup together hostname group-ike-id example.net \
	peer2.example.net peer3.example.net
run_case dialup6-shared-one-by-one dialup one-by-one user-at-hostname shared-ike-id rw@example.net \
	rw@example.net rw@example.net
WAN6=""
# two road warriors behind one NAT (one public address, two ports)
PEERS="4 5"
run_case dialup-nat-group-fqdn dialup together hostname group-ike-id example.net \
	peer4.example.net peer5.example.net
run_case dialup-nat-shared-one-by-one dialup one-by-one user-at-hostname shared-ike-id rw@example.net \
	rw@example.net rw@example.net
cases_summary
