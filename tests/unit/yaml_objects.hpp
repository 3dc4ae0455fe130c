#pragma once
// Builds an ObjectCache from YAML text, through the same parser and decoder as manifest mode.
#include <catch2/catch.hpp>
#include <string>

#include "config/manifest_documents.hpp"
#include "config/object_cache.hpp"
#include "k8swatch/decode.hpp"

namespace portico::test {

inline std::vector<k8s::Object> objects_from(const std::string& yaml) {
  auto documents = parse_manifest(yaml, false);
  REQUIRE(documents.ok());
  std::vector<k8s::Object> objects;
  for (const auto& document : *documents) {
    auto object = k8s::decode_object(document.json);
    INFO((object.ok() ? std::string() : object.error()));
    REQUIRE(object.ok());
    objects.push_back(std::move(*object));
  }
  return objects;
}

inline Expected<k8s::Object> decode_yaml(const std::string& yaml) {
  auto documents = parse_manifest(yaml, false);
  REQUIRE(documents.ok());
  REQUIRE(documents->size() == 1);
  return k8s::decode_object(documents->front().json);
}

}  // namespace portico::test
