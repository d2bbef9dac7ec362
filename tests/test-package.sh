#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The Debian package (scripts/package: debhelper, lintian clean), installed
# into a throwaway root: this host's / under an overlay whose upper layer is
# a tmpfs, in mount and network namespaces of the test's own, with a bpffs
# instance of its own. Nothing reaches the host; it all goes when the test
# ends. In that root, as an administrator would:
#   - install: every file there; nothing runs without /etc/dupgre/dupgre.conf
#     (the hooks do nothing, dupgre.service has its condition);
#   - with the example configuration: config, check and apply --dry-run run;
#   - a live setup survives an upgrade (nothing flushed, nothing stopped);
#   - remove flushes dupgre's state and leaves only the conffiles; purge
#     leaves nothing of the package and removes /etc/dupgre.
#
#   tests/test-package.sh BUILD_DIR   (root)
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
TREE=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "test-package: needs root" >&2; exit 1; }
if dpkg-query -W -f='${Status}' dupgre 2>/dev/null | grep -q 'install ok installed'; then
	echo "test-package: dupgre is installed on this host; the test installs it in a throwaway root only" >&2
	exit 1
fi
deb=$("$TREE/scripts/package" "$BUILD/package" | tail -1)
[ -f "$deb" ] || { echo "test-package: scripts/package made no .deb" >&2; exit 1; }
T=$(mktemp -d /tmp/dupgre-package.XXXXXX)
trap 'rm -rf "$T"' EXIT
cp "$deb" "$T/dupgre.deb"
# The same package, one version later: what an upgrade installs.
dpkg-deb -R "$T/dupgre.deb" "$T/next"
sed -i 's/^Version: \(.*\)$/Version: \1+next1/' "$T/next/DEBIAN/control"
dpkg-deb -b "$T/next" "$T/dupgre-next.deb" >/dev/null
rm -rf "$T/next"

unshare --mount --net --propagation private env T="$T" bash -euo pipefail <<'INSIDE'
mkdir -p "$T/layers"
mount -t tmpfs tmpfs "$T/layers"
mkdir "$T/layers/upper" "$T/layers/work" "$T/layers/root"
R=$T/layers/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$T/layers/upper,workdir=$T/layers/work" "$R"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -t bpf bpf "$R/sys/fs/bpf"
mount --rbind /dev "$R/dev"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"
cp "$T/dupgre.deb" "$T/dupgre-next.deb" "$R/tmp/"
ip link set lo up
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
in_root() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
status() { in_root dpkg-query -W -f='${Status}' dupgre 2>/dev/null || true; }
state() { in_root dupgre-ctl -j status | jq -c '[.clone[]?.device, .eliminate[]?.device]'; }

echo "# install"
check "dpkg -i" in_root dpkg -i /tmp/dupgre.deb
check "installed" test "$(status)" = "install ok installed"
in_root dpkg -L dupgre >"$T/files"
missing=$(while read -r f; do [ -e "$R$f" ] || echo "$f"; done <"$T/files"; true)
check "every file of dpkg -L there" test -z "$missing"
check "dupgre-ctl --version runs" in_root dupgre-ctl --version
check "no /etc/dupgre/dupgre.conf comes with it" test ! -e "$R/etc/dupgre/dupgre.conf"
check "dupgre.service waits for dupgre.conf" grep -qx 'ConditionPathExists=/etc/dupgre/dupgre.conf' \
	"$R/lib/systemd/system/dupgre.service"
in_root ip tuntap add mode tun name ppp0
check "unconfigured, a pppd hook does nothing and says nothing" test -z "$(in_root env PPP_IFACE=ppp0 \
	/etc/ppp/ip-up.d/dupgre ppp0 /dev/pts/0 115200 10.66.6.1 10.66.6.66 bvpn 2>&1)"
check "... and sets nothing up" test "$(state)" = "[]"

echo "# configured: the example"
in_root ip tuntap add mode tun name eth0
mkdir -p "$R/etc/dupgre"
cp "$R/usr/share/doc/dupgre/examples/dupgre.conf.example" "$R/etc/dupgre/dupgre.conf"
check "dupgre-ctl config reads it" in_root dupgre-ctl config
rc=0; in_root dupgre-ctl check >"$T/check.out" 2>&1 || rc=$?
check "dupgre-ctl check runs (0 or 1, not a usage error)" test "$rc" -le 1 -a -s "$T/check.out"
check "dupgre-ctl apply --dry-run plans" in_root dupgre-ctl apply --dry-run

echo "# an upgrade keeps what runs"
in_root ip link set eth0 up
in_root ip link set ppp0 up
in_root dupgre-ctl attach --dev eth0 --clone-to ppp0 >/dev/null
in_root dupgre-ctl eliminate add --dev eth0 --mode drop >/dev/null
before=$(state)
check "a live setup" test "$before" = '["eth0","eth0"]'
check "dpkg -i of the next version" in_root dpkg -i /tmp/dupgre-next.deb
check "upgraded" test "$(in_root dpkg-query -W -f='${Version}' dupgre)" = "$(dpkg-deb -f "$T/dupgre-next.deb" Version)"
check "... with the setup still in place" test "$(state)" = "$before"
check "... and dupgre.conf kept" test -s "$R/etc/dupgre/dupgre.conf"

echo "# remove, purge"
check "dpkg -r" in_root dpkg -r dupgre
# (maps.debug, progs.debug: the kernel's own files in every bpffs)
find "$R/sys/fs/bpf" -mindepth 1 ! -type d ! -name "*.debug" >"$T/pins"
check "remove flushed dupgre's state: no pin left$(sed 's/^/ /' "$T/pins" | tr -d '\n')" test ! -s "$T/pins"
check "conffiles left" test "$(status)" = "deinstall ok config-files"
in_root dpkg-query -W -f='${Conffiles}' dupgre | awk '{print $1}' >"$T/conffiles"
left=$(while read -r f; do [ -f "$R$f" ] && ! grep -qx "$f" "$T/conffiles" && echo "$f"; done <"$T/files"; true)
check "nothing but conffiles left after remove${left:+: $left}" test -z "$left"
check "dpkg -P" in_root dpkg -P dupgre
check "purged" test -z "$(status | grep -v 'not-installed' || true)"
left=$(while read -r f; do [ -f "$R$f" ] && echo "$f"; done <"$T/files"; true)
check "no file of the package left after purge${left:+: $left}" test -z "$left"
check "/etc/dupgre gone with its dupgre.conf" test ! -e "$R/etc/dupgre"

echo "test-package: $pass passed, $fail failed"
[ "$fail" = 0 ]
INSIDE
