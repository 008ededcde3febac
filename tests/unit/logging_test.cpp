#include "daemon/adapters/logging.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>

#include "config/secret.h"
#include "tests/support/catch.h"

TEST_CASE("the journal sink is chosen only when JOURNAL_STREAM names our stderr", "[logging]") {
  struct Row {
    std::optional<std::string> journal;
    std::optional<std::string> stderr_stream;
    rct::LogSink expected;
  };
  const Row rows[] = {
      {std::nullopt, std::nullopt, rct::LogSink::kStderr},
      {std::nullopt, std::string("8:42"), rct::LogSink::kStderr},
      {std::string(""), std::string("8:42"), rct::LogSink::kStderr},
      {std::string("8:42"), std::string("8:42"), rct::LogSink::kJournal},
      // Inherited by a process whose stderr was redirected elsewhere.
      {std::string("8:42"), std::string("8:43"), rct::LogSink::kStderr},
      // stderr closed: the journal is the only place left.
      {std::string("8:42"), std::nullopt, rct::LogSink::kJournal},
  };
  for (std::size_t i = 0; i < std::size(rows); ++i) {
    INFO("row " << i);
    rct::LogEnvironment env{rows[i].journal, rows[i].stderr_stream};
    CHECK(rct::choose_log_sink(env) == rows[i].expected);
  }
}

TEST_CASE("make_logger builds a systemd or a stderr logger with the configured level",
          "[logging]") {
  auto stderr_logger = rct::make_logger("rct2mqtt", rct::LogLevel::kDebug, {});
  REQUIRE(stderr_logger->sinks().size() == 1);
  CHECK(std::dynamic_pointer_cast<spdlog::sinks::stderr_color_sink_mt>(stderr_logger->sinks()[0]) !=
        nullptr);
  CHECK(stderr_logger->level() == spdlog::level::debug);
  CHECK(stderr_logger->name() == "rct2mqtt");

  rct::LogEnvironment journal{std::string("8:42"), std::string("8:42")};
  auto journal_logger = rct::make_logger("rct2mqtt", rct::LogLevel::kWarn, journal);
  REQUIRE(journal_logger->sinks().size() == 1);
  CHECK(std::dynamic_pointer_cast<spdlog::sinks::systemd_sink_mt>(journal_logger->sinks()[0]) !=
        nullptr);
  CHECK(journal_logger->level() == spdlog::level::warn);

  // Not registered globally: the App owns it.
  CHECK(spdlog::get("rct2mqtt") == nullptr);

  rct::apply_log_level(*journal_logger, rct::LogLevel::kTrace);
  CHECK(journal_logger->level() == spdlog::level::trace);
}

TEST_CASE("every configured log level maps to its spdlog level", "[logging]") {
  CHECK(rct::to_spdlog_level(rct::LogLevel::kTrace) == spdlog::level::trace);
  CHECK(rct::to_spdlog_level(rct::LogLevel::kDebug) == spdlog::level::debug);
  CHECK(rct::to_spdlog_level(rct::LogLevel::kInfo) == spdlog::level::info);
  CHECK(rct::to_spdlog_level(rct::LogLevel::kWarn) == spdlog::level::warn);
  CHECK(rct::to_spdlog_level(rct::LogLevel::kError) == spdlog::level::err);
  CHECK(rct::to_spdlog_level(rct::LogLevel::kCritical) == spdlog::level::critical);
  CHECK(rct::to_spdlog_level(rct::LogLevel::kOff) == spdlog::level::off);
}

TEST_CASE("a secret named in a log call is written as stars", "[logging]") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("test", sink);
  logger.set_pattern("%v");
  const rct::Secret password("hunter2");
  logger.info("connecting with password {} and key password '{}'", password, rct::Secret());
  CHECK(out.str() == "connecting with password *** and key password ''\n");
  CHECK(out.str().find("hunter2") == std::string::npos);
}
