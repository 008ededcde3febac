#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <variant>

#include "core/command.h"
#include "core/frame_decoder.h"
#include "core/frame_encoder.h"
#include "core/hex.h"
#include "core/json/value_json.h"
#include "core/layout_override.h"
#include "core/value_codec.h"
#include "tools/rctclient/cli_error.h"
#include "tools/rctclient/commands.h"

namespace rct::cli {
namespace {

using nlohmann::json;

std::vector<std::size_t> parse_chunks(const std::string& text) {
  std::vector<std::size_t> sizes;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    std::size_t size = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), size);
    if (ec != std::errc() || end != item.data() + item.size() || size == 0) {
      throw UsageError("--chunks: '" + item + "' is not a positive chunk size");
    }
    sizes.push_back(size);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return sizes;
}

// The registry type that fits the frame's direction: responses carry the response type (or the
// layout that overrides it, core/layout_override.h, as the client decodes them), writes the
// request type; READ forms carry nothing to decode.
std::optional<DataType> payload_type(const DecodeEvent& ev, const OidInfo& info) {
  if (!ev.command) return std::nullopt;
  if (is_response(*ev.command)) return decode_type(info, ev.payload.size());
  if (is_write(*ev.command)) return info.request_type;
  return std::nullopt;
}

// Output text in one growing buffer: appends compile to a bounds check and a copy (through
// std::string each small append was a call, per character for push_back).
class TextOut {
 public:
  TextOut() : data_(std::size_t{1} << 17) {}

  [[gnu::always_inline]] void operator+=(char c) { *extend(1) = c; }
  [[gnu::always_inline]] void operator+=(std::string_view text) {
    std::memcpy(extend(text.size()), text.data(), text.size());
  }
  // `n` characters at the end, for the caller to fill.
  [[gnu::always_inline]] char* extend(std::size_t n) {
    if (size_ + n > data_.size()) grow(n);
    char* at = data_.data() + size_;
    size_ += n;
    return at;
  }
  std::size_t size() const { return size_; }
  // Writes everything to standard output.
  void flush() {
    if (size_ != 0) std::fwrite(data_.data(), 1, size_, stdout);
    size_ = 0;
    std::fflush(stdout);
  }

 private:
  [[gnu::noinline]] void grow(std::size_t n) {
    data_.resize(std::max(2 * data_.size(), size_ + n));
  }

  std::vector<char> data_;
  std::size_t size_ = 0;
};

// The JSON line of one decoder event, written straight into `out`: the text nlohmann::json's
// dump() gives for the object {outcome, consumed, command, command_byte, address, oid, name,
// payload, value} (keys sorted, compact, invalid UTF-8 replaced), without building the object.
// Captures run to tens of MB; the object and its dump cost ten times the decoding
// (bench/bench_frame_decode.cpp). What has no fast path here goes through nlohmann::json.
class EventWriter {
 public:
  explicit EventWriter(const Registry& registry) : registry_(registry) {
    const std::span<const OidInfo> all = registry.all();
    quoted_names_.reserve(all.size());
    index_.reserve(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
      quoted_names_.push_back(
          json(std::string(all[i].name)).dump(-1, ' ', false, json::error_handler_t::replace));
      index_.emplace(all[i].id, i);
    }
  }

