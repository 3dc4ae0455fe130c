#include <catch2/catch.hpp>

#include "config/snapshot_builder.hpp"
#include "tests/support/harness.hpp"
#include "tests/unit/yaml_objects.hpp"

using namespace portico;
using namespace portico::test;

namespace {

std::string world(std::uint16_t api_port, std::uint16_t web_port) {
  return ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
         ingress_yaml("site", "x.com",
                      {{"/api", "Prefix", "api", "80"}, {"/", "Prefix", "web", "80"}}) +
         "---\n" + service_yaml("api", {api_port}) + "---\n" + service_yaml("web", {web_port});
}

std::uint16_t port_for(const Snapshot& s, const char* path) {
  const auto m = s.routes->match("x.com", path);
  REQUIRE(m.action != nullptr);
  const Cluster* cluster = s.clusters->find(m.action->cluster_id);
  REQUIRE(cluster != nullptr);
  REQUIRE(cluster->endpoints.size() == 1);
  return cluster->endpoints[0].port;
}

}  // namespace

TEST_CASE("Snapshot builder: an endpoint change rebuilds only that Service's cluster",
          "[snapshot]") {
  ObjectCache cache;
  SnapshotBuilder builder({}, {TlsContext::self_signed(), ""});
  const auto first = builder.build(cache, cache.replace_all(objects_from(world(1001, 2001)), 0));
  REQUIRE(first);
  CHECK(first->generation == 1);
  CHECK(port_for(*first, "/api") == 1001);

  const auto second = builder.build(cache, cache.replace_all(objects_from(world(1002, 2001)), 0));
  REQUIRE(second);
  CHECK(second->generation == 2);
  CHECK(port_for(*second, "/api") == 1002);
  // Structural sharing: the route table and the untouched cluster are the same objects.
  CHECK(second->routes == first->routes);
  const auto web_id = first->routes->match("x.com", "/").action->cluster_id;
  const auto api_id = first->routes->match("x.com", "/api").action->cluster_id;
  CHECK(second->clusters->at(web_id) == first->clusters->at(web_id));
  CHECK(second->clusters->at(api_id) != first->clusters->at(api_id));
  // The first snapshot is untouched: requests pinned to it keep their endpoints.
  CHECK(port_for(*first, "/api") == 1001);
}

TEST_CASE("Snapshot builder: nothing visible changed, nothing published", "[snapshot]") {
  ObjectCache cache;
  SnapshotBuilder builder({}, {TlsContext::self_signed(), ""});
  REQUIRE(builder.build(cache, cache.replace_all(objects_from(world(1001, 2001)), 0)));
  CHECK_FALSE(builder.build(cache, cache.replace_all(objects_from(world(1001, 2001)), 0)));
  // A Service no route uses changes: still nothing for the workers.
  const auto unrelated = world(1001, 2001) + "---\n" + service_yaml("unused", {3001});
  CHECK_FALSE(builder.build(cache, cache.replace_all(objects_from(unrelated), 0)));
}

TEST_CASE("Snapshot builder: an Ingress change keeps cluster ids and unchanged clusters",
          "[snapshot]") {
  ObjectCache cache;
  SnapshotBuilder builder({}, {TlsContext::self_signed(), ""});
  const auto first = builder.build(cache, cache.replace_all(objects_from(world(1001, 2001)), 0));
  const std::string edited =
      world(1001, 2001) + "---\n" + ingress_yaml("more", "y.com", {{"/", "Prefix", "web", "80"}});
  const auto second = builder.build(cache, cache.replace_all(objects_from(edited), 0));
  REQUIRE(second);
  CHECK(second->routes != first->routes);
  const auto web_id = first->routes->match("x.com", "/").action->cluster_id;
  CHECK(second->routes->match("y.com", "/").action->cluster_id == web_id);
  CHECK(second->clusters->at(web_id) == first->clusters->at(web_id));
}
