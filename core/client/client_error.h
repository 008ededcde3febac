#pragma once

#include <string_view>

namespace rct::client {

// Why a request produced no value. The client never turns these into values (no 0 for a
// failed read); callers decide whether to retry in their next cycle.
enum class ClientError {
  kTimeout,         // no acceptable answer after all retries (each timed out, or its reply came
                    // cut/broken)
  kDisconnected,    // the link went down while the request was queued or outstanding
  kNotConnected,    // the link is down (waiting to reconnect, or not started): refused at once
  kCancelled,       // stop() or destruction of the client
  kQueueFull,       // the bounded queue of waiting requests is full
  kUnknownOid,      // a name that is not in the registry
  kInvalidRequest,  // the request cannot be encoded (payload too large, query on a non-history OID)
};

// Lower-case words for logs and CLI messages: "timeout", "disconnected", ...
std::string_view client_error_name(ClientError e);

}  // namespace rct::client
