// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "test_run.h"

int main(int argc, char **argv)
{
	// Read before unshare: net.core.bpf_jit_enable is the initial
	// namespace's only, and absent from a new one's /proc/sys/net.
	bpf_jit_enable();
	// Every clone a test run makes stays in this throwaway namespace, which
	// vanishes with the process. Without root this fails loudly: a test
	// that cannot run must not pass.
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "dupgre_bpf_tests: needs root (unshare(CLONE_NEWNET): %s)\n", strerror(errno));
		return 1;
	}
	// No IPv6 chatter (MLD, router solicitations) on the TUN devices: all
	// they receive is what the program clones.
	for (const char *conf : {"all", "default"}) {
		std::string path = std::string("/proc/sys/net/ipv6/conf/") + conf + "/disable_ipv6";
		std::ofstream(path) << "1\n";
	}
	doctest::Context ctx(argc, argv);
	int rc = ctx.run();
	// What the JIT did with every program the tests loaded: all compiled
	// with bpf_jit_enable 1, none with 0 (vmtests/arch-tests reads this).
	printf("dupgre_bpf_tests: bpf_jit_enable %d, programs loaded %u, JIT-compiled %u\n",
	       bpf_jit_enable(), progs_loaded, progs_jited);
	return rc;
}
