#include "config/toml_reader.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/number_text.h"

namespace rct::config_detail {

void Diagnostics::error(const toml::source_region& where, std::string message) {
  errors_.push_back(ConfigError{file_, where.begin.line, where.begin.column, std::move(message)});
}

void Diagnostics::file_error(std::string message) {
  errors_.push_back(ConfigError{file_, 0, 0, std::move(message)});
}

ConfigErrors Diagnostics::take() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return std::move(errors_);
}

std::string_view type_word(toml::node_type t) {
  switch (t) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a decimal number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
  }
  return "an unknown type";
}

namespace {

// Optimal string alignment distance: a swap of two neighbours ("qso" for "qos") costs one edit.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string closest(std::string_view word, const std::set<std::string, std::less<>>& candidates) {
  // Short keys tolerate one typo, longer ones two; anything further is not a typo.
  const std::size_t limit = word.size() <= 4 ? 1 : 2;
  std::string best;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string format_seconds(Millis ms) {
  const auto n = ms.count();
  if (n % 1000 == 0) return std::to_string(n / 1000);
  return config_number(static_cast<double>(n) / 1000.0);
}

std::string Section::key_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

const toml::node* Section::get(std::string_view key) {
  known_.emplace(key);
  return table_.get(key);
}

void Section::missing(std::string_view key) {
  diag_.error(table_, "missing required key '" + key_path(key) + "'");
}

void Section::wrong_type(std::string_view key, const toml::node& n, std::string_view expected) {
  diag_.error(n, key_path(key) + " must be " + std::string(expected) + ", not " +
                     std::string(type_word(n.type())));
}

bool Section::get_string(std::string_view key, std::string& out) {
  const toml::node* n = get(key);
  if (n == nullptr) return false;
  const auto* s = n->as_string();
  if (s == nullptr) {
    wrong_type(key, *n, "a string");
    return false;
  }
  out = s->get();
  return true;
}

bool Section::get_bool(std::string_view key, bool& out) {
  const toml::node* n = get(key);
  if (n == nullptr) return false;
  const auto* b = n->as_boolean();
  if (b == nullptr) {
    wrong_type(key, *n, "true or false");
    return false;
  }
  out = b->get();
  return true;
}

bool Section::get_int(std::string_view key, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  const toml::node* n = get(key);
  if (n == nullptr) return false;
  const auto* i = n->as_integer();
  if (i == nullptr) {
    wrong_type(key, *n, "an integer");
    return false;
  }
  const std::int64_t v = i->get();
  if (v < lo || v > hi) {
    diag_.error(*n, key_path(key) + " must be between " + std::to_string(lo) + " and " +
                        std::to_string(hi) + " (got " + std::to_string(v) + ")");
    return false;
  }
  out = v;
  return true;
}

std::optional<double> Section::number_at(const toml::node& n, std::string_view key,
                                         std::string_view expected) {
  if (const auto* f = n.as_floating_point()) return f->get();
  if (const auto* i = n.as_integer()) return static_cast<double>(i->get());
  wrong_type(key, n, expected);
  return std::nullopt;
}

bool Section::get_number(std::string_view key, double lo, double hi, double& out) {
  const toml::node* n = get(key);
  if (n == nullptr) return false;
  const std::optional<double> number = number_at(*n, key, "a number");
  if (!number) return false;
  const double v = *number;
  if (!(v >= lo && v <= hi)) {  // also rejects nan
    diag_.error(*n, key_path(key) + " must be between " + config_number(lo) + " and " +
                        config_number(hi) + " (got " + config_number(v) + ")");
    return false;
  }
  out = v;
  return true;
}

bool Section::get_seconds(std::string_view key, Millis lo, Millis hi, Millis& out) {
  const toml::node* n = get(key);
  if (n == nullptr) return false;
  const std::optional<double> number = number_at(*n, key, "a number of seconds");
  if (!number) return false;
  const double v = *number;
  const double ms = std::round(v * 1000.0);
  if (!(ms >= static_cast<double>(lo.count()) && ms <= static_cast<double>(hi.count()))) {
    diag_.error(*n, key_path(key) + " must be between " + format_seconds(lo) + " and " +
                        format_seconds(hi) + " seconds (got " + config_number(v) + ")");
    return false;
  }
  out = Millis{static_cast<Millis::rep>(ms)};
  return true;
}

bool Section::get_whole_seconds(std::string_view key, std::chrono::seconds lo,
                                std::chrono::seconds hi, std::chrono::seconds& out) {
  const toml::node* n = get(key);
  if (n == nullptr) return false;
  const auto* i = n->as_integer();
  if (i == nullptr || i->get() < lo.count() || i->get() > hi.count()) {
    diag_.error(*n, key_path(key) + " must be a whole number of seconds between " +
                        std::to_string(lo.count()) + " and " + std::to_string(hi.count()) +
                        (i != nullptr ? " (got " + std::to_string(i->get()) + ")"
                                      : ", not " + std::string(type_word(n->type()))));
    return false;
  }
  out = std::chrono::seconds{i->get()};
  return true;
}

const toml::table* Section::get_table(std::string_view key) {
  const toml::node* n = get(key);
  if (n == nullptr) return nullptr;
  const auto* t = n->as_table();
  if (t == nullptr) wrong_type(key, *n, "a table");
  return t;
}

const toml::array* Section::get_array(std::string_view key) {
  const toml::node* n = get(key);
  if (n == nullptr) return nullptr;
  const auto* a = n->as_array();
  if (a == nullptr) wrong_type(key, *n, "an array");
  return a;
}

void Section::finish() {
  for (const auto& [k, n] : table_) {
    if (known_.contains(k.str())) continue;
    std::string msg = "unknown key '" + key_path(k.str()) + "'";
    if (const std::string near = closest(k.str(), known_); !near.empty())
      msg += " (did you mean '" + near + "'?)";
    diag_.error(k.source(), std::move(msg));
  }
}

}  // namespace rct::config_detail
