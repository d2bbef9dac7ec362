// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/copy_policy.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/bpf_util.h"
#include "core/bpffs.h"
#include "core/error.h"
#include "core/pins.h"

namespace dupgre {

namespace {

// The budget's bucket holds 50 ms at the rate: a burst that long passes,
// and a packet larger than it still does once the bucket is that empty.
constexpr uint64_t kBurstNs = 50'000'000;

bool power_of_two(uint32_t n) { return n && !(n & (n - 1)); }

unsigned log2_of(uint32_t n)
{
	unsigned s = 0;
	while (n > 1) {
		n >>= 1;
		s++;
	}
	return s;
}

}  // namespace

bool CopyPolicy::operator==(const CopyPolicy &o) const
{
	return mode == o.mode && rate == o.rate && max_size == o.max_size && sample == o.sample &&
	       stale_ms == o.stale_ms && quiet_ms == o.quiet_ms;
}

std::string CopyPolicy::str() const
{
	std::string s = copy_mode_name(mode);
	if (mode == CopyMode::budget) {
		if (rate)
			s += " " + std::to_string(rate) + " B/s";
		if (max_size)
			s += " max " + std::to_string(max_size) + " B";
	}
	return s;
}

const char *copy_mode_name(CopyMode m)
{
	switch (m) {
	case CopyMode::budget:
		return "budget";
	case CopyMode::adaptive:
		return "adaptive";
	default:
		return "always";
	}
}

CopyMode parse_copy_mode(const std::string &text)
{
	for (CopyMode m : {CopyMode::always, CopyMode::budget, CopyMode::adaptive})
		if (text == copy_mode_name(m))
			return m;
	throw UsageError("copy policy '" + text + "': always, budget or adaptive");
}

uint64_t parse_copy_rate(const std::string &text)
{
	size_t digits = 0;
	while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
		digits++;
	std::string unit = text.substr(digits);
	uint64_t scale = unit.empty() ? 1 : unit == "k" ? 1000 : unit == "M" ? 1000000 : unit == "G" ? 1000000000 : 0;
	if (!digits || digits > 12 || !scale)
		throw UsageError("copy rate '" + text + "': bytes per second, digits with an optional k, M or G");
	uint64_t n = std::stoull(text.substr(0, digits));
	if (n == 0)
		throw UsageError("copy rate '" + text + "': must be above 0 (use --copy-max-size alone for no rate)");
	return n * scale;
}

void validate(const CopyPolicy &p)
{
	if (p.mode != CopyMode::budget && (p.rate || p.max_size))
		throw UsageError("--copy-rate and --copy-max-size are for --copy budget");
	if (p.mode == CopyMode::budget && !p.rate && !p.max_size)
		throw UsageError("--copy budget needs --copy-rate, --copy-max-size or both");
	if (p.rate > 100'000'000'000ULL)
		throw UsageError("copy rate " + std::to_string(p.rate) + " B/s: at most 100G");
	if (p.max_size && (p.max_size < 20 || p.max_size > 65535))
		throw UsageError("copy max size " + std::to_string(p.max_size) + ": 20 to 65535 IP bytes");
	if ((p.sample && !power_of_two(p.sample)) || p.sample > (1U << 20))
		throw UsageError("copy sample 1 in " + std::to_string(p.sample) +
				 ": a power of 2, at most 2^20, or 0 (no samples)");
	if (p.stale_ms < 100 || p.quiet_ms < 100)
		throw UsageError("copy stale and quiet times: at least 100 ms");
}

copy_policy encode(const CopyPolicy &p)
{
	copy_policy v{};
	v.mode = static_cast<__u8>(p.mode);
	// 0: no samples, a shift the program takes as never (copy.h).
	v.sample_shift = p.sample ? static_cast<__u8>(log2_of(p.sample)) : COPY_NO_SAMPLES;
	v.max_size = p.max_size;
	v.quiet_ms = p.quiet_ms;
	v.rate = p.rate;
	if (p.rate) {
		// 1e9 / rate ns per byte, 16 bits of fraction: exact to 2^-16 ns,
		// so the rate is exact to far better than 1 % at any rate here.
		v.ns_per_byte_q16 = static_cast<__u64>((1'000'000'000.0 * 65536.0) / static_cast<double>(p.rate) + 0.5);
		v.burst_ns = kBurstNs;
		// 1 ms at the rate, at most COPY_CHUNK_MAX: the overshoot bound
		// (copy.h) stays below a millisecond per CPU at rates up to 16 MB/s.
		v.chunk = static_cast<__u32>(std::min<uint64_t>(p.rate / 1000, COPY_CHUNK_MAX));
	}
	v.stale_ns = static_cast<__u64>(p.stale_ms) * 1'000'000;
	return v;
}

CopyPolicy decode(const copy_policy &v)
{
	CopyPolicy p;
	p.mode = static_cast<CopyMode>(v.mode);
	p.max_size = v.max_size;
	p.quiet_ms = v.quiet_ms;
	p.sample = v.sample_shift >= COPY_NO_SAMPLES ? 0 : 1U << v.sample_shift;
	p.stale_ms = static_cast<uint32_t>(v.stale_ns / 1'000'000);
	p.rate = v.rate;
	return p;
}

copy_key copy_key_of(const IpAddr &addr)
{
	copy_key k{};
	memcpy(k.addr, addr.bytes.data(), sizeof(k.addr));
	return k;
}

std::string copy_state(const copy_policy &v, int64_t now_ns)
{
	if (v.mode != COPY_ADAPTIVE)
		return copy_mode_name(static_cast<CopyMode>(v.mode));
	int64_t report = static_cast<int64_t>(v.report_ns);
	if (!report || now_ns - report > static_cast<int64_t>(v.stale_ns))
		return "no reports";
	if (static_cast<int64_t>(v.copy_until_ns) > now_ns)
		return "copying";
	return v.sample_shift >= COPY_NO_SAMPLES ? "quiet" : "sampling";
}

std::vector<std::string> copy_states(CopyMode m)
{
	if (m == CopyMode::adaptive)
		return {"copying", "sampling", "quiet", "no reports"};
	return {copy_mode_name(m)};
}

void CopyPolicies::set(const IpAddr &addr, const CopyPolicy &p) const
{
	if (p.mode == CopyMode::always) {
		erase(addr);
		return;
	}
	Fd copy = open_pinned(dir_ + "/copy"), stash = open_pinned(dir_ + "/copy_stash");
	copy_key k = copy_key_of(addr);
	copy_policy v = encode(p), old{};
	if (bpf_map_lookup_elem(copy.get(), &k, &old) == 0) {
		if (decode(old) == p)
			return;  // the same policy: what the program and receiver wrote stays
		if (old.mode == v.mode) {
			v.report_ns = old.report_ns;
			v.copy_until_ns = old.copy_until_ns;
		}
	}
	// Every CPU's stash, empty, before the policy that spends it.
	int ncpus = libbpf_num_possible_cpus();
	check(ncpus, "counting CPUs");
	std::vector<copy_stash> zero(static_cast<size_t>(ncpus));
	check(bpf_map_update_elem(stash.get(), &k, zero.data(), BPF_ANY), "setting the copy policy of " + addr.str());
	check(bpf_map_update_elem(copy.get(), &k, &v, BPF_ANY | BPF_F_LOCK),
	      "setting the copy policy of " + addr.str());
}

void CopyPolicies::erase(const IpAddr &addr) const
{
	if (!path_exists(dir_ + "/copy"))
		return;
	copy_key k = copy_key_of(addr);
	for (const char *name : {"/copy", "/copy_stash"}) {
		int err = bpf_map_delete_elem(open_pinned(dir_ + name).get(), &k);
		if (err && err != -ENOENT)
			check(err, "removing the copy policy of " + addr.str());
	}
}

std::optional<copy_policy> CopyPolicies::get(const IpAddr &addr) const
{
	if (!path_exists(dir_ + "/copy"))
		return std::nullopt;
	copy_key k = copy_key_of(addr);
	copy_policy v{};
	if (bpf_map_lookup_elem_flags(open_pinned(dir_ + "/copy").get(), &k, &v, BPF_F_LOCK) != 0)
		return std::nullopt;
	return v;
}

bool CopyPolicies::update(const IpAddr &addr, const std::function<void(copy_policy &)> &fn) const
{
	if (!path_exists(dir_ + "/copy"))
		return false;
	Fd copy = open_pinned(dir_ + "/copy");
	copy_key k = copy_key_of(addr);
	copy_policy v{};
	if (bpf_map_lookup_elem_flags(copy.get(), &k, &v, BPF_F_LOCK) != 0 || v.mode != COPY_ADAPTIVE)
		return false;
	fn(v);
	// BPF_EXIST: a peer del in between is not undone.
	return bpf_map_update_elem(copy.get(), &k, &v, BPF_EXIST | BPF_F_LOCK) == 0;
}

std::vector<std::pair<IpAddr, copy_policy>> CopyPolicies::list() const
{
	std::vector<std::pair<IpAddr, copy_policy>> out;
	if (!path_exists(dir_ + "/copy"))
		return out;
	Fd copy = open_pinned(dir_ + "/copy");
	for (const copy_key &k : map_keys<copy_key>(copy.get())) {
		copy_policy v{};
		if (bpf_map_lookup_elem_flags(copy.get(), &k, &v, BPF_F_LOCK) != 0)
			continue;
		IpAddr a;
		memcpy(a.bytes.data(), k.addr, sizeof(k.addr));
		out.emplace_back(a, v);
	}
	std::sort(out.begin(), out.end(), [](const auto &x, const auto &y) { return x.first < y.first; });
	return out;
}

}  // namespace dupgre
