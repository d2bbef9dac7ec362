#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# dupgre-ctl's command line as a person meets it, in a namespace with no
# dupgre state (nothing is attached; every refusal must leave it so):
#   - exit status: 0 done, 1 the operation failed, 2 the command line or
#     the configuration is wrong, whichever part finds it; hooks 0 always,
#     an unknown event too, logged;
#   - an unknown command or option is named, with the nearest known name;
#   - -j makes every error one JSON object;
#   - --version: the version, the git revision, libbpf's version and what
#     the kernel offers, as text or JSON.
source "$(dirname "$0")/lib.sh" "$1"

ns_add NS
in_ns "$NS" ip tuntap add mode tun name t0
run() {  # run ARGS...: $OUT (stdout and stderr), $RC
	RC=0
	OUT=$(ctl "$NS" "$@" 2>&1) || RC=$?
}
expect() {  # expect RC 'ARGS' MESSAGE-SUBSTRING
	local want=$1 args=$2 text=$3
	# shellcheck disable=SC2086
	run $args
	check_eq "dupgre-ctl $args: exit $want" "$want" "$RC"
	check "dupgre-ctl $args: one line saying '$text'" \
		test "$(wc -l <<<"$OUT")" = 1 -a -n "$(grep -F -- "$text" <<<"$OUT")"
	[ "$RC" = "$want" ] && grep -qF -- "$text" <<<"$OUT" || echo "    got: $OUT"
}

echo "# usage: exit 2, whichever part finds it"
expect 2 "statsu" "unknown command 'statsu'; did you mean 'stats'?"
expect 2 "eliminate ad --dev t0" "unknown command 'ad' for 'eliminate'; did you mean 'add'?"
expect 2 "stats --formt prometheus" "unknown option '--formt' for 'stats'; did you mean '--format'?"
expect 2 "stats --zzzzzz" "unknown option '--zzzzzz' for 'stats' (dupgre-ctl stats --help lists them)"
expect 2 "eliminate add --dev t0 --mode drop --window 1" "--window must be 2 to 64"
expect 2 "eliminate add --dev t0 --mode drop --tunnel wireguard --port 0" "--port"
expect 2 "eliminate add --dev t0 --mode sideways" "--mode: sideways not in {monitor,drop,order}"
expect 2 "peer add --dev t0 300.1.2.3" "'300.1.2.3'"
expect 2 "attach --dev bad/name --clone-to t0" "invalid interface name 'bad/name'"
expect 2 "dnat" "usage: dupgre-ctl dnat --dev DEV"
expect 2 "eliminate" "a command is required after 'eliminate' (dupgre-ctl eliminate --help lists them)"
printf 'role = client\nwan = t0\nfrobnicate = 1\n' >"$TMP/bad.conf"
expect 2 "--config $TMP/bad.conf config" "$TMP/bad.conf:3: frobnicate: unknown key"
expect 2 "--config $TMP/missing.conf apply" "$TMP/missing.conf: cannot read the configuration"

echo "# the operation failed: exit 1"
expect 1 "attach --dev nosuch0 --clone-to t0" "unknown device 'nosuch0'"
expect 1 "stats --dev t0" "no dupgre state for device 't0'"

check_eq "nothing was set up by any of them" "" \
	"$(ctl "$NS" -j status | jq -r '[.clone[]?, .eliminate[]?, .relay[]?] | length | select(. > 0)')"

echo "# hooks: 0 always"
run hook bogus
check_eq "hook bogus: exit 0" 0 "$RC"
check "... and says the event is unknown" grep -q "unknown event 'bogus'" <<<"$OUT"
run hook
check_eq "hook without an event: exit 0" 0 "$RC"
run hook link-up t0 --no-such-option
check_eq "hook with an unknown option: exit 0" 0 "$RC"

echo "# -j: one JSON object"
run -j statsu
check_eq "-j statsu: the error as JSON" \
	"unknown command 'statsu'; did you mean 'stats'? (dupgre-ctl --help lists them)" "$(jq -r .error <<<"$OUT")"
run -j eliminate add --dev t0 --mode drop --window 1
check_eq "-j: a value out of range as JSON, exit 2" "2 --window must be 2 to 64" "$RC $(jq -r .error <<<"$OUT")"

echo "# --version"
run --version
check_eq "--version: exit 0" 0 "$RC"
check "names the version and the commit" grep -Eq '^dupgre-ctl [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]{7,}(-dirty)?\)$' <<<"$OUT"
check "names libbpf's version" grep -Eq '^libbpf [0-9]+\.[0-9]+$' <<<"$OUT"
check "and what the kernel offers" grep -Eq "^kernel $(uname -r | grep -o '^[0-9]*\.[0-9]*')[.0-9]*: tc BPF programs yes, BTF (yes|no), JIT (on|off|unknown)" <<<"$OUT"
run -j --version
check_eq "-j --version: JSON with each part" "true true" \
	"$(jq -r '[(.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")), (.kernel.sched_cls == true)] | join(" ")' <<<"$OUT")"

finish
