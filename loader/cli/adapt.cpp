// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl adapt`: the adaptive copy policy's feedback (site/adapt.h),
// one process per site, started by apply where the site eliminates (it
// receives copies, so it reports) or copies adaptively (it takes reports).
//
//   every second   a hello into each tunnel device: a point-to-point
//                  device's peer address (ppp, tun), a WireGuard peer's
//                  host AllowedIPs, or the broadcast address where its
//                  AllowedIPs are a default route (a client's server);
//   every 100 ms   eliminate's streams: a report to each stream's source
//                  whose counts call for one (report_due), by the tunnel
//                  address its hellos came from;
//   on arrival     hellos teach which tunnel address reaches which public
//                  address; reports for an adaptive peer refresh its
//                  policy (apply_report). Both only from a tunnel device
//                  that is not the WAN or a dual link, and on a
//                  point-to-point device only from its peer address.
//
// IPv4 tunnel addresses (PPTP's, and WireGuard's IPv4 ones) in this first
// version. Refusals and sends are counted in the log line it writes each
// minute, and at exit.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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
	std::optional<Ipv4> peer;    // point-to-point: the other end
	std::vector<Ipv4> wg_dsts;   // WireGuard: where its peers are reached
	bool wireguard = false;
};

// The devices the VPN's tunnels run on: up, point-to-point or WireGuard,
// and none of the site's own (the WAN, its dual links, eliminate's paths).
std::vector<TunnelDev> tunnel_devices(const std::set<std::string> &excluded)
{
	std::map<std::string, TunnelDev> out;
	struct ifaddrs *ifs = nullptr;
	if (getifaddrs(&ifs) < 0)
		return {};
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
		    !(i->ifa_flags & IFF_POINTOPOINT) || excluded.count(i->ifa_name))
			continue;
		TunnelDev &d = out[i->ifa_name];
		d.name = i->ifa_name;
		d.ifindex = static_cast<int>(if_nametoindex(i->ifa_name));
		auto *local = reinterpret_cast<sockaddr_in *>(i->ifa_addr);
		auto *peer = reinterpret_cast<sockaddr_in *>(i->ifa_dstaddr);
		if (peer && peer->sin_family == AF_INET && peer->sin_addr.s_addr != local->sin_addr.s_addr)
			d.peer = Ipv4{peer->sin_addr.s_addr};
	}
	freeifaddrs(ifs);
	std::vector<TunnelDev> devs;
	for (auto &[name, d] : out) {
		if (auto wg = read_wireguard(name)) {
			d.wireguard = true;
			d.peer.reset();
			for (const WgPeer &p : wg->peers)
				for (const WgAllowedIp &a : p.allowed_ips) {
					if (!a.addr.is_ipv4())
						continue;
					if (a.cidr == 32)
						d.wg_dsts.push_back(*a.addr.ipv4());
					else if (a.cidr == 0)
						d.wg_dsts.push_back(Ipv4{INADDR_BROADCAST});
				}
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
	Ipv4 src;
	int64_t seen_ns = 0;
};

struct StreamSeen {
	__u64 passed = 0, lost = 0, rescued = 0;
	int64_t reported_ns = 0;
};

class Adapt {
public:
	explicit Adapt(Config c) : c_(std::move(c))
	{
		fd_ = Fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
		int on = 1;
		if (fd_.get() < 0 || setsockopt(fd_.get(), SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) < 0 ||
		    setsockopt(fd_.get(), IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0 ||
		    setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
			throw Error("adapt: socket: " + strerror_text(errno));
		sockaddr_in sin{};
		sin.sin_family = AF_INET;
		sin.sin_port = htons(adapt_port);
		if (bind(fd_.get(), reinterpret_cast<sockaddr *>(&sin), sizeof(sin)) < 0)
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

	void send(const std::vector<uint8_t> &msg, int ifindex, Ipv4 dst)
	{
		sockaddr_in to{};
		to.sin_family = AF_INET;
		to.sin_port = htons(adapt_port);
		to.sin_addr.s_addr = dst.be;
		char cbuf[CMSG_SPACE(sizeof(in_pktinfo))] = {};
		iovec iov{const_cast<uint8_t *>(msg.data()), msg.size()};
		msghdr mh{};
		mh.msg_name = &to;
		mh.msg_namelen = sizeof(to);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
		in_pktinfo pi{};
		pi.ipi_ifindex = ifindex;  // out of this tunnel device, whatever the routes say
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
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
			if (d.peer)
				send(msg, d.ifindex, *d.peer);
			for (const Ipv4 &dst : d.wg_dsts)
				send(msg, d.ifindex, dst);
			count_["hellos_sent"]++;
		}
	}

	void receive()
	{
		uint8_t buf[512];
		sockaddr_in from{};
		char cbuf[CMSG_SPACE(sizeof(in_pktinfo))];
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
			for (cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
				if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
					ifindex = reinterpret_cast<in_pktinfo *>(CMSG_DATA(cm))->ipi_ifindex;
			handle(buf, static_cast<size_t>(n), ifindex, Ipv4{from.sin_addr.s_addr});
		}
	}

	void refuse(AdaptRefusal r) { count_[std::string("refused_") + refusal_name(r)]++; }

	void handle(const uint8_t *buf, size_t n, int ifindex, Ipv4 src)
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
		if (dev->peer && !(*dev->peer == src))
			return refuse(AdaptRefusal::wrong_source);
		int64_t now = monotonic_ns();
		if (m.hello) {
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
