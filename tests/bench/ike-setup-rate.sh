#!/bin/sh
# SPDX-License-Identifier: MIT
# ike-setup-rate.sh: how fast a responder sets up IKE+CHILD SAs, cairn-iked
# against strongSwan, in the same run. A strongSwan 5.9.8 charon (Debian's:
# no load-tester plugin) initiates N IKE SAs, each with its first CHILD SA
# (PSK, ECP256, AES-GCM-128 for IKE and ESP), all at once: N swanctl
# connections with distinct identities (peerI.example.net) and distinct
# traffic selectors (10.100.x.y/32), children with start_action = start,
# so charon starts all of them as they load. The responders:
#   - a Cairn appliance (cairn-mgd + cairn-iked, userspace dataplane, 2
#     SPUs): one dial-up gateway (dynamic hostname example.net,
#     group-ike-id), one VPN on st0.0;
#   - a strongSwan 5.9.8 charon (kernel-libipsec: this kernel has no ESP),
#     one connection for any peer identity;
# both with cookies and per-address limits out of the way (thresholds
# above N). Each round starts fresh daemons; the rounds alternate the two
# responders. Printed per responder and round: the responder's CPU time
# (utime+stime of the process, all threads, from /proc/PID/stat) from the
# first initiation until every CHILD SA is established on the responder,
# per SA, the wall time and SAs/s; and the load average.
#
#   tests/bench/ike-setup-rate.sh [-n N] [-r ROUNDS] [-b BUILD] [-k LOGDIR]   (as root)
#
#     gw4 (initiator charon) 192.0.2.4 ---- WAN ---- gw1 (Cairn) 192.0.2.1
#        + 10.100.x.y/32 on lo                  \--- gw3 (strongSwan) 192.0.2.3
set -eu
N=1000
ROUNDS=2
BUILD=""
KEEP=""
while getopts n:r:b:k: o; do
	case $o in
	n) N=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	b) BUILD=$OPTARG ;;
	k) KEEP=$OPTARG ;;
	*)
		echo "usage: $0 [-n N] [-r ROUNDS] [-b BUILD] [-k LOGDIR]" >&2
		exit 2
		;;
	esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$SRC/build}
BUILD=$(cd "$BUILD" && pwd)
export BUILD
. "$SRC/tests/integration/lib-appliance.sh"
CHARON=/usr/lib/ipsec/charon
[ -x "$CHARON" ] || fail "strongSwan's charon is not installed (packaging/install-deps.sh)"
PSK="bench-psk-secret-0123456789"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# utime+stime of a process (all its threads) in clock ticks
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

