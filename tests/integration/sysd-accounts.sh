#!/bin/bash
# SPDX-License-Identifier: MIT
# sysd-accounts.sh: cairn-sysd --manage-accounts with the real useradd,
# usermod, userdel and chpasswd, in private namespaces so the host's
# accounts are never touched:
#
#   host ── unshare: mount, PID, UTS, network namespaces
#           /etc  = a copy of the host's /etc (bind mount)
#           /home, /run = empty tmpfs; loopback only; own host name
#           cairn-mgd + cairn-sysd from the build tree, instance root $T
#
# Checked: accounts made from login users (uid, full name, hash, keys,
# group, shell, modes), updates (keys, password, full name, uid), the
# failures PREPARE must catch (running unchanged, no account touched),
# a uid handed from a deleted user to a new one in one commit, recovery
# of a record left by a crash, reconciliation after a restart, accounts
# not in the record left alone, --remove-accounts, the host name, and,
# when the cairn shell is built, SSH logins landing with their class.
# The host's /etc/passwd, shadow and group are compared before and after.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" != --inner ]; then
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
	sums() { cat /etc/passwd /etc/shadow /etc/group /etc/gshadow 2>/dev/null | sha256sum; }
	before=$(sums)
	E=$(mktemp -d "${TMPDIR:-/var/tmp}/cairn-sysd-etc.XXXXXX")
	chmod 700 "$E"
	trap 'rm -rf --one-file-system "$E"' EXIT
	rc=0
	unshare --mount --uts --net --pid --fork --mount-proc --kill-child=SIGKILL \
		--propagation private -- bash "$0" --inner "$E" || rc=$?
	[ "$(sums)" = "$before" ] || { echo "FAIL: the host's account files changed" >&2; exit 1; }
	exit $rc
fi

# ---- inside the namespaces ----
E=$2
cp -a /etc/. "$E/"
mount --bind "$E" /etc
mount -t tmpfs -o mode=755 tmpfs /home
mount -t tmpfs -o mode=755 tmpfs /run
ip link set lo up
hostname sysd-test
. "$here/mgd-lib.sh"

fail() {
	echo "FAIL: $*" >&2
	echo "--- sysd.log (last lines)"
	tail -n 30 "$T/sysd.log" 2>/dev/null || true
	exit 1
}

SHELL_BIN=/usr/sbin/nologin
[ -x "$BIN/cairn" ] && SHELL_BIN=$BIN/cairn
SYSD_PID=
syncs() { grep -c "cairn-sysd: synchronised" "$T/mgd.log" || true; }
start_sysd() {
	local n
	n=$(syncs)
	"$BIN/cairn-sysd" --root "$T" --shell "$SHELL_BIN" "$@" >>"$T/sysd.log" 2>&1 &
	SYSD_PID=$!
	PIDS="$PIDS $SYSD_PID"
	wait_for 30 "cairn-sysd to synchronise" \
		sh -c "[ \$(grep -c 'cairn-sysd: synchronised' '$T/mgd.log') -gt $n ]"
}
stop_sysd() {
	kill "${1:--TERM}" "$SYSD_PID" 2>/dev/null || true
	wait "$SYSD_PID" 2>/dev/null || true
}
restart_sysd() { start_sysd "$@"; }
# commit_fails LINES PATTERN: the commit fails with PATTERN in its message
commit_fails() {
	local out
	if out=$(rpc '{"cairn-mgmt:configure":{"mode":"private"}}' \
		"{\"cairn-mgmt:edit\":{\"lines\":\"$(json_str "$1")\"}}" \
		'{"cairn-mgmt:commit":{}}' 2>&1); then
		fail "commit succeeded: $1"
	fi
	printf '%s\n' "$out" | grep -qF -- "$2" || fail "expected '$2' in: $out"
}
ok_commit() {
	commit_lines "$1" >/dev/null || fail "commit failed: $1"
}
field() { getent passwd "$1" | cut -d: -f"$2"; }
record() { grep -v '^#' "$T/var/lib/cairn/sysd-accounts" | tr '\n' ' ' | sed 's/ $//'; }

mkdir -p "$T/keys"
for k in a1 a2; do ssh-keygen -q -t ed25519 -N '' -C "$k@test" -f "$T/keys/$k"; done
ssh-keygen -q -t rsa -b 2048 -N '' -C r@test -f "$T/keys/r"
HASH='$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1'
# accounts Cairn did not create
useradd -u 4300 -M -s /bin/sh svcacct
useradd -u 4243 -M -s /bin/sh victim
mkdir /home/ghost

start_mgd
start_sysd --manage-accounts --set-hostname
getent group cairn >/dev/null || fail "group cairn not created"
GID=$(getent group cairn | cut -d: -f3)

