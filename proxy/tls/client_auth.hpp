#pragma once
// ClientAuth: a host's demand for client certificates (ingress-nginx's auth-tls-*): the CAs
// whose certificates it takes, how strictly, and what its backends learn of the certificate.
// The handshake asks for a certificate when its SNI names such a host (request_certificate);
// each request to the host is then judged (proxy/exchange/client_certificate) against what
// that handshake verified (inspect), as nginx's ssl_verify_client does. Immutable once made,
// on the control thread; shared with every worker through the snapshot.
#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/common/expected.hpp"
#include "proxy/route/path_regex.hpp"

namespace portico {

// auth-tls-verify-client: "on" needs a valid certificate; "optional" takes none but refuses an
// invalid one; "optional_no_ca" takes any, verified or not, and leaves the verdict to the
// backend (ssl-client-verify).
enum class ClientVerify { On, Optional, OptionalNoCa };

// What one TLS connection's handshake learnt of the client's certificate.
struct ClientCertificate {
  std::string verified_for;  // identity() of the ClientAuth that asked for it
  bool presented = false;
  bool valid = false;      // presented, and its chain verified to one of the CAs
  std::string verify;      // nginx's $ssl_client_verify: SUCCESS, NONE or FAILED:reason
  std::string subject_dn;  // RFC 2253 ("CN=alice,O=Example"), "" when none
  std::string issuer_dn;
  std::string escaped_pem;  // the PEM, percent-encoded ($ssl_client_escaped_cert)
};

class ClientAuth {
 public:
  struct Settings {
    ClientVerify verify = ClientVerify::On;
    int depth = 1;                      // auth-tls-verify-depth: CA certificates above the client's
    std::string error_page;             // auth-tls-error-page: where a refused client is redirected
    bool pass_certificate = false;      // auth-tls-pass-certificate-to-upstream
    std::optional<PathRegex> match_cn;  // auth-tls-match-cn, searched in the subject DN
    std::string match_cn_text;          // as written, for inspection and identity
  };

  // From a Secret's ca.crt (one or more PEM certificates) and optional ca.crl (PEM CRLs, then
  // checked for the whole chain). Fails when ca.crt holds no certificate or either does not
  // parse.
  static Expected<std::shared_ptr<const ClientAuth>> make(std::string_view ca_pem,
                                                          std::string_view crl_pem,
                                                          Settings settings);

  // Before the handshake: where ask() leaves the ClientAuth that asked, kept alive there
  // whatever snapshots come and go until the connection reads it after the handshake.
  static void lend_slot(SSL* ssl, std::shared_ptr<const ClientAuth>* slot);
  // During the handshake, once SNI chose a host that asks for client certificates: ask for
  // one signed by its CAs. The handshake never fails for a missing or invalid certificate;
  // each request is judged instead.
  static void ask(SSL* ssl, const std::shared_ptr<const ClientAuth>& auth);
  // After the handshake: what it verified, for the ClientAuth that asked.
  static ClientCertificate inspect(SSL* ssl, const ClientAuth& asked_by);

  const Settings& settings() const noexcept { return settings_; }
  // Equal for equal CAs, CRLs, verify mode and depth, whichever snapshot made them: a
  // connection verified by one is verified for the other.
  const std::string& identity() const noexcept { return identity_; }

  ClientAuth(Settings settings, X509_STORE* store, STACK_OF(X509_NAME) * names,
             std::string identity);
  ~ClientAuth();
  ClientAuth(const ClientAuth&) = delete;
  ClientAuth& operator=(const ClientAuth&) = delete;

 private:
  Settings settings_;
  X509_STORE* store_;            // owned: the CAs and CRLs
  STACK_OF(X509_NAME) * names_;  // owned: the CAs' subjects, sent in the CertificateRequest
  std::string identity_;         // a SHA-256 of what verification depends on
};

using ClientAuthPtr = std::shared_ptr<const ClientAuth>;

}  // namespace portico
