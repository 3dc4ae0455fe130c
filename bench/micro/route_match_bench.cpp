// How route lookup scales with the table: RouteTable::match at 10, 1,000 and 100,000 rules
// (as many hosts, each with a few paths), for exact hosts, wildcard hosts and deep prefixes.
// Prints nanoseconds per lookup; the goal (issue 5) is flat, and under 200 ns.
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "proxy/route/route_table.hpp"

using namespace portico;

namespace {

struct Probe {
  std::string host;
  std::string path;
};

double nanoseconds_per_lookup(const RouteTable& table, const std::vector<Probe>& probes) {
  constexpr int Rounds = 20;
  std::size_t found = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < Rounds; ++round) {
    for (const auto& probe : probes) {
      found += table.match(probe.host, probe.path).action != nullptr;
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (found == 0) {
    std::printf("(no match: the benchmark is broken)\n");
  }
  return std::chrono::duration<double, std::nano>(elapsed).count() / (Rounds * probes.size());
}

}  // namespace

int main() {
  std::printf("%-10s %14s %14s %14s\n", "rules", "exact ns", "wildcard ns", "deep path ns");
  double first[3] = {};
  double last[3] = {};
  for (const int hosts : {10, 1'000, 100'000}) {
    RouteTable table;
    for (int h = 0; h < hosts; ++h) {
      const std::string name = "service-" + std::to_string(h) + ".example.com";
      auto& exact = table.host(name);
      exact.add(PathMatch::Prefix, "/", {1, "ns/a"});
      exact.add(PathMatch::Prefix, "/api/v1/users", {2, "ns/a"});
      exact.add(PathMatch::Exact, "/healthz", {3, "ns/a"});
      table.host("*.tenant-" + std::to_string(h) + ".example.org")
          .add(PathMatch::Prefix, "/", {4, "ns/b"});
    }
    std::mt19937 random(42);
    std::vector<Probe> exact, wildcard, deep;
    for (int i = 0; i < 100'000; ++i) {
      const auto h = std::to_string(random() % hosts);
      exact.push_back({"service-" + h + ".example.com", "/index.html"});
      wildcard.push_back({"shop.tenant-" + h + ".example.org", "/cart"});
      deep.push_back({"service-" + h + ".example.com", "/api/v1/users/42/orders/7/items"});
    }
    const double measured[3] = {nanoseconds_per_lookup(table, exact),
                                nanoseconds_per_lookup(table, wildcard),
                                nanoseconds_per_lookup(table, deep)};
    std::printf("%-10d %14.1f %14.1f %14.1f\n", hosts * 4, measured[0], measured[1], measured[2]);
    for (int column = 0; column < 3; ++column) {
      if (first[column] == 0) {
        first[column] = measured[column];
      }
      last[column] = measured[column];
    }
  }
  // Goal 5 of issue 5: within 2x of each other, and at most 200 ns.
  std::printf("%-10s %13.1fx %13.1fx %13.1fx\n", "largest/smallest", last[0] / first[0],
              last[1] / first[1], last[2] / first[2]);
}
