#pragma once

#include <iosfwd>
#include <string>

namespace rct {

// A credential read from the configuration (MQTT password, TLS key password). It can only be
// read through reveal(), which the MQTT client calls when it connects; streaming it prints
// "***" so that a secret cannot reach a log line, an error message or `--check-config` output
// by accident. The buffer is wiped when the value is replaced or destroyed.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret& other) = default;
  Secret(Secret&& other) noexcept;
  Secret& operator=(const Secret& other);
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  bool empty() const { return value_.empty(); }
  const std::string& reveal() const { return value_; }

  friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }

 private:
  void wipe();

  std::string value_;
};

// Prints "***" for a non-empty secret and "" for an empty one; never the value.
std::ostream& operator<<(std::ostream& out, const Secret& secret);

}  // namespace rct
