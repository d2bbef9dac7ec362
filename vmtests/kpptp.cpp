// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// kpptp: one PPTP call carried by the kernel (drivers/net/ppp/pptp.c), for
// vmtests. Debian 12's pppd has no pptp.so plugin, and what is under test is
// the kernel's receive path (pptp_rcv_core: a packet numbered at or below the
// newest it took is dropped), as OpenWrt's ppp-mod-pptp and accel-ppp use it.
//
//   kpptp --local ADDR --local-call ID --remote ADDR --remote-call ID
//         --tx-key HEX32 --rx-key HEX32 [--ifname NAME] [--status FILE]
//
// Opens an AF_PPPOX/PX_PROTO_PPTP socket, binds it to the local address and
// call ID, connects it to the peer's, attaches its channel to a new ppp unit
// (as pppd's pptp plugin does), names the unit's device and writes its state
// to FILE. There is no control connection and no LCP/IPCP: both ends are
// started with each other's call IDs and the script gives the device its
// addresses.
//
// MPPE-128, stateless (what the guide's tunnels negotiate), with fixed keys:
// dupgre's clone, like the guide's u32 rules, copies only MPPE data
// (PPP protocol 0x00FD), and the kernel's MPPE is part of the receive path
// ("Discard late packet"). ppp_generic starts the (de)compressor only when
// it sees a CCP Configure-Ack go through the unit (ppp_ccp_peek): SIGUSR1
// writes one (outbound: our compressor starts; the peer, on receiving it,
// starts its decompressor); once both ends report comp and decomp running,
// SIGUSR2 sets SC_CCP_UP (after which a Configure-Ack no longer re-inits).
// A decompression error (the unit hands the frame up, as to pppd) is
// answered as pppd does: a CCP Reset-Request, and a Reset-Request from the
// peer with a Reset-Ack; the status counts both.
//
// Status FILE, rewritten whenever something changes, one line of JSON:
//   {"pid":P,"unit":N,"ifname":"...","flags":"0x...","comp":true,"decomp":true,
//    "ccp_up":true,"dc_error":false,"decomp_errors":0,"reset_reqs_sent":0,
//    "reset_reqs_received":0}
// SIGTERM/SIGINT: exit (closing the fds removes the unit and the channel).
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_pppox.h>
#include <linux/ppp-comp.h>
#include <linux/ppp-ioctl.h>
#include <linux/ppp_defs.h>
#include <linux/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "../tests/pkt/sys.h"

