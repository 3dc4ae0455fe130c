#include "proxy/admin/explain.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/verb.hpp>
#include <ctime>
#include <nlohmann/json.hpp>

#include "proxy/exchange/request_head.hpp"
#include "proxy/exchange/request_values.hpp"
#include "proxy/upstream/load_balancer.hpp"

namespace portico {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using json = nlohmann::ordered_json;

std::string endpoint_text(const Endpoint& endpoint) {
  return endpoint.address.to_string() + ":" + std::to_string(endpoint.port);
}

std::string utc_text(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// Whether a rule, as the table stores it, matches `path`: the predicate form of what
// VirtualHost::match looks up, to list every candidate and not only the winner.
bool rule_matches(PathMatch match, std::string_view rule, std::string_view path) {
  switch (match) {
    case PathMatch::Exact:
      return rule == path;
    case PathMatch::Regex: {
      const auto regex = PathRegex::compile(rule);
      PathCaptures ignored;
      return regex && regex->match(path, ignored);
    }
    case PathMatch::Prefix: {
      while (rule.ends_with('/')) {
        rule.remove_suffix(1);
      }
      while (path.ends_with('/')) {
        path.remove_suffix(1);
      }
      return rule.empty() || path == rule || (path.starts_with(rule) && path[rule.size()] == '/');
    }
  }
  return false;
}

std::string balancing_of(const RoutePolicy* policy, const Cluster& cluster, std::string_view host,
                         const RequestHead& target, std::string_view request_uri) {
  if (policy != nullptr && policy->affinity) {
    return "sticky cookie " + policy->affinity->name +
           ": a request carrying it goes to the endpoint it names; others round robin and get one";
  }
  if (policy != nullptr && policy->hash_by) {
    using Source = HashKey::Source;
    const auto source = policy->hash_by->source;
    std::string_view key;
    if (source == Source::RequestUri) {
      key = request_uri;
    } else if (source == Source::Uri) {
      key = target.path();
    } else if (source == Source::Host) {
      key = host;
    } else {
      return "hash of a request value (upstream-hash-by): depends on the client's request";
    }
    const LoadBalancer fresh(0);
    const Endpoint* chosen = fresh.pick_by_hash(cluster, LoadBalancer::hash(key),
                                                LoadBalancer::Clock::now());
    return "hash of the request (upstream-hash-by): this URL goes to " +
           (chosen != nullptr ? endpoint_text(*chosen) : std::string("none"));
  }
  if (policy != nullptr && policy->balance == Balance::Ewma) {
    return "ewma: the faster (recent response times) of two random endpoints";
  }
  return "round robin: the next endpoint in turn on the worker the connection lands on";
}

json describe_backend(const Snapshot& snapshot, std::uint32_t cluster_id, const RoutePolicy* policy,
                      std::string_view host, const RequestHead& target,
                      std::string_view request_uri) {
  const Cluster* cluster = snapshot.clusters->find(cluster_id);
  if (cluster == nullptr) {
    return {{"service", nullptr}};
  }
  json endpoints = json::array();
  for (const auto& endpoint : cluster->endpoints) {
    endpoints.push_back(endpoint_text(endpoint));
  }
  const auto protocol = upstream_protocol(
      policy != nullptr ? policy->backend_protocol : BackendProtocol::Http, cluster->h2c);
  return {{"service", cluster->name},
          {"protocol", protocol.name()},
          {"endpoints", endpoints},
          {"picked", cluster->endpoints.empty()
                         ? std::string("no usable endpoint: 503")
                         : balancing_of(policy, *cluster, host, target, request_uri)}};
}

}  // namespace

Expected<std::string> explain_request(const Snapshot& snapshot, const ExplainInput& input,
                                      std::uint16_t https_port) {
  const std::string_view url = input.url;
  const bool tls = url.starts_with("https://");
  if (!tls && !url.starts_with("http://")) {
    return fail("expected an http:// or https:// URL");
  }
  const std::string_view rest = url.substr(tls ? 8 : 7);
  const auto slash = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, slash);
  std::string request_uri(slash == std::string_view::npos ? "/" : rest.substr(slash));
  if (request_uri.front() == '?') {
    request_uri.insert(0, "/");
  }
  RequestHeader head;
  const http::verb method = http::string_to_verb(input.method);
  if (method == http::verb::unknown) {
    return fail("\"" + input.method + "\" is not an HTTP method Portico knows");
  }
  std::optional<boost::asio::ip::address> client;
  if (!input.client.empty()) {
    boost::system::error_code ec;
    client = boost::asio::ip::make_address(input.client, ec);
    if (ec) {
      return fail("client \"" + input.client + "\" is not an IP address");
    }
  }
  head.method(method);
  head.target(request_uri);
  head.version(11);
  head.set(http::field::host, authority);
  for (const auto& [name, value] : input.headers) {
    if (name.empty() || beast::iequals(name, "host")) {
      return fail("header \"" + name + "\": give the host in the URL");
    }
    head.insert(name, value);
  }
  RequestHead target;
  const ProxySettings limits;  // the flags' defaults
  json out;
  out["url"] = std::string(url);
  if (const Fault fault = vet_request_head(head, false, limits, target); fault != Fault::None) {
    out["outcome"] = std::to_string(status_for(fault)) + ": the request itself is refused";
    return out.dump(2) + "\n";
  }
  out["request"] = {{"method", std::string(head.method_string())},
                    {"scheme", tls ? "https" : "http"},
                    {"host", std::string(target.host)},
                    {"path", std::string(target.path())},
                    {"client", client ? client->to_string() : "not given"}};
  out["generation"] = snapshot.generation;
  std::string outcome;
  if (tls) {
    if (const std::uint32_t* passed = snapshot.routes->passthrough_cluster(target.host)) {
      const ClusterPtr& cluster = snapshot.clusters->at(*passed);
      out["outcome"] = "TLS relayed untouched to " + (cluster ? cluster->name : "no backend") +
                       " (ssl-passthrough): its certificate and routing are the backend's";
      return out.dump(2) + "\n";
    }
    const TlsContext& certificate = snapshot.certs->select(target.host);
    out["certificate"] = {{"source", certificate.origin()},
                          {"notAfter", utc_text(certificate.not_after())}};
    if (const ClientAuthPtr& client_auth = snapshot.certs->client_auth(target.host)) {
      static constexpr const char* Modes[] = {"on", "optional", "optional_no_ca"};
      const ClientAuth::Settings& asked = client_auth->settings();
      out["clientCertificate"] = {{"verify", Modes[static_cast<int>(asked.verify)]},
                                  {"depth", asked.depth},
                                  {"matchCN", asked.match_cn_text},
                                  {"errorPage", asked.error_page},
                                  {"passedToBackend", asked.pass_certificate}};
    }
  } else if (snapshot.certs->redirects(target.host)) {
    outcome = "308 redirect to " + https_location(target, https_port) +
              " (the host is in a spec.tls; ssl-redirect)";
  }

