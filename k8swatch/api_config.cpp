#include "k8swatch/api_config.hpp"

#include "proxy/common/base64.hpp"
#include "k8swatch/json_fields.hpp"
#include "k8swatch/yaml.hpp"
#include "proxy/common/read_file.hpp"

#include <charconv>
#include <cstdlib>
#include <filesystem>

namespace portico::k8s {
namespace {

using nlohmann::json;

// "https://host:port" (or http, or an IPv6 literal in brackets) into the config.
std::optional<Failure> set_server(ApiConfig& config, std::string server) {
  const auto scheme_end = server.find("://");
  if (scheme_end == std::string::npos) {
    return Failure{"server \"" + server + "\" has no scheme"};
  }
  config.scheme = server.substr(0, scheme_end);
  if (config.scheme != "http" && config.scheme != "https") {
    return Failure{"server \"" + server + "\": only http and https are supported"};
  }
  std::string rest = server.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('/'));
  config.port = config.scheme == "https" ? 443 : 80;
  const auto close = rest.find(']');
  const auto colon = rest.rfind(':');
  if (colon != std::string::npos && (close == std::string::npos || colon > close)) {
    const std::string port = rest.substr(colon + 1);
    if (std::from_chars(port.data(), port.data() + port.size(), config.port).ec != std::errc{}) {
      return Failure{"server \"" + server + "\" has a bad port"};
    }
    rest.resize(colon);
  }
  if (rest.size() > 2 && rest.front() == '[') {
    rest = rest.substr(1, rest.size() - 2);
  }
  config.host = rest;
  return config.host.empty()
             ? std::optional<Failure>(Failure{"server \"" + server + "\" has no host"})
             : std::nullopt;
}

// A PEM taken from NAME-data (base64) or NAME (a file, relative to the kubeconfig's folder).
std::optional<Failure> read_pem(const json& node, const std::string& name,
                                const std::filesystem::path& base, std::string& out) {
  if (const auto data = string_field(node, (name + "-data").c_str()); !data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) {
      return Failure{name + "-data is not valid base64"};
    }
    out = std::move(*decoded);
  } else if (const auto file = string_field(node, name.c_str()); !file.empty()) {
    const auto path = base / file;
    auto text = read_file(path.string());
    if (!text) {
      return Failure{name + ": cannot read " + path.string()};
    }
    out = std::move(*text);
  }
  return std::nullopt;
}

// The `field` of the entry called `name` in a kubeconfig list; null when absent.
json named(const json& root, const char* list, const std::string& name, const char* field) {
  const auto entries = root.find(list);
  if (entries == root.end() || !entries->is_array()) {
    return nullptr;
  }
  for (const auto& entry : *entries) {
    if (string_field(entry, "name") == name && entry.contains(field)) {
      return entry[field];
    }
  }
  return nullptr;
}

}  // namespace

Expected<ApiConfig> load_kubeconfig(const std::string& path) {
  const auto text = read_file(path);
  if (!text) {
    return fail("--kubeconfig " + path + ": cannot be read");
  }
  const auto base = std::filesystem::path(path).parent_path();
  ApiConfig config;
  auto documents = parse_yaml(*text);
  if (!documents) {
    return fail("--kubeconfig " + path + ": not valid YAML: " + documents.error());
  }
  const json root = documents->empty() ? json() : std::move(documents->front());
  if (!root.is_object()) {
    return fail("--kubeconfig " + path + ": not a kubeconfig");
  }
  const json context = named(root, "contexts", string_field(root, "current-context"), "context");
  if (!context.is_object()) {
    return fail("--kubeconfig " + path + ": no current-context");
  }
  const json cluster = named(root, "clusters", string_field(context, "cluster"), "cluster");
  const json user = named(root, "users", string_field(context, "user"), "user");
  if (string_field(cluster, "server").empty()) {
    return fail("--kubeconfig " + path + ": the current context has no cluster server");
  }
  if (auto failure = set_server(config, string_field(cluster, "server"))) {
    return fail("--kubeconfig " + path + ": " + failure->reason);
  }
  config.namespace_ = string_field(context, "namespace");
  const auto insecure = cluster.find("insecure-skip-tls-verify");
  config.insecure_skip_verify = insecure != cluster.end() && *insecure == true;
  std::optional<Failure> failure = read_pem(cluster, "certificate-authority", base, config.ca_pem);
  if (!failure) {
    failure = read_pem(user, "client-certificate", base, config.client_cert_pem);
  }
  if (!failure) {
    failure = read_pem(user, "client-key", base, config.client_key_pem);
  }
  if (failure) {
    return fail("--kubeconfig " + path + ": " + failure->reason);
  }
  config.token = string_field(user, "token");
  if (const auto file = string_field(user, "tokenFile"); !file.empty()) {
    config.token_file = (base / file).string();
  }
  return config;
}

Expected<ApiConfig> in_cluster_config(const std::string& account_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr) {
    return fail("not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset");
  }
  ApiConfig config;
  const std::string host_text = std::string(host).find(':') != std::string::npos
                                    ? "[" + std::string(host) + "]"
                                    : std::string(host);
  if (auto failure = set_server(config, "https://" + host_text + ":" + port)) {
    return fail("in-cluster: " + failure->reason);
  }
  config.token_file = account_dir + "/token";
  auto ca = read_file(account_dir + "/ca.crt");
  if (!ca) {
    return fail("in-cluster: cannot read " + account_dir + "/ca.crt");
  }
  config.ca_pem = std::move(*ca);
  if (auto ns = read_file(account_dir + "/namespace")) {
    config.namespace_ = *ns;
  }
  return config;
}

}  // namespace portico::k8s
