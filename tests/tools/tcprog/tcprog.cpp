// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// tcprog: a device's TC hooks as the tests and the bench see them, and
// someone else's program on one (Debian 12's tc and bpftool 7.1 show no tcx
// links, and the test machines' kernel has no tc actions to count with).
//
//   tcprog list DEV ingress|egress
//       the programs on DEV's tcx hook in the order they run, one "ID NAME"
//       line each (the kernel's BPF_PROG_QUERY); exits 3 on a kernel
//       without tcx
//   tcprog hold DEV ingress|egress [--ret N] [--first | --tc PRIO] [--count]
//       someone else's program, named "foreign": returns N (default -1:
//       TCX_NEXT, TC_ACT_UNSPEC, the next program or filter runs); by a tcx
//       link after every other program (--first: before), or with --tc as
//       a cls_bpf filter at priority PRIO (handle 1) of the device's clsact
//       qdisc, which must be there. With --count it counts the packets it
//       sees. Says "ready" on stderr; on SIGTERM it detaches, prints the
//       count (with --count) and exits.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "../common/cli.hpp"
#include "core/bpf_util.h"
#include "core/error.h"
#include "core/tcx.h"

using namespace dupgre;

namespace {

int ifindex_of(const std::string &dev)
{
	unsigned ifindex = if_nametoindex(dev.c_str());
	if (!ifindex)
		throw Error("no device " + dev);
	return static_cast<int>(ifindex);
}

bpf_tc_attach_point point_of(const std::string &dir)
{
	return dir == "egress" ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

int list(const std::string &dev, const std::string &dir)
{
	if (!tcx_supported())
		return 3;
	std::vector<__u32> ids(64);
	auto count = static_cast<__u32>(ids.size());
	check(bpf_prog_query(ifindex_of(dev), tcx_attach_type(point_of(dir)), 0, nullptr, ids.data(), &count),
	      "querying " + dev + "'s tcx " + dir);
	for (__u32 i = 0; i < count; i++) {
		Fd prog(bpf_prog_get_fd_by_id(ids[i]));
		bpf_prog_info info;
		memset(&info, 0, sizeof(info));
		__u32 len = sizeof(info);
		if (!prog || bpf_obj_get_info_by_fd(prog.get(), &info, &len) < 0)
			throw Error("reading program " + std::to_string(ids[i]));
		std::cout << ids[i] << ' ' << info.name << '\n';
	}
	return 0;
}

bpf_insn insn(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	bpf_insn i;
	memset(&i, 0, sizeof(i));
	i.code = code;
	i.dst_reg = dst & 0xf;
	i.src_reg = src & 0xf;
	i.off = off;
	i.imm = imm;
	return i;
}

// return ret; with a counter map: first (*counter)++ (atomic: any CPU).
std::vector<bpf_insn> program(int ret, int counter_fd)
{
	std::vector<bpf_insn> p;
	if (counter_fd >= 0) {
		p.push_back(insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, counter_fd));
		p.push_back(insn(0, 0, 0, 0, 0));
		p.push_back(insn(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0));  // key 0
		p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0));
		p.push_back(insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4));
		p.push_back(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem));
		p.push_back(insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0));
		p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1));
		p.push_back(insn(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD));
	}
	p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, ret));
	p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	return p;
}

struct HoldOptions {
	int ret = -1;
	bool first = false;
	unsigned tc_prio = 0;  // 0: tcx
	bool count = false;
};

void hold(const std::string &dev, const std::string &dir, const HoldOptions &o)
{
	Fd counter;
	if (o.count)
		counter = Fd(check(bpf_map_create(BPF_MAP_TYPE_ARRAY, "count", 4, 8, 1, nullptr), "creating the counter"));
	std::vector<bpf_insn> insns = program(o.ret, o.count ? counter.get() : -1);
	Fd prog(check(bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "foreign", "GPL", insns.data(), insns.size(), nullptr),
		      "loading the program"));
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, nullptr);

	int ifindex = ifindex_of(dev);
	Fd link;
	bpf_tc_hook hook;
	bpf_tc_opts tc;
	memset(&hook, 0, sizeof(hook));
	memset(&tc, 0, sizeof(tc));
	if (o.tc_prio) {
		hook.sz = sizeof(hook);
		hook.ifindex = ifindex;
		hook.attach_point = point_of(dir);
		tc.sz = sizeof(tc);
		tc.handle = 1;
		tc.priority = o.tc_prio;
		tc.prog_fd = prog.get();
		check(bpf_tc_attach(&hook, &tc), "attaching the tc filter");
	} else {
		TcxPlace place;
		place.where = o.first ? TcxPlace::first : TcxPlace::last;
		link = tcx_link_create(prog.get(), ifindex, point_of(dir), place);
	}
	std::cerr << "ready" << std::endl;
	int sig;
	sigwait(&mask, &sig);
	if (o.tc_prio) {
		tc.prog_fd = 0;
		tc.prog_id = 0;
		tc.flags = 0;
		bpf_tc_detach(&hook, &tc);
	}
	link.reset();
	if (o.count) {
		__u32 key = 0;
		__u64 n = 0;
		check(bpf_map_lookup_elem(counter.get(), &key, &n), "reading the counter");
		std::cout << n << std::endl;
	}
}

}  // namespace

int main(int argc, char **argv)
{
	CLI::App app{"TC hooks for the tests: list the tcx programs, or hold someone else's program"};
	tools::one_line_errors(app, "tcprog");
	app.require_subcommand(1);
	std::string dev, dir;
	HoldOptions o;
	for (CLI::App *sub : {app.add_subcommand("list", "the tcx programs on the hook, in the order they run"),
			      app.add_subcommand("hold", "a program of someone else's on the hook until SIGTERM")}) {
		sub->add_option("dev", dev, "device")->required();
		sub->add_option("direction", dir, "ingress or egress")
			->required()
			->check(CLI::IsMember({"ingress", "egress"}));
	}
	CLI::App *hold_cmd = app.get_subcommand("hold");
	hold_cmd->add_option("--ret", o.ret, "what the program returns (-1 TCX_NEXT, 0 TCX_PASS, 2 TCX_DROP)");
	auto *first = hold_cmd->add_flag("--first", o.first, "a tcx link before every other program (default: after)");
	hold_cmd->add_option("--tc", o.tc_prio, "a clsact filter at this priority instead of a tcx link")
		->check(CLI::Range(1, 0xffff))
		->excludes(first);
	hold_cmd->add_flag("--count", o.count, "count the packets it sees; print the count at exit");
	CLI11_PARSE(app, argc, argv);
	try {
		if (!hold_cmd->parsed())
			return list(dev, dir);
		hold(dev, dir, o);
	} catch (const std::exception &e) {
		std::cerr << "tcprog: " << e.what() << std::endl;
		return 1;
	}
	return 0;
}
