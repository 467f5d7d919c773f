#!/bin/bash
# SPDX-License-Identifier: MIT
# run-vm-test.sh: Cairn's kernel dataplane carrying real ESP inside a qemu
# guest whose Debian kernel has ESP, xfrm interfaces and per-CPU SAs (the
# host kernel of Cairn's CI has none of them).
#
#   host                                   guest (TCG, 2 vCPUs, 512 MiB)
#   1. apt-get download the kernel         init: insmod xfrm/esp/crypto
#      (private apt state, cached)               netns L <-veth-> netns R
#   2. initramfs: busybox-static, the            dpk-vm-test L R  (Cairn's
#      kernel's modules, iproute2, the           dp_kernel_ops installs SAs,
#      test program + its ldd libraries          policies, st0 units, routes)
#   3. qemu -kernel -initrd, serial to a   ◄──   "CAIRN-VM: PASS|FAIL" on ttyS0
#      file; verdict from the last line
#
# Nothing is installed on the host: the kernel packages are unpacked into the
# cache, never into /boot. Cache: $CAIRN_VM_CACHE, else /var/cache/cairn/vm
# when that directory exists (shared by clones), else BUILD/vm-cache. A warm
# cache needs no network at all; CAIRN_VM_REFRESH=1 looks for a newer kernel.
#
# usage: run-vm-test.sh --build BUILD_DIR --test PATH/dpk-vm-test [--keep]
# env:   CAIRN_VM_SUITE (trixie-backports) CAIRN_VM_FLAVOUR (cloud-amd64)
#        CAIRN_VM_KERNEL_VERSION (newest) CAIRN_VM_MIRROR (host's apt mirror)
#        CAIRN_VM_SMP (2) CAIRN_VM_MEM (512) CAIRN_VM_TIMEOUT (240 s, guest)
set -euo pipefail

BUILD= TESTBIN= KEEP=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--test) TESTBIN=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) echo "usage: $0 --build DIR --test BIN [--keep]" >&2; exit 2 ;;
	esac
done
SUITE=${CAIRN_VM_SUITE:-trixie-backports}
FLAVOUR=${CAIRN_VM_FLAVOUR:-cloud-amd64}
KVERSION=${CAIRN_VM_KERNEL_VERSION:-}
SMP=${CAIRN_VM_SMP:-2}
MEM=${CAIRN_VM_MEM:-512}
TIMEOUT=${CAIRN_VM_TIMEOUT:-240}

T0=$(date +%s.%N)
log() { printf 'kernel-vm: %s\n' "$*" >&2; }
die() {
	printf 'kernel-vm: ERROR: %s\n' "$*" >&2
	echo "kernel-vm: 0 passed, 1 failed"
	exit 1
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

[ -n "$BUILD" ] && [ -x "$TESTBIN" ] || die "usage: $0 --build DIR --test BIN"
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces in the guest are fine, but apt-get download and qemu are run here)"
BUILD=$(cd "$BUILD" && pwd)

# ------------------------------------------------------------ host tools
missing=
for t in qemu-system-x86_64 apt-get dpkg-deb xz zstd gzip ldd flock; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
BUSYBOX=/bin/busybox
if [ ! -x $BUSYBOX ] || ldd $BUSYBOX >/dev/null 2>&1; then
	missing="$missing busybox(-static)"
fi
IPBIN=$(command -v ip || true)
[ -n "$IPBIN" ] || missing="$missing ip"
[ -z "$missing" ] || die "missing host tools:$missing - run packaging/install-deps.sh (qemu-system-x86 busybox-static xz-utils zstd cpio iproute2)"

# ----------------------------------------------------------------- cache
if [ -n "${CAIRN_VM_CACHE:-}" ]; then
	CACHE=$CAIRN_VM_CACHE
elif [ -d /var/cache/cairn/vm ] && [ -w /var/cache/cairn/vm ]; then
	CACHE=/var/cache/cairn/vm
