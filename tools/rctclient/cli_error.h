#pragma once

#include <stdexcept>
#include <string>

namespace rct::cli {

// Bad user input: main() prints the message on one stderr line and exits 1.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rct::cli
