#pragma once

#include <stdexcept>
#include <string>

namespace rct::cli {

// Bad user input: main() prints the message on one stderr line and exits 1.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A command that ran but did not succeed, with its own exit code (write-value: 2, 3, 4): main()
// prints the message (may be several lines) on stderr and exits with `exit_code`.
class CommandFailure : public std::runtime_error {
 public:
  CommandFailure(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace rct::cli
