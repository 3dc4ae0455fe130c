#include "config/manifest_documents.hpp"

#include "k8swatch/yaml.hpp"

namespace portico {
namespace {

using nlohmann::json;

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
  auto documents = k8s::parse_yaml(text);
  if (!documents) {
    return fail("not valid YAML: " + documents.error());
  }
  for (std::size_t i = 0; i < documents->size(); ++i) {
    if (!(*documents)[i].is_null()) {
      add_document(out, i, std::move((*documents)[i]));
    }
  }
  return out;
}

}  // namespace portico
