// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/dnat.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/bpf_util.h"
#include "core/bpffs.h"
#include "dnat.skel.h"
#include "core/error.h"
#include "core/pins.h"
#include "core/tc.h"

namespace dupgre {

DnatState::DnatState(const std::string &device) : device_(device)
{
	validate_ifname(device);
	dir_ = state_root() + "/dnat/" + device;
}

std::vector<std::string> DnatState::devices()
{
	return list_dir(state_root() + "/dnat");
}

bool DnatState::exists() const
{
	return path_exists(pin("info"));
}

void DnatState::unpin_all()
{
	for (const char *name : {"prog", "stats", "info"})
		unlink(pin(name).c_str());
	remove_empty_dirs(dir_);
}

void DnatState::attach(const NetDevice &dev, Ipv4 pub, Ipv4 priv)
{
	if (!dev.has_mac_header() && !dev.takes_l3_packets())
		throw Error("cannot attach to " + dev.name + ": unsupported device type " + dev.type_name());
	Rollback rollback;
	bool fresh = !exists();
	std::optional<dnat_info> old;
	if (!fresh)
		old = read_info<dnat_info>(pin("info"));

	SkelPtr<dnat_bpf> skel(dnat_bpf__open(), dnat_bpf__destroy);
	if (!skel)
		throw Error("opening the DNAT program: " + strerror_text(-errno));
	skel->rodata->public_addr = pub.be;
	skel->rodata->private_addr = priv.be;
	skel->rodata->l3_device = !dev.has_mac_header();
	make_dirs(dir_);
	if (fresh)
		rollback.add([this] { unpin_all(); });
	check(bpf_map__set_pin_path(skel->maps.stats, pin("stats").c_str()), "setting pin path");
	check(bpf_map__set_pin_path(skel->maps.info, pin("info").c_str()), "setting pin path");
	check(dnat_bpf__load(skel.get()), "loading the DNAT program");
	int prog_fd = bpf_program__fd(skel->progs.dupgre_dnat);
	__u32 id = prog_id(prog_fd);

	bool replace = old && old->ifindex == static_cast<__u32>(dev.ifindex) &&
		       tc_query(dev.ifindex, dnat_filter) == old->prog_id;
	tc_attach(dev.ifindex, dnat_filter, prog_fd);
	if (!replace)
		rollback.add([ifindex = dev.ifindex, id] { tc_detach(ifindex, dnat_filter, id); });
	unlink(pin("prog").c_str());
	check(bpf_obj_pin(prog_fd, pin("prog").c_str()), "pinning " + display_path(pin("prog")));

	dnat_info info{};
	info.ifindex = dev.ifindex;
	info.public_addr = pub.be;
	info.private_addr = priv.be;
	info.prog_id = id;
	info.l3_device = !dev.has_mac_header();
	write_info(pin("info"), info);
	rollback.commit();
}

bool DnatState::detach()
{
	if (!exists())
		return false;
	auto info = read_info<dnat_info>(pin("info"));
	auto dev = find_device(device_);
	if (dev && dev->ifindex == static_cast<int>(info.ifindex))
		tc_detach(dev->ifindex, dnat_filter, info.prog_id);
	else
		forget_clsact(info.ifindex);
	unpin_all();
	return true;
}

DnatStatus DnatState::status() const
{
	DnatStatus st;
	st.device = device_;
	if (!exists())
		return st;
	st.info = read_info<dnat_info>(pin("info"));
	auto dev = find_device(device_);
	st.attached = dev && dev->ifindex == static_cast<int>(st.info.ifindex) &&
		      tc_query(dev->ifindex, dnat_filter) == st.info.prog_id;
	auto c = sum_percpu_counters(pin("stats"), DNAT_COUNTER_MAX);
	std::copy(c.begin(), c.end(), st.counters.begin());
	return st;
}

}  // namespace dupgre
