// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/dnat.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/bpffs.h"
#include "core/pins.h"
#include "core/program.h"
#include "dnat.skel.h"

namespace dupgre {

DUPGRE_SKELETON(dnat_bpf);

const CounterSchema &dnat_schema()
{
	static const CounterSchema schema = DUPGRE_SCHEMA("dnat", DNAT_COUNTERS, DNAT_FAMILIES);
	return schema;
}

const ProgramSpec dnat_program = {"dnat", dnat_filter, {"stats", "info"}, dnat_schema()};

DnatState::DnatState(const std::string &device) : device_(device)
{
	validate_ifname(device);
	dir_ = state_root() + "/dnat/" + device_pin_name(device);
}

std::vector<std::string> DnatState::devices()
{
	return list_device_dirs(state_root() + "/dnat");
}

bool DnatState::exists() const
{
	return path_exists(pin("info"));
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

	TcProgram<dnat_bpf> prog(dnat_program, dir_);
	prog->rodata->public_addr = pub.be;
	prog->rodata->private_addr = priv.be;
	prog->rodata->l3_device = !dev.has_mac_header();
	if (fresh)
		rollback.add([this] { forget(dnat_program, dir_); });
	prog.load();
	bool replace = old && runs_here(dnat_program, device_, old->ifindex, old->prog_id);
	if (old && old->ifindex != static_cast<__u32>(dev.ifindex))
		forget_device(static_cast<int>(old->ifindex));  // the device came back: the old one is gone
	__u32 id = prog.attach(dev.ifindex, rollback, replace);
	prog.pin();

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
	dupgre::detach(dnat_program, device_, info.ifindex, info.prog_id);
	forget(dnat_program, dir_);
	return true;
}

DnatStatus DnatState::status() const
{
	DnatStatus st;
	st.device = device_;
	if (!exists())
		return st;
	st.info = read_info<dnat_info>(pin("info"));
	st.attach_mode = running_mode(dnat_program, device_, st.info.ifindex, st.info.prog_id);
	st.attached = st.attach_mode.has_value();
	__u32 key = 0;
	auto c = sum_percpu_row(open_pinned(pin("stats")).get(), &key, DNAT_COUNTER_MAX);
	std::copy(c.begin(), c.end(), st.counters.begin());
	return st;
}

}  // namespace dupgre
