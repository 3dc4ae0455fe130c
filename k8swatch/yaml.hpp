#pragma once
// parse_yaml: YAML text (one or more documents) into JSON values, typed as the Kubernetes YAML
// decoder types them, so every source of objects feeds the decoders the same JSON. Built on
// libyaml's event parser (yaml-cpp 0.7, the first choice, loops forever on a file holding a
// lone ",": the manifest fuzzer found it). Anchors and aliases work; nesting and alias
// expansion are bounded, so no file can exhaust the stack or memory.
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "proxy/common/expected.hpp"

namespace portico::k8s {

// One value per document, in order; an empty document is null. A syntax error is a Failure
// naming the line and column.
Expected<std::vector<nlohmann::json>> parse_yaml(std::string_view text);

}  // namespace portico::k8s