  const RouteTable& routes = *snapshot.routes;
  const HostSelection selected = routes.select_host(target.host);
  const VirtualHost* vhost = selected.ingress;
  const HeadFacts facts(head, target, tls);
  json candidates = json::array();
  const RouteMatch match = routes.match(target.host, target.path(), facts);
  if (selected.gateway != nullptr) {
    const std::string& name = selected.gateway->name();
    out["virtualHost"] = {{"rules", name.empty() ? "*" : name},
                          {"why", "a hostname of Gateway API routes (HTTPRoute)"}};
    if (routes.ingress_host_named(target.host)) {
      out["shadowedIngressHost"] =
          "an Ingress also names this host: the HTTPRoute rules serve it, the Ingress rules "
          "do not";
    }
    // Already in the specification's precedence order.
    for (const GatewayRule& rule : selected.gateway->rules()) {
      candidates.push_back({{"path", rule.path.empty() ? std::string("/") : rule.path},
                            {"method", rule.method.empty() ? "any" : rule.method},
                            {"headers", rule.headers.size()},
                            {"queryParams", rule.query.size()},
                            {"route", rule.action.ingress},
                            {"chosen", &rule.action == match.action}});
    }
  } else if (vhost != nullptr) {
    const std::string& name = vhost->name();
    out["virtualHost"] = {
        {"rules", name.empty() ? "*" : name},
        {"why", name.empty()                ? "no rule names this host: the host-less rules apply"
                : name.starts_with("*.")    ? "wildcard host, one label deep"
                                            : "exact host"}};
    // In precedence order: Exact, then regexes longest first, then Prefix longest first.
    std::vector<json> prefixes;
    vhost->for_each_rule([&](PathMatch kind, std::string_view path, const RouteAction& action) {
      if (!rule_matches(kind, path, target.path())) {
        return;
      }
      json candidate = {{"path", std::string(path)},
                        {"pathType", std::string(path_match_name(kind))},
                        {"ingress", action.ingress},
                        {"chosen", &action == match.action}};
      (kind == PathMatch::Prefix ? prefixes : candidates.get_ref<json::array_t&>())
          .push_back(std::move(candidate));
    });
    std::stable_sort(prefixes.begin(), prefixes.end(), [](const json& a, const json& b) {
      return a["path"].get_ref<const std::string&>().size() >
             b["path"].get_ref<const std::string&>().size();
    });
    for (auto& prefix : prefixes) {
      candidates.push_back(std::move(prefix));
    }
  } else {
    out["virtualHost"] = nullptr;
  }
  out["candidates"] = candidates;
  if (match.action == nullptr) {
    out["decision"] = selected ? "no rule of this host matches the request, no default backend"
                               : "no rule for this host, no default backend";
    out["outcome"] = outcome.empty() ? "404: no route" : outcome;
    return out.dump(2) + "\n";
  }
  const RouteAction& action = *match.action;
  const bool is_default = action.ingress.empty() ||
                          std::none_of(candidates.begin(), candidates.end(),
                                       [](const json& c) { return c["chosen"].get<bool>(); });
  const char* default_source = action.ingress == DefaultBackendServiceSource
                                   ? "--default-backend-service; no Ingress has a "
                                     "spec.defaultBackend"
                                   : "spec.defaultBackend of the oldest Ingress with one";
  out["decision"] =
      is_default ? "no rule of this host matches: the default backend (" +
                       std::string(default_source) + ")"
      : selected.gateway != nullptr
          ? "the first HTTPRoute rule, in the Gateway API's precedence order (Exact path, the "
            "longest prefix, a method, the most headers, the most query parameters, the oldest "
            "route), whose every match holds"
      : candidates.size() == 1 ? "the only rule that matches"
                               : "the first of the matching rules in precedence order (Exact, "
                                 "then regex paths longest first, then the longest Prefix; on a "
                                 "tie the oldest Ingress)";
  const RoutePolicy* policy = action.policy.get();
  static const RoutePolicy no_policy;
  out["route"] = {
      {"ingress", action.ingress},
      {"sentUpstreamAs",
       upstream_target_for(policy != nullptr ? *policy : no_policy, target, match.captures)}};
  // A Gateway API rule's share of requests each backend takes; the cluster named in the
  // outcome is the first one that can serve.
  std::uint32_t served_by = action.cluster_id;
  if (action.weighted) {
    json backends = json::array();
    served_by = UnresolvedCluster;
    for (const WeightedCluster& choice : action.weighted->choices) {
      json described =
          describe_backend(snapshot, choice.cluster_id, policy, target.host, target, request_uri);
      described["weight"] = choice.weight;
      if (choice.cluster_id == UnresolvedCluster) {
        described["service"] = "unresolved: its share of requests is answered 500";
      } else if (served_by == UnresolvedCluster && choice.weight > 0) {
        served_by = choice.cluster_id;
      }
      backends.push_back(std::move(described));
    }
    out["backends"] = std::move(backends);
  } else {
    out["backend"] =
        describe_backend(snapshot, action.cluster_id, policy, target.host, target, request_uri);
  }
  if (action.canary) {
    const Canary& canary = *action.canary;
    json described = describe_backend(snapshot, canary.cluster_id, policy, target.host, target,
                                      request_uri);
    described["ingress"] = canary.ingress;
    const auto decided = canary_by_request(canary, head);
    described["takesThisRequest"] =
        decided ? json(*decided ? "yes: the request's header or cookie says so"
                                : "no: the request's header or cookie says so")
                : json("by weight: " + std::to_string(canary.weight) + " in " +
                       std::to_string(canary.weight_total));
    described["when"] =
        (canary.header.empty() ? std::string()
                               : "header " + canary.header + " is " +
                                     (canary.header_value.empty() ? std::string("\"always\"")
                                                                  : "\"" + canary.header_value +
                                                                        "\"") +
                                     "; ") +
        (canary.cookie.empty() ? std::string() : "cookie " + canary.cookie + " is \"always\"; ") +
        "else " + std::to_string(canary.weight) + " in " + std::to_string(canary.weight_total) +
        " requests";
    out["canary"] = described;
  }
  json annotations = json::array();
  if (const auto it = snapshot.notes->find(action.ingress); it != snapshot.notes->end()) {
    for (const auto& note : it->second) {
      annotations.push_back(
          {{"annotation", note.annotation}, {"value", note.value}, {"verdict", note.verdict}});
    }
  }
  out["annotations"] = annotations;
  if (outcome.empty() && policy != nullptr) {
    const PolicyAnswer answer =
        policy_answer(*policy, tls, target, authority, request_uri, https_port);
    if (answer.fault == Fault::Misconfigured) {
      outcome = "503: an access annotation of this Ingress is invalid, so it fails closed";
    } else if (answer.fault == Fault::Redirect) {
      outcome = std::to_string(answer.status) + " redirect to " + answer.location;
    }
  }
  // As the data plane orders its checks: the client's address before credentials and endpoints.
  if (outcome.empty() && client && policy != nullptr &&
      judge_address(*policy, *client) == AddressVerdict::Refused) {
    outcome =
        "403: the client's address is outside the Ingress's allowed source ranges or "
        "within its denied ones";
  }
  if (outcome.empty() && served_by == UnresolvedCluster) {
    outcome = "500: the rule has no backend that can be resolved";
  }
  if (outcome.empty()) {
    const Cluster* cluster = snapshot.clusters->find(served_by);
    if (cluster == nullptr || cluster->endpoints.empty()) {
      outcome = "503: the Service has no usable endpoint";
    } else {
      outcome = "proxied to " + cluster->name;
      if (action.weighted && action.weighted->choices.size() > 1) {
        outcome += " or another of the rule's backends, by weight";
      }
      // Without a client address, either way is possible.
      if (!client && policy != nullptr && policy->denied_sources) {
        outcome += ", except for clients within the denied source ranges (403)";
      }
      if (!client && policy != nullptr && policy->allowed_sources) {
        outcome += ", for clients within the allowed source ranges (others 403)";
      }
      if (policy != nullptr && policy->basic_auth) {
        outcome += ", with valid Basic credentials (else 401)";
      }
      if (policy != nullptr && policy->rate_limits) {
        const auto& limits = policy->rate_limits->settings();
        outcome +=
            ", within its limits per client address (" +
            (limits.rps != 0 ? std::to_string(limits.rps) + " requests/s, " : "") +
            (limits.rpm != 0 ? std::to_string(limits.rpm) + " requests/min, " : "") +
            (limits.connections != 0 ? std::to_string(limits.connections) + " at a time, " : "") +
            "else 503)";
      }
      if (policy != nullptr && policy->external_auth) {
        outcome += std::string(", once its auth service (auth-url) answers 2xx (401: ") +
                   (policy->external_auth->signin ? "a redirect to sign in" : "401") +
                   ", 403: 403, else 500)" +
                   (policy->external_auth->caching
                        ? ", its answers kept a while by each worker (auth-cache-key)"
                        : "");
      }
      if (policy != nullptr && policy->bandwidth) {
        outcome += ", the response body sent at most " +
                   std::to_string(policy->bandwidth->bytes_per_second / 1024) + " KiB/s after " +
                   std::to_string(policy->bandwidth->after / 1024) + " KiB (limit-rate)";
      }
      if (policy != nullptr && policy->satisfy_any && policy->allowed_sources &&
          (policy->basic_auth || policy->external_auth)) {
        outcome +=
            "; satisfy any: clients within the allowed source ranges need no credentials, "
            "others may come in with them";
      }
    }
  }
  out["outcome"] = outcome;
  return out.dump(2) + "\n";
}

}  // namespace portico
