#!/bin/sh
# SPDX-License-Identifier: MIT
# Cairn against strongSwan 5.9.8, one topology for many cases (docs/interop.md):
#
#   h1 10.1.0.2 -- gw1: Cairn ===== WAN ===== gw2: strongSwan -- h2 10.2.0.2
#                  192.0.2.1 (st0.0)           192.0.2.2 (kernel-libipsec)
#
# charon starts once; each case loads its swanctl configuration through
# vici and commits Cairn's through the shell, then checks roles, SPIs (Cairn's
# show security ipsec security-associations = swanctl --list-sas), ping and
# TCP both ways, and tears both sides down. Cases: proposals (AES-GCM-128/256,
# AES-CBC-128/256 + HMAC-SHA2, DH 14/19/20/31, PFS on and off), identities
# (ipv4, FQDN, user@FQDN), policy-based, two traffic selectors, narrowing by
# either responder, an IPv6 WAN (2001:db8::1/::2, IPv4 and IPv6 inside),
# strongSwan left at its defaults (proposals, identities, mobike, encap,
# lifetimes) against three Cairn proposals, and mismatches (PSK, IKE and
# ESP proposals, traffic selectors) with their reasons on both sides. Each
# with Cairn as initiator and as responder.
. "$(dirname "$0")/interop-start.sh"

# ---- cases ---------------------------------------------------------------------

# proposal ROLE CAIRN-IKE(enc auth dh) CAIRN-ESP(enc auth pfs) SW-IKE SW-ESP
proposal() {
	role=$1
	cairn_defaults
	sw_defaults
	C_IKE_ENC=$2 C_IKE_AUTH=$3 C_DH=$4 C_ESP_ENC=$5 C_ESP_AUTH=$6 C_PFS=$7
	S_IKE=$8 S_ESP=$9
	[ "$C_ESP_AUTH" != - ] || C_ESP_AUTH=
	[ "$C_PFS" != - ] || C_PFS=
	establish "$role"
	verify_case "$role" 1
	ike=$(cli 1 show security ike security-associations detail)
	echo "$ike" | grep -q "Diffie-Hellman group  : DH-group-${C_DH#group}$" ||
		fail "Cairn's IKE SA does not show $C_DH: $ike"
	# Junos names: aes-128-gcm -> ESP:aes-gcm-128/...
	shown=$(echo "$C_ESP_ENC" | sed 's/^aes-\([0-9]*\)-\([a-z]*\)$/aes-\2-\1/')
	sa=$(cli 1 show security ipsec security-associations)
	echo "$sa" | grep -q "ESP:$shown/" || fail "Cairn's IPsec SA is not $C_ESP_ENC: $sa"
	[ -n "$C_PFS" ] || return 0
	# PFS: the DH of CREATE_CHILD_SA, both ways
	log "   PFS $C_PFS: strongSwan rekeys the CHILD SA"
	old=$(cairn_spis 1 v1)
	case_mark
	swc 2 --rekey --child net >/dev/null 2>&1 || fail "swanctl --rekey"
	wait_for 20 "the rekeyed SA on both sides" sh -c '[ "$1" != "$2" ]' - "$old" "\$(cairn_spis 1 v1)"
	wait_tunnels 1
	case_log_since "$LAB/sw2/charon.log" | grep -q "generating CREATE_CHILD_SA request .*N(REKEY_SA) SA No KE" ||
		fail "strongSwan's rekey carried no KE payload"
	case_log_since "$LAB/sw2/charon.log" | grep -q "parsed CREATE_CHILD_SA response .* SA No KE" ||
		fail "Cairn's rekey answer carried no KE payload"
	ping_ok 1 10.2.0.2 || fail "ping after strongSwan's rekey"
	ping_ok 2 10.1.0.2 || fail "ping after strongSwan's rekey"
	[ "$role" = init ] || return 0
	log "   PFS $C_PFS: Cairn negotiates a new CHILD SA (clear security ipsec security-associations)"
	old=$(cairn_spis 1 v1)
	case_mark
	cli 1 clear security ipsec security-associations >/dev/null
	wait_for 20 "a new SA on both sides" sh -c '[ -n "$2" ] && [ "$1" != "$2" ]' - "$old" "\$(cairn_spis 1 v1)"
	wait_tunnels 1
	case_log_since "$LAB/sw2/charon.log" | grep -q "parsed CREATE_CHILD_SA request .* SA No KE" ||
		fail "Cairn's CREATE_CHILD_SA carried no KE payload"
	ping_ok 1 10.2.0.2 || fail "ping after Cairn's new CHILD SA"
	ping_ok 2 10.1.0.2 || fail "ping after Cairn's new CHILD SA"
}

