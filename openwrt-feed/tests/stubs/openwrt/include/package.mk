# Stub of OpenWrt's include/package.mk: BuildPackage checks the fields the
# real one requires and records each package's fields; targets print (with
# make -n) or run the Build/* and Package/*/install recipes.
PKG_BUILD_DIR ?= $(BUILD_DIR)/$(PKG_NAME)$(if $(PKG_VERSION),-$(PKG_VERSION))
PKG_INSTALL_DIR ?= $(PKG_BUILD_DIR)/ipkg-install

define Build/Prepare/Default
	echo "unpack $(PKG_SOURCE_URL) $(PKG_SOURCE_VERSION) into $(PKG_BUILD_DIR)"
endef
# As include/package.mk (openwrt/openwrt 7a1f4c50fa05) does it: the build
# dir becomes a link to the checkout, so .source_dir, and the package's
# CMAKE_BINARY_SUBDIR, are written inside the checkout.
ifdef USE_SOURCE_DIR
  define Build/Prepare/Default
	rm -rf $(PKG_BUILD_DIR)
	$(if $(wildcard $(USE_SOURCE_DIR)/*),,@echo "Error: USE_SOURCE_DIR=$(USE_SOURCE_DIR) path not found"; false)
	ln -snf $(USE_SOURCE_DIR) $(PKG_BUILD_DIR)
	touch $(PKG_BUILD_DIR)/.source_dir
  endef
endif

define Build/Prepare
	$(call Build/Prepare/Default,)
endef
define Build/Configure
	$(call Build/Configure/Default,)
endef
define Build/Compile
	$(call Build/Compile/Default,)
endef
define Build/Install
	$(call Build/Install/Default,)
endef

PACKAGES :=
define BuildPackage
  $(eval TITLE:=)$(eval SECTION:=)$(eval CATEGORY:=)$(eval DEPENDS:=)$(eval BUILDONLY:=)$(eval PKGARCH:=)
  $(eval $(Package/$(1)))
  $(foreach FIELD,TITLE CATEGORY SECTION,$(if $($(FIELD)),,$(error Package/$(1) is missing the $(FIELD) field)))
  $(if $(PKG_VERSION),,$(error Package/$(1) has no PKG_VERSION))
  $(eval PACKAGES += $(1))
  $(eval DEPENDS/$(1) := $(DEPENDS))
  $(eval BUILDONLY/$(1) := $(BUILDONLY))
  $(eval HAS_INSTALL/$(1) := $(if $(Package/$(1)/install),1))
endef

prepare:
	$(Build/Prepare)
configure:
	$(Build/Configure)
compile:
	$(Build/Compile)
install-step:
	$(Build/Install)
install-%:
	$(call Package/$*/install,$(IDIR))

info:
	@echo 'PKG_NAME=$(PKG_NAME)'
	@echo 'PKG_VERSION=$(PKG_VERSION)'
	@echo 'PKG_RELEASE=$(PKG_RELEASE)'
	@echo 'PKG_LICENSE=$(PKG_LICENSE)'
	@echo 'PKG_SOURCE_PROTO=$(PKG_SOURCE_PROTO)'
	@echo 'PKG_SOURCE_URL=$(PKG_SOURCE_URL)'
	@echo 'PKG_SOURCE_VERSION=$(PKG_SOURCE_VERSION)'
	@echo 'PKG_MIRROR_HASH=$(PKG_MIRROR_HASH)$(PKG_HASH)'
	@echo 'PKG_BUILD_DEPENDS=$(PKG_BUILD_DEPENDS)'
	@echo 'PKG_FILE_DEPENDS=$(PKG_FILE_DEPENDS)'
	@echo 'PKG_BUILD_DIR=$(PKG_BUILD_DIR)'
	@echo 'CMAKE_OPTIONS=$(CMAKE_OPTIONS)'
	@echo 'CMAKE_INSTALL=$(CMAKE_INSTALL)'
	@echo 'PACKAGES=$(strip $(PACKAGES))'
	@$(foreach p,$(PACKAGES),echo 'DEPENDS/$(p)=$(strip $(DEPENDS/$(p)))'; echo 'BUILDONLY/$(p)=$(BUILDONLY/$(p))'; echo 'HAS_INSTALL/$(p)=$(HAS_INSTALL/$(p))';)
	@$(foreach p,$(PACKAGES),echo 'CONFFILES/$(p)=$(strip $(Package/$(p)/conffiles))';)

.PHONY: prepare configure compile info
