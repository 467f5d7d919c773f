#!/bin/bash
# SPDX-License-Identifier: MIT
# unit-run.sh: start an installed systemd service the way its unit file
# says, where no systemd runs (the package test's throw-away root).
#
#   unit-run.sh start UNIT LOG    ExecStartPre, ExecStart in the background
#                                 (pid in /run/unit-run/UNIT.pid, output in
#                                 LOG), then ExecStartPost, waited for
#   unit-run.sh stop UNIT         SIGTERM to the main process, waited for
#
# Each Exec line runs with what these settings of [Service] mean:
#   EnvironmentFile (with '-'), $VAR / ${VAR} in command lines, '-' prefix,
#   RuntimeDirectory(+Mode), StateDirectory(+Mode), UMask,
#   CapabilityBoundingSet, AmbientCapabilities (empty only), NoNewPrivileges
#     (setpriv: the process and its children keep only those capabilities),
#   ProtectSystem (strict/full/yes: / or /usr, /boot, /etc read-only),
#   ReadWritePaths (with '-'), ProtectHome (yes: empty /home, /root,
#   /run/user; read-only), PrivateTmp (own /tmp, /var/tmp), PrivateDevices
#   (a /dev with null, zero, full, random, urandom, tty, pts, shm only),
#   PrivateNetwork (own network namespace, loopback only), ProtectHostname
#   (own UTS namespace).
# Not emulated (checked by `systemd-analyze verify/security` instead):
#   seccomp (SystemCallFilter, SystemCallArchitectures), RestrictAddress-
#   Families, RestrictNamespaces, RestrictRealtime, RestrictSUIDSGID,
#   LockPersonality, ProtectKernel*, ProtectClock, ProtectControlGroups,
#   ProtectProc, DevicePolicy/DeviceAllow, Restart=.
set -euo pipefail

UNIT_DIR=${UNIT_DIR:-/usr/lib/systemd/system}
PID_DIR=/run/unit-run

# unit_values FILE KEY: every value of KEY in [Service], in order
unit_values() {
	awk -v k="$2" '
		/^\[/ { sec = $0; next }
		sec == "[Service]" && index($0, k "=") == 1 { print substr($0, length(k) + 2) }
	' "$1"
}
unit_value() { unit_values "$1" "$2" | tail -n 1; }

# caps_arg "CAP_A CAP_B": setpriv's -all,+a,+b
caps_arg() {
	local out=-all c
	for c in $1; do
		c=${c#CAP_}
		out="$out,+${c,,}"
	done
	echo "$out"
}

# ---- inside the sandbox's namespaces: mounts, then exec ----
if [ "${1:-}" = --sandbox ]; then
	unit=$2
	shift 2
	f=$UNIT_DIR/$unit
	ps=$(unit_value "$f" ProtectSystem)
	ph=$(unit_value "$f" ProtectHome)
	rw=()
	for d in $(unit_values "$f" StateDirectory); do rw+=("/var/lib/$d"); done
	for d in $(unit_values "$f" RuntimeDirectory); do rw+=("/run/$d"); done
	for d in $(unit_values "$f" ReadWritePaths); do
		case $d in
		-*) [ -e "${d#-}" ] && rw+=("${d#-}") ;;
		*) rw+=("$d") ;;
		esac
	done
	# writable places first, as their own mounts, so that a read-only
	# remount of what holds them leaves them writable
	for d in "${rw[@]}"; do
		mount --bind "$d" "$d"
	done
	case $ps in
	strict) ro=(/) ;;
	full) ro=(/usr /boot /efi /etc) ;;
	yes | true) ro=(/usr /boot /efi) ;;
	*) ro=() ;;
	esac
	for d in "${ro[@]}"; do
		[ -d "$d" ] || continue
		[ "$d" = / ] || mount --bind "$d" "$d"
		mount -o remount,bind,ro "$d"
	done
	case $ph in
	yes | true)
		for d in /home /root /run/user; do
			[ -d "$d" ] && mount -t tmpfs -o ro,mode=000 tmpfs "$d"
		done
		;;
	read-only)
		for d in /home /root /run/user; do
			[ -d "$d" ] && mount --bind "$d" "$d" && mount -o remount,bind,ro "$d"
		done
		;;
	esac
	if [ "$(unit_value "$f" PrivateTmp)" = yes ]; then
		mount -t tmpfs -o mode=1777 tmpfs /tmp
		mount -t tmpfs -o mode=1777 tmpfs /var/tmp
	fi
	if [ "$(unit_value "$f" PrivateDevices)" = yes ]; then
		pdev=$(mktemp -d /run/unit-run.dev.XXXXXX)
		mount -t tmpfs -o mode=755 tmpfs "$pdev"
		for n in null zero full random urandom tty; do
			touch "$pdev/$n"
			mount --bind "/dev/$n" "$pdev/$n"
		done
		mkdir "$pdev/pts" "$pdev/shm"
		mount --bind /dev/pts "$pdev/pts"
		mount -t tmpfs -o mode=1777 tmpfs "$pdev/shm"
		ln -s /proc/self/fd "$pdev/fd"
		[ -e /dev/log ] && touch "$pdev/log" && mount --bind /dev/log "$pdev/log"
		mount --move "$pdev" /dev
		rmdir "$pdev" 2>/dev/null || true
	fi
	um=$(unit_value "$f" UMask)
	[ -n "$um" ] && umask "$um"
	priv=(setpriv)
	caps=$(unit_values "$f" CapabilityBoundingSet | tr '\n' ' ')
	# present, even empty ("CapabilityBoundingSet=": none at all)
	if [ "$(unit_values "$f" CapabilityBoundingSet | wc -l)" -gt 0 ]; then
		priv+=(--bounding-set "$(caps_arg "$caps")")
		priv+=(--inh-caps -all)
	fi
	[ "$(unit_value "$f" NoNewPrivileges)" = yes ] && priv+=(--no-new-privs)
	exec "${priv[@]}" -- "$@"
