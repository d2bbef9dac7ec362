#!/usr/bin/env bash
# Structural test of the feed's package Makefiles, on Debian: GNU make reads
# them against stub OpenWrt include files (stubs/openwrt: rules.mk,
# package.mk, cmake.mk, bpf.mk), prints their variables and, with make -n,
# their recipes; the install recipes really run into a temp dir. Checks the
# fields OpenWrt requires, the dependencies, that the BPF programs compiled
# are exactly those bpf/CMakeLists.txt embeds, with UAPI headers only and the
# target's endianness, the CMake options, both source modes, and the files
# installed. Plus sh -n / shellcheck of the shell files.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FEED=$(cd "$HERE/.." && pwd)
TREE=$(cd "$FEED/.." && pwd)
PKG=$FEED/net/dupgre
STUB=$HERE/stubs/openwrt

pass=0 fail=0
check() { # check NAME COMMAND...
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $name"; fi
}
has() { grep -qF -- "$2" <<<"$1"; }
hasnt() { ! grep -qF -- "$2" <<<"$1"; }
val() { sed -n "s|^$2=||p" <<<"$1"; }

R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
# The SDK's clang is asked for its resource dir when the BPF flags expand.
mkdir -p "$R/staging_dir/host/llvm-bpf/bin"
printf '#!/bin/sh\n[ "$1" = -print-resource-dir ] && echo /llvm/lib/clang/18\n' \
	> "$R/staging_dir/host/llvm-bpf/bin/clang"
chmod +x "$R/staging_dir/host/llvm-bpf/bin/clang"

omake() { # omake DIR [VAR=...] TARGET...
	local dir=$1; shift
	make --no-print-directory -C "$dir" TOPDIR="$STUB" TEST_ROOT="$R" "$@" 2>"$R/stderr"
}

# --- dupgre, built from the tree it sits in (src-link) -------------------
info=$(omake "$PKG" info)
check "make info runs without errors" test $? = 0 -a ! -s "$R/stderr"
[ -s "$R/stderr" ] && sed 's/^/    /' "$R/stderr"

want_version=$(sed -n 's/^project(dupgre VERSION \([0-9.]*\).*/\1/p' "$TREE/CMakeLists.txt")
check "PKG_NAME is dupgre" test "$(val "$info" PKG_NAME)" = dupgre
check "PKG_VERSION is the CMake project version ($want_version)" \
	test -n "$want_version" -a "$(val "$info" PKG_VERSION)" = "$want_version"
check "PKG_RELEASE is a number" grep -qx '[0-9][0-9]*' <<<"$(val "$info" PKG_RELEASE)"
check "PKG_LICENSE is set" test -n "$(val "$info" PKG_LICENSE)"
check "local mode downloads nothing" test -z "$(val "$info" PKG_SOURCE_URL)"
for d in bpf-headers bpftool/host cli11 nlohmannjson; do
	check "PKG_BUILD_DEPENDS has $d" has " $(val "$info" PKG_BUILD_DEPENDS) " " $d "
done
deps=" $(val "$info" DEPENDS/dupgre) "
for d in +libbpf +libstdcpp +kmod-sched-core +kmod-sched-bpf @HAS_BPF_TOOLCHAIN +kmod-nft-queue +resolveip; do
	check "dupgre DEPENDS has $d" has "$deps" " $d "
done
check "the order stage's rule needs no iptables (fw4: an nft chain of dupgre's own)" \
	test "$(grep -c iptables <<<"$deps")" = 0
check "collector package depends on dupgre and the exporter" \
	has "$(val "$info" DEPENDS/prometheus-node-exporter-lua-dupgre)" "+dupgre +prometheus-node-exporter-lua"
check "conffiles: /etc/config/dupgre" test "$(val "$info" CONFFILES/dupgre)" = /etc/config/dupgre

# Source copied from the tree, and a rebuild when it changes.
prep=$(omake "$PKG" -n prepare)
for f in CMakeLists.txt cmake bpf include loader; do
	check "prepare copies $f" has "$prep" "$TREE/$f"
	check "$f exists in the tree" test -e "$TREE/$f"
	check "PKG_FILE_DEPENDS has $f" has "$(val "$info" PKG_FILE_DEPENDS)" "$TREE/$f"
done
# Everything CMake reads must be copied: the top level's unconditional
# subdirectories (the indented ones are under if(DUPGRE_TESTS), which is OFF).
for sub in $(sed -n 's/^add_subdirectory(\([a-z_]*\)).*/\1/p' "$TREE/CMakeLists.txt"); do
	[ "$sub" = tests ] && continue
	check "prepare copies add_subdirectory($sub)" has "$prep" "$TREE/$sub "
