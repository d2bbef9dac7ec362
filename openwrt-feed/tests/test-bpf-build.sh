#!/usr/bin/env bash
# The BPF programs build the way the OpenWrt SDK builds them, for both byte
# orders, and the skeleton step behaves as the feed README says.
#
# The SDK's side is laid out as the SDK lays it out: bpf-headers'
# user_headers/include is a MIPS kernel's UAPI tree for every target
# (include/bpf.mk: BPF_KARCH:=mips), here Debian's linux-libc-dev-mips-cross;
# its tools/lib/bpf is libbpf's headers; bpf.mk's clang and llvm-strip and
# bpftool/host's bpftool are Debian's. Then the package Makefile itself
# (against the stub OpenWrt includes in stubs/openwrt) prepares the source and
# configures dupgre's CMake with the options it passes for CONFIG_BIG_ENDIAN
# unset and set (-target bpfel, bpfeb), and ninja (as OpenWrt's cmake.mk
# uses) builds every object bpf/CMakeLists.txt declares. Nothing of the build
# host's headers may be used: the depfiles are checked.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FEED=$(cd "$HERE/.." && pwd)
TREE=$(cd "$FEED/.." && pwd)
PKG=$FEED/net/dupgre
STUB=$HERE/stubs/openwrt
MIPS_UAPI=${MIPS_UAPI:-/usr/mips-linux-gnu/include}
CLANG=${CLANG:-clang}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }

for tool in "$CLANG" llvm-strip bpftool cmake ninja make readelf; do
	command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (scripts/install-deps)"; exit 1; }
done
[ -f "$MIPS_UAPI/asm/byteorder.h" ] ||
	{ echo "FAIL: no MIPS UAPI headers in $MIPS_UAPI (linux-libc-dev-mips-cross, scripts/install-deps)"; exit 1; }
[ -f /usr/include/bpf/bpf_helpers.h ] || { echo "FAIL: no libbpf headers (libbpf-dev)"; exit 1; }

R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
S=$R/staging_dir
mkdir -p "$S/target/bpf-headers/user_headers" "$S/target/bpf-headers/tools/lib" \
	"$S/host/llvm-bpf/bin" "$S/host/usr/sbin"
ln -s "$MIPS_UAPI" "$S/target/bpf-headers/user_headers/include"
ln -s /usr/include/bpf "$S/target/bpf-headers/tools/lib/bpf"
ln -s "$(command -v "$CLANG")" "$S/host/llvm-bpf/bin/clang"
ln -s "$(command -v llvm-strip)" "$S/host/llvm-bpf/bin/llvm-strip"
ln -s "$(command -v bpftool)" "$S/host/usr/sbin/bpftool"
resource_dir=$("$CLANG" -print-resource-dir)

objects=$(sed -n 's/^bpf_object([a-z_]* \([a-z_]*\.bpf\)\.c.*/\1.o/p' "$TREE/bpf/CMakeLists.txt")
[ -n "$objects" ] || { echo "FAIL: no bpf_object() in bpf/CMakeLists.txt"; exit 1; }

omake() { # omake TARGET [VAR=...]: the package Makefile against the stubs
	make --no-print-directory -C "$PKG" TOPDIR="$STUB" TEST_ROOT="$R" "$@"
}

for target in bpfel bpfeb; do
	big=$([ $target = bpfeb ] && echo y)
	build=$R/build-$target
	bin=$build/openwrt-build
	mkdir -p "$build"
	if ! omake prepare configure CONFIG_BIG_ENDIAN="$big" PKG_BUILD_DIR="$build" >"$R/log" 2>&1; then
		ko "$target: the package's prepare and CMake configure"; sed 's/^/    /' "$R/log" | tail -15
		continue
	fi
	for o in $objects; do
		obj=$bin/bpf/$o
		cmd=$(ninja -C "$bin" -t commands "bpf/$o" | tail -1)
		case $cmd in
		*" -target $target "*"-nostdinc"*) ok ;;
		*) ko "$o for $target: not compiled with -target $target -nostdinc: $cmd" ;;
		esac
		if ninja -C "$bin" "bpf/$o" >"$R/log" 2>&1; then ok; else
			ko "$o for $target does not build"; grep -E 'error|FAILED' "$R/log" | head -5 | sed 's/^/    /'
			continue
		fi
		want=$([ $target = bpfeb ] && echo "big endian" || echo "little endian")
		if LC_ALL=C readelf -h "$obj" | grep -q "$want"; then ok; else ko "$o for $target is not $want"; fi
		if LC_ALL=C readelf -S "$obj" | grep -q '\.BTF '; then ok; else ko "$o for $target: no .BTF after llvm-strip -g"; fi
		# Every header it read: the tree's, clang's own, or the SDK's.
		foreign=$(sed 's/\\$//; s/^[^:]*://' "$obj.d" | tr ' ' '\n' | grep . |
			grep -v -e "^$TREE/" -e "^$build/" -e "^$resource_dir/" -e "^$S/target/bpf-headers/")
		if [ -z "$foreign" ] && grep -q "$S/target/bpf-headers/user_headers/include/linux/bpf.h" "$obj.d"; then
			ok
		else
			ko "$o for $target reads headers from outside the SDK's:"; echo "$foreign" | head -5 | sed 's/^/    /'
		fi
		cp "$obj" "$R/${o%.o}.$target.o"
	done
done

# The skeletons: bpftool/host opens the object of the router's byte order,
# the build host's being little-endian. libbpf >= 1.5 (bpftool >= 7.5) opens
# either; older ones refuse the other one with "Endian mismatch"
# (openwrt-feed/README.md: which bpftool the SDK uses).
libbpf_version=$(bpftool version | sed -n 's/^using libbpf v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
read -r major minor <<<"$libbpf_version"
[ -n "$libbpf_version" ] || { ko "bpftool version names no libbpf version"; major=0 minor=0; }
for o in $objects; do
	name=${o%.bpf.o}_bpf
	el=$R/${o%.o}.bpfel.o eb=$R/${o%.o}.bpfeb.o
	[ -f "$el" ] && [ -f "$eb" ] || continue
	if bpftool gen skeleton "$el" name "$name" 2>"$R/err" | grep -q "^struct $name {"; then ok; else
		ko "bpftool gen skeleton of the bpfel $o"; head -3 "$R/err" | sed 's/^/    /'; fi
	if [ "$major" -gt 1 ] || { [ "$major" = 1 ] && [ "$minor" -ge 5 ]; }; then
		if bpftool gen skeleton "$eb" name "$name" 2>"$R/err" | grep -q "^struct $name {"; then ok; else
			ko "libbpf $major.$minor (>= 1.5) should open the bpfeb $o"; head -3 "$R/err" | sed 's/^/    /'; fi
	elif bpftool gen skeleton "$eb" name "$name" >/dev/null 2>"$R/err"; then
		ko "libbpf $major.$minor opened the bpfeb $o: the feed README says it cannot"
	elif grep -q "Endian mismatch" "$R/err"; then ok; else
		ko "libbpf $major.$minor refused the bpfeb $o, but not for its byte order:"; head -3 "$R/err" | sed 's/^/    /'
	fi
done

echo "test-bpf-build: $pass passed, $fail failed"
[ "$fail" = 0 ]