  void write(const DecodeEvent& ev, TextOut& out) const {
    out += R"({"address":)";
    if (ev.address) {
      append_oid(out, *ev.address);
    } else {
      out += "null";
    }
    out += R"(,"command":)";
    if (ev.command) {
      append_string(out, command_name(*ev.command));
    } else {
      out += "null";
    }
    out += R"(,"command_byte":"0x)";
    out += kUpperDigits[ev.command_byte >> 4];
    out += kUpperDigits[ev.command_byte & 0x0F];
    out += R"(","consumed":)";
    append_integer(out, ev.consumed);
    const OidInfo* info = nullptr;
    out += R"(,"name":)";
    if (const auto it = ev.oid ? index_.find(*ev.oid) : index_.end(); it != index_.end()) {
      info = &registry_.all()[it->second];
      out += quoted_names_[it->second];
    } else {
      out += "null";
    }
    out += R"(,"oid":)";
    if (ev.oid) {
      append_oid(out, *ev.oid);
    } else {
      out += "null";
    }
    out += R"(,"outcome":)";
    append_string(out, decode_outcome_name(ev.outcome));
    out += R"(,"payload":)";
    if (ev.outcome == DecodeOutcome::kOk || ev.outcome == DecodeOutcome::kCrcMismatch) {
      out += '"';
      append_hex(out, ev.payload);
      out += '"';
    } else {
      out += "null";
    }
    out += R"(,"value":)";
    std::optional<Result<Value, ValueError>> value;
    if (ev.outcome == DecodeOutcome::kOk && info != nullptr) {
      if (std::optional<DataType> type = payload_type(ev, *info)) {
        value.emplace(decode_value(*type, ev.payload));
      }
    }
    if (value && value->ok()) {
      append_value(out, value->value());
    } else {
      out += "null";
    }
    out += "}\n";
  }

 private:
  static constexpr char kUpperDigits[] = "0123456789ABCDEF";
  static constexpr char kLowerDigits[] = "0123456789abcdef";

  static void append_oid(TextOut& out, std::uint32_t oid) {
    char* p = out.extend(12);
    *p++ = '"';
    *p++ = '0';
    *p++ = 'x';
    for (int shift = 28; shift >= 0; shift -= 4) *p++ = kUpperDigits[(oid >> shift) & 0x0F];
    *p = '"';
  }

  static void append_hex(TextOut& out, std::span<const std::uint8_t> bytes) {
    char* p = out.extend(2 * bytes.size());
    for (const std::uint8_t b : bytes) {
      *p++ = kLowerDigits[b >> 4];
      *p++ = kLowerDigits[b & 0x0F];
    }
  }

  template <typename T>
  static void append_integer(TextOut& out, T v) {
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out += std::string_view(buf, static_cast<std::size_t>(end - buf));
  }

  // As nlohmann::json dumps a double: its own shortest round-trip digits (Grisu2), null for NaN
  // and infinities.
  static void append_double(TextOut& out, double v) {
    if (!std::isfinite(v)) {
      out += "null";
      return;
    }
    char buf[64];
    const char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, v);
    out += std::string_view(buf, static_cast<std::size_t>(end - buf));
  }

  static void append_float(TextOut& out, float v) { append_double(out, static_cast<double>(v)); }

  // A JSON string. Printable ASCII and control characters are escaped as nlohmann::json does;
  // any byte above 0x7F goes through nlohmann::json (UTF-8 checked, invalid bytes replaced).
  static void append_string(TextOut& out, std::string_view text) {
    // 0: copied as is; 1: escaped; 2: not ASCII.
    static constexpr auto kKind = [] {
      std::array<std::uint8_t, 256> k{};
      for (std::size_t c = 0; c < 256; ++c) {
        k[c] = c >= 0x80 ? 2 : (c < 0x20 || c == '"' || c == '\\') ? 1 : 0;
      }
      return k;
    }();
    std::uint8_t kinds = 0;
    for (const char c : text) kinds |= kKind[static_cast<unsigned char>(c)];
    if ((kinds & 2) != 0) {
      out += json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
    const bool plain = kinds == 0;
    if (plain) {
      char* p = out.extend(text.size() + 2);
      *p = '"';
      std::memcpy(p + 1, text.data(), text.size());
      p[text.size() + 1] = '"';
      return;
    }
    out += '"';
    for (const char c : text) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            out += "\\u00";
            out += kLowerDigits[static_cast<unsigned char>(c) >> 4];
            out += kLowerDigits[static_cast<unsigned char>(c) & 0x0F];
          } else {
            out += c;
          }
      }
    }
    out += '"';
  }

  // iso_time_utc (core/json/iso_time.h) of a device timestamp: "2024-06-21T12:00:00+00:00".
  // Unsigned 32-bit seconds end in 2106, so the year has four digits, as "%04d" prints it.
  static void append_iso_time(TextOut& out, std::uint32_t unix_seconds) {
    using namespace std::chrono;
    const sys_seconds t{seconds{unix_seconds}};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const auto second_of_day = static_cast<unsigned>((t - day).count());
    char* p = out.extend(25);
    const auto two = [&p](unsigned v) {
      *p++ = static_cast<char>('0' + v / 10);
      *p++ = static_cast<char>('0' + v % 10);
    };
    const auto year = static_cast<unsigned>(static_cast<int>(ymd.year()));
    two(year / 100);
    two(year % 100);
    *p++ = '-';
    two(static_cast<unsigned>(ymd.month()));
    *p++ = '-';
    two(static_cast<unsigned>(ymd.day()));
    *p++ = 'T';
    two(second_of_day / 3600);
    *p++ = ':';
    two(second_of_day / 60 % 60);
    *p++ = ':';
    two(second_of_day % 60);
    for (const char c : std::string_view("+00:00")) *p++ = c;
  }

  // {"points":[{"bits":…,"timestamp":…,"timestamp_iso":…,"value":…},…],"timestamp":…,
  // "timestamp_iso":…}, as value_to_json gives it.
  static void append_time_series(TextOut& out, const TimeSeries& ts) {
    out += R"({"points":[)";
    bool first = true;
    for (const TimeSeriesPoint& p : ts.points) {
      out += first ? R"({"bits":")" : R"(,{"bits":")";
      first = false;
      const auto bits = std::bit_cast<std::uint32_t>(p.value);
      for (int shift = 28; shift >= 0; shift -= 4) out += kLowerDigits[(bits >> shift) & 0x0F];
      out += R"(","timestamp":)";
      append_integer(out, p.timestamp);
      out += R"(,"timestamp_iso":")";
      append_iso_time(out, p.timestamp);
      out += R"(","value":)";
      append_float(out, p.value);
      out += '}';
    }
    out += R"(],"timestamp":)";
    append_integer(out, ts.query_timestamp);
    out += R"(,"timestamp_iso":")";
    append_iso_time(out, ts.query_timestamp);
    out += "\"}";
  }

  static void append_value(TextOut& out, const Value& value) {
    std::visit(
        [&out, &value](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>) {
            out += v ? "true" : "false";
          } else if constexpr (std::is_same_v<T, float>) {
            append_float(out, v);
          } else if constexpr (std::is_same_v<T, EnumValue>) {
            append_integer(out, v.value);
          } else if constexpr (std::is_integral_v<T>) {
            append_integer(out, v);
          } else if constexpr (std::is_same_v<T, std::string>) {
            append_string(out, v);
          } else if constexpr (std::is_same_v<T, TimeSeries>) {
            append_time_series(out, v);
          } else {
            out += value_to_json(value).dump(-1, ' ', false, json::error_handler_t::replace);
          }
        },
        value);
  }

  const Registry& registry_;
  // By position in registry_.all(): the name as a JSON string, and the position by OID.
  std::vector<std::string> quoted_names_;
  std::unordered_map<std::uint32_t, std::size_t> index_;
};

