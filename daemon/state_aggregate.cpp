#include "daemon/state_aggregate.h"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace rct::daemon {
namespace {

nlohmann::ordered_json to_json(const SensorValue& v) {
  return std::visit([](const auto& x) { return nlohmann::ordered_json(x); }, v);
}

}  // namespace

std::string iso8601_utc(WallTime t) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

std::string aggregate_payload(const std::vector<Publication>& values, WallTime ts) {
  nlohmann::ordered_json root = nlohmann::ordered_json::object();
  root["ts"] = iso8601_utc(ts);
  for (const Publication& p : values) {
    nlohmann::ordered_json* node = &root;
    std::string_view rest = p.key;
    while (true) {
      const auto slash = rest.find('/');
      const std::string level(rest.substr(0, slash));
      if (slash == std::string_view::npos) {
        if (!node->contains(level)) (*node)[level] = to_json(p.value);
        break;
      }
      nlohmann::ordered_json& child = (*node)[level];
      if (child.is_null()) child = nlohmann::ordered_json::object();
      if (!child.is_object()) break;
      node = &child;
      rest = rest.substr(slash + 1);
    }
  }
  return root.dump();
}

}  // namespace rct::daemon
