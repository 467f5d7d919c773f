# SPDX-License-Identifier: MIT
# lib-interop.sh: a Cairn appliance against a real strongSwan 5.9.8 peer
# (charon with kernel-libipsec, configured with swanctl through its vici
# socket), for tests/interop (docs/interop.md). Sourced after
# tests/integration/lib-appliance.sh, whose lab (namespaces, trap, shell,
# show commands) it extends:
#
#   h1 10.1.0.2 --- gw1: Cairn ========= WAN ========= gw2: strongSwan --- h2 10.2.0.2
#                   192.0.2.1  st0.0                    192.0.2.2 (ipsec0)
#
#   sw_start N [CONF-LINES]     charon in gwN: its own strongswan.conf (extra
#                               lines inside charon { }), vici socket
#                               $LAB/swN/charon.vici, a private /run
#   sw_stop N / sw_kill N       SIGTERM / SIGKILL
#   swc N ARGS...               swanctl ARGS --uri <gwN's vici>
#   sw_load N < SWANCTL-CONF    connections and secrets, replacing what was loaded
#   sw_spis N [CHILD]           "in out" per INSTALLED CHILD SA (hex), one a line
#   sw_child_count N [STATE]    CHILD SAs (in STATE, default any)
#   sw_ike_count N              IKE SAs ESTABLISHED
#   sw_terminate_all N          every IKE SA terminated (no config change)
#   cairn_spis N VPN            "in out" SPI pairs from Cairn's show output
#   spis_match N VPN SWN [CHILD]  Cairn's SPIs are strongSwan's, crossed
#   interop_dump                both sides' logs and show outputs (on failure)
#   traffic_both N SWN REMOTE-ADDR LOCAL-ADDR   ping + TCP both ways

# The strongSwan side: plugins per reference/test-environment.md.
SW_PLUGINS="random nonce openssl pem pkcs1 x509 revocation constraints pubkey curve25519 aes sha1 sha2 hmac gcm kdf kernel-libipsec kernel-netlink socket-default vici updown"
SW_SITES=""
CAIRN_SITES=""
CASE_MARK=""

# cairn_start N [IKED-ARGS]: a Cairn appliance in gwN (lib-appliance)
cairn_start() {
	CAIRN_SITES="$CAIRN_SITES $1"
	appliance_start "$@"
}

# interop_dump: what a red run needs to explain itself: Cairn's show
# outputs, swanctl --list-sas, and both daemons' logs since the case began
interop_dump() {
	set +e
	for s in $CAIRN_SITES; do
		for c in "show security ike security-associations detail" \
			"show security ipsec security-associations detail" \
			"show security ipsec inactive-tunnels detail"; do
			echo "--- gw$s (Cairn)> $c"
			timeout 10 "$BIN/cairn" --root "$LAB/gw$s" -c "$c" 2>&1 | head -80
		done
	done
	for s in $SW_SITES; do
		echo "--- gw$s (strongSwan)> swanctl --list-sas"
		timeout 10 swanctl --list-sas --noblock --uri "unix://$LAB/sw$s/charon.vici" 2>&1 | head -60
	done
	for s in $CAIRN_SITES; do
		echo "--- gw$s cairn-iked log (this case, last 100 lines)"
		case_log_since "$LAB/gw$s/iked.log" | tail -n 100
		echo
	done
	for s in $SW_SITES; do
		echo "--- gw$s strongSwan charon.log (this case, last 150 lines)"
		case_log_since "$LAB/sw$s/charon.log" | tail -n 150
		echo
	done
}

