// The JSON the dashboard draws (and scripts may read) from a running Portico: every endpoint a
// slice lists with its state, endpoints passive health ejected, objects skipped as invalid and
// their going away once fixed, the snapshots published, the certificates, and the dashboard's
// own files (or their absence under --no-dashboard). The browser test (tests/dashboard_test.sh)
// checks what a real browser renders from them.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/certificates.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

const std::string Class = ingress_class_yaml("portico", "portico.dev/ingress-controller", true);

// Service `name` whose one slice lists 127.0.0.1 ready, then three other loopback addresses in
// the other states an EndpointSlice can give, all on `port`.
std::string service_in_every_state(const std::string& name, std::uint16_t port) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name +
         ", namespace: default}\nspec:\n  ports: [{name: http, port: 80}]\n---\n"
         "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " +
         name + "-0\n  namespace: default\n  labels: {kubernetes.io/service-name: " + name +
         "}\naddressType: IPv4\nports: [{name: http, port: " + std::to_string(port) +
         "}]\nendpoints:\n"
         "- {addresses: [127.0.0.1], conditions: {ready: true}}\n"
         "- {addresses: [127.0.0.2], conditions: {ready: false}}\n"
         "- {addresses: [127.0.0.3], conditions: {ready: false, serving: true, terminating: "
         "true}}\n"
         "- {addresses: [127.0.0.4], conditions: {ready: false, serving: false, terminating: "
         "true}}\n";
}

json get_json(std::uint16_t admin, const std::string& path) {
  const auto reply = get(admin, "localhost", path);
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type") == "application/json");
  CHECK(reply.header("cache-control") == "no-store");
  return json::parse(reply.body);
}

// The endpointStates of the rule for `host`.
json endpoint_states(std::uint16_t admin, const std::string& host) {
  const json snapshot = get_json(admin, "/debug/snapshot");
  for (const auto& vhost : snapshot["hosts"]) {
    if (vhost["host"] == host) {
      return vhost["rules"][0]["endpointStates"];
    }
  }
  FAIL("no host " + host + " in " + snapshot.dump());
  return {};
}

const std::string BrokenIngress =
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: broken, namespace: "
    "default}\nspec:\n  ingressClassName: portico\n  rules:\n  - host: broken.com\n    http:\n"
    "      paths:\n      - {path: /, pathType: Sideways, backend: {service: {name: api, port: "
    "{number: 80}}}}\n";

}  // namespace

