// Fuzzes a watch stream as the API server's chunks deliver it: split into lines whatever the
// chunking, each line parsed as an event and its object decoded for every kind.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "k8swatch/decode.hpp"
#include "k8swatch/line_splitter.hpp"

using portico::k8s::Kind;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  const auto cuts = input.ConsumeIntegralInRange<std::size_t>(1, 64);
  const std::string stream = input.ConsumeRemainingBytesAsString();

  // Chunking carries no meaning: any cut gives the lines one cut at the end gives.
  std::vector<std::string> whole;
  portico::k8s::LineSplitter once;
  once.feed(stream, [&](std::string_view line) {
    whole.emplace_back(line);
    return true;
  });
  std::vector<std::string> pieces;
  portico::k8s::LineSplitter chunked;
  const std::size_t step = stream.size() / cuts + 1;
  for (std::size_t at = 0; at < stream.size(); at += step) {
    chunked.feed(std::string_view(stream).substr(at, step), [&](std::string_view line) {
      pieces.emplace_back(line);
      return true;
    });
  }
  if (pieces != whole || chunked.pending() != once.pending()) {
    std::abort();
  }
  for (const auto& line : whole) {
    auto event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!event.is_object() || !event.contains("object")) {
      continue;
    }
    for (const Kind kind :
         {Kind::Ingress, Kind::IngressClass, Kind::Service, Kind::EndpointSlice, Kind::Secret}) {
      (void)portico::k8s::decode_object_of(kind, event["object"]);
    }
  }
  return 0;
}
