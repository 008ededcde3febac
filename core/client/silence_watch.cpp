#include "core/client/silence_watch.h"

namespace rct::client {

void SilenceWatch::start(TimePoint now) {
  last_heard_ = now;
}

void SilenceWatch::heard(TimePoint now) {
  if (last_heard_) last_heard_ = now;
}

std::optional<TimePoint> SilenceWatch::deadline() const {
  if (!last_heard_ || limit_ <= Duration::zero()) return std::nullopt;
  return *last_heard_ + limit_;
}

bool SilenceWatch::expired(TimePoint now) const {
  const std::optional<TimePoint> at = deadline();
  return at && now >= *at;
}

}  // namespace rct::client
