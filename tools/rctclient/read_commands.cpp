// read-value / read-values: read objects from an inverter over one connection of core/client.
#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "core/client/client.h"
#include "core/hex.h"
#include "core/json/value_json.h"
#include "core/number_text.h"
#include "tools/rctclient/cli_error.h"
#include "tools/rctclient/client_log.h"
#include "tools/rctclient/commands.h"
#include "tools/rctclient/connection_args.h"
#include "tools/rctclient/value_text.h"

namespace rct::cli {
namespace {

using ReadResult = Result<client::Reading, client::ClientError>;

// Reads every object over one connection; results in the order of `objects`. Time-series and
// event-table objects are queried with T = now, as the reference tool does.
std::vector<std::optional<ReadResult>> read_all(const Registry& registry,
                                                const ConnectionArgs& args,
                                                const std::vector<const OidInfo*>& objects,
                                                client::ClientObserver& observer) {
  client::ClientOptions options = client_options(args);
  options.max_queued = std::max<std::size_t>(objects.size(), 1);

  asio::io_context io;
  client::Client client(io, registry, options, observer);
  std::vector<std::optional<ReadResult>> results(objects.size());
  std::size_t pending = objects.size();
  client.start();
  const auto now = static_cast<std::uint32_t>(std::time(nullptr));
  for (std::size_t i = 0; i < objects.size(); ++i) {
    auto done = [&, i](ReadResult r) {
      results[i] = std::move(r);
      if (--pending == 0) client.stop();  // the loop then runs out of work
    };
    if (is_history_type(objects[i]->response_type)) {
      client.query(objects[i]->id, now, std::move(done));
    } else {
      client.read(objects[i]->id, std::move(done));
    }
  }
  io.run();
  return results;
}

std::string failure_text(client::ClientError error, const OidInfo& info, const ConnectionArgs& args,
                         const LogObserver& observer) {
  switch (error) {
    case client::ClientError::kTimeout:
      return "no answer for " + std::string(info.name) + " from " + target(args) + " within " +
             human_number(args.timeout) + " s (" + std::to_string(args.retries + 1) + " attempts)";
    case client::ClientError::kDisconnected:
    case client::ClientError::kNotConnected:
      if (!observer.last_failure().empty()) return observer.last_failure();
      return "not connected to " + target(args);
    case client::ClientError::kCancelled:
    case client::ClientError::kQueueFull:
    case client::ClientError::kUnknownOid:
    case client::ClientError::kInvalidRequest:
      break;
  }
  return std::string(info.name) + ": " + std::string(client::client_error_name(error));
}

// "#0x959930BF battery.soc   Battery state of charge, 0..1   0.29985150694847107": the name
// column is as wide as the longest registry name, the description column 75 characters (longer
// descriptions push the value right), as in the reference tool.
std::string verbose_line(const Registry& registry, const OidInfo& info, const Value& value) {
  constexpr std::size_t kDescriptionWidth = 75;
  std::size_t name_width = 0;
  for (const OidInfo& i : registry.all()) name_width = std::max(name_width, i.name.size());
  std::string line = "#" + format_oid(info.id) + " " + std::string(info.name);
  line.append(name_width - info.name.size() + 1, ' ');
  line += info.description;
  line.append(kDescriptionWidth - std::min(kDescriptionWidth, info.description.size()) + 1, ' ');
  return line + value_text(value);
}

struct ReadValueArgs {
  ConnectionArgs connection;
  std::string id;
  std::string name;
  bool verbose = false;
};

void read_value(const Registry& registry, const GlobalOptions& globals, const ReadValueArgs& a) {
  if (a.id.empty() == a.name.empty()) throw UsageError("give exactly one of --id and --name");
  const OidInfo& info =
      a.id.empty() ? resolve(registry, a.name, false) : resolve(registry, a.id, true);
  LogObserver observer(make_client_logger(globals.debug), target(a.connection));
  auto results = read_all(registry, a.connection, {&info}, observer);
  const ReadResult& r = *results.front();
  if (!r.ok()) throw std::runtime_error(failure_text(r.error(), info, a.connection, observer));
  if (a.verbose) {
    std::cout << verbose_line(registry, info, r->value) << '\n';
  } else {
    std::cout << value_text(r->value) << '\n';
  }
}

struct ReadValuesArgs {
  ConnectionArgs connection;
  std::vector<std::string> objects;
  bool json = false;
};

void read_values(const Registry& registry, const GlobalOptions& globals, const ReadValuesArgs& a) {
  std::vector<const OidInfo*> objects;
  for (const std::string& text : a.objects) objects.push_back(&resolve(registry, text, false));
  LogObserver observer(make_client_logger(globals.debug), target(a.connection));
  auto results = read_all(registry, a.connection, objects, observer);

  std::vector<std::string> failures;
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const ReadResult& r = *results[i];
    const std::string name(objects[i]->name);
    if (!r.ok()) {
      failures.push_back(failure_text(r.error(), *objects[i], a.connection, observer));
      if (a.json) out[name] = nullptr;
      continue;
    }
    if (a.json) {
      out[name] = value_to_json(r->value);
    } else {
      std::cout << name << ' ' << value_text(r->value) << '\n';
    }
  }
  if (a.json) std::cout << out.dump() << '\n';
  if (failures.empty()) return;
  // One line: distinct reasons (a lost connection fails every object the same way).
  std::vector<std::string> distinct;
  for (const std::string& f : failures) {
    if (std::find(distinct.begin(), distinct.end(), f) == distinct.end()) distinct.push_back(f);
  }
  std::string message = std::to_string(failures.size()) + " of " + std::to_string(objects.size()) +
                        " values not read: ";
  for (std::size_t i = 0; i < distinct.size(); ++i) message += (i ? "; " : "") + distinct[i];
  throw std::runtime_error(message);
}

}  // namespace

void add_read_commands(CLI::App& app, const Registry& registry, const GlobalOptions& globals) {
  auto value_args = std::make_shared<ReadValueArgs>();
  CLI::App* value = app.add_subcommand(
      "read-value", "Read one object from an inverter and print its value on stdout");
  add_connection_options(value, value_args->connection);
  auto* id = value->add_option("--id", value_args->id, "Object id, e.g. 0x959930BF");
  auto* name = value->add_option("--name", value_args->name, "Object name, e.g. battery.soc");
  id->excludes(name);
  value->add_flag("--verbose", value_args->verbose,
                  "Print id, name and description with the value");
  value->callback(
      [&registry, &globals, value_args] { read_value(registry, globals, *value_args); });

  auto values_args = std::make_shared<ReadValuesArgs>();
  CLI::App* values = app.add_subcommand(
      "read-values", "Read several objects over one connection, one 'name value' line each");
  add_connection_options(values, values_args->connection);
  values->add_flag("--json", values_args->json, "Print one JSON object {name: value}");
  values->add_option("OBJECTS", values_args->objects, "Names or 0x ids")->required();
  values->callback(
      [&registry, &globals, values_args] { read_values(registry, globals, *values_args); });
}

}  // namespace rct::cli
