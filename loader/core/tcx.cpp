// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/tcx.h"

#include <bpf/bpf.h>
#include <bpf/libbpf_version.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "core/error.h"

// libbpf 1.3 has tcx (bpf_link_create_opts.tcx, behind
// bpf_program__attach_tcx); older ones (Debian 12's 1.1) pass no relative
// position, so the link is created by the system call itself.
#if LIBBPF_MAJOR_VERSION > 1 || (LIBBPF_MAJOR_VERSION == 1 && LIBBPF_MINOR_VERSION >= 3)
#define DUPGRE_LIBBPF_HAS_TCX 1
#endif

// Linux 6.6's UAPI for tcx and bpf_mprog (include/uapi/linux/bpf.h, commits
// "bpf: Add generic attach/detach/query API for multi-progs" and "bpf: Add
// fd-based tcx multi-prog infra with link support"). Debian 12's headers are
// 6.1's: there the values are written out; a header that has BPF_F_BEFORE
// (a macro of the same release) has them all, and is used.
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#define BPF_F_AFTER (1U << 4)
#define DUPGRE_UAPI_TCX_MISSING 1
#endif

namespace dupgre {

namespace {

#ifdef DUPGRE_UAPI_TCX_MISSING
constexpr auto tcx_ingress = static_cast<bpf_attach_type>(46);  // BPF_TCX_INGRESS
constexpr auto tcx_egress = static_cast<bpf_attach_type>(47);   // BPF_TCX_EGRESS
constexpr __u32 link_type_tcx = 11;                             // BPF_LINK_TYPE_TCX
constexpr __u32 flag_link = 1U << 13;                           // BPF_F_LINK
#else
constexpr auto tcx_ingress = BPF_TCX_INGRESS;
constexpr auto tcx_egress = BPF_TCX_EGRESS;
constexpr __u32 link_type_tcx = BPF_LINK_TYPE_TCX;
constexpr __u32 flag_link = BPF_F_LINK;
#endif

// The start of struct bpf_link_info and its tcx member (Linux 6.6): the
// union after prog_id is 8-byte aligned on every ABI. The kernel fills as
// much as it is given.
struct LinkInfo {
	__u32 type, id, prog_id, pad;
	__u32 ifindex, attach_type;
};
#ifndef DUPGRE_UAPI_TCX_MISSING
static_assert(offsetof(bpf_link_info, tcx.ifindex) == offsetof(LinkInfo, ifindex));
static_assert(offsetof(bpf_link_info, tcx.attach_type) == offsetof(LinkInfo, attach_type));
#endif

#ifndef DUPGRE_LIBBPF_HAS_TCX
// union bpf_attr's link_create up to tcx.relative_fd (Linux 6.6). Its
// tcx.expected_revision, after it, stays 0: the kernel zero-fills what a
// shorter attribute leaves out.
struct LinkCreateAttr {
	__u32 prog_fd;
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 flags;
	__u32 relative_fd;
};
#ifndef DUPGRE_UAPI_TCX_MISSING
static_assert(offsetof(bpf_attr, link_create.tcx.relative_fd) == offsetof(LinkCreateAttr, relative_fd));
#endif
#endif

}  // namespace

bpf_attach_type tcx_attach_type(bpf_tc_attach_point point)
{
	return point == BPF_TC_EGRESS ? tcx_egress : tcx_ingress;
}

bool tcx_supported()
{
	static const bool has = [] {
		// The loopback device is ifindex 1 in every network namespace.
		__u32 count = 0;
		int err = bpf_prog_query(1, tcx_ingress, 0, nullptr, nullptr, &count);
		if (err == -EINVAL || err == -EOPNOTSUPP)
			return false;
		check(err, "asking the kernel for tcx");
		return true;
	}();
	return has;
}

Fd tcx_link_create(int prog_fd, int ifindex, bpf_tc_attach_point point, const TcxPlace &place)
{
	// Without a relative: before (after) every other program.
	__u32 flags = place.where == TcxPlace::first || place.where == TcxPlace::before ? BPF_F_BEFORE : BPF_F_AFTER;
	int relative = 0;
	if (place.where == TcxPlace::before || place.where == TcxPlace::after) {
		flags |= flag_link;
		relative = place.relative_link;
	}
#ifdef DUPGRE_LIBBPF_HAS_TCX
	bpf_link_create_opts opts;
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.flags = flags;
	opts.tcx.relative_fd = static_cast<__u32>(relative);
	int fd = bpf_link_create(prog_fd, ifindex, tcx_attach_type(point), &opts);
#else
	LinkCreateAttr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = static_cast<__u32>(prog_fd);
	attr.target_ifindex = static_cast<__u32>(ifindex);
	attr.attach_type = tcx_attach_type(point);
	attr.flags = flags;
	attr.relative_fd = static_cast<__u32>(relative);
	int fd = static_cast<int>(syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr)));
	if (fd < 0)
		fd = -errno;
#endif
	check(fd, "attaching the tcx link");
	return Fd(fd);
}

void tcx_link_update(int link_fd, int prog_fd)
{
	check(bpf_link_update(link_fd, prog_fd, nullptr), "replacing the tcx link's program");
}

void tcx_link_detach(int link_fd)
{
	check(bpf_link_detach(link_fd), "detaching the tcx link");
}

std::optional<TcxLinkInfo> tcx_link_info(int link_fd)
{
	LinkInfo info;
	memset(&info, 0, sizeof(info));
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(link_fd, &info, &len) < 0 || info.type != link_type_tcx)
		return std::nullopt;
	TcxLinkInfo out;
	out.prog_id = info.prog_id;
	out.ifindex = static_cast<int>(info.ifindex);
	out.point = info.attach_type == static_cast<__u32>(tcx_egress) ? BPF_TC_EGRESS : BPF_TC_INGRESS;
	return out;
}

}  // namespace dupgre
