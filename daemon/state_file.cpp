#include "daemon/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace rct::daemon {
namespace {

std::string errno_text(const std::string& what, const std::filesystem::path& p) {
  return what + " " + p.string() + ": " + std::strerror(errno);
}

// Closes the descriptor on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace

Result<PersistentState, std::string> load_state_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) return "cannot check " + path.string() + ": " + ec.message();
    return PersistentState{};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return errno_text("cannot open", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return errno_text("cannot read", path);
  auto state = state_from_json(text.str());
  if (!state) return path.string() + ": " + state.error();
  return std::move(state).value();
}

Result<void, std::string> save_state_file(const std::filesystem::path& path,
                                          const PersistentState& state) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (fd.get() < 0) return errno_text("cannot create", tmp);
    // Written as it is produced, a piece at a time (persistent_state.h); after a failed write
    // the rest is skipped.
    std::string failed;
    write_state_json(state, [&](std::string_view piece) {
      while (failed.empty() && !piece.empty()) {
        const ssize_t n = ::write(fd.get(), piece.data(), piece.size());
        if (n < 0) {
          if (errno != EINTR) failed = errno_text("cannot write", tmp);
          continue;
        }
        piece.remove_prefix(static_cast<std::size_t>(n));
      }
    });
    if (!failed.empty()) {
      ::unlink(tmp.c_str());
      return failed;
    }
    if (::fsync(fd.get()) != 0) {
      const std::string why = errno_text("cannot sync", tmp);
      ::unlink(tmp.c_str());
      return why;
    }
    if (::close(fd.release()) != 0) {
      const std::string why = errno_text("cannot close", tmp);
      ::unlink(tmp.c_str());
      return why;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text("cannot rename to", path);
    ::unlink(tmp.c_str());
    return why;
  }
  // Make the rename itself durable. Failing here leaves a complete file in place: not an error.
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());
  return {};
}

}  // namespace rct::daemon
