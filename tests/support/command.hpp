#pragma once
// run_command: runs a real client (curl, nghttp, h2load, the raw HTTP/2 peer) to its end and
// returns what it printed, so tests assert on what a real peer saw. The child is killed when
// it outlives `timeout`.
#include <chrono>
#include <string>
#include <vector>

namespace portico::test {

struct CommandResult {
  int exit_code = -1;  // -1: killed by a signal (or the timeout)
  std::string out;     // stdout
  std::string err;     // stderr
};

CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::seconds timeout = std::chrono::seconds(60));

}  // namespace portico::test
