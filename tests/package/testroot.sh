# SPDX-License-Identifier: MIT
# testroot.sh: a throw-away Debian 12 root for the package tests (sourced).
#
#   testroot_extract DIR     a fresh minbase root in DIR (from the cache)
#   testroot_apt_config DIR  the host's bookworm sources, apt network
#                            settings and resolv.conf, copied into DIR
#
# The root is `debootstrap --variant=minbase bookworm` from the host's own
# mirror, built once and cached as a tarball under $CAIRN_TESTROOT_CACHE
# (default /var/cache/cairn/testroot); every run extracts a new copy. apt's
# package lists and downloaded packages are cached there too, so later runs
# fetch only what changed. /usr/sbin/policy-rc.d in the root answers 101:
# packages installed there never start daemons.

TESTROOT_CACHE=${CAIRN_TESTROOT_CACHE:-/var/cache/cairn/testroot}
TESTROOT_SUITE=bookworm
TESTROOT_VERSION=1 # bump when the preparation below changes

# The host's "URI SUITE" pairs for bookworm, bookworm-updates and
# bookworm-security, component main (apt's own view of its sources).
testroot_sources() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(IDENTIFIER)' \
		2>/dev/null | awk -v s="$TESTROOT_SUITE" \
		'$4 == "Packages" && $3 == "main" && ($2 == s || index($2, s "-") == 1) { print $1, $2 }' |
		sort -u
}

testroot_mirror() {
	local m
	m=$(testroot_sources | awk -v s="$TESTROOT_SUITE" '$2 == s { print $1; exit }')
	echo "${m:-http://deb.debian.org/debian/}"
}

_testroot_build() {
	local tarball=$1 b arch mirror rc
	arch=$(dpkg --print-architecture)
	mirror=$(testroot_mirror)
	b=$(mktemp -d "$TESTROOT_CACHE/build.XXXXXX")
	echo "testroot: debootstrap --variant=minbase $TESTROOT_SUITE from $mirror (cached afterwards)"
	rc=0
	# its own mount namespace: the mounts debootstrap makes vanish with it
	unshare --mount --propagation private -- debootstrap --variant=minbase --arch="$arch" \
		--components=main "$TESTROOT_SUITE" "$b/root" "$mirror" >"$b/debootstrap.log" 2>&1 ||
		rc=$?
	if [ $rc -ne 0 ]; then
		tail -n 20 "$b/debootstrap.log" >&2
		rm -rf --one-file-system "$b"
		echo "testroot: debootstrap failed ($rc)" >&2
		return 1
	fi
	printf '#!/bin/sh\n# package tests: never start daemons from maintainer scripts\nexit 101\n' \
		>"$b/root/usr/sbin/policy-rc.d"
	chmod 755 "$b/root/usr/sbin/policy-rc.d"
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$b/root/etc/hosts"
	echo testroot >"$b/root/etc/hostname"
	rm -f "$b/root/etc/resolv.conf" "$b/root"/var/cache/apt/*.bin \
		"$b/root"/var/cache/apt/archives/*.deb
	find "$b/root/var/lib/apt/lists" -maxdepth 1 -type f -delete
	tar -C "$b/root" --numeric-owner -cf - . | zstd -q -T0 -6 >"$b/root.tar.zst"
	mv "$b/root.tar.zst" "$tarball"
	rm -rf --one-file-system "$b"
}

testroot_extract() {
	local dir=$1 arch tarball
	arch=$(dpkg --print-architecture)
	tarball=$TESTROOT_CACHE/$TESTROOT_SUITE-minbase-$arch-v$TESTROOT_VERSION.tar.zst
	mkdir -p "$TESTROOT_CACHE/lists/partial" "$TESTROOT_CACHE/archives/partial"
	(
		flock 9
		[ -s "$tarball" ] || _testroot_build "$tarball"
	) 9>"$TESTROOT_CACHE/.lock" || return 1
	mkdir -p "$dir"
	zstd -q -d -c "$tarball" | tar -C "$dir" --numeric-owner -xpf -
}

testroot_apt_config() {
	local r=$1 uri suite
	: >"$r/etc/apt/sources.list"
	while read -r uri suite; do
		echo "deb $uri $suite main" >>"$r/etc/apt/sources.list"
	done < <(testroot_sources)
	[ -s "$r/etc/apt/sources.list" ] ||
		echo "deb $(testroot_mirror) $TESTROOT_SUITE main" >"$r/etc/apt/sources.list"
	apt-config dump 2>/dev/null |
		grep -E '^Acquire::((https?|ftp)::Proxy|Check-Valid-Until|Check-Date|ForceIPv4|Retries) ' \
			>"$r/etc/apt/apt.conf.d/00testroot-host" || true
	printf 'APT::Install-Recommends "false";\nDPkg::Lock::Timeout "300";\n' \
		>"$r/etc/apt/apt.conf.d/01testroot"
	rm -f "$r/etc/resolv.conf"
	cp -L /etc/resolv.conf "$r/etc/resolv.conf"
}
