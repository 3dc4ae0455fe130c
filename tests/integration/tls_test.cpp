// End to end: HTTPS termination. The certificate is chosen by SNI from Ingress spec.tls and
// Secrets, swapped live when a Secret changes, and plain HTTP to those hosts redirects.
#include <openssl/ssl.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "tests/support/certificates.hpp"
#include "tests/support/checksum.hpp"
#include "tests/support/command.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;

namespace {

std::string tls_spec(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string spec = "  tls:\n";
  for (const auto& [host, secret] : entries) {
    spec += "  - hosts: [\"" + host + "\"]\n    secretName: " + secret + "\n";
  }
  return spec;
}

struct TlsSite {
  TlsSite() {
    const auto port = backends.start("site");
    a = make_certificate("a.com", {"DNS:a.com"});
    wild = make_certificate("*.wild.com", {"DNS:*.wild.com"});
    dir.write("site.yaml", ingress_class_yaml("portico", "portico.dev/ingress-controller", true) +
                               "---\n" +
                               ingress_yaml("site", "", {{"/", "Prefix", "web", "80"}},
                                            tls_spec({{"a.com", "a-tls"},
                                                      {"*.wild.com", "wild-tls"},
                                                      {"broken.com", "broken-tls"}})) +
                               "---\n" + service_yaml("web", {port}));
    const auto other = make_certificate("other", {});
    dir.write("secrets.yaml", tls_secret_yaml("a-tls", a.certificate_pem, a.key_pem) + "---\n" +
                                  tls_secret_yaml("wild-tls", wild.certificate_pem, wild.key_pem) +
                                  "---\n" +
                                  // a key that does not match its certificate
                                  tls_secret_yaml("broken-tls", a.certificate_pem, other.key_pem));
  }
  Backends backends;
  TestCertificate a;
  TestCertificate wild;
  TempDir dir;
};

constexpr const char* DefaultName = "Portico default certificate";

}  // namespace

TEST_CASE("TLS: the certificate is chosen by SNI, and requests are proxied over HTTPS", "[tls]") {
  TlsSite site;
  Portico portico(site.dir.path());
  portico.wait_ready();
  const auto port = portico.https_port();

  const auto exact = probe_tls(port, "a.com", "/hello");
  CHECK(exact.common_name == "a.com");
  CHECK(exact.alpn == "http/1.1");
  REQUIRE(exact.status == 200);
  const auto seen = nlohmann::json::parse(exact.body);
  CHECK(seen["headers"]["X-Forwarded-Proto"] == "https");
  CHECK(seen["headers"]["X-Forwarded-Port"] == std::to_string(port));
  CHECK(seen["target"] == "/hello");

  CHECK(probe_tls(port, "x.wild.com").common_name == "*.wild.com");   // one label
  CHECK(probe_tls(port, "y.x.wild.com").common_name == DefaultName);  // two labels: no
  CHECK(probe_tls(port, "A.COM").common_name == "a.com");             // case-insensitive
  CHECK(probe_tls(port, "unknown.com").common_name == DefaultName);
  CHECK(probe_tls(port, "").common_name == DefaultName);  // no SNI at all
  // TLS 1.2 and 1.3 only; sessions resume from tickets, whichever worker takes the connection.
  CHECK(tls_handshake_succeeds(port, TLS1_2_VERSION));
  CHECK_FALSE(tls_handshake_succeeds(port, TLS1_1_VERSION));
  for (int i = 0; i < 4; ++i) {
    CHECK(tls_session_resumes(port, "a.com"));
  }
  // A Secret whose key does not match: the host is still served, with the default.
  const auto broken = probe_tls(port, "broken.com");
  CHECK(broken.common_name == DefaultName);
  CHECK(broken.status == 200);

  // Each served certificate's expiry, for alerts: the test certificates live one hour.
  const auto metrics = get(portico.admin_port(), "localhost", "/metrics").body;
  const double expires = metric(metrics, "portico_certificate_expiry_timestamp_seconds{host=\"a.com\","
                                         "source=\"secret default/a-tls\"}");
  const double now = static_cast<double>(std::time(nullptr));
  CHECK(expires > now + 3000);
  CHECK(expires <= now + 3600);
  CHECK(metric(metrics, "portico_certificate_expiry_timestamp_seconds{host=\"\","
                        "source=\"self-signed\"}") > now + 300 * 86400);
}

