#include <catch2/catch.hpp>

#include "app/options.hpp"
#include "proxy/common/read_file.hpp"

using namespace portico;

TEST_CASE("Options: defaults and values", "[options]") {
  const auto o = parse_options({"--manifests", "a", "--manifests=b", "--workers", "3",
                                "--http-listen", "127.0.0.1:8080", "--shutdown-delay", "250ms",
                                "--watch-ingress-without-class", "--log-format", "json"});
  REQUIRE(o.ok());
  CHECK(o->manifests == std::vector<std::string>{"a", "b"});
  CHECK(o->workers == 3);
  CHECK(o->http_listen.port == 8080);
  CHECK(o->admin_listen.port == 10254);
  CHECK(o->shutdown_delay == std::chrono::milliseconds(250));
  CHECK(o->shutdown_timeout == std::chrono::seconds(30));
  CHECK(o->translation.watch_without_class);
  CHECK(o->translation.controller_name == "portico.dev/ingress-controller");
  CHECK(o->log_format == log::Format::Json);
}

TEST_CASE("Options: a bad flag is one clear reason", "[options]") {
  CHECK_THAT(parse_options({"--nope"}).error(), Catch::Contains("unknown flag --nope"));
  CHECK_THAT(parse_options({"--workers", "0"}).error(), Catch::Contains("--workers"));
  CHECK_THAT(parse_options({"--http-listen", "nowhere"}).error(), Catch::Contains("HOST:PORT"));
  CHECK_THAT(parse_options({"--manifests"}).error(), Catch::Contains("needs a value"));
  CHECK_THAT(parse_options({"--shutdown-delay", "5 parsecs"}).error(), Catch::Contains("duration"));
  CHECK_THAT(parse_options({"--publish-service", "no-slash"}).error(),
             Catch::Contains("NAMESPACE/NAME"));
  CHECK_THAT(parse_options({"--default-certificate", "a/b/c"}).error(),
             Catch::Contains("NAMESPACE/NAME"));
  CHECK_THAT(parse_options({"--default-backend-service", "fallback"}).error(),
             Catch::Contains("NAMESPACE/NAME"));
  CHECK_THAT(parse_options({"--manifests", "a", "--kubeconfig", "k"}).error(),
             Catch::Contains("not both"));
}

TEST_CASE("Options: the operator's guide lists every flag", "[options]") {
  const auto guide = read_file(PORTICO_SOURCE_DIR "/docs/operator-guide.md");
  REQUIRE(guide.has_value());
  const std::string help = usage();
  for (std::size_t at = help.find("\n  --"); at != std::string::npos;
       at = help.find("\n  --", at + 1)) {
    const std::string flag = help.substr(at + 3, help.find_first_of(" \n", at + 3) - at - 3);
    INFO(flag);
    CHECK(guide->find(flag + " ") != std::string::npos);
  }
}
