// End to end: built-in ACME against Debian's pebble, started by each test on loopback. The
// pebble VA's HTTP-01 requests reach Portico's HTTP listener, as Let's Encrypt's would.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/certificates.hpp"
#include "tests/support/fake_api_server.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/pebble.hpp"

using namespace portico;
using namespace portico::test;
namespace fs = std::filesystem;

namespace {

constexpr auto IssueDeadline = std::chrono::seconds(40);

std::string blog_manifests(std::uint16_t backend) {
  return ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
         ingress_yaml("blog", "a.example.com", {{"/", "Prefix", "echo", "80"}},
                      "  tls:\n  - hosts: [a.example.com, b.example.com]\n"
                      "    secretName: blog-tls\n",
                      "  annotations:\n    kubernetes.io/tls-acme: \"true\"\n") +
         "---\n" + service_yaml("echo", {backend});
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned mode_of(const fs::path& path) {
  struct stat info {};
  ::stat(path.c_str(), &info);
  return info.st_mode & 0777;
}

struct AcmeFixture {
  explicit AcmeFixture(PebbleSettings settings = {})
      : http_port(closed_port()), pebble([&] {
          settings.http_port = http_port;
          return settings;
        }()) {
    manifests.write("blog.yaml", blog_manifests(backends.start("echo")));
  }

  std::unique_ptr<Portico> start_portico() {
    return std::make_unique<Portico>(
        manifests.path(), 1,
        std::vector<std::string>{"--http-listen", "127.0.0.1:" + std::to_string(http_port),
                                 "--acme-directory", pebble.directory_url(), "--acme-ca-file",
                                 pebble.ca_file(), "--acme-storage", storage.path().string(),
                                 "--acme-email", "admin@example.com"});
  }
  fs::path stored(const std::string& file) const {
    return storage.path() / "certificates" / "default" / "blog-tls" / file;
  }
  // The name on the certificate the HTTPS listener serves for `host`.
  static std::string served_name(const Portico& portico, const std::string& host) {
    return probe_tls(portico.https_port(), host).common_name;
  }

  Backends backends;
  TempDir manifests;
  TempDir storage;
  std::uint16_t http_port;
  Pebble pebble;
};

}  // namespace

TEST_CASE("ACME: two names issued, served at once, and reused across a restart", "[e2e][acme]") {
  AcmeFixture f;
  f.pebble.start();
  std::string issued;
  {
    auto portico = f.start_portico();
    portico->wait_ready();
    REQUIRE(eventually(
        [&] { return AcmeFixture::served_name(*portico, "a.example.com") == "a.example.com"; },
        IssueDeadline));
    CHECK(AcmeFixture::served_name(*portico, "b.example.com") == "a.example.com");
    // Routed over HTTPS with it, and plain HTTP still redirects.
    CHECK(probe_tls(portico->https_port(), "a.example.com", "/hello").status == 200);
    CHECK(get(portico->port(), "a.example.com", "/").status == 308);
    issued = read(f.stored("tls.crt"));
    CHECK(issued.find("BEGIN CERTIFICATE") != std::string::npos);
    CHECK(mode_of(f.stored("tls.key")) == 0600);
    CHECK(mode_of(f.storage.path() / "account.key") == 0600);
  }
  // A restart serves the stored certificate from the first snapshot on, and orders nothing.
  auto portico = f.start_portico();
  portico->wait_ready();
  CHECK(AcmeFixture::served_name(*portico, "a.example.com") == "a.example.com");
  std::this_thread::sleep_for(std::chrono::seconds(2));  // room for an unwanted order
  CHECK(read(f.stored("tls.crt")) == issued);
}

TEST_CASE("ACME: renewal of a short-lived certificate, with badNonce rejections", "[e2e][acme]") {
  // 30 s certificates renew when 10 s are left; a quarter of the nonces are refused.
  AcmeFixture f(PebbleSettings{.certificate_seconds = 30, .nonce_reject_percent = 25});
  f.pebble.start();
  auto portico = f.start_portico();
  portico->wait_ready();
  REQUIRE(eventually([&] { return fs::exists(f.stored("tls.crt")); }, IssueDeadline));
  const std::string first = read(f.stored("tls.crt"));
  REQUIRE(eventually([&] { return read(f.stored("tls.crt")) != first; }, std::chrono::seconds(45)));
  CHECK(AcmeFixture::served_name(*portico, "a.example.com") == "a.example.com");
}

TEST_CASE("ACME: the server down at first, then up", "[e2e][acme]") {
  AcmeFixture f;
  auto portico = f.start_portico();
  portico->wait_ready();  // ready without the ACME server: the default certificate serves
  CHECK(AcmeFixture::served_name(*portico, "a.example.com") != "a.example.com");
  // The dashboard's view of it: the order waits to be retried, and says why.
  const auto order = [&] {
    const auto page =
        nlohmann::json::parse(get(portico->admin_port(), "localhost", "/debug/certificates").body);
    return page["acme"].empty() ? nlohmann::json() : page["acme"][0];
  };
  REQUIRE(eventually([&] { return order()["state"] == "waiting to retry"; }));
  CHECK(order()["secret"] == "default/blog-tls");
  CHECK_FALSE(order()["lastError"].get<std::string>().empty());
  CHECK(order()["retryAt"].get<std::int64_t>() > 0);
  f.pebble.start();  // retried 5 s after the first failure
  CHECK(eventually(
      [&] { return AcmeFixture::served_name(*portico, "a.example.com") == "a.example.com"; },
      IssueDeadline));
  REQUIRE(eventually([&] { return order()["state"] == "valid"; }));
  CHECK(order()["lastError"] == "");
  CHECK(order()["renewAt"].get<std::int64_t>() > 0);
  CHECK(order()["renewAt"].get<std::int64_t>() < order()["notAfter"].get<std::int64_t>());
  const auto certificates = nlohmann::json::parse(
      get(portico->admin_port(), "localhost", "/debug/certificates").body)["certificates"];
  bool served_by_acme = false;
  for (const auto& certificate : certificates) {
    served_by_acme = served_by_acme ||
                     (certificate["host"] == "a.example.com" && certificate["acme"].is_object() &&
                      certificate["acme"]["state"] == "valid" &&
                      certificate["source"] == "ACME, stored in secret default/blog-tls");
  }
  CHECK(served_by_acme);
}

TEST_CASE("ACME in a cluster: the leader orders, and certificate and answers are Secrets",
          "[e2e][acme]") {
  AcmeFixture f;
  f.pebble.start();
  FakeApiServer api;
  api.apply_yaml(blog_manifests(f.backends.start("echo2")));
  TempDir dir;
  dir.write("kubeconfig", api.kubeconfig());
  auto app = start_application({"--kubeconfig", (dir.path() / "kubeconfig").string(),
                                "--http-listen", "127.0.0.1:" + std::to_string(f.http_port),
                                "--acme-directory", f.pebble.directory_url(), "--acme-ca-file",
                                f.pebble.ca_file(), "--workers", "1"});
  REQUIRE(eventually([&] { return get(app->admin_port(), "localhost", "/readyz").status == 200; }));
  // The certificate lands in the spec.tls entry's Secret, through the API server, and the
  // Secret watch brings it to the data plane.
  REQUIRE(eventually([&] { return api.object("secrets", "default", "blog-tls").is_object(); },
                     IssueDeadline));
  const auto secret = api.object("secrets", "default", "blog-tls");
  CHECK(secret["type"] == "kubernetes.io/tls");
  CHECK(secret["data"].contains("tls.crt"));
  CHECK(secret["data"].contains("tls.key"));
  CHECK(eventually([&] {
    return probe_tls(app->https_port(), "a.example.com").common_name == "a.example.com";
  }));
  // The account key is a Secret too, so any replica that leads next reuses the account.
  CHECK(api.object("secrets", "default", "portico-acme-account")["data"].contains("account.key"));
  CHECK(api.object("secrets", "default", "portico-acme-challenges").is_object());
  // The dashboard's view of the control plane: every kind watched (ConfigMaps too, for the
  // headers settings name), and this replica leads.
  const auto control = [&] {
    return nlohmann::json::parse(get(app->admin_port(), "localhost", "/debug/control").body);
  };
  CHECK(control()["source"]["kind"] == "API server");
  CHECK(control()["leader"]["isLeader"] == true);
  // This API server has no Gateway API: those five kinds are listed and found not served.
  CHECK(eventually([&] {
    const auto watches = control()["watches"];
    return watches.size() == 12 && std::all_of(watches.begin(), watches.end(), [](const auto& w) {
             return w["lists"].template get<int>() >= 1 &&
                    (w["state"] == "watching" || w["state"] == "not served by the API server");
           });
  }));
  app->request_shutdown(true);
  app->wait();
}

TEST_CASE("ACME: HTTP-01 answers are served before routing and redirects", "[e2e][acme]") {
  // The answers travel as a Secret, so a manifest can stand in for an order in progress.
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write("all.yaml",
            blog_manifests(echo) + "---\n" +
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: portico-acme-challenges\n"
                "  namespace: default\ntype: Opaque\nstringData:\n  tok123: tok123.thumb\n");
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const auto answer = get(portico.port(), "a.example.com", "/.well-known/acme-challenge/tok123");
  CHECK(answer.status == 200);
  CHECK(answer.body == "tok123.thumb");
  // Another token (a cert-manager solver's) is routed like any path, never redirected.
  const auto other = get(portico.port(), "a.example.com", "/.well-known/acme-challenge/other");
  CHECK(other.status == 200);
  CHECK(other.header("x-echo-name") == "echo");
}
