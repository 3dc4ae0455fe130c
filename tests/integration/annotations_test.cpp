// End to end: each ingress-nginx annotation Portico supports, through real sockets, against
// echo backends that report what reached them.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "proxy/common/base64.hpp"
#include "tests/support/certificates.hpp"
#include "tests/support/command.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

const std::string Class = ingress_class_yaml("portico", "portico.dev/ingress-controller", true);

std::string opaque_secret(const std::string& name, const std::map<std::string, std::string>& data) {
  std::string yaml =
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name +
      "\n  namespace: default\ntype: Opaque\nstringData:\n";
  for (const auto& [key, value] : data) {
    yaml += "  " + key + ": " + nlohmann::json(value).dump() + "\n";
  }
  return yaml + "---\n";
}

std::string target_of(const Response& r) {
  return nlohmann::json::parse(r.body)["target"].get<std::string>();
}

// Hashes made with Debian's htpasswd (-B, -m, -s) and crypt's SHA-256.
const std::string Users =
    "alice:$2y$05$RkYOzHpmt0wkJVN70KNb0e8t9xCpwbu7YDMdRWtI6YCYf300/deWS\n"
    "bob:$apr1$A7HU4GMO$JGKD4XL.egmaS8.tlA0c0/\n"
    "carol:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n"
    "dave:$5$QdtRocGAo/CSfrii$/lGM97Udifabid0MSQKEJBfR6niHZIyxIMqvbKOjy.D\n";

std::string basic(const std::string& user, const std::string& password) {
  return "Basic " + base64_encode(user + ":" + password);
}

}  // namespace

