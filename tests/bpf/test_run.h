// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// One BPF_PROG_TEST_RUN of a TC program: its verdict and the packet after it.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <doctest/doctest.h>

#include <fstream>

#include "packet.h"

// net.core.bpf_jit_enable as the tests found it (0 without the sysctl: a
// kernel without a JIT).
inline int bpf_jit_enable()
{
	static const int value = [] {
		int v = 0;
		std::ifstream("/proc/sys/net/core/bpf_jit_enable") >> v;
		return v;
	}();
	return value;
}

// Programs the tests loaded, and how many of them the JIT compiled
// (main.cpp prints both; vmtests/arch-tests checks them per JIT mode).
inline unsigned progs_loaded, progs_jited;

// Each fixture calls this after loading its object. With the JIT on, every
// program must be JIT-compiled: one the JIT refuses runs in the interpreter
// instead, silently, unless the kernel has CONFIG_BPF_JIT_ALWAYS_ON (Debian's
// mipsel kernel has not), and its tests would pass without the JIT.
inline void check_jited(const bpf_object *obj)
{
	bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		bpf_prog_info info{};
		__u32 len = sizeof(info);
		REQUIRE(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0);
		progs_loaded++;
		progs_jited += info.jited_prog_len > 0;
		if (bpf_jit_enable())
			CHECK_MESSAGE(info.jited_prog_len > 0, bpf_program__name(prog),
				      " is not JIT-compiled (xlated ", info.xlated_prog_len, " bytes)");
	}
}

struct TestRun {
	int retval;
	pkt::Bytes out;
};

// With ctx, the __sk_buff goes in and comes out (the mark a program set).
inline TestRun test_run(int prog_fd, const pkt::Bytes &in, __sk_buff *ctx = nullptr)
{
	pkt::Bytes out(in.size() + 64);
	bpf_test_run_opts opts{};
	opts.sz = sizeof(opts);
	opts.data_in = in.data();
	opts.data_size_in = in.size();
	opts.data_out = out.data();
	opts.data_size_out = out.size();
	opts.repeat = 1;
	if (ctx) {
		opts.ctx_in = opts.ctx_out = ctx;
		opts.ctx_size_in = opts.ctx_size_out = sizeof(*ctx);
	}
	REQUIRE(bpf_prog_test_run_opts(prog_fd, &opts) == 0);
	out.resize(opts.data_size_out);
	return {static_cast<int>(opts.retval), out};
}
