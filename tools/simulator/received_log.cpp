#include "tools/simulator/received_log.h"

namespace rct::sim {

void ReceivedLog::add(ReceivedFrame frame) {
  const std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries) {
    entries_.erase(entries_.begin(),
                   entries_.begin() + static_cast<std::ptrdiff_t>(kMaxEntries / 10));
  }
  entries_.push_back(std::move(frame));
}

std::vector<ReceivedFrame> ReceivedLog::all() const {
  const std::lock_guard lock(mutex_);
  return entries_;
}

std::vector<Frame> ReceivedLog::frames(Command command, std::uint32_t oid) const {
  const std::lock_guard lock(mutex_);
  std::vector<Frame> out;
  for (const ReceivedFrame& r : entries_) {
    if (r.frame.command == command && (oid == 0 || r.frame.oid == oid)) out.push_back(r.frame);
  }
  return out;
}

std::size_t ReceivedLog::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

void ReceivedLog::clear() {
  const std::lock_guard lock(mutex_);
  entries_.clear();
}

}  // namespace rct::sim
