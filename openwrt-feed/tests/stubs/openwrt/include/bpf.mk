# Stub of OpenWrt's include/bpf.mk (openwrt/openwrt 479373d77ab8): the same
# variables and the same CompileBPF recipe shape (clang for the mips triple
# with BPF_CFLAGS, then opt, llvm-dis, llc -mcpu=v3 for bpfel/bpfeb,
# llvm-strip), tools named, not found. BPF_DEPENDS selects the SDK's BPF
# toolchain (+@NEED_BPF_TOOLCHAIN); BPF_ARCH is mips64 on 64-bit targets.
BPF_DEPENDS := @HAS_BPF_TOOLCHAIN +@NEED_BPF_TOOLCHAIN
CLANG := $(STAGING_DIR_HOST)/llvm-bpf/bin/clang
LLVM_PATH := $(dir $(CLANG))
LLVM_LLC := $(LLVM_PATH)llc
LLVM_DIS := $(LLVM_PATH)llvm-dis
LLVM_OPT := $(LLVM_PATH)opt
LLVM_STRIP := $(LLVM_PATH)llvm-strip

BPF_KARCH := mips
BPF_ARCH := mips$(if $(CONFIG_ARCH_64BIT),64)$(if $(CONFIG_BIG_ENDIAN),,el)
BPF_TARGET := bpf$(if $(CONFIG_BIG_ENDIAN),eb,el)
BPF_HEADERS_DIR := $(STAGING_DIR)/bpf-headers

BPF_KERNEL_INCLUDE := \
	-nostdinc -isystem $(TOOLCHAIN_DIR)/include \
	-I$(BPF_HEADERS_DIR)/arch/$(BPF_KARCH)/include \
	-I$(BPF_HEADERS_DIR)/include \
	-I$(BPF_HEADERS_DIR)/include/uapi \
	-I$(BPF_HEADERS_DIR)/tools/lib \
	-include linux/kconfig.h -include asm_goto_workaround.h

BPF_CFLAGS := \
	$(BPF_KERNEL_INCLUDE) -I$(PKG_BUILD_DIR) \
	-D__KERNEL__ -D__BPF_TRACING__ -DCONFIG_GENERIC_CSUM \
	-m$(if $(CONFIG_BIG_ENDIAN),big,little)-endian \
	-O2 -emit-llvm -Xclang -disable-llvm-passes

define CompileBPF
	$(CLANG) -g -target $(BPF_ARCH)-linux-gnu $(BPF_CFLAGS) $(2) \
		-c $(1) -o $(patsubst %.c,%.bc,$(1))
	$(LLVM_OPT) -O2 -mtriple=$(BPF_TARGET) < $(patsubst %.c,%.bc,$(1)) > $(patsubst %.c,%.opt,$(1))
	$(LLVM_DIS) < $(patsubst %.c,%.opt,$(1)) > $(patsubst %.c,%.S,$(1))
	$(LLVM_LLC) -march=$(BPF_TARGET) -mcpu=v3 -filetype=obj -o $(patsubst %.c,%.o,$(1)) < $(patsubst %.c,%.S,$(1))
	$(CP) $(patsubst %.c,%.o,$(1)) $(patsubst %.c,%.debug.o,$(1))
	$(LLVM_STRIP) --strip-debug $(patsubst %.c,%.o,$(1))
endef
