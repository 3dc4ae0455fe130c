#pragma once
// SnapshotBuilder: turns the object cache into the next immutable Snapshot, rebuilding only
// what changed. An Ingress change re-translates the routes; an endpoint change rebuilds just
// the clusters of the Services it touched and shares everything else (the route table, the
// other clusters) with the previous snapshot. Owned by the control thread.
#include <cstdint>
#include <map>
#include <memory>

#include "config/ingress_translator.hpp"
#include "config/object_cache.hpp"
#include "proxy/snapshot.hpp"

namespace portico {

class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(ClassSettings settings) : translator_(std::move(settings)) {}

  // The next snapshot, or null when `dirty` changed nothing a worker would see.
  SnapshotPtr build(const ObjectCache& cache, const Dirty& dirty);

 private:
  IngressTranslator translator_;
  ClusterIds ids_;
  Translation current_;
  std::shared_ptr<const ClusterTable> clusters_;
  std::uint64_t generation_ = 0;
};

}  // namespace portico
