#include <catch2/catch.hpp>

#include "proxy/common/flat_string_map.hpp"
#include "proxy/route/path.hpp"
#include "proxy/route/route_table.hpp"

using namespace portico;

namespace {

constexpr auto Exact = PathMatch::Exact;
constexpr auto Prefix = PathMatch::Prefix;

struct Rule {
  PathMatch match;
  const char* path;
};

// Which rule (by index) serves `request`, or -1. `unrelated` more rules that match none of
// the requests here are added first: with enough of them the host looks paths up through its
// index instead of scanning its rules, and must answer the same.
int matched_rule(const std::vector<Rule>& rules, const char* request, int unrelated = 0) {
  RouteTable table;
  auto& host = table.host("foo.com");
  for (int i = 0; i < unrelated; ++i) {
    const PathMatch match = i % 2 == 0 ? Exact : Prefix;
    host.add(match, "/unrelated-" + std::to_string(i), RouteAction{1000, "ns/other"});
  }
  for (std::size_t i = 0; i < rules.size(); ++i) {
    host.add(rules[i].match, rules[i].path, RouteAction{static_cast<std::uint32_t>(i), "ns/ing"});
  }
  const auto m = table.match("foo.com", request);
  return m.action == nullptr ? -1 : static_cast<int>(m.action->cluster_id);
}

}  // namespace

TEST_CASE("Path matching: the Kubernetes Ingress docs' examples table, row by row", "[route]") {
  struct Row {
    std::vector<Rule> rules;
    const char* request;
    int expected;
  };
  const std::vector<Row> rows = {
      {{{Prefix, "/"}}, "/anything/at/all", 0},
      {{{Exact, "/foo"}}, "/foo", 0},
      {{{Exact, "/foo"}}, "/bar", -1},
      {{{Exact, "/foo"}}, "/foo/", -1},
      {{{Exact, "/foo/"}}, "/foo", -1},
      {{{Prefix, "/foo"}}, "/foo", 0},
      {{{Prefix, "/foo"}}, "/foo/", 0},
      {{{Prefix, "/foo/"}}, "/foo", 0},
      {{{Prefix, "/foo/"}}, "/foo/", 0},
      {{{Prefix, "/aaa/bb"}}, "/aaa/bbb", -1},
      {{{Prefix, "/aaa/bbb"}}, "/aaa/bbb", 0},
      {{{Prefix, "/aaa/bbb/"}}, "/aaa/bbb", 0},
      {{{Prefix, "/aaa/bbb"}}, "/aaa/bbb/", 0},
      {{{Prefix, "/aaa/bbb"}}, "/aaa/bbb/ccc", 0},
      {{{Prefix, "/aaa/bbb"}}, "/aaa/bbbxyz", -1},
      {{{Prefix, "/"}, {Prefix, "/aaa"}}, "/aaa/ccc", 1},
      {{{Prefix, "/"}, {Prefix, "/aaa"}, {Prefix, "/aaa/bbb"}}, "/aaa/bbb", 2},
      {{{Prefix, "/"}, {Prefix, "/aaa"}, {Prefix, "/aaa/bbb"}}, "/ccc", 0},
      {{{Prefix, "/aaa"}}, "/ccc", -1},
      {{{Prefix, "/foo"}, {Exact, "/foo"}}, "/foo", 1},
  };
  for (const int unrelated : {0, 12}) {
    for (const auto& row : rows) {
      INFO("request " << row.request << " against " << row.rules.size() << " rule(s), first "
                      << row.rules[0].path << ", " << unrelated << " unrelated rules");
      CHECK(matched_rule(row.rules, row.request, unrelated) == row.expected);
    }
  }
}

