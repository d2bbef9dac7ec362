# The cross toolchain shared by cmake/s390x.cmake and cmake/mipsel.cmake
# (vmtests/arch-tests): static binaries that run in a bare busybox
# initramfs on Debian's kernel for that CPU under qemu. The including file
# sets DUPGRE_CROSS_TRIPLE (s390x-linux-gnu, mipsel-linux-gnu),
# DUPGRE_CROSS_PROCESSOR and DUPGRE_CROSS_BPF_TARGET (bpfeb, bpfel: the
# CPU's byte order, so what the kernel runs is compiled for it).
#
# Compiler: clang --target=TRIPLE with binutils-TRIPLE's ld (scripts/install-deps
# --vm). Debian's g++-TRIPLE would do, but each conflicts with
# gcc-multilib, which the i386 build needs on the same machine.
#
# Sysroot (CMAKE_SYSROOT; vmtests/arch-tests makes it and passes it):
# Debian's -dev packages for the CPU unpacked with dpkg-deb -x: those
# scripts/install-deps installs as :i386 for the i386 build, the -dev
# packages they depend on, libc6-dev, libstdc++-12-dev, libgcc-12-dev, and
# the header-only (Architecture: all) -dev packages install-deps lists.
# Unpacked, not installed: multiarch packages of another CPU must match the
# host's amd64 versions exactly, which Debian's archives for s390x and
# mipsel do not promise (bookworm-security's patched zlib1g and friends).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${DUPGRE_CROSS_PROCESSOR})
set(triple ${DUPGRE_CROSS_TRIPLE})
if(NOT CMAKE_SYSROOT)
  set(CMAKE_SYSROOT ${CMAKE_CURRENT_LIST_DIR}/../vmtests/.cache/arch/${DUPGRE_CROSS_PROCESSOR}/sysroot)
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

# BPF: the CPU's byte order, against its UAPI and libbpf headers only.
set(DUPGRE_BPF_TARGET ${DUPGRE_CROSS_BPF_TARGET} CACHE STRING "clang -target: bpf, bpfel or bpfeb")
set(DUPGRE_BPF_INCLUDE_DIRS "${CMAKE_SYSROOT}/usr/include/${triple};${CMAKE_SYSROOT}/usr/include"
  CACHE STRING "cross builds: the only header directories")
