// End to end: client certificates (auth-tls-*), judged as ingress-nginx's nginx judges them,
// with curl as the client over HTTP/1.1 and HTTP/2: a host asks for certificates signed by the
// CAs of its Secret's ca.crt; requests without one, or with one the CAs did not sign, are
// refused (400, or a redirect to auth-tls-error-page), match-cn refuses other subjects (403),
// and the backend learns the verdict in ssl-client-* headers no client can forge.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/support/certificates.hpp"
#include "tests/support/command.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

const std::string Prefix = "nginx.ingress.kubernetes.io/";

struct Answer {
  unsigned status = 0;
  std::string body;
  // The header the backend received as `name` (any case), "" when it got none.
  std::string backend_header(const std::string& name) const {
    const json seen = json::parse(body, nullptr, false);
    if (!seen.is_object()) {
      return "";
    }
    for (const auto& [key, value] : seen["headers"].items()) {
      if (strcasecmp(key.c_str(), name.c_str()) == 0) {
        return value.get<std::string>();
      }
    }
    return "";
  }
};

// The sites, the client's certificates and the CAs, in one directory.
struct Sites {
  Sites() {
    const auto port = backends.start("app");
    ca = make_certificate("Test CA", {});
    other_ca = make_certificate("Other CA", {});
    for (const auto& [name, issuer] :
         {std::pair{"alice", &ca}, std::pair{"bob", &ca}, std::pair{"mallory", &other_ca}}) {
      const TestCertificate& client =
          clients.emplace(name, make_certificate(name, {}, issuer)).first->second;
      dir.write(std::string(name) + ".crt", client.certificate_pem);
      dir.write(std::string(name) + ".key", client.key_pem);
    }
    // The same CA, with bob's certificate revoked.
    dir.write("crl.yaml",
              secret_yaml("client-ca-crl", {{"ca.crt", ca.certificate_pem},
                                            {"ca.crl", make_crl(ca, {clients.at("bob")})}}));
    const auto asks = [&](const std::string& name, std::map<std::string, std::string> extra) {
      extra.emplace(Prefix + "auth-tls-secret", "client-ca");
      return annotated_ingress_yaml(name, name + ".com", "app", extra);
    };
    dir.write(
        "sites.yaml",
        ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
            service_yaml("app", {port}) + "---\n" +
            asks("strict", {{Prefix + "auth-tls-pass-certificate-to-upstream", "true"}}) +
            asks("optional", {{Prefix + "auth-tls-verify-client", "optional"}}) +
            asks("noca", {{Prefix + "auth-tls-verify-client", "optional_no_ca"}}) +
            asks("cn", {{Prefix + "auth-tls-match-cn", "CN=bob"}}) +
            asks("revoked", {{Prefix + "auth-tls-secret", "client-ca-crl"}}) +
            asks("page", {{Prefix + "auth-tls-error-page", "https://login.example.com/cert"}}) +
            annotated_ingress_yaml("broken", "broken.com", "app",
                                   {{Prefix + "auth-tls-secret", "no-such-secret"}}) +
            annotated_ingress_yaml("open", "open.com", "app", {}));
    write_ca(ca);
  }
  void write_ca(const TestCertificate& authority) const {
    dir.write("ca.yaml", secret_yaml("client-ca", {{"ca.crt", authority.certificate_pem}}));
  }

  // GET https://HOST.com/ (SNI and Host HOST.com, unless `host_header` differs) as `client`
  // ("" sends no certificate).
  Answer get(std::uint16_t port, const std::string& host, const std::string& client,
             std::vector<std::string> extra = {}) const {
    const std::string authority = host + ".com:" + std::to_string(port);
    std::vector<std::string> argv = {"curl", "-sk",           "--resolve", authority + ":127.0.0.1",
                                     "-w",   "\n%{http_code}"};
    if (!client.empty()) {
      argv.insert(argv.end(), {"--cert", (dir.path() / (client + ".crt")).string(), "--key",
                               (dir.path() / (client + ".key")).string()});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("https://" + authority + "/");
    const CommandResult result = run_command(argv);
    Answer answer;
    const auto last = result.out.rfind('\n');
    if (last != std::string::npos) {
      answer.status = static_cast<unsigned>(std::atoi(result.out.c_str() + last + 1));
      answer.body = result.out.substr(0, last);
    }
    return answer;
  }

  Backends backends;
  TestCertificate ca;
  TestCertificate other_ca;
  std::map<std::string, TestCertificate> clients;
  TempDir dir;
};

}  // namespace

