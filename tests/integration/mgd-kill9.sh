#!/bin/bash
# SPDX-License-Identifier: MIT
# Crash safety: 200 times, a commit is started and cairn-mgd is killed
# with SIGKILL at a random moment (before, during or after the commit
# point; snapshots are written every 5 commits so kills also land in
# them). After each restart the configuration is either the old one or
# the new one, whole, and the history agrees: its newest entry is the
# commit that made the running configuration, and rollback 1 of a new
# configuration is exactly the old one.
. "$(dirname "$0")/mgd-lib.sh"

N=${KILL9_ROUNDS:-200}
MGD_ARGS="--snapshot-every 5 --test-delay-ms 3"
start_mgd $MGD_ARGS
commit_lines "set system host-name n0
set security ike proposal p1 dh-group group19
set security ike policy ip1 proposals p1" '"comment":"c0"' >/dev/null

# data_of JSON-LINE: the escaped text of its "data" leaf
data_of() {
	printf '%s' "$1" | sed 's/,"last-commit":"[^"]*"}}$/}}/' |
		sed -n 's/^{"cairn-mgmt:get-configuration":{"data":"\(.*\)"}}$/\1/p'
}

# canon JSON-LINE: its set lines, sorted (entries of system-ordered
# lists may come back in another order; none here is ordered by user)
canon() {
	data_of "$1" | sed 's/\\u000A/\n/g' | sort
}

# state: configuration, host-name value, newest commit (sequence,
# comment) and the configuration of rollback 1, in one session
query() {
	rpc --keep-going '{"cairn-mgmt:get-configuration":{"format":"set"}}' \
		'{"cairn-mgmt:get-commit-history":{}}' \
		'{"cairn-mgmt:get-configuration":{"format":"set","rollback":1}}' >"$T/q" 2>"$T/q.err" || true
	cfg=$(canon "$(sed -n 1p "$T/q")")
	hist=$(sed -n 2p "$T/q")
	rb1=$(canon "$(sed -n 3p "$T/q")")
	host=$(printf '%s\n' "$cfg" | sed -n 's/^set system host-name //p')
	seq=$(printf '%s' "$hist" | grep -o '"sequence":"[0-9]*"' | head -n1 | grep -o '[0-9]*')
	comment=$(printf '%s' "$hist" | grep -o '"comment":"[^"]*"' | head -n1 | sed 's/.*:"//; s/"$//')
}
query
prev_cfg=$cfg
prev_seq=$seq
prev_host=$host
[ "$host" = n0 ] && [ -n "$cfg" ] || fail "setup: host-name '$host'"
new=0
old=0
for i in $(seq 1 "$N"); do
	# a change of a few statements: a host name, a gateway in or out
	g=$((i % 5))
	if [ $((i % 2)) -eq 0 ]; then
		chg="set security ike gateway gw$g ike-policy ip1
set security ike gateway gw$g address 192.0.2.$((i % 250 + 1))"
	else
		chg="delete security ike gateway gw$g"
	fi
	rpc '{"cairn-mgmt:configure":{}}' \
		"{\"cairn-mgmt:edit\":{\"lines\":\"$(json_str "set system host-name n$i
$chg")\"}}" "{\"cairn-mgmt:commit\":{\"comment\":\"c$i\"}}" >/dev/null 2>&1 &
	client=$!
	# cairn-rpc takes ~20-40 ms to load its schema before it talks
	sleep "0.0$(printf '%02d' $((RANDOM % 60)))"
	kill9_mgd
	wait "$client" 2>/dev/null || true
	start_mgd $MGD_ARGS
	query
	if [ "$host" = "n$i" ]; then
		# the new configuration: its commit is the newest entry
		[ "$seq" = $((prev_seq + 1)) ] || fail "round $i: new configuration, history at $seq after $prev_seq"
		[ "$comment" = "c$i" ] || fail "round $i: newest entry is '$comment'"
		[ "$rb1" = "$prev_cfg" ] || fail "round $i: rollback 1 is not the previous configuration: $(cat "$T/q" "$T/q.err")"
		new=$((new + 1))
	elif [ "$host" = "$prev_host" ]; then
		[ "$seq" = "$prev_seq" ] || fail "round $i: old configuration, history moved to $seq"
		[ "$cfg" = "$prev_cfg" ] || fail "round $i: configuration is neither old nor new"
		old=$((old + 1))
	else
		fail "round $i: host-name '$host' (was '$prev_host')"
	fi
	prev_cfg=$cfg
	prev_seq=$seq
	prev_host=$host
done
snaps=$(ls "$T/var/lib/cairn/history" | grep -c '^snap-' || true)
echo "kill9: $N kills, $new new, $old old configurations; $snaps snapshot(s) on disk"
[ $new -gt 0 ] && [ $old -gt 0 ] || fail "the kills never landed on both sides of the commit point"
echo "PASS"