# fail with both sides' state (lib-appliance's fail prints only the message)
fail() {
	echo "FAIL: $*" >&2
	if [ -z "${INTEROP_DUMPED:-}" ] && [ -n "$LAB" ]; then
		INTEROP_DUMPED=1
		interop_dump >&2
		# INTEROP_LOGDIR=DIR keeps every log of a failed run
		if [ -n "${INTEROP_LOGDIR:-}" ]; then
			mkdir -p "$INTEROP_LOGDIR"
			for f in "$LAB"/*/*.log; do
				[ -f "$f" ] && cp "$f" "$INTEROP_LOGDIR/$(basename "$(dirname "$f")")-$(basename "$f")"
			done
			echo "logs kept in $INTEROP_LOGDIR" >&2
		fi
	fi
	exit 1
}

sw_dir() {
	echo "$LAB/sw$1"
}

swc() {
	n=$1
	shift
	swanctl "$@" --uri "unix://$LAB/sw$n/charon.vici"
}

sw_ready() {
	[ -S "$LAB/sw$1/charon.vici" ] && swc "$1" --stats >/dev/null 2>&1
}

# sw_start N [LINES]: charon in gwN's namespace. LINES go into charon { }.
# SW_RTX_TIMEOUT / SW_RTX_BASE: its retransmission schedule (2 s, x1.5).
sw_start() {
	n=$1
	d=$LAB/sw$n
	if [ $# -ge 2 ]; then
		extra=$2
		eval "SW_EXTRA_$n=\$extra"
	else
		eval "extra=\${SW_EXTRA_$n:-}"
	fi
	mkdir -p "$d/run"
	case " $SW_SITES " in *" $n "*) ;; *) SW_SITES="$SW_SITES $n" ;; esac
	cat >"$d/strongswan.conf" <<EOF
charon {
	load_modular = no
	load = $SW_PLUGINS
	install_routes = yes
	# a short retransmission schedule: a lost message costs seconds, not minutes
	retransmit_timeout = ${SW_RTX_TIMEOUT:-2}
	retransmit_base = ${SW_RTX_BASE:-1.5}
	retransmit_tries = 4
	$extra
	plugins {
		vici { socket = unix://$d/charon.vici }
	}
	filelog {
		log {
			path = $d/charon.log
			time_format = %H:%M:%S
			flush_line = yes
			default = 1
			ike = 2
			cfg = 2
			chd = 2
			enc = 1
			net = 1
		}
	}
}
EOF
	rm -f "$d/charon.vici"
	# /var/run/charon.pid is compiled in: a private /run per charon
	STRONGSWAN_CONF=$d/strongswan.conf ip netns exec "$P-gw$n" unshare -m --propagation private \
		sh -c "mount --bind $d/run /run && exec /usr/lib/ipsec/charon" >>"$d/out.log" 2>&1 &
	eval "SW_PID_$n=$!"
	PIDS="$PIDS $!"
	wait_for 30 "charon in gw$n" sw_ready "$n"
}

# sw_pid N: charon's pid (its pid file in the private /run: the truth even
# after a case, run in a subshell, restarted charon)
sw_pid() {
	p=$(cat "$LAB/sw$1/run/charon.pid" 2>/dev/null || true)
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p" || eval "echo \${SW_PID_$1:-}"
}

sw_stop() {
	p=$(sw_pid "$1")
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	rm -f "$LAB/sw$1/run/charon.pid"
	eval "SW_PID_$1="
}

sw_kill() {
	p=$(sw_pid "$1")
	[ -n "$p" ] || return 0
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	rm -f "$LAB/sw$1/run/charon.pid"
	eval "SW_PID_$1="
	# kernel-libipsec's TUN goes with the process; its routes go with the TUN
}

# sw_load N < CONF: a swanctl.conf (connections { } secrets { }) loaded
# through vici; connections not in it are unloaded.
sw_load() {
	n=$1
	d=$LAB/sw$n
	cat >"$d/swanctl.conf"
	swc "$n" --load-all --file "$d/swanctl.conf" >"$d/load.out" 2>&1 ||
		fail "swanctl --load-all in gw$n: $(cat "$d/load.out")"
}

# sw_spis N [CHILD]: "in out" SPIs of the INSTALLED CHILD SAs
sw_spis() {
	swc "$1" --list-sas --noblock 2>/dev/null | awk -v want="${2:-}" '
	/^ +[^ ]+: #[0-9]+, reqid/ {
		name = $1; sub(/:$/, "", name)
		ok = ($0 ~ /INSTALLED/) && (want == "" || name == want)
		i = ""
		next
	}
	ok && $1 == "in" { i = $2; sub(/,$/, "", i) }
	ok && $1 == "out" { o = $2; sub(/,$/, "", o); if (i != "") print i, o; ok = 0 }'
}

# sw_child_count N [STATE-REGEX]: CHILD SAs (default: those not deleted;
# charon keeps a deleted CHILD SA listed for a few seconds, uninstalled)
sw_child_count() {
	swc "$1" --list-sas --noblock 2>/dev/null |
		awk -v st="${2:-}" '/^ +[^ ]+: #[0-9]+, reqid/ {
			if (st == "" ? $0 !~ /, (DELETING|DELETED|DESTROYING),/ : $0 ~ st) c++ }
			END { print c + 0 }'
}

sw_ike_count() {
	swc "$1" --list-sas --noblock 2>/dev/null | awk '/^[^ ].*: #[0-9]+, ESTABLISHED/ { c++ } END { print c + 0 }'
}

sw_terminate_all() {
	for id in $(swc "$1" --list-sas --noblock 2>/dev/null | awk '/^[^ ].*: #[0-9]+,/ { s = $2; sub(/^#/, "", s); sub(/,$/, "", s); print s }'); do
		swc "$1" --terminate --ike-id "$id" --force --timeout 5 >/dev/null 2>&1 || true
	done
}

# cairn_spis N VPN: "in out" per tunnel of VPN, from the shell's show output
# (hex without 0x, lower case)
cairn_spis() {
	cli "$1" show security ipsec security-associations vpn-name "$2" | awk '
	$1 ~ /^</ { i = $3; sub(/^0x/, "", i) }
	$1 ~ /^>/ { o = $3; sub(/^0x/, "", o); print i, o }'
}

# spis_match N VPN SWN [CHILD]: every Cairn SA pair of VPN is a strongSwan
# CHILD SA with the SPIs crossed (Cairn's inbound = strongSwan's outbound),
# and the counts agree.
spis_match() {
	c=$(cairn_spis "$1" "$2" | sort)
	s=$(sw_spis "$3" "${4:-}" | awk '{ print $2, $1 }' | sort)
	[ -n "$c" ] && [ "$c" = "$s" ]
}

# spis_report N VPN SWN [CHILD]: both lists, for a failure message
spis_report() {
	echo "Cairn (in out): $(cairn_spis "$1" "$2" | tr '\n' ';') strongSwan (in out): $(sw_spis "$3" "${4:-}" | tr '\n' ';')"
}

# wait_spis_match N VPN SWN [CHILD] [SECS]
wait_spis_match() {
	end=$(($(date +%s) + ${5:-20}))
	while ! spis_match "$1" "$2" "$3" "${4:-}"; do
		[ "$(date +%s)" -lt "$end" ] ||
			fail "SPIs differ for $2 after ${5:-20}s: $(spis_report "$1" "$2" "$3" "${4:-}")"
		sleep 0.2
	done
}

# tcp_to SRC DST-HOST ADDR BYTES: iperf3 from hSRC to ADDR (served by hDST)
tcp_to() {
	src=$1
	dst=$2
	addr=$3
	size=$4
	ip netns exec "$P-h$dst" iperf3 -s -1 -p 5201 >"$LAB/iperf-s.log" 2>&1 &
	spid=$!
	PIDS="$PIDS $spid"
	wait_for 10 "iperf3 server in h$dst" sh -c "ip netns exec $P-h$dst ss -ltn | grep -q ':5201'"
	host "$src" timeout 30 iperf3 -c "$addr" -p 5201 -n "$size" >"$LAB/iperf-c.log" 2>&1 ||
		{
			kill "$spid" 2>/dev/null || true
			wait "$spid" 2>/dev/null || true
			fail "TCP transfer h$src -> $addr: $(tail -3 "$LAB/iperf-c.log")"
		}
	wait "$spid" 2>/dev/null || true
	grep receiver "$LAB/iperf-c.log" | tail -1 | awk '{ print $5, $6, $7, $8 }'
}

# traffic_both A B ADDR-B ADDR-A [BYTES]: ping and TCP from hA to hB and back
traffic_both() {
	a=$1
	b=$2
	addr_b=$3
	addr_a=$4
	size=${5:-2M}
	end=$(($(date +%s) + 15))
	until host "$a" ping -c 1 -W 1 "$addr_b" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || fail "no ping h$a -> $addr_b"
	done
	ping_ok "$a" "$addr_b" || fail "ping h$a -> $addr_b"
	ping_ok "$b" "$addr_a" || fail "ping h$b -> $addr_a"
	r1=$(tcp_to "$a" "$b" "$addr_b" "$size")
	r2=$(tcp_to "$b" "$a" "$addr_a" "$size")
	echo "   ping both ways; TCP $size h$a->h$b: $r1; h$b->h$a: $r2"
}

# ---- configuration of a case ------------------------------------------------
#
# Each case sets C_* (Cairn) and S_* (strongSwan) after *_defaults and calls
# cairn_conf / sw_conf, which print the shell's set lines and a
# swanctl.conf. Cairn's objects are always gateway gw1, VPN v1, st0.0.

cairn_defaults() {
	C_SITE=1
	C_IKE_ENC=aes-128-gcm
	C_IKE_AUTH=sha-256
	C_DH=group19
	C_IKE_LIFE=
	C_ESP_ENC=aes-128-gcm
	C_ESP_AUTH=
	C_PFS=
	C_ESP_LIFE=
	C_ESP_KB=          # lifetime-kilobytes (64000..)
	C_PSK=interop-psk-2f8a61
	C_PEER=192.0.2.2
	C_LOCAL=192.0.2.1
	C_LOCAL_ID=        # "hostname NAME", "user-at-hostname U@H", "inet A" (none: the address)
	C_REMOTE_ID=
	C_EST=immediately  # or responder-only
	C_MODE=route       # or policy
	C_TS=              # traffic selectors: "NAME LOCAL REMOTE;..." (none: 0/0 <-> 0/0)
	C_ROUTES="10.2.0.0/24"
	C_POL_LOCAL=10.1.0.0/24
	C_POL_REMOTE=10.2.0.0/24
	C_DPD=             # "MODE INTERVAL THRESHOLD"
	C_EXTRA=           # more set lines
}

cairn_conf() {
	cat <<EOF
set security ike proposal ikep1 authentication-method pre-shared-keys
set security ike proposal ikep1 dh-group $C_DH
set security ike proposal ikep1 encryption-algorithm $C_IKE_ENC
set security ike policy ikepol1 proposals ikep1
set security ike policy ikepol1 pre-shared-key ascii-text "$C_PSK"
set security ike gateway gw1 ike-policy ikepol1
set security ike gateway gw1 address $C_PEER
set security ike gateway gw1 local-address $C_LOCAL
set security ipsec proposal espp1 protocol esp
set security ipsec proposal espp1 encryption-algorithm $C_ESP_ENC
set security ipsec policy ipsecpol1 proposals espp1
set security ipsec vpn v1 ike gateway gw1
set security ipsec vpn v1 ike ipsec-policy ipsecpol1
set security ipsec vpn v1 establish-tunnels $C_EST
EOF
	[ -z "$C_IKE_AUTH" ] || echo "set security ike proposal ikep1 authentication-algorithm $C_IKE_AUTH"
	[ -z "$C_IKE_LIFE" ] || echo "set security ike proposal ikep1 lifetime-seconds $C_IKE_LIFE"
	[ -z "$C_ESP_AUTH" ] || echo "set security ipsec proposal espp1 authentication-algorithm $C_ESP_AUTH"
	[ -z "$C_ESP_LIFE" ] || echo "set security ipsec proposal espp1 lifetime-seconds $C_ESP_LIFE"
	[ -z "$C_ESP_KB" ] || echo "set security ipsec proposal espp1 lifetime-kilobytes $C_ESP_KB"
	[ -z "$C_PFS" ] || echo "set security ipsec policy ipsecpol1 perfect-forward-secrecy keys $C_PFS"
	[ -z "$C_LOCAL_ID" ] || echo "set security ike gateway gw1 local-identity $C_LOCAL_ID"
	[ -z "$C_REMOTE_ID" ] || echo "set security ike gateway gw1 remote-identity $C_REMOTE_ID"
	if [ -n "$C_DPD" ]; then
		set -- $C_DPD
		echo "set security ike gateway gw1 dead-peer-detection $1"
		echo "set security ike gateway gw1 dead-peer-detection interval $2"
		echo "set security ike gateway gw1 dead-peer-detection threshold $3"
	fi
	if [ "$C_MODE" = route ]; then
		echo "set security ipsec vpn v1 bind-interface st0.0"
		echo "set interfaces st0 unit 0 family inet address 10.255.0.1/30"
		echo "set interfaces st0 unit 0 family inet6 address fd0f::1/64"
		for r in $C_ROUTES; do
			echo "set routing-options static route $r next-hop st0.0"
		done
		echo "$C_TS" | tr ';' '\n' | while read -r name l r; do
			[ -n "$name" ] || continue
			echo "set security ipsec vpn v1 traffic-selector $name local-ip $l"
			echo "set security ipsec vpn v1 traffic-selector $name remote-ip $r"
		done
	else
		cat <<EOF
set security zones security-zone trust address-book address lan $C_POL_LOCAL
set security zones security-zone untrust address-book address remote $C_POL_REMOTE
set security policies from-zone trust to-zone untrust policy out match source-address lan
set security policies from-zone trust to-zone untrust policy out match destination-address remote
set security policies from-zone trust to-zone untrust policy out match application any
set security policies from-zone trust to-zone untrust policy out then permit tunnel ipsec-vpn v1
set security policies from-zone trust to-zone untrust policy out then permit tunnel pair-policy in
set security policies from-zone untrust to-zone trust policy in match source-address remote
set security policies from-zone untrust to-zone trust policy in match destination-address lan
set security policies from-zone untrust to-zone trust policy in match application any
set security policies from-zone untrust to-zone trust policy in then permit tunnel ipsec-vpn v1
set security policies from-zone untrust to-zone trust policy in then permit tunnel pair-policy out
EOF
	fi
	[ -z "$C_EXTRA" ] || printf '%s\n' "$C_EXTRA"
}

# cairn_apply: cairn_conf committed through the shell on gw$C_SITE
cairn_apply() {
	out=$(cairn_conf | configure "$C_SITE" 2>&1) || fail "commit refused on gw$C_SITE: $out"
	echo "$out" | grep -q "commit complete" || fail "gw$C_SITE: $out"
}

# Everything of a case removed from Cairn (DELETEs go to the peer).
cairn_clear_conf() {
	printf '%s\n' "delete security ike" "delete security ipsec" "delete security policies" \
		"delete security zones" "delete interfaces st0" "delete routing-options static" |
		configure "${1:-$C_SITE}" >/dev/null 2>&1 || true
}

sw_defaults() {
	S_SITE=2
	S_IKE=aes128gcm16-prfsha256-ecp256
	S_ESP=aes128gcm16
	S_LOCAL=192.0.2.2
	S_REMOTE=192.0.2.1
	S_LOCAL_ID=192.0.2.2
	S_REMOTE_ID=192.0.2.1
	S_PSK=interop-psk-2f8a61
	S_CHILDREN="net 10.2.0.0/24 10.1.0.0/24" # "NAME LOCAL-TS REMOTE-TS;..."
	S_START=none                             # start_action of the children
	S_IKE_OPTS=                              # more lines in the connection ("a = 1; b = 2")
	S_CHILD_OPTS=                            # more lines in each child
}

sw_conf() {
	echo "connections {"
	echo "	c1 {"
	echo "		version = 2"
	echo "		local_addrs = $S_LOCAL"
	echo "		remote_addrs = $S_REMOTE"
	echo "		proposals = $S_IKE"
	[ -z "$S_IKE_OPTS" ] || echo "$S_IKE_OPTS" | tr ';' '\n' | sed 's/^ */\t\t/'
	echo "		local { auth = psk"
	echo "			id = $S_LOCAL_ID }"
	echo "		remote { auth = psk"
	echo "			id = $S_REMOTE_ID }"
	echo "		children {"
	echo "$S_CHILDREN" | tr ';' '\n' | while read -r name l r; do
		[ -n "$name" ] || continue
		echo "			$name {"
		echo "				local_ts = $l"
		echo "				remote_ts = $r"
		echo "				esp_proposals = $S_ESP"
		echo "				start_action = $S_START"
		[ -z "$S_CHILD_OPTS" ] || echo "$S_CHILD_OPTS" | tr ';' '\n' | sed 's/^ */\t\t\t\t/'
		echo "			}"
	done
	echo "		}"
	echo "	}"
	echo "}"
	echo "secrets {"
	echo "	ike-c1 {"
	echo "		secret = \"$S_PSK\""
	echo "	}"
	echo "}"
}

