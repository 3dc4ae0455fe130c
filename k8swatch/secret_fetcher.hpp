#pragma once
// SecretFetcher: reads single Secrets by name, on a thread of its own, for a Secret the watch
// kept as a name only (nothing referred to it then) that a served object now refers to. Tries
// again, backing off, until the API server answers: 200 upserts the Secret, 404 erases it.
#include <chrono>
#include <deque>
#include <mutex>
#include <string>

#include "k8swatch/api_client.hpp"
#include "k8swatch/background_loop.hpp"
#include "k8swatch/watcher.hpp"

namespace portico::k8s {

class SecretFetcher {
 public:
  SecretFetcher(const ApiConfig& config, WatchSink sink);
  ~SecretFetcher();
  void start();
  void stop();
  // Any thread: read "namespace/name" soon.
  void fetch(std::string key);

 private:
  void run();
  // False when the API server could not be asked: try again later.
  bool fetch_one(const std::string& key);

  ApiClient client_;
  WatchSink sink_;
  std::mutex mutex_;  // guards queue_
  std::deque<std::string> queue_;
  BackgroundLoop loop_;
};

}  // namespace portico::k8s
