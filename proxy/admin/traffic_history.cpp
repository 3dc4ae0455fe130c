#include "proxy/admin/traffic_history.hpp"

#include <nlohmann/json.hpp>
#include <numeric>

namespace portico {
namespace {

// The counters of `now` minus those of `before` (cumulative counters never go down).
IngressStats difference(const IngressStats& now, const IngressStats& before) {
  IngressStats out;
  for (std::size_t i = 0; i < out.by_class.size(); ++i) {
    out.by_class[i] = now.by_class[i] - before.by_class[i];
  }
  for (std::size_t i = 0; i < out.duration.counts.size(); ++i) {
    out.duration.counts[i] = now.duration.counts[i] - before.duration.counts[i];
  }
  out.duration.sum = now.duration.sum - before.duration.sum;
  return out;
}

// A point's value, or null when its interval had no request.
nlohmann::json value_or_null(double value) {
  return value < 0 ? nlohmann::json() : nlohmann::json(value);
}

}  // namespace

double histogram_quantile_ms(const DurationHistogram& histogram, double quantile) {
  const std::uint64_t total =
      std::accumulate(histogram.counts.begin(), histogram.counts.end(), std::uint64_t{0});
  if (total == 0) {
    return -1;
  }
  const double rank = quantile * static_cast<double>(total);
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < histogram.counts.size(); ++i) {
    const std::uint64_t in_bucket = histogram.counts[i];
    if (static_cast<double>(below + in_bucket) >= rank && in_bucket > 0) {
      if (i == DurationHistogram::Bounds.size()) {
        return DurationHistogram::Bounds.back() * 1000;  // +Inf: the highest bound known
      }
      const double lower = i == 0 ? 0 : DurationHistogram::Bounds[i - 1];
      const double upper = DurationHistogram::Bounds[i];
      const double within = (rank - static_cast<double>(below)) / static_cast<double>(in_bucket);
      return (lower + (upper - lower) * within) * 1000;
    }
    below += in_bucket;
  }
  return DurationHistogram::Bounds.back() * 1000;
}

void TrafficHistory::advance(SeriesBy& series, const StatsBy<IngressStats>& totals,
                             double seconds) const {
  for (const auto& [name, now] : totals) {
    auto [it, added] = series.try_emplace(name);
    Series& one = it->second;
    if (added) {
      one.points.resize(times_.size() - 1);  // no request before it was first seen
    }
    const IngressStats delta = difference(now, one.last);
    const std::uint64_t requests =
        std::accumulate(delta.by_class.begin(), delta.by_class.end(), std::uint64_t{0});
    Point point{.rps = static_cast<double>(requests) / seconds};
    if (requests > 0) {
      point.error_ratio = static_cast<double>(delta.by_class[4]) / static_cast<double>(requests);
      point.p50_ms = histogram_quantile_ms(delta.duration, 0.5);
      point.p99_ms = histogram_quantile_ms(delta.duration, 0.99);
    }
    one.points.push_back(point);
    one.last = now;
  }
  for (auto& [name, one] : series) {
    if (one.points.size() < times_.size()) {
      one.points.emplace_back();  // not in this sample: nothing happened to it
    }
    while (one.points.size() > Points) {
      one.points.pop_front();
    }
  }
}

void TrafficHistory::add_sample(std::int64_t unix_seconds, const WorkerStats& totals) {
  if (last_sample_ == 0) {
    for (const auto& [name, now] : totals.ingresses) {
      ingresses_[name].last = now;
    }
    for (const auto& [name, now] : totals.hosts) {
      hosts_[name].last = now;
    }
    last_sample_ = unix_seconds;
    return;
  }
  const double seconds =
      static_cast<double>(std::max<std::int64_t>(1, unix_seconds - last_sample_));
  last_sample_ = unix_seconds;
  times_.push_back(unix_seconds);
  if (times_.size() > Points) {
    times_.pop_front();
  }
  advance(ingresses_, totals.ingresses, seconds);
  advance(hosts_, totals.hosts, seconds);
}

std::string TrafficHistory::to_json() const {
  using nlohmann::json;
  const auto render = [](const SeriesBy& series) {
    json out = json::object();
    for (const auto& [name, one] : series) {
      json rps = json::array(), errors = json::array(), p50 = json::array(), p99 = json::array();
      for (const Point& point : one.points) {
        rps.push_back(point.rps);
        errors.push_back(value_or_null(point.error_ratio));
        p50.push_back(value_or_null(point.p50_ms));
        p99.push_back(value_or_null(point.p99_ms));
      }
      out[name.empty() ? "(no rule: 404s, redirects to HTTPS)" : name] = {
          {"rps", std::move(rps)},
          {"errorRatio", std::move(errors)},
          {"p50Ms", std::move(p50)},
          {"p99Ms", std::move(p99)}};
    }
    return out;
  };
  return json{{"intervalSeconds", Interval.count()},
              {"times", times_},
              {"ingresses", render(ingresses_)},
              {"hosts", render(hosts_)}}
      .dump();
}

}  // namespace portico
