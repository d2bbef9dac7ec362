# Toolchain for the 32-bit x86 build of the tests (CI): the host's compiler
# with -m32 and Debian's :i386 multiarch libraries. It proves that every
# struct shared with BPF has the BPF layout on a CPU where __u64 is 4-byte
# aligned (OpenWrt's x86/generic, legacy and geode targets), and that the
# loader's arithmetic holds in 32 bits. BPF objects and skeletons are the
# same for every user-space CPU.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CMAKE_C_FLAGS_INIT -m32)
set(CMAKE_CXX_FLAGS_INIT -m32)
set(CMAKE_EXE_LINKER_FLAGS_INIT -m32)
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig)
