#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# cmake --install puts every piece where pppd, man and systemd look for it.
set -euo pipefail
BUILD=$1
root=$(mktemp -d /tmp/dupgre-install.XXXXXX)
trap 'rm -rf "$root"' EXIT
DESTDIR=$root cmake --install "$BUILD" >/dev/null
failed=0 passed=0
hooks="etc/ppp/ip-pre-up.d/dupgre etc/ppp/ip-up.d/dupgre etc/ppp/ip-down.d/dupgre
	etc/network/if-pre-up.d/dupgre etc/network/if-up.d/dupgre etc/network/if-down.d/dupgre etc/network/if-post-down.d/dupgre
	etc/networkd-dispatcher/carrier.d/dupgre etc/networkd-dispatcher/degraded.d/dupgre
	etc/networkd-dispatcher/routable.d/dupgre etc/networkd-dispatcher/off.d/dupgre
	etc/networkd-dispatcher/no-carrier.d/dupgre"
for f in usr/sbin/dupgre-ctl $hooks \
	etc/dupgre/dupgre.conf.example usr/share/man/man8/dupgre-ctl.8 usr/lib/systemd/system/dupgre.service \
	usr/lib/systemd/system/dupgre-hold.service usr/lib/systemd/system/dupgre-adapt.service \
	usr/lib/systemd/system/dupgre-link@.service; do
	if [ -e "$root/$f" ]; then passed=$((passed + 1)); else echo "FAIL - missing /$f"; failed=$((failed + 1)); fi
done
for f in usr/sbin/dupgre-ctl $hooks; do
	if [ -x "$root/$f" ]; then passed=$((passed + 1)); else echo "FAIL - not executable: /$f"; failed=$((failed + 1)); fi
done
if "$root/usr/sbin/dupgre-ctl" --config "$root/etc/dupgre/dupgre.conf.example" config >/dev/null; then
	passed=$((passed + 1))
else
	echo "FAIL - the installed example configuration does not parse"; failed=$((failed + 1))
fi
# networkd-dispatcher runs only scripts owned by root and writable by no one else.
for f in $hooks; do
	if [ "$(stat -c %a "$root/$f")" = 755 ]; then passed=$((passed + 1)); else
		echo "FAIL - mode $(stat -c %a "$root/$f"), not 755: /$f"; failed=$((failed + 1)); fi
done
# The unit, as systemd reads it, where systemd-analyze is there to read it.
if command -v systemd-analyze >/dev/null; then
	if out=$(systemd-analyze verify --man=no "$root/usr/lib/systemd/system/dupgre-link@.service" 2>&1 |
		grep -v "Failed to prepare\|not found\|Unit .* not loaded\|dupgre-ctl" ); [ -z "$out" ]; then
		passed=$((passed + 1))
	else
		echo "FAIL - dupgre-link@.service: $out"; failed=$((failed + 1))
	fi
fi
echo "install: $passed passed, $failed failed"
[ "$failed" = 0 ]
