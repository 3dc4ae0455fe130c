#include "k8swatch/decode_gateway.hpp"

#include "k8swatch/decode_fields.hpp"

namespace portico::k8s {
namespace {

using namespace fields;

constexpr const char* GatewayGroup = "gateway.networking.k8s.io";

// Reads each element of the list `name` into a new element of `out` with `read(item, path,
// element)`.
template <class T, class Read>
Check read_list(const json& object, const char* name, const std::string& path, std::vector<T>& out,
                Read read) {
  return each(object, name, path, [&](const json& item, const std::string& at) {
    out.emplace_back();
    return read(item, at, out.back());
  });
}

const json& spec_of(const json& document) {
  static const json empty = json::object();
  const json* spec = member(document, "spec");
  return spec != nullptr && spec->is_object() ? *spec : empty;
}

// Group and kind default to what the field refers to (a Gateway, a Service, a Secret).
Check read_reference(const json& object, const std::string& path, const char* default_group,
                     const char* default_kind, ObjectReference& out) {
  out.group = default_group;
  out.kind = default_kind;
  Check c = read_string(object, "group", path, out.group);
  if (!c)
    c = read_string(object, "kind", path, out.kind);
  if (!c)
    c = read_string(object, "namespace", path, out.namespace_);
  if (!c)
    c = read_string(object, "name", path, out.name);
  if (!c)
    c = read_string(object, "sectionName", path, out.section_name);
  if (!c)
    c = read_int32(object, "port", path, out.port);
  if (!c && out.name.empty()) {
    c = field_error(path + ".name", "required");
  }
  if (!c && out.port && (*out.port < 1 || *out.port > 65535)) {
    c = field_error(path + ".port", "must be between 1 and 65535");
  }
  return c;
}

Check read_header_values(const json& object, const char* name, const std::string& path,
                         std::vector<HeaderValue>& out) {
  return each(object, name, path, [&](const json& item, const std::string& at) -> Check {
    HeaderValue header;
    Check c = read_string(item, "name", at, header.name);
    if (!c)
      c = read_string(item, "value", at, header.value);
    if (!c && header.name.empty()) {
      c = field_error(at + ".name", "required");
    }
    out.push_back(std::move(header));
    return c;
  });
}

Check read_header_modifier(const json& object, const std::string& path, HeaderModifier& out) {
  Check c = read_header_values(object, "set", path, out.set);
  if (!c)
    c = read_header_values(object, "add", path, out.add);
  if (!c) {
    c = each(object, "remove", path, [&](const json& item, const std::string& at) -> Check {
      if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
        return field_error(at, "must be a header name");
      }
      out.remove.push_back(item.get<std::string>());
      return std::nullopt;
    });
  }
  return c;
}

Check read_path_modifier(const json& object, const std::string& path,
                         std::optional<PathModifier>& out) {
  const json* modifier = member(object, "path");
  if (modifier == nullptr) {
    return std::nullopt;
  }
  std::string type;
  PathModifier value;
  const std::string at = path + ".path";
  Check c = read_string(*modifier, "type", at, type);
  if (!c && type == "ReplaceFullPath") {
    c = read_string(*modifier, "replaceFullPath", at, value.value);
  } else if (!c && type == "ReplacePrefixMatch") {
    value.prefix = true;
    c = read_string(*modifier, "replacePrefixMatch", at, value.value);
  } else if (!c) {
    c = field_error(at + ".type", "must be ReplaceFullPath or ReplacePrefixMatch");
  }
  if (!c && !value.value.empty() && value.value.front() != '/') {
    c = field_error(at, "must be an absolute path");
  }
  if (!c && value.value.empty()) {
    value.value = "/";
  }
  out = std::move(value);
  return c;
}

Check read_filter(const json& object, const std::string& path, HttpRouteFilter& out) {
  Check c = read_string(object, "type", path, out.type);
  if (c) {
    return c;
  }
  const auto section = [&](const char* name) -> const json& {
    static const json empty = json::object();
    const json* value = member(object, name);
    return value != nullptr ? *value : empty;
  };
  if (out.type == "RequestHeaderModifier") {
    return read_header_modifier(section("requestHeaderModifier"), path + ".requestHeaderModifier",
                                out.headers);
  }
  if (out.type == "ResponseHeaderModifier") {
    return read_header_modifier(section("responseHeaderModifier"), path + ".responseHeaderModifier",
                                out.headers);
  }
  if (out.type == "RequestRedirect") {
    const json& redirect = section("requestRedirect");
    const std::string at = path + ".requestRedirect";
    std::optional<std::int32_t> status;
    c = read_string(redirect, "scheme", at, out.redirect.scheme);
    if (!c)
      c = read_string(redirect, "hostname", at, out.redirect.hostname);
    if (!c)
      c = read_int32(redirect, "port", at, out.redirect.port);
    if (!c)
      c = read_int32(redirect, "statusCode", at, status);
    if (!c)
      c = read_path_modifier(redirect, at, out.redirect.path);
    out.redirect.status_code = status.value_or(302);
    if (!c && out.redirect.status_code != 301 && out.redirect.status_code != 302 &&
        out.redirect.status_code != 303 && out.redirect.status_code != 307 &&
        out.redirect.status_code != 308) {
      c = field_error(at + ".statusCode", "must be 301, 302, 303, 307 or 308");
    }
    if (!c && !out.redirect.scheme.empty() && out.redirect.scheme != "http" &&
        out.redirect.scheme != "https") {
      c = field_error(at + ".scheme", "must be http or https");
    }
    return c;
  }
  if (out.type == "URLRewrite") {
    const json& rewrite = section("urlRewrite");
    const std::string at = path + ".urlRewrite";
    c = read_string(rewrite, "hostname", at, out.rewrite.hostname);
    if (!c)
      c = read_path_modifier(rewrite, at, out.rewrite.path);
    return c;
  }
  if (out.type == "RequestMirror") {
    const json& mirror = section("requestMirror");
    const std::string at = path + ".requestMirror";
    const json* backend = member(mirror, "backendRef");
    if (backend == nullptr) {
      return field_error(at + ".backendRef", "required");
    }
    c = read_reference(*backend, at + ".backendRef", "", "Service", out.mirror.backend);
    std::optional<std::int32_t> percent;
    if (!c)
      c = read_int32(mirror, "percent", at, percent);
    if (const json* fraction = member(mirror, "fraction"); !c && fraction != nullptr) {
      std::optional<std::int32_t> numerator;
      std::optional<std::int32_t> denominator;
      c = read_int32(*fraction, "numerator", at + ".fraction", numerator);
      if (!c)
        c = read_int32(*fraction, "denominator", at + ".fraction", denominator);
      out.mirror.numerator = numerator.value_or(0);
      out.mirror.denominator = denominator.value_or(100);
      if (!c && (out.mirror.denominator < 1 || out.mirror.numerator < 0 ||
                 out.mirror.numerator > out.mirror.denominator)) {
        c = field_error(at + ".fraction",
                        "numerator must be between 0 and a denominator of at least 1");
      }
    } else if (percent) {
      out.mirror.numerator = *percent;
      if (!c && (*percent < 0 || *percent > 100)) {
        c = field_error(at + ".percent", "must be between 0 and 100");
      }
    }
    return c;
  }
  return std::nullopt;  // kept by type: the translator judges what it cannot apply
}

Check read_filters(const json& object, const std::string& path, std::vector<HttpRouteFilter>& out) {
  return read_list(object, "filters", path, out, read_filter);
}

Check read_value_matches(const json& object, const char* name, const std::string& path,
                         std::vector<ValueMatch>& out) {
  return each(object, name, path, [&](const json& item, const std::string& at) -> Check {
    ValueMatch match;
    std::string type = "Exact";
    Check c = read_string(item, "type", at, type);
    if (!c)
      c = read_string(item, "name", at, match.name);
    if (!c)
      c = read_string(item, "value", at, match.value);
    if (!c && type != "Exact" && type != "RegularExpression") {
      c = field_error(at + ".type", "must be Exact or RegularExpression");
    }
    if (!c && match.name.empty()) {
      c = field_error(at + ".name", "required");
    }
    match.regex = type == "RegularExpression";
    out.push_back(std::move(match));
    return c;
  });
}

Check read_match(const json& object, const std::string& path, HttpRouteMatch& out) {
  Check c;
  if (const json* path_match = member(object, "path")) {
    std::string type = "PathPrefix";
    const std::string at = path + ".path";
    c = read_string(*path_match, "type", at, type);
    if (!c)
      c = read_string(*path_match, "value", at, out.path);
    if (!c && type == "Exact") {
      out.path_type = HttpPathType::Exact;
    } else if (!c && type == "RegularExpression") {
      out.path_type = HttpPathType::RegularExpression;
    } else if (!c && type != "PathPrefix") {
      c = field_error(at + ".type", "must be Exact, PathPrefix or RegularExpression");
    }
    if (!c && out.path_type != HttpPathType::RegularExpression &&
        (out.path.empty() || out.path.front() != '/')) {
      c = field_error(at + ".value", "must be an absolute path");
    }
  }
  if (!c)
    c = read_value_matches(object, "headers", path, out.headers);
  if (!c)
    c = read_value_matches(object, "queryParams", path, out.query_params);
  if (!c)
    c = read_string(object, "method", path, out.method);
  return c;
}

Check read_backend_refs(const json& object, const std::string& path,
                        std::vector<HttpBackendRef>& out) {
  return read_list(object, "backendRefs", path, out,
                   [](const json& item, const std::string& at, HttpBackendRef& backend) {
                     std::optional<std::int32_t> weight;
                     Check c = read_reference(item, at, "", "Service", backend.ref);
                     if (!c)
                       c = read_int32(item, "weight", at, weight);
                     if (!c)
                       c = read_filters(item, at, backend.filters);
                     backend.weight = weight.value_or(1);
                     if (!c && (backend.weight < 0 || backend.weight > 1000000)) {
                       c = field_error(at + ".weight", "must be between 0 and 1000000");
                     }
                     return c;
                   });
}

Check read_rule(const json& object, const std::string& path, HttpRouteRule& out) {
  Check c = read_string(object, "name", path, out.name);
  if (!c) {
    c = read_list(object, "matches", path, out.matches, read_match);
  }
  if (!c && out.matches.empty()) {
    out.matches.emplace_back();  // the specification's default: PathPrefix "/"
  }
  if (!c)
    c = read_filters(object, path, out.filters);
  if (!c)
    c = read_backend_refs(object, path, out.backends);
  if (const json* timeouts = member(object, "timeouts"); !c && timeouts != nullptr) {
    c = read_string(*timeouts, "request", path + ".timeouts", out.request_timeout);
    if (!c)
      c = read_string(*timeouts, "backendRequest", path + ".timeouts", out.backend_request_timeout);
  }
  return c;
}

// A GRPCRoute method match as the path of a gRPC call ("/service/method"): both named is
// that exact path, a service alone its prefix, a method alone (or a regex) a pattern.
Check read_grpc_match(const json& object, const std::string& path, HttpRouteMatch& out) {
  out.method = "POST";  // every gRPC call
  Check c;
  if (const json* method = member(object, "method")) {
    std::string type = "Exact";
    std::string service;
    std::string name;
    const std::string at = path + ".method";
    c = read_string(*method, "type", at, type);
    if (!c)
      c = read_string(*method, "service", at, service);
    if (!c)
      c = read_string(*method, "method", at, name);
    if (!c && type != "Exact" && type != "RegularExpression") {
      c = field_error(at + ".type", "must be Exact or RegularExpression");
    }
    if (!c && service.empty() && name.empty()) {
      c = field_error(at, "one of service or method is required");
    }
    const bool exact = type == "Exact";
    if (!c && exact &&
        (service.find('/') != std::string::npos || name.find('/') != std::string::npos)) {
      c = field_error(at, "an Exact service or method has no '/'");
    }
    if (!c && exact && !service.empty() && !name.empty()) {
      out.path_type = HttpPathType::Exact;
      out.path = "/" + service + "/" + name;
    } else if (!c && exact && name.empty()) {
      out.path = "/" + service;  // PathPrefix: whole path elements
    } else if (!c) {
      out.path_type = HttpPathType::RegularExpression;
      out.path = "/(" + (service.empty() ? std::string("[^/]+") : service) + ")/(" +
                 (name.empty() ? std::string("[^/]+") : name) + ")$";
    }
  }
  if (!c)
    c = read_value_matches(object, "headers", path, out.headers);
  return c;
}

Check read_grpc_rule(const json& object, const std::string& path, HttpRouteRule& out) {
  Check c = read_string(object, "name", path, out.name);
  if (!c)
    c = read_list(object, "matches", path, out.matches, read_grpc_match);
  if (!c && out.matches.empty()) {
    out.matches.emplace_back();  // every gRPC call
    out.matches.back().method = "POST";
  }
  if (!c)
    c = read_filters(object, path, out.filters);
  if (!c)
    c = read_backend_refs(object, path, out.backends);
  return c;
}

// The spec HTTPRoute and GRPCRoute share: parents, hostnames, and rules read by `read_rule`.
template <class ReadRule>
Check read_route_spec(const json& spec, ReadRule read_one_rule, HttpRouteSpec& out) {
  Check c = read_list(spec, "parentRefs", "spec", out.parent_refs,
                      [](const json& item, const std::string& at, ObjectReference& ref) {
                        return read_reference(item, at, GatewayGroup, "Gateway", ref);
                      });
  if (!c) {
    c = each(spec, "hostnames", "spec", [&](const json& item, const std::string& at) -> Check {
      if (!item.is_string()) {
        return field_error(at, "must be a string");
      }
      out.hostnames.push_back(item.get<std::string>());
      return check_host(out.hostnames.back(), at);
    });
  }
  if (!c)
    c = read_list(spec, "rules", "spec", out.rules, read_one_rule);
  if (!c && member(spec, "rules") == nullptr) {
    // The specification's default: one rule that matches everything.
    c = read_one_rule(json::object(), "spec.rules[0]", out.rules.emplace_back());
  }
  return c;
}

// An HTTPRoute or a GRPCRoute: the same spec, each rule read by `read_one_rule`.
template <class Route, class ReadRule>
Expected<Object> decode_route(const json& document, ObjectMeta meta, ReadRule read_one_rule) {
  Route out{std::move(meta), {}};
  if (Check c = read_route_spec(spec_of(document), read_one_rule, out.spec)) {
    return *c;
  }
  return Object{std::move(out)};
}

Check read_listener(const json& object, const std::string& path, Listener& out) {
  std::optional<std::int32_t> port;
  Check c = read_string(object, "name", path, out.name);
  if (!c)
    c = read_string(object, "hostname", path, out.hostname);
  if (!c)
    c = read_int32(object, "port", path, port);
  if (!c)
    c = read_string(object, "protocol", path, out.protocol);
  if (!c && out.name.empty()) {
    c = field_error(path + ".name", "required");
  }
  if (!c && (!port || *port < 1 || *port > 65535)) {
    c = field_error(path + ".port", "required, between 1 and 65535");
  }
  if (!c && !out.hostname.empty()) {
    c = check_host(out.hostname, path + ".hostname");
  }
  out.port = port.value_or(0);
  if (const json* tls = member(object, "tls"); !c && tls != nullptr) {
    c = read_string(*tls, "mode", path + ".tls", out.tls_mode);
    if (!c) {
      c = read_list(*tls, "certificateRefs", path + ".tls", out.certificate_refs,
                    [](const json& item, const std::string& at, ObjectReference& ref) {
                      return read_reference(item, at, "", "Secret", ref);
                    });
    }
  }
  if (const json* allowed = member(object, "allowedRoutes"); !c && allowed != nullptr) {
    const std::string at = path + ".allowedRoutes";
    if (const json* namespaces = member(*allowed, "namespaces")) {
      std::string from = "Same";
      c = read_string(*namespaces, "from", at + ".namespaces", from);
      if (!c && from == "All") {
        out.from = RouteNamespaces::All;
      } else if (!c && from == "Selector") {
        out.from = RouteNamespaces::Selector;
        if (const json* selector = member(*namespaces, "selector")) {
          c = read_string_map(*selector, "matchLabels", at + ".namespaces.selector",
                              out.namespace_selector);
        }
      } else if (!c && from != "Same") {
        c = field_error(at + ".namespaces.from", "must be Same, All or Selector");
      }
    }
    if (!c) {
      c = each(*allowed, "kinds", at, [&](const json& item, const std::string& kat) -> Check {
        RouteGroupKind kind;
        Check kc = read_string(item, "group", kat, kind.group);
        if (!kc)
          kc = read_string(item, "kind", kat, kind.kind);
        out.kinds.push_back(std::move(kind));
        return kc;
      });
    }
  }
  return c;
}

}  // namespace