// Standard input as hex, parsed as it is read (a capture of tens of MB is never held as text).
std::vector<std::uint8_t> read_stdin_hex() {
  std::vector<std::uint8_t> bytes;
  struct stat st {};
  if (::fstat(::fileno(stdin), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    bytes.reserve(static_cast<std::size_t>(st.st_size) / 2);
  }
  HexParser parser;
  std::vector<char> chunk(std::size_t{1} << 20);
  for (;;) {
    const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), stdin);
    parser.feed(std::string_view(chunk.data(), got), bytes);
    if (got < chunk.size()) break;
  }
  if (!parser.complete()) throw UsageError("HEX: not an even number of hex digits");
  return bytes;
}

void frame_decode(const std::string& hex_arg, const std::string& chunks_arg,
                  const Registry& registry) {
  const std::vector<std::uint8_t> stream =
      hex_arg == "-" ? read_stdin_hex() : parse_hex_or_throw(hex_arg, "HEX");
  std::vector<std::size_t> chunks;
  if (!chunks_arg.empty()) chunks = parse_chunks(chunks_arg);
  std::size_t total = 0;
  for (std::size_t c : chunks) total += c;
  if (total > stream.size()) {
    throw UsageError("--chunks add up to " + std::to_string(total) + " bytes, the stream has " +
                     std::to_string(stream.size()));
  }
  // Without --chunks, pieces of 64 KiB, as a socket would deliver them: the decoder keeps a
  // piece, not a copy of the whole capture (its outcomes do not depend on the pieces).
  constexpr std::size_t kPiece = std::size_t{1} << 16;
  if (chunks_arg.empty()) {
    for (std::size_t at = 0; at < stream.size(); at += kPiece) {
      chunks.push_back(std::min(kPiece, stream.size() - at));
    }
  } else if (total < stream.size()) {
    chunks.push_back(stream.size() - total);
  }

  // Whatever was printed through std::cout before goes out first.
  std::cout.flush();
  // Standard output in large writes: one write per line was what made decoding slow.
  constexpr std::size_t kFlushAt = std::size_t{1} << 16;
  const EventWriter writer(registry);
  TextOut out;
  FrameDecoder decoder;
  std::size_t offset = 0;
  for (std::size_t size : chunks) {
    decoder.feed(std::span(stream).subspan(offset, size));
    offset += size;
    while (std::optional<DecodeEvent> ev = decoder.next()) {
      writer.write(*ev, out);
      if (out.size() >= kFlushAt) out.flush();
    }
  }
  if (std::optional<DecodeEvent> ev = decoder.finish()) writer.write(*ev, out);
  out.flush();
}

