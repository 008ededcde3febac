// Catch2 v2: the one translation unit that compiles Catch's implementation and main().
// Catch2 v3 ignores CATCH_CONFIG_MAIN; its main() comes from Catch2::Catch2WithMain
// (tests/CMakeLists.txt).
#define CATCH_CONFIG_MAIN
#include "tests/support/catch.h"
