#pragma once
// BackgroundLoop: the thread of one long-running blocking loop (a watch, the Lease, status
// writes) and its stop signal. The loop's waits end early on stop() or wake(), so shutdown
// never waits out a backoff. Owned by the object whose loop it runs; stop() from any thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace portico::k8s {

class BackgroundLoop {
 public:
  BackgroundLoop() = default;
  ~BackgroundLoop() { stop(); }
  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;

  void start(std::function<void()> body);
  // Ends the loop: wakes its wait, runs `interrupt` (to break blocking I/O), joins. The
  // interrupt is repeated until the loop ends: one that lands between two requests breaks
  // nothing, and the next request (a watch) could block for minutes.
  void stop(const std::function<void()>& interrupt = {});
  bool stopping() const noexcept { return stopping_.load(); }
  // Ends the current (or next) pause early: there is new work.
  void wake();
  // Waits up to `timeout`, or until wake() or stop(); false once stopping.
  bool pause(std::chrono::milliseconds timeout);

 private:
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;  // guards woken_ and finished_, for the condition variable
  std::condition_variable wake_;
  bool woken_ = false;
  bool finished_ = false;  // the body has returned
  std::thread thread_;
};

}  // namespace portico::k8s
