#include "config/tls_annotations.hpp"

#include <array>
#include <optional>

#include "config/setting_values.hpp"
#include "proxy/route/path.hpp"
#include "proxy/tls/backend_tls.hpp"
#include "proxy/tls/tls_context.hpp"

namespace portico {
namespace {

// auth-tls-verify-client's values; ingress-nginx takes anything else as "on", the strictest.
constexpr std::array<std::pair<std::string_view, ClientVerify>, 3> VerifyModes = {{
    {"on", ClientVerify::On},
    {"optional", ClientVerify::Optional},
    {"optional_no_ca", ClientVerify::OptionalNoCa},
}};

ClientVerify read_verify_mode(AnnotationReader& reader) {
  const auto value = reader.find("auth-tls-verify-client");
  if (!value) {
    return ClientVerify::On;
  }
  for (const auto& [name, mode] : VerifyModes) {
    if (*value == name) {
      return mode;
    }
  }
  reader.reject("expected on, off, optional or optional_no_ca; \"on\" applies");
  return ClientVerify::On;
}

std::string secret_value(const k8s::Secret& secret, const std::string& key) {
  const auto it = secret.data.find(key);
  return it == secret.data.end() ? std::string() : it->second;
}

}  // namespace

void read_client_auth(AnnotationReader& reader, const SecretLookup& secrets, RoutePolicy& policy,
                      IngressAnnotations& out) {
  const auto secret_name = reader.find("auth-tls-secret");
  if (!secret_name) {
    return;  // the other auth-tls-* refine it; alone they are noted as not used
  }
  const auto refuse = [&](std::string_view reason) {
    reader.refuse(reason);
    policy.fail_closed = true;
  };
  if (reader.find("auth-tls-verify-client") == "off") {
    return;  // the CAs are named but nothing is asked of clients
  }
  ClientAuth::Settings settings;
  settings.verify = read_verify_mode(reader);
  // ingress-nginx takes an invalid depth, or 0, as its default of 1.
  settings.depth = static_cast<int>(reader.integer("auth-tls-verify-depth", 1, 100).value_or(1));
  settings.pass_certificate =
      reader.boolean("auth-tls-pass-certificate-to-upstream").value_or(false);
  if (const auto page = reader.find("auth-tls-error-page")) {
    if (!is_redirect_target(*page)) {
      refuse("expected an http(s) URL or a path");
      return;
    }
    settings.error_page = *page;
  }
  if (const auto pattern = reader.find("auth-tls-match-cn")) {
    // ingress-nginx's template searches the subject DN ("CN=alice,O=Example") with the whole
    // value, "CN=" included, case-sensitively.
    auto compiled = pattern->starts_with("CN=")
                        ? PathRegex::compile(*pattern, RegexStyle::Search)
                        : fail("expected CN= followed by a regular expression");
    if (!compiled) {
      refuse(compiled.error());
      return;
    }
    settings.match_cn = std::move(*compiled);
    settings.match_cn_text = *pattern;
  }
  const std::string secret_key = object_key_of(reader, *secret_name);
  reader.find("auth-tls-secret");  // the verdicts below are the Secret's
  const k8s::Secret* secret = secrets(secret_key);
  if (secret == nullptr) {
    refuse("Secret " + secret_key + " not found");
    return;
  }
  auto made = ClientAuth::make(secret_value(*secret, "ca.crt"), secret_value(*secret, "ca.crl"),
                               std::move(settings));
  if (!made) {
    refuse("Secret " + secret_key + ": " + made.error());
    return;
  }
  out.client_auth = std::move(*made);
}

void read_backend_tls(AnnotationReader& reader, const SecretLookup& secrets, RoutePolicy& policy) {
  const auto refuse = [&](std::string_view reason) {
    reader.refuse(reason);
    policy.fail_closed = true;
  };
  BackendTls::Settings settings;
  const auto protocols = reader.find("proxy-ssl-protocols");
  if (protocols) {
    if (const auto parsed = parse_tls_protocols(*protocols); !parsed) {
      reader.reject(parsed.error());
    } else {
      settings.tls13_only = !parsed->tls12;
    }
  }
  const auto ciphers = reader.text("proxy-ssl-ciphers", is_cipher_list,
                                   "not an OpenSSL cipher list that names a cipher");
  settings.ciphers = ciphers.value_or("");
  const auto on_off = [&](const char* name) -> std::optional<bool> {
    const auto value = reader.find(name);
    if (value && *value != "on" && *value != "off") {
      refuse("expected on or off");  // "true" would mean on to its author
      return std::nullopt;
    }
    return value ? std::optional<bool>(*value == "on") : std::nullopt;
  };
  const auto verify = on_off("proxy-ssl-verify");
  const auto send_name = on_off("proxy-ssl-server-name");
  const auto name = reader.text(
      "proxy-ssl-name",
      [](std::string_view s) {
        return !s.empty() && s.find(':') == std::string_view::npos && valid_authority(s);
      },
      "expected a host name");
  const auto depth = reader.integer("proxy-ssl-verify-depth", 1, 100);
  const auto secret_name = reader.find("proxy-ssl-secret");
  if (policy.fail_closed ||
      !(verify || send_name || name || depth || secret_name || protocols || ciphers)) {
    return;
  }
  settings.verify = verify.value_or(false);
  settings.send_name = send_name.value_or(false);
  settings.name = name.value_or("");
  settings.depth = static_cast<int>(depth.value_or(1));
  if (settings.verify && settings.name.empty()) {
    reader.find("proxy-ssl-verify");
    refuse("needs proxy-ssl-name: the name the backend's certificate must be valid for");
    return;
  }
  const k8s::Secret* secret = nullptr;
  std::string secret_key;
  if (secret_name) {
    secret_key = object_key_of(reader, *secret_name);
    secret = secrets(secret_key);
    if (secret == nullptr) {
      refuse("Secret " + secret_key + " not found");
      return;
    }
  } else if (settings.verify) {
    reader.find("proxy-ssl-verify");
    refuse("needs proxy-ssl-secret: the CAs (ca.crt) the backend's certificate must chain to");
    return;
  }
  const auto value = [&](const char* key) {
    return secret != nullptr ? secret_value(*secret, key) : std::string();
  };
  auto made =
      BackendTls::make(value("ca.crt"), value("tls.crt"), value("tls.key"), std::move(settings));
  if (!made) {
    reader.find("proxy-ssl-secret");
    refuse("Secret " + secret_key + ": " + made.error());
    return;
  }
  policy.backend_tls = std::move(*made);
}

}  // namespace portico