namespace {

using pkt::die;

constexpr size_t kKeyLen = 16;  // MPPE-128

struct Args {
	std::string local, remote, ifname, status;
	long local_call = -1, remote_call = -1;
	std::vector<uint8_t> tx_key, rx_key;
};

std::vector<uint8_t> parse_key(const std::string &hex)
{
	if (hex.size() != 2 * kKeyLen)
		die("a key is " + std::to_string(2 * kKeyLen) + " hex digits, not '" + hex + "'");
	std::vector<uint8_t> key;
	for (size_t i = 0; i < hex.size(); i += 2) {
		char *end = nullptr;
		std::string byte = hex.substr(i, 2);
		unsigned long v = std::strtoul(byte.c_str(), &end, 16);
		if (*end) die("bad hex in key '" + hex + "'");
		key.push_back(uint8_t(v));
	}
	return key;
}

Args parse(int argc, char **argv)
{
	Args a;
	for (int i = 1; i < argc; i++) {
		std::string k = argv[i];
		if (i + 1 >= argc) die("missing value for " + k);
		std::string v = argv[++i];
		if (k == "--local") a.local = v;
		else if (k == "--remote") a.remote = v;
		else if (k == "--local-call") a.local_call = std::stol(v, nullptr, 0);
		else if (k == "--remote-call") a.remote_call = std::stol(v, nullptr, 0);
		else if (k == "--tx-key") a.tx_key = parse_key(v);
		else if (k == "--rx-key") a.rx_key = parse_key(v);
		else if (k == "--ifname") a.ifname = v;
		else if (k == "--status") a.status = v;
		else die("unknown option " + k);
	}
	if (a.local.empty() || a.remote.empty() || a.local_call <= 0 || a.local_call > 65535 ||
	    a.remote_call <= 0 || a.remote_call > 65535 || a.tx_key.empty() || a.rx_key.empty())
		die("usage: kpptp --local ADDR --local-call ID --remote ADDR --remote-call ID "
		    "--tx-key HEX32 --rx-key HEX32 [--ifname NAME] [--status FILE]");
	if (a.ifname.size() >= IFNAMSIZ) die("--ifname too long");
	return a;
}

// A sockaddr_pppox for PPTP, in aligned storage (the struct is packed).
sockaddr_storage make_addr(const std::string &addr, long call_id)
{
	sockaddr_pppox sa{};
	sa.sa_family = AF_PPPOX;
	sa.sa_protocol = PX_PROTO_PPTP;
	sa.sa_addr.pptp.call_id = uint16_t(call_id);  // host order, as the kernel keeps it
	in_addr in{};
	if (inet_pton(AF_INET, addr.c_str(), &in) != 1) die("bad address " + addr);
	sa.sa_addr.pptp.sin_addr = in;
	sockaddr_storage ss{};
	std::memcpy(&ss, &sa, sizeof sa);
	return ss;
}

// The MPPE configuration option, CCP's form: stateless (H), 128-bit (S).
constexpr uint8_t kMppeCi[CILEN_MPPE] = {CI_MPPE, CILEN_MPPE, 0x01, 0x00, 0x00, 0x40};

constexpr uint8_t kCcpConfAck = 2, kCcpResetReq = 14, kCcpResetAck = 15;

void set_compress(int unit_fd, const std::vector<uint8_t> &key, bool transmit)
{
	std::vector<uint8_t> opt(kMppeCi, kMppeCi + CILEN_MPPE);
	opt.insert(opt.end(), key.begin(), key.end());
	ppp_option_data d{};
	d.ptr = opt.data();
	d.length = uint32_t(opt.size());
	d.transmit = transmit;
	if (ioctl(unit_fd, PPPIOCSCOMPRESS, &d) < 0)
		die(std::string("PPPIOCSCOMPRESS (") + (transmit ? "tx" : "rx") + "; is ppp_mppe loaded?)");
}

// A CCP packet as the unit's fd takes it: protocol, then code, id, length, data.
void send_ccp(int unit_fd, uint8_t code, uint8_t id, const uint8_t *data, size_t len)
{
	std::vector<uint8_t> f = {uint8_t(PPP_CCP >> 8), uint8_t(PPP_CCP & 0xff), code, id,
				  uint8_t((4 + len) >> 8), uint8_t((4 + len) & 0xff)};
	f.insert(f.end(), data, data + len);
	if (write(unit_fd, f.data(), f.size()) < 0) std::fprintf(stderr, "kpptp: writing CCP: %s\n", std::strerror(errno));
}

int get_flags(int unit_fd)
{
	int flags = 0;
	if (ioctl(unit_fd, PPPIOCGFLAGS, &flags) < 0) die("PPPIOCGFLAGS");
	return flags;
}

void set_flags(int unit_fd, int flags)
{
	if (ioctl(unit_fd, PPPIOCSFLAGS, &flags) < 0) die("PPPIOCSFLAGS");
}

double now_s()
{
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char **argv)
try {
	Args a = parse(argc, argv);
	setvbuf(stdout, nullptr, _IOLBF, 0);

	sigset_t mask;
	sigemptyset(&mask);
	for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&mask, s);
	if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) die("sigprocmask");
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) die("signalfd");

	// The PPTP channel: bound to our call ID, connected to the peer's.
	int sock = socket(AF_PPPOX, SOCK_STREAM, PX_PROTO_PPTP);
	if (sock < 0) die("socket(AF_PPPOX, PX_PROTO_PPTP) (is the pptp module loaded?)");
	sockaddr_storage local = make_addr(a.local, a.local_call), remote = make_addr(a.remote, a.remote_call);
	if (bind(sock, reinterpret_cast<sockaddr *>(&local), sizeof(sockaddr_pppox)) < 0)
		die("bind to call ID " + std::to_string(a.local_call) + " (taken? the kernel's call IDs are global)");
	if (connect(sock, reinterpret_cast<sockaddr *>(&remote), sizeof(sockaddr_pppox)) < 0) die("connect");
	int chan = -1;
	if (ioctl(sock, PPPIOCGCHAN, &chan) < 0) die("PPPIOCGCHAN");

	// As pppd does: one /dev/ppp fd attached to the channel, one owning a new unit.
	int chan_fd = open("/dev/ppp", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (chan_fd < 0) die("/dev/ppp");
	if (ioctl(chan_fd, PPPIOCATTCHAN, &chan) < 0) die("PPPIOCATTCHAN");
	int unit_fd = open("/dev/ppp", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (unit_fd < 0) die("/dev/ppp");
	int unit = -1;
	if (ioctl(unit_fd, PPPIOCNEWUNIT, &unit) < 0) die("PPPIOCNEWUNIT");
	if (ioctl(chan_fd, PPPIOCCONNECT, &unit) < 0) die("PPPIOCCONNECT");

	int mru = PPP_MRU;
	if (ioctl(unit_fd, PPPIOCSMRU, &mru) < 0) die("PPPIOCSMRU");
	npioctl np{PPP_IP, NPMODE_PASS};
	if (ioctl(unit_fd, PPPIOCSNPMODE, &np) < 0) die("PPPIOCSNPMODE");
	set_compress(unit_fd, a.tx_key, true);
	set_compress(unit_fd, a.rx_key, false);
	set_flags(unit_fd, SC_CCP_OPEN);  // look at CCP frames; not up yet

	std::string ifname = "ppp" + std::to_string(unit);
	if (!a.ifname.empty()) {
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ifreq ifr{};
		std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname.c_str());
		std::snprintf(ifr.ifr_newname, IFNAMSIZ, "%s", a.ifname.c_str());
		if (s < 0 || ioctl(s, SIOCSIFNAME, &ifr) < 0) die("renaming " + ifname + " to " + a.ifname);
		close(s);
		ifname = a.ifname;
	}

	long decomp_errors = 0, reset_reqs_sent = 0, reset_reqs_received = 0, other_frames = 0;
	uint8_t ccp_id = 0;
	double last_reset_req = -10;
	std::string last_status;
	auto write_status = [&](int flags) {
		char buf[512];
		std::snprintf(buf, sizeof buf,
			      "{\"pid\":%d,\"unit\":%d,\"ifname\":\"%s\",\"call_id\":%ld,\"peer_call_id\":%ld,\"flags\":\"0x%08x\","
			      "\"comp\":%s,\"decomp\":%s,\"ccp_up\":%s,\"dc_error\":%s,\"decomp_errors\":%ld,"
			      "\"reset_reqs_sent\":%ld,\"reset_reqs_received\":%ld,\"other_frames\":%ld}",
			      int(getpid()), unit, ifname.c_str(), a.local_call, a.remote_call, unsigned(flags),
			      flags & SC_COMP_RUN ? "true" : "false", flags & SC_DECOMP_RUN ? "true" : "false",
			      flags & SC_CCP_UP ? "true" : "false",
			      flags & (SC_DC_ERROR | SC_DC_FERROR) ? "true" : "false", decomp_errors,
			      reset_reqs_sent, reset_reqs_received, other_frames);
		if (buf == last_status) return;
		last_status = buf;
		std::printf("kpptp: %s\n", buf);
		if (a.status.empty()) return;
		std::string tmp = a.status + ".tmp";
		FILE *f = std::fopen(tmp.c_str(), "w");
		if (!f) die("writing " + tmp);
		std::fprintf(f, "%s\n", buf);
		std::fclose(f);
		if (rename(tmp.c_str(), a.status.c_str()) < 0) die("renaming " + tmp);
	};
	write_status(get_flags(unit_fd));

	std::vector<uint8_t> frame(4096);
	for (;;) {
		pollfd p[3] = {{sfd, POLLIN, 0}, {unit_fd, POLLIN, 0}, {chan_fd, POLLIN, 0}};
		if (poll(p, 3, 100) < 0 && errno != EINTR) die("poll");
		if (p[0].revents & POLLIN) {
			signalfd_siginfo si{};
			if (read(sfd, &si, sizeof si) == ssize_t(sizeof si)) {
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) break;
				if (si.ssi_signo == SIGUSR1)  // start our compressor and the peer's decompressor
					send_ccp(unit_fd, kCcpConfAck, ++ccp_id, kMppeCi, sizeof kMppeCi);
				if (si.ssi_signo == SIGUSR2)
					set_flags(unit_fd, SC_CCP_OPEN | SC_CCP_UP);
			}
		}
		// What the unit hands up to "pppd": control frames, and compressed
		// frames the decompressor failed on (ppp_decompress_frame's error
		// indication).
		for (;;) {
			ssize_t n = read(unit_fd, frame.data(), frame.size());
			if (n < 2) break;
			unsigned proto = unsigned(frame[0]) << 8 | frame[1];
			if (proto == PPP_COMP) {
				decomp_errors++;
				if (now_s() - last_reset_req > 1) {  // pppd: one outstanding, RACKTIMEOUT 1 s
					send_ccp(unit_fd, kCcpResetReq, ++ccp_id, nullptr, 0);
					reset_reqs_sent++;
					last_reset_req = now_s();
				}
			} else if (proto == PPP_CCP && n >= 4 && frame[2] == kCcpResetReq) {
				reset_reqs_received++;
				send_ccp(unit_fd, kCcpResetAck, frame[3], nullptr, 0);  // our compressor flushes
			} else if (!(proto == PPP_CCP && n >= 4 && (frame[2] == kCcpConfAck || frame[2] == kCcpResetAck))) {
				other_frames++;
			}
		}
		while (read(chan_fd, frame.data(), frame.size()) > 0) other_frames++;
		write_status(get_flags(unit_fd));
	}
	close(unit_fd);
	close(chan_fd);
	close(sock);
	return 0;
} catch (const std::exception &e) {
	std::fprintf(stderr, "kpptp: %s\n", e.what());
	return 1;
}
