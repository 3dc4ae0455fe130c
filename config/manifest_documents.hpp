#pragma once
// Turns the text of a manifest file into JSON documents, the one shape every object source
// feeds the decoder (so a set of objects routes identically whichever source delivered it).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "proxy/common/expected.hpp"

namespace portico {

struct ManifestDocument {
  std::string position;  // "document 2", or "document 2 item 1" inside a kind: List
  nlohmann::json json;
};

// Parses YAML (several documents) or, for `is_json`, one JSON document. A `kind: List`
// document is expanded into its items. A syntax error fails the whole file: the caller keeps
// serving the file's last good contents (a half-saved edit must not drop routes).
Expected<std::vector<ManifestDocument>> parse_manifest(const std::string& text, bool is_json);

}  // namespace portico
