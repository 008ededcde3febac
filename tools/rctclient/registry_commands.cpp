#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/hex.h"
#include "tools/rctclient/cli_error.h"
#include "tools/rctclient/commands.h"

namespace rct::cli {
namespace {

using nlohmann::json;

json oid_json(const OidInfo& info) {
  return json{{"id", format_oid(info.id)},
              {"name", std::string(info.name)},
              {"group", std::string(info.group)},
              {"request_type", std::string(data_type_name(info.request_type))},
              {"response_type", std::string(data_type_name(info.response_type))},
              {"unit", std::string(info.unit)},
              {"description", std::string(info.description)}};
}

// Tab-separated: id, name, group, request type, response type, unit, description.
std::string oid_line(const OidInfo& info) {
  std::string line = format_oid(info.id);
  for (std::string_view field : {info.name, info.group, data_type_name(info.request_type),
                                 data_type_name(info.response_type), info.unit, info.description}) {
    line += '\t';
    line += field;
  }
  return line;
}

void registry_list(const Registry& registry, const std::string& group, bool as_json) {
  if (!group.empty()) {
    auto groups = registry.groups();
    if (std::find(groups.begin(), groups.end(), group) == groups.end()) {
      throw UsageError("unknown group '" + group + "'");
    }
  }
  json list = json::array();
  for (const OidInfo& info : registry.all()) {
    if (!group.empty() && info.group != group) continue;
    if (as_json) {
      list.push_back(oid_json(info));
    } else {
      std::cout << oid_line(info) << '\n';
    }
  }
  if (as_json) std::cout << list.dump(2) << '\n';
}

void registry_show(const Registry& registry, const std::string& key, bool as_json) {
  const OidInfo* info = nullptr;
  if (std::optional<std::uint32_t> id = parse_oid(key); id && key.rfind("0x", 0) == 0) {
    info = registry.find(*id);
  } else {
    info = registry.find(std::string_view(key));
  }
  if (info == nullptr) throw UsageError("no object '" + key + "' in the registry");
  if (as_json) {
    std::cout << oid_json(*info).dump(2) << '\n';
    return;
  }
  std::cout << "id: " << format_oid(info->id) << '\n'
            << "name: " << info->name << '\n'
            << "group: " << info->group << '\n'
            << "request_type: " << data_type_name(info->request_type) << '\n'
            << "response_type: " << data_type_name(info->response_type) << '\n'
            << "unit: " << info->unit << '\n'
            << "description: " << info->description << '\n';
}

}  // namespace

void add_registry_commands(CLI::App& app, const Registry& registry) {
  CLI::App* reg = app.add_subcommand("registry", "Look up objects (OIDs) in the built-in registry");
  reg->require_subcommand(1);

  struct ListArgs {
    std::string group;
    bool json = false;
  };
  auto list_args = std::make_shared<ListArgs>();
  CLI::App* list = reg->add_subcommand(
      "list", "List objects: id, name, group, request type, response type, unit, description");
  list->add_option("--group", list_args->group, "Only this group, e.g. battery");
  list->add_flag("--json", list_args->json, "One JSON array instead of tab-separated lines");
  list->callback(
      [list_args, &registry] { registry_list(registry, list_args->group, list_args->json); });

  struct ShowArgs {
    std::string key;
    bool json = false;
  };
  auto show_args = std::make_shared<ShowArgs>();
  CLI::App* show = reg->add_subcommand("show", "Show one object by name or 0xID");
  show->add_option("NAME_OR_ID", show_args->key, "battery.soc or 0x959930BF")->required();
  show->add_flag("--json", show_args->json, "Print a JSON object");
  show->callback(
      [show_args, &registry] { registry_show(registry, show_args->key, show_args->json); });
}

}  // namespace rct::cli
