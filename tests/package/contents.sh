#!/bin/bash
# SPDX-License-Identifier: MIT
# contents.sh DEB-DIR YANG-DIR: what the Debian package holds.
#   control   name, version, architecture, dependencies (shlibdeps and ours)
#   scripts   postinst/prerm/postrm/conffiles: present, executable, sh -n,
#             the shell, the group and the same units as shipped
#   files     every binary of this build, every YANG module, the units,
#             /etc/default/cairn, the factory default, docs, man pages;
#             owned by root, nothing under /usr/local or a build path
#   units     systemd-analyze verify (no warning at all), the hardening
#             this project promises, exposure scores under a ceiling
# EXPECT_BINS (environment): the programs this build made, as installed paths.
set -euo pipefail
DEB_DIR=${1:?usage: contents.sh DEB-DIR YANG-DIR}
YANG_DIR=${2:?yang dir}
mapfile -t debs < <(ls "$DEB_DIR"/cairn_*.deb 2>/dev/null)
[ ${#debs[@]} -eq 1 ] || { echo "FAIL: expected one cairn_*.deb in $DEB_DIR" >&2; exit 1; }
DEB=${debs[0]}
X=$(mktemp -d "${TMPDIR:-/var/tmp}/cairn-pkgcontents.XXXXXX")
trap 'rm -rf "$X"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
ok() { echo "ok: $*"; }

# ---- control ----
field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = cairn ] || fail "Package: $(field Package)"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture"
[[ "$(field Version)" =~ ^[0-9]+\.[0-9]+\.[0-9]+-[0-9]+$ ]] || fail "Version: $(field Version)"
deps=$(field Depends)
for d in libc6 libyang2 libevent-core-2.1-7 libssl3 libmnl0 passwd init-system-helpers \
	debianutils; do
	printf '%s\n' "$deps" | tr ',' '\n' | grep -q "^ *$d\b" || fail "Depends lacks $d: $deps"
done
case " $EXPECT_BINS " in
*" /usr/bin/cairn "*)
	printf '%s\n' "$deps" | grep -q libreadline8 || fail "Depends lacks libreadline8: $deps"
	;;
esac
[ "$(field Recommends)" = openssh-server ] || fail "Recommends: $(field Recommends)"
ok "control: $(field Package) $(field Version) $(field Architecture); Depends: $deps"

# ---- maintainer scripts ----
mkdir "$X/ctl"
dpkg-deb -e "$DEB" "$X/ctl"
for s in postinst prerm postrm; do
	[ -x "$X/ctl/$s" ] || fail "$s missing or not executable"
	sh -n "$X/ctl/$s" || fail "$s: syntax"
	grep -q '@' "$X/ctl/$s" && grep -n '@[A-Z_]*@' "$X/ctl/$s" && fail "$s: unfilled template"
done
[ "$(cat "$X/ctl/conffiles")" = /etc/default/cairn ] || fail "conffiles: $(cat "$X/ctl/conffiles")"
grep -q 'add-shell /usr/bin/cairn' "$X/ctl/postinst" || fail "postinst: add-shell"
grep -q 'groupadd --system cairn' "$X/ctl/postinst" || fail "postinst: group cairn"
grep -q 'remove-shell /usr/bin/cairn' "$X/ctl/postrm" || fail "postrm: remove-shell"
grep -q 'cairn-sysd --remove-accounts' "$X/ctl/prerm" || fail "prerm: accounts"
ok "maintainer scripts and conffiles"

# ---- files ----
dpkg-deb -c "$DEB" >"$X/list"
awk '{ print $NF }' "$X/list" | sed 's|^\./|/|; s|/$||' >"$X/paths"
has() { grep -qx -- "$1" "$X/paths" || fail "the package lacks $1"; }
for b in $EXPECT_BINS; do
	has "$b"
	grep -q " \.$b\$" "$X/list" && grep " \.$b\$" "$X/list" | grep -q '^-rwxr-xr-x' ||
		fail "$b is not mode 755"