sw_apply() {
	sw_conf | sw_load "$S_SITE"
}

sw_children() {
	echo "$S_CHILDREN" | tr ';' '\n' | awk 'NF { print $1 }'
}

# ---- the case runner ----------------------------------------------------------

CASES_PASSED=""
CASES_FAILED=""

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

fsize() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

# from the mark of the current case on (interop_dump)
case_mark() {
	CASE_MARK=""
	for f in "$LAB"/gw*/iked.log "$LAB"/sw*/charon.log; do
		[ -f "$f" ] && CASE_MARK="$CASE_MARK $f=$(fsize "$f")"
	done
}

case_log_since() {
	f=$1
	off=0
	for m in $CASE_MARK; do
		[ "${m%=*}" = "$f" ] && off=${m##*=}
	done
	tail -c +$((off + 1)) "$f" 2>/dev/null
}

# run_case NAME FUNCTION [ARGS]: the function in a subshell with set -e;
# a failure is recorded (with both sides' state, printed by fail) and the
# next case runs. Each case starts from no SAs on either side.
run_case() {
	name=$1
	shift
	if [ -n "${INTEROP_ONLY:-}" ]; then
		# shellcheck disable=SC2254
		case $name in $INTEROP_ONLY) ;; *) return 0 ;; esac
	fi
	log "case $name"
	case_mark
	t0=$(now_ms)
	set +e
	(
		set -e
		"$@"
	)
	rc=$?
	set -e
	dt=$(($(now_ms) - t0))
	if [ $rc -eq 0 ]; then
		CASES_PASSED="$CASES_PASSED $name"
		echo "== case $name: PASS ($(awk -v m="$dt" 'BEGIN { printf "%.1f", m / 1000 }') s)"
	else
		CASES_FAILED="$CASES_FAILED $name"
		echo "== case $name: FAIL ($(awk -v m="$dt" 'BEGIN { printf "%.1f", m / 1000 }') s)"
	fi
	echo "$name $rc $dt" >>"$LAB/cases"
	case_reset
}

