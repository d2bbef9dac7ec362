// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/tc.h"

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/bpffs.h"
#include "core/error.h"
#include "core/fd.h"
#include "core/pins.h"

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

static std::string clsact_marker(int ifindex)
{
	return state_root() + "/clsact/" + std::to_string(ifindex);
}

bool clsact_created_by_dupgre(int ifindex)
{
	return path_exists(clsact_marker(ifindex));
}

void forget_clsact(int ifindex)
{
	remove_empty_dirs(clsact_marker(ifindex));
}

void forget_all_clsact()
{
	for (const std::string &ifindex : list_dir(state_root() + "/clsact"))
		forget_clsact(std::stoi(ifindex));
}

void tc_attach(int ifindex, const TcFilter &filter, int prog_fd)
{
	TcHook hook(ifindex, filter.point);
	if (hook.ensure_clsact())
		make_dirs(clsact_marker(ifindex));
	try {
		hook.attach(filter, prog_fd);
	} catch (...) {
		if (clsact_created_by_dupgre(ifindex) && hook.destroy_clsact_if_unused())
			forget_clsact(ifindex);
		throw;
	}
}

void tc_detach(int ifindex, const TcFilter &filter, __u32 prog_id)
{
	TcHook hook(ifindex, filter.point);
	if (hook.query(filter) == prog_id)
		hook.detach(filter);
	if (!clsact_created_by_dupgre(ifindex))
		return;
	// Gone if nobody uses it; kept for the others if they do, and then
	// theirs once no dupgre filter is left on the device.
	bool ours_left = false;
	for (const TcFilter &f : {clone_filter, dnat_filter, eliminate_filter, relay_filter})
		ours_left |= tc_query(ifindex, f).has_value();
	if (hook.destroy_clsact_if_unused() || !ours_left)
		forget_clsact(ifindex);
}

std::optional<__u32> tc_query(int ifindex, const TcFilter &filter)
{
	return TcHook(ifindex, filter.point).query(filter);
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
