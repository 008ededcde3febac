#pragma once

#include <optional>

#include "core/client/time_types.h"

namespace rct::client {

// How long to wait for the reply to a request on one connection, learnt from the replies that
// came, after TCP's retransmission timer (RFC 6298): a smoothed reply time S and a smoothed mean
// deviation V, and the wait S + 4 V, clamped to [floor, ceiling]. On a link whose reply time is
// steady a lost reply then costs about the floor instead of the ceiling.
//
// The caller follows Karn's rule: only a request sent once gives a sample, because a reply to a
// re-sent request may answer either send. A wait that passed doubles the wait until the next
// sample (never beyond the ceiling), so a link that has become slower is not re-sent to at the
// old pace forever: its next first-time request waits long enough to give a sample.
//
// States: no sample (the wait is the ceiling) → estimating (S, V set; doublings since the last
// sample). reset() returns to no sample. Pure: durations come in from the caller.
class ReplyTimeEstimator {
 public:
  // A floor above the ceiling is taken as the ceiling (the estimate is then a no-op).
  ReplyTimeEstimator(Duration floor, Duration ceiling);

  // The reply to a request sent once arrived `reply_time` after the request was sent.
  void on_sample(Duration reply_time);
  // A request's wait passed without a usable reply.
  void on_timeout();
  // A new connection: what was learnt about the old one no longer holds.
  void reset();

  // The wait for a request sent now.
  Duration timeout() const;
  Duration floor() const { return floor_; }
  Duration ceiling() const { return ceiling_; }
  std::optional<Duration> smoothed() const;   // S; nullopt before the first sample
  std::optional<Duration> deviation() const;  // V; nullopt before the first sample

 private:
  Duration floor_;
  Duration ceiling_;
  bool sampled_ = false;
  Duration smoothed_{};
  Duration deviation_{};
  unsigned doublings_ = 0;  // waits that passed since the last sample
};

}  // namespace rct::client
