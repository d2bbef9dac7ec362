# Toolchain for the big-endian build of the tests (vmtests/arch-tests s390x):
# s390x, static, against a sysroot of Debian's s390x packages, run on
# Debian's s390x kernel under qemu-system-s390x (cmake/debian-cross.cmake
# says how). The BPF programs are compiled with -target bpfeb, so what the
# kernel runs is the big-endian object.
#
# Skeletons: Debian 12's bpftool (7.1) refuses big-endian objects ("Endian
# mismatch"), so CLANG and BPFTOOL are wrappers (vmtests/arch/): the first
# also compiles a little-endian twin of each object, the second lets
# bpftool write the skeleton from the twin and swaps in the big-endian
# object's bytes after checking both objects have the same sections,
# symbols and BTF (see vmtests/arch/bpfeb-bpftool).
set(DUPGRE_CROSS_TRIPLE s390x-linux-gnu)
set(DUPGRE_CROSS_PROCESSOR s390x)
set(DUPGRE_CROSS_BPF_TARGET bpfeb)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)

set(CLANG ${CMAKE_CURRENT_LIST_DIR}/../vmtests/arch/bpfeb-clang CACHE FILEPATH "clang for BPF")
set(BPFTOOL ${CMAKE_CURRENT_LIST_DIR}/../vmtests/arch/bpfeb-bpftool CACHE FILEPATH "bpftool")
