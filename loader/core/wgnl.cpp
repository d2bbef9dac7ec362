// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/wgnl.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "core/fd.h"
#include "core/netdev.h"
#include "core/nlattr.h"

namespace dupgre {

namespace {

// wireguard-go and other userspace implementations: their socket, if any.
std::optional<WgDevice> read_userspace(const std::string &dev)
{
	const std::string path = "/var/run/wireguard/" + dev + ".sock";
	struct stat st;
	if (stat(path.c_str(), &st) < 0 || !S_ISSOCK(st.st_mode))
		return std::nullopt;
	Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (!fd)
		throw Error(dev + ": socket: " + strerror(errno));
	struct timeval tv = {2, 0};  // a hung implementation must not hang check
	setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_un sun = {};
	sun.sun_family = AF_UNIX;
	if (path.size() >= sizeof(sun.sun_path))
		throw Error(dev + ": " + path + ": path too long");
	memcpy(sun.sun_path, path.c_str(), path.size());
	if (connect(fd.get(), reinterpret_cast<struct sockaddr *>(&sun), sizeof(sun)) < 0) {
		if (errno == ECONNREFUSED)  // left behind by an implementation that is gone
			return std::nullopt;
		throw Error(dev + ": " + path + ": " + strerror(errno));
	}
	static const char request[] = "get=1\n\n";
	if (write(fd.get(), request, sizeof(request) - 1) != sizeof(request) - 1)
		throw Error(dev + ": " + path + ": " + strerror(errno));
	std::string reply;
	char buf[4096];
	while (reply.find("\n\n") == std::string::npos) {
		ssize_t n = read(fd.get(), buf, sizeof(buf));
		if (n < 0)
			throw Error(dev + ": " + path + ": " + strerror(errno));
		if (n == 0)
			break;
		reply.append(buf, n);
	}
	return parse_wg_uapi(dev, reply);
}

struct MnlClose {
	void operator()(struct mnl_socket *s) const { mnl_socket_close(s); }
};
using MnlSocket = std::unique_ptr<struct mnl_socket, MnlClose>;

// Sends the request in buf, runs cb over every reply; 0, or -errno.
int genl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	std::vector<char> buf(1 << 16);  // a dump message is at most a page, or 32 KiB
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
		if (n < 0)
			return -errno;
		int ret = mnl_cb_run(buf.data(), n, seq, portid, cb, data);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

struct nlmsghdr *genl_request(char *buf, uint16_t type, uint16_t flags, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = static_cast<uint32_t>(time(nullptr));
	auto *g = static_cast<struct genlmsghdr *>(mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr)));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

int family_id_cb(const struct nlmsghdr *nlh, void *data)
{
	for_each_attr(nlh, sizeof(struct genlmsghdr), [&](const struct nlattr *attr) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID && mnl_attr_get_payload_len(attr) == 2)
			*static_cast<uint16_t *>(data) = mnl_attr_get_u16(attr);
	});
	return MNL_CB_OK;
}

void parse_allowed_ip(const struct nlattr *nest, WgPeer &peer)
{
	int family = -1;
	WgAllowedIp a;
	bool have_addr = false;
	for_each_nested(nest, [&](const struct nlattr *attr) {
		uint16_t len = mnl_attr_get_payload_len(attr);
		switch (mnl_attr_get_type(attr)) {
		case WGALLOWEDIP_A_FAMILY:
			if (len == sizeof(uint16_t))
				family = mnl_attr_get_u16(attr);
			break;
		case WGALLOWEDIP_A_IPADDR:
			if (len == 4) {
				Ipv4 v4;
				memcpy(&v4.be, mnl_attr_get_payload(attr), 4);
				a.addr = IpAddr::from_ipv4(v4);
				have_addr = true;
			} else if (len == 16) {
				memcpy(a.addr.bytes.data(), mnl_attr_get_payload(attr), 16);
				have_addr = true;
			}
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			if (len == sizeof(uint8_t))
				a.cidr = mnl_attr_get_u8(attr);
			break;
		}
	});
	if (have_addr && (family == AF_INET || family == AF_INET6) && a.cidr <= (a.addr.is_ipv4() ? 32u : 128u))
		peer.allowed_ips.push_back(a);
}

