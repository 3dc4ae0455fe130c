#pragma once
// Certificates for tests, made with OpenSSL at run time (no files shipped, no CLI needed).
#include <string>
#include <vector>

namespace portico::test {

struct TestCertificate {
  std::string certificate_pem;
  std::string key_pem;
};

// A certificate (usable as a CA) with this common name and subject alternative names
// ("DNS:a.com", "IP:127.0.0.1"), self-signed or signed by `issuer`.
TestCertificate make_certificate(const std::string& common_name,
                                 const std::vector<std::string>& alt_names,
                                 const TestCertificate* issuer = nullptr);

// A PEM certificate revocation list `issuer` signs, revoking `revoked` (certificates it
// issued).
std::string make_crl(const TestCertificate& issuer, const std::vector<TestCertificate>& revoked);

// What a TLS client saw: the certificate's common name, the ALPN protocol, the HTTP reply.
struct TlsProbe {
  std::string common_name;
  std::string alpn;
  unsigned status = 0;
  std::string body;
  std::string strict_transport_security;
};
// Connects to 127.0.0.1:port, sends `server_name` as SNI (none when empty), offers ALPN
// http/1.1, and GETs `target` with Host `server_name` (or "localhost").
TlsProbe probe_tls(unsigned short port, const std::string& server_name,
                   const std::string& target = "/");

// Whether a handshake succeeds when the client offers at most `max_version` (e.g. TLS1_1_VERSION).
bool tls_handshake_succeeds(unsigned short port, int max_version);

// Whether a second connection resumes the first one's session (from its ticket), sending
// `resumed_as` as its SNI when set (else `server_name` again).
bool tls_session_resumes(unsigned short port, const std::string& server_name,
                         const std::string& resumed_as = "");

}  // namespace portico::test
