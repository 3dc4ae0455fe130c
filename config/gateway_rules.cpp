#include "config/gateway_rules.hpp"

#include "proxy/common/log.hpp"
#include "proxy/common/quantity.hpp"

namespace portico {
namespace {

constexpr std::string_view GatewayGroup = "gateway.networking.k8s.io";

HeaderEdits header_edits(const k8s::HeaderModifier& modifier) {
  HeaderEdits edits;
  for (const auto& header : modifier.set) {
    edits.set.emplace_back(header.name, header.value);
  }
  for (const auto& header : modifier.add) {
    edits.add.emplace_back(header.name, header.value);
  }
  edits.remove = modifier.remove;
  return edits;
}

// ReplacePrefixMatch replaces what the match's PathPrefix matched: its value without a
// trailing '/' ("/" matches as "").
std::optional<PathReplacement> path_replacement(const std::optional<k8s::PathModifier>& modifier,
                                                const k8s::HttpRouteMatch& match) {
  if (!modifier) {
    return std::nullopt;
  }
  PathReplacement out{modifier->value, "", modifier->prefix};
  if (modifier->prefix) {
    std::string_view prefix = match.path;
    while (!prefix.empty() && prefix.back() == '/') {
      prefix.remove_suffix(1);
    }
    out.matched_prefix = std::string(prefix);
  }
  return out;
}

void set_condition(k8s::Condition& condition, const std::string& reason,
                   const std::string& message) {
  if (condition.status) {  // the first problem found names the reason
    condition = {"ResolvedRefs", false, reason, message};
  }
}

// One backendRef's cluster, or UnresolvedCluster with the reason in `resolved_refs`.
std::uint32_t backend_cluster(RuleTranslation& context, const RouteSource& route,
                              const k8s::HttpBackendRef& backend, k8s::Condition& resolved_refs) {
  const k8s::ObjectReference& ref = backend.ref;
  const std::string ns = ref.namespace_.empty() ? route.meta->namespace_ : ref.namespace_;
  if (!ref.group.empty() || ref.kind != "Service") {
    set_condition(resolved_refs, "InvalidKind",
                  "backendRef " + ref.group + "/" + ref.kind + " " + ref.name +
                      ": only Services are supported");
    return UnresolvedCluster;
  }
  if (!reference_permitted(context.cache, GatewayGroup, route.kind, route.meta->namespace_, "",
                           "Service", ns, ref.name)) {
    set_condition(resolved_refs, "RefNotPermitted",
                  "backendRef Service " + ns + "/" + ref.name +
                      ": no ReferenceGrant in its namespace allows it");
    return UnresolvedCluster;
  }
  if (context.cache.find<k8s::Service>(k8s::Kind::Service, ns + "/" + ref.name) == nullptr) {
    set_condition(resolved_refs, "BackendNotFound",
                  "backendRef Service " + ns + "/" + ref.name + " does not exist");
    return UnresolvedCluster;
  }
  if (!ref.port) {
    set_condition(resolved_refs, "UnsupportedValue",
                  "backendRef Service " + ns + "/" + ref.name + ": port is required");
    return UnresolvedCluster;
  }
  if (!backend.filters.empty()) {
    set_condition(resolved_refs, "UnsupportedValue",
                  "backendRef Service " + ns + "/" + ref.name +
                      ": filters on a backendRef are not supported");
    return UnresolvedCluster;
  }
  return context.out.add_cluster(context.ids, ClusterRef{ns, ref.name, ref.port, ""});
}

// The rule's filters as a policy; false when one cannot be applied as written.
bool apply_filters(const k8s::HttpRouteRule& rule, const k8s::HttpRouteMatch& match,
                   const GatewaySettings& settings, RoutePolicy& policy, std::string& problem) {
  for (const auto& filter : rule.filters) {
    if (filter.type == "RequestHeaderModifier") {
      policy.request_header_edits = header_edits(filter.headers);
    } else if (filter.type == "ResponseHeaderModifier") {
      policy.response_header_edits = header_edits(filter.headers);
    } else if (filter.type == "RequestRedirect") {
      const auto& redirect = filter.redirect;
      policy.gateway_redirect = GatewayRedirect{
          .scheme = redirect.scheme,
          .hostname = redirect.hostname,
          .port = redirect.port ? std::optional<std::uint16_t>(*redirect.port) : std::nullopt,
          .path = path_replacement(redirect.path, match),
          .status = static_cast<unsigned>(redirect.status_code),
          .http_port = settings.http_port,
          .https_port = settings.https_port};
    } else if (filter.type == "URLRewrite") {
      policy.upstream_host = filter.rewrite.hostname;
      policy.path_rewrite = path_replacement(filter.rewrite.path, match);
    } else if (filter.type == "RequestMirror") {
      continue;  // rule_action resolves its backend
    } else {
      problem = "filter " + filter.type + " is not supported";
      return false;
    }
  }
  // Both bound how long the backend may take to answer; Portico has one such timeout.
  for (const std::string* text : {&rule.request_timeout, &rule.backend_request_timeout}) {
    if (text->empty() || *text == "0s") {
      continue;
    }
    const auto timeout = parse_duration(*text);
    if (!timeout) {
      problem = "timeout \"" + *text + "\": " + timeout.error();
      return false;
    }
    policy.read_timeout = policy.read_timeout ? std::min(*policy.read_timeout, *timeout) : *timeout;
  }
  return true;
}

Expected<ValueCondition> value_condition(const k8s::ValueMatch& match) {
  ValueCondition out{match.name, match.value, std::nullopt};
  if (match.regex) {
    auto regex = PathRegex::compile(match.value);
    if (!regex) {
      return fail("\"" + match.value + "\": " + regex.error());
    }
    out.regex = std::move(*regex);
  }
  return out;
}

}  // namespace

bool reference_permitted(const ObjectCache& cache, std::string_view from_group,
                         std::string_view from_kind, const std::string& from_namespace,
                         std::string_view to_group, std::string_view to_kind,
                         const std::string& to_namespace, const std::string& to_name) {
  if (from_namespace == to_namespace) {
    return true;
  }
  for (const auto& [key, cached] : cache.of(k8s::Kind::ReferenceGrant)) {
    const auto& grant = std::get<k8s::ReferenceGrant>(*cached.object);
    if (grant.meta.namespace_ != to_namespace) {
      continue;
    }
    const bool from = std::any_of(grant.spec.from.begin(), grant.spec.from.end(), [&](auto& f) {
      return f.group == from_group && f.kind == from_kind && f.namespace_ == from_namespace;
    });
    const bool to = std::any_of(grant.spec.to.begin(), grant.spec.to.end(), [&](auto& t) {
      return t.group == to_group && t.kind == to_kind && (t.name.empty() || t.name == to_name);
    });
    if (from && to) {
      return true;
    }
  }
  return false;
}

RouteAction rule_action(RuleTranslation& context, const RouteSource& route,
                        const k8s::HttpRouteRule& rule, const k8s::HttpRouteMatch& match,
                        k8s::Condition& resolved_refs) {
  RouteAction action;
  action.ingress = std::string(route.kind) + " " + k8s::key_of(*route.meta);
  auto policy = std::make_shared<RoutePolicy>();
  auto weighted = std::make_shared<WeightedClusters>();
  std::string problem;
  if (!apply_filters(rule, match, context.settings, *policy, problem)) {
    log::warn("config", std::string(route.kind) + " rule answers 500: " + problem,
              {{"route", k8s::key_of(*route.meta)}});
    action.weighted = std::move(weighted);  // no backend: 500
    return action;
  }
  if (route.grpc()) {
    policy->backend_protocol = BackendProtocol::Grpc;  // h2c, as a GRPCRoute's backends speak
  }
  // A mirror whose backend does not resolve is left out (and named in ResolvedRefs): the
  // requests themselves still go where the rule sends them.
  for (const auto& filter : rule.filters) {
    if (filter.type != "RequestMirror") {
      continue;
    }
    const std::uint32_t id =
        backend_cluster(context, route, k8s::HttpBackendRef{filter.mirror.backend}, resolved_refs);
    if (id != UnresolvedCluster && filter.mirror.numerator > 0) {
      policy->mirrors.push_back({id, static_cast<std::uint32_t>(filter.mirror.numerator),
                                 static_cast<std::uint32_t>(filter.mirror.denominator)});
    }
  }
  action.policy = std::move(policy);
  for (const auto& backend : rule.backends) {
    const std::uint32_t id = backend_cluster(context, route, backend, resolved_refs);
    if (backend.weight > 0) {
      weighted->choices.push_back({id, static_cast<std::uint32_t>(backend.weight)});
      weighted->total += static_cast<std::uint32_t>(backend.weight);
    }
  }
  // One backend that resolves needs no choosing.
  if (weighted->choices.size() == 1 && weighted->choices.front().cluster_id != UnresolvedCluster) {
    action.cluster_id = weighted->choices.front().cluster_id;
  } else {
    action.weighted = std::move(weighted);
  }
  return action;
}

Expected<GatewayRule> rule_conditions(const k8s::HttpRouteMatch& match) {
  GatewayRule rule;
  switch (match.path_type) {
    case k8s::HttpPathType::Exact:
      rule.path_match = GatewayPath::Exact;
      rule.path = match.path;
      break;
    case k8s::HttpPathType::PathPrefix: {
      std::string_view prefix = match.path;
      while (!prefix.empty() && prefix.back() == '/') {
        prefix.remove_suffix(1);
      }
      rule.path_match = GatewayPath::Prefix;
      rule.path = std::string(prefix);
      break;
    }
    case k8s::HttpPathType::RegularExpression: {
      auto regex = PathRegex::compile(match.path);
      if (!regex) {
        return fail("path \"" + match.path + "\": " + regex.error());
      }
      rule.path_match = GatewayPath::Regex;
      rule.path = match.path;
      rule.path_regex = std::move(*regex);
      break;
    }
  }
  rule.method = match.method;
  for (const auto& header : match.headers) {
    auto condition = value_condition(header);
    if (!condition) {
      return fail("header " + header.name + " " + condition.error());
    }
    rule.headers.push_back(std::move(*condition));
  }
  for (const auto& parameter : match.query_params) {
    auto condition = value_condition(parameter);
    if (!condition) {
      return fail("query parameter " + parameter.name + " " + condition.error());
    }
    rule.query.push_back(std::move(*condition));
  }
  return rule;
}

}  // namespace portico