TEST_CASE(
    "E2E: the dashboard's JSON shows endpoint states, ejections, invalid objects and "
    "publications",
    "[e2e][admin][dashboard]") {
  Backends backends;
  const auto api = backends.start("api");
  TempDir dir;
  dir.write("all.yaml", Class + "---\n" +
                            ingress_yaml("blog", "blog.com", {{"/", "Prefix", "api", "80"}}) +
                            "---\n" + service_in_every_state("api", api) + "---\n" +
                            ingress_yaml("down", "down.com", {{"/", "Prefix", "down", "80"}}) +
                            "---\n" + service_yaml("down", {closed_port()}));
  dir.write("broken.yaml", BrokenIngress);
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const auto admin = portico.admin_port();

  SECTION("every endpoint a slice lists, with its state; only the ready one takes requests") {
    const json states = endpoint_states(admin, "blog.com");
    REQUIRE(states.size() == 4);
    std::map<std::string, json> by_address;
    for (const auto& state : states) {
      by_address[state["address"].get<std::string>().substr(0, 9)] = state;
    }
    CHECK(by_address.at("127.0.0.1")["state"] == "ready");
    CHECK(by_address.at("127.0.0.1")["inUse"] == true);
    CHECK(by_address.at("127.0.0.2")["state"] == "not ready");
    CHECK(by_address.at("127.0.0.3")["state"] == "serving");
    CHECK(by_address.at("127.0.0.4")["state"] == "terminating");
    for (const char* unused : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
      CHECK(by_address.at(unused)["inUse"] == false);
    }
  }

  SECTION("an endpoint that refuses connections shows as ejected") {
    CHECK(endpoint_states(admin, "down.com")[0]["state"] == "ready");
    for (int i = 0; i < 3; ++i) {
      CHECK(get(portico.port(), "down.com", "/").status == 502);
    }
    CHECK(endpoint_states(admin, "down.com")[0]["state"] == "ejected");
  }

  SECTION("an invalid object is listed with its file and reason until it is fixed") {
    json invalid = get_json(admin, "/debug/objects")["invalid"];
    REQUIRE(invalid.size() == 1);
    CHECK(invalid[0]["object"] == "Ingress default/broken");
    CHECK(invalid[0]["source"].get<std::string>().find("broken.yaml, document 1") !=
          std::string::npos);
    CHECK(invalid[0]["reason"].get<std::string>().find("Sideways") != std::string::npos);
    const auto generation = get_json(admin, "/debug/control")["generation"].get<int>();

    std::string fixed = BrokenIngress;
    fixed.replace(fixed.find("Sideways"), 8, "Prefix");
    dir.write("broken.yaml", fixed);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!invalid.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      invalid = get_json(admin, "/debug/objects")["invalid"];
    }
    CHECK(invalid.empty());
    // The fix is a new snapshot, listed first with what it changed.
    json control;
    while (std::chrono::steady_clock::now() < deadline) {
      control = get_json(admin, "/debug/control");
      if (control["generation"].get<int>() > generation) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(control["published"].size() >= 2);
    CHECK(control["published"][0]["generation"] == control["generation"]);
    CHECK(control["published"][0]["changed"].get<std::string>().find("routes") !=
          std::string::npos);
    CHECK(control["published"].back()["changed"] == "the first complete state");
    CHECK(control["source"]["kind"] == "manifests");
    CHECK(control["leader"].is_null());
    CHECK(control["ready"] == true);
  }

  SECTION("certificates: the default one, never a key") {
    const auto reply = get(admin, "localhost", "/debug/certificates");
    CHECK(reply.body.find("PRIVATE KEY") == std::string::npos);
    const json certificates = json::parse(reply.body)["certificates"];
    REQUIRE(certificates.size() == 1);
    CHECK(certificates[0]["source"] == "default (self-signed)");
    CHECK(certificates[0]["notAfter"].get<std::int64_t>() > 0);
  }

  SECTION("the dashboard's files, built into the binary") {
    const auto page = get(admin, "localhost", "/");
    CHECK(page.status == 200);
    CHECK(page.header("content-type") == "text/html; charset=utf-8");
    CHECK(page.body.find("<script src=\"dashboard.js\">") != std::string::npos);
    const auto script = get(admin, "localhost", "/dashboard.js");
    CHECK(script.status == 200);
    CHECK(script.header("content-type") == "text/javascript; charset=utf-8");
    CHECK(get(admin, "localhost", "/dashboard.css").status == 200);
    CHECK(get(admin, "localhost", "/nothing.js").status == 404);
  }
}

TEST_CASE("E2E: --no-dashboard serves no page, and the JSON stays", "[e2e][admin][dashboard]") {
  Backends backends;
  TempDir dir;
  dir.write("all.yaml", site_yaml("blog", "blog.com", "api", {backends.start("api")}));
  Portico portico(dir.path(), 1, {"--no-dashboard"});
  portico.wait_ready();
  CHECK(get(portico.admin_port(), "localhost", "/").status == 404);
  CHECK(get(portico.admin_port(), "localhost", "/dashboard.js").status == 404);
  CHECK(get(portico.admin_port(), "localhost", "/debug/traffic").status == 200);
  CHECK(get(portico.admin_port(), "localhost", "/metrics").status == 200);
}

