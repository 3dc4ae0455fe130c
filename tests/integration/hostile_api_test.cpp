// End to end, cluster mode against an API server that sends what no real one should: broken
// watch events, a Lease of the wrong shape, and (the realistic case) thousands of Secrets
// nothing refers to. Portico logs, skips and keeps serving; it never ends.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "k8swatch/api_client.hpp"
#include "k8swatch/api_config.hpp"
#include "k8swatch/leader_election.hpp"
#include "tests/support/certificates.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fake_api_server.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
namespace net = boost::asio;

namespace {

std::string backend_at(std::uint16_t port, const std::string& host) {
  const auto r = get(port, host, "/");
  return r.status == 200 ? r.header("x-echo-name") : std::to_string(r.status);
}

}  // namespace

TEST_CASE("Hostile API: malformed watch events are skipped, counted, and never end Portico",
          "[cluster][hostile]") {
  Backends backends;
  const auto one = backends.start("one");
  FakeApiServer api;
  api.apply_yaml(ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
                 ingress_yaml("site", "x.com", {{"/", "Prefix", "web", "80"}}) + "---\n" +
                 service_yaml("web", {one}));
  TempDir dir;
  dir.write("kubeconfig", api.kubeconfig());
  auto app = start_application({"--kubeconfig", (dir.path() / "kubeconfig").string()});
  const auto admin = app->admin_port();
  REQUIRE(eventually([&] { return get(admin, "localhost", "/readyz").status == 200; }));

  // Each of these once ended the process (an uncaught JSON type error) or could have.
  const std::vector<std::string> broken = {
      R"({"type":"DELETED","object":{"kind":"Ingress"}})",
      R"({"type":"MODIFIED","object":{"metadata":[]}})",
      R"({"type":"DELETED","object":{"metadata":{"name":5,"namespace":null}}})",
      R"({"type":"ADDED","object":"an object, honestly"})",
      R"({"type":7,"object":{}})",
      R"({"type":"RENAMED","object":{"metadata":{"name":"x"}}})",
      R"({"object":{"metadata":{"name":"x"}}})",
      R"([1,2,3])",
      R"(not json at all)",
  };
  for (const auto& line : broken) {
    api.send_raw_event("ingresses", line);
  }
  // An ERROR whose code is a string, not a number: still a relist, not a crash.
  api.send_raw_event("services", R"({"type":"ERROR","object":{"code":"410","message":7}})");

  // What comes after the garbage is applied as usual.
  api.apply_yaml(ingress_yaml("after", "after.com", {{"/", "Prefix", "web", "80"}}));
  CHECK(eventually([&] { return backend_at(app->http_port(), "after.com") == "one"; }));
  CHECK(backend_at(app->http_port(), "x.com") == "one");
  const auto metrics = get(admin, "localhost", "/metrics").body;
  CHECK(metric(metrics, R"(portico_watch_malformed_events_total{kind="Ingress"})") ==
        static_cast<double>(broken.size()));
  CHECK(metric(metrics, R"(portico_watch_failures_total{kind="Ingress"})") == 0);
  // The Service watch relisted after its ERROR event.
  CHECK(eventually([&] { return api.lists("services") >= 2; }, std::chrono::seconds(4)));
  app->request_shutdown(true);
  app->wait();
}

TEST_CASE("Hostile API: a Lease of the wrong shape is taken over, not a crash",
          "[cluster][hostile][leader]") {
  FakeApiServer api;
  // Every field of the wrong type; the holder's renewTime can never be read, so once a lease
  // duration has passed unrenewed from our point of view, it is ours.
  api.apply(nlohmann::json::parse(R"({"kind":"Lease","metadata":{"name":"portico-leader",
      "namespace":"default"},"spec":{"holderIdentity":42,"renewTime":[],
      "leaseTransitions":"many"}})"));
  TempDir dir;
  dir.write("kubeconfig", api.kubeconfig());
  const auto config = k8s::load_kubeconfig((dir.path() / "kubeconfig").string());
  REQUIRE(config.ok());
  k8s::LeaderElector elector(*config, short_lease("us", std::chrono::milliseconds(300)));
  elector.start();
  REQUIRE(eventually([&] { return elector.is_leader(); }, std::chrono::seconds(3)));
  const auto lease = api.object("leases", "default", "portico-leader");
  CHECK(lease["spec"]["holderIdentity"] == "us");
  CHECK(lease["spec"]["leaseTransitions"] == 1);

  // A spec that is not even an object.
  elector.stop();
  api.apply(nlohmann::json::parse(R"({"kind":"Lease","metadata":{"name":"portico-leader",
      "namespace":"default"},"spec":"garbage"})"));
  k8s::LeaderElector again(*config, short_lease("again", std::chrono::milliseconds(300)));
  again.start();
  REQUIRE(eventually([&] { return again.is_leader(); }, std::chrono::seconds(3)));
  CHECK(api.object("leases", "default", "portico-leader")["spec"]["holderIdentity"] == "again");
  again.stop();
}

