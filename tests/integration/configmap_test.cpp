// End to end: ingress-nginx's global ConfigMap (--configmap), from manifests and watched from
// the API server: its keys as every Ingress's defaults (an annotation winning), the keys that
// apply to every request, forwarded headers believed only from trusted peers, and each key's
// verdict in /debug/objects.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/support/certificates.hpp"
#include "tests/support/command.hpp"
#include "tests/support/fake_api_server.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

const std::string Class = ingress_class_yaml("portico", "portico.dev/ingress-controller", true);
const std::string ConfigMapFlag = "ingress-nginx/ingress-nginx-controller";

std::string configmap_yaml(const std::map<std::string, std::string>& data,
                           const std::string& name = "ingress-nginx-controller",
                           const std::string& namespace_ = "ingress-nginx") {
  std::string yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name +
                     "\n  namespace: " + namespace_ + "\ndata:\n";
  for (const auto& [key, value] : data) {
    yaml += "  " + key + ": " + json(value).dump() + "\n";
  }
  return yaml + "---\n";
}

std::string tls_spec(const std::string& host, const std::string& secret) {
  return "  tls:\n  - hosts: [\"" + host + "\"]\n    secretName: " + secret + "\n";
}

// Ingress `name` for `host`, every path to the echo Service.
std::string ingress(const std::string& name, const std::string& host,
                    const std::map<std::string, std::string>& annotations,
                    const std::string& extra_spec = "") {
  return annotated_ingress_yaml(name, host, "echo", annotations, {}, extra_spec);
}

json echoed(const Response& response) {
  return json::parse(response.body);
}

// The verdict /debug/objects gives ConfigMap key `key`, or "".
std::string verdict_of(std::uint16_t admin_port, const std::string& key) {
  const json page = json::parse(get(admin_port, "localhost", "/debug/objects").body);
  for (const auto& note : page["annotations"]) {
    if (note["ingress"] == "ConfigMap " + ConfigMapFlag && note["annotation"] == key) {
      return note["verdict"].get<std::string>();
    }
  }
  return "";
}

}  // namespace

