#pragma once
// PorticoProcess: the real build/bin/portico as a child process, for tests that measure the
// process itself (its memory) apart from the test's own. Listeners on port 0; the ports are
// read from its "listening" log line, so no port is ever guessed. SIGTERM on destruction.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace portico::test {

class PorticoProcess {
 public:
  // Starts the binary with `flags` (plus loopback listeners on port 0) and waits until it
  // reports its listeners; fails the test when it cannot.
  explicit PorticoProcess(std::vector<std::string> flags);
  ~PorticoProcess();
  std::uint16_t http_port() const { return http_; }
  std::uint16_t https_port() const { return https_; }
  std::uint16_t admin_port() const { return admin_; }
  // Resident memory now and at its peak (VmRSS, VmHWM), in bytes.
  std::uint64_t resident_bytes() const;
  std::uint64_t peak_resident_bytes() const;
  // Everything it logged so far.
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int log_fd_ = -1;
  mutable std::string log_;
  std::uint16_t http_ = 0;
  std::uint16_t https_ = 0;
  std::uint16_t admin_ = 0;
};

}  // namespace portico::test
