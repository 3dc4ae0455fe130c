#pragma once
// LoadBalancer: chooses a cluster's endpoint for a request, skipping those passive health
// checks have ejected. Round robin by default: the cursor per cluster lives in a vector
// indexed by the stable cluster id, and each worker starts every cluster at a random offset
// so that N workers do not hit the same endpoint in lockstep. An Ingress may ask instead for
// EWMA (the lower recent response time of two random endpoints, ingress-nginx's ewma), a
// hash of a request value (rendezvous hashing: an endpoint leaving moves only its own keys),
// or a sticky cookie naming the endpoint. Owned by one worker.
//
// Passive health: consecutive connect failures eject an endpoint for a period that doubles
// with each ejection (1 s up to 30 s); a successful connect forgives it. An ejected endpoint
// is still chosen when every other one is ejected too: a guess beats a certain 503. Each
// worker learns on its own, from its own connections.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
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

  // The endpoint whose hash with `key` scores highest, skipping ejected ones unless all are.
  const Endpoint* pick_by_hash(const Cluster& cluster, std::uint64_t key,
                               Clock::time_point now) const noexcept;
  // The endpoint whose affinity token is `token`, if it is still there and not ejected.
  const Endpoint* pick_by_token(const Cluster& cluster, std::string_view token,
                                Clock::time_point now) const noexcept;
  // Of two random usable endpoints, the one with the lower decayed average response time.
  const Endpoint* pick_by_latency(const Cluster& cluster, Clock::time_point now) noexcept;
  void report_latency(const Endpoint& endpoint, Clock::duration response_time,
                      Clock::time_point now);
  // True with probability weight / total (canary-weight).
  bool chance(std::uint32_t weight, std::uint32_t total) noexcept {
    return weight >= total || (weight > 0 && random_() % total < weight);
  }
  // A number in [0, bound), bound > 0 (a Gateway API backendRef chosen by weight).
  std::uint64_t roll(std::uint64_t bound) noexcept { return random_() % bound; }

  void report_connect_failure(const Endpoint& endpoint, Clock::time_point now);
  void report_connect_success(const Endpoint& endpoint) noexcept {
    if (!health_.empty()) {
      health_.erase(endpoint);
    }
  }
  bool ejected(const Endpoint& endpoint, Clock::time_point now) const noexcept;
  // "address:port" of every endpoint ejected at `now`, for inspection.
  std::vector<std::string> ejected_endpoints(Clock::time_point now) const;

  // The same for an endpoint on every replica and across restarts: a sticky cookie's value is
  // the key in 16 hex digits.
  static std::uint64_t affinity_key(const Endpoint& endpoint) noexcept;
  static std::string affinity_token(const Endpoint& endpoint);
  static std::uint64_t hash(std::string_view bytes) noexcept;

 private:
  struct Health {
    unsigned failures = 0;   // consecutive, since the last ejection
    unsigned ejections = 0;  // consecutive ejections, which lengthen the next one
    Clock::time_point ejected_until{};
  };
  static constexpr std::uint32_t Unseeded = UINT32_MAX;
  std::vector<std::uint32_t> cursor_;  // by cluster id
  struct Latency {
    double average_ms = 0;
    Clock::time_point updated{};
  };
  double decayed_latency(const Endpoint& endpoint, Clock::time_point now) const noexcept;
  std::unordered_map<Endpoint, Health, EndpointHash> health_;  // only endpoints that failed
  std::unordered_map<Endpoint, Latency, EndpointHash> latency_;  // only under ewma
  std::mt19937_64 random_;
};

}  // namespace portico