done
for y in "$YANG_DIR"/*.yang; do
	has "/usr/share/cairn/yang/$(basename "$y")"
done
units=$(sed -n 's|^/usr/lib/systemd/system/\(.*\.service\)$|\1|p' "$X/paths" | sort | xargs)
want=cairn-mgd.service
case " $EXPECT_BINS " in *" /usr/sbin/cairn-iked "*) want="$want cairn-iked.service" ;; esac
want=$(echo "$want cairn-sysd.service" | tr ' ' '\n' | sort | xargs)
[ "$units" = "$want" ] || fail "units: '$units', expected '$want'"
for u in $units; do
	grep -q "^UNITS=\"[^\"]*\b$u\b" "$X/ctl/postinst" || fail "postinst does not handle $u"
done
has /etc/default/cairn
has /usr/share/cairn/factory-default.conf
has /usr/libexec/cairn/cairn-factory-default
has /usr/share/doc/cairn/copyright
has /usr/share/doc/cairn/packaging.md
mans="cairn.1 cairn-rpc.1 cairn-mgd.8 cairn-sysd.8"
case " $EXPECT_BINS " in *" /usr/sbin/cairn-iked "*) mans="$mans cairn-iked.8" ;; esac
for m in $mans; do
	has "/usr/share/man/man${m##*.}/$m.gz"
done
awk '{ print $2 }' "$X/list" | grep -v '^root/root$' && fail "files not owned by root"
grep -E '/usr/local|/build' "$X/paths" && fail "stray paths"
ok "files: $(grep -c . "$X/paths") paths; units: $units"

# ---- units ----
mkdir "$X/root"
dpkg-deb -x "$DEB" "$X/root"
U=$X/root/usr/lib/systemd/system
for u in $units; do
	f=$U/$u
	val() { awk -v k="$1" 'index($0, k "=") == 1 { v = substr($0, length(k) + 2) } END { print v }' "$f"; }
	[ "$(val NoNewPrivileges)" = yes ] || fail "$u: NoNewPrivileges"
	[ "$(val Restart)" = on-failure ] || fail "$u: Restart"
	[ "$(val ProtectSystem)" = strict ] || fail "$u: ProtectSystem"
	[ "$(val RuntimeDirectory)" = cairn ] || fail "$u: RuntimeDirectory"
	[ "$(val RuntimeDirectoryPreserve)" = yes ] || fail "$u: RuntimeDirectoryPreserve"
	[ "$(val StateDirectory)" = cairn ] || fail "$u: StateDirectory"
	[ "$(val WantedBy)" = multi-user.target ] || fail "$u: WantedBy"
	grep -q '^CapabilityBoundingSet=' "$f" || fail "$u: no CapabilityBoundingSet"
	caps=$(val CapabilityBoundingSet | tr ' ' '\n' | sort | xargs)
	exe=$(val ExecStart | awk '{ print $1 }')
	[ -x "$X/root$exe" ] || fail "$u: ExecStart $exe not in the package"
	case $u in
	cairn-mgd.service)
		[ -z "$caps" ] || fail "$u: capabilities $caps"
		[ "$(val ProtectHome)" = yes ] || fail "$u: ProtectHome"
		[ "$(val PrivateNetwork)" = yes ] || fail "$u: PrivateNetwork"
		max=2.0
		;;
	cairn-sysd.service)
		[ "$caps" = "CAP_AUDIT_WRITE CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_SYS_ADMIN" ] ||
			fail "$u: capabilities $caps"
		[ "$(val ProtectHome)" = no ] || fail "$u: ProtectHome"
		max=3.5
		;;
	cairn-iked.service)
		[ "$caps" = "CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW" ] ||
			fail "$u: capabilities $caps"
		[ "$(val ProtectHome)" = yes ] || fail "$u: ProtectHome"
		max=5.0
		;;
	esac
	if [ "$u" != cairn-mgd.service ]; then
		grep -qx 'Requires=cairn-mgd.service' "$f" || fail "$u: Requires"
		grep -q '^After=cairn-mgd.service' "$f" || fail "$u: After"
	fi
	ok "$u: hardening as promised (capabilities: ${caps:-none})"
done
if command -v systemd-analyze >/dev/null; then
	# the package's files over the host's own units (for the targets)
	for d in /lib/systemd/system /usr/lib/systemd/system; do
		[ -d "$d" ] && cp -an "$d/." "$U/" 2>/dev/null || true
	done
	# shellcheck disable=SC2086
	out=$(systemd-analyze verify --man=no --root="$X/root" $units 2>&1) ||
		fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify: $out"
	ok "systemd-analyze verify: no warnings"
	for u in $units; do
		case $u in
		cairn-mgd.service) max=2.0 ;;
		cairn-sysd.service) max=3.5 ;;
		*) max=5.0 ;;
		esac
		score=$(systemd-analyze security --offline=yes --root="$X/root" "$u" 2>/dev/null |
			sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		[ -n "$score" ] || fail "$u: no exposure score"
		awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' ||
			fail "$u: exposure $score above $max"
		ok "$u: systemd-analyze security exposure $score (ceiling $max)"
	done
else
	echo "note: no systemd-analyze; units checked by hand only"
fi
echo "package contents: ok ($(basename "$DEB"), $(stat -c %s "$DEB") bytes)"
