#pragma once
// WorkerPool: the N workers, and the publication path of routing snapshots. publish() posts
// the new snapshot to every worker, which swaps a plain member on its own thread: the posted
// swap is each worker's grace period, and old snapshots die with their last pinned request.
// Owned by the application; publish(), drain() and the readers may be called from any thread.
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "proxy/common/expected.hpp"
#include "proxy/common/host_port.hpp"
#include "proxy/net.hpp"
#include "proxy/worker/worker.hpp"

namespace portico {

class WorkerPool {
 public:
  WorkerPool(unsigned count, const ProxySettings& settings);

  // Every worker binds `where` with SO_REUSEPORT, so the kernel spreads connections. Port 0
  // is resolved by the first worker and reused by the rest. Returns the bound port.
  Expected<std::uint16_t> listen(const HostPort& where, bool tls);
  void start();
  void stop();
  void publish(SnapshotPtr snapshot);
  void drain();

  // True once every worker has installed a snapshot of at least `generation`.
  bool installed_everywhere(std::uint64_t generation) const noexcept;
  std::size_t open_sessions() const noexcept;
  std::uint64_t published_generation() const noexcept { return published_generation_.load(); }
  std::uint64_t publish_count() const noexcept { return publish_count_.load(); }
  // The last snapshot published (null before the first), for /debug/snapshot.
  SnapshotPtr latest() const;
  // The HTTPS listener's port (0: none). Set by listen() before start(), constant after.
  std::uint16_t https_port() const noexcept { return workers_.front()->https_port(); }

  // Sums the workers' counters, each copied on its own thread. Awaited on any executor.
  Awaitable<WorkerStats> collect_stats();

 private:
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<std::uint64_t> published_generation_{0};
  std::atomic<std::uint64_t> publish_count_{0};
  mutable std::mutex latest_mutex_;  // publish() and the admin server may be different threads
  SnapshotPtr latest_;
};

}  // namespace portico
