#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An upgrade leaves pins of an older layout (elim_slot grows, stream_index
# changes type; the relay's links record grows): eliminate add and relay add
# must make them anew by themselves, every path and link back on the new
# maps with its settings and sites, never asking for flush.
source "$(dirname "$0")/lib.sh" "$1"

ns_add NS
ip -n "$NS" link add v0 type veth peer name v1
ip -n "$NS" link set v0 up
ip -n "$NS" link set v1 up
ctl "$NS" eliminate add --dev v0 --mode drop --window 32
ctl "$NS" eliminate add --dev v1
dir=/sys/fs/bpf/dupgre/netns/$NS/eliminate  # state_root() of a named namespace
check "found the namespace's eliminate pins" test -e "$dir/streams"
# What an older dupgre-ctl pinned: streams with another value size, an LRU index.
rm "$dir/streams" "$dir/stream_index"
bpftool map create "$dir/streams" type array key 4 value 360 entries 4096 name streams
bpftool map create "$dir/stream_index" type lru_hash key 20 value 4 entries 4096 name stream_index
out=$(ctl "$NS" eliminate add --dev v1 2>&1)
check "eliminate add succeeds over an older layout and says so" grep -q "older dupgre" <<<"$out"
# 440: sizeof(struct elim_slot), include/dupgre/eliminate.h.
check_eq "streams made anew in this build's layout" 440 \
	"$(bpftool -j map show pinned "$dir/streams" | jq .bytes_value)"
check_eq "the index is a plain hash now" hash "$(bpftool -j map show pinned "$dir/stream_index" | jq -r .type)"
status=$(ctl "$NS" -j status)
check_eq "both paths back, attached, their settings kept (drop mode, window 32)" \
	"v0 attached drop 32 v1 attached drop 32" \
	"$(jq -r '[.eliminate[] | "\(.device) \(.state) \(.mode) \(.window)"] | join(" ")' <<<"$status")"
check "a second add is a no-op (nothing said)" test -z "$(ctl "$NS" eliminate add --dev v1 2>&1)"
ctl "$NS" eliminate del --dev v0
ctl "$NS" eliminate del --dev v1

# The relay on two TUN dual links, then its links record and counters as an
# older dupgre-ctl pinned them (16-byte records, 11 counters).
ip -n "$NS" tuntap add dev rl0 mode tun
ip -n "$NS" tuntap add dev rl1 mode tun
for d in rl0 rl1; do ip -n "$NS" link set "$d" up; done
ctl "$NS" relay add --dev rl0 --peer 198.18.5.1
ctl "$NS" relay add --dev rl1 --peer 198.18.6.1
rdir=/sys/fs/bpf/dupgre/netns/$NS/relay
rm "$rdir/links" "$rdir/stats"
bpftool map create "$rdir/links" type hash key 4 value 16 entries 64 name links
bpftool map create "$rdir/stats" type percpu_hash key 4 value 88 entries 64 name stats
out=$(ctl "$NS" relay add --dev rl1 --peer 198.18.6.1 2>&1)
check "relay add succeeds over an older layout and says so" grep -q "older dupgre" <<<"$out"
check_eq "the links record made anew in this build's layout" 20 \
	"$(bpftool -j map show pinned "$rdir/links" | jq .bytes_value)"
check_eq "both links back, attached, with their sites" "rl0 198.18.5.1 rl1 198.18.6.1" \
	"$(ctl "$NS" -j relay list | jq -r '[.relay[] | "\(.device) \(.peers | join(","))"] | sort | join(" ")')"
ctl "$NS" relay del --dev rl0
ctl "$NS" relay del --dev rl1
finish