# No SA left on any side: Cairn's configuration removed (DELETEs), every
# strongSwan IKE SA terminated, connections unloaded.
case_reset() {
	for s in $SITES; do ike_unblock "$s"; done
	for s in $CAIRN_SITES; do cairn_clear_conf "$s"; done
	for s in $SW_SITES; do
		# a case may have killed charon (its pid was noted in the case's subshell)
		if ! sw_ready "$s"; then
			p=$(sw_pid "$s")
			[ -z "$p" ] || kill -9 "$p" 2>/dev/null || true
			sw_start "$s"
		fi
		printf 'connections { }\nsecrets { }\n' | sw_load "$s"
		sw_terminate_all "$s"
	done
	end=$(($(date +%s) + 15))
	for s in $SW_SITES; do
		while [ "$(swc "$s" --list-sas --noblock 2>/dev/null | grep -c '^[^ ]')" -ne 0 ]; do
			[ "$(date +%s)" -lt "$end" ] || break
			sw_terminate_all "$s"
			sleep 0.1
		done
	done
}

# cases_summary: the table, and the exit status
cases_summary() {
	[ -f "$LAB/cases" ] || fail "no case matched '${INTEROP_ONLY:-}'"
	echo "== summary"
	awk '{ printf "   %-34s %s %6.1f s\n", $1, ($2 == 0 ? "PASS" : "FAIL"), $3 / 1000 }' "$LAB/cases"
	[ -f "$LAB/figures" ] && { echo "== figures"; cat "$LAB/figures"; }
	if [ -n "$CASES_FAILED" ]; then
		echo "FAILED:$CASES_FAILED" >&2
		exit 1
	fi
	log "PASS ($(echo $CASES_PASSED | wc -w) cases)"
}

