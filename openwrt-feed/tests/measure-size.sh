#!/usr/bin/env bash
# What dupgre-ctl costs on a MIPS router's flash, measured by cross-building
# it for mipsel with clang and lld against Debian's mipsel sysroot
# (libstdc++ 12, glibc; scripts/install-deps --cross: Debian's
# g++-mipsel-linux-gnu conflicts with the gcc-multilib the i386 tests need),
# as the OpenWrt package would (-DDUPGRE_BPF_TARGET=bpfel, the
# programs against MIPS UAPI headers), once as a plain release build and
# once with -DDUPGRE_SMALL=ON (what net/dupgre/Makefile passes), each
# stripped as OpenWrt strips what it packages. Not a test (it takes minutes
# and a cross compiler); the figures are in openwrt-feed/README.md.
#
# Debian has no mipsel libbpf next to the amd64 one (multiarch needs equal
# versions and bookworm's mipsel ones lag), so dupgre-ctl is compiled
# against the host's libbpf headers (the same on every arch) and linked
# with libbpf's symbols left unresolved: the figure is dupgre-ctl's own
# code and what it instantiates from libstdc++, which is what these flags
# change. glibc here, musl on OpenWrt: the libc calls are few. clang++ does
# not take the C _Bool that bpftool 7.1 writes into skeletons (g++ does), so
# it is defined to bool here.
#
#   openwrt-feed/tests/measure-size.sh [SOURCE_TREE]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TREE=$(cd "${1:-$HERE/../..}" && pwd)
CROSS=mipsel-linux-gnu
MIPS_UAPI=/usr/mips-linux-gnu/include
[ -f /usr/$CROSS/lib/libstdc++.so.6 ] && [ -d /usr/lib/gcc-cross/$CROSS ] ||
	{ echo "measure-size: no $CROSS sysroot (scripts/install-deps --cross)" >&2; exit 1; }
for tool in clang clang++ ld.lld llvm-strip llvm-readelf llvm-size cmake ninja bpftool; do
	command -v "$tool" >/dev/null || { echo "measure-size: $tool not found (scripts/install-deps --cross)" >&2; exit 1; }
done

R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
# libbpf for the target: its headers, no library (see above).
mkdir -p "$R/inc" "$R/pkgconfig" "$R/sdk/tools/lib"
ln -s /usr/include/bpf "$R/inc/bpf"
ln -s /usr/include/bpf "$R/sdk/tools/lib/bpf"
cat >"$R/pkgconfig/libbpf.pc" <<EOF
Name: libbpf
Description: libbpf headers only (measure-size.sh)
Version: $(pkg-config --modversion libbpf)
Cflags: -I$R/inc
Libs:
EOF

build() { # build NAME CMAKE_ARGS...: prints the stripped dupgre-ctl's path
	local name=$1 b=$R/$1
	shift
	PKG_CONFIG_LIBDIR=$R/pkgconfig PKG_CONFIG_PATH= \
	cmake -S "$TREE" -B "$b" -G Ninja -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=mips \
		-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
		-DCMAKE_C_COMPILER_TARGET=$CROSS -DCMAKE_CXX_COMPILER_TARGET=$CROSS \
		-DCMAKE_CXX_FLAGS=-D_Bool=bool \
		-DCMAKE_EXE_LINKER_FLAGS="-fuse-ld=lld -no-pie -Wl,--unresolved-symbols=ignore-all" \
		-DCMAKE_BUILD_TYPE=Release -DDUPGRE_TESTS=OFF -DDUPGRE_BPF_TARGET=bpfel \
		-DDUPGRE_BPF_INCLUDE_DIRS="$MIPS_UAPI;$R/sdk/tools/lib" "$@" >"$R/$name.log" 2>&1 ||
		{ tail -20 "$R/$name.log" >&2; exit 1; }
	nice -n 10 ninja -C "$b" -j2 dupgre-ctl >>"$R/$name.log" 2>&1 || { tail -20 "$R/$name.log" >&2; exit 1; }
	llvm-strip --strip-all -R .comment -o "$b/dupgre-ctl.stripped" "$b/loader/dupgre-ctl"
	echo "$b/dupgre-ctl.stripped"
}

report() { # report NAME FILE
	local text data bss
	read -r text data bss _ < <(llvm-size "$2" | tail -1)
	printf '%-28s %8d bytes stripped (text %d, data %d, bss %d)\n' "$1" "$(stat -c %s "$2")" "$text" "$data" "$bss"
}

plain=$(build release)
small=$(build small -DDUPGRE_SMALL=ON)
echo "dupgre-ctl for mipsel ($(clang --version | head -1), $(git -C "$TREE" describe --always --dirty 2>/dev/null || echo "$TREE")):"
report "Release (-O3)" "$plain"
report "DUPGRE_SMALL=ON (-Os, LTO)" "$small"
echo "needs: $(llvm-readelf -d "$small" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
echo "libstdc++ for mipsel (Debian's, stripped): $(stat -L -c %s /usr/$CROSS/lib/libstdc++.so.6) bytes"
