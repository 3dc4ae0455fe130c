#include "proxy/upstream/load_balancer.hpp"

namespace portico {

const Endpoint* LoadBalancer::pick(const Cluster& cluster) noexcept {
  const auto size = cluster.endpoints.size();
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
  const Endpoint* chosen = &cluster.endpoints[cursor % size];
  cursor = (cursor + 1) % static_cast<std::uint32_t>(size);
  return chosen;
}

}  // namespace portico
