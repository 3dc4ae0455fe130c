#include "proxy/worker/worker_pool.hpp"

#include <openssl/rand.h>
#include <boost/asio/co_spawn.hpp>

namespace portico {

WorkerPool::WorkerPool(unsigned count, const ProxySettings& settings) {
  Worker::TicketKeys ticket_keys;
  RAND_bytes(ticket_keys.data(), static_cast<int>(ticket_keys.size()));
  for (unsigned i = 0; i < count; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, settings, ticket_keys));
  }
}

Expected<std::uint16_t> WorkerPool::listen(const HostPort& where, bool tls) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(where.host, ec);
  if (ec) {
    return fail("\"" + where.host + "\" is not an IP address");
  }
  net::ip::tcp::endpoint endpoint(address, where.port);
  for (auto& worker : workers_) {
    auto bound = worker->listen(endpoint, tls);
    if (!bound) {
      return fail(bound.error());
    }
    endpoint = *bound;
  }
  return endpoint.port();
}

void WorkerPool::start() {
  for (auto& worker : workers_) {
    worker->start();
  }
}

void WorkerPool::stop() {
  for (auto& worker : workers_) {
    worker->stop();
  }
}

void WorkerPool::publish(SnapshotPtr snapshot) {
  published_generation_.store(snapshot->generation);
  publish_count_.fetch_add(1);
  for (auto& worker : workers_) {
    worker->publish(snapshot);
  }
  std::lock_guard lock(latest_mutex_);
  latest_ = std::move(snapshot);
}

SnapshotPtr WorkerPool::latest() const {
  std::lock_guard lock(latest_mutex_);
  return latest_;
}

void WorkerPool::drain() {
  for (auto& worker : workers_) {
    worker->drain();
  }
}

bool WorkerPool::installed_everywhere(std::uint64_t generation) const noexcept {
  for (const auto& worker : workers_) {
    if (worker->installed_generation() < generation) {
      return false;
    }
  }
  return true;
}

std::size_t WorkerPool::open_sessions() const noexcept {
  std::size_t n = 0;
  for (const auto& worker : workers_) {
    n += worker->open_sessions();
  }
  return n;
}

Awaitable<WorkerStats> WorkerPool::collect_stats() {
  WorkerStats total;
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    const WorkerStats copy = co_await net::co_spawn(
        w->executor(),
        [w]() -> Awaitable<WorkerStats> {
          WorkerStats stats = w->stats();
          for (auto& endpoint : w->balancer().ejected_endpoints(LoadBalancer::Clock::now())) {
            stats.ejected_endpoints.insert(std::move(endpoint));
          }
          co_return stats;
        },
        net::use_awaitable_t<Executor>{});
    total.merge(copy);
  }
  co_return total;
}

}  // namespace portico