# ---- checks used by the cases --------------------------------------------------

# cairn_role N: Initiator or Responder of the (first) IKE SA UP
cairn_role() {
	cli "$1" show security ike security-associations detail |
		awk '/Role:/ && /State: UP/ { sub(/,$/, "", $2); print $2; exit }'
}

# sw_role N: initiator or responder of the first ESTABLISHED IKE SA
sw_role() {
	swc "$1" --list-sas --noblock 2>/dev/null | awk '/^[^ ].*ESTABLISHED/ {
		if ($0 ~ /_i\* /) print "initiator"; else if ($0 ~ /_r\*/) print "responder"; exit }'
}

# expect_roles CAIRN-ROLE (init|resp)
expect_roles() {
	cr=$(cairn_role "$C_SITE")
	sr=$(sw_role "$S_SITE")
	case $1 in
	init) [ "$cr" = Initiator ] && [ "$sr" = responder ] || fail "roles: Cairn $cr, strongSwan $sr (Cairn should initiate)" ;;
	resp) [ "$cr" = Responder ] && [ "$sr" = initiator ] || fail "roles: Cairn $cr, strongSwan $sr (strongSwan should initiate)" ;;
	esac
}

# establish ROLE: Cairn initiates (init: establish-tunnels immediately) or
# strongSwan does (resp: every child initiated through vici)
establish() {
	if [ "$1" = init ]; then
		C_EST=immediately
		sw_apply
		cairn_apply
	else
		C_EST=responder-only
		S_START=none
		cairn_apply
		sw_apply
		for ch in $(sw_children); do
			swc "$S_SITE" --initiate --child "$ch" --timeout 20 >"$LAB/initiate.out" 2>&1 ||
				fail "swanctl --initiate --child $ch: $(tail -5 "$LAB/initiate.out")"
		done
	fi
}

