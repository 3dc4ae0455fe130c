#pragma once
// CertTable: where a certificate is chosen. By SNI: an exact host, else a one-label wildcard,
// else the default certificate. Also the hosts listed in some Ingress's spec.tls, which plain
// HTTP redirects to HTTPS, and the hosts that ask clients for certificates (auth-tls-*). Built by
// the control plane, immutable, read by workers during handshakes through their pinned snapshot.
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "proxy/common/string_hash.hpp"
#include "proxy/tls/client_auth.hpp"
#include "proxy/tls/tls_context.hpp"

namespace portico {

class CertTable {
 public:
  explicit CertTable(TlsContextPtr default_certificate)
      : default_(std::move(default_certificate)) {}

  // `host` is lowercase: "a.example.com" or "*.example.com". The first one set keeps a host.
  void add(const std::string& host, TlsContextPtr context);
  void redirect_to_https(const std::string& host);

  // auth-tls: the client certificates `host` ("" for the host-less rules) asks for; null asks
  // for none, even where the host-less rules do. The first one set keeps a host.
  void set_client_auth(const std::string& host, ClientAuthPtr auth);

  const TlsContext& select(std::string_view server_name) const noexcept;
  bool redirects(std::string_view host) const noexcept;
  // For the handshake's server name and for each request's host alike, so both judge a
  // host the same way: its own entry, else its one-label wildcard's, else the host-less
  // rules'. Null: no client certificate is asked for.
  const ClientAuthPtr& client_auth(std::string_view host) const noexcept;
  // Whether some host asks for client certificates (most tables: none).
  bool asks_client_certificates() const noexcept {
    return !client_auth_exact_.empty() || !client_auth_wildcard_.empty();
  }

  // Every host's certificate ("*.b" for wildcards), then the default one with host "", for
  // the expiry metric.
  template <class Visit>
  void for_each_certificate(Visit&& visit) const {
    for (const auto& [host, context] : exact_) {
      visit(std::string_view(host), *context);
    }
    for (const auto& [suffix, context] : wildcard_) {
      visit("*." + suffix, *context);
    }
    visit(std::string_view(), *default_);
  }

 private:
  using Contexts = std::unordered_map<std::string, TlsContextPtr, StringHash, std::equal_to<>>;
  TlsContextPtr default_;
  Contexts exact_;
  Contexts wildcard_;  // by the suffix after "*."
  std::unordered_set<std::string, StringHash, std::equal_to<>> redirect_exact_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> redirect_wildcard_;
  using ClientAuths = std::unordered_map<std::string, ClientAuthPtr, StringHash, std::equal_to<>>;
  ClientAuths client_auth_exact_;     // "" is the host-less rules'
  ClientAuths client_auth_wildcard_;  // by the suffix after "*."
};

}  // namespace portico
