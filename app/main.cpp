// portico: the ingress controller and proxy. Parses flags, starts the Application, and turns
// SIGTERM/SIGINT into its shutdown sequence.
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "app/application.hpp"

namespace {

// Signals are taken synchronously on a thread of their own (sigwait), so no handler code
// runs in signal context.
void watch_signals(portico::Application& app, sigset_t set) {
  std::thread([&app, set] {
    bool first = true;
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) {
        return;
      }
      app.request_shutdown(/*skip_delay=*/!first || signal == SIGINT);
      first = false;
    }
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  // Block the signals before any thread starts, so every thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto options = portico::parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!options) {
    std::fprintf(stderr, "portico: %s\n", options.error().c_str());
    return 2;
  }
  if (options->show_help) {
    std::cout << portico::usage();
    return 0;
  }
  if (options->show_version) {
    std::cout << "portico " << PORTICO_VERSION << "\n";
    return 0;
  }
  portico::log::configure(options->log_format, options->log_level);
  portico::Application app(std::move(*options));
  if (auto failure = app.prepare()) {
    std::fprintf(stderr, "portico: %s\n", failure->message.c_str());
    return failure->exit_code;
  }
  app.start();
  watch_signals(app, set);
  app.wait();
  return 0;
}
