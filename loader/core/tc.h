// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// dupgre's tc filters: cls_bpf in direct-action mode on a clsact hook, each
// program at its own handle and priority so other tc users (OpenWrt's
// qosify, ...) keep theirs, and replaced in place when reattached.
#pragma once

#include <bpf/libbpf.h>

#include <optional>

namespace dupgre {

struct TcFilter {
	bpf_tc_attach_point point;
	__u32 handle;
	__u32 priority;
};

// Clone on egress. A low priority runs it before filters that may end
// classification (TC_ACT_OK, a redirect) and would hide packets from it;
// 13 avoids the values set by hand most often (1, 10) and tc's automatic
// 49152. dupgre's own program never ends classification.
inline constexpr TcFilter clone_filter = {BPF_TC_EGRESS, 0xd06e, 13};
// Ingress programs: NAT first, so everything after sees the private
// address; elimination before the relay, which ends classification.
inline constexpr TcFilter dnat_filter = {BPF_TC_INGRESS, 0xd06d, 11};
inline constexpr TcFilter eliminate_filter = {BPF_TC_INGRESS, 0xd06c, 12};
inline constexpr TcFilter relay_filter = {BPF_TC_INGRESS, 0xd06f, 13};

// How every dupgre program is attached and removed. Which clsact qdiscs
// dupgre created is recorded once per device (a directory under the state
// root), whichever of its programs created it, so that the last one to
// leave removes it, and only when no filter of anyone is left on it.
void tc_attach(int ifindex, const TcFilter &filter, int prog_fd);
// Detaches the filter if it runs prog_id (after a device came back under the
// same name, whatever is there belongs to someone else), then removes a
// clsact qdisc that dupgre created and nobody uses any more.
void tc_detach(int ifindex, const TcFilter &filter, __u32 prog_id);
std::optional<__u32> tc_query(int ifindex, const TcFilter &filter);
bool clsact_created_by_dupgre(int ifindex);
// Forgets the qdisc record of a device that is gone; or of all devices.
void forget_clsact(int ifindex);
void forget_all_clsact();

class TcHook {
public:
	TcHook(int ifindex, bpf_tc_attach_point point);

	// Creates the clsact qdisc if absent; true if this call created it.
	bool ensure_clsact();
	// Attaches prog_fd at the filter's handle/priority, atomically replacing
	// whatever program is there.
	void attach(const TcFilter &filter, int prog_fd);
	// False if no such filter was attached.
	bool detach(const TcFilter &filter);
	// The program id at the filter's handle/priority, if any.
	std::optional<__u32> query(const TcFilter &filter);
	// Removes the clsact qdisc (both directions) if no filter is left on it.
	bool destroy_clsact_if_unused();

private:
	bpf_tc_hook hook_;
};

// Number of tc filters on the device's clsact ingress and egress hooks.
// libbpf has no call that lists filters, so this is one netlink dump.
int clsact_filter_count(int ifindex);

}  // namespace dupgre