# identity ROLE KIND CAIRN-ID STRONGSWAN-ID: both sides present and expect
# that type (strongSwan matches identities by type and value)
identity() {
	role=$1
	cairn_defaults
	sw_defaults
	C_LOCAL_ID="$2 $3"
	C_REMOTE_ID="$2 $4"
	S_LOCAL_ID=$4
	S_REMOTE_ID=$3
	establish "$role"
	verify_case "$role" 1
	ike=$(cli 1 show security ike security-associations detail)
	echo "$ike" | grep -q "Local identity: $3$" || fail "Cairn's local identity: $ike"
	echo "$ike" | grep -q "Remote identity: $4$" || fail "Cairn's remote identity: $ike"
	sas=$(swc 2 --list-sas --noblock)
	echo "$sas" | grep -q "local  '$4' @ 192.0.2.2" || fail "strongSwan's local identity: $sas"
	echo "$sas" | grep -q "remote '$3' @ 192.0.2.1" || fail "strongSwan's remote identity: $sas"
}

# policy_based ROLE: no st0, zones and a policy pair with permit tunnel
policy_based() {
	role=$1
	cairn_defaults
	sw_defaults
	C_MODE=policy
	establish "$role"
	verify_case "$role" 1
	det=$(cli 1 show security ipsec security-associations detail)
	echo "$det" | grep -q "Local Identity: ipv4(10.1.0.0-10.1.0.255)" || fail "selectors: $det"
	echo "$det" | grep -q "Bind-interface: st0" && fail "policy-based VPN bound to st0: $det"
	# the policy's rule steers 10.1.0.0/24 -> 10.2.0.0/24 into st0 (table 220)
	gw 1 ip rule | grep -q "from 10.1.0.0/24 to 10.2.0.0/24 .*lookup 220" ||
		fail "no policy rule in gw1: $(gw 1 ip rule)"
	gw 1 ip route show table 220 | grep -q "st0" || fail "table 220: $(gw 1 ip route show table 220)"
}

# two_selectors ROLE: one VPN, two traffic selectors (IPv4 and IPv6), two
# CHILD SAs on one IKE SA; strongSwan has a child per selector
two_selectors() {
	role=$1
	cairn_defaults
	sw_defaults
	C_TS="t4 10.1.0.0/24 10.2.0.0/24;t6 fd01::/64 fd02::/64"
	C_ROUTES=""
	S_CHILDREN="net4 10.2.0.0/24 10.1.0.0/24;net6 fd02::/64 fd01::/64"
	establish "$role"
	TUNNEL6=1 verify_case "$role" 2
	[ "$(sw_ike_count 2)" -eq 1 ] || fail "strongSwan has $(sw_ike_count 2) IKE SAs"
	[ "$(ike_up 1)" -eq 1 ] || fail "Cairn has $(ike_up 1) IKE SAs"
	sas=$(swc 2 --list-sas --noblock)
	echo "$sas" | grep -q "local  fd02::/64" || fail "strongSwan's IPv6 child: $sas"
}

# wan6 ROLE: IPv6 between the gateways (2001:db8::1 and ::2, identities
# the IPv6 addresses), IPv4 and IPv6 inside: two selectors, two CHILD SAs
wan6() {
	role=$1
	cairn_defaults
	sw_defaults
	C_PEER=2001:db8::2
	C_LOCAL=2001:db8::1
	S_LOCAL=2001:db8::2
	S_REMOTE=2001:db8::1
	S_LOCAL_ID=2001:db8::2
	S_REMOTE_ID=2001:db8::1
	C_TS="t4 10.1.0.0/24 10.2.0.0/24;t6 fd01::/64 fd02::/64"
	C_ROUTES=""
	S_CHILDREN="net4 10.2.0.0/24 10.1.0.0/24;net6 fd02::/64 fd01::/64"
	establish "$role"
	TUNNEL6=1 verify_case "$role" 2
	ike=$(cli 1 show security ike security-associations)
	echo "$ike" | awk '$2 == "UP" && $NF == "2001:db8::2" { f = 1 } END { exit !f }' ||
		fail "Cairn's IKE SA is not with 2001:db8::2: $ike"
	sas=$(swc 2 --list-sas --noblock)
	echo "$sas" | grep -q "local  '2001:db8::2' @ 2001:db8::2\[" || fail "strongSwan's IKE SA: $sas"
	echo "$sas" | grep -q "remote '2001:db8::1' @ 2001:db8::1\[" || fail "strongSwan's IKE SA: $sas"
	figure "wan6-$role: $(cli 1 show security ike security-associations detail | grep -E 'Remote:|Local:' | sed 's/^ *//' | tr '\n' ' ')"
}

