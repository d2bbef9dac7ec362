// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// RAII and small helpers around libbpf objects.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/fd.h"

namespace dupgre {

// Opens a pinned map or program; throws naming the pin.
Fd open_pinned(const std::string &path);
__u32 prog_id(int prog_fd);

// A skeleton owned by a unique_ptr that calls its destroy function.
template <typename Skel> using SkelPtr = std::unique_ptr<Skel, void (*)(Skel *)>;

// Undo steps run in reverse order unless commit() is called: a command that
// fails half way leaves the state as it found it.
class Rollback {
public:
	Rollback() = default;
	~Rollback();
	Rollback(const Rollback &) = delete;
	Rollback &operator=(const Rollback &) = delete;
	void add(std::function<void()> undo) { undo_.push_back(std::move(undo)); }
	void commit() { undo_.clear(); }

private:
	std::vector<std::function<void()>> undo_;
};

}  // namespace dupgre
