#include "daemon/component_map.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/catch.h"

using rct::daemon::ComponentMap;

TEST_CASE("a component map keeps its ids sorted and unique, like the std::map it replaces",
          "[discovery]") {
  ComponentMap m;
  m["pv_b_power"] = "sensor";
  m["battery_soc"] = "sensor";
  m["grid_charging"] = "switch";
  m["battery_soc"] = "number";  // assignment to an id already there
  std::vector<std::pair<std::string, std::string>> seen(m.begin(), m.end());
  CHECK(seen == std::vector<std::pair<std::string, std::string>>{{"battery_soc", "number"},
                                                                 {"grid_charging", "switch"},
                                                                 {"pv_b_power", "sensor"}});
  CHECK(m.size() == 3);
  CHECK(m.to_map() == std::map<std::string, std::string>{{"battery_soc", "number"},
                                                         {"grid_charging", "switch"},
                                                         {"pv_b_power", "sensor"}});
  // Built from a std::map or a list (an id twice keeps the first), the same map.
  CHECK(ComponentMap(m.to_map()) == m);
  CHECK(ComponentMap{{"pv_b_power", "sensor"},
                     {"battery_soc", "number"},
                     {"grid_charging", "switch"},
                     {"battery_soc", "sensor"}} == m);
  CHECK(ComponentMap{} != m);
  CHECK(ComponentMap{}.empty());
}
