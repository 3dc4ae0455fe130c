#pragma once
// run_command: runs a real client (curl, nghttp, h2load, the raw HTTP/2 peer) to its end and
// returns what it printed, so tests assert on what a real peer saw. The child is killed when
// it outlives `timeout`.
#include <sys/types.h>

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

// A server a test needs for its whole length (a gRPC server, nghttpd): started with `argv`,
// killed on destruction. Its stdout is read line by line.
class BackgroundCommand {
 public:
  explicit BackgroundCommand(const std::vector<std::string>& argv);
  ~BackgroundCommand();
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;
  // The first line of its output that starts with `prefix` (waits up to 20 s; fails the
  // test when none comes).
  std::string wait_for_line(const std::string& prefix);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string seen_;
};

}  // namespace portico::test
