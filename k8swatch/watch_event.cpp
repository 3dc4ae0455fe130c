#include "k8swatch/watch_event.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "k8swatch/decode.hpp"
#include "k8swatch/json_fields.hpp"
#include "k8swatch/secret_interest.hpp"

namespace portico::k8s {
namespace {

using nlohmann::json;

// The cache key an object's metadata names, as key_of() would make it once decoded.
std::string key_in(Kind kind, const json& object) {
  const json& metadata = object_field(object, "metadata");
  const std::string name = string_field(metadata, "name");
  if (name.empty() || is_cluster_scoped(kind)) {
    return name;
  }
  const std::string ns = string_field(metadata, "namespace");
  return (ns.empty() ? std::string("default") : ns) + "/" + name;
}

// Decodes an object of `kind`; a Secret nobody wants is reduced to its name before its data
// is even decoded. A list item need not be an object at all (null, a string): that is left
// to decode_object_of to refuse, as erase() on it would throw.
Expected<Object> decode_wanted(Kind kind, json& object, const SecretInterest* interest) {
  if (kind == Kind::Secret && interest != nullptr && object.is_object() &&
      !interest->wants(key_in(kind, object))) {
    object.erase("data");
    object.erase("stringData");
    auto decoded = decode_object_of(kind, object);
    if (decoded) {
      return Object{withheld(meta_of(*decoded))};
    }
    return decoded;
  }
  return decode_object_of(kind, object);
}

int int_field(const json& object, const char* key) {
  if (object.is_object()) {
    if (const auto it = object.find(key); it != object.end() && it->is_number_integer()) {
      return it->get<int>();
    }
  }
  return 0;
}

}  // namespace

Expected<WatchEvent> parse_watch_event(Kind kind, std::string_view line,
                                       const SecretInterest* interest) {
  json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object()) {
    return fail("not a JSON object");
  }
  const std::string type = string_field(event, "type");
  WatchEvent out;
  const auto& names = WatchEvent::TypeNames;
  const auto known = std::find(names.begin(), names.end(), type);
  if (known == names.end()) {
    return fail(type.empty() ? "no event type"
                             : "unknown event type \"" + type.substr(0, 40) + "\"");
  }
  out.type = static_cast<WatchEvent::Type>(known - names.begin());
  const auto object_it = event.find("object");
  if (object_it == event.end() || !object_it->is_object()) {
    return fail(type + " event without an object");
  }
  json& object = *object_it;
  if (out.type == WatchEvent::Type::Error) {
    out.code = int_field(object, "code");
    out.message = string_field(object, "message");
    return out;
  }
  out.resource_version = string_field(object_field(object, "metadata"), "resourceVersion");
  if (out.type == WatchEvent::Type::Bookmark) {
    return out;
  }
  out.described = describe(object);
  out.key = key_in(kind, object);
  if (out.key.empty()) {
    return fail(type + " event for an object without metadata.name");
  }
  if (out.type == WatchEvent::Type::Deleted) {
    return out;
  }
  auto decoded = decode_wanted(kind, object, interest);
  if (decoded) {
    out.object = std::move(*decoded);
  } else {
    out.invalid = decoded.error();
  }
  return out;
}

Expected<ListPage> parse_list_page(Kind kind, std::string_view body,
                                   const SecretInterest* interest) {
  json list = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!list.is_object() || !list.contains("items")) {
    return fail("the reply is not a list");
  }
  ListPage page;
  const json& metadata = object_field(list, "metadata");
  page.resource_version = string_field(metadata, "resourceVersion");
  page.continue_token = string_field(metadata, "continue");
  auto items = list.find("items");
  if (!items->is_array()) {
    return page;  // "items": null is how an empty list may look
  }
  for (auto& item : *items) {
    auto object = decode_wanted(kind, item, interest);
    if (object) {
      page.objects.push_back(std::move(*object));
    } else {
      page.invalid.push_back({key_in(kind, item), describe(item), object.error()});
    }
    item = nullptr;  // the page's memory goes as its objects are decoded
  }
  return page;
}

}  // namespace portico::k8s
