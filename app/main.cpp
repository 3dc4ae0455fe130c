// portico: the ingress controller and proxy. Parses flags, starts the Application, and turns
// SIGTERM/SIGINT into its shutdown sequence.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include "app/application.hpp"
#include "app/migrate.hpp"

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

// `portico explain [flags] URL`: the URL is the argument that starts with http:// or
// https://; the rest are the controller's own flags (--manifests, class settings, ...).
int explain(std::vector<std::string> args) {
  const auto url = std::find_if(args.begin(), args.end(), [](const std::string& arg) {
    return arg.starts_with("http://") || arg.starts_with("https://");
  });
  if (url == args.end()) {
    std::fprintf(stderr, "portico: usage: portico explain --manifests DIR http://host/path\n");
    return 2;
  }
  const std::string target = *url;
  args.erase(url);
  auto options = portico::parse_options(std::move(args));
  if (!options) {
    std::fprintf(stderr, "portico: %s\n", options.error().c_str());
    return 2;
  }
  // Warnings about the manifests go to stderr; the explanation alone to stdout.
  portico::log::configure(options->log_format, options->log_level);
  auto explained = portico::Application::explain(*options, target);
  if (!explained) {
    std::fprintf(stderr, "portico: %s\n", explained.error().c_str());
    return 2;
  }
  std::cout << *explained;
  return 0;
}

// `portico migrate [flags]`: the migration report on stdout (app/migrate.hpp). Exits 1 when
// some Ingress would fail closed, 2 on bad input.
int migrate(std::vector<std::string> args) {
  auto options = portico::parse_options(std::move(args));
  if (!options) {
    std::fprintf(stderr, "portico: %s\n", options.error().c_str());
    return 2;
  }
  // Each problem is in the report: the log would only say it twice.
  portico::log::configure(options->log_format, portico::log::Level::Error);
  auto report = portico::migration_report(*options);
  if (!report) {
    std::fprintf(stderr, "portico: %s\n", report.error().c_str());
    return 2;
  }
  std::cout << report->text;
  return report->fails_closed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the signals before any thread starts, so every thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "explain") {
    return explain(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (!args.empty() && args.front() == "migrate") {
    return migrate(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  auto options = portico::parse_options(std::move(args));
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
