#pragma once

#include <fmt/format.h>
#include <spdlog/common.h>
#include <spdlog/logger.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/secret.h"

// The daemon's logger: synchronous, owned by the App (not registered in spdlog's global registry).

namespace rct {

// What the sink choice depends on, captured once by the caller (tests inject their own).
struct LogEnvironment {
  std::optional<std::string> journal_stream;  // $JOURNAL_STREAM: "<device>:<inode>"
  std::optional<std::string> stderr_stream;   // fd 2 as "<device>:<inode>"; nullopt when closed

  static LogEnvironment from_process();
};

enum class LogSink { kJournal, kStderr };
std::string_view log_sink_name(LogSink sink);

// The journal only when systemd connected our stderr to it ($JOURNAL_STREAM set and, as
// systemd.exec(5) advises, naming the same stream as fd 2): sd_journal_send() drops lines
// silently where no journald listens, so everywhere else the messages go to stderr.
LogSink choose_log_sink(const LogEnvironment& env);

spdlog::level::level_enum to_spdlog_level(LogLevel level);

// Journal: messages without a timestamp (the journal keeps its own), priority from the level,
// SYSLOG_IDENTIFIER = `name`. Stderr: timestamp, coloured level, message.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name, LogLevel level,
                                            const LogEnvironment& env);

// For SIGHUP reloads.
void apply_log_level(spdlog::logger& logger, LogLevel level);

}  // namespace rct

// A Secret formats as "***" (or "" when empty), so a log call that names one cannot leak it.
template <>
struct fmt::formatter<rct::Secret> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const rct::Secret& secret, FormatContext& ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<std::string_view>::format(secret.empty() ? "" : "***", ctx);
  }
};
