#pragma once

#include <memory>
#include <utility>

namespace rct {

// A handler handed to an io_context, a timer or a client callback can run after the object that
// made it is gone (destroyed while the handler was still queued). The owner keeps a
// LifetimeGuard as a member and wraps each such handler with bind(): once the guard is destroyed
// (or reset()), the wrapped handler does nothing. One thread: the guard and every handler it
// wrapped run on the same loop thread, so no lock is needed. The one exception: a guard that is
// never reset may bind() on another thread (copying the token only touches its atomic count),
// as long as the handler then runs on the loop thread and the guard outlives that thread's calls.
class LifetimeGuard {
 public:
  LifetimeGuard() = default;
  LifetimeGuard(const LifetimeGuard&) = delete;
  LifetimeGuard& operator=(const LifetimeGuard&) = delete;

  // `f` wrapped so that a call after the guard ended is dropped; the wrapper takes any arguments
  // and forwards them. `f` must return void.
  template <class F>
  auto bind(F f) const {
    return [token = std::weak_ptr<const int>(token_), f = std::move(f)](auto&&... args) mutable {
      if (token.expired()) return;
      f(std::forward<decltype(args)>(args)...);
    };
  }

  // Whether a handler bound now would still run; for code that checks by hand.
  std::weak_ptr<const int> token() const { return token_; }

  // Drops every handler bound so far; handlers bound from now on run again.
  void reset() { token_ = std::make_shared<const int>(0); }

 private:
  std::shared_ptr<const int> token_ = std::make_shared<const int>(0);
};

}  // namespace rct
