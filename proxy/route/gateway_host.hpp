#pragma once
// GatewayHost: the rules of one hostname that Gateway API routes (HTTPRoute) serve. Unlike an
// Ingress host, a rule can also require a method, headers and query parameters, and can be
// bound to the HTTP or the HTTPS listener only; the first rule, in the specification's
// precedence order (the translator sorts them), whose every condition holds wins. Built by the
// control plane, immutable afterwards; match() is noexcept and allocation-free.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/route/path_regex.hpp"
#include "proxy/route/route_action.hpp"

namespace portico {

// What a Gateway API match may read of a request besides its host and path.
class RequestFacts {
 public:
  virtual std::string_view method() const noexcept = 0;
  // The first value of the header `name` (any case), "" when absent.
  virtual std::string_view header(std::string_view name) const noexcept = 0;
  // The query string as sent, without '?'.
  virtual std::string_view query() const noexcept = 0;
  virtual bool tls() const noexcept = 0;

 protected:
  ~RequestFacts() = default;
};

// A header or query parameter the request must carry: its value equal to `value`, or
// matching `regex` (a PCRE anchored at the value's start, as path regexes are).
struct ValueCondition {
  std::string name;
  std::string value;
  std::optional<PathRegex> regex;
  bool accepts(std::string_view actual, bool present) const noexcept;
};

enum class GatewayPath { Exact, Prefix, Regex };

// The Gateway API's name of a path match type.
constexpr std::string_view gateway_path_name(GatewayPath match) {
  switch (match) {
    case GatewayPath::Exact:
      return "Exact";
    case GatewayPath::Prefix:
      return "PathPrefix";
    case GatewayPath::Regex:
      return "RegularExpression";
  }
  return "";
}

struct GatewayRule {
  GatewayPath path_match = GatewayPath::Prefix;
  std::string path;  // Prefix: without trailing '/'; "/" is stored as ""
  std::optional<PathRegex> path_regex;
  std::string method;  // "" for any
  std::vector<ValueCondition> headers;
  std::vector<ValueCondition> query;
  bool on_http = true;   // attached to a listener served on the HTTP port
  bool on_https = true;  // ... on the HTTPS port
  // "HTTP", "HTTPS" or both, for inspection.
  std::string_view listeners() const noexcept {
    if (on_http && on_https) {
      return "HTTP, HTTPS";
    }
    return on_https ? "HTTPS" : "HTTP";
  }
  RouteAction action;
};

class GatewayHost {
 public:
  explicit GatewayHost(std::string name) : name_(std::move(name)) {}
  // Appends a rule: rules are added in precedence order, highest first.
  void add(GatewayRule rule) { rules_.push_back(std::move(rule)); }
  const RouteAction* match(std::string_view path, const RequestFacts& request,
                           PathCaptures& captures) const noexcept;
  const std::string& name() const noexcept { return name_; }
  const std::vector<GatewayRule>& rules() const noexcept { return rules_; }

 private:
  std::string name_;
  std::vector<GatewayRule> rules_;
};

// The value of the query parameter `name` in `query` ("a=1&b=2"), and whether it is there.
std::optional<std::string_view> query_parameter(std::string_view query,
                                                std::string_view name) noexcept;

}  // namespace portico
