// End to end: HTTP/2 clients that abuse the protocol, each against a live Portico. The
// offender's connection gets GOAWAY (ENHANCE_YOUR_CALM) and closes, a metric names the
// reason, and a well-behaved client on another connection sees no error.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/command.hpp"
#include "tests/support/h2_peer.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

constexpr int EnhanceYourCalm = 0xb;

struct Attack {
  const char* scenario;
  const char* argument;
  const char* reason;  // the metric's label
};

}  // namespace

TEST_CASE("HTTP/2 abuse: each attack closes only the attacker's connection, with its reason",
          "[e2e][http2][hostile]") {
  Backends backends;
  TempDir dir;
  dir.write("site.yaml", site_yaml("b", "b.com", "echo", {backends.start("echo")}));
  Portico portico(dir.path(), 2, {"--upstream-response-timeout", "1s"});
  portico.wait_ready();
  const auto port = std::to_string(portico.port());
  const Attack attacks[] = {
      {"rapid-reset", "3000", "rapid_reset"},         // CVE-2023-44487
      {"continuation", "200", "continuation_flood"},  // CVE-2024-27316 and kin
      {"settings-flood", "1000", "settings_flood"},
      {"ping-flood", "1000", "ping_flood"},
      {"empty-data", "1000", "empty_frame_flood"},
      {"hpack-bomb", "40", "header_list_too_large"},  // 40 x 4 KB from a 46-byte block
      {"stalled-window", "/bytes/1000000", "window_stalled"},
  };
  for (const auto& attack : attacks) {
    SECTION(attack.scenario) {
      const auto seen = h2_peer({attack.scenario, port, attack.argument, "--authority", "b.com"});
      CHECK(seen["goaway"] == EnhanceYourCalm);
      CHECK(seen["closed"] == true);
      const auto metrics = get(portico.admin_port(), "localhost", "/metrics").body;
      CHECK(metric(metrics, std::string("portico_http2_goaways_total{reason=\"") + attack.reason +
                                "\"}") == 1);
      // Another client, over HTTP/2 and HTTP/1.1, is served as if nothing happened.
      const auto good = run_command({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                     "--http2-prior-knowledge", "-H", "Host: b.com",
                                     "http://127.0.0.1:" + port + "/after"});
      CHECK(good.out == "200");
      CHECK(get(portico.port(), "b.com", "/after").status == 200);
    }
  }
}
