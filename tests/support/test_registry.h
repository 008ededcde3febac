#pragma once

#include "core/registry.h"

namespace rct::test {

// The OID registry, built once per test process and shared by every test that needs one (the
// tests of the registry itself build their own).
inline const Registry& test_registry() {
  static const Registry r;
  return r;
}

}  // namespace rct::test
