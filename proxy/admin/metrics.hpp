#pragma once
// Renders the Prometheus text exposition of the proxy's counters. Pure: takes values, returns
// text, so it is testable without a server.
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/tls/cert_table.hpp"
#include "proxy/worker/worker_stats.hpp"

namespace portico {

struct ConfigStats {
  std::uint64_t generation = 0;  // of the last published snapshot
  std::uint64_t reloads = 0;     // snapshots published since start
  bool ready = false;
};

// Builds Prometheus text exposition: a family header, then its samples.
class PrometheusText {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, std::string_view labels, double value);
  void histogram(std::string_view name, std::string_view help, const DurationHistogram& histogram);
  // One labelled series of a histogram family already announced with family().
  void histogram_samples(std::string_view name, std::string_view labels,
                         const DurationHistogram& histogram);
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

// A label value with Prometheus escaping, e.g. label("host", h) -> host="..."
std::string label(std::string_view name, std::string_view value);

// `certs`: the live snapshot's certificates, for their expiry times (null before the first).
std::string render_metrics(const WorkerStats& totals, const ConfigStats& config,
                           const CertTable* certs);

}  // namespace portico
