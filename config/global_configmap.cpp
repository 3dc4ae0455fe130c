#include "config/global_configmap.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>

#include "config/setting_values.hpp"
#include "proxy/common/log.hpp"

namespace portico {
namespace {

// Keys that change nothing Portico does, or that its flags decide instead; each with the
// verdict it gets (a table: kept packed).
// clang-format off
constexpr std::array<std::pair<std::string_view, std::string_view>, 14> Acknowledged = {{
    {"allow-snippet-annotations", "applied, differs: snippets are never applied, whatever it says"},
    {"annotations-risk-level", "applied, differs: every annotation Portico reads is typed and bounded, whatever the level"},
    {"server-tokens", "applied, differs: the Server header is \"portico\", without a version, whatever it says"},
    {"use-http2", "applied, differs: HTTP/2 is always offered (ALPN h2 and h2c)"},
    {"keep-alive", "ignored: --client-idle-timeout sets how long an idle client connection stays open"},
    {"keep-alive-requests", "ignored: a client connection carries requests until it is idle for --client-idle-timeout"},
    {"upstream-keepalive-connections", "ignored: each worker keeps up to 1024 idle connections per endpoint"},
    {"upstream-keepalive-timeout", "ignored: idle upstream connections close after 30 s"},
    {"upstream-keepalive-requests", "ignored: upstream connections are reused without a count"},
    {"ssl-protocols", "ignored: TLS 1.2 and 1.3 are offered, nothing older"},
    {"ssl-ciphers", "ignored: OpenSSL's modern cipher list is used"},
    {"client-header-timeout", "ignored: --client-header-timeout sets it"},
    {"http2-max-concurrent-streams", "ignored: --http2-max-concurrent-streams sets it"},
    {"worker-processes", "ignored: --workers sets it"},
}};
// clang-format on

// Judges the global keys of one ConfigMap, remembering each verdict.
class KeyReader {
 public:
  KeyReader(const std::map<std::string, std::string>& data, const std::string& configmap)
      : data_(data), configmap_(configmap) {}

  std::optional<std::string_view> find(std::string_view key) {
    const auto it = data_.find(std::string(key));
    if (it == data_.end()) {
      return std::nullopt;
    }
    verdicts_.try_emplace(it->first, "applied");
    return it->second;
  }
  void judge(std::string_view key, std::string verdict) {
    verdicts_.insert_or_assign(std::string(key), std::move(verdict));
  }
  void reject(std::string_view key, std::string_view reason) {
    judge(key, "ignored: " + std::string(reason));
    log::warn(
        "config", "ConfigMap key ignored",
        {{"configmap", configmap_}, {"key", std::string(key)}, {"reason", std::string(reason)}});
  }
  void refuse(std::string_view key, std::string_view reason) {
    judge(key, "fails closed (503): " + std::string(reason));
    log::warn(
        "config", "ConfigMap key invalid: every request answers 503 until it is fixed",
        {{"configmap", configmap_}, {"key", std::string(key)}, {"reason", std::string(reason)}});
  }

  std::optional<bool> boolean(std::string_view key) {
    const auto value = find(key);
    if (!value) {
      return std::nullopt;
    }
    const auto parsed = parse_true_false(*value);
    if (!parsed) {
      reject(key, parsed.error());
      return std::nullopt;
    }
    return *parsed;
  }
  std::optional<long> integer(std::string_view key, long min, long max) {
    const auto value = find(key);
    if (!value) {
      return std::nullopt;
    }
    const auto parsed = parse_whole_number(*value, min, max);
    if (!parsed) {
      reject(key, parsed.error());
      return std::nullopt;
    }
    return *parsed;
  }

  // Every key nothing above judged: acknowledged, a snippet, or unknown.
  void judge_the_rest() {
    for (const auto& entry : data_) {
      const std::string& key = entry.first;  // named: clang 14 cannot capture a binding
      if (verdicts_.contains(key) || is_annotation_default(key)) {
        continue;
      }
      const auto known =
          std::find_if(Acknowledged.begin(), Acknowledged.end(),
                       [&](const auto& acknowledged) { return acknowledged.first == key; });
      if (known != Acknowledged.end() && known->second.starts_with("ignored: ")) {
        reject(key, known->second.substr(9));
      } else if (known != Acknowledged.end()) {
        judge(key, std::string(known->second));
      } else if (key.ends_with("snippet")) {
        reject(key, "snippets are never applied: Portico takes typed settings only");
      } else {
        reject(key, "not supported by Portico");
      }
    }
  }

  void add_notes(AnnotationNotes& notes) const {
    for (const auto& [key, verdict] : verdicts_) {
      notes.push_back({key, data_.at(key), verdict});
    }
  }

 private:
  const std::map<std::string, std::string>& data_;
  const std::string& configmap_;
  std::map<std::string, std::string> verdicts_;
};

void read_client_trust(KeyReader& reader, GlobalPolicy& policy) {
  policy.forwarded_headers = reader.boolean("use-forwarded-headers").value_or(false);
  policy.real_ip = reader.boolean("enable-real-ip").value_or(false);
  if (const auto header = reader.find("forwarded-for-header")) {
    if (is_token(*header)) {
      policy.forwarded_for_header = std::string(*header);
    } else {
      reader.reject("forwarded-for-header", "expected a header name");
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
      reader.reject("proxy-real-ip-cidr", ranges.error() + ": no peer is believed");
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
void read_hsts(KeyReader& reader, GlobalPolicy& policy) {
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

void read_blocks(KeyReader& reader, GlobalPolicy& policy) {
  if (const auto cidrs = reader.find("block-cidrs")) {
    if (auto ranges = SourceRanges::parse(*cidrs)) {
      policy.blocked_sources = std::move(*ranges);
    } else {
      reader.refuse("block-cidrs", ranges.error());
      policy.fail_closed = true;
    }
  }
  if (const auto agents = reader.find("block-user-agents")) {
    if (auto list = UserAgentBlocklist::parse(*agents)) {
      policy.blocked_agents = std::move(*list);
    } else {
      reader.refuse("block-user-agents", list.error());
      policy.fail_closed = true;
    }
  }
}

}  // namespace

ConfigMapSettings read_configmap(const k8s::ConfigMap* configmap, const std::string& key) {
  static const std::map<std::string, std::string> none;
  const auto& data = configmap != nullptr ? configmap->data : none;
  ConfigMapSettings out;
  out.defaults = read_annotation_defaults(data, key, out.notes);
  KeyReader reader(data, key);
  auto policy = std::make_shared<GlobalPolicy>();
  read_client_trust(reader, *policy);
  read_hsts(reader, *policy);
  read_blocks(reader, *policy);
  policy->limit_req_status =
      static_cast<unsigned>(reader.integer("limit-req-status-code", 400, 599).value_or(503));
  policy->limit_conn_status =
      static_cast<unsigned>(reader.integer("limit-conn-status-code", 400, 599).value_or(503));
  reader.judge_the_rest();
  reader.add_notes(out.notes);
  std::sort(out.notes.begin(), out.notes.end(),
            [](const auto& a, const auto& b) { return a.annotation < b.annotation; });
  out.global = std::move(policy);
  return out;
}

}  // namespace portico
