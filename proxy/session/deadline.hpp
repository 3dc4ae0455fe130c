#pragma once
// Deadline: one timer per connection instead of one per read and write. Beast's tcp_stream
// arms and cancels a timer around every operation (about 15% of a small request's cost, see
// bench/RESULTS.md); here an operation only stores its deadline, and a single timer, armed at
// the earliest deadline that may be due, checks when it fires whether the current one has
// passed: if so it cancels the streams' pending operations, else it sleeps until the current
// deadline. A deadline that moves later (the usual case: every step of an exchange has a
// timeout of the same length) costs no timer operation at all.
//
// An operation cancelled by the deadline completes with operation_aborted; expired() then
// says it was the deadline, so callers map it to their timeout outcome. Owned by one
// session, on its worker's thread.
#include <chrono>
#include <memory>

#include "proxy/net.hpp"

namespace portico {

// A channel that is not a socket of its own (an HTTP/2 stream, downstream or upstream): the
// deadline interrupts its pending operations instead of cancelling a socket that other
// streams share.
class Interruptible {
 public:
  virtual void interrupt() = 0;

 protected:
  ~Interruptible() = default;
};

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Deadline(const Executor& executor);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  // Movable, so the deadline of a connection's first bytes goes on with the session that
  // serves it (one timer per connection); the watched streams must be set again.
  Deadline(Deadline&&) noexcept = default;
  Deadline& operator=(Deadline&&) = delete;

  // The streams whose pending operations the deadline cancels: the client's, and the
  // upstream's while an exchange uses one (null: none).
  void watch(TcpSocket* client, TcpSocket* upstream = nullptr) {
    state_->streams[0] = client;
    state_->streams[1] = upstream;
  }
  void watch_upstream(TcpSocket* upstream) { state_->streams[1] = upstream; }
  void watch_channel(Interruptible* downstream) { state_->channels[0] = downstream; }
  void watch_upstream_channel(Interruptible* upstream) { state_->channels[1] = upstream; }

  // Operations started from now on must complete within `timeout` of now.
  void expires_after(Clock::duration timeout);
  void expires_never();
  // Ends the pending operations now, as if the deadline had passed (a connection shutting
  // down ends the exchanges it still carries).
  void expire_now() { fire(*state_); }
  // Whether the last operation was cancelled because the deadline passed.
  bool expired() const noexcept { return state_->expired; }

 private:
  struct State {
    explicit State(const Executor& executor) : timer(executor) {}
    SteadyTimer timer;
    Clock::time_point deadline = Clock::time_point::max();
    Clock::time_point armed_for = Clock::time_point::max();  // max: no wait pending
    TcpSocket* streams[2] = {nullptr, nullptr};
    Interruptible* channels[2] = {nullptr, nullptr};
    bool expired = false;
    bool closed = false;
  };
  static void arm(const std::shared_ptr<State>& state);
  static void fire(State& state);

  // Shared with the pending wait's handler, which may run after the session is gone.
  std::shared_ptr<State> state_;
};

}  // namespace portico
