#include "k8swatch/background_loop.hpp"

namespace portico::k8s {

void BackgroundLoop::stop(const std::function<void()>& interrupt) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (interrupt) {
    interrupt();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

void BackgroundLoop::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

bool BackgroundLoop::pause(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, timeout, [this] { return stopping_.load() || woken_; });
  woken_ = false;
  return !stopping_;
}

}  // namespace portico::k8s