echo "sysd: a login user becomes an account"
ok_commit "set system login user alice class read-only
set system login user alice uid 4100
set system login user alice full-name \"Alice Liddell\"
set system login user alice authentication encrypted-password \"$HASH\"
set system login user alice authentication ssh-ed25519 \"$(cat "$T/keys/a1.pub")\""
[ "$(getent passwd alice)" = "alice:x:4100:$GID:Alice Liddell:/home/alice:$SHELL_BIN" ] ||
	fail "passwd: $(getent passwd alice)"
[ "$(getent shadow alice | cut -d: -f2)" = "$HASH" ] || fail "shadow: $(getent shadow alice)"
[ "$(stat -c '%U:%G %a' /home/alice/.ssh)" = "alice:cairn 700" ] || fail ".ssh: $(stat -c '%U:%G %a' /home/alice/.ssh)"
[ "$(stat -c '%U:%G %a' /home/alice/.ssh/authorized_keys)" = "alice:cairn 600" ] || fail "authorized_keys modes"
[ "$(grep -v '^#' /home/alice/.ssh/authorized_keys)" = "$(cat "$T/keys/a1.pub")" ] ||
	fail "authorized_keys: $(cat /home/alice/.ssh/authorized_keys)"
[ "$(record)" = "alice 4100" ] || fail "record: $(record)"

echo "sysd: keys, password, full name and uid follow the configuration"
ok_commit "delete system login user alice authentication
set system login user alice authentication ssh-ed25519 \"$(cat "$T/keys/a2.pub")\"
set system login user alice authentication ssh-rsa \"$(cat "$T/keys/r.pub")\"
set system login user alice full-name Alice
set system login user alice uid 4101"
[ "$(getent passwd alice)" = "alice:x:4101:$GID:Alice:/home/alice:$SHELL_BIN" ] ||
	fail "passwd: $(getent passwd alice)"
[ "$(getent shadow alice | cut -d: -f2)" = '*' ] || fail "password not removed"
[ "$(stat -c %u /home/alice/.ssh/authorized_keys)" = 4101 ] || fail "files not moved to the new uid"
grep -qF "$(cut -d' ' -f2 "$T/keys/a2.pub")" /home/alice/.ssh/authorized_keys || fail "key a2"
grep -qF "$(cut -d' ' -f2 "$T/keys/r.pub")" /home/alice/.ssh/authorized_keys || fail "key r"
grep -qF "$(cut -d' ' -f2 "$T/keys/a1.pub")" /home/alice/.ssh/authorized_keys && fail "key a1 kept"
[ "$(record)" = "alice 4101" ] || fail "record: $(record)"

echo "sysd: what PREPARE refuses; running and accounts unchanged"
before=$(show)
commit_fails "set system login user svcacct class operator" \
	"account 'svcacct' already exists on this system and was not created by Cairn"
commit_fails "set system login user root class operator" "user root is the system's"
commit_fails "set system login user bob class operator
set system login user bob uid 4300" "uid 4300 is in use by account 'svcacct'"
commit_fails "set system login user bob class operator
set system login user bob uid 4101" "uid 4101 is also configured for user alice"
commit_fails "set system login user alice uid 4105
set system login user bob class operator
set system login user bob uid 4101" "uid 4101 is in use by login user 'alice' (change it in a separate commit)"
commit_fails "set system login user ghost class operator" "home directory /home/ghost already exists"
commit_fails "set system login user bob class operator
set system login user bob uid 4200
set system login user carol class operator
set system login user carol uid 4200" "uid 4200 is also configured for user"
commit_fails "set system login user bob class operator
set system login user bob authentication ssh-ed25519 \"$(cat "$T/keys/r.pub")\"" \
	"a ssh-rsa key belongs under ssh-rsa"
commit_fails "set system login user bob class operator
set system login user bob authentication encrypted-password secret" \
	"encrypted-password: not a crypt(3) hash"
commit_fails "set system login user abcdefghijabcdefghijabcdefghijabc class operator" \
	"too long for a Linux account"
setpriv --reuid alice --regid cairn --clear-groups sleep 60 &
busy=$!
commit_fails "set system login user alice uid 4102" "user alice is logged in (process $busy)"
kill $busy
wait $busy 2>/dev/null || true
[ "$(show)" = "$before" ] || fail "running changed"
[ "$(field alice 3)" = 4101 ] || fail "alice changed"
[ "$(getent passwd svcacct)" = "svcacct:x:4300:4300::/home/svcacct:/bin/sh" ] || fail "svcacct changed"
getent passwd bob >/dev/null && fail "bob exists"
[ "$(record)" = "alice 4101" ] || fail "record: $(record)"

echo "sysd: one commit deletes alice and gives her uid to bob"
ok_commit "delete system login user alice
set system login user bob class super-user
set system login user bob uid 4101"
getent passwd alice >/dev/null && fail "alice kept"
[ -e /home/alice ] && fail "/home/alice kept"
[ "$(field bob 3)" = 4101 ] || fail "bob: $(getent passwd bob)"
[ "$(record)" = "bob 4101" ] || fail "record: $(record)"