TEST_CASE("ConfigMap: its keys as every Ingress's defaults, and the keys for every request",
          "[e2e][configmap]") {
  Backends backends;
  const auto echo = backends.start("echo");
  const auto cert = make_certificate("own.com", {"DNS:own.com"});
  TempDir dir;
  const std::string objects =
      Class + "---\n" + service_yaml("echo", {echo}) + "---\n" +
      tls_secret_yaml("own-tls", cert.certificate_pem, cert.key_pem) + "---\n" +
      ingress("plain", "plain.com", {}) +
      ingress("own", "own.com",
              {{"nginx.ingress.kubernetes.io/whitelist-source-range", "127.0.0.1"},
               {"nginx.ingress.kubernetes.io/ssl-redirect", "false"}},
              tls_spec("own.com", "own-tls")) +
      ingress("limited", "limited.com", {{"nginx.ingress.kubernetes.io/limit-rps", "1"}});
  dir.write("all.yaml", objects + configmap_yaml({{"whitelist-source-range", "10.0.0.0/8"},
                                                  {"proxy-body-size", "8"},
                                                  {"proxy-read-timeout", "soon"},
                                                  {"hsts-max-age", "600"},
                                                  {"block-user-agents", "BadBot/1.0, ~*evil"},
                                                  {"allow-snippet-annotations", "true"},
                                                  {"http-snippet", "deny all;"},
                                                  {"not-a-key", "x"}}));
  Portico portico(dir.path(), 2, {"--configmap", ConfigMapFlag});
  portico.wait_ready();

  // The ConfigMap's allowlist closes the Ingress that has none of its own...
  CHECK(get(portico.port(), "plain.com", "/").status == 403);
  // ...and an Ingress's own annotation wins over it.
  CHECK(get(portico.port(), "own.com", "/").status == 200);
  CHECK(Connection(portico.port()).send("POST", "own.com", "/", std::string(20, 'x')).status ==
        413);
  CHECK(Connection(portico.port()).send("POST", "own.com", "/", "12345678").status == 200);
  // block-user-agents: a whole string ignoring case, or a regex found anywhere ("~*": any case).
  CHECK(get(portico.port(), "own.com", "/", {{"User-Agent", "badbot/1.0"}}).status == 403);
  CHECK(get(portico.port(), "own.com", "/", {{"User-Agent", "An EVIL scanner"}}).status == 403);
  CHECK(get(portico.port(), "own.com", "/", {{"User-Agent", "BadBot/1.0 (really)"}}).status == 200);
  // HSTS keeps ingress-nginx's defaults for the keys not set: includeSubDomains.
  CHECK(probe_tls(portico.https_port(), "own.com").strict_transport_security ==
        "max-age=600; includeSubDomains");
  // Each key's verdict.
  CHECK(verdict_of(portico.admin_port(), "whitelist-source-range") == "applied");
  CHECK(verdict_of(portico.admin_port(), "proxy-read-timeout").starts_with("ignored: "));
  CHECK(verdict_of(portico.admin_port(), "not-a-key") == "ignored: not supported by Portico");
  CHECK(verdict_of(portico.admin_port(), "http-snippet").starts_with("ignored: snippets"));
  CHECK(verdict_of(portico.admin_port(), "allow-snippet-annotations")
            .starts_with("applied, differs"));

  SECTION("changed live: limit status codes, block-cidrs and HSTS off") {
    dir.write("all.yaml", objects + configmap_yaml({{"whitelist-source-range", "127.0.0.0/8"},
                                                    {"limit-req-status-code", "429"},
                                                    {"block-cidrs", "10.0.0.0/8"},
                                                    {"hsts", "false"}}));
    REQUIRE(eventually([&] { return get(portico.port(), "plain.com", "/").status == 200; }));
    CHECK(probe_tls(portico.https_port(), "own.com").strict_transport_security.empty());
    // limit-rps 1 with ingress-nginx's burst of 5 times that: of 20 requests at once, the
    // ones beyond the burst are refused with the ConfigMap's status.
    unsigned refused = 0;
    for (int i = 0; i < 20; ++i) {
      const auto status = get(portico.port(), "limited.com", "/").status;
      CHECK((status == 200 || status == 429));
      refused += status == 429 ? 1 : 0;
    }
    CHECK(refused >= 10);
  }
  SECTION("an invalid block-cidrs closes everything; a missing ConfigMap is all defaults") {
    dir.write("all.yaml", objects + configmap_yaml({{"block-cidrs", "10.0.0.0/40"}}));
    REQUIRE(eventually([&] { return get(portico.port(), "own.com", "/").status == 503; }));
    CHECK(get(portico.port(), "plain.com", "/").status == 503);
    dir.write("all.yaml", objects);
    REQUIRE(eventually([&] { return get(portico.port(), "plain.com", "/").status == 200; }));
    CHECK(probe_tls(portico.https_port(), "own.com").strict_transport_security ==
          "max-age=31536000; includeSubDomains");
  }
}

