// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// A dual link's kind, from the one table of their facts
// (include/dupgre/dual_kinds.h).
#pragma once

#include <optional>
#include <string>

#include "core/netdev.h"
#include "dupgre/dual_kinds.h"

namespace dupgre {

enum class DualKind {
#define DUPGRE_KIND_ENUM(kind, ...) kind,
	DUPGRE_DUAL_KINDS(DUPGRE_KIND_ENUM)
#undef DUPGRE_KIND_ENUM
};

const char *dual_kind_name(DualKind k);
std::optional<DualKind> parse_dual_kind(const std::string &name);
inline constexpr char dual_kind_names[] = "ppp, wireguard, gre or ipip";

// What the link adds around a copy, over an IPv4 or IPv6 underlay.
unsigned transport_header(DualKind k, bool ipv6_underlay);
// dual_mtu when the configuration gives none.
unsigned default_dual_mtu(DualKind k);
// Whether the device is of that kind (is_wireguard: its netlink family
// knows it).
bool kind_matches(DualKind k, const NetDevice &d, bool is_wireguard);
// How to bring such a link up, for check's fixes.
std::string bring_up_fix(DualKind k, const std::string &dev);

}  // namespace dupgre
