#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# cmake --install puts every piece where pppd, man and systemd look for it.
set -euo pipefail
BUILD=$1
root=$(mktemp -d /tmp/dupgre-install.XXXXXX)
trap 'rm -rf "$root"' EXIT
DESTDIR=$root cmake --install "$BUILD" >/dev/null
failed=0 passed=0
for f in usr/sbin/dupgre-ctl etc/ppp/ip-pre-up.d/dupgre etc/ppp/ip-up.d/dupgre etc/ppp/ip-down.d/dupgre \
	etc/dupgre/dupgre.conf.example usr/share/man/man8/dupgre-ctl.8 usr/lib/systemd/system/dupgre.service \
	usr/lib/systemd/system/dupgre-hold.service; do
	if [ -e "$root/$f" ]; then passed=$((passed + 1)); else echo "FAIL - missing /$f"; failed=$((failed + 1)); fi
done
for f in usr/sbin/dupgre-ctl etc/ppp/ip-pre-up.d/dupgre etc/ppp/ip-up.d/dupgre etc/ppp/ip-down.d/dupgre; do
	if [ -x "$root/$f" ]; then passed=$((passed + 1)); else echo "FAIL - not executable: /$f"; failed=$((failed + 1)); fi
done
if "$root/usr/sbin/dupgre-ctl" --config "$root/etc/dupgre/dupgre.conf.example" config >/dev/null; then
	passed=$((passed + 1))
else
	echo "FAIL - the installed example configuration does not parse"; failed=$((failed + 1))
fi
echo "install: $passed passed, $failed failed"
[ "$failed" = 0 ]
