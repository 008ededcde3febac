#include "tools/simulator/faults.h"

#include "core/byte_order.h"
#include "core/crc16.h"

namespace rct::sim {
namespace {

std::size_t index(FaultKind f) {
  return static_cast<std::size_t>(f);
}

// Unescaped command, length field, address, OID and payload: the CRC input.
std::vector<std::uint8_t> frame_body(const Frame& frame) {
  std::vector<std::uint8_t> body;
  body.push_back(to_byte(frame.command));
  const std::size_t length = (frame.address ? 8 : 4) + frame.payload.size();
  if (is_long(frame.command)) {
    append_be16(body, static_cast<std::uint16_t>(length));
  } else {
    body.push_back(static_cast<std::uint8_t>(length));
  }
  if (frame.address) append_be32(body, *frame.address);
  append_be32(body, frame.oid);
  body.insert(body.end(), frame.payload.begin(), frame.payload.end());
  return body;
}

void append_escaped(std::vector<std::uint8_t>& out, std::uint8_t byte) {
  if (byte == kStartToken || byte == kEscapeToken) out.push_back(kEscapeToken);
  out.push_back(byte);
}

}  // namespace

std::string_view fault_name(FaultKind f) {
  switch (f) {
    case FaultKind::kGarbage:
      return "garbage";
    case FaultKind::kCorruptCrc:
      return "corrupt_crc";
    case FaultKind::kDrop:
      return "drop";
    case FaultKind::kWrongOid:
      return "wrong_oid";
    case FaultKind::kTruncate:
      return "truncate";
    case FaultKind::kStall:
      return "stall";
    case FaultKind::kDisconnect:
      return "disconnect";
    case FaultKind::kCounterReset:
      return "counter_reset";
    case FaultKind::kAbsurdValue:
      return "absurd";
    case FaultKind::kSplit:
      return "split";
    case FaultKind::kNight:
      return "night";
  }
  return "unknown";
}

std::optional<FaultKind> fault_from_name(std::string_view name) {
  for (FaultKind f : kAllFaults) {
    if (fault_name(f) == name) return f;
  }
  return std::nullopt;
}

FaultInjector::FaultInjector(const FaultConfig& config, std::uint64_t seed)
    : config_(config), rng_(seed ^ 0xFA017FA017ULL) {}

bool FaultInjector::applies(FaultKind f, const ReplyTraits& reply) {
  switch (f) {
    case FaultKind::kCounterReset:
      return reply.lifetime_counter && !reply.cut;
    case FaultKind::kAbsurdValue:
      return reply.power_or_energy && !reply.cut;
    case FaultKind::kWrongOid:
      return !reply.cut;
    case FaultKind::kTruncate:
      return reply.payload_size > 0;
    case FaultKind::kNight:
      return false;
    case FaultKind::kGarbage:
    case FaultKind::kCorruptCrc:
    case FaultKind::kDrop:
    case FaultKind::kStall:
    case FaultKind::kDisconnect:
    case FaultKind::kSplit:
      return true;
  }
  return false;
}

std::optional<FaultKind> FaultInjector::decide(const ReplyTraits& reply) {
  for (FaultKind f : kAllFaults) {
    if (scripted_[index(f)] > 0 && applies(f, reply)) {
      --scripted_[index(f)];
      return f;
    }
  }
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (FaultKind f : kAllFaults) {
    const double p = config_.probability[index(f)];
    if (p > 0 && applies(f, reply) && uniform(rng_) < p) return f;
  }
  return std::nullopt;
}

void FaultInjector::script(FaultKind f, unsigned count) {
  scripted_[index(f)] = count;
}

void FaultInjector::set_probability(FaultKind f, double p) {
  config_.probability[index(f)] = p < 0 ? 0 : (p > 1 ? 1 : p);
}

double FaultInjector::probability(FaultKind f) const {
  return config_.probability[index(f)];
}

std::vector<std::uint8_t> FaultInjector::garbage() {
  std::uniform_int_distribution<int> length(1, 16);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(length(rng_)));
  for (std::uint8_t& b : out) {
    do {
      b = static_cast<std::uint8_t>(byte(rng_));
    } while (b == kStartToken);
  }
  return out;
}

std::size_t FaultInjector::truncated_size(std::size_t size) {
  return size == 0 ? 0 : pick(size);
}

std::size_t FaultInjector::split_point(const std::vector<std::uint8_t>& wire) {
  if (wire.size() < 2) return wire.size();
  std::vector<std::size_t> after_escape;
  for (std::size_t i = 1; i + 1 < wire.size(); ++i) {
    if (wire[i] == kEscapeToken) after_escape.push_back(i + 1);
  }
  if (!after_escape.empty() && coin()) return after_escape[pick(after_escape.size())];
  return 1 + pick(wire.size() - 1);
}

bool FaultInjector::coin() {
  return pick(2) == 1;
}

std::size_t FaultInjector::pick(std::size_t n) {
  if (n == 0) return 0;
  std::uniform_int_distribution<std::size_t> d(0, n - 1);
  return d(rng_);
}

std::uint16_t frame_crc(const Frame& frame) {
  return crc16(frame_body(frame));
}

std::vector<std::uint8_t> encode_with_crc(const Frame& frame, std::uint16_t crc) {
  std::vector<std::uint8_t> out{kStartToken};
  for (std::uint8_t b : frame_body(frame)) append_escaped(out, b);
  append_escaped(out, static_cast<std::uint8_t>(crc >> 8));
  append_escaped(out, static_cast<std::uint8_t>(crc));
  return out;
}

}  // namespace rct::sim
