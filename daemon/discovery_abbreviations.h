#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

// Home Assistant's documented abbreviations of discovery keys (docs/mqtt.md §6.4), applied as
// the last step before a discovery payload is serialised, so that the code building entities
// keeps full key names. Home Assistant expands them back before it validates a payload; a key
// without an entry here stays in full, which Home Assistant always accepts.
//
// Where they apply (as Home Assistant expands them): the payload root, each entry of an
// `availability` list, each config under `components` (and its availability entries) with the
// entity table; `device` and `origin` with their own tables. Values are never touched.

namespace rct::daemon {

enum class AbbreviationScope {
  kEntity,  // payload root, components, availability entries
  kDevice,  // the `device` block
  kOrigin,  // the `origin` block
};

// The abbreviation of `full` in `scope`, or `full` itself when Home Assistant has none.
std::string_view abbreviate_key(AbbreviationScope scope, std::string_view full);

// Every (full key, abbreviation) pair of `scope`, for tests.
std::vector<std::pair<std::string_view, std::string_view>> abbreviations(AbbreviationScope scope);

// The full key of `key` in `scope` (the inverse, for tests and tools reading payloads back).
std::string_view expand_key(AbbreviationScope scope, std::string_view key);

// `payload` with every key abbreviated where Home Assistant reads an abbreviation.
nlohmann::ordered_json abbreviate_discovery(const nlohmann::ordered_json& payload);

// The inverse: full key names again (tests compare payloads by full keys through this).
nlohmann::ordered_json expand_discovery(const nlohmann::ordered_json& payload);
nlohmann::json expand_discovery(const nlohmann::json& payload);

}  // namespace rct::daemon
