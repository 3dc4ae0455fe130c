#include "proxy/route/gateway_host.hpp"

namespace portico {
namespace {

// PathPrefix matches whole path elements: "/foo" takes "/foo" and "/foo/bar", not "/foobar".
bool prefix_matches(std::string_view prefix, std::string_view path) noexcept {
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

bool path_matches(const GatewayRule& rule, std::string_view path, PathCaptures& captures) noexcept {
  switch (rule.path_match) {
    case GatewayPath::Exact:
      return path == rule.path;
    case GatewayPath::Prefix:
      return prefix_matches(rule.path, path);
    case GatewayPath::Regex:
      return rule.path_regex->match(path, captures);
  }
  return false;
}

}  // namespace

bool ValueCondition::accepts(std::string_view actual, bool present) const noexcept {
  if (!present) {
    return false;
  }
  if (regex) {
    PathCaptures ignored;
    return regex->match(actual, ignored);
  }
  return actual == value;
}

std::optional<std::string_view> query_parameter(std::string_view query,
                                                std::string_view name) noexcept {
  while (!query.empty()) {
    const auto end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    const auto equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    }
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
  }
  return std::nullopt;
}

const RouteAction* GatewayHost::match(std::string_view path, const RequestFacts& request,
                                      PathCaptures& captures) const noexcept {
  const bool tls = request.tls();
  for (const GatewayRule& rule : rules_) {
    if (!(tls ? rule.on_https : rule.on_http) || !path_matches(rule, path, captures)) {
      continue;
    }
    if (!rule.method.empty() && rule.method != request.method()) {
      continue;
    }
    bool all = true;
    for (const auto& header : rule.headers) {
      const std::string_view value = request.header(header.name);
      all = all && header.accepts(value, !value.empty());
    }
    for (const auto& parameter : rule.query) {
      const auto value = query_parameter(request.query(), parameter.name);
      all = all && parameter.accepts(value.value_or(""), value.has_value());
    }
    if (all) {
      return &rule.action;
    }
    captures.count = 0;
  }
  return nullptr;
}

}  // namespace portico