else
	CACHE=$BUILD/vm-cache
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 900 9 || die "cache $CACHE is locked by another run for 15 minutes"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-vm.XXXXXX")
QPID=
cleanup() {
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then kill "$QPID" 2>/dev/null || true; fi
	if [ "$KEEP" = 1 ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# -------------------------------------------------------- guest kernel
# A private apt state: the host's sources and lists are neither needed nor
# changed; only the host's mirror URL and archive keyring are borrowed.
APTD=$CACHE/apt-$SUITE
APT_OPTS=(-o "Dir::State=$APTD" -o "Dir::State::Lists=$APTD/lists"
	-o "Dir::State::status=/dev/null" -o "Dir::Cache=$APTD"
	-o "Dir::Cache::archives=$APTD/archives" -o "Dir::Etc::SourceList=$APTD/sources.list"
	-o "Dir::Etc::SourceParts=$APTD/empty.d" -o "Dir::Etc::Preferences=$APTD/empty.d/none"
	-o "Dir::Etc::PreferencesParts=$APTD/empty.d" -o "APT::Architecture=amd64"
	-o "Acquire::Languages=none" -o "APT::Sandbox::User=root"
	-o "Acquire::Retries=3" -o "Acquire::http::Timeout=30")
aptc() { apt-cache "${APT_OPTS[@]}" "$@"; }
newest() {
	local v best=
	for v in $(aptc show "$1" 2>/dev/null | sed -n 's/^Version: //p'); do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done
	echo "$best"
}
depends_of() {
	aptc show "$1=$2" 2>/dev/null | sed -n 's/^Depends: //p' | head -1 |
		tr ',|' '\n\n' | sed 's/(.*//; s/ //g'
}

fetch_kernel() {
	local mirror keyring meta ver kpkg p debs=() tmp out
	mirror=${CAIRN_VM_MIRROR:-$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk '$2 !~ /security/ { print $1; exit }')}
	mirror=${mirror:-http://deb.debian.org/debian/}
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -r $keyring ] || die "no $keyring: install debian-archive-keyring (packaging/install-deps.sh)"
	mkdir -p "$APTD/lists/partial" "$APTD/archives/partial" "$APTD/empty.d"
	echo "deb [signed-by=$keyring] $mirror $SUITE main" > "$APTD/sources.list"
	log "fetching the package lists of $SUITE from $mirror"
	if ! out=$(apt-get "${APT_OPTS[@]}" update -q 2>&1) ||
		grep -q '^\(Err\|W: Failed\|E:\)' <<<"$out"; then
		die "cannot download the Debian package lists for $SUITE from $mirror:
$(grep -E '^(Err|W:|E:)' <<<"$out" | head -5)
The VM test needs one download (about 80 MB) of a Debian kernel with ESP;
afterwards it runs offline from the cache ($CACHE).
Set CAIRN_VM_MIRROR to a reachable Debian mirror, or CAIRN_VM_CACHE to a
directory holding a cache made by an earlier run."
	fi
	meta=linux-image-$FLAVOUR
	ver=${KVERSION:-$(newest "$meta")}
	[ -n "$ver" ] || die "$meta is not in $SUITE at $mirror"
	kpkg=$(depends_of "$meta" "$ver" | grep -E "^linux-image-[0-9].*-$FLAVOUR\$" | head -1)
	[ -n "$kpkg" ] || die "cannot resolve $meta=$ver to a kernel package"
	debs=("$kpkg")
	# Linux >= 7 packaging splits the image, modules and base files.
	for p in $(depends_of "$kpkg" "$ver"); do
		case "$p" in linux-binary-* | linux-modules-* | linux-base-*) debs+=("$p") ;; esac
	done
	KDIR=$CACHE/$kpkg-$ver
	if [ ! -e "$KDIR/.done" ]; then
		tmp=$KDIR.tmp
		rm -rf "$tmp" "$KDIR"
		mkdir -p "$tmp/debs"
		for p in "${debs[@]}"; do
			log "downloading $p $ver"
			(cd "$tmp/debs" && apt-get "${APT_OPTS[@]}" download -q "$p=$ver" >/dev/null 2>&1) ||
				die "apt-get download $p=$ver from $mirror failed"
		done
		for p in "$tmp"/debs/*.deb; do dpkg-deb -x "$p" "$tmp/root"; done
		rm -rf "$tmp/debs"
		touch "$tmp/.done"
		mv "$tmp" "$KDIR"
	fi
	echo "$KDIR" > "$CACHE/current-$SUITE-$FLAVOUR"
}

T1=$(date +%s.%N)
KDIR=
if [ "${CAIRN_VM_REFRESH:-0}" != 1 ] && [ -s "$CACHE/current-$SUITE-$FLAVOUR" ]; then
	KDIR=$(cat "$CACHE/current-$SUITE-$FLAVOUR")
	[ -e "$KDIR/.done" ] || KDIR=
fi
[ -n "$KDIR" ] || fetch_kernel
MODROOT=$(find "$KDIR/root" -type d -path '*/lib/modules/*' -prune -name '[0-9]*' | head -1)
VMLINUZ=$(find "$KDIR/root" -name 'vmlinuz*' -type f | head -1)
[ -n "$MODROOT" ] && [ -f "$VMLINUZ" ] || die "no kernel image or modules in $KDIR (remove it to download again)"
KV=$(basename "$MODROOT")
T_FETCH=$(since "$T1")
log "guest kernel $KV ($(basename "$KDIR")) [${T_FETCH}s]"

# ------------------------------------------------------------ initramfs
T2=$(date +%s.%N)
R=$WORK/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc,opt/bin,lib/modules/$KV}
cp $BUSYBOX "$R/bin/busybox"
for a in $($BUSYBOX --list-full); do
	case "$a" in */ip | */init | */linuxrc) continue ;; esac
	[ -e "$R/$a" ] || ln -s /bin/busybox "$R/$a"