TEST_CASE("ConfigMap: forwarded headers are believed only from proxy-real-ip-cidr",
          "[e2e][configmap]") {
  Backends backends;
  const auto echo = backends.start("echo");
  const auto cert = make_certificate("fwd.com", {"DNS:fwd.com"});
  TempDir dir;
  const std::string objects =
      Class + "---\n" + service_yaml("echo", {echo}) + "---\n" +
      tls_secret_yaml("fwd-tls", cert.certificate_pem, cert.key_pem) + "---\n" +
      ingress("fwd", "fwd.com",
              {{"nginx.ingress.kubernetes.io/whitelist-source-range", "203.0.113.0/24"}},
              tls_spec("fwd.com", "fwd-tls"));
  dir.write("all.yaml",
            objects + configmap_yaml({{"use-forwarded-headers", "true"},
                                      {"proxy-real-ip-cidr", "127.0.0.1, 10.0.0.0/8"}}));
  Portico portico(dir.path(), 1, {"--configmap", ConfigMapFlag, "--access-log"});
  portico.wait_ready();

  // Behind a TLS-terminating balancer: its X-Forwarded-Proto says HTTPS (no redirect), and the
  // client is the rightmost address that is not a trusted proxy.
  const auto through_balancer = get(portico.port(), "fwd.com", "/",
                                    {{"X-Forwarded-For", "198.51.100.9, 203.0.113.7, 10.1.2.3"},
                                     {"X-Forwarded-Proto", "https"},
                                     {"X-Forwarded-Port", "443"},
                                     {"X-Forwarded-Host", "www.fwd.com"}});
  REQUIRE(through_balancer.status == 200);
  const auto headers = echoed(through_balancer)["headers"];
  CHECK(headers["X-Forwarded-Proto"] == "https");
  CHECK(headers["X-Forwarded-Port"] == "443");
  CHECK(headers["X-Forwarded-Host"] == "www.fwd.com");
  CHECK(headers["X-Forwarded-For"] == "198.51.100.9, 203.0.113.7, 10.1.2.3, 127.0.0.1");
  // The client named is one the allowlist refuses, or none is named: the peer's own address.
  CHECK(get(portico.port(), "fwd.com", "/",
            {{"X-Forwarded-For", "203.0.113.7, 198.51.100.9"}, {"X-Forwarded-Proto", "https"}})
            .status == 403);
  CHECK(get(portico.port(), "fwd.com", "/", {{"X-Forwarded-Proto", "https"}}).status == 403);
  // Without X-Forwarded-Proto the request is plain HTTP: redirected to HTTPS.
  CHECK(get(portico.port(), "fwd.com", "/", {{"X-Forwarded-For", "203.0.113.7"}}).status == 308);

  SECTION("a peer outside proxy-real-ip-cidr is not believed") {
    dir.write("all.yaml", objects + configmap_yaml({{"use-forwarded-headers", "true"},
                                                    {"proxy-real-ip-cidr", "10.0.0.0/8"}}));
    REQUIRE(eventually([&] {
      return get(portico.port(), "fwd.com", "/",
                 {{"X-Forwarded-For", "203.0.113.7"}, {"X-Forwarded-Proto", "https"}})
                 .status == 308;
    }));
    const auto spoofed = get(portico.port(), "fwd.com", "/",
                             {{"X-Forwarded-For", "203.0.113.7"}, {"X-Forwarded-Proto", "https"}});
    CHECK(spoofed.header("location").starts_with("https://fwd.com:"));
  }
  SECTION("enable-real-ip with forwarded-for-header: the address only") {
    dir.write("all.yaml", objects + configmap_yaml({{"enable-real-ip", "true"},
                                                    {"forwarded-for-header", "X-Real-Client"},
                                                    {"ssl-redirect", "false"}}));
    REQUIRE(eventually([&] {
      return get(portico.port(), "fwd.com", "/", {{"X-Real-Client", "203.0.113.5"}}).status == 200;
    }));
    const auto reply = get(portico.port(), "fwd.com", "/",
                           {{"X-Real-Client", "203.0.113.5"}, {"X-Forwarded-Proto", "https"}});
    CHECK(echoed(reply)["headers"]["X-Forwarded-Proto"] == "http");  // not believed
    CHECK(get(portico.port(), "fwd.com", "/", {{"X-Forwarded-For", "203.0.113.5"}}).status == 403);
  }
}

TEST_CASE("ConfigMap: watched from the API server, with the ConfigMaps its settings name",
          "[e2e][configmap]") {
  Backends backends;
  const auto echo = backends.start("echo");
  FakeApiServer api;
  api.apply_yaml(Class + "---\n" + service_yaml("echo", {echo}) + "---\n" +
                 ingress("plain", "plain.com", {}) +
                 ingress("custom", "custom.com",
                         {{"nginx.ingress.kubernetes.io/custom-headers", "team-headers"}}));
  TempDir dir;
  dir.write("kubeconfig", api.kubeconfig());
  auto app = start_application({"--kubeconfig", (dir.path() / "kubeconfig").string(), "--configmap",
                                ConfigMapFlag, "--workers", "1"});
  REQUIRE(eventually([&] { return get(app->http_port(), "plain.com", "/").status == 200; }));
  // Neither the ConfigMap custom-headers names nor the allowance exists yet: closed.
  CHECK(get(app->http_port(), "custom.com", "/").status == 503);

  api.apply_yaml(configmap_yaml({{"whitelist-source-range", "10.0.0.0/8"}}));
  CHECK(eventually([&] { return get(app->http_port(), "plain.com", "/").status == 403; }));
  // Another ConfigMap that nothing names is none of Portico's business.
  api.apply_yaml(configmap_yaml({{"whitelist-source-range", "127.0.0.1"}}, "something-else"));
  api.apply_yaml(configmap_yaml({{"whitelist-source-range", "10.0.0.0/8"}, {"hsts", "false"}}));
  CHECK(eventually([&] { return verdict_of(app->admin_port(), "hsts") == "applied"; }));
  CHECK(get(app->http_port(), "plain.com", "/").status == 403);

  // The named ConfigMaps are watched live: created, then edited.
  api.apply_yaml(configmap_yaml({{"global-allowed-response-headers", "X-Team"}}) +
                 configmap_yaml({{"X-Team", "blog"}}, "team-headers", "default"));
  CHECK(eventually(
      [&] { return get(app->http_port(), "custom.com", "/").header("x-team") == "blog"; }));
  api.apply_yaml(configmap_yaml({{"X-Team", "shop"}}, "team-headers", "default"));
  CHECK(eventually(
      [&] { return get(app->http_port(), "custom.com", "/").header("x-team") == "shop"; }));
  api.remove("configmaps", "default", "team-headers");
  CHECK(eventually([&] { return get(app->http_port(), "custom.com", "/").status == 503; }));

  api.remove("configmaps", "ingress-nginx", "ingress-nginx-controller");
  CHECK(eventually([&] { return get(app->http_port(), "plain.com", "/").status == 200; }));
}