TEST_CASE("Annotations: rewrite-target with use-regex, app-root and redirects",
          "[e2e][annotations]") {
  Backends backends;
  const auto api = backends.start("api");
  const auto front = backends.start("frontend");
  TempDir dir;
  dir.write(
      "all.yaml",
      Class + "---\n" + service_yaml("api", {api}) + "---\n" + service_yaml("frontend", {front}) +
          "---\n" +
          annotated_ingress_yaml("blog-api", "blog.com", "api",
                                 {{"nginx.ingress.kubernetes.io/rewrite-target", "/$2"}},
                                 {{"\"/api(/|$)(.*)\"", "ImplementationSpecific", "api", "80"}}) +
          annotated_ingress_yaml("blog-front", "blog.com", "frontend", {}) +
          annotated_ingress_yaml("approot", "app.com", "frontend",
                                 {{"nginx.ingress.kubernetes.io/app-root", "/dashboard"}}) +
          annotated_ingress_yaml(
              "moved", "old.com", "frontend",
              {{"nginx.ingress.kubernetes.io/permanent-redirect", "https://new.com/"}}) +
          annotated_ingress_yaml("moved-308", "old308.com", "frontend",
                                 {{"portico.dev/permanent-redirect", "https://new.com/x"},
                                  {"portico.dev/permanent-redirect-code", "308"}}) +
          annotated_ingress_yaml(
              "elsewhere", "temp.com", "frontend",
              {{"nginx.ingress.kubernetes.io/temporal-redirect", "https://maintenance.com"}}) +
          annotated_ingress_yaml("renamed", "renamed.com", "frontend",
                                 {{"nginx.ingress.kubernetes.io/permanent-redirect",
                                   "https://new.$host$request_uri?from=$scheme&$other"}}) +
          annotated_ingress_yaml("forced", "secure.com", "frontend",
                                 {{"nginx.ingress.kubernetes.io/force-ssl-redirect", "true"}}) +
          annotated_ingress_yaml("bad-regex", "badregex.com", "frontend",
                                 {{"nginx.ingress.kubernetes.io/use-regex", "true"}},
                                 {{"\"/a(\"", "ImplementationSpecific", "frontend", "80"},
                                  {"/ok", "Prefix", "frontend", "80"}}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();

  SECTION("the regex captures rewrite the path; the query follows; other paths of the host are "
          "regexes too") {
    auto r = get(portico.port(), "blog.com", "/api/users/7?full=1");
    REQUIRE(r.status == 200);
    CHECK(r.header("x-echo-name") == "api");
    CHECK(target_of(r) == "/users/7?full=1");
    r = get(portico.port(), "blog.com", "/API");  // case-insensitive, as nginx's ~*
    CHECK(r.header("x-echo-name") == "api");
    CHECK(target_of(r) == "/");
    r = get(portico.port(), "blog.com", "/apiary");  // (/|$) does not match "a"
    CHECK(r.header("x-echo-name") == "frontend");
    CHECK(target_of(r) == "/apiary");  // no rewrite on the other Ingress
  }
  SECTION("app-root sends / (only) to the application's path") {
    auto r = get(portico.port(), "app.com", "/");
    CHECK(r.status == 302);
    CHECK(r.header("location") == "http://app.com/dashboard");
    CHECK(get(portico.port(), "app.com", "/dashboard").status == 200);
  }
  SECTION("permanent-redirect (+code) and temporal-redirect") {
    auto r = get(portico.port(), "old.com", "/anything");
    CHECK(r.status == 301);
    CHECK(r.header("location") == "https://new.com/");
    r = get(portico.port(), "old308.com", "/");
    CHECK(r.status == 308);
    CHECK(r.header("location") == "https://new.com/x");
    r = get(portico.port(), "temp.com", "/");
    CHECK(r.status == 302);
    CHECK(r.header("location") == "https://maintenance.com");
    // nginx's variables are expanded; any other $ text stays as it is.
    r = get(portico.port(), "renamed.com", "/a/b?c=d");
    CHECK(r.status == 301);
    CHECK(r.header("location") == "https://new.renamed.com/a/b?c=d?from=http&$other");
  }
  SECTION("force-ssl-redirect without any spec.tls") {
    const auto r = get(portico.port(), "secure.com", "/login?next=/");
    CHECK(r.status == 308);
    CHECK(r.header("location") ==
          "https://secure.com:" + std::to_string(portico.https_port()) + "/login?next=/");
  }
  SECTION("a path that is not a valid regex is skipped; the rest of the Ingress is served") {
    CHECK(get(portico.port(), "badregex.com", "/ok").status == 200);
    CHECK(get(portico.port(), "badregex.com", "/a(").status == 404);
  }
}

TEST_CASE("Annotations: source ranges and Basic authentication, failing closed",
          "[e2e][annotations]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  const std::string base =
      Class + "---\n" + service_yaml("echo", {echo}) + "---\n" +
      annotated_ingress_yaml(
          "inside", "inside.com", "echo",
          {{"nginx.ingress.kubernetes.io/whitelist-source-range", "10.0.0.0/8, 127.0.0.1"}}) +
      annotated_ingress_yaml(
          "outside", "outside.com", "echo",
          {{"nginx.ingress.kubernetes.io/allowlist-source-range", "10.0.0.0/8,::1/128"}}) +
      annotated_ingress_yaml(
          "broken-list", "broken.com", "echo",
          {{"nginx.ingress.kubernetes.io/whitelist-source-range", "10.0.0.0/33"}}) +
      annotated_ingress_yaml(
          "denied", "denied.com", "echo",
          {{"nginx.ingress.kubernetes.io/denylist-source-range", "10.0.0.0/8, 127.0.0.0/8"}}) +
      annotated_ingress_yaml(
          "denied-first", "denied-first.com", "echo",
          {{"nginx.ingress.kubernetes.io/whitelist-source-range", "127.0.0.1"},
           {"nginx.ingress.kubernetes.io/denylist-source-range", "127.0.0.1/32"}}) +
      annotated_ingress_yaml(
          "not-denied", "not-denied.com", "echo",
          {{"nginx.ingress.kubernetes.io/denylist-source-range", "10.0.0.0/8"}}) +
      annotated_ingress_yaml(
          "broken-deny", "broken-deny.com", "echo",
          {{"nginx.ingress.kubernetes.io/denylist-source-range", "127.0.0.1/99"}}) +
      annotated_ingress_yaml("client-certs", "mtls.com", "echo",
                             {{"nginx.ingress.kubernetes.io/auth-tls-secret", "default/ca"},
                              {"nginx.ingress.kubernetes.io/auth-tls-verify-client", "on"}}) +
      annotated_ingress_yaml("private", "private.com", "echo",
                             {{"nginx.ingress.kubernetes.io/auth-type", "basic"},
                              {"nginx.ingress.kubernetes.io/auth-secret", "users"},
                              {"nginx.ingress.kubernetes.io/auth-realm", "Blog admins"}}) +
      annotated_ingress_yaml("by-map", "map.com", "echo",
                             {{"nginx.ingress.kubernetes.io/auth-type", "basic"},
                              {"nginx.ingress.kubernetes.io/auth-secret", "default/user-map"},
                              {"nginx.ingress.kubernetes.io/auth-secret-type", "auth-map"}}) +
      annotated_ingress_yaml(
          "external", "external.com", "echo",
          {{"nginx.ingress.kubernetes.io/auth-url", "gopher://oauth2-proxy/auth"}});
  // "users" is missing at first: that Ingress must fail closed, not open.
  dir.write("all.yaml",
            base + opaque_secret("user-map", {{"carol", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="}}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();

  SECTION("source ranges: inside 200, outside 403, an invalid list 503") {
    CHECK(get(portico.port(), "inside.com", "/").status == 200);
    CHECK(get(portico.port(), "outside.com", "/").status == 403);
    CHECK(get(portico.port(), "broken.com", "/").status == 503);
    // The denylist is checked first, as ingress-nginx's deny lines come before its allows.
    CHECK(get(portico.port(), "denied.com", "/").status == 403);
    CHECK(get(portico.port(), "denied-first.com", "/").status == 403);
    CHECK(get(portico.port(), "not-denied.com", "/").status == 200);
    CHECK(get(portico.port(), "broken-deny.com", "/").status == 503);
    // An access control Portico does not offer closes the Ingress instead of opening it.
    CHECK(get(portico.port(), "mtls.com", "/").status == 503);
  }
  SECTION("an auth-secret that is missing, then present, then wrong") {
    CHECK(get(portico.port(), "private.com", "/").status == 503);
    CHECK(get(portico.port(), "external.com", "/").status == 503);  // an unusable auth-url
    dir.write("all.yaml", base + opaque_secret("users", {{"auth", Users}}) +
                              opaque_secret("user-map", {{"carol", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="}}));
    REQUIRE(eventually([&] { return get(portico.port(), "private.com", "/").status == 401; }));
    const auto challenge = get(portico.port(), "private.com", "/");
    CHECK(challenge.header("www-authenticate") == "Basic realm=\"Blog admins\"");
    // bcrypt, apr1, {SHA} and SHA-256 crypt, each right and wrong.
    for (const auto& [user, password] : std::vector<std::pair<std::string, std::string>>{
             {"alice", "wonderland"}, {"bob", "builder"}, {"carol", "secret"}, {"dave", "pass"}}) {
      INFO(user);
      Connection c(portico.port());
      const auto ok = c.get("private.com", "/", {{"Authorization", basic(user, password)}});
      CHECK(ok.status == 200);
      CHECK(nlohmann::json::parse(ok.body)["headers"]["Authorization"] == basic(user, password));
      // Again on the same worker: remembered, still right.
      CHECK(c.get("private.com", "/", {{"Authorization", basic(user, password)}}).status == 200);
      CHECK(c.get("private.com", "/", {{"Authorization", basic(user, password + "x")}}).status ==
            401);
    }
    CHECK(get(portico.port(), "private.com", "/", {{"Authorization", basic("mallory", "x")}})
              .status == 401);
    CHECK(get(portico.port(), "private.com", "/", {{"Authorization", "Basic !!!"}}).status == 401);
    CHECK(get(portico.port(), "map.com", "/", {{"Authorization", basic("carol", "secret")}})
              .status == 200);
    // A Secret that stops parsing closes the Ingress again.
    dir.write("all.yaml", base + opaque_secret("users", {{"auth", "alice:plaintext\n"}}) +
                              opaque_secret("user-map", {{"carol", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="}}));
    CHECK(eventually([&] {
      return get(portico.port(), "private.com", "/", {{"Authorization", basic("alice", "wonderland")}})
                 .status == 503;
    }));
  }
}

TEST_CASE("Annotations: CORS", "[e2e][annotations]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write("all.yaml", Class + "---\n" + service_yaml("echo", {echo}) + "---\n" +
                            annotated_ingress_yaml(
                                "open", "any.com", "echo",
                                {{"nginx.ingress.kubernetes.io/enable-cors", "true"},
                                 {"nginx.ingress.kubernetes.io/cors-allow-credentials", "false"}}) +
                            annotated_ingress_yaml(
                                "listed", "api.com", "echo",
                                {{"nginx.ingress.kubernetes.io/enable-cors", "true"},
                                 {"nginx.ingress.kubernetes.io/cors-allow-origin",
                                  "https://blog.com, https://*.blog.com"},
                                 {"nginx.ingress.kubernetes.io/cors-allow-methods", "GET, POST"},
                                 {"nginx.ingress.kubernetes.io/cors-max-age", "600"},
                                 {"nginx.ingress.kubernetes.io/cors-expose-headers", "X-Total"}}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();

  Connection c(portico.port());
  // A preflight is answered here, never reaching the backend.
  auto r = c.send("OPTIONS", "api.com", "/posts", "",
                  {{"Origin", "https://www.blog.com"}, {"Access-Control-Request-Method", "POST"}});
  CHECK(r.status == 204);
  CHECK(r.header("access-control-allow-origin") == "https://www.blog.com");
  CHECK(r.header("access-control-allow-methods") == "GET, POST");
  CHECK(r.header("access-control-allow-credentials") == "true");
  CHECK(r.header("access-control-max-age") == "600");
  CHECK(r.header("x-echo-name").empty());
  // An actual request gets the headers on the backend's response.
  r = c.get("api.com", "/posts", {{"Origin", "https://blog.com"}});
  CHECK(r.status == 200);
  CHECK(r.header("x-echo-name") == "echo");
  CHECK(r.header("access-control-allow-origin") == "https://blog.com");
  CHECK(r.header("access-control-expose-headers") == "X-Total");
  // An origin not listed gets nothing, and its OPTIONS goes to the backend.
  r = c.get("api.com", "/posts", {{"Origin", "https://evil.com"}});
  CHECK(r.header("access-control-allow-origin").empty());
  r = c.send("OPTIONS", "api.com", "/posts", "", {{"Origin", "https://evil.com"}});
  CHECK(r.header("x-echo-name") == "echo");
  // Any origin, no credentials: "*".
  r = c.get("any.com", "/", {{"Origin", "https://x.org"}});
  CHECK(r.header("access-control-allow-origin") == "*");
  CHECK(r.header("access-control-allow-credentials").empty());
}

TEST_CASE("Annotations: sticky cookie, hashing, EWMA and canaries", "[e2e][annotations]") {
  Backends backends;
  const auto a = backends.start("a");
  const auto b = backends.start("b");
  const auto c = backends.start("c");
  const auto canary = backends.start("canary");
  TempDir dir;
  dir.write(
      "all.yaml",
      Class + "---\n" + service_yaml("pool", {a, b, c}) + "---\n" + service_yaml("pair", {a, b}) +
          "---\n" + service_yaml("next", {canary}) + "---\n" +
          annotated_ingress_yaml("sticky", "sticky.com", "pool",
                                 {{"nginx.ingress.kubernetes.io/affinity", "cookie"},
                                  {"nginx.ingress.kubernetes.io/session-cookie-name", "route"},
                                  {"nginx.ingress.kubernetes.io/session-cookie-max-age", "3600"},
                                  {"nginx.ingress.kubernetes.io/session-cookie-samesite", "Lax"}}) +
          annotated_ingress_yaml(
              "hashed", "hash.com", "pool",
              {{"nginx.ingress.kubernetes.io/upstream-hash-by", "$request_uri"}}) +
          annotated_ingress_yaml(
              "by-user", "user.com", "pool",
              {{"nginx.ingress.kubernetes.io/upstream-hash-by", "$http_x_user"}}) +
          annotated_ingress_yaml("latency", "ewma.com", "pair",
                                 {{"nginx.ingress.kubernetes.io/load-balance", "ewma"}}) +
          annotated_ingress_yaml("main", "shop.com", "pair", {}) +
          annotated_ingress_yaml("shop-canary", "shop.com", "next",
                                 {{"nginx.ingress.kubernetes.io/canary", "true"},
                                  {"nginx.ingress.kubernetes.io/canary-by-header", "X-Canary"},
                                  {"nginx.ingress.kubernetes.io/canary-by-cookie", "canary"},
                                  {"nginx.ingress.kubernetes.io/canary-weight", "0"}}) +
          annotated_ingress_yaml("main-weighted", "half.com", "pair", {}) +
          annotated_ingress_yaml("half-canary", "half.com", "next",
                                 {{"nginx.ingress.kubernetes.io/canary", "true"},
                                  {"nginx.ingress.kubernetes.io/canary-weight", "50"},
                                  {"nginx.ingress.kubernetes.io/canary-by-header", "X-Version"},
                                  {"nginx.ingress.kubernetes.io/canary-by-header-value", "v2"}}) +
          annotated_ingress_yaml("main-pattern", "pattern.com", "pair", {}) +
          annotated_ingress_yaml(
              "pattern-canary", "pattern.com", "next",
              {{"nginx.ingress.kubernetes.io/canary", "true"},
               {"nginx.ingress.kubernetes.io/canary-by-header", "X-Region"},
               {"nginx.ingress.kubernetes.io/canary-by-header-pattern", "^eu-(west|north)"}}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const auto name_of = [](const Response& r) { return r.header("x-echo-name"); };

  SECTION("affinity cookie: set once, then every request goes to the same endpoint") {
    Connection conn(portico.port());
    const auto first = conn.get("sticky.com", "/");
    const std::string cookie = first.header("set-cookie");
    REQUIRE(cookie.starts_with("route="));
    CHECK(cookie.find("Max-Age=3600") != std::string::npos);
    CHECK(cookie.find("SameSite=Lax") != std::string::npos);
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    const std::string value = cookie.substr(0, cookie.find(';'));
    for (int i = 0; i < 12; ++i) {
      const auto r = conn.get("sticky.com", "/", {{"Cookie", "theme=dark; " + value}});
      CHECK(name_of(r) == name_of(first));
      CHECK(r.header("set-cookie").empty());
    }
    // Without the cookie, requests spread (round robin) and each gets a cookie.
    std::set<std::string> seen;
    for (int i = 0; i < 6; ++i) {
      const auto r = conn.get("sticky.com", "/");
      seen.insert(name_of(r));
      CHECK_FALSE(r.header("set-cookie").empty());
    }
    CHECK(seen.size() == 3);
  }
  SECTION("upstream-hash-by: one key, one endpoint; many keys, every endpoint") {
    std::set<std::string> seen;
    for (int key = 0; key < 30; ++key) {
      const std::string path = "/item/" + std::to_string(key);
      const auto chosen = name_of(get(portico.port(), "hash.com", path));
      for (int again = 0; again < 3; ++again) {
        CHECK(name_of(get(portico.port(), "hash.com", path)) == chosen);
      }
      seen.insert(chosen);
    }
    CHECK(seen.size() == 3);
    const auto alice = name_of(get(portico.port(), "user.com", "/a", {{"X-User", "alice"}}));
    CHECK(name_of(get(portico.port(), "user.com", "/b", {{"X-User", "alice"}})) == alice);
  }
  SECTION("load-balance ewma: a slow endpoint gets little of the traffic") {
    backends.server(1).set_delay(std::chrono::milliseconds(40));  // "b"
    std::map<std::string, int> count;
    Connection conn(portico.port());
    for (int i = 0; i < 60; ++i) {
      ++count[name_of(conn.get("ewma.com", "/"))];
    }
    backends.server(1).set_delay(std::chrono::milliseconds(0));
    INFO("a " << count["a"] << ", b " << count["b"]);
    CHECK(count["a"] >= 50);
  }
  SECTION("canary by header, then cookie, then weight") {
    CHECK(name_of(get(portico.port(), "shop.com", "/", {{"X-Canary", "always"}})) == "canary");
    CHECK(name_of(get(portico.port(), "shop.com", "/", {{"Cookie", "canary=always"}})) ==
          "canary");
    CHECK(name_of(get(portico.port(), "shop.com", "/",
                      {{"X-Canary", "never"}, {"Cookie", "canary=always"}})) != "canary");
    for (int i = 0; i < 10; ++i) {
      CHECK(name_of(get(portico.port(), "shop.com", "/")) != "canary");  // weight 0
    }
    CHECK(name_of(get(portico.port(), "half.com", "/", {{"X-Version", "v2"}})) == "canary");
    int to_canary = 0;
    Connection conn(portico.port());
    for (int i = 0; i < 200; ++i) {
      to_canary += name_of(conn.get("half.com", "/", {{"X-Version", "v1"}})) == "canary";
    }
    INFO(to_canary << " of 200 went to the canary");
    CHECK(to_canary > 60);
    CHECK(to_canary < 140);
    // canary-by-header-pattern: a value the pattern finds takes the canary; others, and no
    // header, fall through to the weight (0).
    CHECK(name_of(get(portico.port(), "pattern.com", "/", {{"X-Region", "eu-west-1"}})) ==
          "canary");
    CHECK(name_of(get(portico.port(), "pattern.com", "/", {{"X-Region", "us-east-1"}})) !=
          "canary");
    CHECK(name_of(get(portico.port(), "pattern.com", "/", {{"X-Region", "always"}})) != "canary");
    CHECK(name_of(get(portico.port(), "pattern.com", "/")) != "canary");
  }
}

TEST_CASE("Annotations: backend-protocol HTTPS", "[e2e][annotations]") {
  Backends backends;
  const auto echo = backends.start("echo");
  // The HTTPS backend is a second Portico terminating TLS (self-signed) in front of the echo.
  TempDir backend_dir;
  backend_dir.write("all.yaml", site_yaml("site", "secure.com", "echo", {echo}));
  Portico tls_backend(backend_dir.path(), 1);
  tls_backend.wait_ready();

  TempDir dir;
  dir.write(
      "all.yaml",
      Class + "---\n" + service_yaml("secure", {tls_backend.https_port()}) + "---\n" +
          annotated_ingress_yaml("https-backend", "secure.com", "secure",
                                 {{"nginx.ingress.kubernetes.io/backend-protocol", "HTTPS"}}) +
          annotated_ingress_yaml("plain-backend", "plain.com", "secure", {}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();

  Connection c(portico.port());
  for (int i = 0; i < 3; ++i) {  // the second and third reuse the pooled TLS connection
    const auto r = c.get("secure.com", "/x");
    REQUIRE(r.status == 200);
    CHECK(r.header("x-echo-name") == "echo");
    // Set by the backend Portico: the request reached it over TLS.
    CHECK(nlohmann::json::parse(r.body)["headers"]["X-Forwarded-Proto"] == "https");
  }
  // The same port spoken to in plain HTTP fails: the annotation is what made it work.
  CHECK(c.get("plain.com", "/x").status == 502);
}

TEST_CASE("Annotations: upstream-vhost, x-forwarded-prefix and connection-proxy-header",
          "[e2e][annotations]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write(
      "all.yaml",
      Class + "---\n" + service_yaml("echo", {echo}) + "---\n" +
          annotated_ingress_yaml(
              "vhost", "blog.com", "echo",
              {{"nginx.ingress.kubernetes.io/upstream-vhost", "blog.internal:8080"},
               {"nginx.ingress.kubernetes.io/x-forwarded-prefix", "/blog"},
               {"nginx.ingress.kubernetes.io/connection-proxy-header", "keep-alive"}}) +
          annotated_ingress_yaml("invalid", "bad.com", "echo",
                                 {{"nginx.ingress.kubernetes.io/upstream-vhost", "two words"},
                                  {"nginx.ingress.kubernetes.io/x-forwarded-prefix", "/a b"},
                                  {"nginx.ingress.kubernetes.io/connection-proxy-header", "a b"}}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const auto headers = [&](const std::string& host) {
    const auto r = get(portico.port(), host, "/", {{"X-Forwarded-Prefix", "/client-said"}});
    REQUIRE(r.status == 200);
    return nlohmann::json::parse(r.body)["headers"];
  };
  // The backend gets the Host the route names; X-Forwarded-Host keeps the client's.
  const auto seen = headers("blog.com");
  CHECK(seen["Host"] == "blog.internal:8080");
  CHECK(seen["X-Forwarded-Host"] == "blog.com");
  CHECK(seen["X-Forwarded-Prefix"] == "/blog");
  CHECK(seen["Connection"] == "keep-alive");
  // Invalid values are one warning each and change nothing: the client's headers pass.
  const auto as_sent = headers("bad.com");
  CHECK(as_sent["Host"] == "bad.com");
  CHECK(as_sent["X-Forwarded-Prefix"] == "/client-said");
  CHECK(!as_sent.contains("Connection"));
}

TEST_CASE("Annotations: server-alias", "[e2e][annotations]") {
  Backends backends;
  const auto blog = backends.start("blog");
  const auto other = backends.start("other");
  const auto certificate = make_certificate("blog.com", {"DNS:blog.com", "DNS:www.blog.com"});
  TempDir dir;
  dir.write(
      "all.yaml",
      Class + "---\n" + service_yaml("blog", {blog}) + "---\n" + service_yaml("other", {other}) +
          "---\n" + tls_secret_yaml("blog-tls", certificate.certificate_pem, certificate.key_pem) +
          "---\n" +
          // other.com is a host of its own: as an alias it is left out.
          ingress_yaml("blog", "blog.com", {{"/", "Prefix", "blog", "80"}},
                       "  tls:\n  - hosts: [blog.com]\n    secretName: blog-tls\n",
                       annotations_yaml({{"nginx.ingress.kubernetes.io/server-alias",
                                          "www.blog.com, Blog.Example ,other.com"}})) +
          "---\n" + annotated_ingress_yaml("other", "other.com", "other", {}) +
          annotated_ingress_yaml("invalid", "bad.com", "other",
                                 {{"nginx.ingress.kubernetes.io/server-alias", "two words"}}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  // An alias serves the host's rules, with its certificate and its redirect to HTTPS.
  for (const char* alias : {"www.blog.com", "blog.example"}) {
    INFO(alias);
    const auto tls = probe_tls(portico.https_port(), alias);
    CHECK(tls.common_name == "blog.com");
    CHECK(tls.status == 200);
    CHECK(nlohmann::json::parse(tls.body)["headers"]["Host"] == alias);
    const auto plain = get(portico.port(), alias, "/post?x=1");
    CHECK(plain.status == 308);
    CHECK(plain.header("location") == "https://" + std::string(alias) + ":" +
                                          std::to_string(portico.https_port()) + "/post?x=1");
  }
  CHECK(get(portico.port(), "other.com", "/").header("x-echo-name") == "other");
  CHECK(get(portico.port(), "bad.com", "/").header("x-echo-name") == "other");
  CHECK(get(portico.port(), "two", "/").status == 404);
  // explain names the annotation's verdict.
  const auto explained =
      get(portico.admin_port(), "localhost", "/debug/explain?url=http://bad.com/");
  CHECK(explained.body.find("expected comma-separated host names") != std::string::npos);
}

TEST_CASE("Annotations: from-to-www-redirect", "[e2e][annotations]") {
  Backends backends;
  const auto shop = backends.start("shop");
  const auto news = backends.start("news");
  const auto certificate = make_certificate("www.shop.com", {"DNS:www.shop.com", "DNS:shop.com"});
  const std::map<std::string, std::string> redirect = {
      {"nginx.ingress.kubernetes.io/from-to-www-redirect", "true"}};
  TempDir dir;
  dir.write("all.yaml",
            Class + "---\n" + service_yaml("shop", {shop}) + "---\n" +
                service_yaml("news", {news}) + "---\n" +
                tls_secret_yaml("shop-tls", certificate.certificate_pem, certificate.key_pem) +
                "---\n" +
                ingress_yaml("shop", "www.shop.com", {{"/", "Prefix", "shop", "80"}},
                             "  tls:\n  - hosts: [www.shop.com]\n    secretName: shop-tls\n",
                             annotations_yaml(redirect)) +
                "---\n" + annotated_ingress_yaml("blog", "blog.com", "shop", redirect) +
                // www.news.com has an Ingress of its own: no redirect is made for it.
                annotated_ingress_yaml("news", "news.com", "news", redirect) +
                annotated_ingress_yaml("www-news", "www.news.com", "news", {}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  // The other name answers 308 to the host, with the path and query.
  const auto plain = get(portico.port(), "shop.com", "/cart?id=1");
  CHECK(plain.status == 308);
  CHECK(plain.header("location") == "http://www.shop.com/cart?id=1");
  // Over HTTPS with the host's certificate, as it covers the other name.
  const auto secure = probe_tls(portico.https_port(), "shop.com", "/cart");
  CHECK(secure.common_name == "www.shop.com");
  CHECK(secure.status == 308);
  CHECK(get(portico.port(), "www.blog.com", "/").header("location") == "http://blog.com/");
  CHECK(get(portico.port(), "blog.com", "/").header("x-echo-name") == "shop");
  CHECK(get(portico.port(), "www.news.com", "/").header("x-echo-name") == "news");
  CHECK(get(portico.port(), "news.com", "/").header("x-echo-name") == "news");
}

TEST_CASE("Annotations: proxy-redirect-from and proxy-redirect-to", "[e2e][annotations]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write(
      "all.yaml",
      Class + "---\n" + service_yaml("echo", {echo}) + "---\n" +
          annotated_ingress_yaml(
              "app", "app.com", "echo",
              {{"nginx.ingress.kubernetes.io/proxy-redirect-from", "http://backend.internal:8080/"},
               {"nginx.ingress.kubernetes.io/proxy-redirect-to", "$scheme://$host/app/"}}) +
          annotated_ingress_yaml(
              "turned-off", "off.com", "echo",
              {{"nginx.ingress.kubernetes.io/proxy-redirect-from", "http://backend.internal:8080/"},
               {"nginx.ingress.kubernetes.io/proxy-redirect-to", "off"}}) +
          annotated_ingress_yaml(
              "regex", "regex.com", "echo",
              {{"nginx.ingress.kubernetes.io/proxy-redirect-from", "~^http://(.*)$"},
               {"nginx.ingress.kubernetes.io/proxy-redirect-to", "/"}}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const std::string target = "/status/302?location=http://backend.internal:8080/login?next=%2F";
  const auto rewritten = get(portico.port(), "app.com", target);
  CHECK(rewritten.status == 302);
  CHECK(rewritten.header("location") == "http://app.com/app/login?next=%2F");
  // A Location that does not start with the prefix is left alone.
  CHECK(get(portico.port(), "app.com", "/status/302?location=https://elsewhere.com/x")
            .header("location") == "https://elsewhere.com/x");
  // "off", and a regex Portico does not offer: nothing is rewritten.
  for (const char* host : {"off.com", "regex.com"}) {
    INFO(host);
    CHECK(get(portico.port(), host, target).header("location") ==
          "http://backend.internal:8080/login?next=%2F");
  }
  const auto explained =
      get(portico.admin_port(), "localhost", "/debug/explain?url=http://regex.com/");
  CHECK(explained.body.find("regular expressions are not supported") != std::string::npos);
}

TEST_CASE("Annotations: satisfy any lets an allowed address in without credentials",
          "[e2e][annotations]") {
  Backends backends;
  const auto echo = backends.start("echo");
  const auto closed = closed_port();  // an auth service that is never there: 500 if asked
  const std::map<std::string, std::string> basic_auth = {
      {"nginx.ingress.kubernetes.io/auth-type", "basic"},
      {"nginx.ingress.kubernetes.io/auth-secret", "users"}};
  const auto with = [](std::map<std::string, std::string> annotations,
                       const std::map<std::string, std::string>& more) {
    annotations.insert(more.begin(), more.end());
    return annotations;
  };
  const std::string any = "nginx.ingress.kubernetes.io/satisfy";
  const std::string allow = "nginx.ingress.kubernetes.io/whitelist-source-range";
  TempDir dir;
  dir.write(
      "all.yaml",
      Class + "---\n" + service_yaml("echo", {echo}) + "---\n" +
          opaque_secret("users", {{"auth", Users}}) +
          annotated_ingress_yaml("inside", "inside.com", "echo",
                                 with(basic_auth, {{allow, "127.0.0.1/32"}, {any, "any"}})) +
          annotated_ingress_yaml("outside", "outside.com", "echo",
                                 with(basic_auth, {{allow, "10.0.0.0/8"}, {any, "any"}})) +
          annotated_ingress_yaml("all", "all.com", "echo",
                                 with(basic_auth, {{allow, "10.0.0.0/8"}})) +
          annotated_ingress_yaml(
              "denied", "denied.com", "echo",
              with(basic_auth,
                   {{"nginx.ingress.kubernetes.io/denylist-source-range", "127.0.0.0/8"},
                    {any, "any"}})) +
          annotated_ingress_yaml("external", "external.com", "echo",
                                 {{"nginx.ingress.kubernetes.io/auth-url",
                                   "http://127.0.0.1:" + std::to_string(closed) + "/auth"},
                                  {"nginx.ingress.kubernetes.io/auth-response-headers", "X-User"},
                                  {allow, "127.0.0.1/32"},
                                  {any, "any"}}) +
          annotated_ingress_yaml("invalid", "invalid.com", "echo",
                                 with(basic_auth, {{any, "some"}})));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const std::map<std::string, std::string> alice = {
      {"Authorization", basic("alice", "wonderland")}};
  // Within the allowlist: no credentials asked.
  CHECK(get(portico.port(), "inside.com", "/").status == 200);
  // Outside it: credentials decide (401 without, 200 with); under satisfy all, 403 either way.
  CHECK(get(portico.port(), "outside.com", "/").status == 401);
  CHECK(get(portico.port(), "outside.com", "/", alice).status == 200);
  CHECK(get(portico.port(), "all.com", "/", alice).status == 403);
  // The denylist refuses whatever the credentials.
  CHECK(get(portico.port(), "denied.com", "/", alice).status == 403);
  // auth-url is not asked for an allowed address, and the header it would set is not the
  // client's to send.
  const auto external = get(portico.port(), "external.com", "/", {{"X-User", "admin"}});
  REQUIRE(external.status == 200);
  CHECK_FALSE(nlohmann::json::parse(external.body)["headers"].contains("X-User"));
  // An invalid value is warned and means all: Basic auth is asked.
  CHECK(get(portico.port(), "invalid.com", "/").status == 401);
}

TEST_CASE("Annotations: mirror-target copies requests to a URL, answers ignored",
          "[e2e][annotations]") {
  Backends backends;
  const auto app = backends.start("app");
  const auto mirror = backends.start("mirror");
  const std::string prefix = "nginx.ingress.kubernetes.io/";
  const std::string target = "http://localhost:" + std::to_string(mirror) + "/copy$request_uri";
  TempDir dir;
  dir.write("all.yaml", Class + "---\n" + service_yaml("app", {app}) + "---\n" +
                            annotated_ingress_yaml("mirrored", "mirrored.com", "app",
                                                   {{prefix + "mirror-target", target},
                                                    {prefix + "mirror-host", "mirror.internal"}}) +
                            annotated_ingress_yaml("heads", "heads.com", "app",
                                                   {{prefix + "mirror-target", target},
                                                    {prefix + "mirror-request-body", "off"}}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const auto received = [&](const std::string& request) {
    const auto seen = backends.server(1).requests_received();
    return std::find(seen.begin(), seen.end(), request) != seen.end();
  };
  const auto mirrors = [&](const char* outcome) {
    return metric(get(portico.admin_port(), "localhost", "/metrics").body,
                  std::string("portico_mirror_requests_total{outcome=\"") + outcome + "\"}");
  };

  // The backend answers; the copy reaches the mirror at the expanded target.
  const auto reply = get(portico.port(), "mirrored.com", "/a/b?x=1");
  CHECK(reply.status == 200);
  CHECK(json::parse(reply.body)["name"] == "app");
  CHECK(eventually([&] { return received("GET /copy/a/b?x=1"); }));
  // $request_uri is the target as the client sent it, as nginx's is: not the normalized one
  // the backend receives.
  CHECK(get(portico.port(), "mirrored.com", "/a/./b/../c?x=%41").status == 200);
  CHECK(eventually([&] { return received("GET /copy/a/./b/../c?x=%41"); }));
  // A request with a body is not mirrored (mirror-request-body is on, and Portico keeps no
  // copy of a body)...
  CHECK(Connection(portico.port()).send("POST", "mirrored.com", "/form", "a=1").status == 200);
  CHECK(eventually([&] { return mirrors("skipped_body") == 1; }));
  // ...unless mirror-request-body is off: then its head is.
  CHECK(Connection(portico.port()).send("POST", "heads.com", "/form", "a=1").status == 200);
  CHECK(eventually([&] { return received("POST /copy/form"); }));
  CHECK(eventually([&] { return mirrors("answered") == 3; }));
  CHECK(mirrors("skipped_body") == 1);  // the head was sent, not skipped
}

TEST_CASE("Annotations: service-upstream sends to the Service's cluster IP, not its endpoints",
          "[e2e][annotations]") {
  Backends backends;
  const auto app = backends.start("app");
  const std::string port = std::to_string(app);
  // The Service's cluster IP and port lead to the echo server; its only endpoint is a closed
  // port. (127.0.0.1 stands in for the virtual address kube-proxy would serve.)
  std::string service = service_yaml("app", {closed_port()});
  const std::string spec = "spec:\n  ports:\n  - name: http\n    port: 80\n";
  service.replace(
      service.find(spec), spec.size(),
      "spec:\n  clusterIP: 127.0.0.1\n  ports:\n  - name: http\n    port: " + port + "\n");
  const auto site = [&](const std::string& name, const std::map<std::string, std::string>& a) {
    return ingress_yaml(name, name + ".com", {{"/", "Prefix", "app", port}}, "",
                        a.empty() ? "" : annotations_yaml(a)) +
           "---\n";
  };
  TempDir dir;
  dir.write("all.yaml",
            Class + "---\n" + service + "---\n" +
                site("via-ip", {{"nginx.ingress.kubernetes.io/service-upstream", "true"}}) +
                site("direct", {}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  CHECK(get(portico.port(), "via-ip.com", "/").status == 200);
  CHECK(get(portico.port(), "direct.com", "/").status == 502);  // the endpoint refuses
}

TEST_CASE("Annotations: limit-rate and limit-rate-after pace the response body",
          "[e2e][annotations]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  // As ingress-nginx's template writes them, the numbers are KiB: 32 KiB/s.
  dir.write("all.yaml",
            Class + "---\n" + service_yaml("echo", {echo}) + "---\n" +
                annotated_ingress_yaml("paced", "paced.com", "echo",
                                       {{"nginx.ingress.kubernetes.io/limit-rate", "32"}}) +
                annotated_ingress_yaml("after", "after.com", "echo",
                                       {{"nginx.ingress.kubernetes.io/limit-rate", "32"},
                                        {"nginx.ingress.kubernetes.io/limit-rate-after", "96"}}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  // curl's bytes received and seconds taken for 96 KiB from `host`.
  const auto download = [&](const std::string& host, std::vector<std::string> options,
                            const std::string& query) {
    const std::string origin = host + ":" + std::to_string(portico.port());
    std::vector<std::string> argv = {"curl",      "-s",
                                     "-o",        "/dev/null",
                                     "-w",        "%{size_download} %{time_total}",
                                     "--resolve", origin + ":127.0.0.1"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back("http://" + origin + "/bytes/98304" + query);
    std::istringstream out(run_command(argv).out);
    std::uint64_t bytes = 0;
    double seconds = 0;
    out >> bytes >> seconds;
    return std::pair{bytes, seconds};
  };
  // The first second's worth goes at once, the other 64 KiB at 32 KiB/s: 2 s at the least.
  // Chunked over HTTP/1.1, and with a length over HTTP/2.
  for (const auto& [options, query] :
       {std::pair<std::vector<std::string>, std::string>{{}, "?chunked=1"},
        {{"--http2-prior-knowledge"}, ""}}) {
    const auto [bytes, seconds] = download("paced.com", options, query);
    CHECK(bytes == 98304);
    CHECK(seconds >= 1.5);
  }
  // limit-rate-after 96 KiB: all of it goes at full speed (2 s if it were paced).
  const auto [bytes, seconds] = download("after.com", {}, "");
  CHECK(bytes == 98304);
  CHECK(seconds < 1.0);
  const auto explained = nlohmann::json::parse(
      get(portico.admin_port(), "localhost", "/debug/explain?url=http%3A%2F%2Fafter.com%2F").body);
  CHECK_THAT(explained["outcome"].get<std::string>(),
             Catch::Contains("at most 32 KiB/s after 96 KiB (limit-rate)"));
}
