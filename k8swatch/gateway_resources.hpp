#pragma once
// The Gateway API objects Portico reads (gateway.networking.k8s.io), with only the fields it
// uses and the specification's defaults already applied by the decoder: a reference without
// group or kind names what the field refers to by default, a route without matches has the
// one match PathPrefix "/".
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace portico::k8s {

// ParentReference, BackendObjectReference, SecretObjectReference: "" namespace means the
// referring object's own.
struct ObjectReference {
  std::string group;
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string section_name;          // parentRefs only
  std::optional<std::int32_t> port;  // parentRefs and backendRefs
  bool operator==(const ObjectReference&) const = default;
};

struct GatewayClassSpec {
  std::string controller_name;
  bool operator==(const GatewayClassSpec&) const = default;
};

struct RouteGroupKind {
  std::string group = "gateway.networking.k8s.io";
  std::string kind;
  bool operator==(const RouteGroupKind&) const = default;
};

enum class RouteNamespaces { Same, All, Selector };

struct Listener {
  std::string name;
  std::string hostname;  // "" for every host
  std::int32_t port = 0;
  std::string protocol;  // HTTP, HTTPS, TLS, TCP, UDP or an implementation's own
  std::string tls_mode = "Terminate";
  std::vector<ObjectReference> certificate_refs;
  RouteNamespaces from = RouteNamespaces::Same;
  std::map<std::string, std::string> namespace_selector;  // matchLabels, for Selector
  std::vector<RouteGroupKind> kinds;                      // empty: the protocol's defaults
  bool operator==(const Listener&) const = default;
};

struct GatewaySpec {
  std::string class_name;
  std::vector<Listener> listeners;
  // spec.infrastructure.parametersRef. Portico has no kind of parameters, so a Gateway that
  // names one is not accepted (InvalidParameters).
  std::optional<ObjectReference> parameters_ref;
  bool operator==(const GatewaySpec&) const = default;
};

struct HeaderValue {
  std::string name;
  std::string value;
  bool operator==(const HeaderValue&) const = default;
};

// HTTPHeaderMatch and HTTPQueryParamMatch.
struct ValueMatch {
  bool regex = false;  // type RegularExpression; else Exact
  std::string name;
  std::string value;
  bool operator==(const ValueMatch&) const = default;
};

enum class HttpPathType { Exact, PathPrefix, RegularExpression };

struct HttpRouteMatch {
  HttpPathType path_type = HttpPathType::PathPrefix;
  std::string path = "/";
  std::vector<ValueMatch> headers;
  std::vector<ValueMatch> query_params;
  std::string method;  // "" for any
  bool operator==(const HttpRouteMatch&) const = default;
};

struct HeaderModifier {
  std::vector<HeaderValue> set;
  std::vector<HeaderValue> add;
  std::vector<std::string> remove;
  bool operator==(const HeaderModifier&) const = default;
};

// HTTPPathModifier: one of the two replacements.
struct PathModifier {
  bool prefix = false;  // ReplacePrefixMatch; else ReplaceFullPath
  std::string value;
  bool operator==(const PathModifier&) const = default;
};

struct RedirectFilter {
  std::string scheme;                // "" keeps the request's
  std::string hostname;              // "" keeps the request's
  std::optional<PathModifier> path;  // none keeps the request's
  std::optional<std::int32_t> port;
  std::int32_t status_code = 302;
  bool operator==(const RedirectFilter&) const = default;
};

struct RewriteFilter {
  std::string hostname;
  std::optional<PathModifier> path;
  bool operator==(const RewriteFilter&) const = default;
};

// HTTPRequestMirrorFilter: percent N is the fraction N/100; neither is every request.
struct MirrorFilter {
  ObjectReference backend;  // group "" and kind "Service" by default
  std::int32_t numerator = 100;
  std::int32_t denominator = 100;
  bool operator==(const MirrorFilter&) const = default;
};

struct HttpRouteFilter {
  std::string type;        // RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect,
                           // URLRewrite, RequestMirror, ExtensionRef or one Portico does not know
  HeaderModifier headers;  // the two header modifiers
  RedirectFilter redirect;
  RewriteFilter rewrite;
  MirrorFilter mirror;
  bool operator==(const HttpRouteFilter&) const = default;
};

struct HttpBackendRef {
  ObjectReference ref;  // group "" and kind "Service" by default
  std::int32_t weight = 1;
  std::vector<HttpRouteFilter> filters;
  bool operator==(const HttpBackendRef&) const = default;
};

struct HttpRouteRule {
  std::string name;
  std::vector<HttpRouteMatch> matches;  // never empty
  std::vector<HttpRouteFilter> filters;
  std::vector<HttpBackendRef> backends;
  std::string request_timeout;  // Gateway API durations ("10s", "500ms"), "" when unset
  std::string backend_request_timeout;
  bool operator==(const HttpRouteRule&) const = default;
};

struct HttpRouteSpec {
  std::vector<ObjectReference> parent_refs;
  std::vector<std::string> hostnames;
  std::vector<HttpRouteRule> rules;
  bool operator==(const HttpRouteSpec&) const = default;
};

struct ReferenceGrantFrom {
  std::string group;
  std::string kind;
  std::string namespace_;
  bool operator==(const ReferenceGrantFrom&) const = default;
};

struct ReferenceGrantTo {
  std::string group;
  std::string kind;
  std::string name;  // "" for every object of the kind
  bool operator==(const ReferenceGrantTo&) const = default;
};

struct ReferenceGrantSpec {
  std::vector<ReferenceGrantFrom> from;
  std::vector<ReferenceGrantTo> to;
  bool operator==(const ReferenceGrantSpec&) const = default;
};

}  // namespace portico::k8s
