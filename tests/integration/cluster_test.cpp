// End to end, cluster mode: Portico lists and watches a (fake) API server and routes by what
// it sees, following changes, stream ends and expired watches without a restart.
#include <catch2/catch.hpp>

#include "app/migrate.hpp"
#include "tests/support/fake_api_server.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>

using namespace portico;
using namespace portico::test;

namespace {

struct FakeCluster {
  FakeCluster() {
    one = backends.start("one");
    two = backends.start("two");
    api.apply_yaml(ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
                   ingress_yaml("site", "x.com", {{"/", "Prefix", "web", "80"}}) + "---\n" +
                   service_yaml("web", {one}));
    dir.write("kubeconfig", api.kubeconfig());
  }
  std::unique_ptr<Application> start_portico(std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {"--kubeconfig", (dir.path() / "kubeconfig").string(),
                                      "--workers", "2"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    auto app = start_application(std::move(flags));
    const auto admin = app->admin_port();
    REQUIRE(eventually([admin] { return get(admin, "localhost", "/readyz").status == 200; }));
    return app;
  }
  Backends backends;
  std::uint16_t one = 0;
  std::uint16_t two = 0;
  FakeApiServer api;
  TempDir dir;
};

std::string backend_at(std::uint16_t port, const std::string& host, const std::string& path) {
  const auto r = get(port, host, path);
  return r.status == 200 ? r.header("x-echo-name") : std::to_string(r.status);
}

void stop(std::unique_ptr<Application>& app) {
  app->request_shutdown(true);
  app->wait();
}

}  // namespace

TEST_CASE("Cluster: routes follow the API server's objects as they change", "[cluster]") {
  FakeCluster c;
  auto app = c.start_portico();
  const auto port = app->http_port();
  CHECK(backend_at(port, "x.com", "/") == "one");

  // An EndpointSlice change moves traffic.
  c.api.apply_yaml(service_yaml("web", {c.two}));
  CHECK(
      eventually([&] { return backend_at(port, "x.com", "/") == "two"; }, std::chrono::seconds(1)));

  // A new Ingress adds a host; deleting it removes the host.
  c.api.apply_yaml(ingress_yaml("blog", "blog.com", {{"/", "Prefix", "web", "80"}}));
  CHECK(eventually([&] { return backend_at(port, "blog.com", "/") == "two"; },
                   std::chrono::seconds(1)));
  c.api.remove("ingresses", "default", "blog");
  CHECK(eventually([&] { return backend_at(port, "blog.com", "/") == "404"; },
                   std::chrono::seconds(1)));

  // An invalid object is skipped; the rest stays served.
  c.api.apply(nlohmann::json::parse(R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress",
      "metadata":{"name":"bad"},"spec":{"rules":[{"host":"bad.com","http":{"paths":[
      {"path":"no-slash","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})"));
  c.api.apply_yaml(ingress_yaml("after", "after.com", {{"/", "Prefix", "web", "80"}}));
  CHECK(eventually([&] { return backend_at(port, "after.com", "/") == "two"; },
                   std::chrono::seconds(1)));
  CHECK(backend_at(port, "bad.com", "/") == "404");

  std::string metrics;
  CHECK(eventually([&] {  // leadership is taken on the elector's own thread
    metrics = get(app->admin_port(), "localhost", "/metrics").body;
    return metrics.find("portico_leader 1") != std::string::npos;
  }));
  CHECK_THAT(metrics, Catch::Contains("portico_watch_lists_total{kind=\"Ingress\"} 1"));
  CHECK_THAT(metrics,
             Catch::Contains("portico_watch_events_total{kind=\"Ingress\",type=\"DELETED\"} 1"));
  CHECK_THAT(
      metrics,
      Catch::Contains("portico_watch_events_total{kind=\"EndpointSlice\",type=\"MODIFIED\"} 1"));
  CHECK_THAT(metrics, Catch::Contains("portico_watch_event_to_live_seconds_count"));
  CHECK_THAT(metrics, !Catch::Contains("portico_watch_event_to_live_seconds_count 0"));
  stop(app);
}

TEST_CASE("Cluster: an expired watch relists, and deletions in the gap are applied", "[cluster]") {
  FakeCluster c;
  c.api.apply_yaml(ingress_yaml("gone-soon", "gone.com", {{"/", "Prefix", "web", "80"}}));
  auto app = c.start_portico();
  const auto port = app->http_port();
  REQUIRE(backend_at(port, "gone.com", "/") == "one");
  const int lists_before = c.api.lists("ingresses");

  // The Ingress disappears while history is compacted: no DELETED event will ever come.
  c.api.remove_silently("ingresses", "default", "gone-soon");
  c.api.compact_and_end_watches();
  // The watch is re-opened from its old version, gets 410, and the relist shows the deletion
  // (after the watcher's first backoff of 0.8 to 1.6 s).
  CHECK(eventually([&] { return backend_at(port, "gone.com", "/") == "404"; },
                   std::chrono::seconds(4)));
  CHECK(c.api.lists("ingresses") > lists_before);
  CHECK(backend_at(port, "x.com", "/") == "one");
  stop(app);
}

TEST_CASE("Cluster: a stream that ends is watched again from its bookmark, without a relist",
          "[cluster]") {
  FakeCluster c;
  auto app = c.start_portico();
  const auto port = app->http_port();
  REQUIRE(eventually([&] { return c.api.watches("services") == 1; }));
  const int lists_before = c.api.lists("services");
  const std::string bookmark = c.api.send_bookmarks();
  // Give the bookmark time to arrive: once a change made after it is served, it has.
  c.api.apply_yaml(ingress_yaml("later", "later.com", {{"/", "Prefix", "web", "80"}}));
  REQUIRE(eventually([&] { return backend_at(port, "later.com", "/") == "one"; }));
  c.api.end_watches();
  CHECK(eventually([&] { return c.api.watches("services") == 2; }, std::chrono::seconds(4)));
  CHECK(c.api.last_watch_from("services") == bookmark);  // the bookmark moved it on
  CHECK(c.api.lists("services") == lists_before);        // resumed, not relisted
  c.api.apply_yaml(service_yaml("web", {c.two}));
  CHECK(
      eventually([&] { return backend_at(port, "x.com", "/") == "two"; }, std::chrono::seconds(4)));
  stop(app);
}

TEST_CASE("Cluster: --namespace limits every watch to one namespace", "[cluster]") {
  FakeCluster c;
  std::string shop = ingress_yaml("shop", "shop.com", {{"/", "Prefix", "web", "80"}}) + "---\n" +
                     service_yaml("web", {c.two});
  for (std::size_t at = shop.find("namespace: default"); at != std::string::npos;
       at = shop.find("namespace: default")) {
    shop.replace(at, 18, "namespace: shop");
  }
  c.api.apply_yaml(shop);
  auto app = c.start_portico({"--namespace", "shop"});
  const auto port = app->http_port();
  CHECK(backend_at(port, "shop.com", "/") == "two");  // shop's own Service, not default's
  CHECK(backend_at(port, "x.com", "/") == "404");     // the default namespace is not watched
  stop(app);
}

TEST_CASE("Cluster: readiness waits for every kind's first list", "[cluster]") {
  FakeApiServer api("another-token");  // Portico's kubeconfig carries the wrong token: 401s
  TempDir dir;
  std::string kubeconfig = api.kubeconfig();
  kubeconfig.replace(kubeconfig.find("another-token"), 13, "wrong-token");
  dir.write("kubeconfig", kubeconfig);
  auto owned = start_application({"--kubeconfig", (dir.path() / "kubeconfig").string()});
  Application& app = *owned;
  CHECK_FALSE(
      eventually([&] { return get(app.admin_port(), "localhost", "/readyz").status == 200; },
                 std::chrono::milliseconds(1500)));
  CHECK(api.lists("ingresses") >= 1);  // it did ask, was refused, and keeps retrying
  app.request_shutdown(true);
  app.wait();
}

namespace {

std::string status_ip(const FakeApiServer& api, const std::string& name) {
  const auto ingress = api.object("ingresses", "default", name);
  if (!ingress.is_object() || !ingress.contains("status")) {
    return "";
  }
  const auto& entries = ingress["status"]["loadBalancer"]["ingress"];
  if (!entries.is_array() || entries.empty()) {
    return "";
  }
  return entries[0].value("ip", entries[0].value("hostname", ""));
}

std::string lease_holder(const FakeApiServer& api) {
  const auto lease = api.object("leases", "default", "portico-leader");
  return lease.is_object() ? lease["spec"].value("holderIdentity", "") : "";
}

}  // namespace

TEST_CASE("Cluster: the leader writes the published address into served Ingresses' status",
          "[cluster][status]") {
  FakeCluster c;
  c.api.apply_yaml(ingress_class_yaml("other", "example.com/other") + "---\n" +
                   ingress_yaml("theirs", "t.com", {{"/", "Prefix", "web", "80"}},
                                "  ingressClassName: other\n"));
  auto app = c.start_portico({"--publish-address", "203.0.113.7"});
  CHECK(eventually([&] { return status_ip(c.api, "site") == "203.0.113.7"; }));
  CHECK(eventually([&] { return !lease_holder(c.api).empty(); }));
  CHECK(status_ip(c.api, "theirs").empty());  // not ours: untouched
  // Our own write comes back as a change; already equal, it is not written again.
  const int patches = c.api.status_patches();
  c.api.apply_yaml(ingress_yaml("more", "m.com", {{"/", "Prefix", "web", "80"}}));
  CHECK(eventually([&] { return status_ip(c.api, "more") == "203.0.113.7"; }));
  CHECK(c.api.status_patches() == patches + 1);
  stop(app);
}

TEST_CASE("Cluster: --publish-service publishes that Service's load-balancer address",
          "[cluster][status]") {
  FakeCluster c;
  c.api.apply(nlohmann::json::parse(R"({"apiVersion":"v1","kind":"Service",
      "metadata":{"name":"portico","namespace":"ingress"},
      "spec":{"type":"LoadBalancer","ports":[{"name":"http","port":80}]},
      "status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.20"}]}}})"));
  auto app = c.start_portico({"--publish-service", "ingress/portico"});
  CHECK(eventually([&] { return status_ip(c.api, "site") == "198.51.100.20"; }));
  // The load balancer's address changes: so does every served Ingress's status.
  c.api.apply(nlohmann::json::parse(R"({"apiVersion":"v1","kind":"Service",
      "metadata":{"name":"portico","namespace":"ingress"},
      "spec":{"type":"LoadBalancer","ports":[{"name":"http","port":80}]},
      "status":{"loadBalancer":{"ingress":[{"hostname":"lb.cloud.example"}]}}})"));
  CHECK(eventually([&] { return status_ip(c.api, "site") == "lb.cloud.example"; }));
  stop(app);
}

TEST_CASE("Cluster: one leader among replicas, and another takes over when it leaves",
          "[cluster][leader]") {
  FakeCluster c;
  ::setenv("POD_NAME", "replica-a", 1);
  auto a = c.start_portico({"--publish-address", "lb.example.com"});
  REQUIRE(eventually([&] { return lease_holder(c.api) == "replica-a"; }));
  ::setenv("POD_NAME", "replica-b", 1);
  auto b = c.start_portico({"--publish-address", "lb.example.com"});
  ::unsetenv("POD_NAME");
  CHECK(eventually([&] { return status_ip(c.api, "site") == "lb.example.com"; }));  // a hostname
  // Both serve traffic; only one leads.
  CHECK(backend_at(a->http_port(), "x.com", "/") == "one");
  CHECK(backend_at(b->http_port(), "x.com", "/") == "one");
  CHECK(lease_holder(c.api) == "replica-a");
  stop(a);  // releases the lease
  CHECK(eventually([&] { return lease_holder(c.api) == "replica-b"; }, std::chrono::seconds(6)));
  stop(b);
}

TEST_CASE("Cluster: over HTTPS, the server is trusted only through the configured CA",
          "[cluster][tls]") {
  Backends backends;
  const auto port = backends.start("secure");
  FakeApiServer api("tls-token", FakeApiServer::Transport::Https);
  api.apply_yaml(ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
                 ingress_yaml("site", "x.com", {{"/", "Prefix", "web", "80"}}) + "---\n" +
                 service_yaml("web", {port}));
  TempDir dir;
  const auto run = [&](const std::string& kubeconfig, bool expect_ready) {
    dir.write("kubeconfig", kubeconfig);
    auto owned = start_application({"--kubeconfig", (dir.path() / "kubeconfig").string()});
    Application& app = *owned;
    const bool ready =
        eventually([&] { return get(app.admin_port(), "localhost", "/readyz").status == 200; },
                   std::chrono::milliseconds(expect_ready ? 5000 : 1500));
    CHECK(ready == expect_ready);
    if (ready) {
      CHECK(backend_at(app.http_port(), "x.com", "/") == "secure");
    }
    app.request_shutdown(true);
    app.wait();
  };
  SECTION("the right CA") {
    run(api.kubeconfig(), true);
  }
  SECTION("another CA: the handshake fails, nothing is trusted") {
    const FakeApiServer impostor("x", FakeApiServer::Transport::Https);
    std::string config = api.kubeconfig();
    const auto at = config.find("certificate-authority-data: ") + 28;
    const std::string impostor_ca = impostor.kubeconfig().substr(
        impostor.kubeconfig().find("certificate-authority-data: ") + 28);
    config.replace(at, config.find('\n', at) - at, impostor_ca.substr(0, impostor_ca.find('\n')));
    run(config, false);
  }
}

TEST_CASE("In-cluster: service host, CA and a token file re-read after a 401", "[cluster][tls]") {
  FakeApiServer api("first-token", FakeApiServer::Transport::Https);
  api.apply_yaml(ingress_class_yaml("portico", "portico.dev/ingress-controller"));
  TempDir account;
  account.write("ca.crt", api.ca_pem());
  account.write("token", "first-token\n");
  account.write("namespace", "ingress");
  ::setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", std::to_string(api.port()).c_str(), 1);
  const auto config = k8s::in_cluster_config(account.path().string());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  REQUIRE(config.ok());

  std::atomic<int> lists{0};
  k8s::Watcher watcher(k8s::Kind::IngressClass, *config, "",
                       {[&](k8s::Kind, std::vector<k8s::Object>) { ++lists; }, [](k8s::Object) {},
                        [](k8s::Kind, std::string) {}},
                       std::make_shared<k8s::InvalidObjects>());
  watcher.start();
  REQUIRE(eventually([&] { return lists == 1; }));
  // The kubelet rotates the token: the old one is refused, the file holds the new one.
  api.set_token("second-token");
  account.write("token", "second-token\n");
  api.end_watches();
  // The re-watch gets 401, the token file is read again, and the relist succeeds.
  CHECK(eventually([&] { return lists == 2; }, std::chrono::seconds(6)));
  watcher.stop();
}

// The fake's fidelity, judged by the real kubectl where one is installed (developer machines;
// CI machines have none, and then this only says so).
TEST_CASE("Cluster: kubectl drives the fake API server, and Portico follows",
          "[cluster][kubectl]") {
  if (std::system("command -v kubectl >/dev/null 2>&1") != 0) {
    WARN("kubectl is not installed: the fake API server's fidelity check is skipped");
    return;
  }
  Backends backends;
  const auto port = backends.start("kube");
  FakeApiServer api("kubectl-token",
                    FakeApiServer::Transport::Https);  // kubectl sends tokens over TLS only
  api.apply_yaml(ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
                 service_yaml("web", {port}));
  TempDir dir;
  dir.write("kubeconfig", api.kubeconfig());
  dir.write("ingress.yaml",
            ingress_yaml("made-by-kubectl", "kubectl.com", {{"/", "Prefix", "web", "80"}}));
  auto owned = start_application({"--kubeconfig", (dir.path() / "kubeconfig").string()});
  Application& app = *owned;
  REQUIRE(eventually([&] { return get(app.admin_port(), "localhost", "/readyz").status == 200; }));

  const std::string kubectl = "HOME=" + dir.path().string() + " kubectl --kubeconfig " +
                              (dir.path() / "kubeconfig").string() + " --cache-dir " +
                              (dir.path() / "cache").string() + " ";
  const auto run = [&](const std::string& args) {
    const std::string out = (dir.path() / "out").string();
    const int status = std::system((kubectl + args + " >" + out + " 2>&1").c_str());
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO("kubectl " << args << ":\n" << text);
    CHECK(status == 0);
    return text;
  };
  run("create --validate=false -f " + (dir.path() / "ingress.yaml").string());
  CHECK_THAT(run("get ingresses -A -o name"), Catch::Contains("made-by-kubectl"));
  CHECK(eventually([&] { return backend_at(app.http_port(), "kubectl.com", "/") == "kube"; }));
  run("delete ingress made-by-kubectl");
  CHECK(eventually([&] { return backend_at(app.http_port(), "kubectl.com", "/") == "404"; }));
  app.request_shutdown(true);
  app.wait();
}

TEST_CASE("Leader election: a leader that cannot renew stops leading at once",
          "[cluster][leader]") {
  FakeApiServer api;
  TempDir dir;
  dir.write("kubeconfig", api.kubeconfig());
  const auto config = k8s::load_kubeconfig((dir.path() / "kubeconfig").string());
  REQUIRE(config.ok());
  // client-go's algorithm with short times: 1.5 s lease, 1 s renew deadline, 0.1 s retry.
  const auto settings = [](const char* identity) {
    return short_lease(identity, std::chrono::milliseconds(1500));
  };
  k8s::LeaderElector first(*config, settings("first"));
  first.start();
  REQUIRE(eventually([&] { return first.is_leader(); }));
  k8s::LeaderElector second(*config, settings("second"));
  second.start();

  api.fail_leases(true);
  const auto failed_at = std::chrono::steady_clock::now();
  REQUIRE(eventually([&] { return !first.is_leader(); }, std::chrono::seconds(3)));
  // It stopped before its lease could have passed to another replica (the lease duration
  // after its last renewal), so two leaders never overlap; the second has not taken over.
  CHECK(std::chrono::steady_clock::now() - failed_at < std::chrono::milliseconds(1500));
  CHECK_FALSE(second.is_leader());

  // The server recovers: the unrenewed lease expires and one of the two wins it, never both.
  api.fail_leases(false);
  REQUIRE(
      eventually([&] { return first.is_leader() || second.is_leader(); }, std::chrono::seconds(4)));
  CHECK(first.is_leader() != second.is_leader());
  second.stop();
  first.stop();
}

// portico migrate against a cluster: the Ingresses and classes listed from the API server,
// an auth-secret read by name, and the verdicts as from manifests.
TEST_CASE("Cluster: the migration report reads Ingresses and their Secrets from the API server",
          "[cluster][migrate]") {
  FakeApiServer api;
  api.apply_yaml(
      ingress_class_yaml("nginx", "k8s.io/ingress-nginx") + "---\n" +
      ingress_yaml("admin", "admin.com", {{"/", "Prefix", "admin", "80"}}, "",
                   annotations_yaml({{"nginx.ingress.kubernetes.io/auth-type", "basic"},
                                     {"nginx.ingress.kubernetes.io/auth-secret", "users"}})) +
      "---\napiVersion: v1\nkind: Secret\nmetadata: {name: users, namespace: default}\n"
      "type: Opaque\nstringData: {auth: \"foo:$apr1$OFG3Xybp$ckL0FHDAkoXYIlH9.cysT0\"}\n---\n" +
      ingress_yaml(
          "mtls", "mtls.com", {{"/", "Prefix", "admin", "80"}}, "",
          annotations_yaml({{"nginx.ingress.kubernetes.io/auth-tls-secret", "default/ca"}})));
  // ingress_yaml names no class: these are the cluster's default-class Ingresses.
  TempDir dir;
  dir.write("kubeconfig", api.kubeconfig());
  auto options =
      parse_options({"--kubeconfig", (dir.path() / "kubeconfig").string(), "--controller-name",
                     "k8s.io/ingress-nginx", "--watch-ingress-without-class"});
  REQUIRE(options);
  const auto report = migration_report(*options);
  REQUIRE(report);
  INFO(report->text);
  CHECK(report->fails_closed);
  CHECK(report->text.find("Ingress default/admin  (class none; served with these flags)") !=
        std::string::npos);
  // Found by name, so Basic auth is honoured, not failing closed for a missing Secret.
  CHECK(
      report->text.find("  honoured             nginx.ingress.kubernetes.io/auth-secret: users") !=
      std::string::npos);
  CHECK(report->text.find("  FAILS CLOSED (503)   nginx.ingress.kubernetes.io/auth-tls-secret") !=
        std::string::npos);
  CHECK(report->text.find("2 Ingresses:") != std::string::npos);
}
