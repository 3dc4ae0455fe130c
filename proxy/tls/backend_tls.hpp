#pragma once
// BackendTls: how an Ingress's TLS backends are spoken to (ingress-nginx's proxy-ssl-*): the
// CAs their certificates must chain to, the name checked in them and sent as SNI, a client
// certificate to present, and the protocol versions and ciphers offered. Immutable once made
// (control thread); a connection made with one keeps it, and is reused only for requests under the
// same one.
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/common/expected.hpp"

namespace portico {

class BackendTls {
 public:
  struct Settings {
    bool verify = false;     // proxy-ssl-verify: the certificate must chain to the CAs and name
    int depth = 1;           // proxy-ssl-verify-depth
    std::string name;        // proxy-ssl-name: checked when verifying, sent with send_name
    bool send_name = false;  // proxy-ssl-server-name: SNI
    bool tls13_only = false;  // proxy-ssl-protocols without TLSv1.2
    std::string ciphers;      // proxy-ssl-ciphers: TLS 1.2's OpenSSL cipher list; "" its default
    bool operator==(const Settings&) const = default;
  };

  // `ca_pem`: PEM certificates (needed to verify); `certificate_pem` and `key_pem`: the client
  // certificate, both or neither. Fails when a PEM does not parse, the key does not match or
  // the cipher list names no cipher.
  static Expected<std::shared_ptr<const BackendTls>> make(std::string_view ca_pem,
                                                          std::string_view certificate_pem,
                                                          std::string_view key_pem,
                                                          Settings settings);

  const Settings& settings() const noexcept { return settings_; }
  boost::asio::ssl::context& context() const noexcept { return context_; }

  BackendTls(boost::asio::ssl::context context, Settings settings)
      : context_(std::move(context)), settings_(std::move(settings)) {}

 private:
  // Handshakes only read it (OpenSSL contexts are safe to share once set up).
  mutable boost::asio::ssl::context context_;
  Settings settings_;
};

using BackendTlsPtr = std::shared_ptr<const BackendTls>;

}  // namespace portico