# defaults ROLE CAIRN-SETS...: strongSwan as a new user leaves it: no
# proposals (default), no local address or identities (its address and
# %any), mobike (yes), encap (no), rekey and life times, DPD all unset.
# CAIRN-SETS: Cairn's proposals ("IKE-ENC IKE-AUTH DH ESP-ENC ESP-AUTH PFS",
# - for none) or "pset NAME" (proposal-set NAME on both policies). The
# figure says what was picked and the lifetimes each side runs.
defaults() {
	role=$1
	shift
	cairn_defaults
	sw_defaults
	if [ "$1" = pset ]; then
		what="proposal-set $2"
		C_EXTRA="set security ike policy ikepol1 $what
set security ipsec policy ipsecpol1 $what"
	else
		C_IKE_ENC=$1 C_IKE_AUTH=$2 C_DH=$3 C_ESP_ENC=$4 C_ESP_AUTH=$5 C_PFS=$6
		[ "$C_ESP_AUTH" != - ] || C_ESP_AUTH=
		[ "$C_PFS" != - ] || C_PFS=
		what="$*"
	fi
	sw_load 2 <<EOF
connections {
	c1 {
		remote_addrs = 192.0.2.1
		local { auth = psk }
		remote { auth = psk }
		children {
			net {
				local_ts = 10.2.0.0/24
				remote_ts = 10.1.0.0/24
			}
		}
	}
}
secrets {
	ike-c1 { secret = "$C_PSK" }
}
EOF
	C_EST=responder-only
	[ "$role" = resp ] || C_EST=immediately
	if [ "$1" = pset ]; then
		cairn_conf | sed -e '/ikep1/d' -e '/espp1/d' >"$LAB/cairn.conf"
	else
		cairn_conf >"$LAB/cairn.conf"
	fi
	out=$(configure 1 <"$LAB/cairn.conf" 2>&1) || fail "commit refused: $out"
	echo "$out" | grep -q "commit complete" || fail "gw1: $out"
	if [ "$role" = resp ]; then
		swc 2 --initiate --child net --timeout 20 >"$LAB/initiate.out" 2>&1 ||
			fail "swanctl --initiate --child net: $(tail -5 "$LAB/initiate.out")"
	fi
	verify_case "$role" 1
	sas=$(swc 2 --list-sas --noblock)
	ike=$(echo "$sas" | grep -E "^  [A-Z].*/" | head -1 | sed 's/^ *//')
	esp=$(echo "$sas" | awk '/^    net: .*INSTALLED/ { sub(/.*ESP:/, ""); print; exit }')
	sw_times=$(echo "$sas" | grep -E "rekeying in|expires in" | sed 's/^ *//' | tr '\n' ';')
	cike=$(cli 1 show security ike security-associations detail | grep -E "Lifetime|Rekey in|Algorithms|Encryption|Pseudo|Diffie" | sed 's/^ *//' | tr '\n' ' ')
	csa=$(cli 1 show security ipsec security-associations | awk '/^</ { print $2, $4; exit }')
	figure "defaults-$role ($what): strongSwan: IKE $ike; CHILD $esp; $sw_times Cairn: $cike; $csa"
	[ -n "$C_PFS" ] || return 0
	# PFS on Cairn, none in strongSwan's default esp_proposals: the first
	# CHILD SA (in IKE_AUTH, no KE) comes up, every later one is refused,
	# with the reason on both sides. strongSwan's rekey (no KE):
	old=$(cairn_spis 1 v1)
	case_mark
	swc 2 --rekey --child net >/dev/null 2>&1 || fail "swanctl --rekey"
	rekey_refused() { [ "$(sw_log_count 'CHILD_SA rekeying failed')" -ge 1 ]; }
	wait_for 10 "strongSwan's rekey refused" rekey_refused
	case_log_since "$LAB/gw1/iked.log" | grep -q "vpn v1: no proposal chosen: received #1 .*configured aes-cbc-256/hmac-sha256-128/pfs14" ||
		fail "Cairn did not log the proposals it refused"
	[ "$(cairn_spis 1 v1)" = "$old" ] || fail "the SA changed: $old -> $(cairn_spis 1 v1)"
	ping_ok 1 10.2.0.2 || fail "ping h1 -> h2 after the refused rekey"
	figure "defaults-$role PFS: strongSwan's CHILD rekey (no KE) refused by Cairn: $(case_log_since "$LAB/gw1/iked.log" | grep -o 'no proposal chosen: received.*' | head -1)"
	[ "$role" = init ] || return 0
	# Cairn's new CHILD SA (with KE) after clear: strongSwan refuses it
	case_mark
	cli 1 clear security ipsec security-associations >/dev/null
	refused() { cli 1 show security ipsec inactive-tunnels | grep -q "NO_PROPOSAL_CHOSEN received from peer"; }
	wait_for 10 "Cairn's CREATE_CHILD_SA refused" refused
	case_log_since "$LAB/sw2/charon.log" | grep -q "no acceptable KEY_EXCHANGE_METHOD found" ||
		fail "charon did not say why it refused Cairn's KE"
	figure "defaults-$role PFS: Cairn's CREATE_CHILD_SA with KE refused by strongSwan: no acceptable KEY_EXCHANGE_METHOD found; Cairn: NO_PROPOSAL_CHOSEN received from peer"
}

