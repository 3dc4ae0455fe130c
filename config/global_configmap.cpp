#include "config/global_configmap.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>

#include "config/annotation_reader.hpp"
#include "config/header_annotations.hpp"
#include "config/setting_values.hpp"
#include "proxy/common/text.hpp"
#include "proxy/tls/tls_context.hpp"

namespace portico {
namespace {

// Keys that change nothing Portico does, or that its flags decide instead; each with the
// verdict it gets (a table: kept packed).
// clang-format off
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> Acknowledged = {{
    {"allow-snippet-annotations", "applied, differs: snippets are never applied, whatever it says"},
    {"annotations-risk-level", "applied, differs: every annotation Portico reads is typed and bounded, whatever the level"},
    {"server-tokens", "applied, differs: the Server header is \"portico\", without a version, whatever it says"},
    {"use-http2", "applied, differs: HTTP/2 is always offered (ALPN h2 and h2c)"},
    {"client-header-timeout", "ignored: --client-header-timeout sets it"},
    {"http2-max-concurrent-streams", "ignored: --http2-max-concurrent-streams sets it"},
    {"worker-processes", "ignored: --workers sets it"},
}};
// clang-format on

// Every key nothing else judged: acknowledged, a snippet, or unknown.
void judge_the_rest(AnnotationReader& reader) {
  for (const auto& entry : reader.values()) {
    const std::string& key = entry.first;  // named: clang 14 cannot capture a binding
    if (reader.judged(key) || is_annotation_default(key)) {
      continue;
    }
    const auto known =
        std::find_if(Acknowledged.begin(), Acknowledged.end(),
                     [&](const auto& acknowledged) { return acknowledged.first == key; });
    if (known != Acknowledged.end() && known->second.starts_with("ignored: ")) {
      reader.warn(key, known->second.substr(9));
    } else if (known != Acknowledged.end()) {
      reader.judge(key, std::string(known->second));
    } else if (key.ends_with("snippet")) {
      reader.warn(key, "snippets are never applied: Portico takes typed settings only");
    } else {
      reader.warn(key, "not supported by Portico");
    }
  }
}

void read_client_trust(AnnotationReader& reader, GlobalPolicy& policy) {
  policy.forwarded_headers = reader.boolean("use-forwarded-headers").value_or(false);
  policy.real_ip = reader.boolean("enable-real-ip").value_or(false);
  if (const auto header = reader.find("forwarded-for-header")) {
    if (is_token(*header)) {
      policy.forwarded_for_header = std::string(*header);
    } else {
      reader.reject("expected a header name");
    }
  }
  // ingress-nginx's default: every peer may speak for its clients once the headers are on.
  policy.trusted_proxies = *SourceRanges::parse("0.0.0.0/0");
  if (const auto cidrs = reader.find("proxy-real-ip-cidr")) {
    if (auto ranges = SourceRanges::parse(*cidrs)) {
      policy.trusted_proxies = std::move(*ranges);
    } else {
      // Believing everyone would let any client pick its address: believe no one instead.
      policy.trusted_proxies = SourceRanges();
      reader.reject(ranges.error() + ": no peer is believed");
    }
  }
  if (reader.boolean("compute-full-forwarded-for").value_or(true) == false) {
    reader.judge("compute-full-forwarded-for",
                 "applied, differs: X-Forwarded-For always keeps what the client sent and "
                 "appends the peer's address, as with \"true\"");
  }
  policy.proxy_protocol = reader.boolean("use-proxy-protocol").value_or(false);
}

// ingress-nginx's defaults: on, a year, subdomains included, no preload.
void read_hsts(AnnotationReader& reader, GlobalPolicy& policy) {
  if (!reader.boolean("hsts").value_or(true)) {
    policy.hsts = "";
    return;
  }
  const auto max_age = reader.integer("hsts-max-age", 0, 1'000'000'000).value_or(31536000);
  policy.hsts = "max-age=" + std::to_string(max_age);
  if (reader.boolean("hsts-include-subdomains").value_or(true)) {
    *policy.hsts += "; includeSubDomains";
  }
  if (reader.boolean("hsts-preload").value_or(false)) {
    *policy.hsts += "; preload";
  }
}

void read_blocks(AnnotationReader& reader, GlobalPolicy& policy) {
  if (const auto cidrs = reader.find("block-cidrs")) {
    if (auto ranges = SourceRanges::parse(*cidrs)) {
      policy.blocked_sources = std::move(*ranges);
    } else {
      reader.refuse(ranges.error());
      policy.fail_closed = true;
    }
  }
  if (const auto agents = reader.find("block-user-agents")) {
    if (auto list = UserAgentBlocklist::parse(*agents)) {
      policy.blocked_agents = std::move(*list);
    } else {
      reader.refuse(list.error());
      policy.fail_closed = true;
    }
  }
}

// ssl-protocols and ssl-ciphers, for the HTTPS listener's handshakes. Portico never offers
// TLS 1.0 or 1.1; naming them is noted, and a list of only those keeps TLS 1.2 and 1.3.
void read_tls(AnnotationReader& reader, GlobalPolicy& policy) {
  if (const auto protocols = reader.find("ssl-protocols")) {
    if (const auto parsed = parse_tls_protocols(*protocols); !parsed) {
      reader.reject(parsed.error());
    } else {
      policy.tls13_only = !parsed->tls12;
      if (parsed->older) {
        reader.judge("ssl-protocols",
                     "applied, differs: TLS 1.0 and 1.1 are never offered, whatever it lists");
      }
    }
  }
  if (const auto ciphers = reader.find("ssl-ciphers")) {
    if (is_cipher_list(*ciphers)) {
      policy.tls12_ciphers = std::string(*ciphers);
    } else {
      reader.reject("not an OpenSSL cipher list that names a cipher");
    }
  }
}

// As ingress-nginx writes them into nginx's keepalive_timeout, keepalive_requests and its
// upstream keepalive block: whole seconds and counts.
void read_keep_alive(AnnotationReader& reader, KeepAliveOverrides& keep_alive) {
  constexpr long Day = 24 * 3600;
  constexpr long Billion = 1'000'000'000;
  const auto seconds = [](long n) { return std::chrono::milliseconds(n * 1000); };
  if (const auto idle = reader.integer("keep-alive", 0, Day)) {
    keep_alive.client_idle_timeout = seconds(*idle);
  }
  if (const auto requests = reader.integer("keep-alive-requests", 1, Billion)) {
    keep_alive.client_max_requests = static_cast<std::uint64_t>(*requests);
  }
  if (const auto idle = reader.integer("upstream-keepalive-connections", 0, 100'000)) {
    keep_alive.max_idle_per_endpoint = static_cast<std::size_t>(*idle);
  }
  if (const auto idle = reader.integer("upstream-keepalive-timeout", 1, Day)) {
    keep_alive.upstream_idle_timeout = seconds(*idle);
  }
  if (const auto requests = reader.integer("upstream-keepalive-requests", 1, Billion)) {
    keep_alive.upstream_max_requests = static_cast<std::uint64_t>(*requests);
  }
}

// global-auth-* (the auth every Ingress without its own gets) and no-auth-locations (the
// Ingress paths no auth-url applies to; ingress-nginx's default spares ACME's HTTP-01 paths).
void read_auth_settings(AnnotationReader& reader, const std::map<std::string, std::string>& data,
                        const std::string& key, ConfigMapSettings& out, GlobalPolicy& policy) {
  AnnotationNotes judged;
  bool fails_closed = false;
  out.global_auth = read_global_auth(data, key, judged, fails_closed);
  for (const AnnotationNote& note : judged) {
    reader.judge(note.annotation, note.verdict);  // one list of verdicts for the ConfigMap
  }
  policy.fail_closed = policy.fail_closed || fails_closed;
  if (const auto locations = reader.find("no-auth-locations")) {
    out.no_auth_locations.clear();
    for_each_item(*locations, ',', [&](std::string_view location) {
      if (!location.empty()) {
        out.no_auth_locations.emplace_back(location);
      }
      return true;
    });
  }
}

}  // namespace

ConfigMapSettings read_configmap(const k8s::ConfigMap* configmap, const std::string& key,
                                 const ConfigMapLookup& configmaps) {
  static const std::map<std::string, std::string> none;
  const auto& data = configmap != nullptr ? configmap->data : none;
  ConfigMapSettings out;
  out.defaults = read_annotation_defaults(data, key, out.notes);
  AnnotationReader reader(data, {""}, {"configmap", key}, nullptr, "");
  auto policy = std::make_shared<GlobalPolicy>();
  read_client_trust(reader, *policy);
  read_hsts(reader, *policy);
  read_blocks(reader, *policy);
  read_tls(reader, *policy);
  read_keep_alive(reader, policy->keep_alive);
  const ConfigMapLookup recorded = [&](const std::string& named) -> const k8s::ConfigMap* {
    out.configmaps_read.push_back(named);
    return configmaps ? configmaps(named) : nullptr;
  };
  policy->response_headers = read_header_configmap(reader, "add-headers", recorded);
  policy->request_headers = read_header_configmap(reader, "proxy-set-headers", recorded);
  out.allowed_response_headers = read_allowed_response_headers(reader);
  policy->limit_req_status =
      static_cast<unsigned>(reader.integer("limit-req-status-code", 400, 599).value_or(503));
  policy->limit_conn_status =
      static_cast<unsigned>(reader.integer("limit-conn-status-code", 400, 599).value_or(503));
  read_auth_settings(reader, data, key, out, *policy);
  judge_the_rest(reader);
  const AnnotationNotes judged = reader.notes();
  out.notes.insert(out.notes.end(), judged.begin(), judged.end());
  std::sort(out.notes.begin(), out.notes.end(),
            [](const auto& a, const auto& b) { return a.annotation < b.annotation; });
  out.global = std::move(policy);
  return out;
}

}  // namespace portico