echo "sysd: a record left by a crash, an account that is no longer ours"
stop_sysd -KILL
useradd -u 4400 -g cairn -N -m -s "$SHELL_BIN" carol # created; its record entry still pending
printf '# as a crash left it\nbob 4101\ncarol -\nnever -\nvictim 4242\n' \
	>"$T/var/lib/cairn/sysd-accounts"
# bob is deleted while cairn-sysd is down; carol is configured; and
# svcacct, whose name is taken: the resynchronisation must not fail on it
ok_commit "delete system login user bob
set system login user carol class operator
set system login user svcacct class operator"
restart_sysd --manage-accounts --set-hostname
wait_for 30 "bob's account to go" sh -c '! getent passwd bob'
grep -q "user\[name='svcacct'\]: account 'svcacct' already exists .*; not applied" "$T/sysd.log" ||
	fail "no word about svcacct"
[ "$(getent passwd svcacct)" = "svcacct:x:4300:4300::/home/svcacct:/bin/sh" ] || fail "svcacct changed"
ok_commit "delete system login user svcacct"
[ "$(record)" = "carol 4400" ] || fail "record: $(record)"
[ "$(getent passwd victim)" = "victim:x:4243:4243::/home/victim:/bin/sh" ] || fail "victim touched"
grep -q "account victim has uid 4243, not 4242 as created: left alone" "$T/sysd.log" ||
	fail "no word about victim"

echo "sysd: the host name"
ok_commit "set system host-name sysd-lab"
[ "$(hostname)" = sysd-lab ] || fail "host name: $(hostname)"
[ "$(cat /etc/hostname)" = sysd-lab ] || fail "/etc/hostname: $(cat /etc/hostname)"

if [ "$SHELL_BIN" = "$BIN/cairn" ]; then
	echo "sysd: ssh erin (super-user) and frank (read-only) land in the shell with their class"
	ssh-keygen -q -t ed25519 -N '' -f "$T/keys/host"
	ok_commit "set system login user erin class super-user
set system login user erin authentication ssh-ed25519 \"$(cat "$T/keys/a1.pub")\"
set system login user frank class read-only
set system login user frank authentication ssh-rsa \"$(cat "$T/keys/r.pub")\""
	mkdir -p /run/sshd
	cat >"$T/sshd_config" <<-EOF
		Port 2222
		ListenAddress 127.0.0.1
		HostKey $T/keys/host
		PidFile $T/sshd.pid
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		AllowGroups cairn
		SetEnv CAIRN_ROOT=$T CAIRN_YANG_DIR=$CAIRN_YANG_DIR
	EOF
	/usr/sbin/sshd -D -f "$T/sshd_config" -E "$T/sshd.log" &
	PIDS="$PIDS $!"
	wait_for 30 "sshd" bash -c 'exec 3<>/dev/tcp/127.0.0.1/2222'
	as() {
		local u=$1 k=$2
		shift 2
		ssh -F /dev/null -i "$T/keys/$k" -p 2222 -o BatchMode=yes -o StrictHostKeyChecking=no \
			-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$u@127.0.0.1" "$@"
	}
	out=$(as erin a1 'show configuration system host-name' 2>&1) || fail "erin: $out"
	[ "$out" = "host-name sysd-lab;" ] || fail "erin saw: $out"
	out=$(as erin a1 'configure
set system host-name by-erin
commit' 2>&1) || fail "erin's commit: $out"
	printf '%s\n' "$out" | grep -qx 'commit complete' || fail "erin's commit: $out"
	[ "$(hostname)" = by-erin ] || fail "host name after erin's commit: $(hostname)"
	out=$(as frank r 'configure' 2>&1) && fail "frank entered configuration mode"
	printf '%s\n' "$out" | grep -q '^error: permission denied' || fail "frank: $out"
	ok_commit "delete system login user erin"
	as erin a1 'show version' >/dev/null 2>&1 && fail "erin logs in after her deletion"
fi

echo "sysd: without --manage-accounts nothing is touched, values still checked"
stop_sysd
restart_sysd
ok_commit "set system login user dave class operator"
getent passwd dave >/dev/null && fail "dave got an account"
commit_fails "set system login user dave authentication ssh-rsa \"ssh-rsa AAAA\"" "ssh-rsa key:"

echo "sysd: --remove-accounts deletes what Cairn created, nothing else"
stop_sysd
"$BIN/cairn-sysd" --root "$T" --shell "$SHELL_BIN" --remove-accounts >>"$T/sysd.log" 2>&1
getent passwd carol >/dev/null && fail "carol kept"
getent passwd frank >/dev/null && fail "frank kept"
[ "$(record)" = "" ] || fail "record: $(record)"
getent passwd svcacct >/dev/null && getent passwd victim >/dev/null || fail "others removed"
echo "sysd-accounts: ok"
