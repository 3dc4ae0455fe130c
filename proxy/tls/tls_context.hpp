#pragma once
// TlsContext: one certificate chain and key, ready to serve, with Portico's TLS policy (TLS
// 1.2 and 1.3 only, forward-secret AEAD ciphers, session tickets, ALPN http/1.1). Immutable
// once made and shared through snapshots: an unchanged Secret keeps its context, so sessions
// resume across updates. Made on the control thread; used by any worker.
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "proxy/common/expected.hpp"

namespace portico {

class TlsContext {
 public:
  // Fails when the PEM does not parse or the key does not match the certificate.
  static Expected<std::shared_ptr<const TlsContext>> from_pem(const std::string& certificate_chain,
                                                              const std::string& private_key);
  // A self-signed certificate for when nothing else is configured (made once at start).
  static std::shared_ptr<const TlsContext> self_signed();

  SSL_CTX* native() const noexcept {
    return const_cast<boost::asio::ssl::context&>(context_).native_handle();
  }
  explicit TlsContext(boost::asio::ssl::context context) : context_(std::move(context)) {}

 private:
  boost::asio::ssl::context context_;
};

using TlsContextPtr = std::shared_ptr<const TlsContext>;

// Applies Portico's policy to a context (also the listener's front context).
void apply_tls_policy(SSL_CTX* context);

}  // namespace portico
