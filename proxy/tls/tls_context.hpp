#pragma once
// TlsContext: one certificate chain and key, ready to serve, with Portico's TLS policy (TLS
// 1.2 and 1.3 only, forward-secret AEAD ciphers, session tickets, ALPN h2 and http/1.1). Immutable
// once made and shared through snapshots: an unchanged Secret keeps its context, so sessions
// resume across updates. Made on the control thread; used by any worker.
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/common/expected.hpp"

namespace portico {

class TlsContext {
 public:
  // Fails when the PEM does not parse or the key does not match the certificate. `origin`
  // says where it came from ("secret default/blog-tls", "--default-cert-file"), for
  // /debug/explain and the expiry metric.
  static Expected<std::shared_ptr<const TlsContext>> from_pem(const std::string& certificate_chain,
                                                              const std::string& private_key,
                                                              std::string origin);
  // A self-signed certificate for when nothing else is configured (made once at start).
  static std::shared_ptr<const TlsContext> self_signed();

  SSL_CTX* native() const noexcept {
    return const_cast<boost::asio::ssl::context&>(context_).native_handle();
  }
  const std::string& origin() const noexcept { return origin_; }
  // The leaf certificate's notAfter, in seconds since the Unix epoch.
  std::int64_t not_after() const noexcept { return not_after_; }
  // Whether the leaf certificate is valid for `host` (its names, wildcards included).
  bool covers(const std::string& host) const noexcept;

  TlsContext(boost::asio::ssl::context context, std::string origin);

 private:
  boost::asio::ssl::context context_;
  std::string origin_;
  std::int64_t not_after_ = 0;
};

using TlsContextPtr = std::shared_ptr<const TlsContext>;

// Applies Portico's policy to a context (also the listener's front context).
void apply_tls_policy(SSL_CTX* context);

// Whether OpenSSL takes `ciphers` as a cipher list naming at least one cipher (ssl-ciphers).
bool is_cipher_list(std::string_view ciphers);

}  // namespace portico
