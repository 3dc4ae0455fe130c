#include "app/options.hpp"

#include <charconv>
#include <functional>
#include <thread>

#include "proxy/common/quantity.hpp"

namespace portico {
namespace {

struct Flag {
  const char* name;
  const char* value_name;  // null for a switch
  const char* help;
  std::function<std::optional<Failure>(Options&, const std::string&)> apply;
};

std::optional<Failure> set_host_port(HostPort& target, const std::string& value) {
  auto parsed = parse_host_port(value);
  if (!parsed) {
    return Failure{parsed.error()};
  }
  target = *parsed;
  return std::nullopt;
}

// "namespace/name" of an object the flag refers to.
std::optional<Failure> set_namespaced_name(std::string& target, const std::string& value) {
  const auto slash = value.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == value.size() ||
      value.find('/', slash + 1) != std::string::npos) {
    return Failure{"expected NAMESPACE/NAME, got \"" + value + "\""};
  }
  target = value;
  return std::nullopt;
}

std::optional<Failure> set_duration(std::chrono::milliseconds& target, const std::string& value) {
  auto parsed = parse_duration(value);
  if (!parsed) {
    return Failure{parsed.error()};
  }
  target = *parsed;
  return std::nullopt;
}

// A whole number within [low, high].
template <class Number>
std::optional<Failure> set_number(Number& target, const std::string& value, unsigned low,
                                  unsigned high) {
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc{} || end != value.data() + value.size() || n < low || n > high) {
    return Failure{"expected a number from " + std::to_string(low) + " to " + std::to_string(high) +
                   ", got \"" + value + "\""};
  }
  target = static_cast<Number>(n);
  return std::nullopt;
}

// A size with a lower bound, so a limit cannot make every request fail.
std::optional<Failure> set_size(std::size_t& target, const std::string& value,
                                std::uint64_t at_least) {
  auto parsed = parse_size(value);
  if (!parsed) {
    return Failure{parsed.error()};
  }
  if (*parsed != 0 && *parsed < at_least) {
    return Failure{"must be at least " + std::to_string(at_least) + " bytes, got \"" + value +
                   "\""};
  }
  target = static_cast<std::size_t>(*parsed);
  return std::nullopt;
}

