#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/config_loader.h"

// Typed, position-aware reading of one TOML table for the config loader (internal to config/).
// Every problem is recorded in Diagnostics and reading goes on, so that one pass reports all of
// them. Values are never echoed for string keys: a string may be a secret.

namespace rct::config_detail {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void error(const toml::source_region& where, std::string message);
  void error(const toml::node& where, std::string message) {
    error(where.source(), std::move(message));
  }
  void file_error(std::string message);  // no position: the file as a whole

  const std::string& file() const { return file_; }
  bool empty() const { return errors_.empty(); }
  ConfigErrors take();  // sorted by position

 private:
  std::string file_;
  ConfigErrors errors_;
};

// "integer", "string", ... for error messages.
std::string_view type_word(toml::node_type t);

// Closest candidate within a small edit distance, or empty.
std::string closest(std::string_view word, const std::set<std::string, std::less<>>& candidates);

// One table. Every key asked for through this class is a known key; finish() reports the rest.
// The getters leave `out` untouched when the key is absent or invalid and return whether they
// stored a value.
class Section {
 public:
  Section(Diagnostics& diag, const toml::table& table, std::string path)
      : diag_(diag), table_(table), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const toml::table& table() const { return table_; }
  std::string key_path(std::string_view key) const;
  Diagnostics& diag() { return diag_; }

  const toml::node* get(std::string_view key);  // nullptr when absent
  bool has(std::string_view key) { return get(key) != nullptr; }
  // Reports a missing key at the table's own position (its [header]).
  void missing(std::string_view key);

  bool get_string(std::string_view key, std::string& out);
  bool get_bool(std::string_view key, bool& out);
  bool get_int(std::string_view key, std::int64_t lo, std::int64_t hi, std::int64_t& out);
  bool get_number(std::string_view key, double lo, double hi, double& out);
  // Seconds as an integer or decimal; stored rounded to milliseconds.
  bool get_seconds(std::string_view key, Millis lo, Millis hi, Millis& out);
  // Whole seconds only (the MQTT keep-alive and the heartbeat are whole seconds on the wire).
  bool get_whole_seconds(std::string_view key, std::chrono::seconds lo, std::chrono::seconds hi,
                         std::chrono::seconds& out);
  const toml::table* get_table(std::string_view key);
  const toml::array* get_array(std::string_view key);

  template <typename Int>
  bool get_int(std::string_view key, std::int64_t lo, std::int64_t hi, Int& out) {
    std::int64_t v = 0;
    if (!get_int(key, lo, hi, v)) return false;
    out = static_cast<Int>(v);
    return true;
  }
  template <typename T>
  bool get_optional(std::string_view key, std::optional<T>& out, auto&&... range) {
    T v{};
    if (!getter(key, v, range...)) return false;
    out = v;
    return true;
  }

  void finish();  // unknown keys

 private:
  bool getter(std::string_view key, std::string& out) { return get_string(key, out); }
  bool getter(std::string_view key, bool& out) { return get_bool(key, out); }
  bool getter(std::string_view key, double& out, double lo, double hi) {
    return get_number(key, lo, hi, out);
  }
  bool getter(std::string_view key, int& out, std::int64_t lo, std::int64_t hi) {
    return get_int(key, lo, hi, out);
  }
  bool getter(std::string_view key, std::uint32_t& out, std::int64_t lo, std::int64_t hi) {
    return get_int(key, lo, hi, out);
  }
  bool getter(std::string_view key, Millis& out, Millis lo, Millis hi) {
    return get_seconds(key, lo, hi, out);
  }
  void wrong_type(std::string_view key, const toml::node& n, std::string_view expected);
  // A float or integer value at `key` as double; reports `expected` when it is neither.
  std::optional<double> number_at(const toml::node& n, std::string_view key,
                                  std::string_view expected);

  Diagnostics& diag_;
  const toml::table& table_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
};

// Seconds with up to millisecond precision: "2", "0.25".
// Built on config_number() (core/number_text.h).
std::string format_seconds(Millis ms);

}  // namespace rct::config_detail
