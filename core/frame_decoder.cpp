#include "core/frame_decoder.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/crc16.h"
#include "core/frame.h"

namespace rct {
namespace {

constexpr std::size_t kCrcSize = 2;
// Buffer capacity kept between frames: a few reads of ordinary answers (docs/protocol.md §7.2).
constexpr std::size_t kDecoderRetainedCapacity = 4096;

// Whether any of the 8 bytes in `v` is a start or escape token (zero-byte test on v ^ token).
constexpr bool has_token(std::uint64_t v) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHigh = 0x8080808080808080;
  const std::uint64_t a = v ^ (kOnes * kStartToken);
  const std::uint64_t b = v ^ (kOnes * kEscapeToken);
  return (((a - kOnes) & ~a) | ((b - kOnes) & ~b)) & kHigh;
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

std::string_view decode_outcome_name(DecodeOutcome o) {
  switch (o) {
    case DecodeOutcome::kOk:
      return "ok";
    case DecodeOutcome::kCrcMismatch:
      return "crc_mismatch";
    case DecodeOutcome::kInvalidCommand:
      return "invalid_command";
    case DecodeOutcome::kLengthExceeded:
      return "length_exceeded";
    case DecodeOutcome::kIncomplete:
      return "incomplete";
  }
  return "?";
}

FrameDecoder::FrameDecoder(std::size_t max_length)
    : max_length_(std::min(max_length, kMaxLength)) {}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  compact();
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

// Drops what no outcome needs any more: hunted-over bytes, and in kBody the escape bytes between
// the unescaped part and the unexamined rest. kHeader keeps its raw bytes for header_error().
void FrameDecoder::compact() {
  switch (state_) {
    case State::kHunt:
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(read_));
      read_ = 0;
      // A long frame grew the buffer; once it is done, give the memory back rather than keep
      // up to 64 KiB per connection for the rest of its life. Up to twice the retained size is
      // kept: a read of 4 KiB behind the start of a frame grows the buffer to that by doubling,
      // and giving it back after each such read would reallocate on every few reads.
      if (buf_.size() <= kDecoderRetainedCapacity &&
          buf_.capacity() > 2 * kDecoderRetainedCapacity) {
        std::vector<std::uint8_t> small;
        small.reserve(kDecoderRetainedCapacity);
        small.assign(buf_.begin(), buf_.end());
        buf_.swap(small);
      }
      break;
    case State::kHeader:
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(start_));
      read_ -= start_;
      start_ = 0;
      break;
    case State::kBody: {
      const std::size_t unescaped = write_ - start_;
      if (start_ != 0) std::memmove(buf_.data(), buf_.data() + start_, unescaped);
      const std::size_t rest = buf_.size() - read_;
      if (read_ != unescaped && rest != 0) {
        std::memmove(buf_.data() + unescaped, buf_.data() + read_, rest);
      }
      dropped_ += read_ - write_;
      buf_.resize(unescaped + rest);
      start_ = 0;
      write_ = unescaped;
      read_ = unescaped;
      break;
    }
  }
}

std::optional<DecodeEvent> FrameDecoder::next() {
  while (true) {
    switch (state_) {
      case State::kHunt: {
        const std::size_t end = buf_.size();
        if (read_ == end) return std::nullopt;
        // Devices put one 0x00 before each frame: look at the next bytes before calling memchr.
        if (buf_[read_] == kStartToken) {
          begin_frame(read_);
          break;
        }
        if (read_ + 1 < end && buf_[read_ + 1] == kStartToken) {
          ++skipped_;
          begin_frame(read_ + 1);
          break;
        }
        const void* hit = std::memchr(buf_.data() + read_, kStartToken, end - read_);
        if (hit == nullptr) {
          skipped_ += end - read_;
          read_ = end;
          return std::nullopt;
        }
        const auto at =
            static_cast<std::size_t>(static_cast<const std::uint8_t*>(hit) - buf_.data());
        skipped_ += at - read_;
        begin_frame(at);
        break;
      }
      case State::kHeader:
        if (auto event = scan_header()) return event;
        if (state_ == State::kHeader) return std::nullopt;
        break;
      case State::kBody:
        return scan_body();
    }
  }
}

void FrameDecoder::begin_frame(std::size_t start_token) {
  state_ = State::kHeader;
  start_ = start_token;
  read_ = start_token + 1;
  escape_ = false;
  header_have_ = 0;
  header_size_ = 0;
}

