#pragma once
// The one Catch2 include of every test: Catch2 v2 (Debian 12, single header) or v3 (Debian 13 /
// Raspberry Pi OS trixie, split headers and a compiled library). Tests are written with the v2
// spellings; under v3 the few that moved are mapped back here. tests/CMakeLists.txt sets
// RCT_CATCH2_MAJOR to the version it found, so header and library always agree.
#if !defined(RCT_CATCH2_MAJOR)
#if __has_include(<catch2/catch_all.hpp>)
#define RCT_CATCH2_MAJOR 3
#else
#define RCT_CATCH2_MAJOR 2
#endif
#endif

#if RCT_CATCH2_MAJOR >= 3
#include <catch2/catch_all.hpp>
#include <string>

// v3 moved Approx into namespace Catch and the string matchers into Catch::Matchers, where
// Contains now means "range contains"; the substring matcher is ContainsSubstring.
using Catch::Approx;
namespace Catch {
inline Matchers::StringContainsMatcher Contains(const std::string& text,
                                                CaseSensitive sensitivity = CaseSensitive::Yes) {
  return Matchers::ContainsSubstring(text, sensitivity);
}
using Matchers::EndsWith;
using Matchers::StartsWith;
}  // namespace Catch
#else
#include <catch2/catch.hpp>
#endif
