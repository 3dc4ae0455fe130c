// ConnPool: which idle upstream connection a request may reuse. A connection made under one
// proxy-ssl-* profile never serves a request under another (a verified route must not reuse an
// unverified connection), and the worker's keep-alive settings bound what is kept, read live.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "proxy/tls/backend_tls.hpp"
#include "proxy/upstream/conn_pool.hpp"

using namespace portico;

namespace {

const Endpoint Backend{boost::asio::ip::make_address("10.0.0.1"), 8080};

std::shared_ptr<const BackendTls> profile(std::string name) {
  auto made = BackendTls::make("", "", "", {.name = std::move(name), .send_name = true});
  REQUIRE(made);
  return *made;
}

// A worker's pool and settings, and connections to Backend that never connect.
struct Pool {
  boost::asio::io_context io;
  std::int64_t open = 0;  // connections alive
  ProxySettings settings;
  ConnPool pool{settings};

  UpstreamConnectionPtr made_under(std::shared_ptr<const BackendTls> tls = {}) {
    auto connection = std::make_unique<UpstreamConnection>(io.get_executor(), Backend, open);
    connection->tls_profile = std::move(tls);
    return connection;
  }
};

}  // namespace

TEST_CASE_METHOD(Pool, "ConnPool: a connection is reused only under the profile it was made with",
                 "[conn_pool]") {
  const auto verified = profile("a.internal");
  const auto other = profile("b.internal");
  pool.put(made_under(verified));
  // Another profile, or none, finds nothing; the connection stays for its own requests.
  CHECK_FALSE(pool.take(Backend, false, other.get()));
  CHECK_FALSE(pool.take(Backend, false, nullptr));
  CHECK(open == 1);
  const auto reused = pool.take(Backend, false, verified.get());
  REQUIRE(reused);
  CHECK(reused->reused);
  CHECK(reused->tls_profile == verified);
  // Connections idle longer than the idle timeout are closed as they are come upon.
  pool.put(made_under());
  settings.upstream_idle_timeout = std::chrono::milliseconds(-1);  // every one is too old
  CHECK_FALSE(pool.take(Backend, false, nullptr));
  CHECK(open == 1);  // `reused` alone
}

TEST_CASE_METHOD(
    Pool, "ConnPool: upstream keep-alive limits, read from the worker's settings as they change",
    "[conn_pool]") {
  // upstream-keepalive-requests 2: the second answer is the connection's last.
  settings.upstream_max_requests = 2;
  pool.put(made_under());
  auto connection = pool.take(Backend, false);
  REQUIRE(connection);
  pool.put(std::move(connection));
  CHECK_FALSE(pool.take(Backend, false));
  CHECK(open == 0);  // closed, not kept
  // upstream-keepalive-connections 1: one idle connection per endpoint is kept.
  settings.upstream_max_requests = 0;
  settings.max_idle_per_endpoint = 1;
  pool.put(made_under());
  pool.put(made_under());
  CHECK(open == 1);
  // upstream-keepalive-connections 0: none is.
  pool.clear();
  settings.max_idle_per_endpoint = 0;
  pool.put(made_under());
  CHECK(open == 0);
}
