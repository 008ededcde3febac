#include "tools/rctclient/doctor_report.h"

#include <algorithm>
#include <cstddef>

namespace rct::cli::doctor {
namespace {

int verdict_rank(Verdict v) {
  switch (v) {
    case Verdict::kSkipped:
      return 0;
    case Verdict::kOk:
      return 1;
    case Verdict::kWarning:
      return 2;
    case Verdict::kProblem:
      return 3;
  }
  return 0;
}

std::size_t count_verdict(const Report& report, Verdict v) {
  return static_cast<std::size_t>(std::count_if(report.checks.begin(), report.checks.end(),
                                                [v](const Check& c) { return c.verdict == v; }));
}

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kWarning:
      return "warning";
    case Verdict::kProblem:
      return "problem";
    case Verdict::kSkipped:
      return "skipped";
  }
  return "?";
}

Verdict overall(const Report& report) {
  Verdict worst = Verdict::kOk;
  for (const Check& c : report.checks) {
    if (verdict_rank(c.verdict) > verdict_rank(worst)) worst = c.verdict;
  }
  return worst;
}

int exit_code(const Report& report) {
  return overall(report) == Verdict::kProblem ? 1 : 0;
}

std::string render_text(const Report& report) {
  std::size_t width = 0;
  for (const Check& c : report.checks) width = std::max(width, c.name.size());
  std::string out;
  for (const Check& c : report.checks) {
    out += c.name;
    out.append(width - c.name.size() + 2, ' ');
    out += std::string(verdict_name(c.verdict)) + ": " + c.summary + "\n";
  }
  out += "overall: " + std::string(verdict_name(overall(report))) + " (" +
         plural(count_verdict(report, Verdict::kProblem), "problem") + ", " +
         plural(count_verdict(report, Verdict::kWarning), "warning") + ")\n";
  return out;
}

nlohmann::json render_json(const Report& report) {
  nlohmann::json checks = nlohmann::json::array();
  for (const Check& c : report.checks) {
    checks.push_back({{"name", c.name},
                      {"verdict", verdict_name(c.verdict)},
                      {"summary", c.summary},
                      {"figures", c.figures}});
  }
  return {{"verdict", verdict_name(overall(report))},
          {"exit_code", exit_code(report)},
          {"checks", std::move(checks)}};
}

}  // namespace rct::cli::doctor
