// The pure pieces of Ingress policies: htpasswd hashes, source ranges, CORS origins, and the
// request values that canaries and hashing key on.
#include <boost/beast/http/message.hpp>
#include <catch2/catch.hpp>

#include "proxy/exchange/request_values.hpp"
#include "proxy/policy/cors.hpp"
#include "proxy/policy/htpasswd.hpp"
#include "proxy/policy/source_ranges.hpp"

using namespace portico;
namespace http = boost::beast::http;

TEST_CASE("Htpasswd: the hashes Apache's htpasswd writes", "[policy]") {
  // Made with Debian's htpasswd -B / -m / -s and crypt's SHA-512.
  const auto users = Htpasswd::parse_file(
      "# comment\n"
      "alice:$2y$05$RkYOzHpmt0wkJVN70KNb0e8t9xCpwbu7YDMdRWtI6YCYf300/deWS\r\n"
      "bob:$apr1$A7HU4GMO$JGKD4XL.egmaS8.tlA0c0/\n"
      "carol:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n"
      "\n");
  REQUIRE(users);
  CHECK(users->size() == 3);
  CHECK(users->verify("alice", "wonderland"));
  CHECK_FALSE(users->verify("alice", "Wonderland"));
  CHECK(users->verify("bob", "builder"));
  CHECK_FALSE(users->verify("bob", "builder "));
  CHECK(users->verify("carol", "secret"));
  CHECK_FALSE(users->verify("carol", ""));
  CHECK_FALSE(users->verify("mallory", "secret"));
  CHECK_FALSE(Htpasswd::parse_file("alice:wonderland\n"));  // plain text is refused
  CHECK_FALSE(Htpasswd::parse_file("no colon\n"));
  CHECK_FALSE(Htpasswd::parse_file("\n# nobody\n"));
  CHECK(Htpasswd::parse_map({{"carol", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="}})->verify("carol",
                                                                                    "secret"));
}

TEST_CASE("VerifiedCredentials: Basic headers, remembered per user list", "[policy]") {
  const auto users = *Htpasswd::parse_file("carol:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n");
  const auto others = *Htpasswd::parse_file("dan:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n");
  VerifiedCredentials verified;
  const std::string carol = "Basic Y2Fyb2w6c2VjcmV0";  // carol:secret
  CHECK(verified.check(users, carol));
  CHECK(verified.check(users, "basic Y2Fyb2w6c2VjcmV0"));  // the scheme is caseless
  CHECK_FALSE(verified.check(others, carol));  // remembered for `users` only
  CHECK_FALSE(verified.check(users, "Bearer Y2Fyb2w6c2VjcmV0"));
  CHECK_FALSE(verified.check(users, "Basic Y2Fyb2w6d3Jvbmc="));  // carol:wrong
  CHECK_FALSE(verified.check(users, ""));
}

TEST_CASE("SourceRanges: CIDR blocks of both families", "[policy]") {
  const auto ranges = SourceRanges::parse(" 10.0.0.0/8,192.168.1.7 , 2001:db8::/32");
  REQUIRE(ranges);
  const auto in = [&](const char* address) {
    return ranges->contains(boost::asio::ip::make_address(address));
  };
  CHECK(in("10.255.0.1"));
  CHECK(in("192.168.1.7"));
  CHECK_FALSE(in("192.168.1.8"));
  CHECK(in("2001:db8:1::1"));
  CHECK_FALSE(in("2001:db9::1"));
  CHECK(in("::ffff:10.1.2.3"));  // an IPv4 client on a dual-stack socket
  CHECK_FALSE(in("11.0.0.1"));
  CHECK_FALSE(SourceRanges::parse("10.0.0.0/33"));
  CHECK_FALSE(SourceRanges::parse("10.0.0.0/"));
  CHECK_FALSE(SourceRanges::parse("example.com"));
  CHECK_FALSE(SourceRanges::parse(" , "));
  CHECK(SourceRanges::parse("0.0.0.0/0")->contains(boost::asio::ip::make_address("8.8.8.8")));
}

TEST_CASE("CORS: origins and the headers sent", "[policy]") {
  CHECK(origin_matches("https://blog.com", "https://BLOG.com"));
  CHECK(origin_matches("https://*.blog.com", "https://a.b.blog.com"));
  CHECK_FALSE(origin_matches("https://*.blog.com", "https://blog.com"));
  CHECK_FALSE(origin_matches("https://*.blog.com", "http://a.blog.com"));
  CHECK_FALSE(origin_matches("https://*.blog.com", "https://evilblog.com"));
  CorsPolicy cors;
  cors.origins = {"https://blog.com"};
  ExtraHeaders headers;
  cors.add_headers("https://evil.com", true, headers);
  CHECK(headers.empty());
  cors.add_headers("https://blog.com", false, headers);
  CHECK(headers.size() == 3);  // origin, Vary, credentials: no preflight-only headers
}

TEST_CASE("Request values: cookies, query arguments, canary order", "[policy]") {
  RequestHeader head;
  head.target("/p?a=1&user=alice&flag");
  head.insert(http::field::cookie, "theme=dark; canary=always");
  head.insert(http::field::cookie, "route=abc");
  CHECK(find_cookie(head, "canary") == "always");
  CHECK(find_cookie(head, "route") == "abc");
  CHECK(find_cookie(head, "the") == "");
  CHECK(find_query_argument(head.target(), "user") == "alice");
  CHECK(find_query_argument(head.target(), "flag") == "");
  CHECK(find_query_argument(head.target(), "use") == "");

  LoadBalancer balancer(1);
  Canary canary;
  canary.cookie = "canary";
  CHECK(takes_canary(canary, head, balancer));  // cookie "always"
  canary.header = "X-Canary";
  head.set("X-Canary", "never");
  CHECK_FALSE(takes_canary(canary, head, balancer));  // the header decides first
  canary.header_value = "v2";                        // now only "v2" means anything
  CHECK(takes_canary(canary, head, balancer));        // falls through to the cookie

  // canary-by-header-pattern (when no value is set): found anywhere, case-sensitive, as
  // ngx.re.match; a header that does not match, or is absent, falls through.
  canary.header_value.clear();
  canary.cookie.clear();
  canary.header_pattern =
      std::make_shared<const PathRegex>(*PathRegex::compile("beta|v[0-9]+", RegexStyle::Search));
  head.set("X-Canary", "user-beta-7");
  CHECK(takes_canary(canary, head, balancer));
  head.set("X-Canary", "BETA");
  CHECK_FALSE(takes_canary(canary, head, balancer));
  head.set("X-Canary", "always");  // not a keyword once a pattern is set
  CHECK_FALSE(takes_canary(canary, head, balancer));
  canary.header_pattern =
      std::make_shared<const PathRegex>(*PathRegex::compile(".*", RegexStyle::Search));
  head.erase("X-Canary");
  CHECK_FALSE(takes_canary(canary, head, balancer));
}
