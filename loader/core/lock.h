// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#pragma once

namespace dupgre {

// pppd runs ip-up/ip-down hooks for several links at once; every command
// holds this lock (shared for reads, exclusive for changes) for its whole
// run, so each sees and leaves a consistent pinned state.
class StateLock {
public:
	enum class Mode { shared, exclusive };
	explicit StateLock(Mode mode);
	~StateLock();
	StateLock(const StateLock &) = delete;
	StateLock &operator=(const StateLock &) = delete;

private:
	int fd_;
};

}  // namespace dupgre
