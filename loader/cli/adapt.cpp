// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl adapt`: the adaptive copy policy's feedback (site/adapt.h),
// one process per site, started by apply where the site eliminates (it
// receives copies, so it reports) or copies adaptively (it takes reports).
//
//   every second   a hello into each tunnel device: a point-to-point
//                  device's peer address (ppp, tun), a WireGuard peer's
//                  host AllowedIPs, or where its AllowedIPs are a default
//                  route (a client's server) the broadcast address, or
//                  for IPv6 the all-nodes group ff02::1;
//   every 100 ms   eliminate's streams: a report to each stream's source
//                  whose counts call for one (report_due), by the tunnel
//                  address its hellos came from;
//   on arrival     hellos teach which tunnel address reaches which public
//                  address; reports for an adaptive peer refresh its
//                  policy (apply_report). Both only from a tunnel device
//                  that is not the WAN or a dual link, and on a
//                  point-to-point device only from its peer address.
//
// Tunnel addresses IPv4 or IPv6 (PPTP's, ppp's IPv6CP pair, WireGuard's),
// one family per peer, IPv4 where it has one (wg_hello_destinations says
// why); the messages are the same either way. Refusals and sends are
// counted in the log line it writes each minute, and at exit.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/fd.h"
#include "core/instance.h"
#include "core/lock.h"
#include "core/wgnl.h"
#include "programs/clone.h"
#include "programs/eliminate.h"
#include "site/adapt.h"
#include "site/config.h"

namespace dupgre {

namespace {

volatile sig_atomic_t adapt_stop = 0;

struct TunnelDev {
	std::string name;
	int ifindex = 0;
	std::set<IpAddr> peers;         // point-to-point: the other end's addresses
	std::vector<IpAddr> wg_dsts;    // WireGuard: where its peers are reached
	std::optional<IpAddr> local6;   // its own IPv6 address, not link-local
	bool wireguard = false;
	// A point-to-point device's hellos go to one of its peer addresses
	// (wg_hello_destinations says why one): the lowest, so IPv4 before IPv6
	// and a global one before a link-local one (fe80::/10 sorts last).
	std::optional<IpAddr> hello_peer() const
	{
		return peers.empty() ? std::nullopt : std::optional<IpAddr>(*peers.begin());
	}
};

// The devices the VPN's tunnels run on: up, point-to-point or WireGuard,
// and none of the site's own (the WAN, its dual links, eliminate's paths).
// A point-to-point address's peer (`ip addr add A peer B`: IFA_LOCAL A,
// IFA_ADDRESS B) is ifa_dstaddr for IPv6 as for IPv4: glibc and musl both
// take an IFA_ADDRESS that differs from IFA_LOCAL for it, whatever the
// family (pppd since 2.4.9 sets IPv6CP's link-local pair that way).
std::vector<TunnelDev> tunnel_devices(const std::set<std::string> &excluded)
{
	std::map<std::string, TunnelDev> out;
	struct ifaddrs *ifs = nullptr;
	if (getifaddrs(&ifs) < 0)
		return {};
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6) ||
		    !(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_POINTOPOINT) || excluded.count(i->ifa_name))
			continue;
		TunnelDev &d = out[i->ifa_name];
		d.name = i->ifa_name;
		d.ifindex = static_cast<int>(if_nametoindex(i->ifa_name));
		bool v6 = i->ifa_addr->sa_family == AF_INET6;
		size_t len = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
		std::optional<IpAddr> local = sockaddr_ipaddr(i->ifa_addr, len);
		if (!local)
			continue;
		if (v6 && !local->is_ipv6_link_local() && (!d.local6 || *local < *d.local6))
			d.local6 = local;
		std::optional<IpAddr> peer;
		if (i->ifa_dstaddr && i->ifa_dstaddr->sa_family == i->ifa_addr->sa_family)
			peer = sockaddr_ipaddr(i->ifa_dstaddr, len);
		if (peer && !(*peer == *local))
			d.peers.insert(*peer);
	}
	freeifaddrs(ifs);
	std::vector<TunnelDev> devs;
	for (auto &[name, d] : out) {
		if (auto wg = read_wireguard(name)) {
			d.wireguard = true;
			d.peers.clear();
			for (const WgPeer &p : wg->peers)
				for (const IpAddr &dst : wg_hello_destinations(p.allowed_ips))
					d.wg_dsts.push_back(dst);
		}
		devs.push_back(d);
	}
	return devs;
}

