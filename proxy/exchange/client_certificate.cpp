#include "proxy/exchange/client_certificate.hpp"

namespace portico {
namespace {

// Replaces whatever the client sent under `name`; an empty value removes it (nginx's
// proxy_set_header), so a client can never pass its own verdict off as Portico's.
void set_or_remove(RequestHeader& request, std::string_view name, std::string_view value) {
  if (value.empty()) {
    request.erase(name);
  } else {
    request.set(name, value);  // replaces every field of that name
  }
}

}  // namespace

Fault judge_client_certificate(const ClientConnection& client, Exchange& ex) {
  const CertTable& certs = *ex.snapshot->certs;
  if (!certs.asks_client_certificates()) {
    return Fault::None;  // every request passes here: no lookup when no host asks
  }
  const ClientAuthPtr& auth = certs.client_auth(ex.target.host);
  if (!auth) {
    return Fault::None;
  }
  const ClientCertificate* presented = client.certificate.get();
  if (client.tls && (presented == nullptr || presented->verified_for != auth->identity())) {
    // The handshake's SNI named a host that asks for other certificates, or none: RFC 9110's
    // 421, on which clients that share a connection between hosts open one for this host.
    ex.fault_status = 421;
    return Fault::CertificateRefused;
  }
  // Plain HTTP carries no certificate: the host is judged as if none was sent (nginx would
  // not judge it at all).
  static const ClientCertificate None{.verify = "NONE"};
  const ClientCertificate& certificate = presented != nullptr ? *presented : None;
  const ClientAuth::Settings& settings = auth->settings();
  const bool missing = !certificate.presented && settings.verify == ClientVerify::On;
  const bool invalid =
      certificate.presented && !certificate.valid && settings.verify != ClientVerify::OptionalNoCa;
  if (missing || invalid) {
    if (!settings.error_page.empty()) {  // auth-tls-error-page: nginx's error_page 495 496 = URL
      ex.response_headers.emplace_back(http::field::location, settings.error_page);
      ex.fault_status = 302;
      return Fault::Redirect;
    }
    ex.local_body =
        missing ? "400 No required SSL certificate was sent\n" : "400 The SSL certificate error\n";
    return Fault::CertificateRefused;
  }
  PathCaptures unused;
  if (settings.match_cn && !settings.match_cn->match(certificate.subject_dn, unused)) {
    ex.local_body = "client certificate unauthorized\n";
    return Fault::Forbidden;
  }
  set_or_remove(ex.request, "ssl-client-verify", certificate.verify);
  set_or_remove(ex.request, "ssl-client-subject-dn", certificate.subject_dn);
  set_or_remove(ex.request, "ssl-client-issuer-dn", certificate.issuer_dn);
  if (settings.pass_certificate) {
    set_or_remove(ex.request, "ssl-client-cert", certificate.escaped_pem);
  }
  return Fault::None;
}

}  // namespace portico
