#!/bin/bash
# SPDX-License-Identifier: MIT
# inside.sh PHASE: the package test's steps inside the throw-away root
# (run by install.sh through chroot; /t holds this folder, the .deb and
# the logs).
#
#   install  dpkg -i the package, apt-get -f install its dependencies from
#            the mirror, openssh-server; check what the maintainer scripts did
#   run      (own network namespace, loopback only) the daemons from their
#            units (unit-run.sh), the factory default, login users through
#            the shell, SSH logins with their classes, failing commits,
#            deletion, reconciliation after a cairn-sysd restart
#   systemd  (systemd is PID 1: install.sh boots the root as a container)
#            the units active with their hardening as the kernel sees it
#            (bounding set, no_new_privs, seccomp), one log line per
#            message, a login user over the distribution's own sshd
#            (port 22, PAM), Restart=on-failure, the shared /run/cairn
#   purge    apt-get purge: the accounts, the group, the shell in
#            /etc/shells and the state go; an account Cairn did not
#            create stays
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive LC_ALL=C TZ=UTC
T=/t
UNITS=(${CAIRN_TEST_UNITS:?})

step() { echo "== $*"; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# wait_for SECONDS WHAT COMMAND...
wait_for() {
	local n=$(($1 * 10)) what=$2
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || fail "timed out waiting for $what"
		sleep 0.1
	done
}
# expect_in TEXT PATTERN: grep -E PATTERN in TEXT
expect_in() {
	printf '%s\n' "$1" | grep -Eq -- "$2" || fail "expected /$2/ in: $1"
}

phase_install() {
	local st
	step "apt-get update"
	apt-get update -q >"$T/logs/apt-update.log" 2>&1 || {
		tail -n 20 "$T/logs/apt-update.log"
		fail "apt-get update"
	}
	step "dpkg -i $(basename "$T"/cairn_*.deb) (dependencies missing: expected to stop)"
	dpkg -i "$T"/cairn_*.deb >"$T/logs/dpkg-i.log" 2>&1 || true
	step "apt-get -f install (the dependencies from the mirror, then configure)"
	apt-get -f install -y -q >"$T/logs/apt-f.log" 2>&1 || {
		tail -n 30 "$T/logs/apt-f.log"
		fail "apt-get -f install"
	}
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' cairn)
	[ "$st" = "ii " ] || fail "cairn is '$st' after apt-get -f install"
	step "openssh-server (recommended by cairn), systemd (for the systemd phase)"
	apt-get install -y -q openssh-server systemd >"$T/logs/apt-ssh.log" 2>&1 || {
		tail -n 30 "$T/logs/apt-ssh.log"
		fail "apt-get install openssh-server systemd"
	}

	step "postinst: group cairn, /usr/bin/cairn in /etc/shells"
	getent group cairn >/dev/null || fail "no group cairn"
	grep -qx /usr/bin/cairn /etc/shells || fail "/usr/bin/cairn not in /etc/shells"
	for u in "${UNITS[@]}"; do
		[ -f "/usr/lib/systemd/system/$u" ] || fail "no unit $u"
		# enabled as systemctl would, though no systemd runs here
		[ -L "/etc/systemd/system/multi-user.target.wants/$u" ] || fail "$u not enabled"
	done
	[ -x /usr/bin/cairn ] && [ -x /usr/sbin/cairn-mgd ] && [ -x /usr/sbin/cairn-sysd ] ||
		fail "binaries missing"
	ls /usr/share/cairn/yang/cairn-system.yang >/dev/null
	# a non-Cairn account that must survive everything below
	useradd -u 3000 -M -s /bin/sh localadmin
}

start_units() {
	local u
	for u in "${UNITS[@]}"; do
		step "start $u from its unit (unit-run.sh)"
		"$T/unit-run.sh" start "$u" "$T/logs/$u.log"
		sleep 0.2
		kill -0 "$(cat "/run/unit-run/$u.pid")" 2>/dev/null || {
			cat "$T/logs/$u.log"
			fail "$u exited at once"
		}
		if [ "$u" = cairn-mgd.service ]; then
			wait_for 30 "cairn-mgd" cairn-rpc --timeout 2
		fi
	done
}

stop_units() {
	local i
	for ((i = ${#UNITS[@]} - 1; i >= 0; i--)); do
		"$T/unit-run.sh" stop "${UNITS[i]}"
	done
}

SSHD_PID=
SSH=()
start_sshd() {
	mkdir -p /run/sshd "$T/ssh"
	ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host_ed25519"
	cat >"$T/ssh/sshd_config" <<-EOF
		Port 2222
		ListenAddress 127.0.0.1
		HostKey $T/ssh/host_ed25519
		PidFile $T/ssh/sshd.pid
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin no
		AllowGroups cairn
		UsePAM yes
		PrintMotd no
	EOF
	/usr/sbin/sshd -D -f "$T/ssh/sshd_config" -E "$T/logs/sshd.log" &
	SSHD_PID=$!
	wait_for 30 "sshd" bash -c 'exec 3<>/dev/tcp/127.0.0.1/2222'
}

# as USER ARGS...: ssh USER@127.0.0.1 with USER's key
as() {
	local user=$1
	shift
	ssh -F /dev/null -i "$T/ssh/$user" -p 2222 -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$user@127.0.0.1" "$@"
}

# shell TEXT: the cairn shell as root, commands on stdin
shell() {
	printf '%s\n' "$1" | cairn 2>&1
}

phase_run() {
	local out rc
	ip_lo=$(cat /sys/class/net/lo/operstate 2>/dev/null || true)
	[ "$ip_lo" != down ] || fail "loopback is down"
	step "unit-run.sh's sandbox is real (cairn-mgd's settings): / read-only, state writable, no capability"
	mkdir -p /var/lib/cairn /run/cairn
	out=$(unshare --mount --net --uts --propagation private -- "$T/unit-run.sh" --sandbox \
		cairn-mgd.service sh -c 'touch /etc/probe 2>&1; touch /var/lib/cairn/probe && rm /var/lib/cairn/probe &&
		echo state-writable; ls /home 2>&1; grep CapBnd /proc/self/status; grep NoNewPrivs /proc/self/status' 2>&1)
	expect_in "$out" "touch: cannot touch '/etc/probe': Read-only file system"
	expect_in "$out" '^state-writable$'
	expect_in "$out" "ls: cannot open directory '/home': Permission denied"
	expect_in "$out" '^CapBnd:[[:space:]]+0000000000000000$'
	expect_in "$out" '^NoNewPrivs:[[:space:]]+1$'
	start_units

	step "factory default committed on the first start"
	wait_for 30 "the factory default" bash -c \
		"cairn -c 'show configuration system host-name' | grep -qx 'host-name cairn;'"
	out=$(cairn -c 'show configuration security dataplane')
	expect_in "$out" 'backend auto;'
	out=$(cairn -c 'show system commit')
	expect_in "$out" 'factory default'
	wait_for 10 "host name cairn (cairn-sysd --set-hostname)" bash -c '[ "$(hostname)" = cairn ]'
	[ "$(cat /etc/hostname)" = cairn ] || fail "/etc/hostname: $(cat /etc/hostname)"

	step "login users through the shell: alice read-only, bob super-user uid 2345"
	start_sshd
	ssh-keygen -q -t ed25519 -N '' -C alice@test -f "$T/ssh/alice"
	ssh-keygen -q -t ecdsa -b 256 -N '' -C bob@test -f "$T/ssh/bob"
	out=$(shell "configure
set system login user alice class read-only authentication ssh-ed25519 \"$(cat "$T/ssh/alice.pub")\"
set system login user bob class super-user
set system login user bob uid 2345
set system login user bob full-name \"Bob Builder\"
set system login user bob authentication ssh-ecdsa \"$(cat "$T/ssh/bob.pub")\"
commit") || fail "commit of the users: $out"
	expect_in "$out" '^commit complete$'
	out=$(getent passwd alice) || fail "no account alice"
	expect_in "$out" '^alice:x:[0-9]+:[0-9]+::/home/alice:/usr/bin/cairn$'
	[ "$(id -gn alice)" = cairn ] || fail "alice's group is $(id -gn alice)"
	out=$(getent passwd bob)
	expect_in "$out" '^bob:x:2345:[0-9]+:Bob Builder:/home/bob:/usr/bin/cairn$'
	[ "$(getent shadow alice | cut -d: -f2)" = '*' ] || fail "alice's password field"
	grep -qF "$(cut -d' ' -f2 "$T/ssh/alice.pub")" /home/alice/.ssh/authorized_keys ||
		fail "alice's key not in authorized_keys"
	[ "$(stat -c '%U %a' /home/alice/.ssh/authorized_keys)" = "alice 600" ] ||
		fail "authorized_keys: $(stat -c '%U %a' /home/alice/.ssh/authorized_keys)"

	step "ssh alice 'show configuration system host-name' (sshd runs cairn -c CMD)"
	out=$(as alice 'show configuration system host-name' 2>&1) || fail "alice: $out"
	[ "$out" = "host-name cairn;" ] || fail "alice saw: $out"
	step "ssh alice 'configure': read-only may not"
	rc=0
	out=$(as alice 'configure' 2>&1) || rc=$?
	expect_in "$out" '^error: permission denied'
	[ $rc -ne 0 ] || fail "configure as read-only exited 0"
	step "ssh bob < script: the login shell reads commands (super-user: configure, set, commit)"
	out=$(printf 'configure\nset system host-name pkgtest\ncommit\nexit\nexit\n' | as bob 2>&1) ||
		fail "bob: $out"
	expect_in "$out" '^commit complete$'
	[ "$(hostname)" = pkgtest ] || fail "host name after bob's commit: $(hostname)"
	out=$(as bob 'show system commit' 2>&1)
	expect_in "$out" '^0 .* by bob via cli'

	step "commits that must fail in PREPARE, running unchanged"
	out=$(shell "configure private
set system login user localadmin class operator
commit") && fail "a commit taking localadmin succeeded: $out"
	expect_in "$out" "account 'localadmin' already exists on this system and was not created by Cairn"
	expect_in "$out" '^error: commit failed'
	out=$(shell "configure private
set system login user carol class operator
set system login user carol uid 3000
commit") && fail "a commit taking uid 3000 succeeded: $out"
	expect_in "$out" "uid 3000 is in use by account 'localadmin'"
	out=$(shell "configure private
set system login user carol class operator
set system login user carol authentication ssh-rsa \"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQ\"
commit") && fail "a commit with a bad key succeeded: $out"
	expect_in "$out" 'ssh-rsa key: '
	out=$(cairn -c 'show configuration system login' 2>&1)
	printf '%s\n' "$out" | grep -q -e carol -e localadmin && fail "running changed: $out"
	getent passwd carol >/dev/null && fail "an account carol exists"
	[ "$(getent passwd localadmin)" = "localadmin:x:3000:3000::/home/localadmin:/bin/sh" ] ||
		fail "localadmin changed: $(getent passwd localadmin)"

	step "delete alice: account and home go; her key no longer logs in"
	out=$(shell "configure
delete system login user alice
commit") || fail "deleting alice: $out"
	expect_in "$out" '^commit complete$'
	getent passwd alice >/dev/null && fail "alice still has an account"
	[ ! -e /home/alice ] || fail "/home/alice left"
	as alice 'show version' >/dev/null 2>&1 && fail "alice still logs in"

	step "bob deleted while cairn-sysd is stopped: removed when it comes back"
	"$T/unit-run.sh" stop cairn-sysd.service
	out=$(shell "configure
delete system login user bob
set system login user dave class operator
commit") || fail "deleting bob: $out"
	expect_in "$out" '^commit complete$'
	getent passwd bob >/dev/null || fail "bob went while cairn-sysd was stopped"
	"$T/unit-run.sh" start cairn-sysd.service "$T/logs/cairn-sysd.service.log"
	wait_for 30 "bob's account to go" bash -c '! getent passwd bob'
	wait_for 30 "dave's account" getent passwd dave
	[ "$(cat /var/lib/cairn/sysd-accounts | grep -v '^#' | cut -d' ' -f1)" = dave ] ||
		fail "record: $(cat /var/lib/cairn/sysd-accounts)"

	kill "$SSHD_PID" 2>/dev/null || true
	wait "$SSHD_PID" 2>/dev/null || true
	stop_units
}

# capmask "CAP_A CAP_B": the CapBnd mask /proc shows for that set
capmask() {
	local m=0 c n
	for c in $1; do
		case ${c#CAP_} in
		CHOWN) n=0 ;; DAC_OVERRIDE) n=1 ;; DAC_READ_SEARCH) n=2 ;; FOWNER) n=3 ;;
		FSETID) n=4 ;; KILL) n=5 ;; SETGID) n=6 ;; SETUID) n=7 ;; NET_BIND_SERVICE) n=10 ;;
		NET_ADMIN) n=12 ;; NET_RAW) n=13 ;; SYS_ADMIN) n=21 ;; AUDIT_WRITE) n=29 ;;
		*) fail "capmask: no number for $c" ;;
		esac
		m=$((m | (1 << n)))
	done
	printf '%016x\n' "$m"
}
status_of() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

