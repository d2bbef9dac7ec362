#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# doc-names: every dupgre name the docs use exists, and the man page has
# every command, option and configuration key dupgre-ctl has.
#   tests/test-doc-names.sh BUILD_DIR      (root, as stats is; DUPGRE_CTL
#                                          overrides the binary)
# The names come from the programs themselves, never from a list here:
#   commands and options  `dupgre-ctl --help` and each `dupgre-ctl CMD --help`
#   counters              the X-macro lists in include/dupgre/*.h
#                         (*_COUNTERS(X)) and their Prometheus labels (F(...))
#   JSON keys             the keys loader/ writes ({"key", ...})
#   metrics               `stats --format prometheus` and a running `serve`
#   configuration keys    what `config` prints for a sample of every role,
#                         tunnel and dual link kind, and for any other key the
#                         parser's own answer (anything but "unknown key")
# What the docs name (README.md, docs/*.md, openwrt-feed/README.md,
# bench/README.md, vmtests/README.md, docs/dupgre-ctl.8), backticked only:
#   * a command: `dupgre-ctl ...` (also in code blocks, and after `ip netns
#     exec NS`), or a span starting with a command and an option or
#     subcommand (`eliminate add --mode order`): its subcommands, options and
#     their choices (`--mode monitor|drop`) must exist; in the man page, every
#     .TP header of COMMANDS;
#   * a configuration key: `key = value`, and the man page's CONFIGURATION;
#   * a snake_case name (`wait_gave_up`, `dupgre_hold_*`): a dupgre_ name
#     must be an exported metric; any other must be a known name unless it is
#     no near miss of one (a program's prefix on a counter, as `clone_errors`,
#     or within two edits of one, as `redirect_error`): kernel functions, map
#     names and UCI options are not dupgre's names and are left alone;
#   * the README's "Counters" section and the counter tables of
#     docs/monitoring.md: every backticked word is a known name.
# Exceptions are listed below (ALLOW), each with its reason.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:?usage: tests/test-doc-names.sh BUILD_DIR}
CTL=${DUPGRE_CTL:-$BUILD/loader/dupgre-ctl}
cd "$SRC"
T=$(mktemp -d /tmp/dupgre-doc-names.XXXXXX)
serve_pid=
cleanup() {
	[ -z "$serve_pid" ] || { kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true; }
	rm -rf "$T"
}
trap cleanup EXIT

DOCS=(README.md docs/*.md openwrt-feed/README.md bench/README.md vmtests/README.md)
MAN=docs/dupgre-ctl.8

# FILE NAME: a name FILE may use though it is no dupgre name, or an old one.
ALLOW='
README.md clone_errors          the 0.2 rename table: the names before
README.md clone_xmit_drops      the 0.2 rename table
README.md xmit_drop             the 0.2 rename table (a label value before)
README.md redirect_error        the 0.2 rename table (a label value before)
README.md errno                 the 0.2 rename table (a label value before)
* bpf_redirect                  the kernel helper (two edits from --version'"'"'s ppp_redirect)
bench/README.md passed_1        an elimbench class (bench/results.md)
docs/setup.md key               the file'"'"'s syntax: `key = value`
vmtests/README.md dupgre_unit_tests  a CMake target
vmtests/README.md dupgre_bpf_tests   a CMake target
'
allowed() { awk -v f="$1" -v n="$2" '($1 == f || $1 == "*") && $2 == n { found = 1 } END { exit !found }' <<<"$ALLOW"; }

failed=0 passed=0
fail() { echo "FAIL - $*"; failed=$((failed + 1)); }
pass() { passed=$((passed + 1)); }

# ---- what dupgre-ctl has -------------------------------------------------

# cli_walk PATH...: every command path under PATH, its options and choices,
# from CLI11's help: $T/cmds (a path a line), $T/opts (path<TAB>option<TAB>
# takes a value 0|1), $T/choices (path<TAB>option<TAB>choice).
cli_walk() {
	local path="$*" help sub
	help=$("$CTL" "$@" --help) || { fail "dupgre-ctl $path --help"; return; }
	awk -v path="$path" -v T="$T" '
		/^[A-Za-z]+:$/ { sect = $1; next }
		sect == "Options:" && match($0, /^  (-[A-Za-z],)?--[a-z0-9-]+/) {
			spec = substr($0, 3, RLENGTH - 2); rest = substr($0, RLENGTH + 1)
			value = (rest ~ /^ [A-Z]/) ? 1 : 0
			n = split(spec, names, ",")
			for (i = 1; i <= n; i++) print path "\t" names[i] "\t" value >> (T "/opts")
			if (match(rest, /:\{[^}]*\}/)) {
				m = split(substr(rest, RSTART + 2, RLENGTH - 3), ch, ",")
				for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
					print path "\t" names[i] "\t" ch[j] >> (T "/choices")
			}
			next
		}
		sect == "Subcommands:" && /^  [a-z]/ {
			line = substr($0, 3); sub(/  .*/, "", line)
			print line >> (T "/subs." (path == "" ? "@" : path))
		}' <<<"$help"
	[ -n "$path" ] && echo "$path" >>"$T/cmds"
	[ -f "$T/subs.${path:-@}" ] || return 0
	while IFS= read -r sub; do
		# "flush, uninstall-state": one command, two names.
		local first=${sub%%,*} name
		cli_walk "$@" "$first"
		for name in $(tr ',' ' ' <<<"$sub"); do
			[ "$name" = "$first" ] && continue
			echo "${path:+$path }$name" >>"$T/cmds"
			awk -F'\t' -v p="${path:+$path }$first" -v a="${path:+$path }$name" '$1 == p { $1 = a; print }' OFS='\t' "$T/opts" >>"$T/opts.alias"
		done
	done <"$T/subs.${path:-@}"
}
: >"$T/opts" >"$T/choices" >"$T/cmds"
cli_walk
[ -f "$T/opts.alias" ] && cat "$T/opts.alias" >>"$T/opts"
sort -u -o "$T/cmds" "$T/cmds"
top=$(tr ',\n' '  ' <"$T/subs.@")
[ -s "$T/cmds" ] && [ -n "$top" ] || { echo "FAIL - no commands in dupgre-ctl --help"; exit 1; }
echo "     $(wc -l <"$T/cmds") command paths, $(cut -f2 "$T/opts" | sort -u | wc -l) option names"

