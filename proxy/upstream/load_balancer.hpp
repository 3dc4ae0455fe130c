#pragma once
// LoadBalancer: round robin over a cluster's endpoints, skipping those passive health checks
// have ejected. Owned by one worker; the cursor per cluster lives in a vector indexed by the
// stable cluster id. Each worker starts every cluster at a random offset so that N workers do
// not hit the same endpoint in lockstep.
//
// Passive health: consecutive connect failures eject an endpoint for a period that doubles
// with each ejection (1 s up to 30 s); a successful connect forgives it. An ejected endpoint
// is still chosen when every other one is ejected too: a guess beats a certain 503. Each
// worker learns on its own, from its own connections.
#include <chrono>
#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include "proxy/upstream/cluster.hpp"

namespace portico {

class LoadBalancer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr unsigned FailuresToEject = 2;
  static constexpr std::chrono::seconds FirstEjection{1};
  static constexpr std::chrono::seconds LongestEjection{30};

  explicit LoadBalancer(std::uint64_t seed) : random_(seed) {}

  // The next endpoint in turn that is not ejected and is not `avoid` (the one a retry is
  // leaving), if there is one; else an ejected one; else `avoid`. Null when the cluster has
  // no usable endpoint.
  const Endpoint* pick(const Cluster& cluster, Clock::time_point now,
                       const Endpoint* avoid = nullptr) noexcept;

  void report_connect_failure(const Endpoint& endpoint, Clock::time_point now);
  void report_connect_success(const Endpoint& endpoint) noexcept {
    if (!health_.empty()) {
      health_.erase(endpoint);
    }
  }
  bool ejected(const Endpoint& endpoint, Clock::time_point now) const noexcept;

 private:
  struct Health {
    unsigned failures = 0;   // consecutive, since the last ejection
    unsigned ejections = 0;  // consecutive ejections, which lengthen the next one
    Clock::time_point ejected_until{};
  };
  static constexpr std::uint32_t Unseeded = UINT32_MAX;
  std::vector<std::uint32_t> cursor_;  // by cluster id
  std::unordered_map<Endpoint, Health, EndpointHash> health_;  // only endpoints that failed
  std::mt19937_64 random_;
};

}  // namespace portico