Expected<Object> decode_gateway_class(const json& document, ObjectMeta meta) {
  GatewayClass out{std::move(meta), {}};
  if (Check c =
          read_string(spec_of(document), "controllerName", "spec", out.spec.controller_name)) {
    return *c;
  }
  if (out.spec.controller_name.empty()) {
    return field_error("spec.controllerName", "required");
  }
  return Object{std::move(out)};
}

Expected<Object> decode_gateway(const json& document, ObjectMeta meta) {
  Gateway out{std::move(meta), {}};
  const json& spec = spec_of(document);
  Check c = read_string(spec, "gatewayClassName", "spec", out.spec.class_name);
  if (!c && out.spec.class_name.empty()) {
    c = field_error("spec.gatewayClassName", "required");
  }
  if (!c) {
    c = read_list(spec, "listeners", "spec", out.spec.listeners, read_listener);
  }
  const json* infrastructure = member(spec, "infrastructure");
  const json* parameters =
      infrastructure == nullptr ? nullptr : member(*infrastructure, "parametersRef");
  if (!c && parameters != nullptr) {
    c = read_reference(*parameters, "spec.infrastructure.parametersRef", "", "",
                       out.spec.parameters_ref.emplace());
  }
  if (c) {
    return *c;
  }
  return Object{std::move(out)};
}

