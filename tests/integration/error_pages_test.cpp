// End to end: custom-http-errors and default-backend, as ingress-nginx serves them: the error
// backend (an echo server that reports what it was asked) gives the page, with the headers
// ingress-nginx sends it; the client's status stays the original one; a rule whose Service has
// no ready endpoint goes to default-backend. Over HTTP/1.1 and HTTP/2.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/support/command.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

TEST_CASE("custom-http-errors and default-backend: the error backend's page, the status kept",
          "[e2e][annotations]") {
  Backends backends;
  const auto app = backends.start("app");
  const auto errors = backends.start("errors");
  const std::string prefix = "nginx.ingress.kubernetes.io/";
  TempDir dir;
  dir.write(
      "all.yaml",
      ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
          service_yaml("app", {app}) + "---\n" + service_yaml("errors", {errors}) + "---\n" +
          service_yaml("gone", {}) + "---\n" +
          annotated_ingress_yaml("pages", "pages.com", "app",
                                 {{prefix + "custom-http-errors", "404, 503"},
                                  {prefix + "default-backend", "errors"}}) +
          annotated_ingress_yaml("locked", "locked.com", "app",
                                 {{prefix + "custom-http-errors", "401,403"},
                                  {prefix + "default-backend", "errors"},
                                  {prefix + "whitelist-source-range", "10.0.0.0/8"}}) +
          annotated_ingress_yaml("fallback", "fallback.com", "gone",
                                 {{prefix + "default-backend", "errors"}}) +
          annotated_ingress_yaml("plain", "plain.com", "app", {}) +
          // The ConfigMap's codes are every Ingress's default; --default-backend-service serves
          // them.
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: controller\n  namespace: ingress\n"
          "data:\n  custom-http-errors: \"502,503\"\n");
  Portico portico(
      dir.path(), 2,
      {"--configmap", "ingress/controller", "--default-backend-service", "default/errors"});
  portico.wait_ready();

  // A backend's 404 becomes the error backend's page, still a 404.
  const auto page = get(portico.port(), "pages.com", "/status/404?q=1",
                        {{"Accept", "text/html"}, {"X-Request-ID", "req-7"}});
  CHECK(page.status == 404);
  CHECK(page.header("content-type") == "application/json");
  const auto asked = json::parse(page.body);
  CHECK(asked["name"] == "errors");
  CHECK(asked["target"] == "/");
  const auto headers = asked["headers"];
  CHECK(headers["X-Code"] == "404");
  CHECK(headers["X-Format"] == "text/html");
  CHECK(headers["X-Original-URI"] == "/status/404?q=1");
  CHECK(headers["X-Namespace"] == "default");
  CHECK(headers["X-Ingress-Name"] == "pages");
  CHECK(headers["X-Service-Name"] == "app");
  CHECK(headers["X-Service-Port"] == "80");
  CHECK(headers["X-Request-ID"] == "req-7");
  // Without one from the client, a fresh id, as nginx's $request_id.
  CHECK(json::parse(get(portico.port(), "pages.com", "/status/404").body)["headers"]["X-Request-ID"]
            .get<std::string>()
            .size() == 32);
  // Statuses not listed pass as the backend sent them.
  const auto untouched = get(portico.port(), "pages.com", "/status/500");
  CHECK(untouched.status == 500);
  CHECK(json::parse(untouched.body)["name"] == "app");
  CHECK(get(portico.port(), "pages.com", "/").status == 200);
  // A HEAD gets the status and no page.
  CHECK(Connection(portico.port()).send("HEAD", "pages.com", "/status/404", "").status == 404);

  // The proxy's own 403 gets the page too, and stays a 403 although the error backend said 200.
  const auto refused = get(portico.port(), "locked.com", "/");
  CHECK(refused.status == 403);
  CHECK(json::parse(refused.body)["headers"]["X-Code"] == "403");

  // No ready endpoint behind the rule: default-backend takes the request itself.
  const auto fallback = get(portico.port(), "fallback.com", "/some/page");
  CHECK(fallback.status == 200);
  CHECK(json::parse(fallback.body)["name"] == "errors");
  CHECK(json::parse(fallback.body)["target"] == "/some/page");

  // The ConfigMap's custom-http-errors, served by --default-backend-service.
  const auto global = get(portico.port(), "plain.com", "/status/503");
  CHECK(global.status == 503);
  CHECK(json::parse(global.body)["headers"]["X-Code"] == "503");
  CHECK(get(portico.port(), "plain.com", "/status/404").status == 404);  // not in its list

  // HTTP/2 (h2c): the same page, the same status.
  const auto h2 = run_command(
      {"curl", "-s", "--http2-prior-knowledge", "-w", "\n%{http_code}", "-H", "Host: pages.com",
       "http://127.0.0.1:" + std::to_string(portico.port()) + "/status/503"});
  REQUIRE(h2.exit_code == 0);
  CHECK(h2.out.ends_with("\n503"));
  CHECK(h2.out.find("\"X-Code\":\"503\"") != std::string::npos);
}
