// limit-rpm, limit-connections and limit-allowlist through real sockets: what a client beyond
// its limits gets (503, as ingress-nginx's default), and that the limits are per Ingress and
// per client address, shared by every worker.
#include <catch2/catch.hpp>
#include <thread>

#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;

namespace {

std::string limited_site(const std::string& name, const std::string& host,
                         const std::map<std::string, std::string>& annotations) {
  return ingress_yaml(name, host, {{"/", "Prefix", "app", "80"}}, "",
                      annotations_yaml(annotations)) +
         "---\n";
}

int count_status(std::uint16_t port, const std::string& host, unsigned status, int requests) {
  int seen = 0;
  for (int i = 0; i < requests; ++i) {
    seen += get(port, host, "/").status == status ? 1 : 0;
  }
  return seen;
}

}  // namespace

TEST_CASE("Rate limits: limit-rpm and limit-connections answer 503 beyond them", "[e2e][limits]") {
  Backends backends;
  const auto app = backends.start("app");
  const std::string prefix = "nginx.ingress.kubernetes.io/";
  TempDir dir;
  dir.write("all.yaml", ingress_class_yaml("portico", "portico.dev/ingress-controller", true) +
                            "---\n" + service_yaml("app", {app}) + "---\n" +
                            // 6 a minute with a burst of 6: 7 at once, then one every 10 s.
                            limited_site("rpm", "rpm.com",
                                         {{prefix + "limit-rpm", "6"},
                                          {prefix + "limit-burst-multiplier", "1"}}) +
                            limited_site("allowed", "allowed.com",
                                         {{prefix + "limit-rpm", "6"},
                                          {prefix + "limit-burst-multiplier", "1"},
                                          {prefix + "limit-allowlist", "127.0.0.0/8"}}) +
                            limited_site("one", "one.com", {{prefix + "limit-connections", "1"}}));
  // Two workers: the limits are the replica's, not each worker's.
  Portico portico(dir.path(), 2);
  portico.wait_ready();

  SECTION("requests per minute, per client, with the burst answered at once") {
    CHECK(count_status(portico.port(), "rpm.com", 200, 12) == 7);
    CHECK(get(portico.port(), "rpm.com", "/").status == 503);
    // An allowlisted client is not counted.
    CHECK(count_status(portico.port(), "allowed.com", 200, 12) == 12);
  }

  SECTION("connections: one request in progress at a time") {
    std::thread slow([&] { CHECK(get(portico.port(), "one.com", "/delay/2000").status == 200); });
    // Once the slow request is in progress (its backend has its connection), the next one
    // gets 503 at once.
    REQUIRE(eventually([&] { return backends.server(0).connections_accepted() >= 1; }));
    CHECK(get(portico.port(), "one.com", "/").status == 503);
    slow.join();
    // Its place is free again once the exchange has ended on Portico's side, which may be a
    // moment after the client has read the whole response.
    CHECK(eventually([&] { return get(portico.port(), "one.com", "/").status == 200; }));
  }
}
