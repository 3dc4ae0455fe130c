#include "config/annotations.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "proxy/common/log.hpp"
#include "proxy/common/quantity.hpp"

namespace portico {
namespace {

constexpr std::string_view OurPrefix = "portico.dev/";
constexpr std::string_view NginxPrefix = "nginx.ingress.kubernetes.io/";

// Every setting read below, by its name after the prefix.
constexpr std::array Supported = {
    std::string_view("ssl-redirect"),          std::string_view("proxy-body-size"),
    std::string_view("proxy-connect-timeout"), std::string_view("proxy-read-timeout"),
    std::string_view("proxy-send-timeout"),
};

// Longest timeout an annotation may ask for: beyond a day is a mistake, not a setting.
constexpr std::chrono::hours MaxTimeout{24};

class Reader {
 public:
  explicit Reader(const k8s::Ingress& ingress) : ingress_(ingress) {}

  // The value of setting `name` (ours first), remembering which annotation it came from.
  std::optional<std::string_view> find(std::string_view name) {
    for (const auto prefix : {OurPrefix, NginxPrefix}) {
      const auto it = ingress_.meta.annotations.find(std::string(prefix).append(name));
      if (it != ingress_.meta.annotations.end()) {
        source_ = it->first;
        return it->second;
      }
    }
    return std::nullopt;
  }

  void warn(const std::string& annotation, std::string_view reason) const {
    log::warn("config", "annotation ignored",
              {{"ingress", k8s::key_of(ingress_.meta)},
               {"annotation", annotation},
               {"reason", std::string(reason)}});
  }
  void reject(std::string_view reason) const { warn(source_, reason); }

  std::optional<bool> boolean(std::string_view name) {
    const auto value = find(name);
    if (!value) {
      return std::nullopt;
    }
    if (*value == "true" || *value == "false") {
      return *value == "true";
    }
    reject("expected \"true\" or \"false\"");
    return std::nullopt;
  }

  std::optional<std::chrono::milliseconds> timeout(std::string_view name) {
    const auto value = find(name);
    if (!value) {
      return std::nullopt;
    }
    const auto parsed = parse_duration(*value);
    if (!parsed) {
      reject(parsed.error());
    } else if (*parsed <= std::chrono::milliseconds::zero() || *parsed > MaxTimeout) {
      reject("must be more than 0 and at most 24h");
    } else {
      return *parsed;
    }
    return std::nullopt;
  }

  std::optional<std::uint64_t> size(std::string_view name) {
    const auto value = find(name);
    if (!value) {
      return std::nullopt;
    }
    const auto parsed = parse_size(*value);
    if (!parsed) {
      reject(parsed.error());
      return std::nullopt;
    }
    return *parsed;
  }

  // Annotations under our prefixes that nothing reads: snippets (never applied, by design)
  // and names we do not support. Said so the author is not left guessing.
  void warn_unread() const {
    for (const auto& [key, value] : ingress_.meta.annotations) {
      std::string_view name = key;
      if (name.starts_with(OurPrefix)) {
        name.remove_prefix(OurPrefix.size());
      } else if (name.starts_with(NginxPrefix)) {
        name.remove_prefix(NginxPrefix.size());
      } else {
        continue;
      }
      if (name.ends_with("snippet")) {
        warn(key, "snippets are never applied: Portico takes typed settings only");
      } else if (std::find(Supported.begin(), Supported.end(), name) == Supported.end()) {
        warn(key, "not supported by Portico");
      }
    }
  }

 private:
  const k8s::Ingress& ingress_;
  std::string source_;
};

}  // namespace

bool wants_builtin_acme(const k8s::Ingress& ingress) {
  const auto& annotations = ingress.meta.annotations;
  const auto acme = annotations.find("kubernetes.io/tls-acme");
  if (acme == annotations.end() || acme->second != "true") {
    return false;
  }
  return std::none_of(annotations.begin(), annotations.end(), [](const auto& entry) {
    return entry.first.starts_with("cert-manager.io/");
  });
}

IngressAnnotations read_annotations(const k8s::Ingress& ingress) {
  Reader reader(ingress);
  IngressAnnotations out;
  out.ssl_redirect = reader.boolean("ssl-redirect").value_or(true);
  RoutePolicy policy;
  policy.max_body_bytes = reader.size("proxy-body-size");
  policy.connect_timeout = reader.timeout("proxy-connect-timeout");
  policy.read_timeout = reader.timeout("proxy-read-timeout");
  policy.send_timeout = reader.timeout("proxy-send-timeout");
  if (policy != RoutePolicy{}) {
    out.policy = std::make_shared<const RoutePolicy>(policy);
  }
  reader.warn_unread();
  return out;
}

}  // namespace portico