TEST_CASE("Hostile API: thousands of Secrets nothing refers to cost their names, not their data",
          "[cluster][hostile][memory]") {
  Backends backends;
  const auto echo = backends.start("echo");
  FakeApiServer api;
  const auto site = make_certificate("site.com", {"DNS:site.com"});
  const auto later = make_certificate("later.com", {"DNS:later.com"});
  const std::string tls_spec = "  tls:\n  - hosts: [site.com]\n    secretName: site-tls\n";
  api.apply_yaml(ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
                 ingress_yaml("site", "site.com", {{"/", "Prefix", "echo", "80"}}, tls_spec) +
                 "---\n" + service_yaml("echo", {echo}) + "---\n" +
                 tls_secret_yaml("site-tls", site.certificate_pem, site.key_pem) + "---\n" +
                 tls_secret_yaml("later-tls", later.certificate_pem, later.key_pem));
  // As Helm keeps its releases: large Secrets of their own type, referenced by nothing.
  constexpr std::size_t Count = 3000;
  const std::string payload(40 * 1024, 'A');  // valid base64, 30 KiB once decoded
  for (std::size_t i = 0; i < Count; ++i) {
    api.apply({{"apiVersion", "v1"},
               {"kind", "Secret"},
               {"metadata", {{"name", "sh.helm.release.v1.app" + std::to_string(i)}}},
               {"type", "helm.sh/release.v1"},
               {"data", {{"release", payload}}}});
  }
  TempDir dir;
  dir.write("kubeconfig", api.kubeconfig());
  PorticoProcess portico({"--kubeconfig", (dir.path() / "kubeconfig").string(), "--workers", "1"});
  REQUIRE(
      eventually([&] { return get(portico.admin_port(), "localhost", "/readyz").status == 200; },
                 std::chrono::seconds(30)));
  // The lists came in pages.
  CHECK(api.paged_lists("secrets") >= static_cast<int>(Count / 100));
  // A Secret that is referenced is whole: its certificate is served.
  CHECK(probe_tls(portico.https_port(), "site.com").common_name == "site.com");
  const double data_mib = static_cast<double>(Count * payload.size()) / (1 << 20);
  const double resident_mib = static_cast<double>(portico.resident_bytes()) / (1 << 20);
  const double peak_mib = static_cast<double>(portico.peak_resident_bytes()) / (1 << 20);
  WARN("Secret data in the cluster: " << data_mib << " MiB; Portico resident: " << resident_mib
                                      << " MiB (peak " << peak_mib << " MiB)");
  // A sanitizer's quarantine and shadow memory say nothing about Portico's own use: the bound
  // holds for the build users run.
  if (!PORTICO_SANITIZED) {
    CHECK(resident_mib < data_mib / 4);
  }

  // A Secret kept as a name becomes referenced: it is read by name and served.
  api.apply_yaml(ingress_yaml("later", "later.com", {{"/", "Prefix", "echo", "80"}},
                              "  tls:\n  - hosts: [later.com]\n    secretName: later-tls\n"));
  CHECK(eventually(
      [&] { return probe_tls(portico.https_port(), "later.com").common_name == "later.com"; }));

  // Changes to unreferenced Secrets publish nothing new to the workers.
  const auto metrics = [&] { return get(portico.admin_port(), "localhost", "/metrics").body; };
  const double generation = metric(metrics(), "portico_config_generation");
  for (std::size_t i = 0; i < 200; ++i) {
    api.apply({{"apiVersion", "v1"},
               {"kind", "Secret"},
               {"metadata", {{"name", "sh.helm.release.v1.app" + std::to_string(i)}}},
               {"type", "helm.sh/release.v1"},
               {"data", {{"release", payload + "QUJD"}}}});
  }
  REQUIRE(eventually([&] {
    return metric(metrics(), R"(portico_watch_events_total{kind="Secret",type="MODIFIED"})") >= 200;
  }));
  CHECK(metric(metrics(), "portico_config_generation") == generation);
}

