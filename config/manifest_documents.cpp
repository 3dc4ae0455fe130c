#include "config/manifest_documents.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <regex>

namespace portico {
namespace {

using nlohmann::json;

// Plain (unquoted) YAML scalars are typed as the Kubernetes YAML decoder types them
// (YAML 1.1 booleans included), so `port: 80` is a number and `"80"` a string.
json plain_scalar(const std::string& s) {
  static const std::regex integer("[-+]?[0-9]+");
  static const std::regex hex("0x[0-9a-fA-F]+");
  static const std::regex real("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return nullptr;
  }
  for (const char* t : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"}) {
    if (s == t) {
      return true;
    }
  }
  for (const char* f :
       {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"}) {
    if (s == f) {
      return false;
    }
  }
  if (std::regex_match(s, integer) || std::regex_match(s, hex)) {
    const bool is_hex = s.starts_with("0x");
    std::int64_t value = 0;
    const char* begin = s.data() + (is_hex ? 2 : (s.front() == '+' ? 1 : 0));
    const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), value, is_hex ? 16 : 10);
    if (ec == std::errc{} && end == s.data() + s.size()) {
      return value;
    }
  }
  if (std::regex_match(s, real)) {
    return std::stod(s);
  }
  return s;
}

json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      // "!" marks a quoted or otherwise non-plain scalar: always a string.
      return node.Tag() == "!" ? json(node.Scalar()) : plain_scalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      json array = json::array();
      for (const auto& item : node) {
        array.push_back(to_json(item));
      }
      return array;
    }
    case YAML::NodeType::Map: {
      json object = json::object();
      for (const auto& entry : node) {
        object[entry.first.as<std::string>()] = to_json(entry.second);
      }
      return object;
    }
    default:
      return nullptr;
  }
}

void add_document(std::vector<ManifestDocument>& out, std::size_t index, json document) {
  const std::string position = "document " + std::to_string(index + 1);
  const auto kind = document.is_object() ? document.find("kind") : document.end();
  const auto items = document.is_object() ? document.find("items") : document.end();
  if (kind != document.end() && *kind == "List" && items != document.end() && items->is_array()) {
    for (std::size_t i = 0; i < items->size(); ++i) {
      out.push_back({position + " item " + std::to_string(i + 1), std::move((*items)[i])});
    }
    return;
  }
  out.push_back({position, std::move(document)});
}

}  // namespace

Expected<std::vector<ManifestDocument>> parse_manifest(const std::string& text, bool is_json) {
  std::vector<ManifestDocument> out;
  if (is_json) {
    json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) {
      return fail("not valid JSON");
    }
    add_document(out, 0, std::move(document));
    return out;
  }
  // yaml-cpp reports syntax errors only by throwing; this is the boundary where that
  // becomes a value.
  try {
    const auto documents = YAML::LoadAll(text);
    for (std::size_t i = 0; i < documents.size(); ++i) {
      if (!documents[i].IsNull()) {
        add_document(out, i, to_json(documents[i]));
      }
    }
  } catch (const YAML::Exception& e) {
    return fail("not valid YAML: " + std::string(e.what()));
  }
  return out;
}

}  // namespace portico
