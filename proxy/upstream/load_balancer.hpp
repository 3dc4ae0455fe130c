#pragma once
// LoadBalancer: round robin over a cluster's endpoints. Owned by one worker; the cursor per
// cluster lives in a vector indexed by the stable cluster id. Each worker starts every
// cluster at a random offset so that N workers do not hit the same endpoint in lockstep.
#include <cstdint>
#include <random>
#include <vector>

#include "proxy/upstream/cluster.hpp"

namespace portico {

class LoadBalancer {
 public:
  explicit LoadBalancer(std::uint64_t seed) : random_(seed) {}

  // Null when the cluster has no usable endpoint.
  const Endpoint* pick(const Cluster& cluster) noexcept;

 private:
  static constexpr std::uint32_t Unseeded = UINT32_MAX;
  std::vector<std::uint32_t> cursor_;  // by cluster id
  std::mt19937_64 random_;
};

}  // namespace portico