# tunnels_up N: Cairn tunnels with an SA pair == strongSwan INSTALLED CHILD SAs == N,
# SPIs crossed
tunnels_match() {
	n=$1
	[ "$(cairn_spis "$C_SITE" v1 | wc -l)" -eq "$n" ] &&
		[ "$(sw_spis "$S_SITE" | wc -l)" -eq "$n" ] && spis_match "$C_SITE" v1 "$S_SITE"
}

wait_tunnels() {
	n=$1
	secs=${2:-20}
	end=$(($(date +%s) + secs))
	while ! tunnels_match "$n"; do
		[ "$(date +%s)" -lt "$end" ] ||
			fail "after ${secs}s: not $n tunnel(s) with the same SPIs on both sides: $(spis_report "$C_SITE" v1 "$S_SITE")"
		sleep 0.1
	done
}

# verify_case ROLE NTUNNELS: roles, SPIs equal, traffic both ways between
# the hosts of the two sites over IPv4 (TUNNEL6=1: also IPv6), SPIs still
# equal afterwards (within 10 s: a case whose strongSwan rekeys every 3 s
# may be in the middle of a rekey, with the old and the new CHILD SA both
# installed on one side for a moment)
verify_case() {
	wait_tunnels "$2"
	expect_roles "$1"
	traffic_both "$C_SITE" "$S_SITE" "10.$S_SITE.0.2" "10.$C_SITE.0.2" "${TCP_BYTES:-2M}"
	[ -z "${TUNNEL6:-}" ] ||
		traffic_both "$C_SITE" "$S_SITE" "fd0$S_SITE::2" "fd0$C_SITE::2" "${TCP_BYTES:-2M}"
	wait_tunnels "$2" 10
	echo "   SPIs (Cairn in/out = strongSwan out/in): $(cairn_spis "$C_SITE" v1 | tr '\n' ' ')"
}

