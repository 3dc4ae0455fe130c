#pragma once
// describe_snapshot: the live routing table as JSON for /debug/snapshot: every host and rule
// with the Ingress it came from, the backend it leads to and that backend's endpoints, and the
// default backend. Each backend also lists every endpoint its slices name with its state
// (ready, serving, terminating, not ready, or ejected by passive health on some worker). For
// people, scripts and the dashboard asking "why did this go there?"; never parsed back.
#include <set>
#include <string>

#include "proxy/snapshot.hpp"

namespace portico {

// `ejected`: "address:port" of the endpoints some worker has ejected now.
std::string describe_snapshot(const Snapshot& snapshot, const std::set<std::string>& ejected);

}  // namespace portico
