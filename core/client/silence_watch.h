#pragma once

#include <optional>

#include "core/client/time_types.h"

namespace rct::client {

// When an open connection has gone quiet for too long: a peer that accepted the connection and
// then sent no frame at all (a half-open socket, a hung device) is only noticed this way while
// no request is waiting for an answer. Any frame counts, good or bad: the rule is about the
// peer being there, the frame-error and timeout limits judge what it says. Pure: `now` is passed
// in.
//
// States:
//   idle    — no connection yet, or `limit` is zero (the rule is off): no deadline.
//   waiting — a connection opened or a frame arrived at T: the deadline is T + limit.
// start(now): → waiting (a new connection); heard(now): waiting → waiting, deadline moves on.
class SilenceWatch {
 public:
  explicit SilenceWatch(Duration limit) : limit_(limit) {}

  void start(TimePoint now);  // a connection opened at `now`
  void heard(TimePoint now);  // a frame arrived at `now`
  // The time at which the connection counts as silent; none while idle.
  std::optional<TimePoint> deadline() const;
  bool expired(TimePoint now) const;

 private:
  Duration limit_;
  std::optional<TimePoint> last_heard_;
};

}  // namespace rct::client
