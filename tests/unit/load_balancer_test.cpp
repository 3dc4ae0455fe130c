#include <catch2/catch.hpp>
#include <map>

#include "proxy/upstream/load_balancer.hpp"

using namespace portico;

TEST_CASE("Round robin visits every endpoint in turn", "[lb]") {
  Cluster cluster;
  cluster.id = 3;
  for (std::uint16_t port = 1; port <= 3; ++port) {
    cluster.endpoints.push_back({boost::asio::ip::make_address("10.0.0.1"), port});
  }
  LoadBalancer balancer(42);
  std::map<std::uint16_t, int> seen;
  std::uint16_t previous = 0;
  for (int i = 0; i < 30; ++i) {
    const Endpoint* e = balancer.pick(cluster);
    REQUIRE(e != nullptr);
    CHECK(e->port != previous);
    previous = e->port;
    ++seen[e->port];
  }
  CHECK(seen == std::map<std::uint16_t, int>{{1, 10}, {2, 10}, {3, 10}});
  Cluster empty;
  CHECK(balancer.pick(empty) == nullptr);
}
