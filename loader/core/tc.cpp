// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/tc.h"

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/bpffs.h"
#include "core/error.h"
#include "core/fd.h"
#include "core/pins.h"
#include "core/tcx.h"

namespace dupgre {

TcHook::TcHook(int ifindex, bpf_tc_attach_point point)
{
	memset(&hook_, 0, sizeof(hook_));
	hook_.sz = sizeof(hook_);
	hook_.ifindex = ifindex;
	hook_.attach_point = point;
}

bool TcHook::ensure_clsact()
{
	int err = bpf_tc_hook_create(&hook_);
	if (err == -EEXIST)
		return false;
	check(err, "creating the clsact qdisc");
	return true;
}

static bpf_tc_opts filter_opts(const TcFilter &filter)
{
	bpf_tc_opts opts;
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.handle = filter.handle;
	opts.priority = filter.priority;
	return opts;
}

void TcHook::attach(const TcFilter &filter, int prog_fd)
{
	bpf_tc_hook hook = hook_;
	bpf_tc_opts opts = filter_opts(filter);

	hook.attach_point = filter.point;
	opts.prog_fd = prog_fd;
	opts.flags = BPF_TC_F_REPLACE;
	check(bpf_tc_attach(&hook, &opts), "attaching the tc filter");
}

bool TcHook::detach(const TcFilter &filter)
{
	bpf_tc_hook hook = hook_;
	bpf_tc_opts opts = filter_opts(filter);

	hook.attach_point = filter.point;
	int err = bpf_tc_detach(&hook, &opts);
	if (err == -ENOENT || err == -EINVAL || err == -ENODEV)
		return false;  // no filter there, or no clsact qdisc at all
	check(err, "detaching the tc filter");
	return true;
}

std::optional<__u32> TcHook::query(const TcFilter &filter)
{
	bpf_tc_hook hook = hook_;
	bpf_tc_opts opts = filter_opts(filter);

	hook.attach_point = filter.point;
	int err = bpf_tc_query(&hook, &opts);
	if (err < 0)
		return std::nullopt;
	return opts.prog_id;
}

bool TcHook::destroy_clsact_if_unused()
{
	if (clsact_filter_count(hook_.ifindex) > 0)
		return false;
	bpf_tc_hook hook = hook_;
	hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
	int err = bpf_tc_hook_destroy(&hook);
	if (err == -ENOENT || err == -EINVAL)
		return false;
	check(err, "removing the clsact qdisc");
	return true;
}

const char *attach_mode_name(AttachMode mode)
{
	return mode == AttachMode::tcx ? "tcx" : "tc";
}

AttachMode wanted_attach_mode()
{
	const char *env = getenv("DUPGRE_ATTACH");
	std::string want = env ? env : "";
	if (want == "tc")
		return AttachMode::tc;
	if (want == "tcx") {
		if (!tcx_supported())
			throw Error("DUPGRE_ATTACH=tcx: this kernel has no tcx (Linux 6.6 brought it)");
		return AttachMode::tcx;
	}
	if (!want.empty() && want != "auto")
		throw UsageError("DUPGRE_ATTACH must be tc, tcx or auto, not '" + want + "'");
	return tcx_supported() ? AttachMode::tcx : AttachMode::tc;
}

static std::string clsact_marker(int ifindex)
{
	return state_root() + "/clsact/" + std::to_string(ifindex);
}

bool clsact_created_by_dupgre(int ifindex)
{
	return path_exists(clsact_marker(ifindex));
}

namespace {

std::string links_dir(int ifindex)
{
	return state_root() + "/tcx/" + std::to_string(ifindex);
}

std::string link_pin(int ifindex, const TcFilter &filter)
{
	return links_dir(ifindex) + "/" + filter.name;
}

// dupgre's pinned link at path; live while attached to ifindex.
struct PinnedLink {
	Fd fd;
	TcxLinkInfo info;
	bool live;
};

std::optional<PinnedLink> pinned_link(const std::string &path, int ifindex)
{
	int fd = bpf_obj_get(path.c_str());
	if (fd < 0)
		return std::nullopt;
	PinnedLink link{Fd(fd), {}, false};
	if (auto info = tcx_link_info(fd)) {
		link.info = *info;
		link.live = info->ifindex == ifindex;
	}
	return link;
}

std::optional<PinnedLink> pinned_link(int ifindex, const TcFilter &filter)
{
	return pinned_link(link_pin(ifindex, filter), ifindex);
}

// Where a new link goes: right before the first of dupgre's links on the
// hook that must come after it, or right after the last that must come
// before it, or first. Foreign programs between dupgre's own keep their
// place.
struct Place {
	TcxPlace place;
	Fd relative;  // open while the link is created
};

Place place_among_ours(int ifindex, const TcFilter &filter)
{
	Place out;
	std::optional<PinnedLink> next, prev;
	__u32 next_prio = 0, prev_prio = 0;
	for (const TcFilter &other : all_filters) {
		if (other.point != filter.point || other.handle == filter.handle)
			continue;
		auto link = pinned_link(ifindex, other);
		if (!link || !link->live)
			continue;
		if (other.priority > filter.priority && (!next || other.priority < next_prio)) {
			next = std::move(link);
			next_prio = other.priority;
		} else if (other.priority < filter.priority && (!prev || other.priority > prev_prio)) {
			prev = std::move(link);
			prev_prio = other.priority;
		}
	}
	if (next) {
		out.place = {TcxPlace::before, next->fd.get()};
		out.relative = std::move(next->fd);
	} else if (prev) {
		out.place = {TcxPlace::after, prev->fd.get()};
		out.relative = std::move(prev->fd);
	}
	return out;
}

// A program attached anew: the mode dupgre's other programs on the hook
// have (so that their order holds: tcx runs before clsact), else the one
// wanted.
AttachMode mode_for(int ifindex, const TcFilter &filter)
{
	AttachMode wanted = wanted_attach_mode();  // a DUPGRE_ATTACH it refuses is an error anyway
	for (const TcFilter &other : all_filters)
		if (other.point == filter.point && other.handle != filter.handle)
			if (auto running = tc_query(ifindex, other))
				return running->mode;
	return wanted;
}

void attach_tcx(int ifindex, const TcFilter &filter, int prog_fd)
{
	std::string pin = link_pin(ifindex, filter);
	make_dirs(links_dir(ifindex));
	unlink(pin.c_str());  // a defunct link of a device instance long gone
	Place place = place_among_ours(ifindex, filter);
	Fd link = tcx_link_create(prog_fd, ifindex, filter.point, place.place);
	// Unpinned, the link goes with its descriptor when this fails.
	check(bpf_obj_pin(link.get(), pin.c_str()), "pinning the tcx link as " + display_path(pin));
}

void attach_clsact(int ifindex, const TcFilter &filter, int prog_fd)
{
	TcHook hook(ifindex, filter.point);
	if (hook.ensure_clsact())
		make_dirs(clsact_marker(ifindex));
	try {
		hook.attach(filter, prog_fd);
	} catch (...) {
		if (clsact_created_by_dupgre(ifindex) && hook.destroy_clsact_if_unused())
			remove_empty_dirs(clsact_marker(ifindex));
		throw;
	}
}

void detach_clsact(int ifindex, const TcFilter &filter, __u32 prog_id)
{
	TcHook hook(ifindex, filter.point);
	if (hook.query(filter) == prog_id)
		hook.detach(filter);
	if (!clsact_created_by_dupgre(ifindex))
		return;
	// Gone if nobody uses it; kept for the others if they do, and then
	// theirs once no dupgre filter is left on the device.
	bool ours_left = false;
	for (const TcFilter &f : all_filters)
		ours_left |= TcHook(ifindex, f.point).query(f).has_value();
	if (hook.destroy_clsact_if_unused() || !ours_left)
		remove_empty_dirs(clsact_marker(ifindex));
}

// Unpins the device's links; detaches those still attached if told to.
void forget_links(int ifindex, bool detach_live)
{
	std::string dir = links_dir(ifindex);
	for (const std::string &name : list_dir(dir)) {
		std::string pin = dir + "/" + name;
		auto link = pinned_link(pin, ifindex);
		if (link && link->live) {
			if (!detach_live)
				continue;
			tcx_link_detach(link->fd.get());
		}
		unlink(pin.c_str());
	}
	remove_empty_dirs(dir);
}

}  // namespace

AttachMode tc_attach(int ifindex, const TcFilter &filter, int prog_fd)
{
	if (auto link = pinned_link(ifindex, filter); link && link->live) {
		tcx_link_update(link->fd.get(), prog_fd);
		return AttachMode::tcx;
	}
	if (TcHook(ifindex, filter.point).query(filter) || mode_for(ifindex, filter) == AttachMode::tc) {
		attach_clsact(ifindex, filter, prog_fd);
		return AttachMode::tc;
	}
	attach_tcx(ifindex, filter, prog_fd);
	return AttachMode::tcx;
}

void tc_detach(int ifindex, const TcFilter &filter, __u32 prog_id)
{
	if (auto link = pinned_link(ifindex, filter)) {
		std::string pin = link_pin(ifindex, filter);
		if (!link->live) {
			unlink(pin.c_str());  // detached by its device's going
		} else if (link->info.prog_id == prog_id) {
			tcx_link_detach(link->fd.get());
			unlink(pin.c_str());
		}
		remove_empty_dirs(links_dir(ifindex));
	}
	detach_clsact(ifindex, filter, prog_id);
}

std::optional<Attached> tc_query(int ifindex, const TcFilter &filter)
{
	if (auto link = pinned_link(ifindex, filter); link && link->live)
		return Attached{link->info.prog_id, AttachMode::tcx};
	if (auto id = TcHook(ifindex, filter.point).query(filter))
		return Attached{*id, AttachMode::tc};
	return std::nullopt;
}

void forget_device(int ifindex)
{
	remove_empty_dirs(clsact_marker(ifindex));
	forget_links(ifindex, false);
}

void forget_all_devices()
{
	for (const std::string &ifindex : list_dir(state_root() + "/clsact"))
		remove_empty_dirs(clsact_marker(std::stoi(ifindex)));
	for (const std::string &ifindex : list_dir(state_root() + "/tcx"))
		forget_links(std::stoi(ifindex), true);
}

namespace {

// A route netlink socket for requests this process reads the answers to.
Fd netlink_route_socket()
{
	Fd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
	if (!fd)
		throw Error(std::string("netlink socket: ") + strerror(errno));
	return fd;
}

// Filters on one clsact direction: RTM_GETTFILTER dump, counting entries
// that name a filter (a handle); the per-priority headers carry none.
int count_filters(int ifindex, __u32 parent)
{
	Fd nl = netlink_route_socket();
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	req.nh.nlmsg_type = RTM_GETTFILTER;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.tc.tcm_family = AF_UNSPEC;
	req.tc.tcm_ifindex = ifindex;
	req.tc.tcm_parent = parent;
	if (send(nl.get(), &req, req.nh.nlmsg_len, 0) < 0)
		throw Error(std::string("listing tc filters: ") + strerror(errno));

	int count = 0;
	alignas(nlmsghdr) char buf[16384];
	for (;;) {
		ssize_t len = recv(nl.get(), buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			throw Error(std::string("listing tc filters: ") + strerror(errno));
		}
		// NLMSG_OK compares the remaining length with nlmsg_len, a __u32:
		// signed and wider than it on every CPU (ssize_t is 32 bits on
		// mipsel and i386), so the comparison is exact and the count may
		// go below 0 after the last message.
		int64_t left = len;
		for (auto *nh = reinterpret_cast<nlmsghdr *>(buf); NLMSG_OK(nh, left);
		     nh = NLMSG_NEXT(nh, left)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return count;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				auto *e = static_cast<nlmsgerr *>(NLMSG_DATA(nh));
				if (e->error == -EINVAL || e->error == -ENOENT)
					return 0;  // no clsact qdisc
				throw Error("listing tc filters: " + strerror_text(e->error));
			}
			auto *tc = static_cast<tcmsg *>(NLMSG_DATA(nh));
			if (nh->nlmsg_type == RTM_NEWTFILTER && tc->tcm_handle)
				count++;
		}
	}
}

}  // namespace

int clsact_filter_count(int ifindex)
{
	return count_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)) +
	       count_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS));
}

}  // namespace dupgre
