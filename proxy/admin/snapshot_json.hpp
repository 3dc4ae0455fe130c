#pragma once
// describe_snapshot: the live routing table as JSON for /debug/snapshot: every host and rule
// with the Ingress it came from, the backend it leads to and that backend's endpoints, and the
// default backend. For people and scripts asking "why did this go there?"; never parsed back.
#include <string>

#include "proxy/snapshot.hpp"

namespace portico {

std::string describe_snapshot(const Snapshot& snapshot);

}  // namespace portico
