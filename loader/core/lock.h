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
	// Without waiting, for a loop that must not stall (the holder's):
	// held() is false when a command holds the lock now.
	struct NoWait {};
	StateLock(Mode mode, NoWait);
	bool held() const { return fd_ >= 0; }
	~StateLock();
	StateLock(const StateLock &) = delete;
	StateLock &operator=(const StateLock &) = delete;

private:
	int fd_;
};

}  // namespace dupgre
