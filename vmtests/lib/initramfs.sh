# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The guests' boot files, for vmtests/run and vmtests/arch-tests: busybox
# initramfs images, and the amd64 guest both boot (Debian's kernel of this
# host). Sourced under their set -euo pipefail; each defines say. Call the
# functions as commands of their own, never in `if`, `&&` or `||`: there
# bash runs them without set -e, and a failed step would go on.

# initramfs_busybox ROOT BUSYBOX APPLET...: ROOT's skeleton (bin, modules,
# proc, dev, sys), the static BUSYBOX in bin with each APPLET a link to it.
initramfs_busybox() {
	local root=$1 busybox=$2 applet
	shift 2
	mkdir -p "$root"/{bin,modules,proc,dev,sys}
	cp "$busybox" "$root/bin/"
	for applet in "$@"; do
		ln -s busybox "$root/bin/$applet"
	done
}

# initramfs_modules ROOT MODDIR KVER MODULE...: each MODULE and those it
# needs, once each and in load order, into ROOT/modules, their file names
# in ROOT/modules/order (the init insmods them in that order). MODDIR is
# modprobe's -d (a kernel unpacked elsewhere), empty for this host's.
initramfs_modules() {
	local root=$1 kver=$3 m ko d=()
	[ -z "$2" ] || d=(-d "$2")
	shift 3
	for m in "$@"; do
		modprobe ${d[@]+"${d[@]}"} -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r ko; do
		cp "$ko" "$root/modules/"
		basename "$ko" >>"$root/modules/order"
	done
}

# initramfs_pack ROOT OUTPUT: ROOT as a gzipped newc cpio archive, written
# whole or not at all.
initramfs_pack() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2.tmp"
	mv "$2.tmp" "$2"
}

# amd64_guest DIR INITRAMFS_INIT: Debian's amd64 kernel this host has (the
# newest 6.1.*-amd64 in /lib/modules) for qemu's PVH boot with qboot: sets
# kver, vmlinux (DIR/vmlinux-KVER, the ELF inside /boot/vmlinuz-KVER) and
# initrd (DIR/initramfs-KVER.cpio.gz: busybox and INITRAMFS_INIT, which
# mounts the host's root over 9p, with the modules that takes). Each is
# made only when missing, the initramfs also when INITRAMFS_INIT is newer.
# vmlinux is empty when the vmlinuz holds no ELF: the caller says so (no
# status to test: a call in `if` or `||` would run without set -e).
amd64_guest() {
	local dir=$1 init=$2 off root
	# shellcheck disable=SC2012  # kernel versions, no odd characters
	kver=$(cd /lib/modules && ls -d 6.1.*-amd64 | sort -V | tail -1)
	vmlinux=$dir/vmlinux-$kver initrd=$dir/initramfs-$kver.cpio.gz
	mkdir -p "$dir"
	if [ ! -s "$vmlinux" ]; then
		say "extracting vmlinux from vmlinuz-$kver"
		off=$(LC_ALL=C grep -m1 -obUaP '\xfd7zXZ\x00' "/boot/vmlinuz-$kver" | awk -F: 'NR == 1 { print $1 }')
		tail -c +$((off + 1)) "/boot/vmlinuz-$kver" | xz -dc 2>/dev/null >"$vmlinux.tmp" || true
		if [ "$(head -c 4 "$vmlinux.tmp" | od -An -tx1 | tr -d ' ')" != 7f454c46 ]; then
			vmlinux=
			return 0
		fi
		mv "$vmlinux.tmp" "$vmlinux"
	fi
	if [ ! -s "$initrd" ] || [ "$init" -nt "$initrd" ]; then
		say "building the initramfs for $kver"
		root=$(mktemp -d "$dir/initramfs.XXXXXX")
		initramfs_busybox "$root" /bin/busybox sh mount umount insmod mkdir switch_root poweroff sleep
		cp "$init" "$root/init"
		initramfs_modules "$root" "" "$kver" virtio_pci 9pnet_virtio 9p overlay
		initramfs_pack "$root" "$initrd"
		rm -rf "$root"
	fi
}
