#pragma once
// WorkerStats: the counters of one worker. Plain integers, written only by the worker's own
// thread; the admin server asks each worker for a copy (run on that worker) and sums them,
// so the hot path pays no atomics and the reader never races.
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "proxy/common/string_hash.hpp"

namespace portico {

struct DurationHistogram {
  static constexpr std::array<double, 12> Bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,   0.25,   0.5,   1.0,  2.5,   10.0};
  std::array<std::uint64_t, Bounds.size() + 1> counts{};  // the last is +Inf
  double sum = 0;

  void observe(double seconds) noexcept {
    std::size_t i = 0;
    while (i < Bounds.size() && seconds > Bounds[i]) {
      ++i;
    }
    ++counts[i];
    sum += seconds;
  }
  void merge(const DurationHistogram& other) noexcept {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      counts[i] += other.counts[i];
    }
    sum += other.sum;
  }
};

struct WorkerStats {
  // Requests by the rule host that matched ("" when none) and status class (1xx..5xx).
  std::unordered_map<std::string, std::array<std::uint64_t, 5>, StringHash, std::equal_to<>>
      requests;
  DurationHistogram request_duration;
  std::uint64_t upstream_connect_errors = 0;
  std::uint64_t upstream_retries = 0;
  std::uint64_t tunnels = 0;
  std::int64_t client_connections = 0;
  std::int64_t upstream_connections = 0;

  void count_request(std::string_view host, unsigned status) {
    auto it = requests.find(host);
    if (it == requests.end()) {
      it = requests.emplace(std::string(host), std::array<std::uint64_t, 5>{}).first;
    }
    const unsigned cls = status / 100;
    ++it->second[cls >= 1 && cls <= 5 ? cls - 1 : 4];
  }

  void merge(const WorkerStats& other) {
    for (const auto& [host, counts] : other.requests) {
      auto& mine = requests[host];
      for (std::size_t i = 0; i < mine.size(); ++i) {
        mine[i] += counts[i];
      }
    }
    request_duration.merge(other.request_duration);
    upstream_connect_errors += other.upstream_connect_errors;
    upstream_retries += other.upstream_retries;
    tunnels += other.tunnels;
    client_connections += other.client_connections;
    upstream_connections += other.upstream_connections;
  }
};

}  // namespace portico
