// Fuzzes manifest files: YAML or JSON text, every document decoded as the object it claims to
// be. A bad file must be a Failure with a reason, never a crash.
#include <cstdint>
#include <string>

#include "config/manifest_documents.hpp"
#include "k8swatch/decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  // The first byte picks the syntax, as the file extension would.
  const bool is_json = data[0] % 2 == 1;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto documents = portico::parse_manifest(text, is_json);
  if (!documents) {
    return 0;
  }
  for (const auto& document : *documents) {
    (void)portico::k8s::decode_object(document.json);
  }
  return 0;
}
