#include "k8swatch/decode.hpp"

#include "k8swatch/decode_fields.hpp"
#include "k8swatch/decode_gateway.hpp"

#include "proxy/common/base64.hpp"
#include "proxy/common/http_chars.hpp"

#include <array>
#include <nlohmann/json.hpp>

namespace portico::k8s {
namespace {

// A continue token as a query parameter: opaque to us, so every reserved byte is encoded.
std::string query_escaped(std::string_view value) {
  static constexpr char Hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (chars::is_unreserved(u)) {
      out.push_back(c);
    } else {
      out.append({'%', Hex[u >> 4], Hex[u & 15]});
    }
  }
  return out;
}

using nlohmann::json;
using namespace fields;

Check decode_backend(const json& object, const std::string& path, IngressBackend& backend) {
  const json* service = member(object, "service");
  const json* resource = member(object, "resource");
  if ((service == nullptr) == (resource == nullptr)) {
    return field_error(path, "exactly one of service or resource is required");
  }
  if (resource != nullptr) {
    return std::nullopt;  // kept as "no service": served as unsupported, with a warning
  }
  ServiceBackend out;
  const std::string spath = path + ".service";
  if (Check c = read_string(*service, "name", spath, out.name)) {
    return c;
  }
  if (!is_dns_label(out.name, 63)) {
    return field_error(spath + ".name", "must be a valid Service name, got \"" + out.name + "\"");
  }
  const json* port = member(*service, "port");
  if (port == nullptr) {
    return field_error(spath + ".port", "required");
  }
  if (Check c = read_int32(*port, "number", spath + ".port", out.port_number)) {
    return c;
  }
  if (Check c = read_string(*port, "name", spath + ".port", out.port_name)) {
    return c;
  }
  if (out.port_number.has_value() == !out.port_name.empty()) {
    return field_error(spath + ".port", "exactly one of name or number is required");
  }
  if (out.port_number && (*out.port_number < 1 || *out.port_number > 65535)) {
    return field_error(spath + ".port.number", "must be between 1 and 65535");
  }
  if (!out.port_number && !is_port_name(out.port_name)) {
    return field_error(spath + ".port.name", "\"" + out.port_name + "\" is not a valid port name");
  }
  backend.service = std::move(out);
  return std::nullopt;
}

Check check_path(const IngressPath& p, const std::string& path) {
  if (p.type == PathType::ImplementationSpecific) {
    if (!p.path.empty() && p.path.front() != '/') {
      return field_error(path + ".path", "must be an absolute path");
    }
    return std::nullopt;
  }
  if (p.path.empty() || p.path.front() != '/') {
    return field_error(path + ".path", "must be an absolute path");
  }
  for (const char* bad : {"//", "/./", "/../", "%2f", "%2F"}) {
    if (p.path.find(bad) != std::string::npos) {
      return field_error(path + ".path", std::string("must not contain '") + bad + "'");
    }
  }
  if (p.path.ends_with("/..") || p.path.ends_with("/.")) {
    return field_error(path + ".path", "must not end with '/..' or '/.'");
  }
  return std::nullopt;
}

Check decode_path(const json& object, const std::string& path, std::vector<IngressPath>& out) {
  IngressPath p;
  std::string type;
  if (Check c = read_string(object, "path", path, p.path)) {
    return c;
  }
  if (Check c = read_string(object, "pathType", path, type)) {
    return c;
  }
  if (type == "Exact") {
    p.type = PathType::Exact;
  } else if (type == "Prefix") {
    p.type = PathType::Prefix;
  } else if (type == "ImplementationSpecific") {
    p.type = PathType::ImplementationSpecific;
  } else if (type.empty()) {
    return field_error(path + ".pathType", "required (Exact, Prefix or ImplementationSpecific)");
  } else {
    return field_error(path + ".pathType",
                       "\"" + type + "\" is not Exact, Prefix or ImplementationSpecific");
  }
  if (Check c = check_path(p, path)) {
    return c;
  }
  const json* backend = member(object, "backend");
  if (backend == nullptr) {
    return field_error(path + ".backend", "required");
  }
  if (Check c = decode_backend(*backend, path + ".backend", p.backend)) {
    return c;
  }
  out.push_back(std::move(p));
  return std::nullopt;
}

Check decode_rule(const json& object, const std::string& path, std::vector<IngressRule>& out) {
  IngressRule rule;
  if (Check c = read_string(object, "host", path, rule.host)) {
    return c;
  }
  if (!rule.host.empty()) {
    if (Check c = check_host(rule.host, path + ".host")) {
      return c;
    }
  }
  if (const json* http = member(object, "http")) {
    if (Check c = each(*http, "paths", path + ".http", [&](const json& p, const std::string& pp) {
          return decode_path(p, pp, rule.paths);
        })) {
      return c;
    }
    if (rule.paths.empty()) {
      return field_error(path + ".http.paths", "must not be empty");
    }
  }
  out.push_back(std::move(rule));
  return std::nullopt;
}

Check decode_tls(const json& object, const std::string& path, std::vector<IngressTls>& out) {
  IngressTls tls;
  if (Check c = each(object, "hosts", path, [&](const json& h, const std::string& hp) -> Check {
        if (!h.is_string()) {
          return field_error(hp, "must be a string");
        }
        tls.hosts.push_back(h.get<std::string>());
        return check_host(tls.hosts.back(), hp);
      })) {
    return c;
  }
  if (Check c = read_string(object, "secretName", path, tls.secret_name)) {
    return c;
  }
  out.push_back(std::move(tls));
  return std::nullopt;
}

// status.loadBalancer.ingress[*] as addresses (ip, else hostname). Status is written by
// controllers, not users: entries without either are ignored rather than rejected.
std::vector<std::string> load_balancer_addresses(const json& document) {
  std::vector<std::string> out;
  const json* status = member(document, "status");
  const json* lb = status ? member(*status, "loadBalancer") : nullptr;
  const json* ingress = lb ? member(*lb, "ingress") : nullptr;
  if (ingress == nullptr || !ingress->is_array()) {
    return out;
  }
  for (const auto& entry : *ingress) {
    std::string address;
    if (!read_string(entry, "ip", "", address) && address.empty()) {
      read_string(entry, "hostname", "", address);
    }
    if (!address.empty()) {
      out.push_back(std::move(address));
    }
  }
  return out;
}

Expected<Object> decode_ingress(const json& document, ObjectMeta meta) {
  Ingress ingress{std::move(meta)};
  const json* spec = member(document, "spec");
  if (spec == nullptr) {
    return field_error("spec", "required");
  }
  std::string class_name;
  if (Check c = read_string(*spec, "ingressClassName", "spec", class_name)) {
    return *c;
  }
  if (!class_name.empty()) {
    ingress.class_name = class_name;
  }
  if (const json* backend = member(*spec, "defaultBackend")) {
    IngressBackend b;
    if (Check c = decode_backend(*backend, "spec.defaultBackend", b)) {
      return *c;
    }
    ingress.default_backend = std::move(b);
  }
  if (Check c = each(*spec, "rules", "spec", [&](const json& r, const std::string& p) {
        return decode_rule(r, p, ingress.rules);
      })) {
    return *c;
  }
  if (Check c = each(*spec, "tls", "spec", [&](const json& t, const std::string& p) {
        return decode_tls(t, p, ingress.tls);
      })) {
    return *c;
  }
  if (ingress.rules.empty() && !ingress.default_backend) {
    return field_error("spec", "either defaultBackend or rules must be specified");
  }
  ingress.status_addresses = load_balancer_addresses(document);
  return Object{std::move(ingress)};
}

Expected<Object> decode_ingress_class(const json& document, ObjectMeta meta) {
  IngressClass ingress_class{std::move(meta)};
  const json* spec = member(document, "spec");
  if (spec == nullptr) {
    return field_error("spec", "required");
  }
  if (Check c = read_string(*spec, "controller", "spec", ingress_class.controller)) {
    return *c;
  }
  if (ingress_class.controller.empty()) {
    return field_error("spec.controller", "required");
  }
  return Object{std::move(ingress_class)};
}

Expected<Object> decode_service(const json& document, ObjectMeta meta) {
  Service service{std::move(meta)};
  const json* spec = member(document, "spec");
  if (spec == nullptr) {
    return field_error("spec", "required");
  }
  if (Check c = read_string(*spec, "type", "spec", service.type)) {
    return *c;
  }
  if (service.type.empty()) {
    service.type = "ClusterIP";
  }
  if (Check c = read_string(*spec, "clusterIP", "spec", service.cluster_ip)) {
    return *c;
  }
  if (Check c = each(*spec, "ports", "spec", [&](const json& p, const std::string& path) -> Check {
        ServicePort port;
        std::optional<std::int32_t> number;
        if (Check e = read_string(p, "name", path, port.name)) {
          return e;
        }
        if (Check e = read_int32(p, "port", path, number)) {
          return e;
        }
        if (Check e = read_string(p, "appProtocol", path, port.app_protocol)) {
          return e;
        }
        if (!number || *number < 1 || *number > 65535) {
          return field_error(path + ".port", "required, between 1 and 65535");
        }
        port.port = *number;
        service.ports.push_back(std::move(port));
        return std::nullopt;
      })) {
    return *c;
  }
  service.external_addresses = load_balancer_addresses(document);
  if (service.external_addresses.empty()) {
    if (const json* ips = member(*spec, "externalIPs"); ips && ips->is_array()) {
      for (const auto& ip : *ips) {
        if (ip.is_string()) {
          service.external_addresses.push_back(ip.get<std::string>());
        }
      }
    }
  }
  return Object{std::move(service)};
}

Expected<Object> decode_endpoint_slice(const json& document, ObjectMeta meta) {
  EndpointSlice slice{std::move(meta)};
  if (const auto it = slice.meta.labels.find("kubernetes.io/service-name");
      it != slice.meta.labels.end()) {
    slice.service_name = it->second;
  }
  if (Check c = read_string(document, "addressType", "", slice.address_type)) {
    return *c;
  }
  if (slice.address_type != "IPv4" && slice.address_type != "IPv6" &&
      slice.address_type != "FQDN") {
    return field_error("addressType", "must be IPv4, IPv6 or FQDN");
  }
  if (Check c =
          each(document, "endpoints", "", [&](const json& e, const std::string& path) -> Check {
            SliceEndpoint endpoint;
            const json* addresses = member(e, "addresses");
            if (addresses == nullptr || !addresses->is_array() || addresses->empty() ||
                !(*addresses)[0].is_string()) {
              return field_error(path + ".addresses", "must list at least one address");
            }
            endpoint.address = (*addresses)[0].get<std::string>();
            if (const json* conditions = member(e, "conditions")) {
              const std::string cpath = path + ".conditions";
              Check bad = read_bool(*conditions, "ready", cpath, endpoint.ready);
              if (!bad)
                bad = read_bool(*conditions, "serving", cpath, endpoint.serving);
              if (!bad)
                bad = read_bool(*conditions, "terminating", cpath, endpoint.terminating);
              if (bad) {
                return bad;
              }
            }
            slice.endpoints.push_back(std::move(endpoint));
            return std::nullopt;
          })) {
    return *c;
  }
  if (Check c = each(document, "ports", "", [&](const json& p, const std::string& path) -> Check {
        SlicePort port;
        Check bad = read_string(p, "name", path, port.name);
        if (!bad)
          bad = read_int32(p, "port", path, port.port);
        if (!bad)
          bad = read_string(p, "protocol", path, port.protocol);
        if (bad) {
          return bad;
        }
        if (port.protocol.empty()) {
          port.protocol = "TCP";
        }
        slice.ports.push_back(std::move(port));
        return std::nullopt;
      })) {
    return *c;
  }
  return Object{std::move(slice)};
}

Expected<Object> decode_secret(const json& document, ObjectMeta meta) {
  Secret secret{std::move(meta)};
  if (Check c = read_string(document, "type", "", secret.type)) {
    return *c;
  }
  std::map<std::string, std::string> encoded;
  if (Check c = read_string_map(document, "data", "", encoded)) {
    return *c;
  }
  for (const auto& [key, value] : encoded) {
    auto bytes = base64_decode(value);
    if (!bytes) {
      return field_error("data." + key, "is not valid base64");  // never the value itself
    }
    secret.data[key] = std::move(*bytes);
  }
  std::map<std::string, std::string> plain;
  if (Check c = read_string_map(document, "stringData", "", plain)) {
    return *c;
  }
  for (auto& [key, value] : plain) {
    secret.data[key] = std::move(value);  // stringData wins over data, as the API server merges it
  }
  return Object{std::move(secret)};
}

Expected<Object> decode_config_map(const json& document, ObjectMeta meta) {
  ConfigMap config{std::move(meta)};
  if (Check c = read_string_map(document, "data", "", config.data)) {
    return *c;
  }
  return Object{std::move(config)};
}

struct KindInfo {
  Kind kind;
  const char* api_version;
  const char* name;
  bool namespaced;
  const char* api_prefix;  // "/api/v1" for the core group, else "/apis/GROUP/VERSION"
  const char* plural;
};

constexpr std::array<KindInfo, KindCount> Kinds = {{
    {Kind::Ingress, "networking.k8s.io/v1", "Ingress", true, "/apis/networking.k8s.io/v1",
     "ingresses"},
    {Kind::IngressClass, "networking.k8s.io/v1", "IngressClass", false,
     "/apis/networking.k8s.io/v1", "ingressclasses"},
    {Kind::Service, "v1", "Service", true, "/api/v1", "services"},
    {Kind::EndpointSlice, "discovery.k8s.io/v1", "EndpointSlice", true, "/apis/discovery.k8s.io/v1",
     "endpointslices"},
    {Kind::Secret, "v1", "Secret", true, "/api/v1", "secrets"},
    {Kind::Namespace, "v1", "Namespace", false, "/api/v1", "namespaces"},
    {Kind::ConfigMap, "v1", "ConfigMap", true, "/api/v1", "configmaps"},
    {Kind::GatewayClass, "gateway.networking.k8s.io/v1", "GatewayClass", false,
     "/apis/gateway.networking.k8s.io/v1", "gatewayclasses"},
    {Kind::Gateway, "gateway.networking.k8s.io/v1", "Gateway", true,
     "/apis/gateway.networking.k8s.io/v1", "gateways"},
    {Kind::HttpRoute, "gateway.networking.k8s.io/v1", "HTTPRoute", true,
     "/apis/gateway.networking.k8s.io/v1", "httproutes"},
    {Kind::GrpcRoute, "gateway.networking.k8s.io/v1", "GRPCRoute", true,
     "/apis/gateway.networking.k8s.io/v1", "grpcroutes"},
    {Kind::ReferenceGrant, "gateway.networking.k8s.io/v1beta1", "ReferenceGrant", true,
     "/apis/gateway.networking.k8s.io/v1beta1", "referencegrants"},
}};

std::string string_member(const json& document, const char* name) {
  const json* value = member(document, name);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

}  // namespace

const char* kind_name(Kind kind) noexcept {
  return Kinds[static_cast<std::size_t>(kind)].name;
}

bool is_cluster_scoped(Kind kind) noexcept {
  return !Kinds[static_cast<std::size_t>(kind)].namespaced;
}

const ObjectMeta& meta_of(const Object& object) noexcept {
  return std::visit([](const auto& o) -> const ObjectMeta& { return o.meta; }, object);
}

std::string key_of(const ObjectMeta& meta) {
  return meta.namespace_.empty() ? meta.name : meta.namespace_ + "/" + meta.name;
}

std::string list_page_path(Kind kind, const std::string& namespace_, int limit,
                           std::string_view continue_token) {
  return collection_path(kind, namespace_) + "?limit=" + std::to_string(limit) +
         (continue_token.empty() ? "" : "&continue=" + query_escaped(continue_token));
}

std::string collection_path(Kind kind, const std::string& namespace_) {
  const KindInfo& info = Kinds[static_cast<std::size_t>(kind)];
  std::string path = info.api_prefix;
  if (info.namespaced && !namespace_.empty()) {
    path += "/namespaces/" + namespace_;
  }
  return path + "/" + info.plural;
}

Expected<Object> decode_object_of(Kind kind, json& document) {
  // List items carry no kind or apiVersion: the request says what they are.
  const KindInfo& info = Kinds[static_cast<std::size_t>(kind)];
  if (document.is_object()) {
    document.emplace("kind", info.name);
    document.emplace("apiVersion", info.api_version);
  }
  return decode_object(document);
}

std::optional<Kind> kind_from_json(const json& document) {
  const std::string kind = string_member(document, "kind");
  for (const auto& info : Kinds) {
    if (kind == info.name) {
      return info.kind;
    }
  }
  return std::nullopt;
}

std::string describe(const json& document) {
  std::string kind = string_member(document, "kind");
  const json* metadata = member(document, "metadata");
  std::string ns = metadata ? string_member(*metadata, "namespace") : std::string();
  std::string name = metadata ? string_member(*metadata, "name") : std::string();
  if (kind.empty()) {
    kind = "object";
  }
  if (name.empty()) {
    return kind + " (unnamed)";
  }
  return kind + " " + (ns.empty() ? name : ns + "/" + name);
}

Expected<Object> decode_object(const json& document) {
  const auto kind = kind_from_json(document);
  if (!kind) {
    return fail("kind: not one Portico reads");
  }
  const KindInfo& info = Kinds[static_cast<std::size_t>(*kind)];
  const std::string api_version = string_member(document, "apiVersion");
  if (api_version != info.api_version) {
    return fail("apiVersion: \"" + api_version + "\" is not supported for " + info.name +
                " (expected " + info.api_version + ")");
  }
  ObjectMeta meta;
  if (Check c = decode_meta(document, meta)) {
    return *c;
  }
  if (info.namespaced && meta.namespace_.empty()) {
    meta.namespace_ = "default";
  } else if (!info.namespaced) {
    meta.namespace_.clear();
  }
  switch (*kind) {
    case Kind::Ingress:
      return decode_ingress(document, std::move(meta));
    case Kind::IngressClass:
      return decode_ingress_class(document, std::move(meta));
    case Kind::Service:
      return decode_service(document, std::move(meta));
    case Kind::EndpointSlice:
      return decode_endpoint_slice(document, std::move(meta));
    case Kind::Secret:
      return decode_secret(document, std::move(meta));
    case Kind::Namespace:
      return Object{Namespace{std::move(meta)}};
    case Kind::ConfigMap:
      return decode_config_map(document, std::move(meta));
    case Kind::GatewayClass:
      return decode_gateway_class(document, std::move(meta));
    case Kind::Gateway:
      return decode_gateway(document, std::move(meta));
    case Kind::HttpRoute:
      return decode_http_route(document, std::move(meta));
    case Kind::GrpcRoute:
      return decode_grpc_route(document, std::move(meta));
    case Kind::ReferenceGrant:
      return decode_reference_grant(document, std::move(meta));
  }
  return fail("kind: not one Portico reads");
}

}  // namespace portico::k8s
