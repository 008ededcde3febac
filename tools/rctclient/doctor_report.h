#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

// The result model of `rctclient doctor` (docs/rctclient.md "doctor"): one check per question a
// support thread asks, each with a plain verdict, a one-line summary and the figures behind it.
// Pure: building and rendering a report does no I/O.

namespace rct::cli::doctor {

// kSkipped: the check could not run (nothing to check, or an earlier check failed); it does not
// count towards the overall verdict.
enum class Verdict { kOk, kWarning, kProblem, kSkipped };
std::string_view verdict_name(Verdict v);  // "ok", "warning", "problem", "skipped"

struct Check {
  std::string name;  // "inverter.tcp", "mqtt.login", ...
  Verdict verdict = Verdict::kSkipped;
  std::string summary;  // one line, never a secret
  nlohmann::json figures = nlohmann::json::object();
};

struct Report {
  std::vector<Check> checks;
};

// The worst verdict of the checks that ran; kOk when none ran.
Verdict overall(const Report& report);
// 1 when any check found a problem, else 0 (warnings alone exit 0).
int exit_code(const Report& report);

// One line per check, "NAME  VERDICT: SUMMARY", names padded to one column, then a last line
// "overall: VERDICT (P problems, W warnings)".
std::string render_text(const Report& report);
// {"verdict": "...", "exit_code": N, "checks": [{"name", "verdict", "summary", "figures"}]}.
nlohmann::json render_json(const Report& report);

}  // namespace rct::cli::doctor