done

# BPF and CMake: the SDK's tools, the target's endianness, UAPI headers
# from bpf-headers; the options must exist in dupgre's CMake files.
build_dir=$(val "$info" PKG_BUILD_DIR)
for big in "" y; do
	opts=$(val "$(omake "$PKG" info CONFIG_BIG_ENDIAN=$big)" CMAKE_OPTIONS)
	check "CMake: BPF target bpf$([ -n "$big" ] && echo eb || echo el) [big=$big]" \
		has "$opts" "-DDUPGRE_BPF_TARGET=bpf$([ -n "$big" ] && echo eb || echo el) "
done
check "CMake: -DDUPGRE_TESTS=OFF" has "$opts" "-DDUPGRE_TESTS=OFF"
check "CMake: -DDUPGRE_WERROR=OFF" has "$opts" "-DDUPGRE_WERROR=OFF"
check "CMake: the SDK's clang" has "$opts" "-DCLANG=$R/staging_dir/host/llvm-bpf/bin/clang "
check "CMake: the SDK's llvm-strip" has "$opts" "-DLLVM_STRIP=$R/staging_dir/host/llvm-bpf/bin/llvm-strip "
check "CMake: UAPI and libbpf headers from bpf-headers, nothing else" has "$opts" \
	"-DDUPGRE_BPF_INCLUDE_DIRS=\"$R/staging_dir/target/bpf-headers/user_headers/include;$R/staging_dir/target/bpf-headers/tools/lib\""
check "CMake: not the kernel-internal headers" hasnt "$opts" "bpf-headers/include"
check "CMake: the host bpftool" has "$opts" "-DBPFTOOL=$R/staging_dir/host/usr/sbin/bpftool"
check "no CompileBPF (see the Makefile: its BTF)" hasnt "$(omake "$PKG" -n compile)" "llc "
for o in DUPGRE_TESTS DUPGRE_WERROR CLANG BPFTOOL; do
	check "CMake knows $o" grep -rqw "$o" "$TREE/CMakeLists.txt" "$TREE/cmake"
done
pending=
for o in DUPGRE_BPF_TARGET DUPGRE_BPF_INCLUDE_DIRS LLVM_STRIP; do
	if grep -rqw "$o" "$TREE/CMakeLists.txt" "$TREE/cmake"; then
		check "CMake knows $o" true
	else
		pending="$pending $o"
	fi
done
[ -n "$pending" ] && echo "NOTE: CMake does not read$pending yet (pending change, see openwrt-feed/README.md)"

# Install: run the recipes into a temp root, with a fake dupgre-ctl where
# CMake builds it (loader/, no RUNTIME_OUTPUT_DIRECTORY), not `cmake --install`.
check "CMake builds dupgre-ctl in loader/" grep -q '^add_executable(dupgre-ctl ' "$TREE/loader/CMakeLists.txt"
check "... at the default place" bash -c "! grep -rq RUNTIME_OUTPUT_DIRECTORY '$TREE/CMakeLists.txt' '$TREE/loader' '$TREE/cmake'"
check "no cmake --install (Build/Install is empty)" test -z "$(omake "$PKG" -s -n install-step)"
mkdir -p "$R/build/openwrt-build/loader" "$R/root" "$R/root-lua"
touch "$R/build/openwrt-build/loader/dupgre-ctl"
omake "$PKG" install-dupgre IDIR="$R/root" PKG_BUILD_DIR="$R/build" >/dev/null
check "install-dupgre runs" test $? = 0
for f in usr/sbin/dupgre-ctl usr/libexec/dupgre-apply etc/init.d/dupgre etc/init.d/dupgre-hold etc/init.d/dupgre-adapt \
	usr/share/dupgre/dupgre.firewall etc/uci-defaults/90-dupgre; do
	check "installs /$f, executable" test -x "$R/root/$f"
