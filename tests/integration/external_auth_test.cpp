// auth-url and its companions against a real auth service (tests/auth/auth_service.py, which
// answers as oauth2-proxy does), over HTTP/1.1 and HTTP/2: what the service receives, what the
// backend receives after a yes, and what the client gets after a no, a failure or a sign-in.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/certificates.hpp"
#include "tests/support/command.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

const std::string AuthService = PORTICO_SOURCE_DIR "/tests/auth/auth_service.py";

std::string protected_site(const std::string& name, const std::string& host,
                           const std::map<std::string, std::string>& annotations) {
  return ingress_yaml(name, host, {{"/", "Prefix", "app", "80"}}, "",
                      annotations_yaml(annotations)) +
         "---\n";
}

// The auth service, started and listening on `port` of 127.0.0.1.
struct AuthServiceProcess {
  AuthServiceProcess() : process({"/usr/bin/python3", AuthService}) {
    const auto line = process.wait_for_line("listening ");
    port = static_cast<std::uint16_t>(std::stoi(line.substr(line.find(' ') + 1)));
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }

  BackgroundCommand process;
  std::uint16_t port = 0;
};

// What every test here starts with: the auth service, the "app" backend, and manifests that
// hold the IngressClass and the app Service before the test's own objects.
struct AuthFixture {
  void write_manifests(const std::string& objects) {
    dir.write("all.yaml", ingress_class_yaml("portico", "portico.dev/ingress-controller", true) +
                              "---\n" + service_yaml("app", {app}) + "---\n" + objects);
  }

  const AuthServiceProcess service;
  const std::string auth = service.url();
  Backends backends;
  const std::uint16_t app = backends.start("app");
  const std::string prefix = "nginx.ingress.kubernetes.io/";
  TempDir dir;
};

}  // namespace

