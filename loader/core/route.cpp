// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/route.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include "core/error.h"
#include "core/nlattr.h"

namespace dupgre {

std::string RouteHit::table_arg() const
{
	return table == RT_TABLE_MAIN || table == 0 ? "" : " table " + std::to_string(table);
}

namespace {

struct MnlClose {
	void operator()(struct mnl_socket *s) const { mnl_socket_close(s); }
};

struct Reply {
	RouteHit hit;
	unsigned char dst_len = 0;
	unsigned char type = RTN_UNICAST;
	bool has_dst = false;
	IpAddr dst;
};

int route_cb(const struct nlmsghdr *nlh, void *data)
{
	auto &r = *static_cast<Reply *>(data);
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	auto *rtm = static_cast<const struct rtmsg *>(mnl_nlmsg_get_payload(nlh));
	r.dst_len = rtm->rtm_dst_len;
	r.type = rtm->rtm_type;
	r.hit.table = rtm->rtm_table;
	for_each_attr(nlh, sizeof(*rtm), [&](const struct nlattr *attr) {
		uint16_t len = mnl_attr_get_payload_len(attr);
		switch (mnl_attr_get_type(attr)) {
		case RTA_OIF:
			if (len == sizeof(uint32_t))
				r.hit.oif = static_cast<int>(mnl_attr_get_u32(attr));
			break;
		case RTA_TABLE:
			if (len == sizeof(uint32_t))
				r.hit.table = mnl_attr_get_u32(attr);
			break;
		case RTA_DST:
			if (len == 4) {
				Ipv4 v4;
				memcpy(&v4.be, mnl_attr_get_payload(attr), 4);
				r.dst = IpAddr::from_ipv4(v4);
				r.has_dst = true;
			} else if (len == 16) {
				memcpy(r.dst.bytes.data(), mnl_attr_get_payload(attr), 16);
				r.has_dst = true;
			}
			break;
		}
	});
	return MNL_CB_OK;
}

// One RTM_GETROUTE; 0 or -errno.
int ask(struct mnl_socket *nl, const IpAddr &dst, unsigned flags, Reply &r)
{
	std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf.data());
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = static_cast<uint32_t>(time(nullptr));
	auto *rtm = static_cast<struct rtmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtmsg)));
	bool v4 = dst.is_ipv4();
	rtm->rtm_family = v4 ? AF_INET : AF_INET6;
	rtm->rtm_dst_len = v4 ? 32 : 128;
	rtm->rtm_flags = flags | RTM_F_LOOKUP_TABLE;  // else the reply says "main"
	mnl_attr_put(nlh, RTA_DST, v4 ? 4 : 16, dst.bytes.data() + (v4 ? 12 : 0));
	unsigned portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
	if (n < 0)
		return -errno;
	if (mnl_cb_run(buf.data(), n, seq, portid, route_cb, &r) < 0)
		return -errno;
	return 0;
}

std::string prefix_text(const IpAddr &a, unsigned len)
{
	return a.str() + "/" + std::to_string(len);
}

}  // namespace

std::optional<RouteHit> route_get(const IpAddr &dst)
{
	std::unique_ptr<struct mnl_socket, MnlClose> nl(mnl_socket_open(NETLINK_ROUTE));
	if (!nl)
		throw Error("route lookup: netlink socket: " + std::string(strerror(errno)));
	if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
		throw Error("route lookup: netlink bind: " + std::string(strerror(errno)));
	// The device, as a packet of this host's would take it.
	Reply r;
	int err = ask(nl.get(), dst, 0, r);
	if (err == -ENETUNREACH || err == -EHOSTUNREACH || err == -EACCES || err == -EINVAL)
		return std::nullopt;
	if (err)
		throw Error("route to " + dst.str() + ": " + strerror(-err));
	if (r.type != RTN_UNICAST && r.type != RTN_LOCAL)
		return std::nullopt;
	RouteHit hit = r.hit;
	char name[IF_NAMESIZE];
	if (hit.oif && if_indextoname(static_cast<unsigned>(hit.oif), name))
		hit.dev = name;
	// The route that matched, to name it in a fix (kernels since 4.13).
	Reply m;
	if (ask(nl.get(), dst, RTM_F_FIB_MATCH, m) == 0) {
		hit.table = m.hit.table;
		hit.prefix = m.has_dst ? prefix_text(m.dst, m.dst_len) : "default";
	}
	if (hit.prefix.empty())
		hit.prefix = dst.str();
	return hit;
}

}  // namespace dupgre