TEST_CASE("E2E: /debug/explain takes the method, headers and client address of the request",
          "[e2e][admin][dashboard]") {
  Backends backends;
  const auto main = backends.start("main");
  const auto next = backends.start("next");
  TempDir dir;
  dir.write("all.yaml",
            Class + "---\n" + service_yaml("main", {main}) + "---\n" +
                service_yaml("next", {next}) + "---\n" +
                ingress_yaml(
                    "shop", "shop.com", {{"/", "Prefix", "main", "80"}}, "",
                    annotations_yaml(
                        {{"nginx.ingress.kubernetes.io/whitelist-source-range", "127.0.0.1/32"}})) +
                "---\n" +
                ingress_yaml(
                    "shop-canary", "shop.com", {{"/", "Prefix", "next", "80"}}, "",
                    annotations_yaml({{"nginx.ingress.kubernetes.io/canary", "true"},
                                      {"nginx.ingress.kubernetes.io/canary-by-header", "X-Canary"},
                                      {"nginx.ingress.kubernetes.io/canary-weight", "0"}})));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const auto explain = [&](const std::string& query) {
    return get(portico.admin_port(), "localhost",
               "/debug/explain?url=http%3A%2F%2Fshop.com%2F" + query);
  };
  const auto answer = [&](const std::string& query) {
    const auto reply = explain(query);
    REQUIRE(reply.status == 200);
    return json::parse(reply.body);
  };

  json e = answer("");
  CHECK(e["request"]["method"] == "GET");
  CHECK(e["canary"]["takesThisRequest"] == "by weight: 0 in 100");
  CHECK(e["outcome"].get<std::string>().find("for clients within the allowed source ranges") !=
        std::string::npos);

  e = answer("&method=POST&header=X-Canary%3A%20always&client=127.0.0.1");
  CHECK(e["request"]["method"] == "POST");
  CHECK(e["request"]["client"] == "127.0.0.1");
  CHECK(e["canary"]["takesThisRequest"] == "yes: the request's header or cookie says so");
  CHECK(e["outcome"] == "proxied to default/main:80");
  // As the request itself goes.
  CHECK(get(portico.port(), "shop.com", "/", {{"X-Canary", "always"}}).header("x-echo-name") ==
        "next");

  e = answer("&header=X-Canary%3A%20never&client=10.1.2.3");
  CHECK(e["canary"]["takesThisRequest"] == "no: the request's header or cookie says so");
  CHECK(e["outcome"].get<std::string>().starts_with("403"));

  CHECK(explain("&method=FETCH").status == 400);
  CHECK(explain("&client=not-an-address").status == 400);
  CHECK(explain("&header=Host%3A%20other.com").status == 400);
}

TEST_CASE("E2E: /debug/certificates names a Secret's certificate and never its key",
          "[e2e][admin][dashboard]") {
  Backends backends;
  const auto certificate = make_certificate("secure.com", {"DNS:secure.com"});
  TempDir dir;
  dir.write("all.yaml",
            Class + "---\n" + service_yaml("api", {backends.start("api")}) + "---\n" +
                ingress_yaml("secure", "secure.com", {{"/", "Prefix", "api", "80"}},
                             "  tls:\n  - hosts: [secure.com]\n    secretName: site-tls\n") +
                "---\n" +
                tls_secret_yaml("site-tls", certificate.certificate_pem, certificate.key_pem));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const auto reply = get(portico.admin_port(), "localhost", "/debug/certificates");
  REQUIRE(reply.status == 200);
  // Neither the key nor the certificate itself: names, sources and dates only.
  CHECK(reply.body.find("PRIVATE KEY") == std::string::npos);
  CHECK(reply.body.find("BEGIN") == std::string::npos);
  const auto key_line = certificate.key_pem.substr(certificate.key_pem.find('\n') + 1, 40);
  CHECK(reply.body.find(key_line) == std::string::npos);
  INFO(reply.body);
  const json page = json::parse(reply.body);
  bool listed = false;
  for (const auto& entry : page["certificates"]) {
    listed =
        listed || (entry["host"] == "secure.com" && entry["source"] == "Secret default/site-tls");
  }
  CHECK(listed);
}
