#pragma once
// Renders the Prometheus text exposition of the proxy's counters. Pure: takes values, returns
// text, so it is testable without a server.
#include <cstdint>
#include <string>

#include "proxy/worker/worker_stats.hpp"

namespace portico {

struct ConfigStats {
  std::uint64_t generation = 0;  // of the last published snapshot
  std::uint64_t reloads = 0;     // snapshots published since start
  bool ready = false;
};

std::string render_metrics(const WorkerStats& totals, const ConfigStats& config);

}  // namespace portico
