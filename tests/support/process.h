#pragma once

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace rct::test {

// A child process with piped stdin/stdout/stderr, for end-to-end tests of our executables and of
// real peers (mosquitto). All waits take a deadline; nothing sleeps for synchronisation.
class ChildProcess {
 public:
  // kOwn: the child leads a new process group, and signal() and the destructor reach the whole
  // group (for programs that start helpers of their own, e.g. a Node.js application).
  enum class Group { kInherit, kOwn };

  // argv[0] is the executable path; `env` entries "KEY=VALUE" are added to the environment.
  explicit ChildProcess(const std::vector<std::string>& argv,
                        const std::vector<std::string>& env = {}, Group group = Group::kInherit);
  ~ChildProcess();  // kills (SIGKILL) and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void write_stdin(const std::string& data);
  void close_stdin();

  // Reads output until `needle` appears in stdout (or stderr when `from_stderr`), the child exits,
  // or the deadline passes. Returns whether it appeared.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout,
                       bool from_stderr = false);
  // Waits for exit; nullopt on timeout. The value is the exit code, or 128 + signal.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // To the child, or to its whole process group (Group::kOwn); nothing once the child is reaped.
  void signal(int sig);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  // Reads whatever is available within `timeout`; false when both pipes are closed.
  bool pump(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  Group group_ = Group::kInherit;
  int in_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::optional<int> status_;
  std::string out_;
  std::string err_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The number of complete lines in a program's output.
inline std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Runs to completion (killed after `timeout`, then exit_code is -1) and returns its output.
RunResult run_process(const std::vector<std::string>& argv, const std::string& stdin_data = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(30),
                      const std::vector<std::string>& env = {});

}  // namespace rct::test
