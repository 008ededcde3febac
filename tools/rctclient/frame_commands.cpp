#include <charconv>
#include <cstdio>
#include <iostream>
#include <iterator>

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

json event_json(const DecodeEvent& ev, const Registry& registry) {
  json out;
  out["outcome"] = std::string(decode_outcome_name(ev.outcome));
  out["consumed"] = ev.consumed;
  out["command"] = ev.command ? json(std::string(command_name(*ev.command))) : json(nullptr);
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", ev.command_byte);
  out["command_byte"] = byte;
  out["address"] = ev.address ? json(format_oid(*ev.address)) : json(nullptr);
  out["oid"] = ev.oid ? json(format_oid(*ev.oid)) : json(nullptr);
  const OidInfo* info = ev.oid ? registry.find(*ev.oid) : nullptr;
  out["name"] = info ? json(std::string(info->name)) : json(nullptr);
  const bool has_payload =
      ev.outcome == DecodeOutcome::kOk || ev.outcome == DecodeOutcome::kCrcMismatch;
  out["payload"] = has_payload ? json(to_hex(ev.payload)) : json(nullptr);
  out["value"] = nullptr;
  if (ev.outcome == DecodeOutcome::kOk && info != nullptr) {
    if (std::optional<DataType> type = payload_type(ev, *info)) {
      auto value = decode_value(*type, ev.payload);
      if (value) out["value"] = value_to_json(*value);
    }
  }
  return out;
}

void print_json_line(const json& j) {
  std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
}

void frame_decode(const std::string& hex_arg, const std::string& chunks_arg,
                  const Registry& registry) {
  const std::vector<std::uint8_t> stream = parse_hex_or_throw(read_hex_argument(hex_arg), "HEX");
  std::vector<std::size_t> chunks;
  if (!chunks_arg.empty()) chunks = parse_chunks(chunks_arg);
  std::size_t total = 0;
  for (std::size_t c : chunks) total += c;
  if (total > stream.size()) {
    throw UsageError("--chunks add up to " + std::to_string(total) + " bytes, the stream has " +
                     std::to_string(stream.size()));
  }
  if (total < stream.size()) chunks.push_back(stream.size() - total);

  FrameDecoder decoder;
  std::size_t offset = 0;
  for (std::size_t size : chunks) {
    decoder.feed(std::span(stream).subspan(offset, size));
    offset += size;
    while (std::optional<DecodeEvent> ev = decoder.next())
      print_json_line(event_json(*ev, registry));
  }
  if (std::optional<DecodeEvent> ev = decoder.finish()) print_json_line(event_json(*ev, registry));
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
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
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
