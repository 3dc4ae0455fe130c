#include "proxy/tls/cert_table.hpp"

namespace portico {
namespace {

// The suffix a one-label wildcard would be keyed by: "a.example.com" -> "example.com".
std::string_view parent_of(std::string_view host) {
  const auto dot = host.find('.');
  return dot == std::string_view::npos || dot == 0 ? std::string_view{} : host.substr(dot + 1);
}

}  // namespace

void CertTable::add(const std::string& host, TlsContextPtr context) {
  if (host.starts_with("*.")) {
    wildcard_.try_emplace(host.substr(2), std::move(context));
  } else {
    exact_.try_emplace(host, std::move(context));
  }
}

void CertTable::redirect_to_https(const std::string& host) {
  if (host.starts_with("*.")) {
    redirect_wildcard_.insert(host.substr(2));
  } else {
    redirect_exact_.insert(host);
  }
}

void CertTable::set_client_auth(const std::string& host, ClientAuthPtr auth) {
  if (host.starts_with("*.")) {
    client_auth_wildcard_.try_emplace(host.substr(2), std::move(auth));
  } else {
    client_auth_exact_.try_emplace(host, std::move(auth));
  }
}

const ClientAuthPtr& CertTable::client_auth(std::string_view host) const noexcept {
  static const ClientAuthPtr none;
  if (const auto it = client_auth_exact_.find(host); it != client_auth_exact_.end()) {
    return it->second;
  }
  if (const auto parent = parent_of(host); !parent.empty()) {
    if (const auto it = client_auth_wildcard_.find(parent); it != client_auth_wildcard_.end()) {
      return it->second;
    }
  }
  const auto any = client_auth_exact_.find(std::string_view());
  return any != client_auth_exact_.end() ? any->second : none;
}

const TlsContext& CertTable::select(std::string_view server_name) const noexcept {
  if (const auto it = exact_.find(server_name); it != exact_.end()) {
    return *it->second;
  }
  if (const auto parent = parent_of(server_name); !parent.empty()) {
    if (const auto it = wildcard_.find(parent); it != wildcard_.end()) {
      return *it->second;
    }
  }
  return *default_;
}

bool CertTable::redirects(std::string_view host) const noexcept {
  if (redirect_exact_.contains(host)) {
    return true;
  }
  const auto parent = parent_of(host);
  return !parent.empty() && redirect_wildcard_.contains(parent);
}

}  // namespace portico
