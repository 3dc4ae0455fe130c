#pragma once
// Snapshot: the whole routing state (routes, the endpoints they lead to, certificates), built by
// the control thread and published as one immutable unit, so a route never appears before its
// endpoints. The contract between control plane and data plane:
//  - per worker: generations only move forward;
//  - across workers: eventually the same, bounded by one event-loop turn;
//  - per request: pinned. A request holds the snapshot it started with until it ends, so an
//    update never changes the rules under a request in flight.
#include <cstdint>
#include <memory>

#include "proxy/route/route_table.hpp"
#include "proxy/tls/cert_table.hpp"
#include "proxy/upstream/cluster.hpp"

namespace portico {

struct Snapshot {
  std::uint64_t generation = 0;
  std::shared_ptr<const RouteTable> routes;
  std::shared_ptr<const ClusterTable> clusters;
  std::shared_ptr<const CertTable> certs;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace portico