TEST_CASE("Path matching: longest wins, trailing slash ignored, Exact wins a tie", "[route]") {
  // Exact /foo beats Prefix /foo/ for /foo (equal length once the slash is ignored).
  CHECK(matched_rule({{Prefix, "/foo/"}, {Exact, "/foo"}}, "/foo") == 1);
  // A longer Prefix beats a shorter Exact that does not match the whole path.
  CHECK(matched_rule({{Exact, "/a"}, {Prefix, "/a/b"}}, "/a/b/c") == 1);
  // Paths compare case-sensitively.
  CHECK(matched_rule({{Prefix, "/Foo"}}, "/foo") == -1);
  // Percent-encoded octets are not decoded for matching.
  CHECK(matched_rule({{Prefix, "/a/b"}}, "/a%2Fb") == -1);
}

TEST_CASE("Hosts: exact beats wildcard, wildcard covers one label, no fall-through", "[route]") {
  RouteTable table;
  table.host("a.example.com").add(Prefix, "/only", {1, "ns/exact"});
  table.host("*.example.com").add(Prefix, "/", {2, "ns/wild"});
  table.host("").add(Prefix, "/", {3, "ns/nohost"});

  auto cluster = [&](const char* host, const char* path) {
    const auto m = table.match(host, path);
    return m.action ? static_cast<int>(m.action->cluster_id) : -1;
  };
  CHECK(cluster("a.example.com", "/only/x") == 1);
  // The exact host matched but not its paths: no fall-through to the wildcard or no-host rules.
  CHECK(cluster("a.example.com", "/other") == -1);
  CHECK(cluster("b.example.com", "/x") == 2);
  CHECK(cluster("c.b.example.com", "/x") == 3);  // two extra labels: not the wildcard
  CHECK(cluster("example.com", "/x") == 3);      // zero extra labels: not the wildcard
  CHECK(cluster("elsewhere.org", "/") == 3);

  SECTION("the default backend catches what no rule matches") {
    table.set_default_backend({9, "ns/default"});
    CHECK(cluster("a.example.com", "/other") == 9);
    CHECK(cluster("a.example.com", "/only") == 1);
  }
}

TEST_CASE("Hosts: first rule in keeps a conflict", "[route]") {
  RouteTable table;
  CHECK(table.host("x.com").add(Prefix, "/api", {1, "ns/older"}));
  CHECK_FALSE(table.host("x.com").add(Prefix, "/api/", {2, "ns/newer"}));
  CHECK(table.host("x.com").add(Exact, "/api", {3, "ns/newer"}));
  CHECK(table.match("x.com", "/api/v1").action->cluster_id == 1);
  CHECK(table.match("x.com", "/api").action->cluster_id == 3);
}

TEST_CASE("normalize_host: case, port and trailing dot are ignored", "[route]") {
  std::string scratch;
  CHECK(normalize_host("Blog.Example.COM:8080", scratch) == "blog.example.com");
  CHECK(normalize_host("blog.example.com.", scratch) == "blog.example.com");
  CHECK(normalize_host("blog.example.com", scratch) == "blog.example.com");
  CHECK(normalize_host("[::1]:80", scratch) == "[::1]");
  CHECK(normalize_host("", scratch) == "");
}

TEST_CASE("remove_dot_segments follows RFC 3986 section 5.2.4", "[route]") {
  std::string scratch;
  auto norm = [&](const char* p) { return std::string(remove_dot_segments(p, scratch)); };
  CHECK(norm("/a/../b") == "/b");
  CHECK(norm("/a/./b/") == "/a/b/");
  CHECK(norm("/a/b/c/./../../g") == "/a/g");
  CHECK(norm("/../../x") == "/x");
  CHECK(norm("/a/..") == "/");
  CHECK(norm("/a/.") == "/a/");
  CHECK(norm("/.hidden/..x") == "/.hidden/..x");  // not dot segments
  CHECK(norm("/a/%2e%2e/b") == "/a/%2e%2e/b");    // encoded dots are not decoded
  CHECK(norm("/plain/path") == "/plain/path");
}

