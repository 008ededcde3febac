#include "config/environment.h"

#include <cstdlib>

namespace rct {

Environment Environment::from_process() {
  Environment env;
  if (const char* s = std::getenv("STATE_DIRECTORY"); s != nullptr && *s != '\0')
    env.state_directory = s;
  return env;
}

}  // namespace rct
