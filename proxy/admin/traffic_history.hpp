#pragma once
// TrafficHistory: the last ten minutes of traffic per Ingress and per host, for the dashboard's
// charts. The admin thread samples the workers' cumulative counters every Interval; a point is
// the difference between two samples (requests/s, the share of 5xx answers, p50 and p99 from
// the duration histogram), so the workers do no extra work for it. Owned by the admin thread.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "proxy/worker/worker_stats.hpp"

namespace portico {

class TrafficHistory {
 public:
  static constexpr std::chrono::seconds Interval{5};
  static constexpr std::size_t Points = 120;  // ten minutes

  // `unix_seconds`: when `totals` was collected. The first sample only sets the baseline.
  void add_sample(std::int64_t unix_seconds, const WorkerStats& totals);

  // {"intervalSeconds":5,"times":[...],"ingresses":{name:{"rps":[...],"errorRatio":[...],
  //  "p50Ms":[...],"p99Ms":[...]}},"hosts":{...}}; null where an interval had no request.
  std::string to_json() const;

 private:
  struct Point {
    double rps = 0;
    double error_ratio = -1;  // < 0: no request in the interval
    double p50_ms = -1;
    double p99_ms = -1;
  };
  struct Series {
    IngressStats last;         // the cumulative counters at the previous sample
    std::deque<Point> points;  // aligned with times_, oldest first
  };
  using SeriesBy = std::map<std::string, Series>;
  void advance(SeriesBy& series, const StatsBy<IngressStats>& totals, double seconds) const;

  std::deque<std::int64_t> times_;  // the end of each point's interval
  std::int64_t last_sample_ = 0;    // 0: no baseline yet
  SeriesBy ingresses_;
  SeriesBy hosts_;
};

// The `quantile` (0..1) of the requests counted in `histogram`, in milliseconds, interpolated
// within its bucket as Prometheus' histogram_quantile does; < 0 when it counted none.
double histogram_quantile_ms(const DurationHistogram& histogram, double quantile);

}  // namespace portico
