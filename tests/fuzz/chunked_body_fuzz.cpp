// Fuzzes ChunkedDecoder, which frames every chunked body Portico relays, both ways:
// - however the bytes are split across reads, the result is the same (status, data, length);
// - whatever it accepts, Beast's own parser accepts with the same data (differential: the
//   decoder is at least as strict as a mature parser, never looser).
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proxy/http1/chunked_decoder.hpp"

namespace http = boost::beast::http;
using portico::ChunkedDecoder;

namespace {

struct Result {
  ChunkedDecoder::Status status = ChunkedDecoder::Status::NeedMore;
  std::string data;
  std::size_t consumed = 0;
  bool operator==(const Result&) const = default;
};

Result decode(std::string_view body, std::size_t piece) {
  ChunkedDecoder decoder;
  Result out;
  std::string pending;
  for (std::size_t at = 0; at < body.size() && out.status == ChunkedDecoder::Status::NeedMore;
       at += piece) {
    pending += body.substr(at, piece);
    for (;;) {
      const auto step = decoder.feed(pending);
      out.data += step.data;
      out.consumed += step.consumed;
      out.status = step.status;
      pending.erase(0, step.consumed);
      if (step.consumed == 0 || pending.empty() || out.status != ChunkedDecoder::Status::NeedMore) {
        break;
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  const auto piece = input.ConsumeIntegralInRange<std::size_t>(1, 64);
  const std::string body = input.ConsumeRemainingBytesAsString();

  const Result whole = decode(body, body.size() + 1);
  if (decode(body, piece) != whole) {
    std::abort();
  }
  if (whole.status != ChunkedDecoder::Status::Done) {
    return 0;
  }
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  boost::system::error_code ec;
  const std::string message = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                              body.substr(0, whole.consumed);
  parser.put(boost::asio::buffer(message), ec);
  if (ec || !parser.is_done() || parser.get().body() != whole.data) {
    std::abort();
  }
  return 0;
}