void frame_encode(const std::string& command_arg, const std::string& id_arg,
                  const std::string& address_arg, const std::string& payload_arg) {
  std::optional<Command> command = command_from_name(command_arg);
  if (!command) throw UsageError("unknown command '" + command_arg + "'");
  Frame frame;
  frame.command = *command;
  std::optional<std::uint32_t> oid = parse_oid(id_arg);
  if (!oid) throw UsageError("--id: '" + id_arg + "' is not a 32-bit hex OID like 0x959930BF");
  frame.oid = *oid;
  if (!address_arg.empty()) {
    frame.address = parse_oid(address_arg);
    if (!frame.address)
      throw UsageError("--address: '" + address_arg + "' is not a 32-bit hex address");
  }
  if (!payload_arg.empty()) frame.payload = parse_hex_or_throw(payload_arg, "--payload");
  auto wire = encode_frame(frame);
  if (!wire) throw UsageError(std::string(encode_error_message(wire.error())));
  std::cout << to_hex(*wire) << '\n';
}

}  // namespace

std::string read_hex_argument(const std::string& arg) {
  if (arg != "-") return arg;
  // In large reads (an istreambuf_iterator goes byte by byte): captures run to tens of MB.
  std::string text;
  struct stat st {};
  if (::fstat(::fileno(stdin), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    text.reserve(static_cast<std::size_t>(st.st_size));
  }
  std::vector<char> chunk(std::size_t{1} << 20);
  for (;;) {
    const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), stdin);
    text.append(chunk.data(), got);
    if (got < chunk.size()) break;
  }
  return text;
}

std::vector<std::uint8_t> parse_hex_or_throw(const std::string& text, const char* what) {
  std::optional<std::vector<std::uint8_t>> bytes = from_hex(text);
  if (!bytes) throw UsageError(std::string(what) + ": not an even number of hex digits");
  return std::move(*bytes);
}

void add_frame_commands(CLI::App& app, const Registry& registry) {
  CLI::App* frame = app.add_subcommand("frame", "Encode and decode wire frames");
  frame->require_subcommand(1);

  struct DecodeArgs {
    std::string hex, chunks;
  };
  auto decode_args = std::make_shared<DecodeArgs>();
  CLI::App* decode = frame->add_subcommand(
      "decode", "Decode a byte stream; one JSON object per outcome, in stream order");
  decode->add_option("HEX", decode_args->hex, "Wire bytes as hex ('-' reads standard input)")
      ->required();
  decode->add_option("--chunks", decode_args->chunks,
                     "Feed the decoder in pieces of these sizes, e.g. 3,5 (rest in one piece)");
  decode->callback(
      [decode_args, &registry] { frame_decode(decode_args->hex, decode_args->chunks, registry); });

  struct EncodeArgs {
    std::string command, id, address, payload;
  };
  auto encode_args = std::make_shared<EncodeArgs>();
  CLI::App* encode =
      frame->add_subcommand("encode", "Build a frame and print its wire bytes as hex");
  std::string command_names;
  for (Command c : kRegularCommands) {
    command_names += (command_names.empty() ? "" : ", ") + std::string(command_name(c));
  }
  encode->add_option("--command", encode_args->command, "One of " + command_names)->required();
  encode->add_option("--id", encode_args->id, "Object id, e.g. 0x959930BF")->required();
  encode->add_option("--address", encode_args->address, "Plant address (PLANT_* commands)");
  encode->add_option("--payload", encode_args->payload, "Payload bytes as hex");
  encode->callback([encode_args] {
    frame_encode(encode_args->command, encode_args->id, encode_args->address, encode_args->payload);
  });
}

}  // namespace rct::cli
