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
# either responder, and mismatches (PSK, IKE and ESP proposals, traffic
# selectors) with their reasons on both sides. Each with Cairn as initiator
# and as responder.
set -eu
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../build" && pwd)}
ONLY=""
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [--only CASE-PATTERN]" >&2; exit 2 ;;
	esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib-appliance.sh"
. "$HERE/lib-interop.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

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
	done
}

# ---- main ------------------------------------------------------------------------

lab_init
lab_site 1
lab_site 2
cairn_start 1
sw_start 2
if [ -n "$ONLY" ]; then
	run_case_orig=run_case
fi
cases_run
cases_summary
