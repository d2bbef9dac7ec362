# bpf_object(NAME SRC): compile SRC with clang for the BPF target and generate
# its skeleton (struct NAME) with bpftool; INTERFACE target NAME_skel carries the include
# path, so linking it is all a loader needs (libbpf-bootstrap's pattern).
find_program(CLANG NAMES clang REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

# -target bpf drops the host's multiarch include dir, where asm/types.h lives.
if(CMAKE_LIBRARY_ARCHITECTURE)
  set(BPF_ARCH_INCLUDE -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE})
endif()
set(BPF_CFLAGS -g -O2 -target bpf -Wall -Wextra -Wno-unused-parameter)
if(DUPGRE_WERROR)
  list(APPEND BPF_CFLAGS -Werror)
endif()

# bpf_object(clone_bpf clone.bpf.c): clone.bpf.o, clone.skel.h declaring
# struct clone_bpf (a bare "clone" would clash with clone(2) in C++).
# Further arguments are extra compiler flags for this object only.
function(bpf_object name src)
  get_filename_component(base ${src} NAME_WE)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${base}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${base}.skel.h)
  file(GLOB bpf_headers ${PROJECT_SOURCE_DIR}/bpf/*.h ${PROJECT_SOURCE_DIR}/include/dupgre/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CLANG} ${BPF_CFLAGS} ${ARGN} -I${PROJECT_SOURCE_DIR}/include
            -I${PROJECT_SOURCE_DIR}/bpf ${BPF_ARCH_INCLUDE}
            -c ${CMAKE_CURRENT_SOURCE_DIR}/${src} -o ${obj}
    DEPENDS ${src} ${bpf_headers}
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
