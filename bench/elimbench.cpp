// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// elimbench: the eliminate program's cost per packet class, through
// BPF_PROG_TEST_RUN. Two instances of the program (path 0 and path 1, in
// drop mode) share every map, as on a receiver's two interfaces
// (tests/bpf/test_eliminate.cpp does the same).
//
//   elimbench --cpu N --reps R --repeat K --batch B [--order 1]
//
// --order 1 loads the programs in order mode: with nothing held (the
// batch's numbers come in order, a duplicate never reaches the order
// logic) every decision and verdict is the same, so the difference in
// ns is what order mode adds while a stream has no gap.
//
// BPF_PROG_TEST_RUN with repeat K runs the program K times on the same
// packet, so a sequence number repeats: after the first run it is a
// duplicate. Hence two methods, each sample one rep:
//
// * repeat K (the kernel's mean ns over K runs), for the classes whose
//   every run is the same decision: "duplicate" (path 1's copy of a number
//   path 0 passed once before; every run is discarded), "tagless" (PPTP
//   GRE without a sequence number), "udp" (not GRE), "empty_program".
// * batch of B single runs (repeat 1), the sequence number increasing by 1
//   each time, the kernel's duration of each run (ktime around one run,
//   so it includes one clock read; "empty_program_1" measures that): per
//   number n, path 0 gets n ("passed_1": a new number, the window slides by
//   1), then path 1 gets n ("duplicate_1": the second copy, discarded), then
//   the empty program; the sample is the mean over the batch.
//
// reset_ns is an hour, so a stream idle between reps is not reset (the
// reset test is the same comparison either way). Output: "sample CASE REP
// NS" lines, then "check ..." lines; exit 1 if the counters or verdicts are
// not exactly the expected decisions.
#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/counters.h"
#include "dupgre/eliminate.h"
#include "eliminate.skel.h"
#include "packet.h"
#include "sys.h"

