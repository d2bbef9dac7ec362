// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "site/link_kind.h"

#include <net/if_arp.h>

// glibc's <net/if_arp.h> lags the kernel's list.
#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif

namespace dupgre {

namespace {

struct KindFacts {
	const char *name;
	unsigned header_v4, header_v6, default_mtu, arphrd_v4, arphrd_v6;
};

const KindFacts &facts(DualKind k)
{
#define DUPGRE_KIND_FACTS(kind, h4, h6, mtu, t4, t6) {#kind, h4, h6, mtu, t4, t6},
	static const KindFacts table[] = {DUPGRE_DUAL_KINDS(DUPGRE_KIND_FACTS)};
#undef DUPGRE_KIND_FACTS
	return table[static_cast<int>(k)];
}

constexpr DualKind all[] = {
#define DUPGRE_KIND_VALUE(kind, ...) DualKind::kind,
	DUPGRE_DUAL_KINDS(DUPGRE_KIND_VALUE)
#undef DUPGRE_KIND_VALUE
};

}  // namespace

const char *dual_kind_name(DualKind k)
{
	return facts(k).name;
}

std::optional<DualKind> parse_dual_kind(const std::string &name)
{
	for (DualKind k : all)
		if (name == facts(k).name)
			return k;
	return std::nullopt;
}

unsigned transport_header(DualKind k, bool ipv6_underlay)
{
	return ipv6_underlay ? facts(k).header_v6 : facts(k).header_v4;
}

unsigned default_dual_mtu(DualKind k)
{
	return facts(k).default_mtu;
}

bool kind_matches(DualKind k, const NetDevice &d, bool is_wireguard)
{
	if (k == DualKind::wireguard)
		return is_wireguard;
	return d.type == facts(k).arphrd_v4 || d.type == facts(k).arphrd_v6;
}

std::string bring_up_fix(DualKind k, const std::string &dev)
{
	switch (k) {
	case DualKind::ppp:
		return "pon <the dual link's peer file>";
	case DualKind::wireguard:
		return "wg-quick up " + dev + " (or networkctl up " + dev + ", ifup " + dev + ")";
	case DualKind::gre:
	case DualKind::ipip:
		break;
	}
	return "ip link add " + dev + " type " + dual_kind_name(k) +
	       " local <this site's address> remote <the secondary's> && ip link set dev " + dev + " up";
}

}  // namespace dupgre
