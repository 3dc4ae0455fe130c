// End to end: ssl-passthrough behind --enable-ssl-passthrough. The backend is a real TLS
// server (openssl s_server) with its own certificate: a client reaching a passed-through host
// through Portico's HTTPS listener completes its handshake with that server, never with
// Portico, while other hosts on the same listener are still terminated and routed by Portico.
#include <catch2/catch.hpp>

#include "tests/support/certificates.hpp"
#include "tests/support/command.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;

namespace {

const std::string Prefix = "nginx.ingress.kubernetes.io/";

struct PassthroughSite {
  PassthroughSite() {
    const TestCertificate backend = make_certificate("passthrough-backend", {"DNS:pass.com"});
    dir.write("backend.crt", backend.certificate_pem);
    dir.write("backend.key", backend.key_pem);
    const auto web = backends.start("web");
    dir.write("site.yaml", ingress_class_yaml("portico", "portico.dev/ingress-controller", true) +
                               "---\n" + service_yaml("tls-app", {tls_port}) + "---\n" +
                               service_yaml("web", {web}) + "---\n" +
                               annotated_ingress_yaml("pass", "pass.com", "tls-app",
                                                      {{Prefix + "ssl-passthrough", "true"}}) +
                               annotated_ingress_yaml("open", "open.com", "web", {}));
  }

  // curl's view of https://HOST/ through Portico's HTTPS listener: the peer certificate's
  // subject is in its verbose output, the body in its output.
  CommandResult fetch(std::uint16_t https_port, const std::string& host) const {
    const std::string authority = host + ":" + std::to_string(https_port);
    return run_command({"curl", "-skv", "--http1.1", "--resolve", authority + ":127.0.0.1",
                        "https://" + authority + "/"});
  }

  Backends backends;
  std::uint16_t tls_port = unused_port();
  TempDir dir;
};

}  // namespace

TEST_CASE("ssl-passthrough: TLS to a passed-through host reaches the backend untouched",
          "[e2e][annotations][tls]") {
  PassthroughSite site;
  BackgroundCommand tls_backend({"openssl", "s_server", "-accept",
                                 "127.0.0.1:" + std::to_string(site.tls_port), "-cert",
                                 (site.dir.path() / "backend.crt").string(), "-key",
                                 (site.dir.path() / "backend.key").string(), "-www"});
  tls_backend.wait_for_line("ACCEPT");
  Portico portico(site.dir.path(), 2, {"--enable-ssl-passthrough"});
  portico.wait_ready();

  const CommandResult passed = site.fetch(portico.https_port(), "pass.com");
  INFO(passed.err);
  CHECK(passed.exit_code == 0);
  CHECK(passed.err.find("subject: CN=passthrough-backend") != std::string::npos);
  CHECK(passed.out.find("s_server") != std::string::npos);  // s_server's own status page
  // The same listener still terminates every other host.
  const CommandResult terminated = site.fetch(portico.https_port(), "open.com");
  CHECK(terminated.err.find("CN=Portico default certificate") != std::string::npos);
  CHECK(terminated.out.find("\"name\":\"web\"") != std::string::npos);
  CHECK(metric(get(portico.admin_port(), "localhost", "/metrics").body,
               "portico_ssl_passthrough_connections_total") == 1);
  CHECK(get(portico.admin_port(), "localhost", "/debug/explain?url=https://pass.com/")
            .body.find("TLS relayed untouched to default/tls-app:80") != std::string::npos);
}

TEST_CASE("ssl-passthrough: without --enable-ssl-passthrough Portico terminates the host",
          "[e2e][annotations][tls]") {
  PassthroughSite site;
  Portico portico(site.dir.path());
  portico.wait_ready();
  const CommandResult terminated = site.fetch(portico.https_port(), "pass.com");
  CHECK(terminated.err.find("CN=passthrough-backend") == std::string::npos);
  CHECK(terminated.err.find("CN=Portico default certificate") != std::string::npos);
  const auto explained =
      get(portico.admin_port(), "localhost", "/debug/explain?url=https://pass.com/").body;
  CHECK(explained.find("ignored: Portico runs without --enable-ssl-passthrough") !=
        std::string::npos);
}
