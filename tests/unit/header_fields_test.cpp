#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "proxy/exchange/header_fields.hpp"

using namespace portico;
namespace http = boost::beast::http;

namespace {

// Each name's values in order, names lowercased: what both stores must agree on.
template <class Fields>
std::map<std::string, std::vector<std::string>> values_by_name(const Fields& fields) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& field : fields) {
    std::string name(field.name_string());
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    out[name].emplace_back(field.value());
  }
  return out;
}

std::vector<std::string> names_in_order(const HeaderFields& fields) {
  std::vector<std::string> out;
  for (const auto& field : fields) {
    out.emplace_back(field.name_string());
  }
  return out;
}

}  // namespace

TEST_CASE("HeaderFields: fields keep the order they came in and names match in any case",
          "[header_fields]") {
  HeaderFields f;
  f.insert("Host", "blog.example.com");
  f.insert("X-Trace", "a");
  f.insert("accept", "*/*");
  f.insert("x-trace", "b");
  CHECK(names_in_order(f) == std::vector<std::string>{"Host", "X-Trace", "accept", "x-trace"});
  CHECK(f[http::field::accept] == "*/*");
  CHECK(f["ACCEPT"] == "*/*");
  CHECK(f["X-TRACE"] == "a");
  CHECK(f.count("x-Trace") == 2);
  CHECK(f.count(http::field::host) == 1);
  CHECK(f.find("X-Missing") == f.end());
  CHECK(f["X-Missing"].empty());
  CHECK(f.find(http::field::host)->name() == http::field::host);
  CHECK(f.find("x-trace")->name() == http::field::unknown);
}

TEST_CASE("HeaderFields: set replaces a name's fields with one at the end and erase takes them all",
          "[header_fields]") {
  HeaderFields f;
  f.insert("X-A", "1");
  f.insert("X-B", "2");
  f.insert("x-a", "3");
  f.set("X-A", "  4 \t");  // optional whitespace goes, as Beast's did
  CHECK(names_in_order(f) == std::vector<std::string>{"X-B", "X-A"});
  CHECK(f["x-a"] == "4");
  CHECK(f.erase("x-b") == 1);
  CHECK(f.erase("X-B") == 0);
  CHECK(f.erase(http::field::content_length) == 0);
  const auto next = f.erase(f.find("X-A"));
  CHECK(next == f.end());
  CHECK(f.size() == 0);
}

TEST_CASE("HeaderFields: a value copied from the same head survives the store growing",
          "[header_fields]") {
  HeaderFields f;
  f.set("X-Seed", std::string(200, 's'));
  // Each copy lands past the inline room sooner or later, where the store moves.
  for (int i = 0; i < 40; ++i) {
    const auto last = std::prev(f.end());
    f.insert("X-Copy-" + std::to_string(i), last->value());
    f.set(http::field::warning, f["X-Seed"]);
  }
  CHECK(f.count(http::field::warning) == 1);
  CHECK(f[http::field::warning] == std::string(200, 's'));
  CHECK(f["X-Copy-39"] == std::string(200, 's'));
  f.set(f.find("X-Copy-3")->name_string(), "renamed by its own name");
  CHECK(f["x-copy-3"] == "renamed by its own name");
}

TEST_CASE("HeaderFields: a view of a value outlives later inserts, sets and erases",
          "[header_fields]") {
  HeaderFields f;
  f.insert(http::field::host, "blog.example.com");
  const std::string_view host = f[http::field::host];
  for (int i = 0; i < 300; ++i) {  // far past the inline room: several blocks
    f.insert("X-Filler-" + std::to_string(i), std::string(40, 'f'));
  }
  f.set(http::field::host, "other.example.com");
  f.erase("X-Filler-7");
  CHECK(host == "blog.example.com");
  CHECK(f[http::field::host] == "other.example.com");
  const HeaderFields copy = f;  // a copy has text of its own
  f.clear();
  CHECK(copy.size() == 300);
  CHECK(copy[http::field::host] == "other.example.com");
}

TEST_CASE("HeaderFields: a head far past the inline room keeps every field", "[header_fields]") {
  HeaderFields f;
  for (int i = 0; i < 500; ++i) {
    f.insert("X-Field-" + std::to_string(i), std::string(static_cast<std::size_t>(i), 'v'));
  }
  REQUIRE(f.size() == 500);
  int i = 0;
  for (const auto& field : f) {
    CHECK(field.name_string() == "X-Field-" + std::to_string(i));
    CHECK(field.value().size() == static_cast<std::size_t>(i));
    ++i;
  }
  f.clear();
  CHECK(f.size() == 0);
  f.insert(http::field::host, "again");
  CHECK(f[http::field::host] == "again");
}

TEST_CASE("HeaderFields: any mix of insert, set and erase agrees with Beast's basic_fields",
          "[header_fields]") {
  const std::vector<std::string> names{
      "Host", "host", "Cookie", "X-Forwarded-For", "x-forwarded-for", "X-A", "x-a", "Via"};
  std::mt19937 random(20261207);
  for (int round = 0; round < 50; ++round) {
    HeaderFields ours;
    http::fields beasts;
    for (int step = 0; step < 200; ++step) {
      const std::string& name = names[random() % names.size()];
      const std::string value = "v" + std::to_string(random() % 1000);
      switch (random() % 4) {
        case 0:
        case 1:
          ours.insert(name, value);
          beasts.insert(name, value);
          break;
        case 2:
          ours.set(name, value);
          beasts.set(name, value);
          break;
        default:
          CHECK(ours.erase(name) == beasts.erase(name));
      }
      REQUIRE(values_by_name(ours) == values_by_name(beasts));
    }
  }
}

TEST_CASE("HeaderFields: Beast's accessors and serializer work on a head built with it",
          "[header_fields]") {
  http::request<http::empty_body, HeaderFields> request;
  request.method_string("BREW");  // no verb of Beast's
  request.target("/cache?key=1");
  request.version(11);
  request.set(http::field::host, "blog.example.com");
  request.keep_alive(false);
  CHECK(request.method() == http::verb::unknown);
  CHECK(request.method_string() == "BREW");
  CHECK(request.target() == "/cache?key=1");
  CHECK_FALSE(request.keep_alive());
  std::ostringstream request_text;
  request_text << request;
  CHECK(request_text.str() ==
        "BREW /cache?key=1 HTTP/1.1\r\nHost: blog.example.com\r\nConnection: close\r\n\r\n");

  http::response<http::string_body, HeaderFields> response{http::status::not_found, 10};
  response.body() = "gone";
  response.prepare_payload();
  response.keep_alive(true);
  CHECK(response.has_content_length());
  CHECK(response.keep_alive());
  std::ostringstream response_text;
  response_text << response;
  CHECK(response_text.str() ==
        "HTTP/1.0 404 Not Found\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\ngone");

  http::response<http::empty_body, HeaderFields> chunked;
  chunked.chunked(true);
  CHECK(chunked.chunked());
  CHECK(chunked[http::field::transfer_encoding] == "chunked");
  chunked.content_length(7);
  CHECK_FALSE(chunked.chunked());
  CHECK(chunked[http::field::content_length] == "7");
}
