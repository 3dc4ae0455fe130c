#pragma once
// The decoders' shared readers of API object fields (decode.cpp for the core and networking
// kinds, decode_gateway.cpp for Gateway API). Each checks one field the way the API server's
// validation does and reports the first problem as a Failure naming the field's path.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "k8swatch/resources.hpp"
#include "proxy/common/expected.hpp"

namespace portico::k8s::fields {

using nlohmann::json;

// A field problem travels up as a Failure naming the field; the first one found wins.
using Check = std::optional<Failure>;

Failure field_error(const std::string& path, const std::string& reason);
// The member `name` of an object, or null when absent, null, or `object` is not an object.
const json* member(const json& object, const char* name);

Check read_string(const json& object, const char* name, const std::string& path, std::string& out);
Check read_int32(const json& object, const char* name, const std::string& path,
                 std::optional<std::int32_t>& out);
Check read_bool(const json& object, const char* name, const std::string& path,
                std::optional<bool>& out);
Check read_string_map(const json& object, const char* name, const std::string& path,
                      std::map<std::string, std::string>& out);

// Visits each element of an optional list; `null`, absent and [] are all "no elements".
template <class Visit>
Check each(const json& object, const char* name, const std::string& path, Visit visit) {
  const json* value = member(object, name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_array()) {
    return field_error(path + "." + name, "must be a list");
  }
  for (std::size_t i = 0; i < value->size(); ++i) {
    if (Check c = visit((*value)[i], path + "." + name + "[" + std::to_string(i) + "]")) {
      return c;
    }
  }
  return std::nullopt;
}

bool is_dns_label(std::string_view s, std::size_t max);
bool is_dns_subdomain(std::string_view s);
// IANA_SVC_NAME: at most 15 characters, lowercase letters, digits and '-', with a letter.
bool is_port_name(std::string_view s);
// A lowercase DNS name, optionally starting with "*.", and not an IP address.
Check check_host(const std::string& host, const std::string& path);
Check decode_meta(const json& document, ObjectMeta& meta);

}  // namespace portico::k8s::fields
