#include "proxy/admin/metrics.hpp"

#include <cstdio>
#include <map>

namespace portico {
namespace {

std::string label_value(std::string_view raw) {
  std::string out;
  for (const char c : raw) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", value);
  return buf;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out.append(name);
  if (!labels.empty()) {
    out.append("{").append(labels).append("}");
  }
  out.append(" ").append(number(value)).append("\n");
}

}  // namespace

std::string render_metrics(const WorkerStats& totals, const ConfigStats& config) {
  std::string out;
  family(out, "portico_requests_total", "counter",
         "Requests answered, by the Ingress rule host that matched and status class.");
  // Sorted, so scrapes diff cleanly.
  const std::map<std::string, std::array<std::uint64_t, 5>> sorted(totals.requests.begin(),
                                                                   totals.requests.end());
  for (const auto& [host, counts] : sorted) {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      if (counts[i] != 0) {
        sample(out, "portico_requests_total",
               "host=\"" + label_value(host) + "\",code=\"" + std::to_string(i + 1) + "xx\"",
               static_cast<double>(counts[i]));
      }
    }
  }
  family(out, "portico_request_duration_seconds", "histogram",
         "Time from a request's head being read to its response being sent.");
  const auto& histogram = totals.request_duration;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < histogram.counts.size(); ++i) {
    cumulative += histogram.counts[i];
    const std::string le = i < DurationHistogram::Bounds.size()
                               ? number(DurationHistogram::Bounds[i])
                               : std::string("+Inf");
    sample(out, "portico_request_duration_seconds_bucket", "le=\"" + le + "\"",
           static_cast<double>(cumulative));
  }
  sample(out, "portico_request_duration_seconds_sum", "", histogram.sum);
  sample(out, "portico_request_duration_seconds_count", "", static_cast<double>(cumulative));
  family(out, "portico_upstream_connect_errors_total", "counter",
         "Failed connection attempts to upstream endpoints.");
  sample(out, "portico_upstream_connect_errors_total", "",
         static_cast<double>(totals.upstream_connect_errors));
  family(out, "portico_upstream_retries_total", "counter",
         "Requests sent again on a fresh connection after a reused one closed early.");
  sample(out, "portico_upstream_retries_total", "", static_cast<double>(totals.upstream_retries));
  family(out, "portico_client_connections", "gauge", "Open client connections.");
  sample(out, "portico_client_connections", "", static_cast<double>(totals.client_connections));
  family(out, "portico_upstream_connections", "gauge",
         "Open upstream connections, busy or idle in the pools.");
  sample(out, "portico_upstream_connections", "", static_cast<double>(totals.upstream_connections));
  family(out, "portico_config_generation", "gauge", "Generation of the last published routing snapshot.");
  sample(out, "portico_config_generation", "", static_cast<double>(config.generation));
  family(out, "portico_config_reloads_total", "counter",
         "Routing snapshots published since start (each applied without a restart).");
  sample(out, "portico_config_reloads_total", "", static_cast<double>(config.reloads));
  family(out, "portico_ready", "gauge", "1 when /readyz answers 200.");
  sample(out, "portico_ready", "", config.ready ? 1 : 0);
  return out;
}

}  // namespace portico
