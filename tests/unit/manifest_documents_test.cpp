#include <catch2/catch.hpp>

#include "config/manifest_documents.hpp"

using namespace portico;

TEST_CASE("Manifests: YAML documents, List items and JSON", "[manifests]") {
  const auto yaml = parse_manifest(R"(---
# leading separator and comment
kind: Service
metadata: {name: a}
---
---
kind: List
items:
- {kind: Service, metadata: {name: b}}
- {kind: Service, metadata: {name: c}}
)",
                                   false);
  REQUIRE(yaml.ok());
  REQUIRE(yaml->size() == 3);
  CHECK(yaml->at(0).position == "document 1");
  CHECK(yaml->at(2).position == "document 3 item 2");
  CHECK(yaml->at(2).json["metadata"]["name"] == "c");

  const auto json = parse_manifest(R"({"kind": "List", "items": [{"kind": "Service"}]})", true);
  REQUIRE(json.ok());
  CHECK(json->size() == 1);
}

TEST_CASE("Manifests: plain scalars are typed as Kubernetes types them, quoted ones are strings",
          "[manifests]") {
  const auto docs = parse_manifest(R"(
number: 80
quoted: "80"
hex: 0x1F
real: 1.5
yes_bool: yes
true_bool: true
quoted_bool: "true"
nothing: ~
text: hello world
version: 1.2.3
signed: +2.5e1
huge: 60851700E296902394475170342969023944308
)",
                                   false);
  REQUIRE(docs.ok());
  const auto& j = docs->at(0).json;
  CHECK(j["number"].is_number_integer());
  CHECK(j["number"] == 80);
  CHECK(j["quoted"] == "80");
  CHECK(j["hex"] == 31);
  CHECK(j["real"] == 1.5);
  CHECK(j["yes_bool"] == true);
  CHECK(j["true_bool"] == true);
  CHECK(j["quoted_bool"] == "true");
  CHECK(j["nothing"].is_null());
  CHECK(j["text"] == "hello world");
  CHECK(j["version"] == "1.2.3");
  CHECK(j["signed"] == 25.0);
  CHECK(j["huge"] == "60851700E296902394475170342969023944308");  // beyond a double: text
}

TEST_CASE("Manifests: a syntax error fails the whole file with a reason", "[manifests]") {
  const auto broken = parse_manifest("kind: Service\nmetadata: {name: [unclosed\n", false);
  REQUIRE_FALSE(broken.ok());
  CHECK_THAT(broken.error(), Catch::Contains("not valid YAML"));
  CHECK_FALSE(parse_manifest("{\"kind\": ", true).ok());
}

TEST_CASE("Manifests: inputs that broke YAML parsers fail fast with a reason", "[manifests]") {
  // yaml-cpp 0.7 never returned from a file holding a lone "," (found by the manifest fuzzer).
  for (const std::string text : {",", ", a", "---\n,\n", "a: [1,\n"}) {
    INFO(text);
    CHECK_FALSE(parse_manifest(text, false).ok());
  }
  std::string deep(500, '[');
  CHECK_THAT(parse_manifest(deep + std::string(500, ']'), false).error(),
             Catch::Contains("deeper"));
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    laughs += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) {
      laughs += std::string(i ? ", *" : "*") + static_cast<char>(c - 1);
    }
    laughs += "]\n";
  }
  CHECK_THAT(parse_manifest(laughs, false).error(), Catch::Contains("too many nodes"));
}

TEST_CASE("Manifests: anchors and aliases, tags and quoting", "[manifests]") {
  const auto docs = parse_manifest(R"(
base: &labels {app: blog, tier: "1"}
copy: *labels
port: !!str 80
plain: 80
)",
                                   false);
  REQUIRE(docs.ok());
  const auto& json = docs->at(0).json;
  CHECK(json["copy"] == json["base"]);
  CHECK(json["base"]["tier"] == "1");
  CHECK(json["port"] == "80");
  CHECK(json["plain"] == 80);
}
