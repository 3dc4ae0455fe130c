#include "tests/support/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

namespace portico::test {

namespace {

// What posix_spawnp takes: pointers into `args`, then a null.
std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> pointers;
  for (auto& arg : args) {
    pointers.push_back(arg.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  CommandResult result;
  std::vector<std::string> args = argv;
  std::vector<char*> pointers = argv_of(args);
  int out_fds[2];
  int err_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0 || ::pipe2(err_fds, O_CLOEXEC) != 0) {
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fds[1], STDERR_FILENO);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, pointers[0], &actions, nullptr, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_fds[1]);
  ::close(err_fds[1]);
  if (spawned != 0) {
    ::close(out_fds[0]);
    ::close(err_fds[0]);
    result.err = "cannot run " + argv.front();
    return result;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_fds[0], POLLIN, 0}, {err_fds[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_pipes = 2;
  while (open_pipes > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0) {
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP)) != 0) {
        char chunk[4096];
        const auto n = ::read(fds[i].fd, chunk, sizeof chunk);
        if (n <= 0) {
          ::close(fds[i].fd);
          fds[i].fd = -1;
          --open_pipes;
        } else {
          sinks[i]->append(chunk, static_cast<std::size_t>(n));
        }
      }
    }
  }
  for (const auto& fd : fds) {
    if (fd.fd >= 0) {
      ::close(fd.fd);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

BackgroundCommand::BackgroundCommand(const std::vector<std::string>& argv) {
  std::vector<std::string> args = argv;
  std::vector<char*> pointers = argv_of(args);
  int out_fds[2];
  REQUIRE(::pipe2(out_fds, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fds[1], STDOUT_FILENO);
  const int spawned = posix_spawnp(&pid_, pointers[0], &actions, nullptr, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_fds[1]);
  out_fd_ = out_fds[0];
  INFO("cannot run " << argv.front());
  REQUIRE(spawned == 0);
}

BackgroundCommand::~BackgroundCommand() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (out_fd_ >= 0) {
    ::close(out_fd_);
  }
}

std::string BackgroundCommand::wait_for_line(const std::string& prefix) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    for (std::size_t start = 0, end; (end = seen_.find('\n', start)) != std::string::npos;
         start = end + 1) {
      if (seen_.compare(start, prefix.size(), prefix) == 0) {
        return seen_.substr(start, end - start);
      }
    }
    INFO("no line starting with \"" << prefix << "\" in: " << seen_);
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    pollfd ready{out_fd_, POLLIN, 0};
    if (::poll(&ready, 1, 100) > 0) {
      char chunk[4096];
      const auto n = ::read(out_fd_, chunk, sizeof chunk);
      REQUIRE(n > 0);
      seen_.append(chunk, static_cast<std::size_t>(n));
    }
  }
}

}  // namespace portico::test