TEST_CASE_METHOD(
    AuthFixture,
    "External auth: auth-url lets through, refuses, redirects to sign in, and fails closed",
    "[e2e][auth]") {
  write_manifests(
      protected_site(
          "app", "app.com",
          {{prefix + "auth-url", auth + "/oauth2/auth?from=$host"},
           {prefix + "auth-response-headers", "X-Auth-Request-User, X-Auth-Request-Email"},
           {prefix + "auth-signin", "https://login.example.com/start?next=1"}}) +
      protected_site("api", "api.com",
                     {{prefix + "auth-url", auth + "/check"},
                      {prefix + "auth-method", "POST"},
                      {prefix + "auth-always-set-cookie", "true"}}) +
      protected_site(
          "down", "down.com",
          {{prefix + "auth-url", "http://127.0.0.1:" + std::to_string(closed_port()) + "/"}}) +
      protected_site("broken", "broken.com", {{prefix + "auth-url", auth + "/broken"}}) +
      protected_site("bad", "bad.com", {{prefix + "auth-url", "ftp://auth.example.com/"}}) +
      protected_site("literal", "literal.com",
                     {{prefix + "auth-url", auth + "/check?u=$remote_user&h=$best_http_host"}}) +
      protected_site("badmethod", "badmethod.com",
                     {{prefix + "auth-url", auth + "/"}, {prefix + "auth-method", "fetch"}}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const auto last_auth_request = [&] {
    return json::parse(get(service.port, "127.0.0.1", "/last").body);
  };

  SECTION("yes: the request goes on with the service's headers, never the client's") {
    Connection conn(portico.port());
    const auto r = conn.send("POST", "app.com", "/private?a=1", "hello",
                             {{"Authorization", "Bearer alice"},
                              {"X-Auth-Request-User", "mallory"},
                              {"X-Forwarded-Proto", "gopher"}});
    REQUIRE(r.status == 200);
    CHECK(r.header("x-echo-name") == "app");
    CHECK(r.header("set-cookie") == "session=fresh; Path=/");
    const auto received = json::parse(r.body);
    CHECK(received["headers"]["X-Auth-Request-User"] == "alice");
    CHECK(received["headers"]["X-Auth-Request-Email"] == "alice@example.com");
    CHECK(received["body_bytes"] == 5);  // the body still reaches the backend

    const auto seen = last_auth_request()["last"];
    CHECK(seen["method"] == "GET");
    CHECK(seen["path"] == "/oauth2/auth?from=app.com");
    CHECK(seen["body_bytes"] == 0);
    const auto& headers = seen["headers"];
    CHECK(headers["host"] == "127.0.0.1");
    CHECK(headers["authorization"] == "Bearer alice");
    CHECK(headers["x-original-url"] == "http://app.com/private?a=1");
    CHECK(headers["x-original-method"] == "POST");
    CHECK(headers["x-sent-from"] == "nginx-ingress-controller");
    CHECK(headers["x-real-ip"] == "127.0.0.1");
    CHECK(headers["x-forwarded-for"] == "127.0.0.1");
    CHECK(headers["x-auth-request-redirect"] == "/private?a=1");
    CHECK_FALSE(headers.contains("content-length"));
    CHECK_FALSE(headers.contains("x-forwarded-proto"));
    CHECK_FALSE(headers.contains("x-original-uri"));  // only with auth-method
  }

  SECTION("no credentials: a redirect to sign in that says where to come back to") {
    const auto r = get(portico.port(), "app.com", "/private?a=1");
    CHECK(r.status == 302);
    CHECK(r.header("location") ==
          "https://login.example.com/start?next=1&rd=http://app.com%2Fprivate%3Fa%3D1");
    CHECK(r.header("set-cookie") == "csrf=1; Path=/");  // a 302 carries the service's cookie
    CHECK(r.header("x-echo-name").empty());
  }

  SECTION("a refused user: 403, and the backend never sees the request") {
    const auto r = get(portico.port(), "app.com", "/", {{"Authorization", "Bearer mallory"}});
    CHECK(r.status == 403);
    CHECK(r.header("x-echo-name").empty());
    CHECK(r.header("set-cookie").empty());
  }

  SECTION(
      "without auth-signin: 401 with the service's challenge; auth-method and always-set-cookie") {
    const auto r = get(portico.port(), "api.com", "/v1/items");
    CHECK(r.status == 401);
    CHECK(r.header("www-authenticate") == "Bearer realm=\"portico-test\"");
    CHECK(r.header("set-cookie") == "csrf=1; Path=/");  // auth-always-set-cookie
    const auto seen = last_auth_request()["last"];
    CHECK(seen["method"] == "POST");
    CHECK(seen["headers"]["x-original-uri"] == "/v1/items");
    CHECK(seen["headers"]["x-scheme"] == "http");
  }

  SECTION("no answer, a 500, an invalid auth-url: never let through") {
    CHECK(get(portico.port(), "down.com", "/").status == 500);
    CHECK(get(portico.port(), "broken.com", "/").status == 500);
    CHECK(get(portico.port(), "bad.com", "/").status == 503);
    CHECK(get(portico.port(), "badmethod.com", "/").status == 503);
  }

  SECTION("nginx's variables are expanded; any other $ text is literal") {
    CHECK(get(portico.port(), "literal.com:8080", "/").status == 401);
    CHECK(last_auth_request()["last"]["path"] == "/check?u=$remote_user&h=literal.com:8080");
  }

  SECTION("HTTP/2 clients are asked for the same, and connections to the service are reused") {
    const auto before = last_auth_request();
    for (int i = 0; i < 5; ++i) {
      const auto result = run_command(
          {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge", "-H",
           "Authorization: Bearer alice",
           "http://127.0.0.1:" + std::to_string(portico.port()) + "/", "-H", "Host: app.com"});
      CHECK(result.out == "200");
    }
    CHECK(run_command(
              {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge",
               "http://127.0.0.1:" + std::to_string(portico.port()) + "/", "-H", "Host: app.com"})
              .out == "302");
    const auto after = last_auth_request();
    CHECK(after["requests"].get<int>() - before["requests"].get<int>() == 6);
    CHECK(after["connections"].get<int>() - before["connections"].get<int>() <= 1);
  }

  SECTION("an https:// auth service by name: resolved, sent SNI, and asked the same") {
    TempDir files;
    const auto certificate = make_certificate("localhost", {"DNS:localhost"});
    files.write("cert.pem", certificate.certificate_pem);
    files.write("key.pem", certificate.key_pem);
    BackgroundCommand secure({"/usr/bin/python3", AuthService, "--tls",
                              (files.path() / "cert.pem").string(),
                              (files.path() / "key.pem").string()});
    const auto secure_line = secure.wait_for_line("listening ");
    const std::string secure_port = secure_line.substr(secure_line.find(' ') + 1);
    dir.write("tls.yaml", protected_site("tls", "tls.com",
                                         {{prefix + "auth-url",
                                           "https://localhost:" + secure_port + "/oauth2/auth"}}));
    REQUIRE(eventually([&] { return get(portico.port(), "tls.com", "/").status == 401; }));
    CHECK(get(portico.port(), "tls.com", "/", {{"Authorization", "Bearer alice"}}).status == 200);
    const auto seen = json::parse(
        probe_tls(static_cast<std::uint16_t>(std::stoi(secure_port)), "", "/last").body)["last"];
    CHECK(seen["sni"] == "localhost");
    CHECK(seen["headers"]["host"] == "localhost");
    CHECK(seen["headers"]["authorization"] == "Bearer alice");
  }

  SECTION("explain names the auth service; the verdicts name what is ignored") {
    const auto e = json::parse(
        get(portico.admin_port(), "localhost", "/debug/explain?url=http%3A%2F%2Fapp.com%2F").body);
    CHECK(e["outcome"].get<std::string>().find("auth service (auth-url)") != std::string::npos);
    const auto objects = json::parse(get(portico.admin_port(), "localhost", "/debug/objects").body);
    bool refused = false;
    for (const auto& note : objects["annotations"]) {
      refused = refused || (note["ingress"] == "default/badmethod" &&
                            note["verdict"].get<std::string>().starts_with("fails closed (503)"));
    }
    CHECK(refused);
  }
}

TEST_CASE_METHOD(AuthFixture,
                 "External auth: auth-cache-key keeps the answers nginx's cache would keep",
                 "[e2e][auth]") {
  write_manifests(
      protected_site("cached", "cached.com",
                     {{prefix + "auth-url", auth + "/oauth2/auth"},
                      {prefix + "auth-response-headers", "X-Auth-Request-User"},
                      {prefix + "auth-cache-key", "$http_authorization"},
                      {prefix + "auth-cache-duration", "202 401 1m"}}) +
      protected_site("short", "short.com",
                     {{prefix + "auth-url", auth + "/oauth2/auth"},
                      {prefix + "auth-cache-key", "$http_authorization"},
                      {prefix + "auth-cache-duration", "202 1s"}}) +
      protected_site("uncached", "uncached.com", {{prefix + "auth-url", auth + "/oauth2/auth"}}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  // How many auth requests the service has answered so far.
  const auto asked = [&] {
    return json::parse(get(service.port, "127.0.0.1", "/last").body)["requests"].get<int>();
  };
  const auto request = [&](const std::string& host, const std::string& path,
                           const std::string& token) {
    return get(portico.port(), host, path, {{"Authorization", "Bearer " + token}});
  };
  const auto user_seen = [](const Response& r) {
    return json::parse(r.body)["headers"]["X-Auth-Request-User"];
  };

  // bob's yes is kept: asked once for three requests, and the backend gets his name each time.
  int before = asked();
  for (int i = 0; i < 3; ++i) {
    const auto r = request("cached.com", "/", "bob");
    REQUIRE(r.status == 200);
    CHECK(user_seen(r) == "bob");
  }
  CHECK(asked() == before + 1);
  // Another key (another token) is asked for; so is another path, even with the same key.
  before = asked();
  CHECK(request("cached.com", "/", "nobody").status == 401);
  CHECK(request("cached.com", "/other", "bob").status == 200);
  CHECK(asked() == before + 2);
  // Never kept: an answer that sets a cookie (alice's), one that says no-store (carol's), and
  // any answer of a route without auth-cache-key.
  before = asked();
  for (const auto& [host, token] :
       {std::pair{"cached.com", "alice"}, {"cached.com", "carol"}, {"uncached.com", "bob"}}) {
    CHECK(request(host, "/", token).status == 200);
    CHECK(request(host, "/", token).status == 200);
  }
  CHECK(asked() == before + 6);
  // The kept answers decided the requests Portico did not ask about.
  const auto metrics = get(portico.admin_port(), "localhost", "/metrics").body;
  CHECK(metrics.find("portico_auth_cache_hits_total 2\n") != std::string::npos);
  // A kept answer lasts what auth-cache-duration says: 1 s here.
  before = asked();
  CHECK(request("short.com", "/", "bob").status == 200);
  CHECK(request("short.com", "/", "bob").status == 200);
  CHECK(asked() == before + 1);
  CHECK(eventually([&] {
    request("short.com", "/", "bob");
    return asked() > before + 1;
  }));
}

TEST_CASE_METHOD(AuthFixture,
                 "External auth: the ConfigMap's global-auth-url guards every Ingress but its own",
                 "[e2e][auth]") {
  write_manifests(
      protected_site("plain", "plain.com", {}) +
      protected_site("opted-out", "public.com", {{prefix + "enable-global-auth", "false"}}) +
      protected_site("own", "own.com", {{prefix + "auth-url", auth + "/broken"}}) +
      ingress_yaml("solver", "plain.com",
                   {{"/.well-known/acme-challenge/token", "Exact", "app", "80"}}) +
      "---\n" +
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico-config\n"
      "  namespace: default\ndata:\n  global-auth-url: \"" +
      auth + "/oauth2/auth\"\n  global-auth-response-headers: X-Auth-Request-User\n");
  Portico portico(dir.path(), 1, {"--configmap", "default/portico-config"});
  portico.wait_ready();
  const auto status = [&](const std::string& host, const std::string& path,
                          const std::string& token) {
    return get(portico.port(), host, path,
               token.empty()
                   ? std::map<std::string, std::string>{}
                   : std::map<std::string, std::string>{{"Authorization", "Bearer " + token}})
        .status;
  };
  // Every Ingress without an auth-url of its own is asked about.
  CHECK(status("plain.com", "/", "") == 401);
  const auto bob = get(portico.port(), "plain.com", "/", {{"Authorization", "Bearer bob"}});
  CHECK(bob.status == 200);
  CHECK(json::parse(bob.body)["headers"]["X-Auth-Request-User"] == "bob");
  // enable-global-auth "false" opts out; an auth-url of its own replaces the global one.
  CHECK(status("public.com", "/", "") == 200);
  CHECK(status("own.com", "/", "bob") == 500);  // its own service answers 500
  // no-auth-locations (by default ACME's HTTP-01 path, as cert-manager's solver uses it).
  CHECK(status("plain.com", "/.well-known/acme-challenge/token", "") == 200);
}