namespace {

constexpr size_t kIpLen = 512;
constexpr size_t kSeqOffset = 14 + 20 + 8;  // Ethernet, IPv4, GRE word0 and word1

using pkt::die;

bool order_mode = false;

eliminate_bpf *load(unsigned path, eliminate_bpf *share)
{
	eliminate_bpf *skel = eliminate_bpf__open();
	if (!skel)
		die("eliminate_bpf__open");
	skel->rodata->path = path;
	skel->rodata->drop = true;
	skel->rodata->order = order_mode;
	skel->rodata->window = ELIM_HISTORY;
	skel->rodata->reset_ns = 3600ull * 1000000000ull;
	if (share) {
		bpf_map *mine;
		bpf_object__for_each_map(mine, skel->obj) {
			if (bpf_map__is_internal(mine))
				continue;
			bpf_map *theirs = bpf_object__find_map_by_name(share->obj, bpf_map__name(mine));
			if (!theirs || bpf_map__reuse_fd(mine, bpf_map__fd(theirs)))
				die("bpf_map__reuse_fd");
		}
	}
	if (eliminate_bpf__load(skel))
		die("eliminate_bpf__load");
	return skel;
}

int load_empty()
{
	struct bpf_insn insns[] = {
		{BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, TC_ACT_UNSPEC},
		{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "bench_empty", "GPL", insns, 2, nullptr);
	if (fd < 0)
		die("empty program");
	return fd;
}

pkt::Bytes pptp(uint16_t call_id, uint32_t seq, uint32_t word0 = 0x3001880b)
{
	pkt::Gre g;
	g.word0 = word0;
	g.call_id = call_id;
	g.seq = seq;
	pkt::Bytes ppp = pkt::ppp_mppe(kIpLen - 20 - pkt::gre_header_len(word0));
	return pkt::ethernet({}, pkt::ipv4(pkt::Ipv4{}, pkt::gre(g, ppp)));
}

void set_seq(pkt::Bytes &frame, uint32_t seq)
{
	uint32_t be = htonl(seq);
	memcpy(frame.data() + kSeqOffset, &be, 4);
}

// One BPF_PROG_TEST_RUN; the kernel's mean ns per run.
unsigned run(int fd, const pkt::Bytes &frame, unsigned repeat, int want, const char *what)
{
	bpf_test_run_opts opts{};
	opts.sz = sizeof(opts);
	opts.data_in = frame.data();
	opts.data_size_in = frame.size();
	opts.repeat = repeat;
	if (bpf_prog_test_run_opts(fd, &opts))
		die(std::string("BPF_PROG_TEST_RUN ") + what);
	if (static_cast<int>(opts.retval) != want)
		throw std::runtime_error(std::string(what) + ": verdict " + std::to_string(opts.retval) +
					 ", want " + std::to_string(want));
	return opts.duration;
}

long long total(eliminate_bpf *skel, unsigned counter)
{
	__u32 key = ELIM_TOTAL_ROW;
	return dupgre::sum_percpu_row(bpf_map__fd(skel->maps.stats), &key, ELIM_COUNTER_MAX).at(counter);
}

}  // namespace

int main(int argc, char **argv)
{
	try {
		int cpu = -1, reps = 7;
		unsigned repeat = 100000, batch = 2000;
		for (int i = 1; i + 1 < argc; i += 2) {
			std::string opt = argv[i];
			int v = std::stoi(argv[i + 1]);
			if (opt == "--cpu")
				cpu = v;
			else if (opt == "--reps")
				reps = v;
			else if (opt == "--repeat")
				repeat = v;
			else if (opt == "--batch")
				batch = v;
			else if (opt == "--order")
				order_mode = v != 0;
			else
				throw std::runtime_error("usage: elimbench --cpu N --reps R --repeat K --batch B [--order 1]");
		}
		if (cpu >= 0)
			pkt::pin_to_cpu(cpu);
		eliminate_bpf *p0 = load(0, nullptr);
		eliminate_bpf *p1 = load(1, p0);
		int fd0 = bpf_program__fd(p0->progs.dupgre_eliminate);
		int fd1 = bpf_program__fd(p1->progs.dupgre_eliminate);
		int empty = load_empty();

		// Streams: 1 for the batch (passed / second copy), 2 for the
		// repeated duplicate, 3 for tagless.
		pkt::Bytes seq_frame = pptp(1, 0);
		pkt::Bytes dup_frame = pptp(2, 1000);
		pkt::Bytes tagless = pptp(3, 0, 0x2001880b);
		pkt::Ipv4 ip;
		ip.protocol = 17;
		pkt::Bytes udp_l4(kIpLen - 20, 0x5a);
		pkt::put16(udp_l4, 0, 40000);
		pkt::put16(udp_l4, 2, 9);
		pkt::put16(udp_l4, 4, udp_l4.size());
		pkt::Bytes udp = pkt::ethernet({}, pkt::ipv4(ip, udp_l4));

		// Path 0 passes number 1000 of stream 2 once; from then on path 1's
		// copy of it is a duplicate, however often it runs.
		run(fd0, dup_frame, 1, TC_ACT_UNSPEC, "first copy");
		long long want_passed = 1, want_discarded = 0, want_tagless = 0;

		struct Repeated {
			const char *name;
			int fd;
			const pkt::Bytes *frame;
			int verdict;
		} repeated[] = {
			{"empty_program", empty, &udp, TC_ACT_UNSPEC},
			{"duplicate", fd1, &dup_frame, TC_ACT_SHOT},
			{"tagless", fd0, &tagless, TC_ACT_UNSPEC},
			{"udp", fd0, &udp, TC_ACT_UNSPEC},
			{nullptr, -1, nullptr, 0},  // the batch
		};
		std::mt19937 rng(6);
		std::vector<size_t> order(std::size(repeated));
		for (size_t i = 0; i < order.size(); i++)
			order[i] = i;
		uint32_t seq = 0;
		for (int r = 0; r < reps; r++) {
			std::shuffle(order.begin(), order.end(), rng);
			for (size_t i : order) {
				const Repeated &c = repeated[i];
				if (c.name) {
					unsigned ns = run(c.fd, *c.frame, repeat, c.verdict, c.name);
					printf("sample %s %d %u\n", c.name, r, ns);
					if (c.fd == fd1)
						want_discarded += repeat;
					else if (c.frame == &tagless)
						want_tagless += repeat;
					continue;
				}
				double passed = 0, second = 0, none = 0;
				for (unsigned b = 0; b < batch; b++, seq++) {
					set_seq(seq_frame, seq);
					passed += run(fd0, seq_frame, 1, TC_ACT_UNSPEC, "passed");
					second += run(fd1, seq_frame, 1, TC_ACT_SHOT, "second copy");
					none += run(empty, seq_frame, 1, TC_ACT_UNSPEC, "empty");
				}
				want_passed += batch;
				want_discarded += batch;
				printf("sample passed_1 %d %.2f\n", r, passed / batch);
				printf("sample duplicate_1 %d %.2f\n", r, second / batch);
				printf("sample empty_program_1 %d %.2f\n", r, none / batch);
			}
			fflush(stdout);
		}

		struct {
			const char *what;
			long long got, want;
		} checks[] = {
			{"eliminate passed", total(p0, ELIM_PASSED), want_passed},
			{"eliminate discarded", total(p0, ELIM_DISCARDED), want_discarded},
			{"eliminate tagless", total(p0, ELIM_TAGLESS), want_tagless},
			{"eliminate out_of_order", total(p0, ELIM_OUT_OF_ORDER), 0},
			{"eliminate rogue", total(p0, ELIM_ROGUE), 0},
			{"eliminate lost", total(p0, ELIM_LOST), 0},
			{"eliminate resets", total(p0, ELIM_RESETS), 0},
		};
		int rc = 0;
		for (auto &c : checks) {
			printf("check %s: %lld (want %lld) %s\n", c.what, c.got, c.want,
			       c.got == c.want ? "ok" : "FAIL");
			rc |= c.got != c.want;
		}
		eliminate_bpf__destroy(p1);
		eliminate_bpf__destroy(p0);
		close(empty);
		return rc;
	} catch (const std::exception &e) {
		fprintf(stderr, "elimbench: %s\n", e.what());
		return 1;
	}
}
