// Fuzzes the routing table against a reference: a linear scan that applies the Ingress v1
// rules as the README's routing section words them. Any disagreement on which rule wins aborts.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "proxy/route/route_table.hpp"

using namespace portico;

namespace {

struct Rule {
  std::string host;  // "", "a.com" or "*.com"
  PathMatch match;
  std::string path;
  std::uint32_t id;
};

std::string_view strip_slashes(std::string_view path) {
  while (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  return path;
}

// Element-wise prefix: "/foo" matches "/foo", "/foo/" and "/foo/bar", not "/foobar".
bool prefix_matches(std::string_view rule, std::string_view path) {
  const auto r = strip_slashes(rule);
  const auto p = strip_slashes(path);
  return r.empty() || p == r || (p.starts_with(r) && p[r.size()] == '/');
}

std::optional<std::uint32_t> reference(const std::vector<Rule>& rules, const std::string& host,
                                       const std::string& path) {
  const auto has_host = [&](const std::string& h) {
    for (const auto& rule : rules) {
      if (rule.host == h) {
        return true;
      }
    }
    return false;
  };
  std::optional<std::string> chosen;
  if (!host.empty() && has_host(host)) {
    chosen = host;
  } else if (const auto dot = host.find('.');
             dot != std::string::npos && dot > 0 && has_host("*." + host.substr(dot + 1))) {
    chosen = "*." + host.substr(dot + 1);
  } else if (has_host("")) {
    chosen = "";
  }
  if (!chosen) {
    return std::nullopt;
  }
  const Rule* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& rule : rules) {  // in insertion order: the first of equals wins
    if (rule.host != *chosen) {
      continue;
    }
    const bool exact = rule.match == PathMatch::Exact;
    if (exact ? rule.path != path : !prefix_matches(rule.path, path)) {
      continue;
    }
    const std::size_t length = exact ? rule.path.size() : strip_slashes(rule.path).size();
    const bool better = best == nullptr || length > best_length ||
                        (length == best_length && exact && best->match != PathMatch::Exact);
    if (better) {
      best = &rule;
      best_length = length;
    }
  }
  return best ? std::optional(best->id) : std::nullopt;
}

std::string small_path(FuzzedDataProvider& input) {
  static constexpr const char* Elements[] = {"", "a", "b", "ab", "a/", "/"};
  std::string path = "/";
  const auto n = input.ConsumeIntegralInRange<int>(0, 4);
  for (int i = 0; i < n; ++i) {
    path += Elements[input.ConsumeIntegralInRange<int>(0, 5)];
    if (input.ConsumeBool()) {
      path += '/';
    }
  }
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  static constexpr const char* Hosts[] = {"", "a.com", "b.a.com", "*.a.com", "*.com", "com"};
  RouteTable table;
  std::vector<Rule> rules;
  // Up to 40 rules over 6 hosts: enough for a host to pass VirtualHost's IndexedFrom, so both
  // its scanned and its indexed lookups are checked.
  const auto count = input.ConsumeIntegralInRange<int>(0, 40);
  for (int i = 0; i < count; ++i) {
    Rule rule{Hosts[input.ConsumeIntegralInRange<int>(0, 5)],
              input.ConsumeBool() ? PathMatch::Exact : PathMatch::Prefix, small_path(input),
              static_cast<std::uint32_t>(i)};
    table.host(rule.host).add(rule.match, rule.path, RouteAction{rule.id, "ns/r", nullptr});
    rules.push_back(std::move(rule));
  }
  static constexpr const char* RequestHosts[] = {"a.com", "b.a.com", "x.a.com", "com", "x.com"};
  const std::string host = RequestHosts[input.ConsumeIntegralInRange<int>(0, 4)];
  const std::string path = small_path(input);
  const auto got = table.match(host, path);
  const auto want = reference(rules, host, path);
  if (want.has_value() != (got.action != nullptr) || (want && got.action->cluster_id != *want)) {
    std::abort();
  }
  return 0;
}