void parse_peer(const struct nlattr *nest, WgDevice &dev)
{
	WgPeer peer;
	for_each_nested(nest, [&](const struct nlattr *attr) {
		uint16_t len = mnl_attr_get_payload_len(attr);
		const void *p = mnl_attr_get_payload(attr);
		switch (mnl_attr_get_type(attr)) {
		case WGPEER_A_PUBLIC_KEY:
			if (len == WG_KEY_LEN)
				peer.public_key = wg_key_base64(static_cast<const uint8_t *>(p), WG_KEY_LEN);
			break;
		case WGPEER_A_ENDPOINT: {
			Endpoint ep;
			if (len == sizeof(struct sockaddr_in)) {
				struct sockaddr_in sin;
				memcpy(&sin, p, sizeof(sin));
				if (sin.sin_family != AF_INET)
					break;
				ep.addr = IpAddr::from_ipv4(Ipv4{sin.sin_addr.s_addr});
				ep.port = ntohs(sin.sin_port);
			} else if (len == sizeof(struct sockaddr_in6)) {
				struct sockaddr_in6 sin6;
				memcpy(&sin6, p, sizeof(sin6));
				if (sin6.sin6_family != AF_INET6)
					break;
				memcpy(ep.addr.bytes.data(), &sin6.sin6_addr, 16);
				ep.port = ntohs(sin6.sin6_port);
			} else {
				break;
			}
			peer.endpoint = ep;
			break;
		}
		case WGPEER_A_ALLOWEDIPS:
			for_each_nested(attr, [&](const struct nlattr *ip) { parse_allowed_ip(ip, peer); });
			break;
		}
	});
	if (peer.public_key.empty())
		return;
	// A peer with many AllowedIPs continues in the next message, under the
	// same key.
	if (!dev.peers.empty() && dev.peers.back().public_key == peer.public_key) {
		WgPeer &last = dev.peers.back();
		last.allowed_ips.insert(last.allowed_ips.end(), peer.allowed_ips.begin(), peer.allowed_ips.end());
		if (peer.endpoint)
			last.endpoint = peer.endpoint;
		return;
	}
	dev.peers.push_back(std::move(peer));
}

int device_cb(const struct nlmsghdr *nlh, void *data)
{
	auto &dev = *static_cast<WgDevice *>(data);
	for_each_attr(nlh, sizeof(struct genlmsghdr), [&](const struct nlattr *attr) {
		switch (mnl_attr_get_type(attr)) {
		case WGDEVICE_A_LISTEN_PORT:
			if (mnl_attr_get_payload_len(attr) == sizeof(uint16_t))
				dev.listen_port = mnl_attr_get_u16(attr);
			break;
		case WGDEVICE_A_PEERS:
			for_each_nested(attr, [&](const struct nlattr *peer) { parse_peer(peer, dev); });
			break;
		}
	});
	return MNL_CB_OK;
}

std::optional<WgDevice> read_kernel(const std::string &dev)
{
	MnlSocket nl(mnl_socket_open(NETLINK_GENERIC));
	if (!nl)
		throw Error(dev + ": generic netlink socket: " + strerror(errno));
	if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
		throw Error(dev + ": generic netlink bind: " + strerror(errno));
	std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
	struct nlmsghdr *nlh = genl_request(buf.data(), GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	uint16_t family = 0;
	int err = genl_talk(nl.get(), nlh, family_id_cb, &family);
	if (err == -ENOENT || (!err && !family))
		return std::nullopt;  // no WireGuard in this kernel
	if (err)
		throw Error(dev + ": looking up the wireguard netlink family: " + strerror(-err));

	nlh = genl_request(buf.data(), family, NLM_F_ACK | NLM_F_DUMP, WG_CMD_GET_DEVICE, WG_GENL_VERSION);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, dev.c_str());
	WgDevice d;
	d.name = dev;
	d.source = "kernel";
	err = genl_talk(nl.get(), nlh, device_cb, &d);
	if (err == -ENODEV || err == -EOPNOTSUPP || err == -EINVAL)
		return std::nullopt;  // not a WireGuard device, or not there
	if (err)
		throw Error(dev + ": reading WireGuard's configuration: " + strerror(-err));
	return d;
}

}  // namespace

std::optional<WgDevice> read_wireguard(const std::string &dev)
{
	validate_ifname(dev);
	// wg's order: a userspace implementation's socket, else the kernel.
	if (auto d = read_userspace(dev))
		return d;
	return read_kernel(dev);
}

}  // namespace dupgre
