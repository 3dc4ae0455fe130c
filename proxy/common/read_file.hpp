#pragma once
// The whole content of a file, or nothing when it cannot be read. For small files read at
// start-up or on change (manifests, kubeconfig, certificates, tokens), never on the hot path.
#include <optional>
#include <string>

namespace portico {

std::optional<std::string> read_file(const std::string& path);

}  // namespace portico
