# Toolchain for the 32-bit MIPS build of the tests (vmtests/arch-tests
# mipsel): little-endian MIPS32 (Debian's mipsel baseline, mips32r2, o32),
# static, against a sysroot of Debian's mipsel packages, run on Debian's
# 4kc-malta kernel under qemu-system-mipsel (cmake/debian-cross.cmake says
# how). The routers' CPU: 32-bit user space where __u64 is 8-byte aligned,
# a 32-bit kernel and its eBPF JIT. The BPF objects are -target bpfel, which
# Debian's bpftool writes skeletons for as it does on the host.
set(DUPGRE_CROSS_TRIPLE mipsel-linux-gnu)
set(DUPGRE_CROSS_PROCESSOR mipsel)
set(DUPGRE_CROSS_BPF_TARGET bpfel)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
