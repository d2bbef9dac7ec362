# Stub of OpenWrt's rules.mk for tests/test-makefile.sh: the paths and
# install macros package Makefiles use, pointing into $(TEST_ROOT).
TEST_ROOT ?= /tmp/dupgre-openwrt-stub
INCLUDE_DIR := $(TOPDIR)/include
BUILD_DIR := $(TEST_ROOT)/build_dir
STAGING_DIR := $(TEST_ROOT)/staging_dir/target
STAGING_DIR_HOST := $(TEST_ROOT)/staging_dir/host
TOOLCHAIN_DIR := $(TEST_ROOT)/staging_dir/toolchain
DL_DIR := $(TEST_ROOT)/dl
ARCH := $(if $(CONFIG_BIG_ENDIAN),mips,mipsel)

INSTALL_DIR := install -d -m0755
INSTALL_BIN := install -m0755
INSTALL_DATA := install -m0644
INSTALL_CONF := install -m0600
CP := cp -fpR

TARGET_CFLAGS := -Os
TARGET_CXXFLAGS := -Os
TARGET_LDFLAGS :=
