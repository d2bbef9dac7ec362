// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "site/link_record.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <cstring>

#include "core/bpffs.h"
#include "core/error.h"
#include "core/fd.h"
#include "core/netdev.h"
#include "core/pins.h"

namespace dupgre {

namespace {

using Key = std::array<char, 16>;  // the device's name, NUL-padded

Key key_of(const std::string &dev)
{
	validate_ifname(dev);
	Key k{};
	std::memcpy(k.data(), dev.data(), dev.size());
	return k;
}

}  // namespace

LinkRecord::LinkRecord() : pin_(state_root() + "/site/links") {}

int LinkRecord::open_or_create()
{
	if (path_exists(pin_))
		return open_pinned(pin_).release();
	make_dirs(state_root() + "/site");
	Fd map(bpf_map_create(BPF_MAP_TYPE_HASH, "dupgre_links", sizeof(Key), sizeof(site_link), SITE_MAX_LINKS,
			      nullptr));
	if (!map)
		throw Error("creating the map of links' settings: " + strerror_text(-errno));
	check(bpf_obj_pin(map.get(), pin_.c_str()), "pinning " + display_path(pin_));
	return map.release();
}

std::map<std::string, site_link> LinkRecord::all() const
{
	std::map<std::string, site_link> out;
	if (!path_exists(pin_))
		return out;
	Fd map = open_pinned(pin_);
	for (const Key &k : map_keys<Key>(map.get())) {
		site_link v{};
		if (bpf_map_lookup_elem(map.get(), k.data(), &v) == 0)
			out[std::string(k.data(), strnlen(k.data(), k.size()))] = v;
	}
	return out;
}

site_link LinkRecord::get(const std::string &dev, int ifindex)
{
	auto records = all();
	auto it = records.find(dev);
	if (it != records.end() && it->second.ifindex == static_cast<__u32>(ifindex))
		return it->second;
	site_link v{};  // a new device instance: nothing set on it yet
	v.ifindex = static_cast<__u32>(ifindex);
	v.orig_rp = v.set_rp = -1;
	return v;
}

void LinkRecord::put(const std::string &dev, const site_link &v)
{
	Fd map(open_or_create());
	Key k = key_of(dev);
	check(bpf_map_update_elem(map.get(), k.data(), &v, BPF_ANY), "recording " + dev + "'s settings");
}

void LinkRecord::set_mtu(const std::string &dev, unsigned mtu)
{
	NetDevice d = require_device(dev);
	site_link v = get(dev, d.ifindex);
	if (!v.orig_mtu)
		v.orig_mtu = d.mtu;
	v.set_mtu = mtu;
	put(dev, v);  // recorded before it changes: a crash between leaves it restorable
	dupgre::set_mtu(dev, mtu);
}

void LinkRecord::relax_rp_filter(const std::string &dev)
{
	NetDevice d = require_device(dev);
	site_link v = get(dev, d.ifindex);
	int own = device_rp_filter(dev);
	if (v.orig_rp < 0 && own >= 0)
		v.orig_rp = static_cast<__s8>(own);
	put(dev, v);
	dupgre::relax_rp_filter(dev);
	v.set_rp = static_cast<__s8>(device_rp_filter(dev));
	put(dev, v);
}

std::string LinkRecord::restore(const std::string &dev)
{
	auto records = all();
	auto it = records.find(dev);
	if (it == records.end())
		return "";
	const site_link &v = it->second;
	std::string done;
	auto d = find_device(dev);
	if (d && d->ifindex == static_cast<int>(v.ifindex)) {
		if (v.orig_mtu && d->mtu == v.set_mtu && v.orig_mtu != v.set_mtu) {
			dupgre::set_mtu(dev, v.orig_mtu);
			done += "mtu " + std::to_string(v.orig_mtu);
		}
		if (v.orig_rp >= 0 && v.set_rp >= 0 && device_rp_filter(dev) == v.set_rp && v.orig_rp != v.set_rp) {
			set_rp_filter(dev, v.orig_rp);
			done += (done.empty() ? "" : " ") + std::string("rp_filter ") + std::to_string(v.orig_rp);
		}
	}
	forget(dev);
	return done;
}

void LinkRecord::forget(const std::string &dev)
{
	if (!path_exists(pin_))
		return;
	Fd map = open_pinned(pin_);
	Key k = key_of(dev);
	bpf_map_delete_elem(map.get(), k.data());
	// Nothing left to put back: no map, and no directory kept for it.
	if (count_keys(map.get()) == 0) {
		unlink(pin_.c_str());
		remove_empty_dirs(state_root() + "/site");
	}
}

size_t LinkRecord::restore_all()
{
	size_t n = 0;
	for (const auto &entry : all())
		n += !restore(entry.first).empty();
	if (path_exists(pin_))
		unlink(pin_.c_str());
	remove_empty_dirs(state_root() + "/site");
	return n;
}

}  // namespace dupgre
