#!/bin/bash
# SPDX-License-Identifier: MIT
# ssh.sh: the cairn shell as a login shell over SSH. A private sshd on
# 127.0.0.1 at a high port (own config, own host key) and a throw-away
# user whose login shell is cairn (password field '*', key login):
#   - ssh -tt: interactive configure, set, commit, exit
#   - ssh host 'show configuration': sshd runs `cairn -c CMD`
#   - the user is mapped to its login class by mgd (system login user)
# The user, its group and sshd are removed even when the test fails; the
# whole test runs in a private mount namespace over a copy of /etc, so the
# host's passwd and group files are never touched (other tests compare them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${CAIRN_SSH_PRIVATE_ETC:-}" ]; then
	etc=$(mktemp -d "${TMPDIR:-/var/tmp}/cairn-ssh-etc.XXXXXX")
	trap 'rm -rf "$etc"' EXIT
	rc=0
	CAIRN_SSH_PRIVATE_ETC=$etc unshare --mount --propagation private -- \
		"$BASH" "$0" "$@" || rc=$?
	exit $rc
fi
cp -a /etc/. "$CAIRN_SSH_PRIVATE_ETC/"
mount --bind "$CAIRN_SSH_PRIVATE_ETC" /etc
. "$here/lib.sh"

user=cairnt$$
user=${user:0:31}
SSHD_PID=
ssh_cleanup() {
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null || true
		wait "$SSHD_PID" 2>/dev/null || true
	fi
	if getent passwd "$user" >/dev/null; then
		userdel "$user" 2>/dev/null || true
	fi
	if getent group "$user" >/dev/null; then
		groupdel "$user" 2>/dev/null || true
	fi
}
CLEANUP_HOOKS+=(ssh_cleanup)

start_mgd

# The throw-away user: cairn as login shell, no password ('*': key only).
mkdir -p "$T/home/$user" "$T/ssh/keys"
useradd -M -d "$T/home/$user" -s "$BIN/cairn" -U "$user"
usermod -p '*' "$user"
chown "$user:" "$T/home/$user"
uid=$(id -u "$user")

ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/client"
cp "$T/ssh/client.pub" "$T/ssh/keys/$user"
chmod 644 "$T/ssh/keys/$user"

# mgd learns the user and its class from the configuration.
cairn <<CMDS
configure
set system host-name sshlab
set system login user $user uid $uid
set system login user $user class super-user
commit and-quit
CMDS

# A free high port.
port=
for p in $(seq $((20000 + $$ % 20000)) $((20050 + $$ % 20000))); do
	if ! ss -Htln "sport = :$p" | grep -q .; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "no free port" >&2; exit 1; }

mkdir -p /run/sshd
cat >"$T/ssh/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $T/ssh/host_ed25519
PidFile $T/ssh/sshd.pid
AuthorizedKeysFile $T/ssh/keys/%u
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin no
AllowUsers $user
SetEnv CAIRN_ROOT=$T CAIRN_YANG_DIR=$CAIRN_YANG_DIR TZ=UTC
PrintMotd no
PrintLastLog no
CONF
/usr/sbin/sshd -D -f "$T/ssh/sshd_config" -E "$T/ssh/sshd.log" &
SSHD_PID=$!
wait_for 30 sh -c "ss -Htln 'sport = :$port' | grep -q ." ||
	{ echo "sshd did not start" >&2; cat "$T/ssh/sshd.log" >&2; exit 1; }

SSH=(ssh -F /dev/null -i "$T/ssh/client" -p "$port" -o BatchMode=yes
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)

echo "ssh: command mode: ssh host 'show configuration system'"
out=$("${SSH[@]}" "$user@127.0.0.1" 'show configuration system host-name')
[ "$out" = "host-name sshlab;" ] || { echo "unexpected: [$out]" >&2; exit 1; }

echo "ssh: command mode: a failing command gives exit status 1"
rc=0
"${SSH[@]}" "$user@127.0.0.1" 'show frob' >"$T/out" || rc=$?
[ "$rc" -eq 1 ] || { echo "exit status $rc" >&2; exit 1; }
grep -q '^syntax error, expecting <command>\.$' "$T/out"

echo "ssh: interactive: ssh -tt, configure, set, commit"
P="$user@sshlab"
tm_start s "${SSH[*]} -tt $user@127.0.0.1"
tm_wait_input s "$P> "
tm_type s 'configure'
tm_send s Enter
tm_wait s '^Entering configuration mode$'
tm_wait_input s "$P# "
tm_type s 'set security ike proposal over-ssh dh-group group20'
tm_send s Enter
tm_type s 'commit'
tm_send s Enter
tm_wait s '^commit complete$'
tm_type s 'exit'
tm_send s Enter
tm_wait s '^Exiting configuration mode$'
tm_type s 'show system commit'
tm_send s Enter
tm_wait s "^0 +[0-9-]+ [0-9:]+ UTC by $user via cli$"
tm_type s 'exit'
tm_send s Enter
tm_wait s '^\[exited 0\]$'

echo "ssh: the commit is in the running configuration"
out=$("${SSH[@]}" "$user@127.0.0.1" 'show configuration security ike proposal over-ssh')
[ "$out" = "dh-group group20;" ] || { echo "unexpected: [$out]" >&2; exit 1; }
echo "ssh: ok"
