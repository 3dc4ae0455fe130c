#include "k8swatch/background_loop.hpp"

namespace portico::k8s {

void BackgroundLoop::start(std::function<void()> body) {
  thread_ = std::thread([this, body = std::move(body)] {
    body();
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    wake_.notify_all();
  });
}

void BackgroundLoop::stop(const std::function<void()>& interrupt) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (!thread_.joinable()) {
    return;
  }
  for (;;) {
    if (interrupt) {
      interrupt();
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return finished_; })) {
      break;
    }
  }
  thread_.join();
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
