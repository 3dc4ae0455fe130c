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
    const Endpoint* e = balancer.pick(cluster, LoadBalancer::Clock::now());
    REQUIRE(e != nullptr);
    CHECK(e->port != previous);
    previous = e->port;
    ++seen[e->port];
  }
  CHECK(seen == std::map<std::uint16_t, int>{{1, 10}, {2, 10}, {3, 10}});
  Cluster empty;
  CHECK(balancer.pick(empty, LoadBalancer::Clock::now()) == nullptr);
}

TEST_CASE("Passive health: consecutive connect failures eject, for longer each time", "[lb]") {
  Cluster cluster;
  cluster.id = 0;
  for (std::uint16_t port = 1; port <= 2; ++port) {
    cluster.endpoints.push_back({boost::asio::ip::make_address("10.0.0.1"), port});
  }
  const Endpoint& bad = cluster.endpoints[0];
  LoadBalancer balancer(7);
  auto now = LoadBalancer::Clock::now();
  balancer.report_connect_failure(bad, now);
  CHECK_FALSE(balancer.ejected(bad, now));  // one failure is not a pattern
  balancer.report_connect_failure(bad, now);
  REQUIRE(balancer.ejected(bad, now));
  for (int i = 0; i < 10; ++i) {
    CHECK(balancer.pick(cluster, now)->port == 2);
  }
  // The first ejection lasts a second; the next one two.
  now += std::chrono::milliseconds(1'001);
  CHECK_FALSE(balancer.ejected(bad, now));
  balancer.report_connect_failure(bad, now);
  balancer.report_connect_failure(bad, now);
  CHECK(balancer.ejected(bad, now + std::chrono::milliseconds(1'500)));
  CHECK_FALSE(balancer.ejected(bad, now + std::chrono::milliseconds(2'001)));
  // A successful connect forgives it.
  balancer.report_connect_success(bad);
  CHECK_FALSE(balancer.ejected(bad, now));
}

TEST_CASE("Passive health: the last endpoint is never ejected from use", "[lb]") {
  Cluster cluster;
  cluster.endpoints.push_back({boost::asio::ip::make_address("10.0.0.1"), 1});
  LoadBalancer balancer(7);
  const auto now = LoadBalancer::Clock::now();
  balancer.report_connect_failure(cluster.endpoints[0], now);
  balancer.report_connect_failure(cluster.endpoints[0], now);
  REQUIRE(balancer.ejected(cluster.endpoints[0], now));
  CHECK(balancer.pick(cluster, now) == &cluster.endpoints[0]);
  // A retry leaving the only endpoint comes back to it.
  CHECK(balancer.pick(cluster, now, &cluster.endpoints[0]) == &cluster.endpoints[0]);
}

TEST_CASE("A retry goes to another endpoint when there is one", "[lb]") {
  Cluster cluster;
  for (std::uint16_t port = 1; port <= 3; ++port) {
    cluster.endpoints.push_back({boost::asio::ip::make_address("10.0.0.1"), port});
  }
  LoadBalancer balancer(3);
  const auto now = LoadBalancer::Clock::now();
  for (const auto& leaving : cluster.endpoints) {
    for (int i = 0; i < 6; ++i) {
      CHECK(balancer.pick(cluster, now, &leaving) != &leaving);
    }
  }
}
