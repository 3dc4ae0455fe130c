#pragma once
// h2_peer: runs tests/http2/h2_peer.py (the raw HTTP/2 frame client) with `args` and returns
// the JSON it printed: what the server did to the connection and its streams.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/command.hpp"

namespace portico::test {

inline nlohmann::json h2_peer(const std::vector<std::string>& args,
                              std::chrono::seconds timeout = std::chrono::seconds(60)) {
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   PORTICO_SOURCE_DIR "/tests/http2/h2_peer.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run_command(argv, timeout);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.out);
}

}  // namespace portico::test
