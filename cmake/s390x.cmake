# Toolchain for the big-endian build of the tests (vmtests/arch-tests s390x):
# s390x, static binaries that run in a bare busybox initramfs on Debian's
# s390x kernel under qemu-system-s390x. The BPF programs are compiled with
# -target bpfeb, so what the kernel runs is the big-endian object.
#
# Compiler: clang --target=s390x-linux-gnu with binutils-s390x-linux-gnu's
# ld. Debian's g++-s390x-linux-gnu would do, but it conflicts with
# gcc-multilib, which the i386 build needs on the same machine.
#
# Sysroot (CMAKE_SYSROOT; vmtests/arch-tests makes it and passes it):
# Debian's :s390x -dev packages unpacked with dpkg-deb -x: those
# scripts/install-deps installs as :i386 for the i386 build, the -dev
# packages they depend on, libc6-dev, libstdc++-12-dev, libgcc-12-dev, and
# the header-only (Architecture: all) -dev packages install-deps lists.
# Unpacked, not installed: Debian's security archive has no s390x, so
# :s390x multiarch packages cannot match the host's patched amd64 zlib1g
# and friends.
#
# Skeletons: Debian 12's bpftool (7.1) refuses big-endian objects ("Endian
# mismatch"), so CLANG and BPFTOOL are wrappers (vmtests/arch/): the first
# also compiles a little-endian twin of each object, the second lets
# bpftool write the skeleton from the twin and swaps in the big-endian
# object's bytes after checking both objects have the same sections,
# symbols and BTF (see vmtests/arch/bpfeb-bpftool).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR s390x)
set(triple s390x-linux-gnu)
if(NOT CMAKE_SYSROOT)
  set(CMAKE_SYSROOT ${CMAKE_CURRENT_LIST_DIR}/../vmtests/.cache/arch/s390x/sysroot)
endif()

set(CMAKE_C_COMPILER clang)
set(CMAKE_CXX_COMPILER clang++)
set(CMAKE_C_COMPILER_TARGET ${triple})
set(CMAKE_CXX_COMPILER_TARGET ${triple})
set(CMAKE_LIBRARY_ARCHITECTURE ${triple})
# bpftool 7.1 types a bool global as _Bool in the skeleton, a C keyword that
# g++ takes in C++ and clang++ does not.
set(CMAKE_CXX_FLAGS_INIT -D_Bool=bool)
# Static: the guest has a busybox initramfs and nothing else.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -fuse-ld=bfd")
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
# Static linking needs the libraries behind each library too (libbpf.pc has
# libelf and zlib as Requires.private).
set(PKG_CONFIG_ARGN --static CACHE STRING "pkg-config arguments")

# Everything from the sysroot, nothing from the host but programs.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${CMAKE_SYSROOT})
set(ENV{PKG_CONFIG_LIBDIR} ${CMAKE_SYSROOT}/usr/lib/${triple}/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig)

# BPF: big-endian, against the s390x UAPI and libbpf headers only.
set(DUPGRE_BPF_TARGET bpfeb CACHE STRING "clang -target: bpf, bpfel or bpfeb")
set(DUPGRE_BPF_INCLUDE_DIRS "${CMAKE_SYSROOT}/usr/include/${triple};${CMAKE_SYSROOT}/usr/include"
  CACHE STRING "cross builds: the only header directories")
set(CLANG ${CMAKE_CURRENT_LIST_DIR}/../vmtests/arch/bpfeb-clang CACHE FILEPATH "clang for BPF")
set(BPFTOOL ${CMAKE_CURRENT_LIST_DIR}/../vmtests/arch/bpfeb-bpftool CACHE FILEPATH "bpftool")
