#include "daemon/status_line.h"

#include "tests/support/catch.h"

using rct::daemon::InverterStatus;
using rct::daemon::status_line;

TEST_CASE("the status line names the broker state and each inverter's reachability",
          "[status_line]") {
  CHECK(status_line(false, {}) == "mqtt disconnected");
  CHECK(status_line(true, {{"roof", true, true, "0123456789"},
                           {"garage", false, true, ""},
                           {"shed", false, false, "987"}}) ==
        "mqtt connected; roof online (0123456789); garage connected; shed unreachable (987)");
}