Expected<Object> decode_http_route(const json& document, ObjectMeta meta) {
  return decode_route<HttpRoute>(document, std::move(meta), read_rule);
}

Expected<Object> decode_grpc_route(const json& document, ObjectMeta meta) {
  return decode_route<GrpcRoute>(document, std::move(meta), read_grpc_rule);
}

Expected<Object> decode_reference_grant(const json& document, ObjectMeta meta) {
  ReferenceGrant out{std::move(meta), {}};
  const json& spec = spec_of(document);
  Check c = each(spec, "from", "spec", [&](const json& item, const std::string& at) {
    ReferenceGrantFrom from;
    Check fc = read_string(item, "group", at, from.group);
    if (!fc)
      fc = read_string(item, "kind", at, from.kind);
    if (!fc)
      fc = read_string(item, "namespace", at, from.namespace_);
    out.spec.from.push_back(std::move(from));
    return fc;
  });
  if (!c) {
    c = each(spec, "to", "spec", [&](const json& item, const std::string& at) {
      ReferenceGrantTo to;
      Check tc = read_string(item, "group", at, to.group);
      if (!tc)
        tc = read_string(item, "kind", at, to.kind);
      if (!tc)
        tc = read_string(item, "name", at, to.name);
      out.spec.to.push_back(std::move(to));
      return tc;
    });
  }
  if (c) {
    return *c;
  }
  return Object{std::move(out)};
}

}  // namespace portico::k8s
