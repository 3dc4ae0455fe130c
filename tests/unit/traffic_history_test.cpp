#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "proxy/admin/traffic_history.hpp"

using namespace portico;
using nlohmann::json;

TEST_CASE("Traffic history: quantiles interpolate within the histogram's buckets",
          "[traffic_history]") {
  DurationHistogram histogram;
  CHECK(histogram_quantile_ms(histogram, 0.5) < 0);  // nothing counted
  for (int i = 0; i < 100; ++i) {
    histogram.observe(0.0015);  // all in (1 ms, 2.5 ms]
  }
  CHECK(histogram_quantile_ms(histogram, 0.5) == Approx(1.75));
  CHECK(histogram_quantile_ms(histogram, 0.99) == Approx(2.485));
  histogram.observe(60);  // beyond the last bound: reported as that bound
  CHECK(histogram_quantile_ms(histogram, 1.0) == Approx(10'000));
}

TEST_CASE("Traffic history: points are differences between samples, aligned in time",
          "[traffic_history]") {
  TrafficHistory history;
  WorkerStats totals;
  totals.count_request("default/blog", "blog.com", 200, 0.002);
  history.add_sample(1000, totals);  // the baseline: no point yet
  CHECK(json::parse(history.to_json())["times"].empty());

  for (int i = 0; i < 9; ++i) {
    totals.count_request("default/blog", "blog.com", 200, 0.002);
  }
  totals.count_request("default/blog", "blog.com", 503, 0.002);
  history.add_sample(1005, totals);
  // A new Ingress appears: its earlier intervals had no request.
  totals.count_request("default/shop", "shop.com", 200, 0.004);
  history.add_sample(1010, totals);

  const json out = json::parse(history.to_json());
  CHECK(out["intervalSeconds"] == 5);
  CHECK(out["times"] == json::array({1005, 1010}));
  const json& blog = out["ingresses"]["default/blog"];
  CHECK(blog["rps"] == json::array({2.0, 0.0}));  // 10 requests in 5 s, then none
  CHECK(blog["errorRatio"][0].get<double>() == Approx(0.1));
  CHECK(blog["errorRatio"][1].is_null());
  CHECK(blog["p50Ms"][0].get<double>() == Approx(1.75));  // ten in (1 ms, 2.5 ms]
  const json& shop = out["ingresses"]["default/shop"];
  CHECK(shop["rps"] == json::array({0.0, 0.2}));
  CHECK(shop["p99Ms"][0].is_null());
  CHECK(out["hosts"]["shop.com"]["rps"] == json::array({0.0, 0.2}));

  for (int i = 0; i < 200; ++i) {
    history.add_sample(1015 + 5 * i, totals);
  }
  const json later = json::parse(history.to_json());
  CHECK(later["times"].size() == TrafficHistory::Points);
  CHECK(later["ingresses"]["default/blog"]["rps"].size() == TrafficHistory::Points);
}
