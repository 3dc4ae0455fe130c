// End to end: HTTP/2 from real clients (curl, nghttp2's h2load, a raw frame peer) through
// Portico to HTTP/1.1 backends. ALPN h2 on the HTTPS listener, h2c with prior knowledge on
// the HTTP listener, many streams on one connection, bodies under flow control with flat
// memory, stream errors for malformed requests, gRPC errors for local replies to gRPC
// clients, and GOAWAY on drain with the streams in flight finished.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/certificates.hpp"
#include "tests/support/checksum.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/command.hpp"
#include "tests/support/h2_peer.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

// HPACK's first byte of a response head whose :status is in the static table (RFC 7541
// Appendix A): what the raw peer reports as a stream's status.
constexpr int Status200 = 0x88;
constexpr int Status400 = 0x8c;

// curl with `args`, its -w output after a newline: the body, then "\n<http_version> <code>".
struct CurlReply {
  std::string body;
  std::string version;
  unsigned status = 0;
};
CurlReply curl(std::vector<std::string> args) {
  std::vector<std::string> argv = {"curl", "-sk", "--max-time",
                                   "20",   "-w",  "\n%{http_version} %{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run_command(argv);
  REQUIRE(result.exit_code == 0);
  const auto last = result.out.rfind('\n');
  REQUIRE(last != std::string::npos);
  CurlReply reply;
  reply.body = result.out.substr(0, last);
  const auto tail = result.out.substr(last + 1);
  reply.version = tail.substr(0, tail.find(' '));
  reply.status = static_cast<unsigned>(std::stoul(tail.substr(tail.find(' ') + 1)));
  return reply;
}

// a.com over TLS (its own certificate) and b.com, both to one echo backend.
struct Http2Site {
  Http2Site() {
    const auto echo = backends.start("echo");
    const auto cert = make_certificate("a.com", {"DNS:a.com"});
    dir.write("site.yaml",
              site_yaml("b", "b.com", "echo", {echo}) + "---\n" +
                  ingress_yaml("a", "a.com", {{"/", "Prefix", "echo", "80"}},
                               "  tls:\n  - hosts: [a.com]\n    secretName: a-tls\n") +
                  "---\n" + tls_secret_yaml("a-tls", cert.certificate_pem, cert.key_pem) + "---\n" +
                  ingress_yaml("nothing", "empty.com", {{"/", "Prefix", "none", "80"}}) + "---\n" +
                  service_yaml("none", {}));
  }
  Backends backends;
  TempDir dir;
};

}  // namespace

TEST_CASE(
    "HTTP/2: curl speaks h2 over TLS (ALPN) and h2c with prior knowledge to HTTP/1.1 backends",
    "[e2e][http2]") {
  Http2Site site;
  Portico portico(site.dir.path(), 1);
  portico.wait_ready();
  const auto https = std::to_string(portico.https_port());
  const auto http = std::to_string(portico.port());

  const auto tls = curl({"--http2", "--resolve", "a.com:" + https + ":127.0.0.1",
                         "https://a.com:" + https + "/hello?x=1"});
  CHECK(tls.version == "2");
  REQUIRE(tls.status == 200);
  const auto seen = json::parse(tls.body);
  CHECK(seen["version"] == 11);  // the backend speaks HTTP/1.1
  CHECK(seen["target"] == "/hello?x=1");
  CHECK(seen["headers"]["Host"] == "a.com:" + https);  // :authority is the Host
  CHECK(seen["headers"]["X-Forwarded-Proto"] == "https");

  const auto h2c =
      curl({"--http2-prior-knowledge", "--resolve", "b.com:" + http + ":127.0.0.1",
            "http://b.com:" + http + "/plain", "-H", "cookie: a=1", "-H", "cookie: b=2"});
  CHECK(h2c.version == "2");
  REQUIRE(h2c.status == 200);
  const auto plain = json::parse(h2c.body);
  CHECK(plain["target"] == "/plain");
  CHECK(plain["headers"]["X-Forwarded-Proto"] == "http");
  CHECK(plain["headers"]["Cookie"] == "a=1; b=2");  // RFC 9113 §8.2.3: joined again

  // A body over h2 reaches the backend whole (no content-length: relayed as chunks).
  const std::string body(3 * 1024 * 1024 + 17, 'q');
  TempDir files;
  files.write("body.bin", body);
  const auto posted =
      curl({"--http2-prior-knowledge", "--resolve", "b.com:" + http + ":127.0.0.1",
            "http://b.com:" + http + "/upload", "-H", "Transfer-Encoding:", "--data-binary",
            "@" + (files.path() / "body.bin").string()});
  REQUIRE(posted.status == 200);
  const auto received = json::parse(posted.body);
  CHECK(received["body_bytes"] == body.size());
  CHECK(received["body_fnv1a"] == fnv1a(body));

  // HTTP/1.1 clients are served as before on both listeners.
  CHECK(curl({"--http1.1", "--resolve", "a.com:" + https + ":127.0.0.1",
              "https://a.com:" + https + "/"})
            .version == "1.1");
  // Plain HTTP to a host served over TLS is redirected, in HTTP/2 too.
  const auto redirected = curl({"--http2-prior-knowledge", "--resolve",
                                "a.com:" + http + ":127.0.0.1", "http://a.com:" + http + "/r"});
  CHECK(redirected.status == 308);

  const auto metrics = get(portico.admin_port(), "localhost", "/metrics").body;
  CHECK(metric(metrics, R"(portico_requests_by_protocol_total{protocol="HTTP/2.0"})") == 4);
  CHECK(metric(metrics, "portico_http2_connections_total") == 4);
}

