// End to end: proxy-ssl-*, how HTTPS backends are verified and what they are shown. The
// backends are real TLS servers (openssl s_server): one answering with a certificate for
// default.internal, or for backend.internal when the client sends that name (SNI); one that
// asks every client for a certificate its CA signed; one that speaks TLS 1.2 with one cipher.
#include <catch2/catch.hpp>
#include <memory>

#include "tests/support/certificates.hpp"
#include "tests/support/command.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;

namespace {

const std::string Prefix = "nginx.ingress.kubernetes.io/";

struct TlsBackends {
  TlsBackends() {
    const auto write = [&](const std::string& name, const TestCertificate& certificate) {
      dir.write(name + ".crt", certificate.certificate_pem);
      dir.write(name + ".key", certificate.key_pem);
    };
    write("default", make_certificate("default.internal", {"DNS:default.internal"}, &ca));
    write("sni", make_certificate("backend.internal", {"DNS:backend.internal"}, &ca));
    write("client-ca", client_ca);
    servers.push_back(std::make_unique<BackgroundCommand>(std::vector<std::string>{
        "openssl", "s_server", "-www", "-accept", "127.0.0.1:" + std::to_string(named_port),
        "-cert", path("default.crt"), "-key", path("default.key"), "-servername",
        "backend.internal", "-cert2", path("sni.crt"), "-key2", path("sni.key")}));
    servers.push_back(std::make_unique<BackgroundCommand>(std::vector<std::string>{
        "openssl", "s_server", "-www", "-accept", "127.0.0.1:" + std::to_string(mtls_port), "-cert",
        path("sni.crt"), "-key", path("sni.key"), "-Verify", "1", "-CAfile",
        path("client-ca.crt")}));
    servers.push_back(std::make_unique<BackgroundCommand>(std::vector<std::string>{
        "openssl", "s_server", "-www", "-accept", "127.0.0.1:" + std::to_string(old_port), "-cert",
        path("default.crt"), "-key", path("default.key"), "-tls1_2", "-cipher",
        "ECDHE-ECDSA-AES128-GCM-SHA256"}));
    for (auto& server : servers) {
      server->wait_for_line("ACCEPT");
    }
  }
  std::string path(const std::string& name) const { return (dir.path() / name).string(); }

  TestCertificate ca = make_certificate("Backend CA", {});
  TestCertificate other_ca = make_certificate("Other CA", {});
  TestCertificate client_ca = make_certificate("Client CA", {});
  std::uint16_t named_port = unused_port();
  std::uint16_t mtls_port = unused_port();
  std::uint16_t old_port = unused_port();  // TLS 1.2 only, one cipher
  TempDir dir;
  std::vector<std::unique_ptr<BackgroundCommand>> servers;
};

}  // namespace

TEST_CASE("proxy-ssl: HTTPS backends verified by CA and name, SNI, client certificates",
          "[e2e][annotations][tls]") {
  TlsBackends backends;
  const TestCertificate client = make_certificate("portico", {}, &backends.client_ca);
  const auto site = [&](const std::string& name, const std::string& service,
                        std::map<std::string, std::string> extra) {
    extra.emplace(Prefix + "backend-protocol", "HTTPS");
    return annotated_ingress_yaml(name, name + ".com", service, extra);
  };
  const std::map<std::string, std::string> verified = {
      {Prefix + "proxy-ssl-verify", "on"},
      {Prefix + "proxy-ssl-secret", "backend-ca"},
      {Prefix + "proxy-ssl-name", "backend.internal"},
      {Prefix + "proxy-ssl-server-name", "on"}};
  auto wrong_name = verified;
  wrong_name[Prefix + "proxy-ssl-name"] = "elsewhere.internal";
  auto no_sni = verified;
  no_sni[Prefix + "proxy-ssl-server-name"] = "off";
  auto wrong_ca = verified;
  wrong_ca[Prefix + "proxy-ssl-secret"] = "other-ca";
  TempDir manifests;
  manifests.write(
      "all.yaml",
      ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
          service_yaml("named", {backends.named_port}) + "---\n" +
          service_yaml("mtls", {backends.mtls_port}) + "---\n" +
          service_yaml("old", {backends.old_port}) + "---\n" +
          secret_yaml("backend-ca", {{"ca.crt", backends.ca.certificate_pem}}) + "---\n" +
          secret_yaml("other-ca", {{"ca.crt", backends.other_ca.certificate_pem}}) + "---\n" +
          secret_yaml("client-cert",
                      {{"tls.crt", client.certificate_pem}, {"tls.key", client.key_pem}}) +
          "---\n" + site("verified", "named", verified) + site("wrong-name", "named", wrong_name) +
          site("no-sni", "named", no_sni) + site("wrong-ca", "named", wrong_ca) +
          site("unverified", "named", {}) +
          site("shows-certificate", "mtls", {{Prefix + "proxy-ssl-secret", "client-cert"}}) +
          site("shows-nothing", "mtls", {}) +
          site("tls13-only", "old", {{Prefix + "proxy-ssl-protocols", "TLSv1.3"}}) +
          site("tls12", "old", {{Prefix + "proxy-ssl-protocols", "TLSv1.2 TLSv1.3"}}) +
          site("other-cipher", "old",
               {{Prefix + "proxy-ssl-ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305"}}) +
          site("same-cipher", "old",
               {{Prefix + "proxy-ssl-ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"}}) +
          site("no-secret", "named",
               {{Prefix + "proxy-ssl-verify", "on"},
                {Prefix + "proxy-ssl-name", "backend.internal"}}));
  Portico portico(manifests.path());
  portico.wait_ready();
  const auto status = [&](const std::string& host) {
    return get(portico.port(), host + ".com", "/").status;
  };
  // s_server's -www page: the handshake it made, HTTP/1.0 200.
  const auto page = get(portico.port(), "verified.com", "/");
  CHECK(page.status == 200);
  CHECK(page.body.find("s_server") != std::string::npos);
  CHECK(status("wrong-name") == 502);  // the certificate is not valid for that name
  CHECK(status("no-sni") == 502);      // without SNI the backend shows default.internal's
  CHECK(status("wrong-ca") == 502);    // another CA signed it
  CHECK(status("unverified") == 200);  // ingress-nginx's default: not verified
  CHECK(status("shows-certificate") == 200);
  CHECK(status("shows-nothing") == 502);  // the backend wants a client certificate
  CHECK(status("no-secret") == 503);      // verifying with no CAs closes the Ingress
  // proxy-ssl-protocols and proxy-ssl-ciphers: what Portico offers the backend.
  CHECK(status("tls13-only") == 502);  // the backend speaks TLS 1.2 only
  CHECK(status("tls12") == 200);
  CHECK(status("other-cipher") == 502);  // no cipher in common
  CHECK(status("same-cipher") == 200);
  // Asked again, each route keeps its own verdict (s_server closes every connection, so this
  // does not reach the pool's reuse; the pool's check is ConnPool::take's profile match).
  CHECK(status("verified") == 200);
  CHECK(status("wrong-ca") == 502);
}
