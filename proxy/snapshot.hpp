#pragma once
// Snapshot: the whole routing state (routes, the endpoints they lead to, certificates), built by
// the control thread and published as one immutable unit, so a route never appears before its
// endpoints. The contract between control plane and data plane:
//  - per worker: generations only move forward;
//  - across workers: eventually the same, bounded by one event-loop turn;
//  - per request: pinned. A request holds the snapshot it started with until it ends, so an
//    update never changes the rules under a request in flight.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/common/string_hash.hpp"

#include "proxy/policy/global_policy.hpp"
#include "proxy/route/route_table.hpp"
#include "proxy/tls/cert_table.hpp"
#include "proxy/upstream/cluster.hpp"

namespace portico {

// HTTP-01 answers of ACME orders in progress: token -> key authorization (RFC 8555 §8.3).
using AcmeChallenges = std::unordered_map<std::string, std::string, StringHash, std::equal_to<>>;

// What became of one annotation of an Ingress ("applied", "ignored: why", "fails closed:
// why"), kept for inspection (/debug/explain), never consulted when routing.
struct AnnotationNote {
  std::string annotation;
  std::string value;
  std::string verdict;
};
using AnnotationNotes = std::vector<AnnotationNote>;
using IngressNotes = std::map<std::string, AnnotationNotes>;  // by Ingress "namespace/name"

struct Snapshot {
  std::uint64_t generation = 0;
  std::shared_ptr<const RouteTable> routes;
  std::shared_ptr<const ClusterTable> clusters;
  std::shared_ptr<const CertTable> certs;
  std::shared_ptr<const AcmeChallenges> challenges;  // never null once built
  std::shared_ptr<const IngressNotes> notes;         // never null once built
  std::shared_ptr<const GlobalPolicy> global;        // never null once built
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace portico