// Many TLS records each way, more than a socket buffer holds, on one connection that curl
// reuses for the second request: reads and writes that wait for the socket mid-record.
TEST_CASE("TLS: large bodies both ways, two requests on one HTTPS connection", "[tls]") {
  TlsSite site;
  Portico portico(site.dir.path());
  portico.wait_ready();
  const auto https = std::to_string(portico.https_port());
  const auto resolve = "a.com:" + https + ":127.0.0.1";
  const auto origin = "https://a.com:" + https;
  TempDir files;
  std::string upload(5 * 1024 * 1024 + 123, '\0');
  for (std::size_t i = 0; i < upload.size(); ++i) {
    upload[i] = static_cast<char>(i * 7 + i / 4096);
  }
  files.write("upload.bin", upload);
  const auto downloaded = (files.path() / "download.bin").string();
  constexpr std::size_t DownloadSize = 9'000'001;

  const auto result = run_command({"curl",
                                   "-sk",
                                   "--max-time",
                                   "60",
                                   "--resolve",
                                   resolve,
                                   "--data-binary",
                                   "@" + (files.path() / "upload.bin").string(),
                                   origin + "/upload",
                                   "--next",
                                   "-sk",
                                   "--max-time",
                                   "60",
                                   "--resolve",
                                   resolve,
                                   "-o",
                                   downloaded,
                                   "-w",
                                   "\n%{num_connects}",
                                   origin + "/bytes/" + std::to_string(DownloadSize)});
  REQUIRE(result.exit_code == 0);
  const auto last = result.out.rfind('\n');
  REQUIRE(last != std::string::npos);
  CHECK(result.out.substr(last + 1) == "0");  // the second request reused the connection
  const auto seen = nlohmann::json::parse(result.out.substr(0, last));
  CHECK(seen["body_bytes"] == upload.size());
  CHECK(seen["body_fnv1a"] == fnv1a(upload));

  std::ifstream in(downloaded, std::ios::binary);
  const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(body.size() == DownloadSize);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    wrong += body[i] != static_cast<char>('a' + i % 26) ? 1 : 0;
  }
  CHECK(wrong == 0);
}

TEST_CASE("TLS: a Secret change swaps the certificate live", "[tls]") {
  TlsSite site;
  Portico portico(site.dir.path());
  portico.wait_ready();
  REQUIRE(probe_tls(portico.https_port(), "a.com").common_name == "a.com");
  const auto renewed = make_certificate("a.com renewed", {"DNS:a.com"});
  site.dir.write("secrets.yaml",
                 tls_secret_yaml("a-tls", renewed.certificate_pem, renewed.key_pem) + "---\n" +
                     tls_secret_yaml("wild-tls", site.wild.certificate_pem, site.wild.key_pem));
  CHECK(eventually(
      [&] { return probe_tls(portico.https_port(), "a.com").common_name == "a.com renewed"; },
      std::chrono::seconds(1)));
  // The Secret is gone: its hosts fall back to the default certificate.
  site.dir.write("secrets.yaml",
                 tls_secret_yaml("a-tls", renewed.certificate_pem, renewed.key_pem));
  CHECK(eventually(
      [&] { return probe_tls(portico.https_port(), "x.wild.com").common_name == DefaultName; },
      std::chrono::seconds(1)));
}

TEST_CASE("TLS: plain HTTP to a TLS host redirects with 308, except ACME and opt-outs", "[tls]") {
  TlsSite site;
  site.dir.write(
      "optout.yaml",
      ingress_yaml("optout", "", {{"/", "Prefix", "web", "80"}}, tls_spec({{"plain.com", "a-tls"}}),
                   "  annotations:\n    nginx.ingress.kubernetes.io/ssl-redirect: \"false\"\n"));
  Portico portico(site.dir.path());
  portico.wait_ready();
  const auto redirect = get(portico.port(), "A.com:8080", "/a/../path?q=1");
  CHECK(redirect.status == 308);
  CHECK(redirect.header("location") ==
        "https://a.com:" + std::to_string(portico.https_port()) + "/path?q=1");
  CHECK(get(portico.port(), "x.wild.com", "/").status == 308);
  CHECK(get(portico.port(), "a.com", "/.well-known/acme-challenge/token").status == 200);
  CHECK(get(portico.port(), "plain.com", "/").status == 200);   // ssl-redirect "false"
  CHECK(get(portico.port(), "no-tls.com", "/").status == 200);  // not in any spec.tls
}

TEST_CASE("TLS: --hsts-max-age adds Strict-Transport-Security to HTTPS responses only", "[tls]") {
  TlsSite site;
  Portico portico(site.dir.path(), 1, {"--hsts-max-age", "8760h"});
  portico.wait_ready();
  CHECK(probe_tls(portico.https_port(), "a.com", "/").strict_transport_security ==
        "max-age=31536000");
  CHECK(get(portico.port(), "no-tls.com", "/").header("strict-transport-security").empty());
  // Handshakes are counted by outcome.
  CHECK_FALSE(tls_handshake_succeeds(portico.https_port(), TLS1_1_VERSION));
  // The client has its alert before the worker has finished with the handshake (the alert's
  // write completes on the worker's next turn): the count follows a moment later.
  const auto metrics = [&] { return get(portico.admin_port(), "localhost", "/metrics").body; };
  CHECK(eventually(
      [&] { return metric(metrics(), "portico_tls_handshakes_total{result=\"failed\"}") == 1; }));
  CHECK(metric(metrics(), "portico_tls_handshakes_total{result=\"ok\"}") == 1);
}