# figure LINE: a measured figure for the summary
figure() {
	echo "   $*" >>"$LAB/figures"
	echo "   $*"
}

# ---- rekeys, collisions, loss ----------------------------------------------------

# ike_hold N CLASS...: gwN drops the CREATE_CHILD_SA messages of the given
# classes (other IKE exchanges and ESP in UDP keep flowing), each with its
# own counter; again with other classes replaces the set (counters start at
# 0). Classes, seen from gwN:
#   peer-req, peer-resp  requests / responses arriving from the peer
#   own-req, own-resp    requests / responses gwN sends
#   peer-info            INFORMATIONAL requests from the peer (DELETE, DPD)
# IKE is UDP 500, or 4500 with the non-ESP marker; the IKE header's R flag
# (0x20 of its flags octet, UDP payload octet 23 on 4500) tells a response.
# ike_held N CLASS: that class's drops so far. ike_unblock N: nothing held.
ike_hold() {
	n=$1
	shift
	rules_in=""
	rules_out=""
	# IKE (non-ESP marker 0) CREATE_CHILD_SA (exchange type 36, UDP payload octet 22)
	cc="@th,64,32 0 @th,240,8 36"
	for c in "$@"; do
		case $c in
		peer-req) r="udp dport 4500 $cc @th,250,1 0 counter drop comment \"$c\"" ;;
		peer-resp) r="udp dport 4500 $cc @th,250,1 1 counter drop comment \"$c\"" ;;
		own-req) r="udp sport 4500 $cc @th,250,1 0 counter drop comment \"$c\"" ;;
		own-resp) r="udp sport 4500 $cc @th,250,1 1 counter drop comment \"$c\"" ;;
		peer-info) r="udp dport 4500 @th,64,32 0 @th,240,8 37 @th,250,1 0 counter drop comment \"$c\"" ;;
		*) fail "ike_hold: unknown class $c" ;;
		esac
		case $c in
		peer-*) rules_in="$rules_in
		$r" ;;
		own-*) rules_out="$rules_out
		$r" ;;
		esac
	done
	ike_unblock "$n"
	gw "$n" nft -f - <<EOF
