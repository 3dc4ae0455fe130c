#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <regex>

namespace portico::test {
namespace {

std::uint64_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(field + ":")) {
      return std::stoull(line.substr(field.size() + 1)) * 1024;
    }
  }
  return 0;
}

}  // namespace

PorticoProcess::PorticoProcess(std::vector<std::string> flags) {
  for (const char* listener : {"--http-listen", "--https-listen", "--admin-listen"}) {
    flags.insert(flags.end(), {listener, "127.0.0.1:0"});
  }
  flags.insert(flags.begin(), PORTICO_BINARY);
  std::vector<char*> argv;
  for (auto& flag : flags) {
    argv.push_back(flag.data());
  }
  argv.push_back(nullptr);
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  const int spawned = posix_spawn(&pid_, PORTICO_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  log_fd_ = pipe_fds[0];
  REQUIRE(spawned == 0);
  const std::regex listening(R"(listening http=[^ ]*:(\d+) https=[^ ]*:(\d+) admin=[^ ]*:(\d+))");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::smatch found;
  std::string seen;
  while (!std::regex_search(seen = log(), found, listening)) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    pollfd wait{log_fd_, POLLIN, 0};
    ::poll(&wait, 1, 100);
  }
  http_ = static_cast<std::uint16_t>(std::stoi(found[1]));
  https_ = static_cast<std::uint16_t>(std::stoi(found[2]));
  admin_ = static_cast<std::uint16_t>(std::stoi(found[3]));
}

PorticoProcess::~PorticoProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGINT);  // a second signal's meaning: skip the shutdown delay
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (log_fd_ >= 0) {
    ::close(log_fd_);
  }
}

std::string PorticoProcess::log() const {
  char chunk[4096];
  for (;;) {
    pollfd ready{log_fd_, POLLIN, 0};
    if (::poll(&ready, 1, 0) <= 0 || (ready.revents & (POLLIN | POLLHUP)) == 0) {
      break;
    }
    const auto n = ::read(log_fd_, chunk, sizeof chunk);
    if (n <= 0) {
      break;
    }
    log_.append(chunk, static_cast<std::size_t>(n));
  }
  return log_;
}

std::uint64_t PorticoProcess::resident_bytes() const {
  return status_kib(pid_, "VmRSS");
}

std::uint64_t PorticoProcess::peak_resident_bytes() const {
  return status_kib(pid_, "VmHWM");
}

}  // namespace portico::test
