#pragma once
// Cluster: the usable endpoints of one Service port, as the control plane resolved them from
// the Service and its EndpointSlices. ClusterTable: every cluster of a snapshot, indexed by a
// cluster id that stays stable across snapshots (so per-worker load-balancer state can live in
// a plain vector). Both are immutable once published and shared between snapshots: an
// endpoint change replaces one Cluster and copies the table's pointers, nothing else.
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace portico {

struct Endpoint {
  boost::asio::ip::address address;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

struct EndpointHash {
  std::size_t operator()(const Endpoint& e) const noexcept {
    const std::size_t a = e.address.is_v4() ? e.address.to_v4().to_uint()
                                            : std::hash<std::string>{}(e.address.to_string());
    return a * 31 + e.port;
  }
};

// An endpoint as its EndpointSlice lists it, for inspection (/debug/snapshot, the dashboard).
struct ListedEndpoint {
  Endpoint endpoint;
  // "ready"; "serving" (terminating, still serving); "terminating"; "not ready".
  std::string_view condition = "ready";
  bool in_use = false;  // one of the cluster's `endpoints` (new requests may go to it)
  bool operator==(const ListedEndpoint&) const = default;
};

struct Cluster {
  std::uint32_t id = 0;
  std::string name;                 // "namespace/service:port", for logs and stats
  std::vector<Endpoint> endpoints;  // only the endpoints new requests may go to
  std::vector<ListedEndpoint> listed;  // every endpoint of the slices; routing never reads it
  bool h2c = false;                 // the Service port's appProtocol is kubernetes.io/h2c
};

using ClusterPtr = std::shared_ptr<const Cluster>;

class ClusterTable {
 public:
  const Cluster* find(std::uint32_t id) const noexcept {
    return id < by_id_.size() ? by_id_[id].get() : nullptr;
  }
  const ClusterPtr& at(std::uint32_t id) const noexcept {
    static const ClusterPtr none;
    return id < by_id_.size() ? by_id_[id] : none;
  }
  void set(std::uint32_t id, ClusterPtr cluster) {
    if (id >= by_id_.size()) {
      by_id_.resize(id + 1);
    }
    by_id_[id] = std::move(cluster);
  }
  const std::vector<ClusterPtr>& all() const noexcept { return by_id_; }

 private:
  std::vector<ClusterPtr> by_id_;  // null where an id is not in use
};

}  // namespace portico