table inet iopblk {
	chain in {
		type filter hook input priority 0; policy accept;$rules_in
	}
	chain out {
		type filter hook output priority 0; policy accept;$rules_out
	}
}
EOF
}

ike_unblock() {
	gw "$1" nft delete table inet iopblk 2>/dev/null || true
}

ike_held() {
	gw "$1" nft list table inet iopblk 2>/dev/null | awk -v c="\"$2\"" '
		$0 ~ "comment " c { for (i = 1; i <= NF; i++) if ($i == "packets") n += $(i + 1) }
		END { print n + 0 }'
}

# loss_start SRC DST-ADDR: a ping every 20 ms in the background (hSRC);
# loss_stop prints "sent received"
loss_start() {
	ip netns exec "$P-h$1" ping -i 0.02 -W 1 "$2" >"$LAB/loss.out" 2>&1 &
	LOSS_PID=$!
	PIDS="$PIDS $LOSS_PID"
}

loss_stop() {
	kill -INT "$LOSS_PID" 2>/dev/null || true
	wait "$LOSS_PID" 2>/dev/null || true
	i=0
	while ! grep -q "packets transmitted" "$LAB/loss.out" && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	r=$(awk '/packets transmitted/ { print $1, $4 }' "$LAB/loss.out")
	[ -n "$r" ] || fail "the background ping: $(tail -5 "$LAB/loss.out")"
	echo "$r"
}

# sw_log_count PATTERN: lines of strongSwan's log (this case) matching
sw_log_count() {
	case_log_since "$LAB/sw$S_SITE/charon.log" | grep -Ec "$1" || true
}

# ike_spis_cairn / ike_spis_sw: the IKE SA's SPI pairs ("spi_i spi_r"), one a line
ike_spis_cairn() {
	cli "$C_SITE" show security ike security-associations | awk '$2 == "UP" { print $3, $4 }'
}

ike_spis_sw() {
	swc "$S_SITE" --list-sas --noblock 2>/dev/null | awk '/^[^ ].*: #[0-9]+, ESTABLISHED/ {
		i = $5; r = $6; sub(/_i\*?$/, "", i); sub(/_r\*?$/, "", r); print i, r }'
}

# one_of_each N: exactly one IKE SA (same SPIs) and N CHILD SAs on both
# sides, nothing else in any state (no duplicate left by a rekey)
one_of_each() {
	n=$1
	tunnels_match "$n" || return 1
	[ "$(ike_spis_cairn | wc -l)" -eq 1 ] || return 1
	[ "$(ike_spis_cairn)" = "$(ike_spis_sw)" ] || return 1
	[ "$(swc "$S_SITE" --list-sas --noblock 2>/dev/null | grep -c '^[^ ]')" -eq 1 ] || return 1
	[ "$(sw_child_count "$S_SITE")" -eq "$n" ] || return 1
	[ "$(cli "$C_SITE" show security ike security-associations | awk 'NR > 1 && NF' | wc -l)" -eq 1 ]
}

wait_one_of_each() {
	n=$1
	secs=${2:-20}
	end=$(($(date +%s) + secs))
	while ! one_of_each "$n"; do
		[ "$(date +%s)" -lt "$end" ] ||
			fail "after ${secs}s: not one IKE SA and $n CHILD SA(s) on each side with the same SPIs: IKE Cairn $(ike_spis_cairn | tr '\n' ';') strongSwan $(ike_spis_sw | tr '\n' ';'); CHILD $(spis_report "$C_SITE" v1 "$S_SITE")"
		sleep 0.1
	done
}

# interop_nat_site N [fwd]: lab_nat_site whose masquerade picks random
# source ports (so the peer sees IKE and ESP from ports other than 500 and
# 4500), with "fwd" a static port forward of UDP 500 and 4500 to gwN.
interop_nat_site() {
	lab_nat_site "$1" random "${2:-}"
}
