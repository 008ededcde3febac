#include "core/client/client_error.h"

namespace rct::client {

std::string_view client_error_name(ClientError e) {
  switch (e) {
    case ClientError::kTimeout:
      return "timeout";
    case ClientError::kDisconnected:
      return "disconnected";
    case ClientError::kNotConnected:
      return "not connected";
    case ClientError::kCancelled:
      return "cancelled";
    case ClientError::kQueueFull:
      return "queue full";
    case ClientError::kUnknownOid:
      return "unknown object";
    case ClientError::kInvalidRequest:
      return "invalid request";
  }
  return "?";
}

}  // namespace rct::client
