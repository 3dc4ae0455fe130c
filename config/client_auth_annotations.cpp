#include "config/client_auth_annotations.hpp"

#include <array>

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
  out.client_ca_secret = secret_key_of(reader, *secret_name);
  reader.find("auth-tls-secret");  // the verdicts below are the Secret's
  const k8s::Secret* secret = secrets ? secrets(out.client_ca_secret) : nullptr;
  if (secret == nullptr) {
    refuse("Secret " + out.client_ca_secret + " not found");
    return;
  }
  auto made = ClientAuth::make(secret_value(*secret, "ca.crt"), secret_value(*secret, "ca.crl"),
                               std::move(settings));
  if (!made) {
    refuse("Secret " + out.client_ca_secret + ": " + made.error());
    return;
  }
  out.client_auth = std::move(*made);
}

}  // namespace portico
