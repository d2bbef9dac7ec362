// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// What the command line did not understand, said so a person can fix it:
// the unknown command or option named, with the nearest known name; and
// what --version reports.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace dupgre {

// The name among known nearest to word, if close enough to be a typo
// (edit distance at most a third of the word's length, and at least 1).
std::optional<std::string> nearest_name(const std::string &word, const std::vector<std::string> &known);

// The message for a parse error: CLI11's, or, where the line holds an
// unknown command or option, "unknown command 'statsu' (did you mean
// 'stats'?)".
std::string explain_parse_error(const CLI::App &app, int argc, char **argv, const CLI::ParseError &e);

// The command the line names at the top level ("hook", "stats"...), if any.
std::string top_command(const CLI::App &app, int argc, char **argv);

// --version: dupgre-ctl's version and git revision, libbpf's version, and
// what the running kernel offers dupgre; one line each, or one JSON object.
std::string version_text(bool json);

}  // namespace dupgre