done
copy_with_libs() { # host file, path in the guest
	local lib
	mkdir -p "$(dirname "$R$2")"
	cp -L "$1" "$R$2"
	chmod 755 "$R$2"
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
		[ -e "$R$lib" ] || { mkdir -p "$(dirname "$R$lib")"; cp -L "$lib" "$R$lib"; }
	done
}
copy_with_libs "$IPBIN" /sbin/ip # busybox's ip applet has no xfrm: this one is /sbin/ip
copy_with_libs "$TESTBIN" /opt/bin/dpk-vm-test

# Modules: decompressed once into the cache (busybox insmod reads plain .ko),
# loaded at boot in dependency order; the rest of crypto/xfrm/ip stays
# available for the kernel's own autoload (modprobe = busybox, depmod'ed).
REQUIRED="xfrm_user xfrm_interface esp4 veth authenc seqiv echainiv gcm ctr cbc hmac sha256"
OPTIONAL="esp6 aesni_intel ghash_clmulni_intel sha512 sha512_ssse3 sha256_ssse3 udp_tunnel"
AUTOLOAD="kernel/crypto kernel/arch/x86/crypto kernel/lib/crypto kernel/net/xfrm kernel/net/ipv4 kernel/net/ipv6"
PLAIN=$KDIR/plain
declare -A MODPATH=() DONE=() LOADED=()
while IFS= read -r f; do
	b=${f##*/}; b=${b%%.ko*}; MODPATH[${b//-/_}]=$f
done < <(find "$MODROOT/kernel" -name '*.ko*')
ORDER=()
builtin_mod() { grep -q "/${1}.ko\$" "$MODROOT/modules.builtin" 2>/dev/null ||
	grep -q "/${1//_/-}.ko\$" "$MODROOT/modules.builtin" 2>/dev/null; }
add_mod() { # name required load
	local n=${1//-/_} f rel d
	if [ -z "${DONE[$n]:-}" ]; then
		f=${MODPATH[$n]:-}
		if [ -z "$f" ]; then
			builtin_mod "$n" && { DONE[$n]=builtin; return 0; }
			[ "$2" = 1 ] && die "module $n is neither built in nor in $KV"
			return 0
		fi
		rel=${f#"$MODROOT"/}; rel=${rel%.xz}; rel=${rel%.zst}; rel=${rel%.gz}
		if [ ! -s "$PLAIN/$rel" ]; then
			mkdir -p "$(dirname "$PLAIN/$rel")"
			case "$f" in
			*.xz) xz -dc "$f" > "$PLAIN/$rel.tmp" ;;
			*.zst) zstd -qdc "$f" > "$PLAIN/$rel.tmp" ;;
			*.gz) gzip -dc "$f" > "$PLAIN/$rel.tmp" ;;
			*) cp "$f" "$PLAIN/$rel.tmp" ;;
			esac
			tr '\0' '\n' < "$PLAIN/$rel.tmp" | sed -n 's/^depends=//p' | tr ',' ' ' > "$PLAIN/$rel.deps"
			mv "$PLAIN/$rel.tmp" "$PLAIN/$rel"
		fi
		mkdir -p "$(dirname "$R/lib/modules/$KV/$rel")"
		cp "$PLAIN/$rel" "$R/lib/modules/$KV/$rel"
		DONE[$n]=$rel
		for d in $(cat "$PLAIN/$rel.deps"); do add_mod "$d" 1 0; done
	fi
	if [ "$3" = 1 ] && [ "${DONE[$n]}" != builtin ] && [ -z "${LOADED[$n]:-}" ]; then
		LOADED[$n]=1
		for d in $(cat "$PLAIN/${DONE[$n]}.deps"); do add_mod "$d" 1 1; done
		ORDER+=("/lib/modules/$KV/${DONE[$n]}")
	fi
}
for m in $REQUIRED; do add_mod "$m" 1 1; done
for m in $OPTIONAL; do add_mod "$m" 0 1; done
for d in $AUTOLOAD; do
	[ -d "$MODROOT/$d" ] || continue
	while IFS= read -r f; do b=${f##*/}; add_mod "${b%%.ko*}" 0 0; done < <(find "$MODROOT/$d" -name '*.ko*')
done
printf '%s\n' "${ORDER[@]}" > "$R/etc/modules.load"
cp "$MODROOT/modules.builtin" "$MODROOT/modules.order" "$R/lib/modules/$KV/" 2>/dev/null || true
$BUSYBOX depmod -b "$R" "$KV" 2>/dev/null || true

cat > "$R/init" <<'EOF'
#!/bin/sh
# Cairn kernel-dataplane VM test: guest side.
export PATH=/opt/bin:/sbin:/bin:/usr/sbin:/usr/bin
up() { cut -d' ' -f1 /proc/uptime; }
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
echo /sbin/modprobe > /proc/sys/kernel/modprobe
echo "CAIRN-VM: BOOTED $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) at $(up)s"
n=0
for m in $(cat /etc/modules.load); do
	if insmod "$m" 2>/tmp/err; then n=$((n + 1)); else echo "insmod $m: $(cat /tmp/err)"; fi
done
echo "modules loaded: $n at $(up)s"
# The plain topology; everything IPsec is Cairn's (dpk-vm-test).
IP=/sbin/ip
$IP netns add L && $IP netns add R
$IP -n L link add vL type veth peer name vR netns R
$IP -n L link set lo up; $IP -n R link set lo up
$IP -n L addr add 192.0.2.1/24 dev vL; $IP -n L link set vL up
$IP -n R addr add 192.0.2.2/24 dev vR; $IP -n R link set vR up
$IP -n L addr add 2001:db8:2::1/64 dev vL nodad; $IP -n R addr add 2001:db8:2::2/64 dev vR nodad
for a in 10.0.1.1 10.0.5.1; do $IP -n L addr add $a/32 dev lo; done
for a in 10.0.2.1 10.0.6.1; do $IP -n R addr add $a/32 dev lo; done
$IP -n L route add 10.0.2.0/24 via 192.0.2.2 src 10.0.1.1
$IP -n L route add 10.0.6.0/24 via 192.0.2.2 src 10.0.5.1
$IP -n R route add 10.0.1.0/24 via 192.0.2.1 src 10.0.2.1
$IP -n R route add 10.0.5.0/24 via 192.0.2.1 src 10.0.6.1
if $IP netns exec L ping -q -c 1 -W 2 192.0.2.2 >/dev/null; then
	echo "ok   - outer path 192.0.2.1 -> 192.0.2.2 (plain)"
else
	echo "FAIL - outer path 192.0.2.1 -> 192.0.2.2 (plain)"
fi
dpk-vm-test L R
rc=$?
echo "== state left in L after close:"
$IP -n L xfrm state | head -5; $IP -n L xfrm policy | head -5
[ $rc = 0 ] && v=PASS || v=FAIL
echo "CAIRN-VM: $v rc=$rc kernel=$(uname -r) at $(up)s"
poweroff -f
EOF
chmod 755 "$R/init"
(cd "$R" && find . | LC_ALL=C sort | $BUSYBOX cpio -o -H newc 2>/dev/null | gzip -1) > "$WORK/initramfs.gz"
T_INITRD=$(since "$T2")
log "initramfs $(du -h "$WORK/initramfs.gz" | cut -f1), ${#ORDER[@]} modules loaded at boot [${T_INITRD}s]"

# ----------------------------------------------------------------- boot
# TCG only (the CI hosts cannot run stock kernels under KVM); one host
# thread for all vCPUs: multi-threaded TCG crashed ~1 boot in 30.
SERIAL=$WORK/serial.log
boot() {
	local deadline=$((SECONDS + TIMEOUT))
	: > "$SERIAL"
	qemu-system-x86_64 -accel tcg,thread=single -cpu max -smp "$SMP" -m "$MEM" \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$SERIAL" -kernel "$VMLINUZ" -initrd "$WORK/initramfs.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" \
		</dev/null >"$WORK/qemu.err" 2>&1 &
	QPID=$!
	while kill -0 "$QPID" 2>/dev/null; do
		if [ $SECONDS -ge $deadline ]; then
			log "guest did not finish within ${TIMEOUT}s: stopping it"
			kill "$QPID" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	wait "$QPID" 2>/dev/null || true
	QPID=
}
T3=$(date +%s.%N)
boot
if ! grep -q 'CAIRN-VM: BOOTED' "$SERIAL"; then
	log "the guest died before init; booting once more. Its last words:"
	tr -d '\r' < "$SERIAL" | tail -n 20 >&2
	boot
fi
T_BOOT=$(since "$T3")
tr -d '\r' < "$SERIAL" | sed 's/\x1b[[()][0-9;?]*[A-Za-z]//g; s/\x1bc//g'
[ -s "$WORK/qemu.err" ] && sed 's/^/qemu: /' "$WORK/qemu.err" >&2
NPASS=$(grep -c '^ok ' "$SERIAL" || true)
NFAIL=$(grep -c '^FAIL ' "$SERIAL" || true)
log "kernel $KV, smp $SMP, TCG: fetch ${T_FETCH}s, initramfs ${T_INITRD}s, boot+test ${T_BOOT}s, total $(since "$T0")s"
if grep -q '^CAIRN-VM: PASS' "$SERIAL"; then
	echo "kernel-vm: $NPASS passed, $NFAIL failed"
	exit 0
fi
grep -q 'CAIRN-VM: ' "$SERIAL" || log "no verdict from the guest (crashed or timed out)"
[ "$NFAIL" -gt 0 ] || NFAIL=1
echo "kernel-vm: $NPASS passed, $NFAIL failed"
exit 1