TEST_CASE("Regex paths: longest pattern first, anchored, caseless, with captures", "[route]") {
  RouteTable table;
  auto& host = table.host("x.com");
  REQUIRE(*host.add_regex("/", RouteAction{1, "ns/front"}));
  REQUIRE(*host.add_regex("/api(/|$)(.*)", RouteAction{2, "ns/api"}));
  REQUIRE(*host.add_regex("/api/v[0-9]+/(.*)", RouteAction{3, "ns/api-versioned"}));
  CHECK_FALSE(*host.add_regex("/", RouteAction{4, "ns/younger"}));  // the older keeps it
  CHECK_FALSE(host.add_regex("/a(", RouteAction{5, "ns/bad"}));
  REQUIRE(host.add(PathMatch::Exact, "/api/health", RouteAction{6, "ns/exact"}));

  const auto cluster = [&](std::string_view path) {
    return table.match("x.com", path).action->cluster_id;
  };
  CHECK(cluster("/api/v2/users") == 3);  // the longer pattern is tried first
  CHECK(cluster("/API/users") == 2);
  CHECK(cluster("/apiary") == 1);
  CHECK(cluster("/api/health") == 6);  // Exact before any regex
  CHECK(cluster("/x/api/") == 1);      // anchored at the start

  const auto m = table.match("x.com", "/api/users/7");
  REQUIRE(m.captures.count == 3);
  CHECK(m.captures.group("/api/users/7", 2) == "users/7");
  CHECK(substitute_captures("/$2?from=$1&$x", "/api/users/7", m.captures) ==
        "/users/7?from=/&$x");
  CHECK(substitute_captures("/$9", "/api/users/7", m.captures) == "/");
}

TEST_CASE("FlatStringMap: keys found through every growth, absent ones not, first value kept",
          "[route]") {
  FlatStringMap<int> map;
  constexpr int Count = 10'000;
  for (int i = 0; i < Count; ++i) {
    const auto [value, added] = map.try_emplace("host-" + std::to_string(i) + ".example.com", i);
    REQUIRE(added);
    REQUIRE(*value == i);
  }
  CHECK(map.size() == Count);
  int found = 0;
  int absent = 0;
  for (int i = 0; i < Count; ++i) {
    const int* value = map.find("host-" + std::to_string(i) + ".example.com");
    found += value != nullptr && *value == i;
    absent += map.find("host-" + std::to_string(i) + ".example.org") == nullptr;
  }
  CHECK(found == Count);
  CHECK(absent == Count);
  const auto [kept, added] = map.try_emplace("host-7.example.com", -1);
  CHECK_FALSE(added);
  CHECK(*kept == 7);
  int visited = 0;
  map.for_each([&](std::string_view key, int value) {
    visited += key == "host-" + std::to_string(value) + ".example.com";
  });
  CHECK(visited == Count);
  CHECK(FlatStringMap<int>().find("anything") == nullptr);
}

TEST_CASE("Hosts: 10,000 hosts and their wildcards route to their own rules", "[route]") {
  RouteTable table;
  constexpr std::uint32_t Count = 10'000;
  for (std::uint32_t i = 0; i < Count; ++i) {
    table.host("h" + std::to_string(i) + ".example.com").add(Prefix, "/", {i, "ns/exact"});
    table.host("*.t" + std::to_string(i) + ".example.com").add(Prefix, "/", {Count + i, "ns/w"});
  }
  std::uint32_t right = 0;
  for (std::uint32_t i = 0; i < Count; ++i) {
    const auto exact = table.match("h" + std::to_string(i) + ".example.com", "/x");
    const auto wildcard = table.match("a.t" + std::to_string(i) + ".example.com", "/x");
    right += exact.action != nullptr && exact.action->cluster_id == i &&
             wildcard.action != nullptr && wildcard.action->cluster_id == Count + i;
  }
  CHECK(right == Count);
  CHECK(table.match("nope.example.com", "/").action == nullptr);
}
