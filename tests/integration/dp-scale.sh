#!/bin/sh
# SPDX-License-Identifier: MIT
# Many st0 units on the userspace dataplane: 2000 units, each with an
# address, a route and a tunnel, come up on one shared st0; traffic for
# the last unit finds its tunnel among all the others; the unit addresses
# are spread over the dataplane's address devices (st0-addrN, at most 256
# units each, none on lo); stopping the dataplane removes those devices
# with the addresses, and st0 with its routes.
#
# Also many SAs whose lifetimes end together: every soft and hard expiry
# event reaches the caller, and the hard-expired SAs are removed.
#
#   dp-scale.sh --build DIR [--units N] [--sas N]
set -eu

UNITS=2000
SAS=5000
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2 ;;
	--units) UNITS=$2 ;;
	--sas) SAS=$2 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
. "$(dirname "$0")/dp-lib.sh"

topology
last=$((UNITS - 1))
{
	echo "dataplane spus 2"
	i=0
	while [ $i -lt $UNITS ]; do
		a=$((i * 4))
		echo "unit $i inet 172.$((16 + a / 65536)).$(((a / 256) % 256)).$((a % 256 + 1))/30"
		if [ $i -ne $last ]; then
			echo "route 10.$((100 + i / 65536)).$(((i / 256) % 256)).$((i % 256))/32 unit $i"
			echo "tunnel $((i + 1)) unit $i local 192.0.2.1 remote 198.51.$((100 + i / 256)).$((i % 256))"
		fi
		i=$((i + 1))
	done
	echo "route 10.2.0.0/24 unit $last"
	echo "tunnel $UNITS unit $last local 192.0.2.1 remote 192.0.2.2"
	echo "sa out spi 0x1001 tunnel $UNITS local 192.0.2.1 remote 192.0.2.2 enc aes-gcm-128 key $K_GCM1 udp"
	echo "sa in spi 0x1002 tunnel $UNITS local 192.0.2.1 remote 192.0.2.2 enc aes-gcm-128 key $K_GCM2 udp"
	# SAS inbound SAs on tunnel 1 whose lifetimes all end within a second
	# or two: more expiry events at once than the event queue first holds
	# (4096); after the SAs above, whose statistics are read
	i=0
	while [ $i -lt "$SAS" ]; do
		printf 'sa in spi 0x%x tunnel 1 local 192.0.2.1 remote 198.51.100.0 enc aes-gcm-128 key %s udp life-seconds 2 3\n' \
			$((0x20000 + i)) "$K_GCM1"
		i=$((i + 1))
	done
} >"$TMP/gw1.conf"
gw_conf "$TMP/gw2.conf" 2 1 gcm128 udp 4

log "$UNITS units, routes and tunnels"
t0=$(date +%s)
start_gw 1 "$TMP/gw1.conf"
t1=$(date +%s)
log "up in $((t1 - t0)) s"
start_gw 2 "$TMP/gw2.conf"
[ "$(n gw1 ip route show dev st0 | wc -l)" -ge $((2 * UNITS)) ] || fail "routes into st0 missing"
[ "$(ctl 1 tunnels | awk '$1 == "spu" { s += $4 } END { print s }')" = "$UNITS" ] ||
	fail "tunnels not all anchored"
# 2000 units: 8 address devices of 256 units at most (the last 208)
n gw1 ip -o -4 addr show | awk '$4 ~ /^172\./ { n[$2]++ }
	END { for (d in n) print d, n[d] }' | sort >"$TMP/adevs"
[ "$(awk '$1 !~ /^st0-addr[0-9]+$/ || $2 > 256' "$TMP/adevs")" = "" ] ||
	fail "unit addresses outside the address devices or too many on one: $(cat "$TMP/adevs")"
[ "$(awk '{ s += $2 } END { print s }' "$TMP/adevs")" = "$UNITS" ] ||
	fail "unit addresses missing: $(cat "$TMP/adevs")"
[ "$(wc -l <"$TMP/adevs")" = $(((UNITS + 255) / 256)) ] ||
	fail "address devices: $(cat "$TMP/adevs")"

log "traffic for the last unit"
n h1 ping -c 3 -i 0.2 -W 2 10.2.0.2 >/dev/null || fail "ping through the last unit"
[ "$(sa_stat 1 0x1001 out packets)" -ge 3 ] || fail "the last unit's SA unused"

log "$SAS SAs expiring together: every soft and hard expiry event arrives"
# (reading a hard expiry removes the SA, one control round trip each:
# slow in a sanitizer build; wait while events keep coming, 5 s at most
# without a new one)
: >"$TMP/ev"
i=0 last=0
while :; do
	ctl 1 events >>"$TMP/ev"
	got=$(grep -c '^event .*-expire' "$TMP/ev" || true)
	[ "$got" -lt $((2 * SAS)) ] || break
	[ "$got" = "$last" ] && i=$((i + 1)) || i=0
	last=$got
	[ $i -lt 50 ] || break
	sleep 0.1
done
soft=$(grep -c '^event soft-expire' "$TMP/ev" || true)
hard=$(grep -c '^event hard-expire' "$TMP/ev" || true)
[ "$soft" = "$SAS" ] && [ "$hard" = "$SAS" ] ||
	fail "$soft soft and $hard hard expiry events for $SAS SAs"
[ "$(ctl 1 stats | grep -c '^sa .* in ')" = 1 ] || fail "hard-expired SAs left installed"

log "stop: the address devices with their addresses, st0 and its routes go"
ctl 1 quit >/dev/null
st0_gone_in 1 "st0 still there"
[ "$(n gw1 ip -4 addr show | grep -c 'inet 172\.')" = 0 ] || fail "unit addresses left"
! n gw1 ip link show | grep -q 'st0-addr' || fail "address devices left: $(n gw1 ip -br link show)"
log "PASS"
