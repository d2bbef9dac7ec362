# bpf_object(NAME SRC [FLAGS...]): compile SRC with clang for the BPF target
# and generate its skeleton (struct NAME) with bpftool; INTERFACE target
# NAME_skel carries the include path, so linking it is all a loader needs
# (libbpf-bootstrap's pattern). FLAGS are extra compiler flags for this
# object only.
#
# Cross builds (the OpenWrt SDK) set CLANG, BPFTOOL, LLVM_STRIP,
# DUPGRE_BPF_TARGET (bpfel/bpfeb: the router's byte order) and
# DUPGRE_BPF_INCLUDE_DIRS (the only header directories: UAPI and libbpf's).
find_program(CLANG NAMES clang REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
find_program(LLVM_STRIP NAMES llvm-strip)
set(DUPGRE_BPF_TARGET bpf CACHE STRING "clang -target: bpf, bpfel or bpfeb")
set(DUPGRE_BPF_INCLUDE_DIRS "" CACHE STRING "cross builds: the only header directories")

set(BPF_CFLAGS -g -O2 -target ${DUPGRE_BPF_TARGET} -Wall -Wextra -Wno-unused-parameter)
if(DUPGRE_WERROR)
  list(APPEND BPF_CFLAGS -Werror)
endif()
if(DUPGRE_BPF_INCLUDE_DIRS)
  # No host headers at all: clang's own (stdbool.h...) and the given ones.
  execute_process(COMMAND ${CLANG} -print-resource-dir
    OUTPUT_VARIABLE clang_resource_dir OUTPUT_STRIP_TRAILING_WHITESPACE)
  list(APPEND BPF_CFLAGS -nostdinc -isystem ${clang_resource_dir}/include)
  foreach(dir ${DUPGRE_BPF_INCLUDE_DIRS})
    list(APPEND BPF_CFLAGS -isystem ${dir})
  endforeach()
elseif(CMAKE_LIBRARY_ARCHITECTURE)
  # -target bpf drops the host's multiarch include dir, where asm/types.h lives.
  list(APPEND BPF_CFLAGS -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE})
endif()

# The headers each object includes come from clang's depfile (-MD -MF), so a
# change to any of them, and only to them, rebuilds it. Ninja reads depfiles
# since CMake 3.7, Makefile generators since 3.20; older CMake with Makefiles
# falls back to every header in bpf/ and include/dupgre/.
if(CMAKE_GENERATOR MATCHES "Ninja" OR CMAKE_VERSION VERSION_GREATER_EQUAL 3.20)
  set(BPF_DEPFILES ON)
else()
  set(BPF_DEPFILES OFF)
endif()
# Depfile paths as clang writes them (absolute here) mean what they say.
if(POLICY CMP0116)
  cmake_policy(SET CMP0116 NEW)
endif()

# bpf_object(clone_bpf clone.bpf.c): clone.bpf.o, clone.skel.h declaring
# struct clone_bpf (a bare "clone" would clash with clone(2) in C++).
function(bpf_object name src)
  get_filename_component(base ${src} NAME_WE)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${base}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${base}.skel.h)
  set(deps ${src})
  if(BPF_DEPFILES)
    set(dep_flags -MD -MF ${obj}.d)
    set(depfile DEPFILE ${obj}.d)
  else()
    set(dep_flags)
    set(depfile)
    file(GLOB headers ${PROJECT_SOURCE_DIR}/bpf/*.h ${PROJECT_SOURCE_DIR}/include/dupgre/*.h)
    list(APPEND deps ${headers})
  endif()
  # Debug line info is not needed at run time; BTF is, and stays.
  set(strip_cmd)
  if(LLVM_STRIP)
    set(strip_cmd COMMAND ${LLVM_STRIP} -g ${obj})
  endif()
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CLANG} ${BPF_CFLAGS} ${ARGN} -I${PROJECT_SOURCE_DIR}/include
            -I${PROJECT_SOURCE_DIR}/bpf ${dep_flags} -c ${CMAKE_CURRENT_SOURCE_DIR}/${src} -o ${obj}
    ${strip_cmd}
    DEPENDS ${deps}
    ${depfile}
    COMMENT "BPF ${src}")
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h")
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()
