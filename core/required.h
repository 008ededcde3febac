#pragma once

#include <concepts>

namespace rct {

// A field of a hand-written table row that every row must name. It has no default constructor,
// so a designated initialiser that leaves the field out does not compile ("could not convert
// '{}' to 'Required<double>'"); with a plain field it would silently take the default. Rows are
// converted to the plain entry struct their table serves, once, at compile time.
template <typename T>
struct Required {
  // Implicit: rows are written `.field = value`. A template, so that "text" initialises a
  // Required<std::string_view> (one user-defined conversion, not two).
  template <typename U>
  requires std::convertible_to<U, T>
  constexpr Required(U v) : value(static_cast<T>(v)) {}

  T value;
};

}  // namespace rct
