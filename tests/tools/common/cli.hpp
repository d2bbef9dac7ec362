// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Command line errors as one line: "<tool>: <what is wrong>".
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace dupgre::tools {

inline void one_line_errors(CLI::App &app, const std::string &tool)
{
	app.failure_message([tool](const CLI::App *, const CLI::Error &e) {
		return tool + ": " + e.what() + " (see --help)\n";
	});
}

} // namespace dupgre::tools