fi

# ---- outside: parse, prepare directories, start ----
cmd=${1:?usage: unit-run.sh start UNIT LOG | stop UNIT}
unit=${2:?unit}
f=$UNIT_DIR/$unit
[ -f "$f" ] || { echo "unit-run: no $f" >&2; exit 1; }
mkdir -p "$PID_DIR"

if [ "$cmd" = stop ]; then
	pid=$(cat "$PID_DIR/$unit.pid" 2>/dev/null || true)
	[ -n "$pid" ] || exit 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$PID_DIR/$unit.pid"
	exit 0
fi
log=${3:?log file}

for e in $(unit_values "$f" EnvironmentFile); do
	case $e in
	-*) e=${e#-}; [ -r "$e" ] || continue ;;
	esac
	set -a
	# shellcheck disable=SC1090
	. "$e"
	set +a
done
for d in $(unit_values "$f" RuntimeDirectory); do
	install -d -m "$(unit_value "$f" RuntimeDirectoryMode | grep . || echo 0755)" "/run/$d"
done
for d in $(unit_values "$f" StateDirectory); do
	install -d -m "$(unit_value "$f" StateDirectoryMode | grep . || echo 0755)" "/var/lib/$d"
done

ns=(unshare --mount --propagation private)
[ "$(unit_value "$f" PrivateNetwork)" = yes ] && ns+=(--net)
[ "$(unit_value "$f" ProtectHostname)" = yes ] && ns+=(--uts)

# run_line LINE BACKGROUND: one Exec line, its variables expanded as
# systemd does ($VAR splits into words, ${VAR} is one word)
run_line() {
	local line=$1 bg=$2 ignore=0 words
	case $line in -*) ignore=1; line=${line#-} ;; esac
	line=$(printf '%s' "$line" | sed -E 's/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/"${\1}"/g')
	eval "words=($line)"
	if [ "$bg" = 1 ]; then
		"${ns[@]}" -- "$0" --sandbox "$unit" "${words[@]}" >>"$log" 2>&1 &
		echo $! >"$PID_DIR/$unit.pid"
		return 0
	fi
	"${ns[@]}" -- "$0" --sandbox "$unit" "${words[@]}" >>"$log" 2>&1 || [ $ignore = 1 ]
}

while read -r l; do run_line "$l" 0; done < <(unit_values "$f" ExecStartPre)
start=$(unit_values "$f" ExecStart)
[ "$(printf '%s\n' "$start" | wc -l)" = 1 ] || { echo "unit-run: one ExecStart expected" >&2; exit 1; }
run_line "$start" 1
while read -r l; do run_line "$l" 0; done < <(unit_values "$f" ExecStartPost)