# Counters, labels and JSON keys.
awk '/#define [A-Z_]+_COUNTERS\(X\)/ { c = 1 }
	c && match($0, /X\([A-Z0-9_]+, *[a-z0-9_]+/) { s = substr($0, RSTART, RLENGTH); sub(/.*, */, "", s); print s }
	c && !/\\$/ { c = 0 }' include/dupgre/*.h >"$T/counters"
grep -ohE '\bF\([a-z0-9_]+, *"[a-z_]+"' include/dupgre/*.h | sed -E 's/.*"([a-z_]+)"/\1/' >"$T/labels"
grep -rhoE '[a-z_]+=\\"' loader | sed 's/=.*//' >>"$T/labels"
grep -rhoE '\{"[a-z][a-z0-9_]*",' loader | sed -E 's/\{"//; s/",//' >"$T/jsonkeys"
[ "$(wc -l <"$T/counters")" -gt 40 ] || fail "the counter lists in include/dupgre/*.h: only $(wc -l <"$T/counters") names"

# Metrics: the exposition, and serve's derived gauges.
"$CTL" stats --format prometheus | awk '/^# TYPE/ { print $3 }' >"$T/metrics"
for try in 1 2 3 4 5; do
	port=$((20000 + (RANDOM % 20000)))
	"$CTL" serve --listen "127.0.0.1:$port" --window 2 >"$T/serve.log" 2>&1 &
	serve_pid=$!
	for i in $(seq 50); do
		curl -sf "http://127.0.0.1:$port/metrics" >"$T/metrics.serve" 2>/dev/null &&
			grep -q '^# TYPE dupgre_derived_window_seconds' "$T/metrics.serve" && break
		kill -0 "$serve_pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -qs '^# TYPE dupgre_derived_window_seconds' "$T/metrics.serve" && break
	kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true; serve_pid=
done
if [ -n "$serve_pid" ]; then
	awk '/^# TYPE/ { print $3 }' "$T/metrics.serve" >>"$T/metrics"
	kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=
else
	fail "dupgre-ctl serve gave no derived gauges: $(cat "$T/serve.log")"
fi
sort -u -o "$T/metrics" "$T/metrics"
echo "     $(wc -l <"$T/counters") counters, $(wc -l <"$T/metrics") metric families"

# Configuration keys: config's answer for a site of each kind.
mkdir "$T/conf"
printf '%s\n' 'role = primary' 'wan = eth0' 'client_remote = 10.66.6.0/24' 'client_mtu = 1380' \
	'snat = 10.0.0.1=203.0.113.1' 'dual = ppp' 'dual_ipparam = bvpn' 'dual_dev = ppp9' 'dual_mtu = 1400' \
	'eliminate = order' 'eliminate_window = 32' 'eliminate_reset_ms = 500' 'eliminate_wait = 100' \
	'rp_filter = yes' >"$T/conf/primary-pptp.conf"
printf '%s\n' 'role = primary' 'wan = eth0' 'tunnel = wireguard' 'tunnel_port = 51820' \
	'clients = 192.0.2.1' 'dual = wireguard' 'dual_dev = wg1' 'eliminate = drop' >"$T/conf/primary-wireguard.conf"
printf '%s\n' 'role = client' 'wan = eth0' 'primary = 203.0.113.10' 'dual = gre' 'dual_dev = gre1' >"$T/conf/client.conf"
printf '%s\n' 'role = secondary' 'dual = ppp' 'dual_remote = 10.66.4.0/24' \
	'relay = wireguard:wg0=192.0.2.1' >"$T/conf/secondary.conf"
cp scripts/dupgre.conf.example "$T/conf/example.conf"
: >"$T/keys"
for c in "$T"/conf/*.conf; do
	if out=$("$CTL" --config "$c" config 2>&1); then
		sed -nE 's/^([a-z_]+) = .*/\1/p' <<<"$out" >>"$T/keys"
		"$CTL" --config "$c" -j config | jq -r 'keys[]' >>"$T/jsonkeys"
		pass
	else
		fail "config refuses the sample $(basename "$c"): $out"
	fi
done
sort -u -o "$T/keys" "$T/keys"
# Is KEY a key? The parser says "KEY: unknown key" when not.
is_key() {
	grep -qxF "$1" "$T/keys" && return 0
	local out
	printf 'role = primary\n%s = x\n' "$1" >"$T/probe.conf"
	out=$("$CTL" --config "$T/probe.conf" config 2>&1) || true
	! grep -qF "$1: unknown key" <<<"$out"
}

cat "$T/counters" "$T/labels" "$T/jsonkeys" "$T/metrics" "$T/keys" "$T/cmds" | sort -u >"$T/known"

# ---- what the docs say -----------------------------------------------------

# Markdown: backticked spans outside code blocks (a span may wrap a line) and
# the lines of code blocks, each as FILE<TAB>TEXT.
: >"$T/spans" >"$T/code"
for doc in "${DOCS[@]}"; do
	awk -v f="$doc" -v code="$T/code" '
		/^```/ { inblock = !inblock; next }
		inblock { print f "\t" $0 >> code; next }
		{ print }' "$doc" |
		awk -v f="$doc" 'BEGIN { RS = "`" } NR % 2 == 0 { gsub(/\n/, " "); print f "\t" $0 }' >>"$T/spans"
done

# The man page as text: escapes and fonts gone, the font macros' arguments
# joined as troff joins them, .TP/.TQ/.SH kept as markers.
awk '
	function unescape(s) {
		gsub(/\\f[BIRP]/, "", s); gsub(/\\-/, "-", s); gsub(/\\\(en/, "-", s)
		gsub(/\\\(bu/, "", s); gsub(/\\[&|]/, "", s); return s
	}
	# The arguments of a macro line, quotes removed, joined by sep.
	function args(s, sep,   out, n, arg, q, i, ch) {
		out = ""; n = 0; arg = ""; q = 0; started = 0
		for (i = 1; i <= length(s); i++) {
			ch = substr(s, i, 1)
			if (ch == "\"") { q = !q; started = 1; continue }
			if (ch == " " && !q) { if (started) { out = out (n++ ? sep : "") arg; arg = ""; started = 0 } continue }
			arg = arg ch; started = 1
		}
		if (started) out = out (n++ ? sep : "") arg
		return out
	}
	/^\.(TP|TQ)/ { print "@" substr($1, 2); next }
	/^\.SH/ { print "@SH " args(substr($0, 5), " "); next }
	/^\.(B|I) / { print unescape(args(substr($0, 4), " ")); next }
	/^\.(BI|BR|IB|IR|RB|RI) / { print unescape(args(substr($0, 5), "")); next }
	/^\./ { next }
	{ print unescape($0) }' "$MAN" >"$T/man"

# check_synopsis WHERE TEXT: a command line as the docs write it. Prints the
# command paths it names (to $T/named).
check_synopsis() {
	local where=$1 text=$2
	awk -v where="$where" -v top=" $top " -v T="$T" '
		BEGIN {
			while ((getline l < (T "/cmds")) > 0) cmd[l] = 1
			while ((getline l < (T "/opts")) > 0) { split(l, a, "\t"); opt[a[1] "\t" a[2]] = 1; val[a[1] "\t" a[2]] = a[3] }
			while ((getline l < (T "/choices")) > 0) { split(l, a, "\t"); choice[a[1] "\t" a[2] "\t" a[3]] = 1; haschoice[a[1] "\t" a[2]] = 1 }
			for (k in cmd) if (split(k, xx, " ") == 2) has_subs[xx[1]] = 1
		}
		function bad(msg) { print "FAIL - " where ": " msg; fails++ }
		function clean(t) { gsub(/^[[(]+|[]),.;:]+$/, "", t); return t }
		function has_opt(paths, o,   i, n, p) {
			n = split(paths, p, "|")
			for (i = 1; i <= n; i++) if (!((p[i] "\t" o) in opt) && !(("\t" o) in opt)) return 0
			return 1
		}
		# one command: tokens w[i..n]
		function command(i, n,   c, paths, np, p, k, alts, na, j, t, parts, m, o, next_, ch, nc, q, first) {
			# global options before the command
			while (i <= n && w[i] ~ /^\[?-/) {
				t = clean(w[i]); sub(/=.*/, "", t)
				if (!(("\t" t) in opt)) bad("unknown option " t)
				else if (val["\t" t]) i++
				i++
			}
			if (i > n) return
			c = clean(w[i++])
			if (!(c in cmd) || index(c, " ")) { bad("unknown command " c); return }
			paths = c; print c "\t" curalt >> (T "/named")
			# a subcommand (or alternatives: add|del)
			if (i <= n && w[i] ~ /^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$/) {
				na = split(w[i], alts, "|"); first = 1
				for (j = 1; j <= na; j++) if ((c " " alts[j]) in cmd) first = 0
				if (!first) {
					paths = ""
					for (j = 1; j <= na; j++) {
						if (!((c " " alts[j]) in cmd)) bad("unknown command " c " " alts[j])
						else { paths = paths (paths == "" ? "" : "|") c " " alts[j]; print c " " alts[j] "\t" curalt >> (T "/named") }
					}
					i++
				} else if (has_subs[c]) bad("unknown command " c " " w[i])
			}
			for (; i <= n; i++) {
				t = clean(w[i])
				if (t !~ /^-/) continue
				m = split(t, parts, "/")
				for (k = 1; k <= m; k++) {
					o = parts[k]; sub(/[=|\]].*/, "", o)
					if (o !~ /^--?[A-Za-z]/) continue
					if (!has_opt(paths, o)) { bad("unknown option " o " for " paths); continue }
					# its choices, where it has some: --mode monitor|drop
					if (i < n && haschoice[paths "\t" o]) {
						next_ = clean(w[i + 1])
						if (next_ ~ /^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$/) {
							nc = split(next_, ch, "|")
							for (q = 1; q <= nc; q++) if (!((paths "\t" o "\t" ch[q]) in choice)) bad("no choice " ch[q] " for " paths " " o)
						}
					}
				}
			}
		}
		{
			text = $0
			sub(/^.*dupgre-ctl( |$)/, "", text)
			sub(/ #.*/, "", text); sub(/ (&&|;|>|2>).*/, "", text)
			na = split(text, alt, / \| /)
			for (ai = 1; ai <= na; ai++) {
				curalt = alt[ai]; n = split(alt[ai], w, /[ \t]+/)
				# a shell pipe, not an alternative: stop
				if (ai > 1 && !(index(top, " " w[1] " ")) && w[1] !~ /^-/) break
				command(1, n)
			}
		}
		END { exit fails > 0 }' <<<"$text"
}

# Command lines in the markdown docs.
while IFS=$'\t' read -r f text; do
	case " $text" in
	*" dupgre-ctl "* | *" dupgre-ctl") ;;
	*)
		# a span that starts with a command and goes on with an option or a word
		first=${text%% *}
		case " $top " in *" $first "*) ;; *) continue ;; esac
		[ "$first" != "$text" ] || continue
		second=${text#* }; second=${second%% *}
		[[ $second =~ ^\[?-|^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$ ]] || continue
		text="dupgre-ctl $text" ;;
	esac
	if out=$(check_synopsis "$f: \`$text\`" "$text"); then pass; else echo "$out"; failed=$((failed + $(grep -c '^FAIL' <<<"$out"))); fi
done < <(cat "$T/spans"; grep -P '\tdupgre-ctl |\t.* dupgre-ctl ' "$T/code" || true)

# The man page's command headers, and what each block says.
awk -v T="$T" '
	/^@SH/ { sect = $2; next }
	sect != "COMMANDS" { next }
	/^@T[PQ]/ { want = 1; if ($0 == "@TP") { blk++ } next }
	want { print blk "\t" $0 > (T "/man.heads"); want = 0; print blk "\t" $0 > (T "/man.blocks"); next }
	{ print blk "\t" $0 > (T "/man.blocks") }' "$T/man"
while IFS=$'\t' read -r blk head; do
	# "flush, uninstall-state": two names of one command
	head=${head//, / | }
	: >"$T/named"
	if out=$(check_synopsis "$MAN: $head" "dupgre-ctl $head"); then pass; else echo "$out"; failed=$((failed + $(grep -c '^FAIL' <<<"$out"))); fi
	sed "s/^/$blk\t/" "$T/named" >>"$T/man.paths"
done <"$T/man.heads"

# Every command in the man page, with every option it has: in its part of
# the entry's header, or in the entry's text when the entry is its alone.
while IFS= read -r path; do
	if ! awk -F'\t' -v p="$path" '$2 == p { f = 1 } END { exit !f }' "$T/man.paths"; then
		fail "$MAN: no entry for dupgre-ctl $path"; continue
	fi
	pass
	while IFS=$'\t' read -r p o v; do
		[ "$p" = "$path" ] && [ "$o" != --help ] && [ "$o" != -h ] || continue
		if awk -F'\t' -v p="$path" -v o="$o" -v blocks="$T/man.blocks" '
			function has(s) { return (" " s " ") ~ ("[^a-z-]" o "([^a-z-]|$)") }
			{ paths[$1] = paths[$1] "|" $2 }
			$2 == p { mine[$1] = 1; if (has($3)) found = 1 }
			END {
				if (found) exit 0
				while ((getline l < blocks) > 0) {
					split(l, a, "\t")
					if ((a[1] in mine) && paths[a[1]] == "|" p && has(a[2])) exit 0
				}
				exit 1
			}' "$T/man.paths"; then pass
		else fail "$MAN: dupgre-ctl $path $o is not in its entry"; fi
	done <"$T/opts"
done <"$T/cmds"
# Global options in OPTIONS (or SYNOPSIS).
while IFS=$'\t' read -r p o v; do
	[ -z "$p" ] && [ "$o" != --help ] && [ "$o" != -h ] || continue
	if awk -v o="$o" '/^@SH/ { s = $2; next } (s == "OPTIONS" || s == "SYNOPSIS") && (" " $0 " ") ~ ("[^a-z-]" o "([^a-z-]|$)") { f = 1 } END { exit !f }' "$T/man"
	then pass; else fail "$MAN: the global option $o is not in OPTIONS"; fi
done <"$T/opts"

# Configuration keys: the man page's CONFIGURATION, both ways, and the docs.
awk '/^@SH/ { s = $2; next } s == "CONFIGURATION" && prev == "@TP" { print } { prev = $0 }' "$T/man" |
	grep -oE '(^|[ ,])[a-z_]+ = ' | sed -E 's/^[ ,]*//; s/ = $//' | sort -u >"$T/man.keys"
while IFS= read -r k; do
	if is_key "$k"; then pass; else fail "$MAN: CONFIGURATION names $k, which is no key"; fi
done <"$T/man.keys"
while IFS= read -r k; do
	if grep -qxF "$k" "$T/man.keys"; then pass; else fail "$MAN: the key $k is not in CONFIGURATION"; fi
done <"$T/keys"
key_re='^([a-z][a-z0-9_]*) = '
while IFS=$'\t' read -r f text; do
	[[ $text =~ $key_re ]] || continue
	k=${BASH_REMATCH[1]}
	if is_key "$k" || allowed "$f" "$k"; then pass; else fail "$f: \`$text\`: $k is no configuration key"; fi
done <"$T/spans"

# snake_case names: known, or no near miss of a known one.
{
	awk -F'\t' '{ n = split($2, w, /[^a-z0-9_]+/); for (i = 1; i <= n; i++) if (w[i] ~ /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/) print $1 "\t" w[i] }' "$T/spans" "$T/code"
	grep -oE '\b[a-z][a-z0-9]*(_[a-z0-9]+)+\b' "$T/man" | sed "s|^|$MAN\t|"
} | sort -u >"$T/snake"
awk -F'\t' -v T="$T" '
	function lev(a, b,   la, lb, i, j, d, c, x, y, z) {
		la = length(a); lb = length(b)
		for (i = 0; i <= la; i++) d[i, 0] = i
		for (j = 0; j <= lb; j++) d[0, j] = j
		for (i = 1; i <= la; i++) for (j = 1; j <= lb; j++) {
			c = substr(a, i, 1) != substr(b, j, 1)
			x = d[i - 1, j] + 1; y = d[i, j - 1] + 1; z = d[i - 1, j - 1] + c
			d[i, j] = x < y ? (x < z ? x : z) : (y < z ? y : z)
		}
		return d[la, lb]
	}
	BEGIN { while ((getline l < (T "/known")) > 0) known[l] = 1; while ((getline l < (T "/metrics")) > 0) metric[l] = 1 }
	{
		f = $1; t = $2
		if (t in known) { print "ok"; next }
		if (t ~ /^dupgre_/) {
			base = t; sub(/_(bucket|sum|count)$/, "", base)
			if (base in metric) { print "ok"; next }
			print f "\t" t "\tis no metric dupgre-ctl exports"; next
		}
		s = t
		if (sub(/^(clone|relay|dnat|eliminate|hold)_/, "", s) && (s in known)) { print f "\t" t "\tis no name: " s "?"; next }
		if (length(t) >= 6) for (k in known) if (length(k) >= 5 && lev(t, k) <= 2) { print f "\t" t "\tis no name: " k "?"; next }
	}' "$T/snake" >"$T/snake.out"
while IFS=$'\t' read -r f t why; do
	[ "$f" = ok ] && { pass; continue; }
	if allowed "$f" "$t"; then pass; else fail "$f: \`$t\` $why"; fi
done <"$T/snake.out"

# Counter lists: every backticked word is a name dupgre has.
{
	# the bullet list that opens the section
	awk '/^### Counters/ { c = 1; next } c && /^#/ { exit } c && /^\* / { b = 1 } b && /^$/ { exit } b' README.md |
		awk 'BEGIN { RS = "`" } NR % 2 == 0 { print "README.md\t" $0 }'
	grep -E '^\| `[a-z_]+`' docs/monitoring.md | sed -E 's/^\| `([^`]+)`.*/docs\/monitoring.md\t\1/'
} | awk -F'\t' '$2 ~ /^[a-z][a-z0-9_]*$/' | sort -u >"$T/counterwords"
while IFS=$'\t' read -r f w; do
	if grep -qxF "$w" "$T/known" || allowed "$f" "$w"; then pass; else fail "$f: \`$w\` in a counter list is no counter, key, label or command"; fi
done <"$T/counterwords"

# The OpenWrt feed's file list: every file of the package, and only those.
awk '/^```/ { n++; next } n == 1 { print $1 }' openwrt-feed/README.md | sort -u >"$T/feed.listed"
(cd openwrt-feed && find net libs -type f | sort; echo tests/) >"$T/feed.files"
while IFS= read -r f; do
	if grep -qxF "$f" "$T/feed.listed"; then pass; else fail "openwrt-feed/README.md: $f is not in the file list"; fi
done <"$T/feed.files"
while IFS= read -r f; do
	if [ -e "openwrt-feed/$f" ]; then pass; else fail "openwrt-feed/README.md: the file list names $f, which is not there"; fi
done <"$T/feed.listed"

# The man page's FILES: the hooks and units it names are ones the build
# installs (CMakeLists.txt).
awk '/^@SH/ { s = $2; next } s == "FILES"' "$T/man" | grep -oE '[a-z@.-]+\.(service|timer)|(if|ip)-[a-z-]+\.d/dupgre' | sort -u >"$T/man.files"
while IFS= read -r f; do
	case $f in
	*.service | *.timer) [ -e "scripts/$f" ] && grep -q "scripts/$f" CMakeLists.txt ;;
	ip-*) [ -e "scripts/ppp/$f" ] && grep -q "scripts/ppp/$f" CMakeLists.txt ;;
	if-*) [ -e "scripts/ifupdown/$f" ] && grep -q "${f%%/*}" CMakeLists.txt ;;
	esac && pass || fail "$MAN: FILES names $f, which the build does not install"
done <"$T/man.files"
[ "$(wc -l <"$T/man.files")" -ge 10 ] || fail "$MAN: FILES names only $(wc -l <"$T/man.files") hooks and units"

echo "doc-names: $passed passed, $failed failed"
[ "$failed" = 0 ]
