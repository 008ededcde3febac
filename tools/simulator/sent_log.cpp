#include "tools/simulator/sent_log.h"

namespace rct::sim {

void SentLog::add(SentReply reply) {
  const std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries) {
    entries_.erase(entries_.begin(),
                   entries_.begin() + static_cast<std::ptrdiff_t>(kMaxEntries / 10));
  }
  entries_.push_back(std::move(reply));
}

std::vector<SentReply> SentLog::all() const {
  const std::lock_guard lock(mutex_);
  return entries_;
}

std::set<std::vector<std::uint8_t>> SentLog::truth(std::uint32_t oid,
                                                   std::optional<std::uint32_t> address) const {
  const std::lock_guard lock(mutex_);
  std::set<std::vector<std::uint8_t>> out;
  for (const SentReply& r : entries_) {
    if (r.intact && r.oid == oid && r.address == address) out.insert(r.payload);
  }
  return out;
}

std::size_t SentLog::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

void SentLog::clear() {
  const std::lock_guard lock(mutex_);
  entries_.clear();
}

}  // namespace rct::sim
