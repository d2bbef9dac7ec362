// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "cli/usage.h"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/kernel.h"
#include "core/tcx.h"

#ifndef DUPGRE_GIT_REVISION
#define DUPGRE_GIT_REVISION "unknown"
#endif

namespace dupgre {

namespace {

size_t edit_distance(const std::string &a, const std::string &b)
{
	std::vector<size_t> row(b.size() + 1);
	for (size_t j = 0; j <= b.size(); j++)
		row[j] = j;
	for (size_t i = 1; i <= a.size(); i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= b.size(); j++) {
			size_t up = row[j];
			row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
			diag = up;
		}
	}
	return row[b.size()];
}

const CLI::App *subcommand(const CLI::App *node, const std::string &name)
{
	auto subs = node->get_subcommands([&](const CLI::App *s) { return s->check_name(name); });
	return subs.empty() ? nullptr : subs.front();
}

// An option of the node or, since global options fall through, of a parent.
const CLI::Option *find_option(const CLI::App *node, const std::string &name)
{
	for (; node; node = node->get_parent())
		for (const CLI::Option *o : node->get_options())
			if (o->check_name(name))
				return o;
	return nullptr;
}

// What the line says, read as the parser would: the deepest command named,
// and the first word or option that is not one.
struct Reading {
	const CLI::App *node;
	std::string unknown_command;  // a word where a command was required
	std::string unknown_option;
};

Reading read_line(const CLI::App &app, int argc, char **argv)
{
	Reading r{&app, "", ""};
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--")
			break;
		if (a.size() > 1 && a[0] == '-') {
			std::string name = a.substr(0, a.find('='));
			const CLI::Option *o = find_option(r.node, name);
			if (!o && a[1] != '-') {  // a cluster of short flags: -jp
				bool all = true;
				for (size_t k = 1; k < a.size(); k++)
					all = all && find_option(r.node, std::string("-") + a[k]);
				if (all)
					continue;
			}
			if (!o) {
				if (r.unknown_option.empty())
					r.unknown_option = name;
				continue;
			}
			if (a.find('=') == std::string::npos && o->get_expected_min() > 0)
				i++;  // its value
			continue;
		}
		if (const CLI::App *sub = subcommand(r.node, a)) {
			r.node = sub;
			continue;
		}
		if (r.node->get_require_subcommand_min() > 0 && r.unknown_command.empty())
			r.unknown_command = a;
	}
	return r;
}

std::string suggestion(const std::string &word, const std::vector<std::string> &known)
{
	auto n = nearest_name(word, known);
	return n ? "; did you mean '" + *n + "'?" : "";
}

std::string command_path(const CLI::App *node)
{
	std::string path;
	for (; node && node->get_parent(); node = node->get_parent())
		path = node->get_name() + (path.empty() ? "" : " ") + path;
	return path;
}

}  // namespace

std::optional<std::string> nearest_name(const std::string &word, const std::vector<std::string> &known)
{
	std::optional<std::string> best;
	size_t best_d = std::max<size_t>(1, word.size() / 3) + 1;
	for (const std::string &k : known) {
		size_t d = edit_distance(word, k);
		if (d < best_d) {
			best_d = d;
			best = k;
		}
	}
	return best;
}

std::string explain_parse_error(const CLI::App &app, int argc, char **argv, const CLI::ParseError &e)
{
	Reading r = read_line(app, argc, argv);
	std::string where = command_path(r.node);
	std::string help = "dupgre-ctl " + (where.empty() ? "" : where + " ") + "--help";
	if (!r.unknown_command.empty()) {
		std::vector<std::string> names;
		for (const CLI::App *s : r.node->get_subcommands([](const CLI::App *) { return true; }))
			names.push_back(s->get_name());
		return "unknown command '" + r.unknown_command + "'" + (where.empty() ? "" : " for '" + where + "'") +
		       suggestion(r.unknown_command, names) + " (" + help + " lists them)";
	}
	if (!r.unknown_option.empty()) {
		std::vector<std::string> names;
		for (const CLI::App *n = r.node; n; n = n->get_parent())
			for (const CLI::Option *o : n->get_options())
				for (const std::string &l : o->get_lnames())
					names.push_back("--" + l);
		return "unknown option '" + r.unknown_option + "'" + (where.empty() ? "" : " for '" + where + "'") +
		       suggestion(r.unknown_option, names) + " (" + help + " lists them)";
	}
	if (std::string(e.what()) == "A subcommand is required")
		return "a command is required" + (where.empty() ? "" : " after '" + where + "'") + " (" + help +
		       " lists them)";
	return e.what();
}

std::string top_command(const CLI::App &app, int argc, char **argv)
{
	const CLI::App *node = read_line(app, argc, argv).node;
	while (node && node->get_parent() && node->get_parent()->get_parent())
		node = node->get_parent();
	return node == &app ? "" : node->get_name();
}

std::string version_text(bool json)
{
	KernelVersion k = running_kernel();
	// Probing a program type needs CAP_BPF (libbpf then says "no" for
	// EPERM too): not root, unknown.
	int sched_cls = geteuid() == 0 ? libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SCHED_CLS, nullptr) : -1;
	bool btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	int jit = -1;
	std::ifstream("/proc/sys/net/core/bpf_jit_enable") >> jit;
	// tcx links (bpf_mprog, 6.6): asked of the kernel, which needs
	// CAP_NET_ADMIN; without it, unknown.
	int tcx = -1;
	try {
		tcx = tcx_supported();
	} catch (const Error &) {
	}
	bool ppp = redirect_strips_ppp_mac_header(k);
	std::string libbpf = std::to_string(libbpf_major_version()) + "." + std::to_string(libbpf_minor_version());
	if (json) {
		nlohmann::json j = {{"version", DUPGRE_VERSION}, {"git", DUPGRE_GIT_REVISION}, {"libbpf", libbpf},
				    {"kernel", {{"version", k.str()}, {"btf", btf}, {"ppp_redirect", ppp}}}};
		j["kernel"]["tcx"] = tcx < 0 ? nlohmann::json() : nlohmann::json(tcx == 1);
		j["kernel"]["sched_cls"] = sched_cls < 0 ? nlohmann::json() : nlohmann::json(sched_cls == 1);
		j["kernel"]["jit"] = jit < 0 ? nlohmann::json() : nlohmann::json(jit);
		return j.dump();
	}
	auto yes = [](bool b) { return b ? "yes" : "no"; };
	return std::string("dupgre-ctl ") + DUPGRE_VERSION + " (git " + DUPGRE_GIT_REVISION + ")\n" +
	       "libbpf " + libbpf + "\n" + "kernel " + k.str() + ": tc BPF programs " +
	       (sched_cls < 0 ? "unknown (as root it can tell)" : yes(sched_cls == 1)) + ", BTF " + yes(btf) +
	       ", JIT " + (jit < 0 ? "unknown" : jit == 0 ? "off" : "on") + ", tcx " +
	       (tcx < 0 ? "unknown" : yes(tcx == 1)) +
	       ", bpf_redirect into ppp " + (ppp ? "fixed" : "broken (" + ppp_redirect_requirement() + ")");
}

}  // namespace dupgre