done
check "installs /etc/config/dupgre, mode 600" test "$(stat -c %a "$R/root/etc/config/dupgre" 2>/dev/null)" = 600
check "installs an iface hotplug hook" test -f "$(echo "$R"/root/etc/hotplug.d/iface/*-dupgre)"
check "the init script calls the installed apply" grep -q '^APPLY=/usr/libexec/dupgre-apply$' "$R/root/etc/init.d/dupgre"
check "the hotplug hook calls the installed apply" grep -q ':-/usr/libexec/dupgre-apply}' "$R"/root/etc/hotplug.d/iface/*-dupgre
check "the hotplug hook checks the installed init script" grep -q ':-/etc/init.d/dupgre}' "$R"/root/etc/hotplug.d/iface/*-dupgre
check "apply runs the installed dupgre-ctl" grep -q ':-/usr/sbin/dupgre-ctl}' "$R/root/usr/libexec/dupgre-apply"
check "the holder has no boot link: apply starts it (no START)" bash -c "! grep -q '^START=' '$R/root/etc/init.d/dupgre-hold'"
# default_postinst starts every init script it installs.
check "the holder does not start while dupgre is disabled" grep -q 'config_get_bool enabled main enabled 0' "$R/root/etc/init.d/dupgre-hold"
check "serve does not start unless enabled" grep -q 'config_get_bool enabled serve enabled 0' "$R/root/etc/init.d/dupgre-serve"
check "the shipped serve section is off" bash -c "grep -A1 \"^config serve 'serve'\" '$R/root/etc/config/dupgre' | grep -q \"option enabled '0'\""
for f in dupgre-hold dupgre-serve; do
	check "$f backs off: respawn with a delay and a limit" grep -Eq 'respawn [0-9]+ [1-9][0-9]* [1-9][0-9]*$' "$R/root/etc/init.d/$f"
done
check "the firewall include applies the installed way" grep -q '^/usr/libexec/dupgre-apply sync$' "$R/root/usr/share/dupgre/dupgre.firewall"
check "uci-defaults adds the firewall include it installs" grep -q 'firewall.dupgre.path=/usr/share/dupgre/dupgre.firewall$' "$R/root/etc/uci-defaults/90-dupgre"
check "the removal deletes the firewall include" has "$(val "$info" POSTRM/dupgre 2>/dev/null)$(grep -A4 '^define Package/dupgre/postrm' "$PKG/Makefile")" "uci -q delete firewall.dupgre"
check "conffiles are installed" test -f "$R/root$(val "$info" CONFFILES/dupgre)"
omake "$PKG" install-prometheus-node-exporter-lua-dupgre IDIR="$R/root-lua" >/dev/null
check "installs the exporter collector" test -f "$R/root-lua/usr/lib/lua/prometheus-collectors/dupgre.lua"
for f in $(grep -o '\./files/[^ ]*' "$PKG/Makefile" | sort -u); do
	check "$f exists" test -f "$PKG/$f"
done
for f in "$PKG"/files/*; do
	check "files/${f##*/} is installed" grep -q "./files/${f##*/} " "$PKG/Makefile"
done

# --- dupgre, copied into another feed: a checkout named by USE_SOURCE_DIR --
# No release to download, so no PKG_SOURCE_URL and no skipped hash (OpenWrt
# requires a real PKG_HASH/PKG_MIRROR_HASH for anything it downloads).
mkdir -p "$R/feed/net"
cp -r "$PKG" "$R/feed/net/dupgre"
ginfo=$(omake "$R/feed/net/dupgre" info)
check "copied: make info runs" test $? = 0 -a ! -s "$R/stderr"
check "copied: downloads nothing" test -z "$(val "$ginfo" PKG_SOURCE_URL)$(val "$ginfo" PKG_SOURCE_PROTO)"
check "copied: no skipped hash" test "$(val "$ginfo" PKG_MIRROR_HASH)" != skip
nosrc=$(make --no-print-directory -C "$R/feed/net/dupgre" TOPDIR="$STUB" TEST_ROOT="$R" prepare 2>&1)
check "copied: without USE_SOURCE_DIR, prepare fails" test $? != 0
check "copied: ... and says to set USE_SOURCE_DIR" has "$nosrc" "USE_SOURCE_DIR=/path/to/dupgre"
uinfo=$(omake "$R/feed/net/dupgre" info USE_SOURCE_DIR="$TREE")
check "copied: PKG_VERSION from USE_SOURCE_DIR's project() ($want_version)" \
	test "$(val "$uinfo" PKG_VERSION)" = "$want_version"
check "copied: USE_SOURCE_DIR works" has "$(omake "$R/feed/net/dupgre" -n prepare USE_SOURCE_DIR="$TREE")" "ln -snf $TREE"
check "PKG_MAINTAINER is 'Name <email>'" grep -Eq '^PKG_MAINTAINER:=[^<]+ <[^@> ]+@[^> ]+>$' "$PKG/Makefile"
check "CMake: -DDUPGRE_SMALL=ON (the router build)" has "$opts" "-DDUPGRE_SMALL=ON"
check "CMake knows DUPGRE_SMALL" grep -qw DUPGRE_SMALL "$TREE/CMakeLists.txt"
check "CMake: dupgre-ctl's default --config is the file dupgre-apply writes" \
	has "$opts" "-DDUPGRE_CONFIG_PATH=/var/run/dupgre/dupgre.conf"
check "... which dupgre-apply writes" grep -q 'STATE_DIR="${DUPGRE_STATE_DIR:-/var/run/dupgre}"' "$PKG/files/dupgre-apply"
check "CMake knows DUPGRE_CONFIG_PATH" grep -qw DUPGRE_CONFIG_PATH "$TREE/loader/CMakeLists.txt"

# --- cli11 ---------------------------------------------------------------
cinfo=$(omake "$FEED/libs/cli11" info)
check "cli11: make info runs" test $? = 0 -a ! -s "$R/stderr"
check "cli11: build-only" test "$(val "$cinfo" BUILDONLY/cli11)" = 1
check "cli11: installs headers and CMake config to staging" test "$(val "$cinfo" CMAKE_INSTALL)" = 1
check "cli11: has a source and a hash" test -n "$(val "$cinfo" PKG_SOURCE_URL)" -a -n "$(val "$cinfo" PKG_MIRROR_HASH)"
check "cli11: a real sha256, not skip" grep -Eq '^[0-9a-f]{64}$' <<<"$(val "$cinfo" PKG_MIRROR_HASH)"
check "cli11: installs its CMake config" has "$(val "$cinfo" CMAKE_OPTIONS)" "-DCLI11_INSTALL=ON"

# --- Makefile text ---------------------------------------------------------
for mk in "$PKG/Makefile" "$FEED/libs/cli11/Makefile"; do
	n=${mk#"$FEED"/}
	check "$n: define/endef balanced" test "$(grep -c '^define ' "$mk")" = "$(grep -c '^endef' "$mk")"
	# Inside Build/* and Package/*/install blocks every line is a recipe line.
	check "$n: recipe lines start with a tab" awk '
		/^define (Build\/|Package\/.*\/install)/ { r = 1; next }
		/^endef/ { r = 0; next }
		r && !/^\t/ && !/^$/ { bad = 1 }
		END { exit bad }' "$mk"
	check "$n: no whitespace after a backslash" bash -c "! grep -q '\\\\[[:space:]]\$' '$mk'"
	check "$n: PKG_NAME, PKG_VERSION, PKG_RELEASE, PKG_LICENSE" \
		bash -c "grep -q '^PKG_NAME:=' '$mk' && grep -q 'PKG_VERSION:=' '$mk' && grep -q '^PKG_RELEASE:=' '$mk' && grep -q '^PKG_LICENSE:=' '$mk'"
	check "$n: ends with BuildPackage" bash -c "tail -1 '$mk' | grep -q '^\$(eval \$(call BuildPackage,'"
done
# scripts/feeds scans the feed (src-git: the whole repository, as committed)
# for files named Makefile: only package Makefiles may be called that.
check "the only committed Makefiles are packages" test -z "$(cd "$TREE" &&
	git ls-files 2>/dev/null | grep '\(^\|/\)Makefile$' |
	grep -v '^openwrt-feed/\(net\|libs\)/[^/]*/Makefile$')"

# --- shell files -------------------------------------------------------------
for f in dupgre-apply dupgre.hotplug dupgre.init dupgre-hold.init dupgre-adapt.init dupgre.firewall dupgre.defaults; do
	check "files/$f: sh -n" sh -n "$PKG/files/$f"
done
if command -v shellcheck >/dev/null; then
	# local is in every shell OpenWrt has (busybox ash); rc.common defines
	# the init script's variables; the OpenWrt libraries are not here.
	check "shellcheck dupgre-apply, hotplug" shellcheck -S warning -s sh -e SC3043,SC1091 \
		"$PKG/files/dupgre-apply" "$PKG/files/dupgre.hotplug" "$PKG/files/dupgre.firewall" "$PKG/files/dupgre.defaults"
	check "shellcheck dupgre.init" shellcheck -S warning -s sh -e SC3043,SC1091,SC2034 "$PKG/files/dupgre.init"
fi

echo "test-makefile: $pass passed, $fail failed"
[ "$fail" = 0 ]
