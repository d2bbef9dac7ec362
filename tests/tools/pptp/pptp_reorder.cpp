// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "pptp_reorder.hpp"

namespace dupgre::tools {
namespace {

// Where extended numbers start: far from 0 so that "behind" never underflows.
constexpr int64_t kBase = int64_t(1) << 40;

size_t slot(int64_t ext)
{
	return size_t(uint64_t(ext) % 65536);
}

} // namespace

PptpReorder::PptpReorder(const Options &options, Deliver deliver)
	: options_(options), deliver_(std::move(deliver))
{
	if (options_.first_seq) {
		// As if the number before the first had just been handled.
		started_ = true;
		last_ = kBase + int64_t(uint32_t(*options_.first_seq - 1));
		first_ = last_ + 1;
	}
}

int64_t PptpReorder::unwrap(uint32_t seq) const
{
	// Serial number arithmetic: the signed 32-bit distance from last_.
	return last_ + int32_t(seq - uint32_t(last_));
}

Arrival PptpReorder::on_packet(uint32_t seq, uint64_t cookie, int64_t now_ns)
{
	stats_.received++;
	if (!started_) {
		started_ = true;
		last_ = kBase + int64_t(uint32_t(seq - 1));
		first_ = last_ + 1;
	}
	int64_t ext = unwrap(seq);
	if (ext <= last_) {
		bool recent = last_ - ext < kHistory;
		if (recent && delivered_[slot(ext)]) {
			stats_.duplicate++;
			return Arrival::duplicate;
		}
		if (options_.any_order && recent && ext >= first_) {
			// A gap filled: it was counted lost when it was skipped.
			stats_.lost--;
			delivered_[slot(ext)] = true;
			stats_.delivered++;
			deliver_(uint32_t(ext), cookie, now_ns);
			return Arrival::delivered;
		}
		stats_.late++;
		return Arrival::late;
	}
	Arrival result;
	if (ext == last_ + 1 || options_.nobuffer || options_.any_order) {
		stats_.lost += uint64_t(ext - last_ - 1);
		deliver(ext, cookie, now_ns);
		result = Arrival::delivered;
	} else if (buffer_.count(ext)) {
		stats_.duplicate++;
		return Arrival::duplicate;
	} else {
		buffer_.emplace(ext, Entry{cookie, now_ns + options_.timeout_ns});
		result = Arrival::buffered;
	}
	dequeue(now_ns);
	return result;
}

void PptpReorder::deliver(int64_t ext, uint64_t cookie, int64_t now_ns)
{
	// Forget the numbers skipped over (lost), remember this one.
	if (ext - last_ > kHistory) {
		delivered_.reset();
	} else {
		for (int64_t x = last_ + 1; x < ext; x++)
			delivered_[slot(x)] = false;
	}
	delivered_[slot(ext)] = true;
	last_ = ext;
	stats_.delivered++;
	deliver_(uint32_t(ext), cookie, now_ns);
}

void PptpReorder::dequeue(int64_t now_ns)
{
	while (!buffer_.empty()) {
		auto head = buffer_.begin();
		if (head->first != last_ + 1 && head->second.expires_ns > now_ns)
			break;
		stats_.lost += uint64_t(head->first - last_ - 1);
		int64_t ext = head->first;
		uint64_t cookie = head->second.cookie;
		buffer_.erase(head);
		deliver(ext, cookie, now_ns);
	}
}

void PptpReorder::on_timer(int64_t now_ns)
{
	dequeue(now_ns);
}

std::optional<int64_t> PptpReorder::next_deadline() const
{
	if (buffer_.empty())
		return std::nullopt;
	return buffer_.begin()->second.expires_ns;
}

void PptpReorder::finish(int64_t now_ns, std::optional<uint32_t> last_seq)
{
	// Everything buffered is now as good as expired.
	while (!buffer_.empty()) {
		auto head = buffer_.begin();
		stats_.lost += uint64_t(head->first - last_ - 1);
		int64_t ext = head->first;
		uint64_t cookie = head->second.cookie;
		buffer_.erase(head);
		deliver(ext, cookie, now_ns);
	}
	if (last_seq && started_) {
		int64_t end = unwrap(*last_seq);
		if (end > last_) {
			stats_.lost += uint64_t(end - last_);
			// Settle them as never delivered: a straggler is late.
			if (end - last_ >= kHistory) {
				delivered_.reset();
			} else {
				for (int64_t x = last_ + 1; x <= end; x++)
					delivered_[slot(x)] = false;
			}
			last_ = end;
		}
	}
}

} // namespace dupgre::tools
