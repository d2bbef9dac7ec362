// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// One BPF_PROG_TEST_RUN of a TC program: its verdict and the packet after it.
#pragma once

#include <bpf/bpf.h>
#include <doctest/doctest.h>

#include "packet.h"

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