TEST_CASE("ConfigMap: add-headers, proxy-set-headers and custom-headers", "[e2e][configmap]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write("all.yaml",
            Class + "---\n" + service_yaml("echo", {echo}) + "---\n" +
                ingress("plain", "plain.com", {}) +
                ingress("custom", "custom.com",
                        {{"nginx.ingress.kubernetes.io/custom-headers", "default/site-headers"}}) +
                ingress("forbidden", "forbidden.com",
                        {{"nginx.ingress.kubernetes.io/custom-headers", "extra-headers"}}) +
                configmap_yaml({{"add-headers", "ingress-nginx/response-headers"},
                                {"proxy-set-headers", "ingress-nginx/request-headers"},
                                {"global-allowed-response-headers", "X-Frame-Options, X-Site"}}) +
                configmap_yaml({{"X-Frame-Options", "SAMEORIGIN"}, {"X-Served-By", "portico"}},
                               "response-headers") +
                configmap_yaml({{"X-Tenant", "blue"}, {"X-Request-Start", "t=${msec}"}},
                               "request-headers") +
                configmap_yaml({{"X-Frame-Options", "DENY"}, {"X-Site", "custom"}}, "site-headers",
                               "default") +
                configmap_yaml({{"X-Secret", "no"}}, "extra-headers", "default"));
  Portico portico(dir.path(), 1, {"--configmap", ConfigMapFlag});
  portico.wait_ready();

  const auto plain = get(portico.port(), "plain.com", "/");
  REQUIRE(plain.status == 200);
  CHECK(plain.header("x-frame-options") == "SAMEORIGIN");
  CHECK(plain.header("x-served-by") == "portico");
  const auto sent = echoed(plain)["headers"];
  CHECK(sent["X-Tenant"] == "blue");
  // An nginx variable Portico cannot expand: the header is left out, and the verdict says so.
  CHECK_FALSE(sent.contains("X-Request-Start"));
  CHECK(verdict_of(portico.admin_port(), "proxy-set-headers").find("X-Request-Start") !=
        std::string::npos);
  // Portico's own answers carry them too (no route: 404).
  CHECK(get(portico.port(), "nowhere.com", "/").header("x-served-by") == "portico");

  // custom-headers win over add-headers for the same name.
  const auto custom = get(portico.port(), "custom.com", "/");
  CHECK(custom.status == 200);
  CHECK(custom.header("x-frame-options") == "DENY");
  CHECK(custom.header("x-site") == "custom");
  CHECK(custom.header("x-served-by") == "portico");
  // A name global-allowed-response-headers does not allow closes the Ingress, as in
  // ingress-nginx.
  CHECK(get(portico.port(), "forbidden.com", "/").status == 503);
}

