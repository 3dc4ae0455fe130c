#include "config/gateway_translator.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>

#include "config/gateway_rules.hpp"
#include "proxy/common/log.hpp"

namespace portico {
namespace {

constexpr std::string_view GatewayGroup = "gateway.networking.k8s.io";

// "*.example.com" covers "a.example.com", "a.b.example.com" and "*.a.example.com".
bool covers(const std::string& wildcard, const std::string& name) {
  if (!wildcard.starts_with("*.")) {
    return false;
  }
  const std::string_view suffix = std::string_view(wildcard).substr(1);  // ".example.com"
  const std::string_view bare = name.starts_with("*.") ? std::string_view(name).substr(1) : name;
  return bare.size() > suffix.size() && bare.ends_with(suffix);
}

// A listener as Portico serves it, with what routes attached to it.
struct ListenerState {
  const k8s::Gateway* gateway = nullptr;
  const k8s::Listener* spec = nullptr;
  bool served = false;  // Accepted: a protocol and port Portico serves
  bool https = false;
  k8s::ListenerStatus status;
  std::set<std::string> route_hostnames;  // of the attached routes, for its certificate
  // HTTPS: the Secret "namespace/name" it may use. Named even while the Secret is missing:
  // its hosts get the default certificate until it exists.
  std::string certificate_secret;
};

k8s::Condition condition(const char* type, bool status, const char* reason,
                         std::string message = "") {
  return {type, status, reason, std::move(message)};
}

bool allows_namespace(const ObjectCache& cache, const k8s::Listener& listener,
                      const k8s::Gateway& gateway, const std::string& route_namespace) {
  switch (listener.from) {
    case k8s::RouteNamespaces::All:
      return true;
    case k8s::RouteNamespaces::Same:
      return route_namespace == gateway.meta.namespace_;
    case k8s::RouteNamespaces::Selector: {
      // matchLabels: every label given, with that value.
      const auto* ns = cache.find<k8s::Namespace>(k8s::Kind::Namespace, route_namespace);
      return ns != nullptr &&
             std::all_of(listener.namespace_selector.begin(), listener.namespace_selector.end(),
                         [&](const auto& label) {
                           const auto it = ns->meta.labels.find(label.first);
                           return it != ns->meta.labels.end() && it->second == label.second;
                         });
    }
  }
  return false;
}

// The route kinds HTTP and HTTPS listeners serve.
constexpr std::array<std::string_view, 2> RouteKinds = {"HTTPRoute", "GRPCRoute"};

bool allows_kind(const k8s::Listener& listener, std::string_view route_kind) {
  return listener.kinds.empty() ||
         std::any_of(listener.kinds.begin(), listener.kinds.end(), [&](const auto& kind) {
           return kind.group == GatewayGroup && kind.kind == route_kind;
         });
}

// Judges one listener: served or why not, and its certificate.
ListenerState judge_listener(const ObjectCache& cache, const GatewaySettings& settings,
                             const k8s::Gateway& gateway, const k8s::Listener& listener) {
  ListenerState state{&gateway, &listener};
  state.status.name = listener.name;
  auto& conditions = state.status.conditions;
  const bool http = listener.protocol == "HTTP";
  const bool https = listener.protocol == "HTTPS";
  if (!http && !https) {
    conditions = {condition("Accepted", false, "UnsupportedProtocol",
                            "Portico serves HTTP and HTTPS listeners"),
                  condition("Programmed", false, "Invalid"),
                  condition("ResolvedRefs", true, "ResolvedRefs")};
    return state;
  }
  if (listener.port != (http ? settings.http_port : settings.https_port)) {
    conditions = {condition("Accepted", false, "PortUnavailable",
                            std::string("Portico serves ") + (http ? "HTTP" : "HTTPS") +
                                " listeners on port " +
                                std::to_string(http ? settings.http_port : settings.https_port)),
                  condition("Programmed", false, "Invalid"),
                  condition("ResolvedRefs", true, "ResolvedRefs")};
    return state;
  }
  for (const std::string_view kind : RouteKinds) {
    if (allows_kind(listener, kind)) {
      state.status.supported_kinds.push_back({std::string(GatewayGroup), std::string(kind)});
    }
  }
  k8s::Condition resolved = condition("ResolvedRefs", true, "ResolvedRefs");
  if (listener.kinds.size() > state.status.supported_kinds.size()) {
    resolved = condition("ResolvedRefs", false, "InvalidRouteKinds",
                         "Portico serves HTTPRoute and GRPCRoute");
  }
  if (https && listener.tls_mode != "Terminate") {
    conditions = {condition("Accepted", false, "UnsupportedValue",
                            "Portico terminates TLS: tls.mode must be Terminate"),
                  condition("Programmed", false, "Invalid"), resolved};
    return state;
  }
  if (https) {
    const k8s::ObjectReference* ref =
        listener.certificate_refs.empty() ? nullptr : &listener.certificate_refs.front();
    const std::string ns =
        ref == nullptr || ref->namespace_.empty() ? gateway.meta.namespace_ : ref->namespace_;
    if (ref == nullptr || !ref->group.empty() || ref->kind != "Secret") {
      resolved = condition("ResolvedRefs", false, "InvalidCertificateRef",
                           "an HTTPS listener needs a certificateRef to a Secret");
    } else if (!reference_permitted(cache, GatewayGroup, "Gateway", gateway.meta.namespace_, "",
                                    "Secret", ns, ref->name)) {
      resolved = condition(
          "ResolvedRefs", false, "RefNotPermitted",
          "Secret " + ns + "/" + ref->name + ": no ReferenceGrant in its namespace allows it");
    } else {
      state.certificate_secret = ns + "/" + ref->name;
      if (cache.find<k8s::Secret>(k8s::Kind::Secret, state.certificate_secret) == nullptr) {
        resolved = condition("ResolvedRefs", false, "InvalidCertificateRef",
                             "Secret " + state.certificate_secret + " does not exist");
      }
    }
  }
  state.served = true;
  state.https = https;
  conditions = {condition("Accepted", true, "Accepted"),
                resolved.status ? condition("Programmed", true, "Programmed")
                                : condition("Programmed", false, "Invalid"),
                resolved};
  return state;
}

// How far a route got with one parent, in order: the furthest wins the parent's Accepted
// condition.
enum class Attachment {
  NoMatchingParent,
  NotAllowedByListeners,
  NoMatchingListenerHostname,
  Accepted
};

k8s::Condition attachment_condition(Attachment attachment) {
  switch (attachment) {
    case Attachment::NoMatchingParent:
      return condition("Accepted", false, "NoMatchingParent",
                       "no listener of the Gateway has this sectionName and port");
    case Attachment::NotAllowedByListeners:
      return condition(
          "Accepted", false, "NotAllowedByListeners",
          "the listeners do not take this route's namespace or kind, or are not served");
    case Attachment::NoMatchingListenerHostname:
      return condition("Accepted", false, "NoMatchingListenerHostname",
                       "no hostname of the route intersects a listener's");
    case Attachment::Accepted:
      return condition("Accepted", true, "Accepted");
  }
  return condition("Accepted", true, "Accepted");
}

// A listener judged servable that is not served after all: it takes no route, and says why.
void stop_serving(ListenerState& listener, const std::string& why) {
  listener.served = false;
  listener.certificate_secret.clear();
  for (auto& c : listener.status.conditions) {
    if (c.type == "Programmed") {
      c = condition("Programmed", false, "Invalid", why);
    }
  }
}

// Served listeners of one Gateway with the same port and hostname: the first one serves, the
// later ones are Conflicted (HostnameConflict) and not programmed. Every other listener says
// it has no conflict.
void mark_conflicts(std::vector<ListenerState>& listeners) {
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    ListenerState& listener = listeners[i];
    const bool conflicted =
        listener.served &&
        std::any_of(listeners.begin(), listeners.begin() + static_cast<std::ptrdiff_t>(i),
                    [&](const ListenerState& earlier) {
                      return earlier.served && earlier.spec->port == listener.spec->port &&
                             earlier.spec->hostname == listener.spec->hostname;
                    });
    if (!conflicted) {
      listener.status.conditions.push_back(condition("Conflicted", false, "NoConflicts"));
      continue;
    }
    stop_serving(listener, "another listener has this port and hostname");
    listener.status.conditions.push_back(condition("Conflicted", true, "HostnameConflict",
                                                   "another listener has this port and hostname"));
  }
}

// A rule ready for the table, with what decides its precedence.
struct Candidate {
  std::string host;
  GatewayRule rule;
  int path_rank;  // Exact, then regex, then prefix
  std::size_t path_length;
  bool any_method;
  std::size_t headers;
  std::size_t query;
  std::int64_t created;
  std::string route_key;
  std::size_t rule_index;
  std::size_t match_index;
};

// Exact paths first, then regexes (implementation-specific: Portico puts them between), then
// prefixes.
int path_rank(GatewayPath match) {
  switch (match) {
    case GatewayPath::Exact:
      return 0;
    case GatewayPath::Regex:
      return 1;
    case GatewayPath::Prefix:
      return 2;
  }
  return 2;
}

bool precedes(const Candidate& a, const Candidate& b) {
  // More specific first: a longer path, a method, more headers and parameters; then the oldest.
  return std::tie(a.path_rank, b.path_length, a.any_method, b.headers, b.query, a.created,
                  a.route_key, a.rule_index, a.match_index) <
         std::tie(b.path_rank, a.path_length, b.any_method, a.headers, a.query, b.created,
                  b.route_key, b.rule_index, b.match_index);
}

k8s::GatewayStatus gateway_status(const k8s::Gateway* gateway,
                                  const std::vector<ListenerState>& listeners) {
  k8s::GatewayStatus out{
      gateway->meta.namespace_, gateway->meta.name, gateway->meta.generation, {}, {}};
  for (const ListenerState& listener : listeners) {
    out.listeners.push_back(listener.status);
  }
  if (gateway->spec.parameters_ref) {
    const auto& ref = *gateway->spec.parameters_ref;
    out.conditions = {condition("Accepted", false, "InvalidParameters",
                                "infrastructure.parametersRef " + ref.group + "/" + ref.kind + " " +
                                    ref.name + ": Portico takes no parameters"),
                      condition("Programmed", false, "Invalid")};
    return out;
  }
  const bool any_served = std::any_of(listeners.begin(), listeners.end(),
                                      [](const ListenerState& l) { return l.served; });
  const bool all_served = std::all_of(listeners.begin(), listeners.end(),
                                      [](const ListenerState& l) { return l.served; });
  out.conditions = {any_served
                        ? condition("Accepted", true, all_served ? "Accepted" : "ListenersNotValid")
                        : condition("Accepted", false, "ListenersNotValid",
                                    "no listener has a protocol and port Portico serves"),
                    any_served ? condition("Programmed", true, "Programmed")
                               : condition("Programmed", false, "Invalid")};
  return out;
}

}  // namespace