# narrowing ROLE: the responder narrows the initiator's wider selectors
narrowing() {
	role=$1
	cairn_defaults
	sw_defaults
	C_ROUTES=""
	if [ "$role" = init ]; then
		# Cairn proposes /16s, strongSwan answers with its /24s
		C_TS="t1 10.1.0.0/16 10.2.0.0/16"
	else
		# strongSwan proposes /16s, Cairn answers with its /24s
		C_TS="t1 10.1.0.0/24 10.2.0.0/24"
		S_CHILDREN="net 10.2.0.0/16 10.1.0.0/16"
	fi
	establish "$role"
	verify_case "$role" 1
	det=$(cli 1 show security ipsec security-associations detail)
	echo "$det" | grep -q "Local Identity: ipv4(10.1.0.0-10.1.0.255)" || fail "Cairn's local selector: $det"
	echo "$det" | grep -q "Remote Identity: ipv4(10.2.0.0-10.2.0.255)" || fail "Cairn's remote selector: $det"
	sas=$(swc 2 --list-sas --noblock)
	echo "$sas" | grep -q "local  10.2.0.0/24" || fail "strongSwan's local selector: $sas"
	echo "$sas" | grep -q "remote 10.1.0.0/24" || fail "strongSwan's remote selector: $sas"
}

# mismatch ROLE KIND: no SA, and each side says why (Cairn: show security
# ipsec inactive-tunnels; strongSwan: charon's log)
mismatch() {
	role=$1
	kind=$2
	cairn_defaults
	sw_defaults
	C_TS="t1 10.1.0.0/24 10.2.0.0/24"
	C_ROUTES=""
	# the reasons each side gives (Cairn: the inactive tunnel's down reason)
	case $kind in
	psk)
		C_PSK=not-the-peers-key
		if [ "$role" = init ]; then
			cairn_re="AUTHENTICATION_FAILED received from peer"
			sw_re="shared key for .* - '192.0.2.1', but MAC mismatched"
		else
			cairn_re="Peer's IKE authentication failed \(pre-shared key mismatch\)"
			sw_re="received AUTHENTICATION_FAILED notify error"
		fi
		;;
	ike-proposal)
		C_IKE_ENC=aes-256-cbc C_IKE_AUTH=sha-256 C_DH=group14
		if [ "$role" = init ]; then
			cairn_re="NO_PROPOSAL_CHOSEN received from peer"
			sw_re="received proposals unacceptable"
		else
			cairn_re="no proposal chosen, the peer's proposals match no configured proposal"
			sw_re="received NO_PROPOSAL_CHOSEN notify error"
		fi
		;;
	esp-proposal)
		C_ESP_ENC=aes-256-cbc C_ESP_AUTH=hmac-sha-256-128
		if [ "$role" = init ]; then
			cairn_re="NO_PROPOSAL_CHOSEN received from peer"
			sw_re="no acceptable proposal found"
		else
			cairn_re="no proposal chosen, the peer's proposals match no configured proposal"
			sw_re="received NO_PROPOSAL_CHOSEN notify"
		fi
		;;
	ts)
		S_CHILDREN="net 10.2.0.0/24 10.9.0.0/24"
		if [ "$role" = init ]; then
			cairn_re="TS_UNACCEPTABLE received from peer"
			sw_re="traffic selectors .* unacceptable"
		else
			cairn_re="the peer's traffic selectors match no configured traffic selector"
			sw_re="received TS_UNACCEPTABLE notify"
		fi
		;;
	esac
	if [ "$role" = init ]; then
		sw_apply
		cairn_apply
	else
		C_EST=responder-only
		cairn_apply
		sw_apply
		swc 2 --initiate --child net --timeout 10 >"$LAB/initiate.out" 2>&1 &&
			fail "strongSwan's initiation succeeded: $(cat "$LAB/initiate.out")"
	fi
	wait_for 20 "the reason in strongSwan's log (/$sw_re/)" sh -c \
		'grep -Eq "$1" "$2" && tail -c +"$3" "$2" | grep -Eq "$1"' - "$sw_re" "$LAB/sw2/charon.log" \
		"$(($(echo "$CASE_MARK" | tr ' ' '\n' | awk -F= '/charon.log/ { print $2 }') + 1))"
	wait_for 20 "the reason in Cairn's inactive-tunnels (/$cairn_re/)" sh -c \
		'"$1/cairn" --root "$2" -c "show security ipsec inactive-tunnels" | grep -Eq "$3"' - \
		"$BIN" "$LAB/gw1" "$cairn_re"
	# and in Cairn's log, where the responder also lists what was proposed
	case_log_since "$LAB/gw1/iked.log" | grep -Eq "$cairn_re" || fail "Cairn's log lacks /$cairn_re/"
	[ -z "$(cairn_spis 1 v1)" ] || fail "Cairn has SAs: $(cairn_spis 1 v1)"
	[ -z "$(sw_spis 2)" ] || fail "strongSwan has CHILD SAs: $(sw_spis 2)"
	echo "   Cairn: $(cli 1 show security ipsec inactive-tunnels | grep -E "$cairn_re" | sed 's/  */ /g')"
	echo "   Cairn's log: $(case_log_since "$LAB/gw1/iked.log" | grep -E "NO_PROPOSAL_CHOSEN|TS_UNACCEPTABLE|AUTH" | head -1 | cut -d' ' -f3-)"
	echo "   strongSwan: $(case_log_since "$LAB/sw2/charon.log" | grep -E "$sw_re" | head -1 | cut -c10-)"
}

