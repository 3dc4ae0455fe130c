#include <catch2/catch.hpp>

#include "k8swatch/secret_interest.hpp"
#include "k8swatch/watch_event.hpp"

using portico::k8s::Kind;

// The API server's list replies are input like any other: an item that is not an object is
// reported as invalid, and the rest of the page still decodes. Found by the watch_stream
// fuzzer, where a null item ended the process while a Secret's data was being withheld.
TEST_CASE("Watch events: a list item that is not an object is invalid, not fatal",
          "[watch_event]") {
  const std::string page_json = R"({"kind":"SecretList","metadata":{"resourceVersion":"6"},
    "items":[{"metadata":{"name":"kept","namespace":"d"},"type":"Opaque","data":{"k":"QUJD"}},
             null, "x", 5,
             {"metadata":{"name":"other","namespace":"d"},"type":"Opaque","data":{"k":"QUJD"}}]})";
  portico::k8s::SecretInterest interest;
  interest.want_only({"d/kept"});
  for (const auto* wanted : {&interest, static_cast<portico::k8s::SecretInterest*>(nullptr)}) {
    const auto page = portico::k8s::parse_list_page(Kind::Secret, page_json, wanted);
    REQUIRE(page);
    CHECK(page->resource_version == "6");
    REQUIRE(page->objects.size() == 2);
    CHECK(page->invalid.size() == 3);
    const auto& kept = std::get<portico::k8s::Secret>(page->objects[0]);
    CHECK_FALSE(kept.withheld);
    CHECK(kept.data.at("k") == "ABC");
    const auto& other = std::get<portico::k8s::Secret>(page->objects[1]);
    CHECK(other.withheld == (wanted != nullptr));
    CHECK(other.data.empty() == (wanted != nullptr));
  }
}

TEST_CASE("Watch events: a Secret event nobody wants keeps no data", "[watch_event]") {
  portico::k8s::SecretInterest nobody;
  const auto event = portico::k8s::parse_watch_event(
      Kind::Secret,
      R"({"type":"ADDED","object":{"metadata":{"name":"s","namespace":"d","resourceVersion":"9"},
          "type":"Opaque","data":{"k":"QUJD"}}})",
      &nobody);
  REQUIRE(event);
  CHECK(event->key == "d/s");
  CHECK(event->resource_version == "9");
  REQUIRE(event->object);
  const auto& secret = std::get<portico::k8s::Secret>(*event->object);
  CHECK(secret.withheld);
  CHECK(secret.data.empty());
  CHECK_FALSE(
      portico::k8s::parse_watch_event(Kind::Secret, R"({"type":"ADDED","object":null})", &nobody));
}
