#pragma once

#include <cstdint>
#include <optional>

#include "core/client/time_types.h"
#include "core/command.h"
#include "core/registry.h"
#include "core/value.h"

namespace rct::client {

// One value that arrived in a frame which passed CRC, command, OID and payload-size checks.
struct Reading {
  std::uint32_t oid = 0;
  std::optional<std::uint32_t> address;  // responder's address for plant responses
  Command command = Command::kResponse;  // the response command as received
  const OidInfo* info = nullptr;         // registry entry; nullptr for an OID read by id only
  Value value;
  TimePoint received{};
  bool solicited = false;  // answered one of our requests (false: another client's traffic)
};

}  // namespace rct::client
