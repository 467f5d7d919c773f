#!/bin/sh
# SPDX-License-Identifier: MIT
# A commit's units and routes go to the userspace dataplane in bulk
# (dp_units_create, dp_routes_add): one appliance, configured through the
# shell, with 40 VPNs (gen-vpn-pair.sh hub side), an IPv6 unit and a unit
# with its own MTU. Checks the kernel's view: every unit address on the
# dataplane's address device st0-addr0 (none on lo), every subnet and
# static route on st0 with the unit's MTU and address as source. Then a commit whose last new unit the kernel refuses fails naming
# that unit and leaves the addresses and routes exactly as they were;
# deleting everything removes them.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/appliance-start.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

N=40
lab_init
lab_site 1
appliance_start 1

# the dataplane's unit address devices
adevs() { gw 1 ip -o link show | sed -n 's/^[0-9]*: \(st0-addr[0-9]*\):.*/\1/p'; }

dump() {
	{
		for d in $(adevs); do # a device may have addresses of one family only
			gw 1 ip -4 addr show dev "$d" | grep inet || true
			gw 1 ip -6 addr show dev "$d" | grep inet6 || true
		done
		gw 1 ip -4 route show table all dev st0
		gw 1 ip -6 route show table all dev st0 | grep -v '^fe80\|^multicast\|^local'
	} | sort
}

{
	echo "set security dataplane backend userspace"
	echo "set security dataplane spus 2"
	"$SRC/tests/bench/gen-vpn-pair.sh" hub "$N"
	echo "set interfaces st0 unit 100 family inet6 address fd0f::1/64"
	echo "set routing-options static route fd0e::/64 next-hop st0.100"
	echo "set interfaces st0 unit 101 family inet address 10.255.1.1/30"
	echo "set interfaces st0 unit 101 family inet mtu 1300"
	echo "set routing-options static route 10.254.0.0/16 next-hop st0.101"
} >"$LAB/bulk.set"
printf 'configure\nload set %s\ncommit\nexit\n' "$LAB/bulk.set" |
	"$BIN/cairn" --root "$LAB/gw1" >"$LAB/load.out" 2>&1
grep -q "commit complete" "$LAB/load.out" || fail "commit of $N VPNs: $(tail -5 "$LAB/load.out")"
wait_for 30 "st0 in gw1" gw 1 ip link show st0
dump >"$LAB/d1"

# what the kernel shows: N + 1 IPv4 and 1 IPv6 unit addresses on one
# address device, none on lo
[ "$(adevs)" = st0-addr0 ] || fail "address devices: $(adevs)"
! gw 1 ip addr show dev lo | grep -q 'inet 169\.254\.\|inet 10\.255\.\|fd0f::' ||
	fail "unit addresses on lo: $(gw 1 ip addr show dev lo)"
[ "$(grep -c 'inet 169\.254\.' "$LAB/d1")" -eq "$N" ] || fail "unit addresses: $(cat "$LAB/d1")"
grep -q 'inet 10\.255\.1\.1/30 scope global' "$LAB/d1" || fail "st0.101's address"
grep -q 'inet6 fd0f::1/64 scope global' "$LAB/d1" || fail "st0.100's address"
# each hub unit: its /30 and its /24, MTU 1400, its address as source
i=0
while [ $i -lt "$N" ]; do
	a=$((i / 64)) b=$((i % 64 * 4))
	grep -q "^169\.254\.$a\.$b/30 proto 196 scope link src 169\.254\.$a\.$((b + 1)) mtu 1400" \
		"$LAB/d1" || fail "st0.$i's subnet route: $(grep "169.254.$a.$b/" "$LAB/d1")"
	i=$((i + 1))
done
[ "$(grep -c '^10\.[0-9]*\.[0-9]*\.0/24 proto 196 scope link src 169\.254\.[0-9.]* mtu 1400' \
	"$LAB/d1")" -eq "$N" ] || fail "static routes: $(cat "$LAB/d1")"
grep -q '^10\.254\.0\.0/16 proto 196 scope link src 10\.255\.1\.1 mtu 1300' "$LAB/d1" ||
	fail "st0.101's static route"
grep -q '^fd0e::/64 proto 196 .*src fd0f::1 .*mtu 1400' "$LAB/d1" || fail "st0.100's route"

# one more unit, alone (a partial translation)
configure 1 >"$LAB/c.out" 2>&1 <<EOF || fail "one unit: $(tail -3 "$LAB/c.out")"
set interfaces st0 unit 102 family inet address 10.255.2.1/30
EOF
dump >"$LAB/d2"
grep -q 'inet 10\.255\.2\.1/30' "$LAB/d2" || fail "st0.102's address"
grep -q '^10\.255\.2\.0/30 proto 196 scope link src 10\.255\.2\.1 mtu 1400' "$LAB/d2" ||
	fail "st0.102's route"

