// Fuzzes what the API server sends, through the watcher's own readers: a watch stream split
// into lines whatever the chunking, each line read as an event of every kind, and the whole
// input read as a list page. Property: none of it ever throws or aborts (an escaping
// exception fails the fuzzer), and a Secret nobody wants never keeps data.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "k8swatch/line_splitter.hpp"
#include "k8swatch/secret_interest.hpp"
#include "k8swatch/watch_event.hpp"

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
  static const portico::k8s::SecretInterest nobody;  // wants no Secret at all
  const auto check_withheld = [](const portico::k8s::Object& object) {
    const auto* secret = std::get_if<portico::k8s::Secret>(&object);
    if (secret != nullptr && (!secret->withheld || !secret->data.empty())) {
      std::abort();
    }
  };
  for (std::size_t k = 0; k < portico::k8s::KindCount; ++k) {
    const Kind kind = static_cast<Kind>(k);
    for (const auto& line : whole) {
      (void)portico::k8s::parse_watch_event(kind, line, nullptr);
      if (const auto event = portico::k8s::parse_watch_event(kind, line, &nobody);
          event && event->object) {
        check_withheld(*event->object);
      }
    }
    (void)portico::k8s::parse_list_page(kind, stream, nullptr);
    if (const auto page = portico::k8s::parse_list_page(kind, stream, &nobody)) {
      for (const auto& object : page->objects) {
        check_withheld(object);
      }
    }
  }
  return 0;
}
