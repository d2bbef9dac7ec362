# Stub of OpenWrt's include/cmake.mk (openwrt/openwrt 067dec6c07b6): the
# variables and default recipes a cmake package relies on, with the same
# configure line where it matters for finding things: a cross build
# (CMAKE_SYSTEM_NAME), the staging dir as CMAKE_FIND_ROOT_PATH and
# CMAKE_PREFIX_PATH, and only the program, library and include root-path
# modes set (the package mode stays BOTH: a find_package() can find the
# build host's CMake configs, which is why dupgre finds nlohmann/json by
# pkg-config). No compiler is given: the host's stands in for the SDK's.
PKG_INSTALL:=1
NINJA := ninja
CMAKE_BINARY_DIR = $(PKG_BUILD_DIR)$(if $(CMAKE_BINARY_SUBDIR),/$(CMAKE_BINARY_SUBDIR))
CMAKE_SOURCE_DIR = $(PKG_BUILD_DIR)$(if $(CMAKE_SOURCE_SUBDIR),/$(CMAKE_SOURCE_SUBDIR))
CMAKE_FIND_ROOT_PATH := $(STAGING_DIR)/usr;$(TOOLCHAIN_ROOT_DIR)
CMAKE_OPTIONS += -DCMAKE_GENERATOR="Ninja"
CMAKE_OPTIONS += -DCMAKE_C_FLAGS="$(TARGET_CFLAGS)"

define Build/Configure/Default
	mkdir -p $(CMAKE_BINARY_DIR)
	(cd $(CMAKE_BINARY_DIR); \
		CFLAGS="$(TARGET_CFLAGS) $(EXTRA_CFLAGS)" \
		CXXFLAGS="$(TARGET_CXXFLAGS) $(EXTRA_CXXFLAGS)" \
		LDFLAGS="$(TARGET_LDFLAGS) $(EXTRA_LDFLAGS)" \
		cmake \
			--no-warn-unused-cli \
			-DCMAKE_SYSTEM_NAME=Linux \
			-DCMAKE_SYSTEM_VERSION=1 \
			-DCMAKE_SYSTEM_PROCESSOR=$(ARCH) \
			-DCMAKE_BUILD_TYPE=Release \
			-DCMAKE_FIND_ROOT_PATH="$(CMAKE_FIND_ROOT_PATH)" \
			-DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER \
			-DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY \
			-DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY \
			-DCMAKE_STRIP=: \
			-DCMAKE_INSTALL_PREFIX=/usr \
			-DCMAKE_PREFIX_PATH=$(STAGING_DIR) \
			-DCMAKE_SKIP_RPATH=TRUE \
			-DCMAKE_FIND_USE_PACKAGE_REGISTRY=FALSE \
			-DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=FALSE \
			$(CMAKE_OPTIONS) \
		$(CMAKE_SOURCE_DIR) \
	)
endef

define Build/Compile/Default
	$(NINJA) -C $(CMAKE_BINARY_DIR) $(1)
endef

define Build/Install/Default
	DESTDIR="$(PKG_INSTALL_DIR)" $(NINJA) -C $(CMAKE_BINARY_DIR) install
endef