std::optional<DecodeEvent> FrameDecoder::scan_header() {
  while (read_ < buf_.size()) {
    const std::uint8_t b = buf_[read_];
    if (!escape_) {
      if (b == kEscapeToken) {
        escape_ = true;
        ++read_;
        continue;
      }
      if (b == kStartToken) return truncated();
    }
    escape_ = false;
    ++read_;
    header_[header_have_++] = b;
    if (header_have_ == 1) {
      const std::optional<Command> command = regular_command_from_byte(b);
      if (!command) return header_error(DecodeOutcome::kInvalidCommand);
      header_size_ = is_long(*command) ? 3 : 2;
      continue;
    }
    if (header_have_ < header_size_) continue;

    const bool plant = is_plant(*regular_command_from_byte(header_[0]));
    const std::size_t length =
        header_size_ == 3 ? (std::size_t{header_[1]} << 8) | header_[2] : std::size_t{header_[1]};
    const std::size_t min_length = plant ? kAddressSize + kOidSize : kOidSize;
    // A read never carries a payload (docs/protocol.md §3.5): any other L means a mis-synced or
    // malformed header, so it is rejected here rather than passed on as a frame no encoder makes.
    const bool read_with_payload =
        is_read(*regular_command_from_byte(header_[0])) && length != min_length;
    if (length < min_length || length > max_length_ || read_with_payload) {
      return header_error(DecodeOutcome::kLengthExceeded);
    }
    frame_size_ = header_size_ + length + kCrcSize;
    // The header's raw bytes (≥ 1 + header_size_ of them) are no longer needed.
    // Written out: a memcpy call for 2 or 3 bytes costs more than the copy.
    std::uint8_t* const at = buf_.data() + start_;
    at[0] = header_[0];
    at[1] = header_[1];
    if (header_size_ == 3) at[2] = header_[2];
    write_ = start_ + header_size_;
    state_ = State::kBody;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<DecodeEvent> FrameDecoder::scan_body() {
  std::uint8_t* const data = buf_.data();
  const std::size_t end = buf_.size();
  const std::size_t target = start_ + frame_size_;
  std::size_t r = read_;
  std::size_t w = write_;
  bool escape = escape_;
  while (w < target && r < end) {
    // Fast path: copy 8 bytes at a time while they hold no token (the bulk of any payload).
    if (!escape) {
      while (target - w >= 8 && end - r >= 8) {
        std::uint64_t block;
        std::memcpy(&block, data + r, sizeof block);
        if (has_token(block)) break;
        std::memcpy(data + w, &block, sizeof block);
        r += 8;
        w += 8;
      }
      if (w == target || r == end) break;
    }
    const std::uint8_t b = data[r];
    if (escape) {
      escape = false;
    } else if (b == kEscapeToken) {
      escape = true;
      ++r;
      continue;
    } else if (b == kStartToken) {
      read_ = r;
      write_ = w;
      escape_ = false;
      return truncated();
    }
    data[w++] = b;
    ++r;
  }
  read_ = r;
  write_ = w;
  escape_ = escape;
  if (w < target) return std::nullopt;
  return complete();
}

// A bad command or length: report it and hunt again right after the start token
// (docs/protocol.md §7.2 step 3/4). Re-hunting the examined header bytes can only find a start
// token that was escaped there (an unescaped one ends the frame as truncated before); the bytes
// before that token, or all examined bytes if there is none, are attributed to this outcome.
DecodeEvent FrameDecoder::header_error(DecodeOutcome outcome) {
  DecodeEvent event;
  event.outcome = outcome;
  event.command_byte = header_[0];
  event.command = regular_command_from_byte(header_[0]);
  const auto first = buf_.begin() + static_cast<std::ptrdiff_t>(start_ + 1);
  const auto last = buf_.begin() + static_cast<std::ptrdiff_t>(read_);
  const auto rehunt = static_cast<std::size_t>(std::find(first, last, kStartToken) - buf_.begin());
  event.consumed = skipped_ + (rehunt - start_);
  skipped_ = 0;
  state_ = State::kHunt;
  read_ = rehunt;
  escape_ = false;
  return event;
}

// An unescaped start token at read_ inside a frame: the frame was cut short; the token starts the
// next one.
DecodeEvent FrameDecoder::truncated() {
  DecodeEvent event;
  event.outcome = DecodeOutcome::kIncomplete;
  event.consumed = skipped_ + dropped_ + (read_ - start_);
  skipped_ = 0;
  dropped_ = 0;
  begin_frame(read_);
  return event;
}

DecodeEvent FrameDecoder::complete() {
  const std::uint8_t* frame = buf_.data() + start_;
  const Command command = *regular_command_from_byte(frame[0]);
  const std::size_t crc_at = frame_size_ - kCrcSize;

  DecodeEvent event;
  event.command_byte = frame[0];
  event.command = command;
  std::size_t at = header_size_;
  if (is_plant(command)) {
    event.address = be32(frame + at);
    at += kAddressSize;
  }
  event.oid = be32(frame + at);
  at += kOidSize;
  event.payload = std::span<const std::uint8_t>(frame + at, crc_at - at);
  event.crc_received = static_cast<std::uint16_t>((frame[crc_at] << 8) | frame[crc_at + 1]);
  event.crc_calculated = crc16(std::span<const std::uint8_t>(frame, crc_at));
  event.outcome =
      event.crc_received == event.crc_calculated ? DecodeOutcome::kOk : DecodeOutcome::kCrcMismatch;
  event.consumed = skipped_ + dropped_ + (read_ - start_);
  skipped_ = 0;
  dropped_ = 0;
  state_ = State::kHunt;
  return event;
}

std::optional<DecodeEvent> FrameDecoder::finish(std::size_t* no_frame_bytes) {
  std::optional<DecodeEvent> event;
  std::size_t trailing = 0;
  const std::size_t end = buf_.size();
  if (state_ == State::kHunt) {
    const std::size_t rest = end - read_;
    if (rest != 0 && std::memchr(buf_.data() + read_, kStartToken, rest) != nullptr) {
      event.emplace();
      event->outcome = DecodeOutcome::kIncomplete;
      event->consumed = skipped_ + rest;
    } else {
      trailing = skipped_ + rest;
    }
  } else {
    event.emplace();
    event->outcome = DecodeOutcome::kIncomplete;
    event->consumed = skipped_ + dropped_ + (end - start_);
  }
  if (no_frame_bytes != nullptr) *no_frame_bytes = trailing;
  reset();
  return event;
}

void FrameDecoder::reset() {
  std::vector<std::uint8_t>().swap(buf_);  // a closed connection keeps no buffer
  state_ = State::kHunt;
  read_ = start_ = write_ = skipped_ = dropped_ = 0;
  escape_ = false;
  header_have_ = header_size_ = frame_size_ = 0;
}

std::size_t FrameDecoder::buffered() const {
  return buf_.size();
}

std::size_t FrameDecoder::capacity() const {
  return buf_.capacity();
}

}  // namespace rct
