#pragma once
// Resolves a backend (Service port by number or name) to the endpoints new requests may use:
// Service port -> its name -> the same-named port of every EndpointSlice of the Service.
// Ready (or unset) endpoints; only when none is ready, serving-and-terminating ones, as
// kube-proxy does. Runs on the control thread.
#include "config/ingress_translator.hpp"
#include "config/object_cache.hpp"
#include "proxy/upstream/cluster.hpp"

namespace portico {

// Endpoints are sorted and de-duplicated, so equal inputs give equal clusters.
ClusterPtr resolve_cluster(std::uint32_t id, const ClusterRef& ref, const ObjectCache& cache);

}  // namespace portico
