#include "proxy/upstream/load_balancer.hpp"

#include <algorithm>

#include "proxy/common/log.hpp"

namespace portico {

const Endpoint* LoadBalancer::pick(const Cluster& cluster, Clock::time_point now,
                                   const Endpoint* avoid) noexcept {
  const auto size = static_cast<std::uint32_t>(cluster.endpoints.size());
  if (size == 0) {
    return nullptr;
  }
  if (cluster.id >= cursor_.size()) {
    cursor_.resize(cluster.id + 1, Unseeded);
  }
  auto& cursor = cursor_[cluster.id];
  if (cursor == Unseeded) {
    cursor = static_cast<std::uint32_t>(random_() % size);
  }
  const Endpoint* fallback = nullptr;
  for (std::uint32_t tried = 0; tried < size; ++tried) {
    const Endpoint* candidate = &cluster.endpoints[cursor % size];
    cursor = (cursor + 1) % size;
    if (candidate == avoid) {
      continue;
    }
    if (!ejected(*candidate, now)) {
      return candidate;
    }
    fallback = fallback != nullptr ? fallback : candidate;
  }
  return fallback != nullptr ? fallback : avoid;
}

bool LoadBalancer::ejected(const Endpoint& endpoint, Clock::time_point now) const noexcept {
  if (health_.empty()) {
    return false;  // the usual case: nothing failed, nothing to look up
  }
  const auto it = health_.find(endpoint);
  return it != health_.end() && it->second.ejected_until > now;
}

void LoadBalancer::report_connect_failure(const Endpoint& endpoint, Clock::time_point now) {
  auto& health = health_[endpoint];
  if (++health.failures < FailuresToEject) {
    return;
  }
  const auto period =
      std::min<Clock::duration>(FirstEjection * (1u << std::min(health.ejections, 5u)),
                                LongestEjection);
  health.failures = 0;
  ++health.ejections;
  health.ejected_until = now + period;
  log::info("proxy", "endpoint ejected after consecutive connect failures",
            {{"upstream", endpoint.address.to_string() + ":" + std::to_string(endpoint.port)},
             {"seconds", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(period)
                                            .count())}});
}

}  // namespace portico
