#include "daemon/adapters/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <sys/stat.h>

#include <cstdlib>

namespace rct {

LogEnvironment LogEnvironment::from_process() {
  LogEnvironment env;
  if (const char* v = std::getenv("JOURNAL_STREAM"); v != nullptr) env.journal_stream = v;
  struct stat st {};
  if (::fstat(2, &st) == 0) {
    env.stderr_stream = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                        std::to_string(static_cast<unsigned long long>(st.st_ino));
  }
  return env;
}

std::string_view log_sink_name(LogSink sink) {
  switch (sink) {
    case LogSink::kJournal:
      return "journal";
    case LogSink::kStderr:
      return "stderr";
  }
  return "?";
}

LogSink choose_log_sink(const LogEnvironment& env) {
  if (!env.journal_stream || env.journal_stream->empty()) return LogSink::kStderr;
  // A child that inherited $JOURNAL_STREAM but writes stderr elsewhere logs there.
  if (env.stderr_stream && *env.stderr_stream != *env.journal_stream) return LogSink::kStderr;
  return LogSink::kJournal;
}

spdlog::level::level_enum to_spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kCritical:
      return spdlog::level::critical;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name, LogLevel level,
                                            const LogEnvironment& env) {
  std::shared_ptr<spdlog::logger> logger;
  switch (choose_log_sink(env)) {
    case LogSink::kJournal: {
      // enable_formatting = false: the journal gets the bare message; it adds time and host.
      auto sink = std::make_shared<spdlog::sinks::systemd_sink_mt>(name, false);
      logger = std::make_shared<spdlog::logger>(name, std::move(sink));
      break;
    }
    case LogSink::kStderr: {
      auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
      logger = std::make_shared<spdlog::logger>(name, std::move(sink));
      logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-7l%$ %v");
      break;
    }
  }
  apply_log_level(*logger, level);
  return logger;
}

void apply_log_level(spdlog::logger& logger, LogLevel level) {
  logger.set_level(to_spdlog_level(level));
  // Warnings and errors reach the terminal or journal before a crash could lose them.
  logger.flush_on(spdlog::level::warn);
}

}  // namespace rct
