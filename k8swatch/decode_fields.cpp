#include "k8swatch/decode_fields.hpp"

namespace portico::k8s::fields {

Failure field_error(const std::string& path, const std::string& reason) {
  return Failure{path + ": " + reason};
}

const json* member(const json& object, const char* name) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

Check read_string(const json& object, const char* name, const std::string& path, std::string& out) {
  const json* value = member(object, name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    return field_error(path + "." + name, "must be a string");
  }
  out = value->get_ref<const std::string&>();
  return std::nullopt;
}

Check read_int32(const json& object, const char* name, const std::string& path,
                 std::optional<std::int32_t>& out) {
  const json* value = member(object, name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_number_integer()) {
    return field_error(path + "." + name, "must be an integer");
  }
  const auto n = value->get<std::int64_t>();
  if (n < INT32_MIN || n > INT32_MAX) {
    return field_error(path + "." + name, "out of range");
  }
  out = static_cast<std::int32_t>(n);
  return std::nullopt;
}

Check read_bool(const json& object, const char* name, const std::string& path,
                std::optional<bool>& out) {
  const json* value = member(object, name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_boolean()) {
    return field_error(path + "." + name, "must be true or false");
  }
  out = value->get<bool>();
  return std::nullopt;
}

Check read_string_map(const json& object, const char* name, const std::string& path,
                      std::map<std::string, std::string>& out) {
  const json* value = member(object, name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_object()) {
    return field_error(path + "." + name, "must be a map of strings");
  }
  for (const auto& [key, item] : value->items()) {
    if (!item.is_string()) {
      return field_error(path + "." + name + "." + key, "must be a string");
    }
    out[key] = item.get_ref<const std::string&>();
  }
  return std::nullopt;
}

bool is_dns_label(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max || s.front() == '-' || s.back() == '-') {
    return false;
  }
  for (const char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

bool is_dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  while (!s.empty()) {
    const auto dot = s.find('.');
    if (!is_dns_label(s.substr(0, dot), 63)) {
      return false;
    }
    s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    if (dot != std::string_view::npos && s.empty()) {
      return false;
    }
  }
  return true;
}

namespace {

bool looks_like_ip(std::string_view s) {
  return s.find_first_not_of("0123456789.") == std::string_view::npos ||
         s.find(':') != std::string_view::npos;
}

}  // namespace

bool is_port_name(std::string_view s) {
  return is_dns_label(s, 15) && s.find("--") == std::string_view::npos &&
         s.find_first_of("abcdefghijklmnopqrstuvwxyz") != std::string_view::npos;
}

Check check_host(const std::string& host, const std::string& path) {
  if (looks_like_ip(host)) {
    return field_error(path, "must be a DNS name, not an IP address: \"" + host + "\"");
  }
  const std::string_view name = host.starts_with("*.") ? std::string_view(host).substr(2) : host;
  if (!is_dns_subdomain(name)) {
    return field_error(path, "\"" + host +
                                 "\" is not a valid host: lowercase DNS name, optionally "
                                 "starting with \"*.\"");
  }
  return std::nullopt;
}

Check decode_meta(const json& document, ObjectMeta& meta) {
  const json* metadata = member(document, "metadata");
  if (metadata == nullptr || !metadata->is_object()) {
    return field_error("metadata", "required");
  }
  Check c = read_string(*metadata, "name", "metadata", meta.name);
  if (!c && meta.name.empty()) {
    c = field_error("metadata.name", "required");
  }
  if (!c)
    c = read_string(*metadata, "namespace", "metadata", meta.namespace_);
  if (!c)
    c = read_string(*metadata, "creationTimestamp", "metadata", meta.creation_timestamp);
  if (!c)
    c = read_string(*metadata, "resourceVersion", "metadata", meta.resource_version);
  if (!c) {
    std::optional<std::int32_t> generation;  // int32 is plenty for a spec's edit count
    c = read_int32(*metadata, "generation", "metadata", generation);
    meta.generation = generation.value_or(0);
  }
  if (!c)
    c = read_string_map(*metadata, "labels", "metadata", meta.labels);
  if (!c)
    c = read_string_map(*metadata, "annotations", "metadata", meta.annotations);
  return c;
}

}  // namespace portico::k8s::fields
