#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/client/client.h"
#include "core/frame_encoder.h"
#include "core/registry.h"
#include "core/value_codec.h"
#include "tests/support/catch.h"
#include "tests/support/test_registry.h"

namespace rct::test {

// Everything a client reported through its observer.
struct RecordingObserver : client::ClientObserver {
  std::vector<client::ClientState> states;
  int link_up = 0;
  int link_down = 0;
  std::vector<client::LinkDownReason> down_reasons;
  std::vector<client::Duration> retry_delays;
  std::vector<client::Reading> unsolicited;
  std::vector<client::FrameVerdict> dropped;
  std::vector<DecodeOutcome> frame_errors;
  int timeouts = 0;
  std::vector<std::uint32_t> bad_replies;  // OIDs whose reply arrived cut or broken

  void on_state(client::ClientState s) override { states.push_back(s); }
  void on_link_up(const std::string&) override { ++link_up; }
  void on_link_down(client::LinkDownReason r, const std::error_code&) override {
    ++link_down;
    down_reasons.push_back(r);
  }
  void on_retry(client::LinkDownReason, const std::error_code&, client::Duration d) override {
    retry_delays.push_back(d);
  }
  void on_unsolicited(const client::Reading& r) override { unsolicited.push_back(r); }
  void on_dropped(client::FrameVerdict v, Command, std::uint32_t, std::size_t) override {
    dropped.push_back(v);
  }
  void on_frame_error(DecodeOutcome o, std::size_t) override { frame_errors.push_back(o); }
  void on_timeout(std::uint32_t, bool) override { ++timeouts; }
  void on_bad_reply(std::uint32_t oid, bool) override { bad_replies.push_back(oid); }
};

// Fast deadlines so that fault tests finish in well under a second each.
inline client::ClientOptions fast_options(std::uint16_t port) {
  using namespace std::chrono_literals;
  client::ClientOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.connect_timeout = 1s;
  o.request_timeout = 250ms;
  o.retries = 2;
  o.backoff.initial = 20ms;
  o.backoff.max = 80ms;
  o.backoff.jitter = 0.0;
  o.seed = 1;
  return o;
}

// Options for a test's own client on a link the daemon is polling (and perhaps sampling an
// effect window on): the simulator serves one request at a time, so the test's request can wait
// behind the daemon's longer than fast_options' 3 x 250 ms; a read waits as long as the daemon's
// own would.
inline client::ClientOptions shared_link_options(std::uint16_t port) {
  using namespace std::chrono_literals;
  client::ClientOptions o = fast_options(port);
  o.request_timeout = 2s;
  o.retries = 3;
  return o;
}

// A client on the test thread's io_context, driven by run_until() with a deadline.
struct ClientHarness {
  explicit ClientHarness(client::ClientOptions options)
      : client(
            std::make_unique<client::Client>(io, test_registry(), std::move(options), observer)) {}

  // Runs the loop until `done` holds or `timeout` passes; returns whether it held.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  std::optional<Result<client::Reading, client::ClientError>> read(std::uint32_t oid) {
    std::optional<Result<client::Reading, client::ClientError>> out;
    client->read(oid, [&](Result<client::Reading, client::ClientError> r) { out = std::move(r); });
    CHECK(run_until([&] { return out.has_value(); }));
    return out;
  }

  bool wait_state(client::ClientState s,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return run_until([&] { return client->state() == s; }, timeout);
  }

  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  RecordingObserver observer;
  std::unique_ptr<client::Client> client;
};

inline std::vector<std::uint8_t> wire(Command command, std::uint32_t oid,
                                      std::vector<std::uint8_t> payload,
                                      std::optional<std::uint32_t> address = std::nullopt) {
  auto bytes = encode_frame(Frame{command, address, oid, std::move(payload)});
  REQUIRE(bytes.ok());
  return *bytes;
}

inline std::vector<std::uint8_t> float_bytes(float v) {
  auto p = encode_value(DataType::kFloat, v);
  REQUIRE(p.ok());
  return *p;
}

// A RESPONSE as the device sends it: a 0x00, then the frame.
inline std::vector<std::uint8_t> device_reply(std::uint32_t oid, std::vector<std::uint8_t> payload,
                                              Command command = Command::kResponse,
                                              std::optional<std::uint32_t> address = std::nullopt) {
  std::vector<std::uint8_t> out{0x00};
  const auto w = wire(command, oid, std::move(payload), address);
  out.insert(out.end(), w.begin(), w.end());
  return out;
}

// The same frame with a wrong CRC: flips a bit of the last byte, never into a token.
inline std::vector<std::uint8_t> corrupt_crc(std::vector<std::uint8_t> frame) {
  std::uint8_t& last = frame.back();
  std::uint8_t flipped = last ^ 0x01;
  if (flipped == 0x2B || flipped == 0x2D) flipped = last ^ 0x04;
  last = flipped;
  return frame;
}

inline std::vector<std::uint8_t> concat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace rct::test
