#include "proxy/admin/metrics.hpp"

#include <cstdio>
#include <map>

#include "proxy/exchange/protocol.hpp"

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
  histogram_samples(name, "", histogram);
}

void PrometheusText::histogram_samples(std::string_view name, std::string_view labels,
                                       const DurationHistogram& histogram) {
  const std::string base(name);
  const std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < histogram.counts.size(); ++i) {
    cumulative += histogram.counts[i];
    const std::string le = i < DurationHistogram::Bounds.size()
                               ? number(DurationHistogram::Bounds[i])
                               : std::string("+Inf");
    sample(base + "_bucket", prefix + label("le", le), static_cast<double>(cumulative));
  }
  sample(base + "_sum", labels, histogram.sum);
  sample(base + "_count", labels, static_cast<double>(cumulative));
}

std::string render_metrics(const WorkerStats& totals, const ConfigStats& config,
                           const CertTable* certs) {
  PrometheusText out;
  // Sorted, so scrapes diff cleanly.
  const std::map<std::string, IngressStats> ingresses(totals.ingresses.begin(),
                                                      totals.ingresses.end());
  out.family("portico_requests_total", "counter",
             "Requests answered, by the Ingress whose rule matched (\"\" for none) and status "
             "class.");
  for (const auto& [ingress, stats] : ingresses) {
    for (std::size_t i = 0; i < stats.by_class.size(); ++i) {
      if (stats.by_class[i] != 0) {
        out.sample("portico_requests_total",
                   label("ingress", ingress) + "," + label("code", std::to_string(i + 1) + "xx"),
                   static_cast<double>(stats.by_class[i]));
      }
    }
  }
  out.family("portico_ingress_request_duration_seconds", "histogram",
             "Time from a request's head being read to its response being sent, by Ingress.");
  for (const auto& [ingress, stats] : ingresses) {
    out.histogram_samples("portico_ingress_request_duration_seconds", label("ingress", ingress),
                          stats.duration);
  }
  const std::map<std::string, ServiceStats> services(totals.services.begin(),
                                                     totals.services.end());
  out.family("portico_service_upstream_errors_total", "counter",
             "Upstream failures (refused, reset, timed out, malformed), by backend Service port.");
  for (const auto& [service, stats] : services) {
    out.sample("portico_service_upstream_errors_total", label("service", service),
               static_cast<double>(stats.upstream_errors));
  }
  out.family("portico_service_retries_total", "counter",
             "Requests sent again to another endpoint or connection, by backend Service port.");
  for (const auto& [service, stats] : services) {
    out.sample("portico_service_retries_total", label("service", service),
               static_cast<double>(stats.retries));
  }
  out.family("portico_tls_handshakes_total", "counter", "TLS handshakes, by outcome.");
  out.sample("portico_tls_handshakes_total", label("result", "ok"),
             static_cast<double>(totals.tls_handshakes));
  out.sample("portico_tls_handshakes_total", label("result", "failed"),
             static_cast<double>(totals.tls_handshake_failures));
  out.family("portico_proxy_protocol_rejected_total", "counter",
             "Connections closed because their PROXY protocol header was missing or malformed "
             "(with --proxy-protocol).");
  out.sample("portico_proxy_protocol_rejected_total", "",
             static_cast<double>(totals.proxy_protocol_rejected));
  out.family("portico_requests_by_protocol_total", "counter",
             "Requests (HTTP/2: streams), by the protocol the client spoke.");
  for (const auto protocol : {Protocol::Http10, Protocol::Http11, Protocol::Http2}) {
    out.sample(
        "portico_requests_by_protocol_total", label("protocol", protocol_name(protocol)),
        static_cast<double>(totals.requests_by_protocol[static_cast<std::size_t>(protocol)]));
  }
  out.family("portico_http2_connections_total", "counter", "Client connections that spoke HTTP/2.");
  out.sample("portico_http2_connections_total", "", static_cast<double>(totals.http2_connections));
  out.family("portico_http2_stream_resets_total", "counter",
             "HTTP/2 streams the client reset (RST_STREAM).");
  out.sample("portico_http2_stream_resets_total", "",
             static_cast<double>(totals.http2_resets_received));
  out.family("portico_http2_goaways_total", "counter",
             "HTTP/2 connections Portico ended with GOAWAY, by reason: drain (shutting down), or "
             "the abuse that closed it.");
  out.sample("portico_http2_goaways_total", label("reason", "drain"),
             static_cast<double>(totals.http2_goaways_drain));
  for (std::size_t i = 1; i < FloodReasonCount; ++i) {
    out.sample("portico_http2_goaways_total",
               label("reason", flood_reason_name(static_cast<FloodReason>(i))),
               static_cast<double>(totals.http2_goaways_abuse[i]));
  }
  out.family("portico_certificate_expiry_timestamp_seconds", "gauge",
             "When the certificate served for a host expires (notAfter, Unix time); host \"\" is "
             "the default certificate.");
  if (certs != nullptr) {
    certs->for_each_certificate([&](std::string_view host, const TlsContext& context) {
      out.sample("portico_certificate_expiry_timestamp_seconds",
                 label("host", host) + "," + label("source", context.origin()),
                 static_cast<double>(context.not_after()));
    });
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
  out.family("portico_auth_cache_hits_total", "counter",
             "Requests an auth service's kept answer decided (auth-cache-key), without asking.");
  out.sample("portico_auth_cache_hits_total", "", static_cast<double>(totals.auth_cache_hits));
  out.family("portico_ssl_passthrough_connections_total", "counter",
             "TLS connections relayed untouched to an ssl-passthrough backend.");
  out.sample("portico_ssl_passthrough_connections_total", "",
             static_cast<double>(totals.passthrough_connections));
  out.family("portico_mirror_requests_total", "counter",
             "Copies of requests for RequestMirror filters: answered, failed (no endpoint, no "
             "connection or no answer in time) or skipped_body (requests with a body are not "
             "mirrored).");
  for (const auto& [outcome, count] :
       {std::pair{"answered", totals.mirrors.answered}, std::pair{"failed", totals.mirrors.failed},
        std::pair{"skipped_body", totals.mirrors.skipped_body}}) {
    out.sample("portico_mirror_requests_total", label("outcome", outcome),
               static_cast<double>(count));
  }
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
