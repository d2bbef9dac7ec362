# Stub of OpenWrt's include/cmake.mk: the variables and default recipes a
# cmake package relies on (configure, ninja build, install into
# PKG_INSTALL_DIR, InstallDev for CMAKE_INSTALL).
PKG_INSTALL:=1
NINJA := ninja
CMAKE_BINARY_DIR = $(PKG_BUILD_DIR)$(if $(CMAKE_BINARY_SUBDIR),/$(CMAKE_BINARY_SUBDIR))
CMAKE_SOURCE_DIR = $(PKG_BUILD_DIR)$(if $(CMAKE_SOURCE_SUBDIR),/$(CMAKE_SOURCE_SUBDIR))
CMAKE_OPTIONS += -DCMAKE_GENERATOR="Ninja"

define Build/Configure/Default
	mkdir -p $(CMAKE_BINARY_DIR)
	cd $(CMAKE_BINARY_DIR) && cmake -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_FIND_ROOT_PATH="$(STAGING_DIR)/usr" $(CMAKE_OPTIONS) $(CMAKE_SOURCE_DIR)
endef

define Build/Compile/Default
	$(NINJA) -C $(CMAKE_BINARY_DIR) $(1)
endef

define Build/Install/Default
	DESTDIR="$(PKG_INSTALL_DIR)" $(NINJA) -C $(CMAKE_BINARY_DIR) install
endef
