#include "core/frame_decoder.h"
#include "core/frame_encoder.h"
#include "core/hex.h"
#include "tests/support/catch.h"
#include "tools/simulator/faults.h"

using rct::Command;
using rct::Frame;
using rct::sim::FaultInjector;
using rct::sim::FaultKind;
using rct::sim::ReplyTraits;

TEST_CASE("fault names round-trip", "[sim_faults]") {
  for (FaultKind f : rct::sim::kAllFaults) {
    INFO(rct::sim::fault_name(f));
    CHECK(rct::sim::fault_from_name(rct::sim::fault_name(f)) == f);
  }
  CHECK_FALSE(rct::sim::fault_from_name("lightning").has_value());
}

TEST_CASE("encode_with_crc with the right CRC gives the encoder's bytes, escapes included",
          "[sim_faults]") {
  const std::vector<Frame> frames = {
      {Command::kRead, std::nullopt, 0xDB2D69AE, {}},  // OID needs escaping
      {Command::kRead, std::nullopt, 0x2BC1E72B, {}},  // two escapes
      {Command::kRead, std::nullopt, 0x89EE3EB5, {}},  // escaped CRC byte
      {Command::kResponse, std::nullopt, 0x959930BF, {0x3e, 0x97, 0xb1, 0x91}},
      {Command::kLongResponse, std::nullopt, 0x5293B668, std::vector<std::uint8_t>(300, 0x2b)},
      {Command::kPlantResponse, 0x12345678, 0x959930BF, {0x3f, 0, 0, 0}},
  };
  for (const Frame& f : frames) {
    INFO(rct::format_oid(f.oid));
    auto encoded = rct::encode_frame(f);
    REQUIRE(encoded.ok());
    CHECK(rct::sim::encode_with_crc(f, rct::sim::frame_crc(f)) == *encoded);
    // A wrong CRC decodes as a CRC mismatch of the same frame.
    rct::FrameDecoder decoder;
    decoder.feed(
        rct::sim::encode_with_crc(f, static_cast<std::uint16_t>(rct::sim::frame_crc(f) ^ 0x0101)));
    auto ev = decoder.next();
    REQUIRE(ev.has_value());
    CHECK(ev->outcome == rct::DecodeOutcome::kCrcMismatch);
    CHECK(ev->oid == f.oid);
  }
}

TEST_CASE("scripted faults hit the next applicable replies, probabilities the rest",
          "[sim_faults]") {
  FaultInjector injector(rct::sim::FaultConfig{}, 1);
  const ReplyTraits plain{4, false, false};
  const ReplyTraits counter{4, true, true};
  for (int i = 0; i < 100; ++i) CHECK_FALSE(injector.decide(plain).has_value());

  injector.script(FaultKind::kCounterReset, 2);
  CHECK_FALSE(injector.decide(plain).has_value());  // not a counter: the script waits
  CHECK(injector.decide(counter) == FaultKind::kCounterReset);
  CHECK(injector.decide(counter) == FaultKind::kCounterReset);
  CHECK_FALSE(injector.decide(counter).has_value());

  injector.script(FaultKind::kDrop, 1);
  CHECK(injector.decide(plain) == FaultKind::kDrop);
  CHECK_FALSE(injector.decide(plain).has_value());

  injector.set_probability(FaultKind::kCorruptCrc, 1.0);
  CHECK(injector.decide(plain) == FaultKind::kCorruptCrc);
  injector.set_probability(FaultKind::kCorruptCrc, 0.25);
  int hits = 0;
  for (int i = 0; i < 4000; ++i) hits += injector.decide(plain) == FaultKind::kCorruptCrc ? 1 : 0;
  CHECK(hits > 800);
  CHECK(hits < 1200);
  // Night is never a per-reply fault.
  injector.set_probability(FaultKind::kCorruptCrc, 0);
  injector.set_probability(FaultKind::kNight, 1.0);
  CHECK_FALSE(injector.decide(plain).has_value());
}

TEST_CASE("faults that replace the whole payload wait for a reply that was not cut short",
          "[sim_faults]") {
  // A cut reply goes out short with a valid CRC; putting a whole payload (another OID's value, a
  // reset counter, an absurd value) in its place would send a full frame the record calls cut.
  ReplyTraits cut{3, true, true};
  cut.cut = true;
  const ReplyTraits whole{4, true, true};
  for (FaultKind f : {FaultKind::kWrongOid, FaultKind::kCounterReset, FaultKind::kAbsurdValue}) {
    INFO(rct::sim::fault_name(f));
    FaultInjector injector(rct::sim::FaultConfig{}, 5);
    injector.script(f, 1);
    CHECK_FALSE(injector.decide(cut).has_value());
    CHECK(injector.decide(whole) == f);
    injector.set_probability(f, 1.0);
    CHECK_FALSE(injector.decide(cut).has_value());
  }
  // Faults on the way (CRC, garbage, drop ...) still hit cut replies.
  FaultInjector injector(rct::sim::FaultConfig{}, 5);
  injector.script(FaultKind::kCorruptCrc, 1);
  CHECK(injector.decide(cut) == FaultKind::kCorruptCrc);
}

TEST_CASE("garbage never contains a start token and truncation always shortens", "[sim_faults]") {
  FaultInjector injector(rct::sim::FaultConfig{}, 99);
  for (int i = 0; i < 500; ++i) {
    const auto g = injector.garbage();
    CHECK_FALSE(g.empty());
    CHECK(std::find(g.begin(), g.end(), rct::kStartToken) == g.end());
    CHECK(injector.truncated_size(4) < 4);
  }
}