// This site's public addresses: the WAN's, and the NAT fix's public one.
std::vector<IpAddr> own_addresses(const Config &c)
{
	std::vector<IpAddr> out;
	struct ifaddrs *ifs = nullptr;
	if (getifaddrs(&ifs) == 0) {
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && c.wan == i->ifa_name)
				out.push_back(IpAddr::from_ipv4(
					Ipv4{reinterpret_cast<sockaddr_in *>(i->ifa_addr)->sin_addr.s_addr}));
		freeifaddrs(ifs);
	}
	if (c.snat)
		out.push_back(IpAddr::from_ipv4(c.snat->second));
	if (out.size() > 4)
		out.resize(4);
	return out;
}

struct Learned {
	int ifindex = 0;
	IpAddr src;  // the tunnel address its hellos came from
	int64_t seen_ns = 0;
};

struct StreamSeen {
	__u64 passed = 0, lost = 0, rescued = 0;
	int64_t reported_ns = 0;
};

class Adapt {
public:
	// One socket for both families: AF_INET6 and not V6ONLY, so IPv4
	// arrives on it too, its addresses mapped (::ffff:a.b.c.d) as IpAddr
	// holds them, and one poll and one receive path serve both. Two
	// sockets would gain nothing but a second of each. A kernel without
	// IPv6 (ipv6.disable=1, CONFIG_IPV6=n) refuses AF_INET6: then AF_INET,
	// IPv4 only, as before.
	explicit Adapt(Config c) : c_(std::move(c))
	{
		fd_ = Fd(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
		if (fd_.get() < 0 && errno == EAFNOSUPPORT) {
			family_ = AF_INET;
			fd_ = Fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
		}
		int on = 1, off = 0;
		if (fd_.get() < 0 || setsockopt(fd_.get(), SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) < 0 ||
		    setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
		    (family_ == AF_INET && setsockopt(fd_.get(), IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0) ||
		    (family_ == AF_INET6 &&
		     (setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0 ||
		      // The device of IPv4 datagrams too (ip6_datagram_recv_common_ctl).
		      setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0 ||
		      // Not our own ff02::1 hellos back (we would learn ourselves).
		      setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)) < 0)))
			throw Error("adapt: socket: " + strerror_text(errno));
		sockaddr_storage ss{};
		socklen_t len;
		if (family_ == AF_INET6) {
			auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&ss);
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(adapt_port);
			len = sizeof(*sin6);
		} else {
			auto *sin = reinterpret_cast<sockaddr_in *>(&ss);
			sin->sin_family = AF_INET;
			sin->sin_port = htons(adapt_port);
			len = sizeof(*sin);
		}
		if (bind(fd_.get(), reinterpret_cast<sockaddr *>(&ss), len) < 0)
			throw Error("adapt: binding UDP port " + std::to_string(adapt_port) + ": " + strerror_text(errno));
	}

	void run()
	{
		int64_t next_hello = 0, next_poll = 0, next_log = monotonic_ns() + 60'000'000'000;
		while (!adapt_stop) {
			int64_t now = monotonic_ns();
			if (now >= next_hello) {
				hello();
				next_hello = now + 1'000'000'000;
			}
			if (now >= next_poll) {
				report();
				next_poll = now + 100'000'000;
			}
			if (now >= next_log) {
				log();
				next_log = now + 60'000'000'000;
			}
			pollfd p{fd_.get(), POLLIN, 0};
			if (poll(&p, 1, 100) > 0)
				receive();
		}
		log();
	}

