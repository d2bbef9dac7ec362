// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// One error style: setup and configuration errors are exceptions, caught once
// at the CLI edge and printed as a single line (or a JSON error object).
#pragma once

#include <stdexcept>
#include <string>

namespace dupgre {

class Error : public std::runtime_error {
public:
	explicit Error(const std::string &what) : std::runtime_error(what) {}
};

// The command line or the configuration is wrong (a value out of range, an
// option that does not go with another, a bad dupgre.conf): dupgre-ctl
// exits 2 for it, as for what its parser refuses, and 1 when an operation
// fails. Thrown before anything changes.
class UsageError : public Error {
public:
	explicit UsageError(const std::string &what) : Error(what) {}
};

// Text for a libbpf or system error code (negative or positive errno).
std::string strerror_text(int err);

// Throws Error("<what>: <libbpf_strerror text>") when err < 0; returns err.
int check(int err, const std::string &what);

}  // namespace dupgre