TEST_CASE("auth-tls: the client certificates a host asks for are verified and passed on",
          "[e2e][annotations][tls]") {
  Sites sites;
  Portico portico(sites.dir.path());
  portico.wait_ready();
  const auto port = portico.https_port();

  // "on" (the default): a certificate the CA signed, and nothing else.
  const Answer alice = sites.get(port, "strict", "alice");
  REQUIRE(alice.status == 200);
  CHECK(alice.backend_header("ssl-client-verify") == "SUCCESS");
  CHECK(alice.backend_header("ssl-client-subject-dn") == "CN=alice");
  CHECK(alice.backend_header("ssl-client-issuer-dn") == "CN=Test CA");
  CHECK(alice.backend_header("ssl-client-cert").starts_with("-----BEGIN%20CERTIFICATE-----%0A"));
  const Answer none = sites.get(port, "strict", "", {"-H", "ssl-client-verify: SUCCESS"});
  CHECK(none.status == 400);
  CHECK(none.body == "400 No required SSL certificate was sent\n");
  const Answer mallory = sites.get(port, "strict", "mallory");
  CHECK(mallory.status == 400);
  CHECK(mallory.body == "400 The SSL certificate error\n");
  // Over HTTP/2 the connection's certificate holds for every stream.
  CHECK(sites.get(port, "strict", "alice", {"--http2"}).status == 200);
  CHECK(sites.get(port, "strict", "", {"--http2"}).status == 400);

  // "optional": none is fine, and the backend is told so, whatever the client claims.
  const Answer anonymous =
      sites.get(port, "optional", "",
                {"-H", "ssl-client-verify: SUCCESS", "-H", "ssl-client-subject-dn: CN=root"});
  REQUIRE(anonymous.status == 200);
  CHECK(anonymous.backend_header("ssl-client-verify") == "NONE");
  CHECK(anonymous.backend_header("ssl-client-subject-dn").empty());
  CHECK(sites.get(port, "optional", "mallory").status == 400);
  CHECK(sites.get(port, "optional", "alice").backend_header("ssl-client-cert").empty());

  // "optional_no_ca": any certificate; the verdict is the backend's to judge.
  const Answer unverified = sites.get(port, "noca", "mallory");
  REQUIRE(unverified.status == 200);
  CHECK(unverified.backend_header("ssl-client-verify").starts_with("FAILED:"));
  CHECK(unverified.backend_header("ssl-client-subject-dn") == "CN=mallory");

  // match-cn: only bob's subject.
  CHECK(sites.get(port, "cn", "bob").status == 200);
  const Answer not_bob = sites.get(port, "cn", "alice");
  CHECK(not_bob.status == 403);
  CHECK(not_bob.body == "client certificate unauthorized\n");

  const auto explained = json::parse(
      get(portico.admin_port(), "localhost", "/debug/explain?url=https://cn.com/").body);
  CHECK(explained["clientCertificate"]["matchCN"] == "CN=bob");
  CHECK(explained["clientCertificate"]["verify"] == "on");

  // ca.crl: a revoked certificate is an invalid one.
  CHECK(sites.get(port, "revoked", "alice").status == 200);
  const Answer revoked = sites.get(port, "revoked", "bob");
  CHECK(revoked.status == 400);
  CHECK(revoked.body == "400 The SSL certificate error\n");

  // auth-tls-error-page: refused clients are sent there.
  const Answer redirected =
      sites.get(port, "page", "", {"-o", "/dev/null", "-w", "%{redirect_url}\n%{http_code}"});
  CHECK(redirected.status == 302);
  CHECK(redirected.body == "https://login.example.com/cert");

  // A connection verified for another host (here: for none) does not serve this one: 421.
  CHECK(sites.get(port, "open", "alice", {"-H", "Host: strict.com"}).status == 421);
  CHECK(sites.get(port, "open", "").status == 200);
  // Sessions resume on the host they were made for, never into a host verified otherwise.
  CHECK(tls_session_resumes(port, "strict.com"));
  CHECK(tls_session_resumes(port, "open.com"));
  CHECK_FALSE(tls_session_resumes(port, "open.com", "strict.com"));
  CHECK_FALSE(tls_session_resumes(port, "optional.com", "strict.com"));
  // An unusable Secret closes its Ingress rather than open it.
  CHECK(sites.get(port, "broken", "alice").status == 503);
  // Plain HTTP carries no certificate.
  const CommandResult plain =
      run_command({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: strict.com",
                   "http://127.0.0.1:" + std::to_string(portico.port()) + "/"});
  CHECK(plain.out == "400");

  // A new ca.crt applies to new connections: alice's CA is no longer trusted.
  sites.write_ca(sites.other_ca);
  CHECK(eventually([&] { return sites.get(port, "strict", "alice").status == 400; }));
  CHECK(sites.get(port, "strict", "mallory").status == 200);
}