cases_run() {
	for role in init resp; do
		run_case "gcm128-ecp256-$role" proposal $role \
			aes-128-gcm sha-256 group19 aes-128-gcm - - \
			aes128gcm16-prfsha256-ecp256 aes128gcm16
		run_case "gcm256-ecp384-pfs20-$role" proposal $role \
			aes-256-gcm sha-384 group20 aes-256-gcm - group20 \
			aes256gcm16-prfsha384-ecp384 aes256gcm16-ecp384
		run_case "cbc128-modp2048-pfs14-$role" proposal $role \
			aes-128-cbc sha-256 group14 aes-128-cbc hmac-sha-256-128 group14 \
			aes128-sha256-modp2048 aes128-sha256-modp2048
		run_case "cbc256-x25519-pfs31-$role" proposal $role \
			aes-256-cbc sha-512 group31 aes-256-cbc hmac-sha-512 group31 \
			aes256-sha512-curve25519 aes256-sha512-curve25519
		run_case "cbc256sha384-ecp256-$role" proposal $role \
			aes-256-cbc sha-384 group19 aes-256-cbc hmac-sha-384 - \
			aes256-sha384-ecp256 aes256-sha384
		run_case "id-ipv4-$role" identity $role inet 192.0.2.1 192.0.2.2
		run_case "id-fqdn-$role" identity $role hostname gw1.example.net gw2.example.net
		run_case "id-ufqdn-$role" identity $role user-at-hostname gw1@example.net gw2@example.net
		run_case "policy-based-$role" policy_based $role
		run_case "two-selectors-$role" two_selectors $role
		run_case "narrowing-$role" narrowing $role
		run_case "wan6-$role" wan6 $role
		run_case "defaults-gcm128-$role" defaults $role aes-128-gcm sha-256 group19 aes-128-gcm - -
		run_case "defaults-cbc256-pfs-$role" defaults $role \
			aes-256-cbc sha-256 group14 aes-256-cbc hmac-sha-256-128 group14
		run_case "defaults-suiteb-$role" defaults $role pset suiteb-gcm-128
		for k in psk ike-proposal esp-proposal ts; do
			run_case "mismatch-$k-$role" mismatch $role $k
		done
	done
}

# ---- main ------------------------------------------------------------------------

lab_init
lab_site 1
lab_site 2
# an IPv6 WAN too (documentation addresses), for the wan6 cases
for s in 1 2; do gw $s ip addr add "2001:db8::$s/64" dev "w$s" nodad; done
cairn_start 1
sw_start 2
cases_run
cases_summary