TEST_CASE("Hostile API: lists come in pages, and an expired continue token lists at once",
          "[cluster][hostile]") {
  Backends backends;
  const auto echo = backends.start("echo");
  FakeApiServer api;
  std::string yaml = ingress_class_yaml("portico", "portico.dev/ingress-controller", true) +
                     "---\n" + service_yaml("echo", {echo});
  constexpr int Count = 250;  // three pages
  for (int i = 0; i < Count; ++i) {
    const std::string host = "h" + std::to_string(i) + ".com";
    yaml += "---\n" + ingress_yaml("i" + std::to_string(i), host, {{"/", "Prefix", "echo", "80"}});
  }
  api.apply_yaml(yaml);
  api.expire_next_continue();  // the second page of the first paged list is gone
  TempDir dir;
  dir.write("kubeconfig", api.kubeconfig());
  auto app = start_application({"--kubeconfig", (dir.path() / "kubeconfig").string()});
  REQUIRE(eventually([&] { return get(app->admin_port(), "localhost", "/readyz").status == 200; }));
  // Every Ingress is served, whichever page it was on.
  for (const int i : {0, 99, 100, 199, 200, Count - 1}) {
    CHECK(get(app->http_port(), "h" + std::to_string(i) + ".com", "/").status == 200);
  }
  // The Ingress list was paged, met the 410, and fell back to one unpaged list.
  CHECK(api.paged_lists("ingresses") >= 2);
  CHECK(api.lists("ingresses") > api.paged_lists("ingresses"));
  app->request_shutdown(true);
  app->wait();
}

namespace {

// An API server that answers the first request of each connection and closes the
// connection, unanswered, when a second one comes: what a client meets when the server
// closes a kept-alive connection just as the client reuses it.
class OneRequestPerConnectionServer {
 public:
  OneRequestPerConnectionServer() : acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { serve(); });
  }
  ~OneRequestPerConnectionServer() {
    stopping_ = true;
    net::ip::tcp::socket wake(io_);  // a blocking accept() returns only for a connection
    boost::system::error_code ignored;
    wake.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int answered() const { return answered_; }

 private:
  void serve() {
    for (;;) {
      net::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) {
        return;
      }
      std::string request;
      // The first request: its head and its body (Content-Length, as the client sends it).
      net::read_until(socket, net::dynamic_buffer(request), "\r\n\r\n", ec);
      const auto length_at = request.find("Content-Length: ");
      const std::size_t length =
          length_at == std::string::npos ? 0 : std::stoul(request.substr(length_at + 16));
      const std::size_t head = request.find("\r\n\r\n") + 4;
      if (request.size() < head + length) {
        net::read(socket, net::dynamic_buffer(request),
                  net::transfer_exactly(head + length - request.size()), ec);
      }
      const std::string answer =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
      ++answered_;  // before the client can have the answer and ask how many there were
      net::write(socket, net::buffer(answer), ec);
      // The second request, read and dropped with the connection.
      std::string next;
      net::read_until(socket, net::dynamic_buffer(next), "\r\n\r\n", ec);
    }
  }
  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::atomic<int> answered_ = 0;
  std::atomic<bool> stopping_ = false;
  std::thread thread_;
};

}  // namespace

TEST_CASE(
    "Hostile API: a kept-alive connection the API server closes as it is reused costs no "
    "request",
    "[cluster][hostile]") {
  OneRequestPerConnectionServer server;
  k8s::ApiConfig config;
  config.scheme = "http";
  config.host = "127.0.0.1";
  config.port = server.port();
  k8s::ApiClient client(config);
  const std::string target = "/apis/networking.k8s.io/v1/namespaces/default/ingresses/site";
  const auto first = client.get(target);
  REQUIRE(first);
  CHECK(first->status == 200);
  const auto second = client.get(target);  // the kept connection is closed under it
  REQUIRE(second);
  CHECK(second->status == 200);
  const auto patched =
      client.send("PATCH", target + "/status", R"({"status":{}})", "application/merge-patch+json");
  REQUIRE(patched);
  CHECK(patched->status == 200);
  CHECK(server.answered() == 3);
}