# the last of 11 new units refused by the kernel (an address in its subnet
# with another scope on the address device, which would be its device):
# the commit fails naming it, nothing of the 11 stays
gw 1 ip addr add 10.253.120.2/30 dev st0-addr0 scope host
dump >"$LAB/d2"
{
	i=110
	while [ $i -le 120 ]; do
		echo "set interfaces st0 unit $i family inet address 10.253.$i.1/30"
		echo "set routing-options static route 10.252.$i.0/24 next-hop st0.$i"
		i=$((i + 1))
	done
} >"$LAB/fail.set"
configure 1 <"$LAB/fail.set" >"$LAB/fail.out" 2>&1 || true
grep -q "commit complete" "$LAB/fail.out" && fail "a unit the kernel refuses was committed"
grep -q "unit 120\|st0\.120\|'120'" "$LAB/fail.out" ||
	fail "the error does not name st0.120: $(cat "$LAB/fail.out")"
dump >"$LAB/d3"
cmp -s "$LAB/d2" "$LAB/d3" || fail "a refused commit changed the kernel: $(diff "$LAB/d2" "$LAB/d3")"
# the same commit once the kernel takes it
gw 1 ip addr del 10.253.120.2/30 dev st0-addr0
configure 1 <"$LAB/fail.set" >"$LAB/ok.out" 2>&1 || fail "commit: $(tail -3 "$LAB/ok.out")"
dump >"$LAB/d4"
[ "$(grep -c 'inet 10\.253\.' "$LAB/d4")" -eq 11 ] || fail "st0.110-120's addresses"
[ "$(grep -c '^10\.252\.[0-9]*\.0/24 proto 196 scope link src 10\.253\.' "$LAB/d4")" -eq 11 ] ||
	fail "st0.110-120's routes"

# 250 more VPNs in one commit: the units fill st0-addr0 up to 256 and the
# rest go on a second address device made during the same bulk creation
"$SRC/tests/bench/gen-vpn-pair.sh" hub 250 1000 >"$LAB/more.set"
printf 'configure\nload set %s\ncommit\nexit\n' "$LAB/more.set" |
	"$BIN/cairn" --root "$LAB/gw1" >"$LAB/more.out" 2>&1
grep -q "commit complete" "$LAB/more.out" || fail "commit of 250 more: $(tail -5 "$LAB/more.out")"
[ "$(adevs | tr '\n' ' ')" = "st0-addr0 st0-addr1 " ] || fail "address devices: $(adevs)"
for d in st0-addr0 st0-addr1; do
	gw 1 ip -o addr show dev "$d" | awk '{ print $4 }' >"$LAB/$d"
done
# st0-addr0: 256 units (st0.100 with its one IPv6 address, 255 with an
# IPv4 one), st0-addr1: the other 48 (40 + 250 + 14 units with addresses)
[ "$(wc -l <"$LAB/st0-addr0")" -eq 256 ] ||
	fail "st0-addr0 holds $(wc -l <"$LAB/st0-addr0") addresses"
[ "$(wc -l <"$LAB/st0-addr1")" -eq 48 ] || fail "st0-addr1 holds $(wc -l <"$LAB/st0-addr1")"
[ "$(cat "$LAB/st0-addr0" "$LAB/st0-addr1" | grep -c '^169\.254\.')" -eq 290 ] ||
	fail "the hub units' addresses"
dump >"$LAB/d6"
[ "$(grep -c '^169\.254\.[0-9.]*/30 proto 196 scope link src 169\.254\.[0-9.]* mtu 1400' \
	"$LAB/d6")" -eq 290 ] || fail "the hub units' subnet routes"

# everything deleted: no unit address, no route into st0
configure 1 >"$LAB/del.out" 2>&1 <<EOF || fail "delete: $(tail -3 "$LAB/del.out")"
delete security ike
delete security ipsec
delete interfaces st0
delete routing-options
EOF
dump >"$LAB/d5"
! grep -q 'inet 169\.254\.\|inet 10\.25[0-9]\.\|fd0f::1\|fd0d::1' "$LAB/d5" ||
	fail "addresses left: $(cat "$LAB/d5")"
[ "$(adevs)" = "" ] || fail "address devices left: $(adevs)"
! grep -q 'proto 196' "$LAB/d5" || fail "routes left: $(cat "$LAB/d5")"
log "iked-dp-bulk: ok"