TEST_CASE("HTTP/2: h2load runs 100 concurrent streams per connection without an error",
          "[e2e][http2]") {
  Http2Site site;
  Portico portico(site.dir.path(), 2);
  portico.wait_ready();
  for (const std::string scheme : {"http", "https"}) {
    const auto port = std::to_string(scheme == "http" ? portico.port() : portico.https_port());
    const auto host = scheme == "http" ? "b.com" : "a.com";
    const auto result = run_command({"h2load", "-n", "2000", "-c", "4", "-m", "100", "-H",
                                     std::string(":authority: ") + host,
                                     scheme + "://127.0.0.1:" + port + "/load"});
    INFO(result.out);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("2000 succeeded, 0 failed, 0 errored"));
    CHECK_THAT(result.out, Catch::Contains("status codes: 2000 2xx"));
  }
}

TEST_CASE("HTTP/2: malformed requests are stream errors and the connection serves on",
          "[e2e][http2]") {
  Http2Site site;
  Portico portico(site.dir.path(), 1);
  portico.wait_ready();
  const auto seen = h2_peer({"malformed", std::to_string(portico.port()), "--authority", "b.com"});
  CHECK(seen["goaway"].is_null());
  CHECK(seen["reset"]["1"] == 1);           // connection-specific field: PROTOCOL_ERROR
  CHECK(seen["status"]["3"] == Status400);  // Host other than :authority: 400
  CHECK(seen["status"]["5"] == Status200);  // and the same connection goes on
}

TEST_CASE("HTTP/2: a local reply to a gRPC client is a gRPC error", "[e2e][http2][grpc]") {
  Http2Site site;
  Portico portico(site.dir.path(), 1);
  portico.wait_ready();
  const auto http = std::to_string(portico.port());
  const auto ask = [&](const std::string& host) {
    const auto result =
        run_command({"curl", "-s", "-i", "--http2-prior-knowledge", "--resolve",
                     host + ":" + http + ":127.0.0.1", "-H", "content-type: application/grpc", "-H",
                     "te: trailers", "--data-binary", "",
                     "http://" + host + ":" + http + "/pkg.Service/Method"});
    REQUIRE(result.exit_code == 0);
    return result.out;
  };
  const auto unknown = ask("unknown.com");  // no route: 404, gRPC UNIMPLEMENTED
  CHECK_THAT(unknown, Catch::StartsWith("HTTP/2 200"));
  CHECK_THAT(unknown, Catch::Contains("grpc-status: 12"));
  CHECK_THAT(unknown, Catch::Contains("content-type: application/grpc"));
  const auto empty = ask("empty.com");  // no endpoint: 503, gRPC UNAVAILABLE
  CHECK_THAT(empty, Catch::Contains("grpc-status: 14"));
  CHECK_THAT(empty, Catch::Contains("grpc-message: 503 Service Unavailable"));
}

TEST_CASE("HTTP/2: a 1 GiB upload streams beside small requests on one connection, memory flat",
          "[e2e][http2]") {
  Backends backends;
  TempDir dir;
  dir.write("site.yaml", site_yaml("b", "b.com", "echo", {backends.start("echo")}));
  PorticoProcess portico({"--manifests", dir.path().string(), "--workers", "1"});
  REQUIRE(
      eventually([&] { return get(portico.admin_port(), "localhost", "/readyz").status == 200; }));
  const auto before = portico.resident_bytes();
  const auto seen =
      h2_peer({"upload", std::to_string(portico.http_port()), "1024", "--authority", "b.com"},
              std::chrono::seconds(300));
  INFO(seen.dump());
  CHECK(seen["uploaded"] == 1ull << 30);
  CHECK(seen["upload_ended"] == true);
  CHECK(seen["upload_status"] == Status200);
  CHECK(seen["gets"] == 1024);
  CHECK(seen["gets_ended"] == 1024);  // every small request completed beside the upload
  CHECK(seen["gets_ok"] == 1024);
  // The window bounds what is held per stream: nothing near the upload's size stays resident.
  CHECK(portico.peak_resident_bytes() < before + 32 * 1024 * 1024);
}

TEST_CASE("HTTP/2: a drain sends GOAWAY and the stream in flight finishes", "[e2e][http2]") {
  Backends backends;
  TempDir dir;
  dir.write("site.yaml", site_yaml("b", "b.com", "echo", {backends.start("echo")}));
  auto app = start_application(
      {"--manifests", dir.path().string(), "--workers", "1", "--shutdown-delay", "200ms"});
  REQUIRE(eventually([&] { return get(app->admin_port(), "localhost", "/readyz").status == 200; }));
  json seen;
  std::thread client([&] {
    seen =
        h2_peer({"get", std::to_string(app->http_port()), "/delay/1500", "--authority", "b.com"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  app->request_shutdown(false);
  client.join();
  app->wait();
  CHECK(seen["ended"] == true);
  CHECK(seen["status"] == Status200);
  CHECK(seen["goaway"] == 0);  // NO_ERROR: a graceful end
  CHECK(seen["closed"] == true);
}
