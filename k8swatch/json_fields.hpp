#pragma once
// Readers of JSON from the network (the API server, an ACME server) that never throw: any
// field may be missing or of another type, and then reads as empty.
#include <nlohmann/json.hpp>
#include <string>

namespace portico::k8s {

inline std::string string_field(const nlohmann::json& object, const char* key) {
  if (object.is_object()) {
    if (const auto it = object.find(key); it != object.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  return "";
}

inline const nlohmann::json& array_field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json empty = nlohmann::json::array();
  if (object.is_object()) {
    if (const auto it = object.find(key); it != object.end() && it->is_array()) {
      return *it;
    }
  }
  return empty;
}

inline const nlohmann::json& object_field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (object.is_object()) {
    if (const auto it = object.find(key); it != object.end() && it->is_object()) {
      return *it;
    }
  }
  return empty;
}

}  // namespace portico::k8s
