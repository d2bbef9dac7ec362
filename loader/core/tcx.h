// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// tcx: the kernel's TC hooks by BPF links (Linux >= 6.6, bpf_mprog), which
// need no qdisc and run before the clsact filters. A link lives as long as
// a file descriptor or a pin holds it; its device going away detaches it
// (the link stays, defunct: its ifindex reads 0). How dupgre uses them, and
// where it pins them: core/tc.h.
#pragma once

#include <bpf/libbpf.h>

#include <optional>

#include "core/fd.h"

namespace dupgre {

// Whether this kernel has tcx; asked once per process (a BPF_PROG_QUERY of
// the loopback device's tcx ingress: kernels before 6.6 refuse the attach
// type with EINVAL). Other errors are thrown.
bool tcx_supported();
// BPF_TCX_INGRESS or BPF_TCX_EGRESS (Linux 6.6's attach types).
bpf_attach_type tcx_attach_type(bpf_tc_attach_point point);

// Where a new link goes in the hook's list of programs: before or after
// the link relative (an open link fd), or first or last in the list.
struct TcxPlace {
	enum { first, last, before, after } where = first;
	int relative_link = -1;
};

// A new tcx link running prog_fd on ifindex's ingress or egress; throws.
Fd tcx_link_create(int prog_fd, int ifindex, bpf_tc_attach_point point, const TcxPlace &place);
// Swaps the link's program for prog_fd in one step; throws (ENOLINK: the
// device is gone).
void tcx_link_update(int link_fd, int prog_fd);
// Takes the link off its device (it stays, defunct, while held).
void tcx_link_detach(int link_fd);

struct TcxLinkInfo {
	__u32 prog_id = 0;
	int ifindex = 0;  // 0: defunct, its device went away
	bpf_tc_attach_point point = BPF_TC_INGRESS;
};
// What a tcx link runs and where; nullopt if fd is not a tcx link.
std::optional<TcxLinkInfo> tcx_link_info(int link_fd);

}  // namespace dupgre
