// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// How dupgre's programs are put on a device's TC hooks: by a tcx link where
// the kernel has tcx (Linux >= 6.6), else as a cls_bpf filter in
// direct-action mode on a clsact qdisc, each program at its own handle and
// priority so other tc users (OpenWrt's qosify, ...) keep theirs. Either way
// a program is replaced in place when reattached.
//
// A tcx link is pinned, since it dies with its last file descriptor, by the
// device's ifindex (as the clsact record below): one directory per device
// instance, whichever of dupgre's programs run there (clone and dnat have a
// directory per device name, relay and eliminate one for all their links):
//   <state_root>/tcx/IFINDEX/{clone,dnat,eliminate,relay}
// A device that goes away detaches its links; their pins stay, defunct
// (ifindex 0), until dupgre forgets the device.
#pragma once

#include <bpf/libbpf.h>

#include <optional>

namespace dupgre {

struct TcFilter {
	const char *name;  // the tcx link's pin
	bpf_tc_attach_point point;
	// The clsact filter's; with tcx, the order among dupgre's own links on
	// the hook (lower first).
	__u32 handle;
	__u32 priority;
};

// Clone on egress. A low priority runs it before filters that may end
// classification (TC_ACT_OK, a redirect) and would hide packets from it;
// 13 avoids the values set by hand most often (1, 10) and tc's automatic
// 49152. With tcx it goes first, before every other program on the hook
// and every clsact filter. dupgre's own program never ends classification
// (TC_ACT_UNSPEC, which is tcx's TCX_NEXT: docs/design.md, "tcx").
inline constexpr TcFilter clone_filter = {"clone", BPF_TC_EGRESS, 0xd06e, 13};
// Ingress programs: NAT first, so everything after sees the private
// address; elimination before the relay, which ends classification.
inline constexpr TcFilter dnat_filter = {"dnat", BPF_TC_INGRESS, 0xd06d, 11};
inline constexpr TcFilter eliminate_filter = {"eliminate", BPF_TC_INGRESS, 0xd06c, 12};
inline constexpr TcFilter relay_filter = {"relay", BPF_TC_INGRESS, 0xd06f, 13};
inline constexpr TcFilter all_filters[] = {clone_filter, dnat_filter, eliminate_filter, relay_filter};

enum class AttachMode { tc, tcx };
const char *attach_mode_name(AttachMode mode);  // "tc", "tcx"
struct Attached {
	__u32 prog_id;
	AttachMode mode;
};

// The mode for programs attached anew: DUPGRE_ATTACH=tc forces clsact (the
// tests run both ways on one kernel), =tcx refuses a kernel without tcx;
// unset (or auto), tcx where the kernel has it. A hook where dupgre's
// programs run already keeps their mode (below).
AttachMode wanted_attach_mode();

// How every dupgre program is attached and removed. A program that runs
// there already, by a tcx link or a clsact filter, is replaced in place, in
// one step (bpf_link_update, BPF_TC_F_REPLACE), and keeps its mode; one
// attached anew takes the mode dupgre's other programs on that hook have,
// else wanted_attach_mode(). tcx links go first on their hook, in the
// filters' priority order among dupgre's own (BPF_F_BEFORE/AFTER relative
// to dupgre's neighbouring link). Which clsact qdiscs dupgre created is
// recorded once per device (a directory under the state root), whichever of
// its programs created it, so that the last one to leave removes it, and
// only when no filter of anyone is left on it.
AttachMode tc_attach(int ifindex, const TcFilter &filter, int prog_fd);
// Detaches the link or filter if it runs prog_id (after a device came back
// under the same name, whatever is there belongs to someone else), then
// removes a clsact qdisc that dupgre created and nobody uses any more.
void tc_detach(int ifindex, const TcFilter &filter, __u32 prog_id);
std::optional<Attached> tc_query(int ifindex, const TcFilter &filter);
bool clsact_created_by_dupgre(int ifindex);
// Forgets what dupgre recorded of a device that is gone: its clsact record
// and the pins of its tcx links (only those its going detached). Or, for
// every device, all of it: links still attached are detached.
void forget_device(int ifindex);
void forget_all_devices();

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