private:
	std::set<std::string> excluded() const
	{
		std::set<std::string> ex = {c_.wan, c_.dual_dev, "lo"};
		for (const RelayLinkConf &l : c_.relay)
			ex.insert(l.dev);
		EliminateState elim;
		if (elim.exists())
			for (const ElimPath &p : elim.paths())
				ex.insert(p.name);
		for (const std::string &dev : CloneState::devices())
			if (auto inf = CloneState(dev).info(); inf && inf->attached)
				ex.insert(inf->target_name);
		return ex;
	}

	// Out of this tunnel device, whatever the routes say: IP_PKTINFO for
	// an IPv4 destination (on the AF_INET6 socket too, mapped), IPV6_PKTINFO
	// for an IPv6 one, with src as the source where given.
	void send(const std::vector<uint8_t> &msg, int ifindex, const IpAddr &dst,
		  const std::optional<IpAddr> &src = std::nullopt)
	{
		sockaddr_storage to{};
		socklen_t to_len;
		if (family_ == AF_INET) {
			if (!dst.is_ipv4()) {
				count_["send_errors"]++;
				return;
			}
			auto *sin = reinterpret_cast<sockaddr_in *>(&to);
			sin->sin_family = AF_INET;
			sin->sin_port = htons(adapt_port);
			sin->sin_addr.s_addr = dst.ipv4()->be;
			to_len = sizeof(*sin);
		} else {
			auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&to);
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(adapt_port);
			memcpy(&sin6->sin6_addr, dst.bytes.data(), 16);
			// fe80::/10 and ff02::/16 need their link named.
			if (dst.is_ipv6_link_local() || (dst.bytes[0] == 0xff && (dst.bytes[1] & 0x0f) == 2))
				sin6->sin6_scope_id = static_cast<uint32_t>(ifindex);
			to_len = sizeof(*sin6);
		}
		char cbuf[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
		iovec iov{const_cast<uint8_t *>(msg.data()), msg.size()};
		msghdr mh{};
		mh.msg_name = &to;
		mh.msg_namelen = to_len;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);  // for CMSG_FIRSTHDR; then what is used
		cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		if (dst.is_ipv4()) {
			mh.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
			cm->cmsg_level = IPPROTO_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
			in_pktinfo pi{};
			pi.ipi_ifindex = ifindex;
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		} else {
			mh.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
			cm->cmsg_level = IPPROTO_IPV6;
			cm->cmsg_type = IPV6_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
			in6_pktinfo pi{};
			pi.ipi6_ifindex = static_cast<unsigned>(ifindex);
			if (src)
				memcpy(&pi.ipi6_addr, src->bytes.data(), 16);
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		}
		if (sendmsg(fd_.get(), &mh, MSG_DONTWAIT) < 0)
			count_["send_errors"]++;
	}

	void hello()
	{
		me_ = own_addresses(c_);
		if (me_.empty())
			return;
		std::vector<uint8_t> msg = encode(AdaptHello{me_});
		devs_ = tunnel_devices(excluded());
		for (const TunnelDev &d : devs_) {
			if (auto peer = d.hello_peer())
				send(msg, d.ifindex, *peer);
			// A multicast hello from the device's own IPv6 address: the
			// kernel would take a link-local one for ff02::1, which the
			// peer's AllowedIPs do not hold.
			for (const IpAddr &dst : d.wg_dsts)
				send(msg, d.ifindex, dst, dst.bytes[0] == 0xff ? d.local6 : std::nullopt);
			count_["hellos_sent"]++;
		}
	}

	void receive()
	{
		uint8_t buf[512];
		sockaddr_storage from{};
		char cbuf[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo))];
		for (;;) {
			iovec iov{buf, sizeof(buf)};
			msghdr mh{};
			mh.msg_name = &from;
			mh.msg_namelen = sizeof(from);
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof(cbuf);
			ssize_t n = recvmsg(fd_.get(), &mh, MSG_DONTWAIT);
			if (n < 0)
				return;
			int ifindex = 0;
			for (cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
				if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
					ifindex = reinterpret_cast<in_pktinfo *>(CMSG_DATA(cm))->ipi_ifindex;
				else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO)
					ifindex = static_cast<int>(reinterpret_cast<in6_pktinfo *>(CMSG_DATA(cm))->ipi6_ifindex);
			}
			if (auto src = sockaddr_ipaddr(reinterpret_cast<sockaddr *>(&from), mh.msg_namelen))
				handle(buf, static_cast<size_t>(n), ifindex, *src);
		}
	}

	void refuse(AdaptRefusal r) { count_[std::string("refused_") + refusal_name(r)]++; }

	// src as IpAddr holds it (IPv4 mapped), compared with the device's
	// peers and the learned table in that one form.
	void handle(const uint8_t *buf, size_t n, int ifindex, const IpAddr &src)
	{
		AdaptMessage m = decode_adapt(buf, n);
		if (m.refused)
			return refuse(*m.refused);
		if (devs_.empty())
			devs_ = tunnel_devices(excluded());
		const TunnelDev *dev = nullptr;
		for (const TunnelDev &d : devs_)
			if (d.ifindex == ifindex)
				dev = &d;
		if (!dev)
			return refuse(AdaptRefusal::wrong_device);
		// PPP does not check the source of what the peer sends: here only
		// the peer's own address counts. WireGuard checks it itself.
		if (!dev->peers.empty() && !dev->peers.count(src))
			return refuse(AdaptRefusal::wrong_source);
		int64_t now = monotonic_ns();
		if (m.hello) {
			// Its own hello, back from a broadcast into a WireGuard
			// device whose peer holds 0.0.0.0/0: nothing to learn.
			for (const IpAddr &a : m.hello->addrs)
				if (std::find(me_.begin(), me_.end(), a) != me_.end()) {
					count_["hellos_own"]++;
					return;
				}
			for (const IpAddr &a : m.hello->addrs)
				learned_[a] = {ifindex, src, now};
			count_["hellos_received"]++;
			return;
		}
		const AdaptReport &r = *m.report;
		auto l = learned_.find(r.reporter);
		if (l == learned_.end() || l->second.ifindex != ifindex || !(l->second.src == src))
			return refuse(AdaptRefusal::unknown_peer);
		StateLock lock(StateLock::Mode::shared);  // against peer add rewriting the policy
		bool applied = false;
		for (const std::string &d : CloneState::devices()) {
			CopyPolicies policies = CloneState(d).copy_policies();
			applied |= policies.update(r.reporter, [&](copy_policy &v) { apply_report(v, r, now); });
		}
		count_[applied ? "reports_applied" : "reports_not_adaptive"]++;
	}

	// The streams eliminate sees, each reported to its source when due.
	void report()
	{
		EliminateState elim;
		if (!elim.exists())
			return;
		// This site's addresses as its last hello said them (a second
		// old at most): not read from the kernel every 100 ms.
		if (me_.empty())
			return;
		int64_t now = monotonic_ns();
		for (const ElimStream &s : elim.streams()) {
			auto key = std::make_tuple(s.saddr, s.id);
			StreamSeen &seen = streams_[key];
			AdaptReport r;
			r.reporter = me_.front();
			r.stream_src = s.saddr;
			r.stream_id = s.id;
			// Since the last report; a slot's new owner starts from 0.
			auto since = [&](__u64 last, unsigned c) {
				return static_cast<uint32_t>(s.counters[c] - std::min(last, s.counters[c]));
			};
			r.passed = since(seen.passed, ELIM_PASSED);
			r.lost = since(seen.lost, ELIM_LOST);
			r.rescued_b = since(seen.rescued, ELIM_COPY_RESCUED);
			if (!report_due(r, now - seen.reported_ns))
				continue;
			auto to = learned_.find(s.saddr);
			if (to == learned_.end() || now - to->second.seen_ns > 10'000'000'000LL) {
				count_["reports_no_route"]++;
				continue;
			}
			r.seq = ++seq_;
			r.interval_ms = seen.reported_ns ? static_cast<uint32_t>((now - seen.reported_ns) / 1000000) : 0;
			send(encode(r), to->second.ifindex, to->second.src);
			count_["reports_sent"]++;
			seen = {s.counters[ELIM_PASSED], s.counters[ELIM_LOST], s.counters[ELIM_COPY_RESCUED], now};
		}
	}

	void log()
	{
		std::string line = "dupgre-ctl adapt:";
		for (const auto &[k, v] : count_)
			line += " " + k + " " + std::to_string(v);
		line += ", peers learned " + std::to_string(learned_.size());
		fprintf(stderr, "%s\n", line.c_str());
	}

	Config c_;
	int family_ = AF_INET6;  // the socket's: AF_INET where the kernel has no IPv6
	Fd fd_;
	std::vector<TunnelDev> devs_;
	std::vector<IpAddr> me_;  // this site's public addresses (hello)
	std::map<IpAddr, Learned> learned_;
	std::map<std::tuple<IpAddr, __u32>, StreamSeen> streams_;
	std::map<std::string, unsigned long> count_;
	uint32_t seq_ = 0;
};

}  // namespace

void cmd_adapt(const GlobalOptions &g, const AdaptOptions &)
{
	struct sigaction sa = {};
	sa.sa_handler = [](int) { adapt_stop = 1; };
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGINT, &sa, nullptr);
	Config c = load_config(g.config);
	Fd instance = claim_instance("adapt");
	Adapt(std::move(c)).run();
}

}  // namespace dupgre
