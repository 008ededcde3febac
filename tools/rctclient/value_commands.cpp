#include <iostream>
#include <nlohmann/json.hpp>

#include "core/hex.h"
#include "core/json/value_json.h"
#include "core/layout_override.h"
#include "core/value_codec.h"
#include "tools/rctclient/cli_error.h"
#include "tools/rctclient/commands.h"
#include "tools/rctclient/connection_args.h"
#include "tools/rctclient/value_text.h"

namespace rct::cli {
namespace {

DataType parse_type(const std::string& name) {
  std::optional<DataType> type = data_type_from_name(name);
  if (!type)
    throw UsageError("unknown type '" + name +
                     "' (bool, uint8, ..., float, string, timeseries, ...)");
  return *type;
}

// `--type` names the type; `--oid` takes the object's response type from the registry, with its
// layout override (core/layout_override.h) where the payload has the overriding layout's size, as
// the client decodes a response.
void value_decode(const Registry& registry, const std::string& type_name,
                  const std::string& oid_text, const std::string& hex_arg, bool as_json) {
  if (type_name.empty() && oid_text.empty()) throw UsageError("give --type or --oid");
  const std::vector<std::uint8_t> payload = parse_hex_or_throw(read_hex_argument(hex_arg), "HEX");
  const DataType type = oid_text.empty()
                            ? parse_type(type_name)
                            : decode_type(resolve(registry, oid_text, false), payload.size());
  auto value = decode_value(type, payload);
  if (!value) {
    throw UsageError("cannot decode " + std::to_string(payload.size()) + " bytes as " +
                     std::string(data_type_name(type)) + ": " +
                     std::string(value_error_message(value.error())));
  }
  if (as_json) {
    // Invalid UTF-8 cannot occur (STRING decoding converts it); replace guards the dump anyway.
    std::cout << value_to_json(*value).dump(-1, ' ', false,
                                            nlohmann::json::error_handler_t::replace)
              << '\n';
    return;
  }
  std::cout << value_text(*value) << '\n';
}

void value_encode(const std::string& type_name, const std::string& text) {
  const DataType type = parse_type(type_name);
  auto value = parse_value(type, text);
  if (!value) {
    throw UsageError("cannot read '" + text + "' as " + type_name + ": " +
                     std::string(value_error_message(value.error())));
  }
  auto payload = encode_value(type, *value);
  if (!payload) {
    throw UsageError("cannot encode '" + text + "' as " + type_name + ": " +
                     std::string(value_error_message(payload.error())));
  }
  std::cout << to_hex(*payload) << '\n';
}

}  // namespace

void add_value_commands(CLI::App& app, const Registry& registry) {
  CLI::App* value = app.add_subcommand("value", "Encode and decode payloads of a data type");
  value->require_subcommand(1);

  struct Args {
    std::string type, oid, input;
    bool json = false;
  };
  auto decode_args = std::make_shared<Args>();
  CLI::App* decode = value->add_subcommand("decode", "Decode a payload and print the value");
  CLI::Option* type_option = decode->add_option(
      "--type", decode_args->type, "Data type as in the registry (float, uint16, ...)");
  CLI::Option* oid_option = decode->add_option(
      "--oid", decode_args->oid,
      "Registry name or object id (0x...) whose response this payload is: its type, as the "
      "client decodes it");
  type_option->excludes(oid_option);
  decode->add_option("HEX", decode_args->input, "Payload as hex ('-' reads standard input)")
      ->required();
  decode->add_flag("--json", decode_args->json,
                   "Print the value as JSON (time series and event tables as objects, not CSV)");
  decode->callback([&registry, decode_args] {
    value_decode(registry, decode_args->type, decode_args->oid, decode_args->input,
                 decode_args->json);
  });

  auto encode_args = std::make_shared<Args>();
  CLI::App* encode = value->add_subcommand("encode", "Encode a value and print the payload hex");
  encode
      ->add_option("--type", encode_args->type, "Data type as in the registry (float, uint16, ...)")
      ->required();
  encode->add_option("VALUE", encode_args->input, "The value; put -- before a negative number")
      ->required();
  encode->callback([encode_args] { value_encode(encode_args->type, encode_args->input); });
}

}  // namespace rct::cli