TEST_CASE("ConfigMap: ssl-protocols and ssl-ciphers decide the handshakes", "[e2e][configmap]") {
  Backends backends;
  const auto port = backends.start("echo");
  TempDir dir;
  dir.write("all.yaml", Class + "---\n" + service_yaml("echo", {port}) + "---\n" +
                            ingress("site", "site.com", {}) +
                            configmap_yaml({{"ssl-protocols", "TLSv1.3"},
                                            {"ssl-ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305"}}));
  Portico portico(dir.path(), 2, {"--configmap", ConfigMapFlag});
  portico.wait_ready();
  // curl as the client: the answer's status, or 0 when no handshake was made.
  const auto status = [&](std::vector<std::string> tls_options) {
    std::vector<std::string> argv = {"curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}"};
    argv.insert(argv.end(), tls_options.begin(), tls_options.end());
    argv.push_back("https://127.0.0.1:" + std::to_string(portico.https_port()) + "/");
    return std::atoi(run_command(argv).out.c_str());
  };
  CHECK(status({"--tlsv1.3"}) == 404);  // no rule for 127.0.0.1: Portico answered
  CHECK(status({"--tls-max", "1.2"}) == 0);
  CHECK(verdict_of(portico.admin_port(), "ssl-protocols") == "applied");

  // TLS 1.2 back, with one cipher: a client offering only another one gets no handshake.
  dir.write("all.yaml", Class + "---\n" + service_yaml("echo", {port}) + "---\n" +
                            ingress("site", "site.com", {}) +
                            configmap_yaml({{"ssl-protocols", "TLSv1 TLSv1.2 TLSv1.3"},
                                            {"ssl-ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305"}}));
  REQUIRE(eventually([&] {
    return status({"--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305"}) == 404;
  }));
  CHECK(status({"--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"}) == 0);
  CHECK(status({"--tlsv1.3"}) == 404);
  CHECK(verdict_of(portico.admin_port(), "ssl-protocols").starts_with("applied, differs"));
}

TEST_CASE("ConfigMap: keep-alive, keep-alive-requests and the upstream keep-alive keys",
          "[e2e][configmap]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  const std::string objects =
      Class + "---\n" + service_yaml("echo", {echo}) + "---\n" + ingress("site", "site.com", {});
  dir.write("all.yaml", objects + configmap_yaml({{"keep-alive-requests", "2"},
                                                  {"upstream-keepalive-requests", "1"}}));
  Portico portico(dir.path(), 1, {"--configmap", ConfigMapFlag});
  portico.wait_ready();
  const std::string origin = "site.com:" + std::to_string(portico.port());
  // Three requests with curl, one after the other on as few connections as Portico allows:
  // each line is 1 when that request needed a new connection.
  const auto connects = [&](std::vector<std::string> options) {
    std::vector<std::string> argv = {
        "curl", "-s", "-w", "%{num_connects}\n", "--resolve", origin + ":127.0.0.1"};
    argv.insert(argv.end(), options.begin(), options.end());
    for (int i = 0; i < 3; ++i) {
      argv.insert(argv.end(), {"-o", "/dev/null", "http://" + origin + "/"});
    }
    return run_command(argv).out;
  };
  // keep-alive-requests: 2 requests a connection, over HTTP/1.1 and HTTP/2 alike. nghttp
  // sends its three at once: two are answered, and GOAWAY names the second as the last.
  CHECK(connects({}) == "1\n0\n1\n");
  const std::string local = "http://127.0.0.1:" + std::to_string(portico.port());
  const auto h2 = run_command({"nghttp", "-nv", "-H", ":authority: site.com", local + "/a",
                               local + "/b", local + "/c"})
                      .out;
  std::size_t answered = 0;
  for (auto at = h2.find(":status: 200"); at != std::string::npos;
       at = h2.find(":status: 200", at + 1)) {
    ++answered;
  }
  CHECK(answered == 2);
  CHECK(h2.find("recv GOAWAY") != std::string::npos);
  CHECK(h2.find("error_code=NO_ERROR") != std::string::npos);
  // upstream-keepalive-requests: 1 request an upstream connection, so each is the echo
  // backend's next.
  const auto first = echoed(get(portico.port(), "site.com", "/"))["connection"];
  const auto second = echoed(get(portico.port(), "site.com", "/"))["connection"];
  CHECK(first != second);

  // keep-alive "0": no keep-alive at all; without the keys, the flags' keep-alive again.
  dir.write("all.yaml", objects + configmap_yaml({{"keep-alive", "0"}}));
  CHECK(eventually([&] { return connects({}) == "1\n1\n1\n"; }));
  CHECK(get(portico.port(), "site.com", "/").header("connection") == "close");
  const auto closed_upstream = echoed(get(portico.port(), "site.com", "/"))["connection"];
  CHECK(echoed(get(portico.port(), "site.com", "/"))["connection"] == closed_upstream);
  dir.write("all.yaml", objects + configmap_yaml({}));
  CHECK(eventually([&] { return connects({}) == "1\n0\n0\n"; }));
}
