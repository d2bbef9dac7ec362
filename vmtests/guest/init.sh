#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# PID 1 in the guest, on the host's root (read-only 9p + tmpfs overlay):
# mounts what a system needs (no tmpfs on /tmp: the overlay is writable,
# and a checkout or build under the host's /tmp must stay visible), shares
# /run/vmout with the host (tag "out"), runs the scenario with its output
# in /run/vmout/guest.log, writes its exit status to /run/vmout/status and
# powers off.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
here=$(dirname "$(readlink -f "$0")")

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o ptmxmode=0666,gid=5,mode=0620 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mkdir -p /run/lock /run/vmout /run/netns
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /run/vmout || {
	echo "vmtests: cannot mount the shared directory" >/dev/console
	busybox poweroff -f
}
exec >/run/vmout/guest.log 2>&1 </dev/null
echo "vmtests: guest up after $(cut -d' ' -f1 /proc/uptime) s, kernel $(uname -r)"
hostname vmtests

rc=1
(
	set -Eeuo pipefail
	trap 'echo "vmtests: failed: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2' ERR
	# shellcheck disable=SC1091
	source /run/vmout/params.sh
	source "$here/scenario.sh"
	scenario_main
)
rc=$?
cp /run/syslog.log* /run/vmout/ 2>/dev/null || true
echo "vmtests: scenario exited with $rc after $(cut -d' ' -f1 /proc/uptime) s"
echo "$rc" >/run/vmout/status
sync
busybox poweroff -f
sleep 10
echo b >/proc/sysrq-trigger
