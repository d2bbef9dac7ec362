// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/netfilter.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"

extern char **environ;

namespace dupgre {

namespace {

std::string hex(uint32_t v)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "0x%08x", v);
	return buf;
}

// iptables -w -t raw ACTION PREROUTING <the rule>: its exit status, or -1
// when iptables cannot be run at all. No shell, fixed arguments.
int iptables(const char *action, const NfqueueRule &r)
{
	std::vector<std::string> args = {"iptables", "-w", "-t", "raw", action, "PREROUTING",
					 "-m", "mark", "--mark", hex(r.mark) + "/" + hex(r.mask),
					 "-m", "comment", "--comment", "dupgre order stage",
					 "-j", "NFQUEUE", "--queue-num", std::to_string(r.queue), "--queue-bypass"};
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	// iptables' own messages would break the one-line error rule.
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int err = posix_spawnp(&pid, "iptables", &fa, nullptr, argv.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		return -1;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

bool nfqueue_rule_present(const NfqueueRule &rule)
{
	return iptables("-C", rule) == 0;
}

bool nfqueue_rule_add(const NfqueueRule &rule)
{
	if (nfqueue_rule_present(rule))
		return false;
	int rc = iptables("-I", rule);
	if (rc == -1)
		throw Error("order mode needs iptables (with the NFQUEUE target) to hand packets to the holder");
	if (rc != 0)
		throw Error("iptables could not add the order stage's NFQUEUE rule (raw PREROUTING): "
			    "the kernel needs nfnetlink_queue and xt_NFQUEUE, xt_mark, xt_comment");
	return true;
}

void nfqueue_rule_remove(const NfqueueRule &rule)
{
	// Once more than enough: -D removes one copy per call.
	for (int i = 0; i < 8 && nfqueue_rule_present(rule); i++)
		if (iptables("-D", rule) != 0)
			break;
}

std::optional<NfqueueStats> parse_nfqueue_stats(std::istream &in, uint16_t queue)
{
	// "%5u %6u %5u %1u %5u %5u %5u %8u %2d": queue number, portid,
	// queue_total, copy_mode, copy_range, queue_dropped, user_dropped,
	// id_sequence, 1.
	for (std::string line; std::getline(in, line);) {
		std::istringstream f(line);
		unsigned num, copy_mode, copy_range;
		NfqueueStats s;
		if (f >> num >> s.portid >> s.total >> copy_mode >> copy_range >> s.dropped >> s.user_dropped >>
		    s.id_sequence && num == queue)
			return s;
	}
	return std::nullopt;
}

std::optional<NfqueueStats> nfqueue_stats(uint16_t queue)
{
	std::ifstream in("/proc/net/netfilter/nfnetlink_queue");
	return in ? parse_nfqueue_stats(in, queue) : std::nullopt;
}

}  // namespace dupgre
