#pragma once
// Watcher: keeps one kind of object in step with the API server, on a thread of its own.
// List, hand over the whole set, then watch from the list's resourceVersion (bookmarks
// move it on). A stream that ends is watched again from where it stopped; a 410 (as a status
// or an ERROR event) or any other failure relists after a backoff of 0.8 s doubling to 30 s,
// with jitter, so nothing ever busy-loops. Decoded objects go to the sink as immutable values.
// Lists come in pages, as client-go's reflector asks for them, so no single reply has to hold
// a whole cluster. Nothing the server sends can end the thread: a malformed event is logged
// and skipped, and anything unexpected is logged, counted, and answered with a relist.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "k8swatch/api_client.hpp"
#include "k8swatch/background_loop.hpp"
#include "k8swatch/invalid_objects.hpp"
#include "k8swatch/resources.hpp"
#include "k8swatch/secret_interest.hpp"
#include "k8swatch/watch_event.hpp"

namespace portico::k8s {

struct WatchSink {
  std::function<void(Kind, std::vector<Object>)> replace;  // a complete list
  std::function<void(Object)> upsert;                      // added or modified
  std::function<void(Kind, std::string key)> erase;        // deleted
};

// Counts of one watcher, written by its thread and read by the admin server.
struct WatchCounters {
  std::atomic<std::uint64_t> lists{0};    // the first one, then every relist
  std::atomic<std::uint64_t> watches{0};  // every watch opened (restarts are watches - 1)
  std::atomic<std::uint64_t> malformed{0};  // watch events skipped as unreadable
  std::atomic<std::uint64_t> failures{0};   // unexpected failures that forced a relist
  std::atomic<bool> watching{false};        // a watch stream is open now
  std::atomic<bool> absent{false};          // the API server does not serve the kind (404)
  std::array<std::atomic<std::uint64_t>, WatchEvent::TypeNames.size()> events{};  // by type
};

class Watcher {
 public:
  // `invalid`: where the objects skipped as invalid are listed. `interest`, for the Secret
  // watch only: which Secrets keep their data (null: all).
  Watcher(Kind kind, const ApiConfig& config, std::string namespace_, WatchSink sink,
          std::shared_ptr<InvalidObjects> invalid,
          std::shared_ptr<const SecretInterest> interest = nullptr);
  ~Watcher();
  void start();
  void stop();  // any thread; returns once the thread has ended
  Kind kind() const noexcept { return kind_; }
  const WatchCounters& counters() const noexcept { return counters_; }

 private:
  enum class Next { Rewatch, Relist };
  void run();
  void list_and_watch();
  std::optional<std::string> list();  // the list's resourceVersion, or nothing on failure
  Next watch(std::string& resource_version);
  Next take_event(std::string_view line, std::string& resource_version);
  void wait_backoff();
  // This watch's scope in InvalidObjects.
  std::string scope() const { return std::string("watch ") + kind_name(kind_); }

  Kind kind_;
  ApiClient client_;
  std::string namespace_;
  WatchSink sink_;
  std::shared_ptr<InvalidObjects> invalid_;
  std::shared_ptr<const SecretInterest> interest_;
  std::chrono::milliseconds backoff_;
  WatchCounters counters_;
  BackgroundLoop loop_;
};

}  // namespace portico::k8s
