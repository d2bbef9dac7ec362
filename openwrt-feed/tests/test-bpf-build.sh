#!/usr/bin/env bash
# The BPF programs build the way the OpenWrt package builds them (through
# the CMake options it passes, see net/dupgre/Makefile): clang -target
# bpfel and bpfeb, -nostdinc, clang's own freestanding headers, and only a
# UAPI tree laid out like bpf-headers' user_headers/include plus libbpf's
# headers like its tools/lib. The stand-in UAPI tree links the build host's
# linux/, asm-generic/ and asm/ (bpf-headers has mips' asm/), so a program
# that includes anything from libc or the kernel's internals fails here.
# Each program gets the extra flags bpf/CMakeLists.txt gives it.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TREE=$(cd "$HERE/../.." && pwd)
CLANG=${CLANG:-clang}
STRIP=${LLVM_STRIP:-llvm-strip}
pass=0 fail=0

R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
mkdir -p "$R/user_headers/include" "$R/tools/lib"
ln -s /usr/include/linux /usr/include/asm-generic "$R/user_headers/include/"
ln -s "/usr/include/$multiarch/asm" "$R/user_headers/include/asm"
ln -s /usr/include/bpf "$R/tools/lib/bpf"
res=$("$CLANG" -print-resource-dir)/include

while read -r src flags; do
	for target in bpfel bpfeb; do
		obj="$R/${src%.c}.$target.o"
		if "$CLANG" -g -O2 -target "$target" $flags -nostdinc -isystem "$res" \
			-isystem "$R/user_headers/include" -isystem "$R/tools/lib" \
			-I"$TREE/include" -I"$TREE/bpf" -Wall -Wextra -Wno-unused-parameter -Werror \
			-c "$TREE/bpf/$src" -o "$obj" 2>"$R/err"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1)); echo "FAIL: $src for $target"; sed 's/^/    /' "$R/err" | head -5
			continue
		fi
		want=$([ $target = bpfeb ] && echo "big endian" || echo "little endian")
		if LC_ALL=C readelf -h "$obj" | grep -q "$want"; then pass=$((pass + 1)); else
			fail=$((fail + 1)); echo "FAIL: $src for $target is not $want"; fi
		"$STRIP" -g "$obj"
		if LC_ALL=C readelf -S "$obj" | grep -q '\.BTF '; then pass=$((pass + 1)); else
			fail=$((fail + 1)); echo "FAIL: $src for $target: no .BTF after llvm-strip -g"; fi
	done
done < <(sed -n 's/^bpf_object([a-z_]* \([a-z_]*\.bpf\.c\) *\([^)]*\)).*/\1 \2/p' "$TREE/bpf/CMakeLists.txt")

[ $((pass + fail)) -gt 0 ] || { fail=1; echo "FAIL: no bpf_object() in bpf/CMakeLists.txt"; }
echo "test-bpf-build: $pass passed, $fail failed"
[ "$fail" = 0 ]