std::optional<std::string> intersect_hostnames(const std::string& listener,
                                               const std::string& route) {
  if (listener.empty() || listener == route) {
    return route;
  }
  if (route.empty()) {
    return listener;
  }
  if (covers(listener, route)) {
    return route;
  }
  if (covers(route, listener)) {
    return listener;
  }
  return std::nullopt;
}

GatewayTranslation GatewayTranslator::translate(const ObjectCache& cache, RouteTable& table,
                                                Translation& out, ClusterIds& ids) const {
  GatewayTranslation result;
  std::set<std::string> our_classes;
  for (const auto& [name, cached] : cache.of(k8s::Kind::GatewayClass)) {
    const auto& gateway_class = std::get<k8s::GatewayClass>(*cached.object);
    if (gateway_class.spec.controller_name == settings_.controller_name) {
      our_classes.insert(name);
      result.status.classes.push_back({name,
                                       gateway_class.meta.generation,
                                       {condition("Accepted", true, "Accepted"),
                                        condition("SupportedVersion", true, "SupportedVersion")}});
    }
  }
  // Our Gateways' listeners, in spec order, by Gateway key.
  struct GatewayState {
    const k8s::Gateway* gateway;
    std::vector<ListenerState> listeners;
  };
  std::map<std::string, GatewayState> gateways;
  for (const auto& [key, cached] : cache.of(k8s::Kind::Gateway)) {
    const auto& gateway = std::get<k8s::Gateway>(*cached.object);
    if (!our_classes.contains(gateway.spec.class_name)) {
      continue;
    }
    auto& state = gateways.try_emplace(key, GatewayState{&gateway, {}}).first->second;
    for (const auto& listener : gateway.spec.listeners) {
      state.listeners.push_back(judge_listener(cache, settings_, gateway, listener));
    }
    mark_conflicts(state.listeners);
    if (gateway.spec.parameters_ref) {
      // Not accepted: its listeners take no route and serve nothing.
      for (ListenerState& listener : state.listeners) {
        stop_serving(listener, "the Gateway is not accepted");
      }
    }
  }

  // Routes of both kinds, oldest first: the order every tie is decided in.
  struct Route {
    const CachedObject* cached;
    const std::string* key;
    RouteSource source;
    const k8s::HttpRouteSpec* spec;
  };
  std::vector<Route> routes;
  for (const auto& [key, cached] : cache.of(k8s::Kind::HttpRoute)) {
    const auto& route = std::get<k8s::HttpRoute>(*cached.object);
    routes.push_back({&cached, &key, {&route.meta, "HTTPRoute"}, &route.spec});
  }
  for (const auto& [key, cached] : cache.of(k8s::Kind::GrpcRoute)) {
    const auto& route = std::get<k8s::GrpcRoute>(*cached.object);
    routes.push_back({&cached, &key, {&route.meta, "GRPCRoute"}, &route.spec});
  }
  std::sort(routes.begin(), routes.end(), [](const Route& a, const Route& b) {
    return std::tie(a.cached->created, *a.key) < std::tie(b.cached->created, *b.key);
  });
  RuleTranslation rules{cache, settings_, out, ids};
  std::vector<Candidate> candidates;
  for (const Route& entry : routes) {
    const CachedObject* cached = entry.cached;
    const std::string* key = entry.key;
    const k8s::HttpRouteSpec& spec = *entry.spec;
    const k8s::ObjectMeta& meta = *entry.source.meta;
    k8s::HttpRouteStatus route_status{entry.source.grpc() ? "grpcroutes" : "httproutes",
                                      meta.namespace_,
                                      meta.name,
                                      meta.generation,
                                      {}};
    // hostname -> served on the HTTP port, on the HTTPS port
    std::map<std::string, std::pair<bool, bool>> hosts;
    for (const auto& parent : spec.parent_refs) {
      if (parent.group != GatewayGroup || parent.kind != "Gateway") {
        continue;
      }
      const std::string gateway_key =
          (parent.namespace_.empty() ? meta.namespace_ : parent.namespace_) + "/" + parent.name;
      const auto gateway = gateways.find(gateway_key);
      if (gateway == gateways.end()) {
        continue;  // not one of ours: another controller reports on it
      }
      k8s::RouteParentStatus parent_status{parent, {}};
      parent_status.parent.namespace_ = gateway_key.substr(0, gateway_key.find('/'));
      // The best a listener of this parent did for the route; a route attached to any one
      // is Accepted, else the reason is the furthest any listener got.
      Attachment best = Attachment::NoMatchingParent;
      for (ListenerState& listener : gateway->second.listeners) {
        if ((!parent.section_name.empty() && parent.section_name != listener.spec->name) ||
            (parent.port && *parent.port != listener.spec->port)) {
          continue;
        }
        if (!listener.served ||
            !allows_namespace(cache, *listener.spec, *listener.gateway, meta.namespace_) ||
            !allows_kind(*listener.spec, entry.source.kind)) {
          best = std::max(best, Attachment::NotAllowedByListeners);
          continue;
        }
        bool attached = false;
        const std::vector<std::string> wanted =
            spec.hostnames.empty() ? std::vector<std::string>{""} : spec.hostnames;
        for (const auto& hostname : wanted) {
          if (auto host = intersect_hostnames(listener.spec->hostname, hostname)) {
            auto& flags = hosts[*host];
            (listener.https ? flags.second : flags.first) = true;
            if (!host->empty()) {
              listener.route_hostnames.insert(*host);
            }
            attached = true;
          }
        }
        if (attached) {
          ++listener.status.attached_routes;
        }
        best = std::max(best,
                        attached ? Attachment::Accepted : Attachment::NoMatchingListenerHostname);
      }
      parent_status.conditions.push_back(attachment_condition(best));
      route_status.parents.push_back(std::move(parent_status));
    }
    if (route_status.parents.empty()) {
      continue;  // no parent of ours
    }
    k8s::Condition resolved = condition("ResolvedRefs", true, "ResolvedRefs");
    for (std::size_t r = 0; r < spec.rules.size(); ++r) {
      const auto& rule = spec.rules[r];
      for (std::size_t m = 0; m < rule.matches.size(); ++m) {
        const auto& match = rule.matches[m];
        RouteAction action = rule_action(rules, entry.source, rule, match, resolved);
        auto conditions = rule_conditions(match);
        if (!conditions) {
          log::warn("config", "HTTPRoute match skipped",
                    {{"route", *key},
                     {"field",
                      "spec.rules[" + std::to_string(r) + "].matches[" + std::to_string(m) + "]"},
                     {"reason", conditions.error()}});
          continue;
        }
        conditions->action = std::move(action);
        for (const auto& [host, ports] : hosts) {
          Candidate candidate{host,
                              *conditions,
                              path_rank(conditions->path_match),
                              conditions->path.size(),
                              match.method.empty(),
                              match.headers.size(),
                              match.query_params.size(),
                              cached->created,
                              *key,
                              r,
                              m};
          candidate.rule.on_http = ports.first;
          candidate.rule.on_https = ports.second;
          candidates.push_back(std::move(candidate));
        }
      }
    }
    for (auto& parent : route_status.parents) {
      parent.conditions.push_back(resolved);
    }
    result.status.routes.push_back(std::move(route_status));
  }
  std::stable_sort(candidates.begin(), candidates.end(), precedes);
  std::set<std::string> hosts;
  for (auto& candidate : candidates) {
    table.gateway_host(candidate.host).add(std::move(candidate.rule));
    hosts.insert(candidate.host);
  }
  for (const auto& host : hosts) {
    if (table.ingress_host_named(host) != nullptr) {
      log::info("config", "an HTTPRoute serves a host an Ingress also names: the Ingress's rules "
                "for it are shadowed", {{"host", host}});
    }
  }

  for (auto& [key, state] : gateways) {
    result.status.gateways.push_back(gateway_status(state.gateway, state.listeners));
    for (const ListenerState& listener : state.listeners) {
      if (!listener.certificate_secret.empty()) {
        result.certificates.push_back(
            {listener.spec->hostname.empty()
                 ? std::vector<std::string>(listener.route_hostnames.begin(),
                                            listener.route_hostnames.end())
                 : std::vector<std::string>{listener.spec->hostname},
             listener.certificate_secret});
      }
    }
  }
  return result;
}

}  // namespace portico
