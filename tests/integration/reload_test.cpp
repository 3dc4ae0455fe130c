// End to end: the manifest files are live. Edits, new files and removals apply without a
// restart and without dropping a connection; broken edits keep the last good state.
#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/load.hpp"

using namespace portico;
using namespace portico::test;

namespace {

const std::string Class = ingress_class_yaml("portico", "portico.dev/ingress-controller", true);

}  // namespace

TEST_CASE("E2E: live reload while a keep-alive connection stays open", "[e2e][reload]") {
  Backends backends;
  const auto one = backends.start("one");
  const auto two = backends.start("two");
  TempDir dir;
  dir.write("class.yaml", Class);
  dir.write("services.yaml", service_yaml("one", {one}) + "---\n" + service_yaml("two", {two}));
  dir.write("app.yaml", ingress_yaml("app", "x.com", {{"/", "Prefix", "one", "80"}}));
  Portico portico(dir.path());
  portico.wait_ready();

  Connection client(portico.port());
  REQUIRE(client.get("x.com", "/v2/x").header("x-echo-name") == "one");

  // A new file adds a route; the same open connection sees it.
  dir.write("v2.yaml", ingress_yaml("v2", "x.com", {{"/v2", "Prefix", "two", "80"}}));
  CHECK(eventually([&] { return client.get("x.com", "/v2/x").header("x-echo-name") == "two"; },
                   std::chrono::seconds(1)));

  // A half-saved edit that does not parse keeps serving the file's last good contents.
  dir.write("v2.yaml", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: [oops\n");
  // A later, visible change proves the broken file has been read by then.
  dir.write("marker.yaml", ingress_yaml("marker", "x.com", {{"/marker", "Exact", "two", "80"}}));
  CHECK(eventually([&] { return client.get("x.com", "/marker").header("x-echo-name") == "two"; },
                   std::chrono::seconds(1)));
  CHECK(client.get("x.com", "/v2/x").header("x-echo-name") == "two");

  // An invalid object is skipped alone; the rest of its file is served.
  dir.write("v2.yaml", ingress_yaml("v2", "x.com", {{"/v2", "Prefix", "two", "80"}}) + "---\n" +
                           ingress_yaml("bad", "x.com", {{"no-slash", "Prefix", "two", "80"}}) +
                           "---\n" + ingress_yaml("v3", "x.com", {{"/v3", "Exact", "two", "80"}}));
  CHECK(eventually([&] { return client.get("x.com", "/v3").header("x-echo-name") == "two"; },
                   std::chrono::seconds(1)));
  CHECK(client.get("x.com", "/v2/x").header("x-echo-name") == "two");

  // Removing the file removes its routes.
  dir.remove("v2.yaml");
  CHECK(eventually([&] { return client.get("x.com", "/v2/x").header("x-echo-name") == "one"; },
                   std::chrono::seconds(1)));
  CHECK(client.get("x.com", "/v3").header("x-echo-name") == "one");
  CHECK(client.get("x.com", "/marker").header("x-echo-name") == "two");

  // An endpoint change moves traffic without touching the connection.
  dir.write("services.yaml", service_yaml("one", {two}) + "---\n" + service_yaml("two", {two}));
  CHECK(eventually([&] { return client.get("x.com", "/").header("x-echo-name") == "two"; },
                   std::chrono::seconds(1)));

  // One object in two files: the later file in path order defines it; when that file goes,
  // the other's definition serves again (only changed files are re-read, so this takes the
  // source remembering which files define what); when both go, so does the object.
  dir.write("services.yaml", service_yaml("one", {one}) + "---\n" + service_yaml("two", {two}));
  dir.write("dup-a.yaml", ingress_yaml("dup", "dup.com", {{"/", "Prefix", "one", "80"}}));
  dir.write("dup-b.yaml", ingress_yaml("dup", "dup.com", {{"/", "Prefix", "two", "80"}}));
  CHECK(eventually([&] { return client.get("dup.com", "/").header("x-echo-name") == "two"; },
                   std::chrono::seconds(1)));
  dir.remove("dup-b.yaml");
  CHECK(eventually([&] { return client.get("dup.com", "/").header("x-echo-name") == "one"; },
                   std::chrono::seconds(1)));
  dir.remove("dup-a.yaml");
  CHECK(eventually([&] { return client.get("dup.com", "/").status == 404; },
                   std::chrono::seconds(1)));
  CHECK(client.get("x.com", "/marker").header("x-echo-name") == "two");
}

// The watcher also watches each root's parent (for a root replaced by a rename); a parent as
// busy as /tmp under a compiler must not keep its quiet period from ever ending.
TEST_CASE("E2E: a busy parent of the manifests directory does not hold a reload back",
          "[e2e][reload]") {
  Backends backends;
  const auto one = backends.start("one");
  const auto two = backends.start("two");
  TempDir dir;  // holds manifests/ and, next to it, files that come and go all the time
  dir.write("manifests/class.yaml", Class);
  dir.write("manifests/services.yaml",
            service_yaml("one", {one}) + "---\n" + service_yaml("two", {two}));
  dir.write("manifests/app.yaml", ingress_yaml("app", "x.com", {{"/", "Prefix", "one", "80"}}));
  Portico portico(dir.path() / "manifests");
  portico.wait_ready();
  Connection client(portico.port());
  REQUIRE(client.get("x.com", "/").header("x-echo-name") == "one");

  std::atomic<bool> stop{false};
  std::thread neighbour([&] {
    for (int i = 0; !stop; ++i) {
      dir.write("scratch-" + std::to_string(i % 4), "x");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  dir.write("manifests/app.yaml", ingress_yaml("app", "x.com", {{"/", "Prefix", "two", "80"}}));
  const bool applied = eventually(
      [&] { return client.get("x.com", "/").header("x-echo-name") == "two"; },
      std::chrono::seconds(1));
  stop = true;
  neighbour.join();
  CHECK(applied);
}

TEST_CASE("E2E: readiness, health and metrics on the admin listener", "[e2e][admin]") {
  Backends backends;
  const auto port = backends.start("echo");
  TempDir dir;
  dir.write("all.yaml", site_yaml("m", "m.com", "echo", {port}));
  Portico portico(dir.path());
  portico.wait_ready();
  CHECK(get(portico.admin_port(), "localhost", "/healthz").status == 200);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(get(portico.port(), "m.com", "/").status == 200);
  }
  REQUIRE(get(portico.port(), "none.com", "/").status == 404);
  // Counters are recorded as each exchange finishes, just after its response is sent.
  Response metrics;
  CHECK(eventually([&] {
    metrics = get(portico.admin_port(), "localhost", "/metrics");
    return metrics.body.find("portico_request_duration_seconds_count 4") != std::string::npos;
  }));
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.body,
             Catch::Contains("portico_requests_total{ingress=\"default/m\",code=\"2xx\"} 3"));
  CHECK_THAT(metrics.body, Catch::Contains("portico_requests_total{ingress=\"\",code=\"4xx\"} 1"));
  CHECK_THAT(
      metrics.body,
      Catch::Contains("portico_ingress_request_duration_seconds_count{ingress=\"default/m\"} 3"));
  CHECK_THAT(metrics.body, Catch::Contains("portico_request_duration_seconds_count 4"));
  CHECK_THAT(metrics.body, Catch::Contains("portico_config_generation 1"));
  CHECK_THAT(metrics.body, Catch::Contains("portico_ready 1"));
  CHECK(get(portico.admin_port(), "localhost", "/nope").status == 404);
}

// Host s.com on one echo backend, served by a ready Portico with two workers and the given
// --shutdown-delay.
struct ShutdownSite {
  explicit ShutdownSite(const std::string& delay) {
    dir.write("all.yaml", site_yaml("s", "s.com", "echo", {backends.start("echo")}));
    app = start_application(
        {"--manifests", dir.path().string(), "--workers", "2", "--shutdown-delay", delay});
    REQUIRE(
        eventually([&] { return get(app->admin_port(), "localhost", "/readyz").status == 200; }));
  }
  Backends backends;
  TempDir dir;
  std::unique_ptr<Application> app;
};

TEST_CASE("E2E: shutdown turns /readyz 503 at once and lets in-flight requests finish",
          "[e2e][shutdown]") {
  ShutdownSite site("1s");
  Application& app = *site.app;

  Connection idle(app.http_port());
  REQUIRE(idle.get("s.com", "/").status == 200);
  Connection busy(app.http_port());
  // Still in flight when the 1 s delay ends and the drain begins.
  busy.write_raw("GET /delay/1500 HTTP/1.1\r\nHost: s.com\r\n\r\n");

  app.request_shutdown(false);
  CHECK(eventually([&] { return get(app.admin_port(), "localhost", "/readyz").status == 503; },
                   std::chrono::milliseconds(500)));
  // During the delay the listener still accepts and serves.
  CHECK(get(app.http_port(), "s.com", "/").status == 200);
  // The in-flight request finishes, told the connection closes; the idle one is closed.
  const auto slow = busy.read_response();
  CHECK(slow.status == 200);
  CHECK_FALSE(slow.keep_alive);
  CHECK(idle.closed_by_peer());
  app.wait();
  CHECK_THROWS(Connection(app.http_port()));
}

TEST_CASE("E2E: a shutdown under load loses no request it accepted", "[e2e][shutdown]") {
  ShutdownSite site("500ms");
  Application& app = *site.app;

  LoadGenerator load(app.http_port(), "s.com", "/", "/comments/delay/100");
  load.add_keep_alive_clients(4);
  load.add_closing_clients(1);
  load.add_slow_posts(3);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto started = std::chrono::steady_clock::now();
  app.request_shutdown(false);
  // Like a load balancer, stop opening connections once /readyz has said 503 for a while,
  // well within the 500 ms delay; open connections go on until Portico closes them.
  REQUIRE(eventually([&] { return get(app.admin_port(), "localhost", "/readyz").status == 503; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  load.stop_new_connections();
  app.wait();  // the delay, then the drain: in-flight requests finish
  const auto took = std::chrono::steady_clock::now() - started;
  load.stop();
  INFO(load.summary());
  // Every request Portico accepted was answered 200 (keep-alive GETs on a connection closed
  // as idle by the drain are resent, as clients do, and counted apart).
  CHECK(load.ok() > 100);
  CHECK(load.failed() == 0);
  CHECK(load.socket_errors() == 0);
  CHECK(load.refused() == 0);
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE(
    "E2E: manifests: an object added later is newer, and edits or renames never make one newer",
    "[e2e][reload][ordering]") {
  // Two Ingresses claim x.com/ with different backends: the older one serves it.
  Backends backends;
  const auto one = backends.start("one");
  const auto two = backends.start("two");
  const auto three = backends.start("three");
  TempDir dir;
  dir.write("class.yaml", Class);
  dir.write("services.yaml", service_yaml("one", {one}) + "---\n" + service_yaml("two", {two}) +
                                 "---\n" + service_yaml("three", {three}));
  dir.write("z-first.yaml", ingress_yaml("z-first", "x.com", {{"/", "Prefix", "one", "80"}}));
  Portico portico(dir.path());
  portico.wait_ready();
  const auto served_by = [&] { return get(portico.port(), "x.com", "/").header("x-echo-name"); };
  REQUIRE(served_by() == "one");
  const auto marker = [&](const std::string& path) {
    // A change of its own, in a file of its own: once it is live, so is everything before it.
    dir.write("marker.yaml", ingress_yaml("marker", "m.com", {{path, "Exact", "two", "80"}}));
    REQUIRE(eventually([&] { return get(portico.port(), "m.com", path).status == 200; }));
  };

  // Added later, in a file and under a name that both sort first: still the newer one, at
  // once (no need for a second to pass).
  dir.write("a-later.yaml", ingress_yaml("a-later", "x.com", {{"/", "Prefix", "two", "80"}}));
  marker("/1");
  CHECK(served_by() == "one");

  // An edit of the older one (written to a temporary file and renamed over it, as editors
  // and kubectl-like tools do) keeps its age.
  dir.write("z-first.yaml", ingress_yaml("z-first", "x.com", {{"/", "Prefix", "three", "80"}}));
  CHECK(eventually([&] { return served_by() == "three"; }));

  // Moving the object to another file keeps its age too.
  std::filesystem::rename(dir.path() / "z-first.yaml", dir.path() / "b-moved.yaml");
  marker("/2");
  CHECK(served_by() == "three");

  // Only when it is gone does the other one serve.
  dir.remove("b-moved.yaml");
  CHECK(eventually([&] { return served_by() == "two"; }));
}
