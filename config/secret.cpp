#include "config/secret.h"

#include <ostream>

namespace rct {

// Copies rather than moves: a moved-from short string keeps its bytes in the inline buffer.
Secret::Secret(Secret&& other) noexcept
    : value_(other.value_) {  // NOLINT(performance-move-constructor-init)
  other.wipe();
}

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    wipe();
    value_ = other.value_;
  }
  return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = other.value_;
    other.wipe();
  }
  return *this;
}

Secret::~Secret() {
  wipe();
}

void Secret::wipe() {
  // volatile keeps the compiler from dropping stores to memory that is about to be freed.
  volatile char* p = value_.data();
  for (std::size_t i = 0; i < value_.size(); ++i) p[i] = '\0';
  value_.clear();
}

std::ostream& operator<<(std::ostream& out, const Secret& secret) {
  return out << (secret.empty() ? "" : "***");
}

}  // namespace rct