const std::vector<Flag>& flags() {
  static const std::
      vector<Flag>
          all =
              {
                  {"--manifests", "PATH",
                   "file or directory of Kubernetes manifests (YAML or JSON); repeatable; watched",
                   [](Options& o, const std::string& v) {
                     o.manifests.push_back(v);
                     return std::nullopt;
                   }},
                  {"--kubeconfig", "PATH",
                   "list and watch a Kubernetes API server with this kubeconfig",
                   [](Options& o, const std::string& v) {
                     o.kubeconfig = v;
                     return std::nullopt;
                   }},
                  {"--namespace", "NS", "watch only this namespace (default: all)",
                   [](Options& o, const std::string& v) {
                     o.namespace_ = v;
                     return std::nullopt;
                   }},
                  {"--publish-address", "ADDR[,ADDR]",
                   "address(es) written into served Ingresses' status",
                   [](Options& o, const std::string& v) -> std::optional<Failure> {
                     o.publish_addresses.clear();
                     std::string_view rest = v;
                     while (!rest.empty()) {
                       const auto comma = rest.find(',');
                       if (comma != 0) {
                         o.publish_addresses.emplace_back(rest.substr(0, comma));
                       }
                       rest = comma == std::string_view::npos ? std::string_view{}
                                                              : rest.substr(comma + 1);
                     }
                     return o.publish_addresses.empty()
                                ? std::optional<Failure>(Failure{"expected an address"})
                                : std::nullopt;
                   }},
                  {"--publish-service", "NS/NAME",
                   "publish this Service's external address into Ingress status",
                   [](Options& o, const std::string& v) {
                     return set_namespaced_name(o.publish_service, v);
                   }},
                  {"--default-certificate", "NS/NAME",
                   "Secret with the certificate for hosts without one of their own",
                   [](Options& o, const std::string& v) {
                     return set_namespaced_name(o.default_certificate, v);
                   }},
                  {"--default-cert-file", "PATH",
                   "PEM certificate chain of the default certificate",
                   [](Options& o, const std::string& v) {
                     o.default_cert_file = v;
                     return std::nullopt;
                   }},
                  {"--default-key-file", "PATH", "PEM private key of the default certificate",
                   [](Options& o, const std::string& v) {
                     o.default_key_file = v;
                     return std::nullopt;
                   }},
                  {"--acme-directory", "URL",
                   "ACME directory for Ingresses annotated kubernetes.io/tls-acme: \"true\"",
                   [](Options& o, const std::string& v) -> std::optional<Failure> {
                     if (!v.starts_with("https://")) {
                       return Failure{"expected an https:// URL, got \"" + v + "\""};
                     }
                     o.acme_directory = v;
                     return std::nullopt;
                   }},
                  {"--acme-email", "EMAIL", "contact address of the ACME account",
                   [](Options& o, const std::string& v) {
                     o.acme_email = v;
                     return std::nullopt;
                   }},
                  {"--acme-ca-file", "PATH",
                   "PEM CA that signs a private ACME server's API certificate",
                   [](Options& o, const std::string& v) {
                     o.acme_ca_file = v;
                     return std::nullopt;
                   }},
                  {"--acme-storage", "DIR",
                   "manifest mode: where the ACME account and certificates are kept (cluster: "
                   "Secrets)",
                   [](Options& o, const std::string& v) {
                     o.acme_storage = v;
                     return std::nullopt;
                   }},
                  {"--hsts-max-age", "DURATION",
                   "send Strict-Transport-Security with this max-age on HTTPS (default: none)",
                   [](Options& o, const std::string& v) -> std::optional<Failure> {
                     auto parsed = parse_duration(v);
                     if (!parsed) {
                       return Failure{parsed.error()};
                     }
                     const auto seconds =
                         std::chrono::duration_cast<std::chrono::seconds>(*parsed).count();
                     o.proxy.hsts_header = seconds > 0 ? "max-age=" + std::to_string(seconds) : "";
                     return std::nullopt;
                   }},
                  {"--election-id", "NAME",
                   "name of the leader-election Lease (default portico-leader)",
                   [](Options& o, const std::string& v) {
                     o.election_id = v;
                     return std::nullopt;
                   }},
                  {"--http-listen", "HOST:PORT", "plain HTTP listener (default 0.0.0.0:80)",
                   [](Options& o, const std::string& v) {
                     return set_host_port(o.http_listen, v);
                   }},
                  {"--https-listen", "HOST:PORT",
                   "TLS listener, certificates chosen by SNI (default 0.0.0.0:443)",
                   [](Options& o, const std::string& v) {
                     return set_host_port(o.https_listen, v);
                   }},
                  {"--admin-listen", "HOST:PORT",
                   "/healthz, /readyz, /metrics, /debug/, the dashboard at / (default "
                   "0.0.0.0:10254)",
                   [](Options& o, const std::string& v) {
                     return set_host_port(o.admin_listen, v);
                   }},
                  {"--workers", "N", "proxy worker threads (default: number of CPUs)",
                   [](Options& o, const std::string& v) -> std::optional<Failure> {
                     unsigned n = 0;
                     const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                     if (ec != std::errc{} || end != v.data() + v.size() || n < 1 || n > 1024) {
                       return Failure{"expected a number of workers from 1 to 1024, got \"" + v +
                                      "\""};
                     }
                     o.workers = n;
                     return std::nullopt;
                   }},
                  {"--controller-name", "NAME",
                   "IngressClass controller served (default portico.dev/ingress-controller)",
                   [](Options& o, const std::string& v) {
                     o.translation.controller_name = v;
                     return std::nullopt;
                   }},
                  {"--ingress-class", "NAME",
                   "class name for the legacy kubernetes.io/ingress.class annotation (default "
                   "portico)",
                   [](Options& o, const std::string& v) {
                     o.translation.ingress_class = v;
                     return std::nullopt;
                   }},
                  {"--default-backend-service", "NS/NAME",
                   "Service (its first port) answering requests no rule matches, when no "
                   "Ingress has a spec.defaultBackend (default: 404)",
                   [](Options& o, const std::string& v) {
                     return set_namespaced_name(o.translation.default_backend_service, v);
                   }},
                  {"--configmap", "NS/NAME",
                   "ingress-nginx's global ConfigMap: its keys apply to every Ingress (an "
                   "annotation wins); watched",
                   [](Options& o, const std::string& v) {
                     return set_namespaced_name(o.translation.configmap, v);
                   }},
                  {"--gateway-controller-name", "NAME",
                   "GatewayClass controllerName served (default portico.dev/gateway-controller)",
                   [](Options& o, const std::string& v) {
                     o.translation.gateway.controller_name = v;
                     return std::nullopt;
                   }},
                  {"--gateway-http-port", "PORT",
                   "Gateway listener port served by the HTTP listener (default 80)",
                   [](Options& o, const std::string& v) {
                     return set_number(o.translation.gateway.http_port, v, 1, 65535);
                   }},
                  {"--gateway-https-port", "PORT",
                   "Gateway listener port served by the HTTPS listener (default 443)",
                   [](Options& o, const std::string& v) {
                     return set_number(o.translation.gateway.https_port, v, 1, 65535);
                   }},
                  {"--watch-ingress-without-class", nullptr,
                   "also serve Ingresses that name no class",
                   [](Options& o, const std::string&) {
                     o.translation.watch_without_class = true;
                     return std::nullopt;
                   }},
                  {"--upstream-connect-timeout", "DURATION",
                   "upstream connect timeout (default 5s; then 504)",
                   [](Options& o, const std::string& v) {
                     return set_duration(o.proxy.upstream_connect_timeout, v);
                   }},
                  {"--upstream-response-timeout", "DURATION",
                   "time to wait for upstream bytes (default 60s; then 504)",
                   [](Options& o, const std::string& v) {
                     return set_duration(o.proxy.upstream_response_timeout, v);
                   }},
                  {"--upstream-send-timeout", "DURATION",
                   "time to wait while sending to an upstream (default 60s; then 504)",
                   [](Options& o, const std::string& v) {
                     return set_duration(o.proxy.upstream_send_timeout, v);
                   }},
                  {"--client-header-timeout", "DURATION",
                   "time a client has to send a request head (default 60s; slowloris guard)",
                   [](Options& o, const std::string& v) {
                     return set_duration(o.proxy.client_header_timeout, v);
                   }},
                  {"--client-idle-timeout", "DURATION",
                   "keep-alive: close a client connection idle this long (default 60s)",
                   [](Options& o, const std::string& v) {
                     return set_duration(o.proxy.client_idle_timeout, v);
                   }},
                  {"--tunnel-idle-timeout", "DURATION",
                   "close a WebSocket (Upgrade) tunnel idle this long in both directions (default "
                   "1h)",
                   [](Options& o, const std::string& v) {
                     return set_duration(o.proxy.tunnel_idle_timeout, v);
                   }},
                  {"--max-request-line", "SIZE", "longest request line (default 8k; then 414)",
                   [](Options& o, const std::string& v) {
                     return set_size(o.proxy.max_request_line_bytes, v, 64);
                   }},
                  {"--max-header-size", "SIZE", "largest request head (default 32k; then 431)",
                   [](Options& o, const std::string& v) {
                     return set_size(o.proxy.max_header_bytes, v, 1024);
                   }},
                  {"--max-header-fields", "N",
                   "most header fields in a request (default 100; then 431)",
                   [](Options& o, const std::string& v) {
                     return set_number(o.proxy.max_header_fields, v, 8, 10'000);
                   }},
                  {"--http2-max-concurrent-streams", "N",
                   "HTTP/2 streams a client may have open on one connection (default 128)",
                   [](Options& o, const std::string& v) {
                     return set_number(o.proxy.http2_max_concurrent_streams, v, 1, 1'000);
                   }},
                  {"--max-body-size", "SIZE",
                   "largest request body (default 0: unlimited; then 413); per Ingress: "
                   "proxy-body-size",
                   [](Options& o, const std::string& v) {
                     return set_size(o.proxy.max_body_bytes, v, 1);
                   }},
                  {"--shutdown-delay", "DURATION",
                   "after SIGTERM, keep accepting this long (default 5s)",
                   [](Options& o, const std::string& v) {
                     return set_duration(o.shutdown_delay, v);
                   }},
                  {"--shutdown-timeout", "DURATION",
                   "after SIGTERM, exit within this long (default 30s)",
                   [](Options& o, const std::string& v) {
                     return set_duration(o.shutdown_timeout, v);
                   }},
                  {"--log-format", "text|json", "log line format on stderr (default text)",
                   [](Options& o, const std::string& v) -> std::optional<Failure> {
                     if (v != "text" && v != "json") {
                       return Failure{"expected text or json, got \"" + v + "\""};
                     }
                     o.log_format = v == "json" ? log::Format::Json : log::Format::Text;
                     return std::nullopt;
                   }},
                  {"--log-level", "LEVEL", "debug, info, warn or error (default info)",
                   [](
                       Options& o, const std::string& v) -> std::
                                                             optional<Failure> {
                                                               const std::pair<const char*,
                                                                               log::Level>
                                                                   levels[] = {
                                                                       {"debug", log::Level::Debug},
                                                                       {"info", log::Level::Info},
                                                                       {"warn", log::Level::Warn},
                                                                       {"error",
                                                                        log::Level::Error}};
                                                               for (const auto& [name, level] :
                                                                    levels) {
                                                                 if (v == name) {
                                                                   o.log_level = level;
                                                                   return std::nullopt;
                                                                 }
                                                               }
                                                               return Failure{
                                                                   "expected debug, info, warn or "
                                                                   "error, got \"" +
                                                                   v + "\""};
                                                             }},
                  {"--access-log", nullptr,
                   "one JSON line per request on stderr (default: on with --log-format json)",
                   [](Options& o, const std::string&) {
                     o.access_log = true;
                     return std::nullopt;
                   }},
                  {"--proxy-protocol", nullptr,
                   "every connection starts with a PROXY protocol v1/v2 header (from a load "
                   "balancer); its address is the client's, and a connection without one is "
                   "closed",
                   [](Options& o, const std::string&) {
                     o.proxy.proxy_protocol = true;
                     return std::nullopt;
                   }},
                  {"--enable-ssl-passthrough", nullptr,
                   "honour ssl-passthrough: TLS connections to those hosts are relayed untouched "
                   "(the HTTPS listener reads each ClientHello's SNI first)",
                   [](Options& o, const std::string&) {
                     o.proxy.ssl_passthrough = true;
                     o.translation.ssl_passthrough = true;
                     return std::nullopt;
                   }},
                  {"--no-access-log", nullptr, "no access log, whatever the log format",
                   [](Options& o, const std::string&) {
                     o.access_log = false;
                     return std::nullopt;
                   }},
                  {"--no-dashboard", nullptr,
                   "no dashboard at / on the admin listener (its JSON under /debug/ stays)",
                   [](Options& o, const std::string&) {
                     o.dashboard = false;
                     return std::nullopt;
                   }},
                  {"--help", nullptr, "print this help and exit",
                   [](Options& o, const std::string&) {
                     o.show_help = true;
                     return std::nullopt;
                   }},
                  {"--version", nullptr, "print the version and exit",
                   [](Options& o, const std::string&) {
                     o.show_version = true;
                     return std::nullopt;
                   }},
              };
  return all;
}

}  // namespace

Expected<Options> parse_options(const std::vector<std::string>& args) {
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (const auto eq = name.find('='); name.starts_with("--") && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const Flag* flag = nullptr;
    for (const auto& f : flags()) {
      if (name == f.name) {
        flag = &f;
      }
    }
    if (flag == nullptr) {
      return fail("unknown flag " + name + " (see --help)");
    }
    if (flag->value_name != nullptr && !value) {
      if (i + 1 >= args.size()) {
        return fail(name + " needs a value: " + flag->value_name);
      }
      value = args[++i];
    }
    if (flag->value_name == nullptr && value) {
      return fail(name + " takes no value");
    }
    if (auto failure = flag->apply(options, value.value_or(""))) {
      return fail(name + ": " + failure->reason);
    }
  }
  if (options.show_help || options.show_version) {
    return options;
  }
  if (!options.kubeconfig.empty() && !options.manifests.empty()) {
    return fail("give either --manifests or --kubeconfig, not both");
  }
  if (options.default_cert_file.empty() != options.default_key_file.empty()) {
    return fail("--default-cert-file and --default-key-file go together");
  }
  if (!options.publish_addresses.empty() && !options.publish_service.empty()) {
    return fail("give either --publish-address or --publish-service, not both");
  }
  if (!options.acme_directory.empty() && !options.manifests.empty() &&
      options.acme_storage.empty()) {
    return fail("--acme-directory in manifest mode needs --acme-storage DIR");
  }
  options.proxy.access_log = options.access_log.value_or(options.log_format == log::Format::Json);
  if (options.workers == 0) {
    options.workers = std::max(1u, std::thread::hardware_concurrency());
  }
  return options;
}

std::string usage() {
  std::string text =
      "Usage: portico [flags]\n"
      "       portico explain --manifests PATH [flags] URL\n"
      "       portico migrate (--manifests PATH | --kubeconfig PATH) [flags]\n"
      "Kubernetes ingress controller and reverse proxy. Routing state comes from --manifests\n"
      "files, or from the API server (--kubeconfig, or in-cluster configuration). `explain`\n"
      "prints, as JSON, where a request for URL would go and why (live: /debug/explain).\n"
      "`migrate` reports what Portico would make of each Ingress's ingress-nginx annotations,\n"
      "and exits 1 when one would fail closed.\n"
      "\nFlags:\n";
  for (const auto& f : flags()) {
    std::string left =
        std::string("  ") + f.name + (f.value_name ? std::string(" ") + f.value_name : "");
    left.resize(std::max<std::size_t>(left.size() + 2, 44), ' ');
    text += left + f.help + "\n";
  }
  return text;
}

}  // namespace portico