phase_systemd() {
	local u pid want out old
	step "systemd: the units are active, nothing failed"
	out=$(systemctl is-system-running || true)
	case $out in running | degraded) ;; *) fail "system state: $out" ;; esac
	for u in "${UNITS[@]}"; do
		systemctl is-active --quiet "$u" || {
			systemctl status --no-pager "$u" || true
			fail "$u is not active"
		}
	done
	out=$(systemctl list-units --failed --plain --no-legend 'cairn*')
	[ -z "$out" ] || fail "failed: $out"

	step "systemd: bounding set, no_new_privs and seccomp as the units say"
	for u in "${UNITS[@]}"; do
		pid=$(systemctl show -p MainPID --value "$u")
		want=$(capmask "$(sed -n 's/^CapabilityBoundingSet=//p' "/usr/lib/systemd/system/$u")")
		[ "$(status_of "$pid" CapBnd)" = "$want" ] ||
			fail "$u: CapBnd $(status_of "$pid" CapBnd), expected $want"
		[ "$(status_of "$pid" NoNewPrivs)" = 1 ] || fail "$u: no_new_privs not set"
		[ "$(status_of "$pid" Seccomp)" = 2 ] || fail "$u: no seccomp filter"
		# each message once: syslog only when stderr is the journal
		out=$(journalctl --no-pager -o cat -u "$u")
		printf '%s\n' "$out" | grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} cairn-' &&
			fail "$u: lines logged twice (stderr and syslog)"
		echo "   $u: pid $pid, CapBnd $want, no_new_privs, seccomp"
	done

	step "systemd: gina (super-user) over the distribution's sshd on port 22 (PAM)"
	systemctl is-active --quiet ssh.service || fail "ssh.service is not running"
	mkdir -p "$T/ssh"
	ssh-keygen -q -t ed25519 -N '' -C gina@test -f "$T/ssh/gina"
	out=$(shell "configure
set system login user gina class super-user
set system login user gina authentication ssh-ed25519 \"$(cat "$T/ssh/gina.pub")\"
commit") || fail "commit of gina: $out"
	as22() {
		ssh -F /dev/null -i "$T/ssh/gina" -o BatchMode=yes -o StrictHostKeyChecking=no \
			-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR gina@127.0.0.1 "$@"
	}
	out=$(as22 'show configuration system login user gina class' 2>&1) || fail "gina: $out"
	[ "$out" = "class super-user;" ] || fail "gina saw: $out"
	out=$(as22 'configure
set system host-name under-systemd
commit' 2>&1) || fail "gina's commit: $out"
	expect_in "$out" '^commit complete$'
	[ "$(hostname)" = under-systemd ] || fail "host name: $(hostname) (sethostname under seccomp)"

	if systemctl cat cairn-iked.service >/dev/null 2>&1; then
		step "systemd: cairn-iked makes an st0 unit (TUN, addresses, /proc/sys) under its unit"
		out=$(shell "configure
set interfaces st0 unit 0 family inet address 10.255.0.1/30
commit") || fail "st0 commit: $out"
		out=$(cairn -c 'show interfaces st0 terse' 2>&1) || fail "show interfaces: $out"
		expect_in "$out" '^st0\.0 .*10\.255\.0\.1/30'
		systemctl is-active --quiet cairn-iked.service || fail "cairn-iked stopped"
	fi

	step "systemd: Restart=on-failure brings cairn-mgd back after SIGKILL; cairn-sysd resubscribes"
	old=$(systemctl show -p MainPID --value cairn-mgd.service)
	kill -KILL "$old"
	wait_for 30 "a new cairn-mgd" bash -c \
		"p=\$(systemctl show -p MainPID --value cairn-mgd.service); [ \"\$p\" != 0 ] && [ \"\$p\" != $old ]"
	wait_for 30 "cairn-mgd to answer" cairn-rpc --timeout 2
	wait_for 30 "cairn-sysd to resubscribe" bash -c \
		"journalctl --no-pager -o cat -u cairn-mgd.service | grep -q 'cairn-sysd: synchronised at commit' &&
		 [ \$(journalctl --no-pager -o cat -u cairn-mgd.service | grep -c 'cairn-sysd subscribed') -ge 2 ]"
	out=$(cairn -c 'show configuration system host-name')
	[ "$out" = "host-name under-systemd;" ] || fail "after the restart: $out"

	step "systemd: stopping cairn-sysd leaves /run/cairn to cairn-mgd (RuntimeDirectoryPreserve)"
	systemctl stop cairn-sysd.service
	[ -S /run/cairn/mgd.sock ] || fail "/run/cairn/mgd.sock went with cairn-sysd"
	cairn-rpc --timeout 2 >/dev/null || fail "cairn-mgd unreachable"
	systemctl start cairn-sysd.service
	systemctl is-active --quiet cairn-sysd.service || fail "cairn-sysd did not start again"
}

phase_purge() {
	step "apt-get purge cairn: accounts, group, shell, state go; localadmin stays"
	apt-get purge -y -q cairn >"$T/logs/apt-purge.log" 2>&1 || {
		cat "$T/logs/apt-purge.log"
		fail "apt-get purge"
	}
	getent passwd dave >/dev/null && fail "dave's account survived the purge"
	getent passwd gina >/dev/null && fail "gina's account survived the purge"
	getent group cairn >/dev/null && fail "group cairn survived the purge"
	grep -q cairn /etc/shells && fail "cairn still in /etc/shells"
	[ ! -e /var/lib/cairn ] || fail "/var/lib/cairn left"
	[ ! -e /etc/default/cairn ] || fail "/etc/default/cairn left"
	getent passwd localadmin >/dev/null || fail "localadmin was removed"
	ls /usr/sbin/cairn-* /usr/bin/cairn 2>/dev/null && fail "binaries left"
	return 0
}

case ${1:?phase} in
install) phase_install ;;
run) phase_run ;;
systemd) phase_systemd ;;
purge) phase_purge ;;
*) fail "unknown phase $1" ;;
esac
echo "== $1: ok"
