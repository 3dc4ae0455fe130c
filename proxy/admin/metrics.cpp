#include "proxy/admin/metrics.hpp"

#include <cstdio>
#include <map>

namespace portico {
namespace {

std::string number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", value);
  return buf;
}

}  // namespace

std::string label(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + '"';
}

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusText::sample(std::string_view name, std::string_view labels, double value) {
  text_.append(name);
  if (!labels.empty()) {
    text_.append("{").append(labels).append("}");
  }
  text_.append(" ").append(number(value)).append("\n");
}

void PrometheusText::histogram(std::string_view name, std::string_view help,
                               const DurationHistogram& histogram) {
  family(name, "histogram", help);
  const std::string base(name);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < histogram.counts.size(); ++i) {
    cumulative += histogram.counts[i];
    const std::string le = i < DurationHistogram::Bounds.size()
                               ? number(DurationHistogram::Bounds[i])
                               : std::string("+Inf");
    sample(base + "_bucket", label("le", le), static_cast<double>(cumulative));
  }
  sample(base + "_sum", "", histogram.sum);
  sample(base + "_count", "", static_cast<double>(cumulative));
}

std::string render_metrics(const WorkerStats& totals, const ConfigStats& config) {
  PrometheusText out;
  out.family("portico_requests_total", "counter",
             "Requests answered, by the Ingress rule host that matched and status class.");
  // Sorted, so scrapes diff cleanly.
  const std::map<std::string, std::array<std::uint64_t, 5>> sorted(totals.requests.begin(),
                                                                   totals.requests.end());
  for (const auto& [host, counts] : sorted) {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      if (counts[i] != 0) {
        out.sample("portico_requests_total",
                   label("host", host) + "," + label("code", std::to_string(i + 1) + "xx"),
                   static_cast<double>(counts[i]));
      }
    }
  }
  out.histogram("portico_request_duration_seconds",
                "Time from a request's head being read to its response being sent.",
                totals.request_duration);
  out.family("portico_upstream_connect_errors_total", "counter",
             "Failed connection attempts to upstream endpoints.");
  out.sample("portico_upstream_connect_errors_total", "",
             static_cast<double>(totals.upstream_connect_errors));
  out.family("portico_upstream_retries_total", "counter",
             "Requests sent again, to another endpoint or over a fresh connection.");
  out.sample("portico_upstream_retries_total", "", static_cast<double>(totals.upstream_retries));
  out.family("portico_tunnels_total", "counter", "WebSocket tunnels opened.");
  out.sample("portico_tunnels_total", "", static_cast<double>(totals.tunnels));
  out.family("portico_client_connections", "gauge", "Open client connections.");
  out.sample("portico_client_connections", "", static_cast<double>(totals.client_connections));
  out.family("portico_upstream_connections", "gauge",
             "Open upstream connections, busy or idle in the pools.");
  out.sample("portico_upstream_connections", "", static_cast<double>(totals.upstream_connections));
  out.family("portico_config_generation", "gauge",
             "Generation of the last published routing snapshot.");
  out.sample("portico_config_generation", "", static_cast<double>(config.generation));
  out.family("portico_config_reloads_total", "counter",
             "Routing snapshots published since start (each applied without a restart).");
  out.sample("portico_config_reloads_total", "", static_cast<double>(config.reloads));
  out.family("portico_ready", "gauge", "1 when /readyz answers 200.");
  out.sample("portico_ready", "", config.ready ? 1 : 0);
  return out.take();
}

}  // namespace portico
