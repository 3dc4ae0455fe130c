// End to end: Portico in front of echo backends, over loopback, routing by the Ingress spec
// and answering every local reply of the contract's table.
#include <fcntl.h>
#include <unistd.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

const std::string Class = ingress_class_yaml("portico", "portico.dev/ingress-controller", true);

// A fake upstream that answers every connection with `reply` and closes.
class RawUpstream {
 public:
  explicit RawUpstream(std::string reply)
      : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}), reply_(std::move(reply)) {
    thread_ = std::thread([this] {
      for (;;) {
        boost::system::error_code ec;
        boost::asio::ip::tcp::socket s(io_);
        acceptor_.accept(s, ec);
        if (ec || stopping_) {
          return;
        }
        boost::asio::streambuf request;
        boost::asio::read_until(s, request, "\r\n\r\n", ec);
        boost::asio::write(s, boost::asio::buffer(reply_), ec);
      }
    });
  }
  ~RawUpstream() {
    // accept() blocks in the thread: wake it with one last connection once told to stop.
    stopping_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket poke(io_);
    poke.connect({boost::asio::ip::make_address("127.0.0.1"), port()}, ec);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = acceptor_.local_endpoint().port();
  std::string reply_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("E2E: the blog routes by host and path to its three services", "[e2e]") {
  Backends backends;
  const auto auth = backends.start("auth");
  const auto api = backends.start("api");
  const auto web = backends.start("web");
  TempDir dir;
  dir.write("blog.yaml", Class + "---\n" +
                             ingress_yaml("blog", "blog.example.com",
                                          {{"/auth", "Prefix", "auth", "80"},
                                           {"/api", "Prefix", "api", "http"},
                                           {"/", "Prefix", "web", "80"}}));
  dir.write("services/all.yaml", service_yaml("auth", {auth}) + "---\n" +
                                     service_yaml("api", {api}) + "---\n" +
                                     service_yaml("web", {web}));
  Portico portico(dir.path());
  portico.wait_ready();

  const auto name_at = [&](const std::string& host, const std::string& path) {
    const auto r = get(portico.port(), host, path);
    return r.status == 200 ? r.header("x-echo-name") : std::to_string(r.status);
  };
  CHECK(name_at("blog.example.com", "/auth/login") == "auth");
  CHECK(name_at("blog.example.com", "/api/posts/1") == "api");
  CHECK(name_at("blog.example.com", "/") == "web");
  CHECK(name_at("blog.example.com", "/authors") == "web");   // not the /auth element
  CHECK(name_at("BLOG.Example.com:8080", "/api") == "api");  // case and port ignored
  CHECK(name_at("other.example.com", "/") == "404");

  SECTION("the upstream sees the normalized path and the forwarded headers") {
    const auto r = get(portico.port(), "blog.example.com:1234", "/static/../api/./x?q=1",
                       {{"X-Forwarded-For", "203.0.113.9"},
                        {"X-Forwarded-Proto", "gopher"},
                        {"Connection", "X-Hop"},
                        {"X-Hop", "secret"}});
    REQUIRE(r.status == 200);
    const auto seen = json::parse(r.body);
    CHECK(seen["name"] == "api");
    CHECK(seen["target"] == "/api/x?q=1");
    CHECK(seen["headers"]["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1");
    CHECK(seen["headers"]["X-Forwarded-Proto"] == "http");
    CHECK(seen["headers"]["X-Forwarded-Host"] == "blog.example.com:1234");
    CHECK(seen["headers"]["X-Forwarded-Port"] == std::to_string(portico.port()));
    CHECK_FALSE(seen["headers"].contains("X-Hop"));
    CHECK(r.header("server") == "portico");  // the upstream's Server is replaced
  }
}

TEST_CASE("E2E: local replies 404, 503, 502, 504 and 400", "[e2e]") {
  Backends backends;
  const auto slow = backends.start("slow");
  RawUpstream garbage("HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n");
  RawUpstream cut("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
  TempDir dir;
  dir.write("routes.yaml", Class + "---\n" +
                               ingress_yaml("r", "x.com",
                                            {{"/missing", "Prefix", "no-such-service", "80"},
                                             {"/empty", "Prefix", "empty", "80"},
                                             {"/wrong-port", "Prefix", "slow", "8080"},
                                             {"/refused", "Prefix", "refused", "80"},
                                             {"/slow", "Prefix", "slow", "80"},
                                             {"/garbage", "Prefix", "garbage", "80"},
                                             {"/cut", "Prefix", "cut", "80"}}) +
                               "---\n" + service_yaml("empty", {}) + "---\n" +
                               service_yaml("refused", {closed_port()}) + "---\n" +
                               service_yaml("slow", {slow}) + "---\n" +
                               service_yaml("garbage", {garbage.port()}) + "---\n" +
                               service_yaml("cut", {cut.port()}));
  Portico portico(dir.path(), 2, {"--upstream-response-timeout", "300ms"});
  portico.wait_ready();
  const auto status = [&](const std::string& path) {
    return get(portico.port(), "x.com", path).status;
  };

  CHECK(get(portico.port(), "nowhere.com", "/").status == 404);
  CHECK(status("/missing") == 503);
  CHECK(status("/empty") == 503);
  CHECK(status("/wrong-port") == 503);
  CHECK(status("/refused") == 502);
  CHECK(status("/slow/delay/2000") == 504);
  CHECK(status("/slow/delay/10") == 200);
  CHECK(status("/garbage") == 502);

  SECTION("every local reply carries the Server header and keeps the connection") {
    Connection c(portico.port());
    const auto r = c.get("nowhere.com", "/");
    CHECK(r.status == 404);
    CHECK(r.header("server") == "portico");
    CHECK(c.get("x.com", "/slow").status == 200);
  }
  SECTION("an upstream that closes mid-body closes the client connection") {
    Connection c(portico.port());
    CHECK_THROWS(c.get("x.com", "/cut"));  // a short body is never passed off as complete
  }
  SECTION("a malformed request gets 400 and the connection closed") {
    Connection c(portico.port());
    c.write_raw("GET / HTTP/1.1\r\nHost: x.com\r\nthis line has no colon\r\n\r\n");
    const auto r = c.read_response();
    CHECK(r.status == 400);
    CHECK_FALSE(r.keep_alive);
    CHECK(c.closed_by_peer());
  }
  SECTION("request smuggling vectors are refused with 400 and the connection closed") {
    for (const std::string& head : {
             std::string("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"),
             std::string("Content-Length: 4\r\nContent-Length: 5\r\n"),
             std::string("Content-Length: +4\r\n"),
             std::string("Transfer-Encoding: gzip\r\n"),
             std::string("Transfer-Encoding: chunked, gzip\r\n"),
             std::string("Transfer-Encoding: xchunked\r\n"),
             std::string("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
             std::string("X-Bad : space before the colon\r\n"),
             std::string("X-Bad: bare\rCR\r\n"),
         }) {
      INFO(head);
      Connection c(portico.port());
      c.write_raw("POST /slow HTTP/1.1\r\nHost: x.com\r\n" + head + "\r\n0\r\n\r\n");
      const auto r = c.read_response();
      CHECK(r.status == 400);
      CHECK(c.closed_by_peer());
    }
  }
  SECTION("a bad chunk in a request body is a 400, not a silent close") {
    Connection c(portico.port());
    c.write_raw(
        "POST /slow HTTP/1.1\r\nHost: x.com\r\nTransfer-Encoding: "
        "chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
    CHECK(c.read_response().status == 400);
    CHECK(c.closed_by_peer());
  }
  SECTION("versions other than 1.0 and 1.1, CONNECT and two Hosts are refused") {
    for (const std::string& request :
         {std::string("GET / HTTP/1.2\r\nHost: x.com\r\n\r\n"),
          std::string("GET / HTTP/2.0\r\nHost: x.com\r\n\r\n"),
          std::string("CONNECT x.com:443 HTTP/1.1\r\nHost: x.com:443\r\n\r\n"),
          std::string("GET / HTTP/1.1\r\nHost: x.com\r\nHost: y.com\r\n\r\n")}) {
      INFO(request);
      Connection c(portico.port());
      c.write_raw(request);
      CHECK(c.read_response().status == 400);
    }
  }
  SECTION("an absolute-form target routes by its own host, never elsewhere") {
    Connection c(portico.port());
    c.write_raw("GET http://x.com/slow HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    CHECK(c.read_response().status == 200);
    c.write_raw("GET http://evil.example/ HTTP/1.1\r\nHost: x.com\r\n\r\n");
    CHECK(c.read_response().status == 404);
  }
  SECTION("a header section over 32 KiB gets 431 and the connection closed") {
    Connection c(portico.port());
    c.write_raw("GET / HTTP/1.1\r\nHost: x.com\r\nX-Big: " + std::string(40 * 1024, 'a') +
                "\r\n\r\n");
    CHECK(c.read_response().status == 431);
    CHECK(c.closed_by_peer());
  }
  SECTION("HTTP/1.1 without Host is malformed") {
    Connection c(portico.port());
    c.write_raw("GET / HTTP/1.1\r\n\r\n");
    CHECK(c.read_response().status == 400);
  }
}

TEST_CASE("E2E: a backend's interim responses are dropped and its final one relayed whole",
          "[e2e]") {
  // 103 Early Hints with a field of its own, then 102, then the answer: the client gets the
  // answer alone, with none of the interim heads' fields.
  RawUpstream hints(
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\nX-Interim: 1\r\n\r\n"
      "HTTP/1.1 102 Processing\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Final: yes\r\n\r\nok");
  TempDir dir;
  dir.write("routes.yaml", Class + "---\n" +
                               ingress_yaml("r", "x.com", {{"/", "Prefix", "hints", "80"}}) +
                               "---\n" + service_yaml("hints", {hints.port()}));
  Portico portico(dir.path());
  portico.wait_ready();
  const auto r = get(portico.port(), "x.com", "/");
  CHECK(r.status == 201);
  CHECK(r.body == "ok");
  CHECK(r.header("x-final") == "yes");
  CHECK(r.header("x-interim").empty());
  CHECK(r.header("link").empty());
}

TEST_CASE("E2E: --access-log writes one JSON line per request", "[e2e][accesslog]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write("all.yaml", site_yaml("blog", "blog.com", "echo", {echo}));
  // stderr goes to a file while the requests run.
  const auto log_path = dir.path() / ".stderr";
  const int saved = ::dup(STDERR_FILENO);
  const int file = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(file, STDERR_FILENO);
  {
    Portico portico(dir.path(), 1, {"--access-log"});
    portico.wait_ready();
    Connection c(portico.port());
    CHECK(c.get("blog.com", "/posts/../bytes/1234?x=1").status == 200);
    CHECK(c.get("nowhere.com", "/").status == 404);
  }
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(file);
  std::vector<json> lines;
  std::ifstream in(log_path);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("{")) {
      lines.push_back(json::parse(line));
    }
  }
  REQUIRE(lines.size() == 2);
  const auto& ok = lines[0];
  CHECK(ok["client"] == "127.0.0.1");
  CHECK(ok["host"] == "blog.com");
  CHECK(ok["method"] == "GET");
  CHECK(ok["path"] == "/bytes/1234?x=1");  // as routed and sent upstream
  CHECK(ok["status"] == 200);
  CHECK(ok["bytes"] == 1234);
  CHECK(ok["upstream"] == "127.0.0.1:" + std::to_string(echo));
  CHECK(ok["upstream_time"].get<double>() >= 0);
  CHECK(ok["duration"].get<double>() >= ok["upstream_time"].get<double>());
  CHECK(ok["ingress"] == "default/blog");
  CHECK_FALSE(ok["time"].get<std::string>().empty());
  CHECK(lines[1]["status"] == 404);
  CHECK_FALSE(lines[1].contains("upstream"));
  CHECK(lines[1]["bytes"] == std::string("404 Not Found\n").size());
}

TEST_CASE("E2E: /debug/snapshot shows the live routing table", "[e2e][admin]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write("all.yaml",
            Class + "---\n" +
                ingress_yaml("blog", "blog.com",
                             {{"/api", "Prefix", "echo", "80"}, {"/login", "Exact", "echo", "80"}},
                             "  defaultBackend:\n    service:\n      name: echo\n      port:\n"
                             "        number: 80\n") +
                "---\n" + service_yaml("echo", {echo}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const auto reply = get(portico.admin_port(), "localhost", "/debug/snapshot");
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type") == "application/json");
  const auto snapshot = json::parse(reply.body);
  CHECK(snapshot["generation"] == 1);
  REQUIRE(snapshot["hosts"].size() == 1);
  const auto& host = snapshot["hosts"][0];
  CHECK(host["host"] == "blog.com");
  std::map<std::string, json> rules;
  for (const auto& rule : host["rules"]) {
    rules[rule["path"]] = rule;
  }
  CHECK(rules.at("/login")["pathType"] == "Exact");
  CHECK(rules.at("/api")["pathType"] == "Prefix");
  CHECK(rules.at("/api")["ingress"] == "default/blog");
  CHECK(rules.at("/api")["backend"] == "default/echo:80");
  CHECK(rules.at("/api")["endpoints"] == json::array({"127.0.0.1:" + std::to_string(echo)}));
  CHECK(snapshot["defaultBackend"]["backend"] == "default/echo:80");
}

TEST_CASE("E2E: /debug/explain says where a URL goes and why, as routing does",
          "[e2e][admin]") {
  Backends backends;
  const auto api = backends.start("api");
  const auto v1 = backends.start("v1");
  TempDir dir;
  dir.write("all.yaml",
            Class + "---\n" +
                ingress_yaml("blog", "blog.com",
                             {{"/api", "Prefix", "api", "80"}, {"/login", "Exact", "api", "80"}},
                             "", "  annotations:\n    nginx.ingress.kubernetes.io/server-snippet: x\n"
                                 "    nginx.ingress.kubernetes.io/proxy-read-timeout: \"30\"\n") +
                "---\n" + ingress_yaml("v1", "blog.com", {{"/api/v1", "Prefix", "v1", "80"}}) +
                "---\n" + service_yaml("api", {api}) + "---\n" + service_yaml("v1", {v1}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const auto explain = [&](const std::string& encoded_url) {
    const auto reply = get(portico.admin_port(), "localhost", "/debug/explain?url=" + encoded_url);
    REQUIRE(reply.status == 200);
    return json::parse(reply.body);
  };

  auto e = explain("http%3A%2F%2Fblog.com%2Fapi%2Fv1%2Fusers%3Fpage%3D2");
  CHECK(e["virtualHost"]["rules"] == "blog.com");
  REQUIRE(e["candidates"].size() == 2);
  CHECK(e["candidates"][0]["path"] == "/api/v1");  // the longest Prefix first
  CHECK(e["candidates"][0]["chosen"] == true);
  CHECK(e["candidates"][1]["path"] == "/api");
  CHECK(e["candidates"][1]["chosen"] == false);
  CHECK(e["backend"]["service"] == "default/v1:80");
  CHECK(e["backend"]["endpoints"] == json::array({"127.0.0.1:" + std::to_string(v1)}));
  CHECK(e["route"]["sentUpstreamAs"] == "/api/v1/users?page=2");
  CHECK(e["outcome"] == "proxied to default/v1:80");
  // And that is where the request goes.
  CHECK(get(portico.port(), "blog.com", "/api/v1/users?page=2").header("x-echo-name") == "v1");

  e = explain("http://blog.com/api/posts");
  CHECK(e["backend"]["service"] == "default/api:80");
  std::map<std::string, std::string> verdicts;
  for (const auto& note : e["annotations"]) {
    verdicts[note["annotation"]] = note["verdict"];
  }
  CHECK(verdicts["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "applied");
  CHECK(verdicts["nginx.ingress.kubernetes.io/server-snippet"].starts_with("ignored: snippets"));

  e = explain("http://blog.com/nothing");
  CHECK(e["candidates"].empty());
  CHECK(e["outcome"] == "404: no route");
  CHECK(get(portico.port(), "blog.com", "/nothing").status == 404);

  e = explain("https://other.com/");
  CHECK(e["virtualHost"].is_null());
  CHECK(e["certificate"]["source"] == "self-signed");

  CHECK(get(portico.admin_port(), "localhost", "/debug/explain?url=ftp://x").status == 400);
  CHECK(get(portico.admin_port(), "localhost", "/debug/explain").status == 400);
}

TEST_CASE("E2E: --default-backend-service answers what no rule matches, from its first port",
          "[e2e][routing][ingress-nginx]") {
  Backends backends;
  const auto blog = backends.start("blog");
  const auto fallback = backends.start("fallback");
  const auto second_port = backends.start("second-port");
  TempDir dir;
  // Two ports, the first neither named "http" nor 80: ingress-nginx takes the first.
  const std::string fallback_service =
      "apiVersion: v1\nkind: Service\nmetadata: {name: fallback, namespace: web}\n"
      "spec:\n  ports:\n  - {name: web, port: 8080}\n  - {name: other, port: 9090}\n---\n"
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: fallback-1\n"
      "  namespace: web\n  labels: {kubernetes.io/service-name: fallback}\n"
      "addressType: IPv4\nports:\n- {name: web, port: " +
      std::to_string(fallback) + "}\n- {name: other, port: " + std::to_string(second_port) +
      "}\nendpoints:\n- addresses: [\"127.0.0.1\"]\n";
  dir.write("all.yaml", site_yaml("blog", "blog.com", "blog", {blog}) + "---\n" + fallback_service);
  Portico portico(dir.path(), 1, {"--default-backend-service", "web/fallback"});
  portico.wait_ready();
  CHECK(get(portico.port(), "blog.com", "/").header("x-echo-name") == "blog");
  const auto unmatched = get(portico.port(), "unknown.example", "/anything");
  CHECK(unmatched.status == 200);
  CHECK(unmatched.header("x-echo-name") == "fallback");
  const auto explained = json::parse(
      get(portico.admin_port(), "localhost", "/debug/explain?url=http://unknown.example/").body);
  CHECK_THAT(explained["decision"].get<std::string>(),
             Catch::Contains("--default-backend-service"));

  // An Ingress's own spec.defaultBackend wins over the flag, as in ingress-nginx.
  dir.write("catch-all.yaml",
            ingress_yaml("catch-all", "other.com", {{"/", "Prefix", "blog", "80"}},
                         "  defaultBackend:\n    service:\n      name: blog\n      port:\n"
                         "        number: 80\n"));
  CHECK(eventually([&] {
    return get(portico.port(), "unknown.example", "/").header("x-echo-name") == "blog";
  }));
}

TEST_CASE("E2E: --default-backend-service naming no Service answers 503, not 404",
          "[e2e][routing][ingress-nginx]") {
  Backends backends;
  const auto blog = backends.start("blog");
  TempDir dir;
  dir.write("all.yaml", site_yaml("blog", "blog.com", "blog", {blog}));
  Portico portico(dir.path(), 1, {"--default-backend-service", "web/missing"});
  portico.wait_ready();
  CHECK(get(portico.port(), "unknown.example", "/").status == 503);
  CHECK(get(portico.port(), "blog.com", "/").status == 200);
}