lab_init
keep_logs() {
	if [ -n "$KEEP" ] && [ -n "$LAB" ]; then
		mkdir -p "$KEEP"
		cp -r "$LAB"/gw1/*.log "$LAB"/sw* "$LAB"/ini* "$KEEP/" 2>/dev/null || true
	fi
	lab_cleanup
}
trap keep_logs EXIT INT TERM
lab_site 1 # Cairn
lab_site 3 # strongSwan responder
lab_site 4 # the initiating charon
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"

# the initiator's traffic selectors need a local address each (kernel-libipsec)
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
	printf "address add 10.100.%d.%d/32 dev lo\n", int(i / 250), i % 250 + 1 }' >"$LAB/ini-addrs"
gw 4 ip -batch "$LAB/ini-addrs"
gw 3 ip addr add 10.99.0.1/32 dev lo

# ---- strongSwan: a charon in a namespace with its own /run and config ----

# swan_conf DIR: strongswan.conf of a charon whose files live in DIR
swan_conf() {
	cat <<EOF
charon {
	load = random nonce openssl pem pkcs1 x509 revocation constraints pubkey aes sha1 sha2 hmac gcm kdf kernel-libipsec kernel-netlink socket-default vici
	port = 500
	port_nat_t = 4500
	cookie_threshold = 1000000
	block_threshold = 1000000
	init_limit_half_open = 0
	install_routes = no
	plugins {
		vici {
			socket = unix://$1/charon.vici
		}
	}
	filelog {
		log {
			path = $1/charon.log
			default = 0
			flush_line = yes
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
}
EOF
}

# swan_start SITE DIR: a fresh charon in gwSITE; sets SWAN_PID
swan_start() {
	s=$1
	d=$2
	rm -rf "$d"
	mkdir -p "$d/run"
	swan_conf "$d" >"$d/strongswan.conf"
	STRONGSWAN_CONF="$d/strongswan.conf" ip netns exec "$P-gw$s" unshare -m --propagation private \
		sh -c "mount --bind '$d/run' /run && exec $CHARON" >"$d/stdout.log" 2>&1 &
	SWAN_PID=$!
	PIDS="$PIDS $SWAN_PID"
	wait_for 30 "charon in gw$s" swanctl --stats --uri "unix://$d/charon.vici"
}

swan_stop() {
	kill "$1" 2>/dev/null || true
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# the strongSwan responder: any peer identity, one PSK
cat >"$LAB/sw-responder.conf" <<EOF
connections {
	bench {
		version = 2
		local_addrs = 192.0.2.3
		proposals = aes128gcm16-prfsha256-ecp256
		local {
			auth = psk
			id = hub.example.net
		}
		remote {
			auth = psk
			id = %any
		}
		children {
			bench {
				local_ts = 10.99.0.0/24
				remote_ts = 10.100.0.0/16
				esp_proposals = aes128gcm16
			}
		}
	}
}
secrets {
	ike-bench {
		secret = "$PSK"
	}
}
EOF

# the initiator's N connections toward ADDRESS
ini_conf() {
	awk -v n="$N" -v to="$1" -v psk="$PSK" 'BEGIN {
		print "connections {"
		for (i = 0; i < n; i++) {
			printf "\tc%d {\n\t\tversion = 2\n\t\tlocal_addrs = 192.0.2.4\n", i
			printf "\t\tremote_addrs = %s\n\t\tproposals = aes128gcm16-prfsha256-ecp256\n", to
			printf "\t\tlocal {\n\t\t\tauth = psk\n\t\t\tid = peer%d.example.net\n\t\t}\n", i
			printf "\t\tremote {\n\t\t\tauth = psk\n\t\t\tid = hub.example.net\n\t\t}\n"
			printf "\t\tchildren {\n\t\t\tc%d {\n", i
			printf "\t\t\t\tlocal_ts = 10.100.%d.%d/32\n", int(i / 250), i % 250 + 1
			printf "\t\t\t\tremote_ts = 10.99.0.0/24\n\t\t\t\tesp_proposals = aes128gcm16\n"
			printf "\t\t\t\tstart_action = start\n\t\t\t}\n\t\t}\n\t}\n"
		}
		print "}"
		printf "secrets {\n\tike-bench {\n\t\tsecret = \"%s\"\n\t}\n}\n", psk
	}'
}
ini_conf 192.0.2.1 >"$LAB/ini-to-cairn.conf"
ini_conf 192.0.2.3 >"$LAB/ini-to-swan.conf"

# ---- the Cairn responder ---------------------------------------------------------

appliance_start 1
configure 1 <<EOF >/dev/null
set security dataplane backend userspace
set security dataplane spus 2
set security ike session half-open max-count 100000
set security ike session half-open thresholds send-cookie session-count 100000
set security ike proposal p dh-group group19
set security ike proposal p encryption-algorithm aes-128-gcm
set security ike policy pol proposals p
set security ike policy pol pre-shared-key ascii-text "$PSK"
set security ike gateway dyn ike-policy pol
set security ike gateway dyn dynamic hostname example.net
set security ike gateway dyn dynamic ike-user-type group-ike-id
set security ike gateway dyn local-address 192.0.2.1
set security ike gateway dyn local-identity hostname hub.example.net
set security ipsec proposal e encryption-algorithm aes-128-gcm
set security ipsec policy ip proposals e
set security ipsec vpn dyn-vpn bind-interface st0.0
set security ipsec vpn dyn-vpn ike gateway dyn
set security ipsec vpn dyn-vpn ike ipsec-policy ip
set interfaces st0 unit 0 family inet address 10.99.0.1/24
EOF

# ---- one measured round -----------------------------------------------------------

# established WHICH: CHILD SAs the responder has set up so far (its log)
established() {
	case $1 in
	cairn) grep -c "IPSec SA negotiation successfully completed" "$LAB/gw1/iked.log" || true ;;
	swan) grep -c "CHILD_SA .* established" "$LAB/sw/charon.log" || true ;;
	esac
}

# round WHICH: fresh responder (and initiator), N SAs, prints one result line
round() {
	which=$1
	if [ "$which" = cairn ]; then
		iked_stop 1
		: >"$LAB/gw1/iked.log"
		iked_start 1
		# iked is configured (resynchronised) once it answers RPCs
		rpid=$(iked_pid 1)
	else
		swan_start 3 "$LAB/sw"
		swanctl --load-all --file "$LAB/sw-responder.conf" --uri "unix://$LAB/sw/charon.vici" >/dev/null 2>&1
		rpid=$SWAN_PID
	fi
	swan_start 4 "$LAB/ini"
	ipid=$SWAN_PID
	swanctl --load-creds --file "$LAB/ini-to-$which.conf" --uri "unix://$LAB/ini/charon.vici" >/dev/null 2>&1
	base=$(established "$which")
	if [ -n "${PERF_DIR:-}" ]; then
		# profiling by hand: perf record (or STRACE=1: strace -c) of the
		# responder during the round
		mkdir -p "$PERF_DIR"
		if [ -n "${STRACE:-}" ]; then
			strace -c -f -p "$rpid" -o "$PERF_DIR/$which.strace" >/dev/null 2>&1 &
		else
			perf record -q -g -p "$rpid" -o "$PERF_DIR/$which.data" >/dev/null 2>&1 &
		fi
		perf_pid=$!
		sleep 0.5
	fi
	c0=$(ticks "$rpid")
	i0=$(ticks "$ipid")
	t0=$(now)
	# loading the connections starts every child (start_action = start)
	swanctl --load-conns --file "$LAB/ini-to-$which.conf" --uri "unix://$LAB/ini/charon.vici" \
		>"$LAB/load-$which.out" 2>&1 || fail "swanctl --load-conns: $(tail -3 "$LAB/load-$which.out")"
	deadline=$(($(date +%s) + 300))
	while :; do
		u=$(($(established "$which") - base))
		[ "$u" -ge "$N" ] && break
		[ "$(date +%s)" -lt "$deadline" ] || fail "$which: only $u of $N CHILD SAs after 300 s"
		sleep 0.05
	done
	t1=$(now)
	c1=$(ticks "$rpid")
	i1=$(ticks "$ipid")
	if [ -n "${PERF_DIR:-}" ]; then
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
	fi
	awk -v w="$which" -v n="$N" -v c="$((c1 - c0))" -v ic="$((i1 - i0))" -v hz="$HZ" \
		-v t="$(elapsed "$t0" "$t1")" -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
		printf "  %-10s %6d SAs  %7.3f s  %8.1f SAs/s   responder CPU %6.2f s = %.3f ms per SA   (initiator CPU %.2f s, load %s)\n",
		    w, n, t, n / t, c / hz, 1000 * c / hz / n, ic / hz, l
	}' | tee -a "$LAB/results"
	echo "$which $(awk -v c="$((c1 - c0))" -v hz="$HZ" -v n="$N" 'BEGIN { printf "%.4f", 1000 * c / hz / n }')" >>"$LAB/per-sa"
	swan_stop "$ipid"
	[ "$which" = swan ] && swan_stop "$rpid"
	return 0
}

: >"$LAB/results"
: >"$LAB/per-sa"
echo
echo "ike-setup-rate: $N IKE+CHILD SAs (PSK, ECP256, AES-GCM-128) initiated at once by strongSwan $(dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null || echo '?')"
r=1
while [ $r -le "$ROUNDS" ]; do
	round cairn
	round swan
	r=$((r + 1))
done
awk '{ s[$1] += $2; n[$1]++ } END {
	c = s["cairn"] / n["cairn"]; w = s["swan"] / n["swan"]
	printf "  mean responder CPU per SA: cairn-iked %.3f ms, strongSwan %.3f ms: ratio %.2f (target <= 0.33)\n", c, w, c / w
}' "$LAB/per-sa"
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
