#include "tests/support/pebble.hpp"

#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <stdexcept>
#include <vector>

#include "tests/support/certificates.hpp"

extern char** environ;

namespace portico::test {
namespace {

pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
            const std::string& log_file) {
  std::vector<char*> argv;
  for (const auto& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<std::string> env_strings(extra_env);
  for (char** e = environ; *e != nullptr; ++e) {
    env_strings.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error(args[0] +
                             " cannot be started (is Debian's pebble installed? "
                             "script/bootstrap installs it)");
  }
  return pid;
}

void terminate(pid_t& pid) {
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    pid = -1;
  }
}

}  // namespace

Pebble::Pebble(PebbleSettings settings)
    : settings_(settings), acme_port_(closed_port()), dns_port_(closed_port()) {
  const auto api = make_certificate("localhost", {"DNS:localhost", "IP:127.0.0.1"});
  dir_.write("cert.pem", api.certificate_pem);
  dir_.write("key.pem", api.key_pem);
  std::string config = R"({"pebble": {"listenAddress": "127.0.0.1:)" + std::to_string(acme_port_) +
                       R"(", "managementListenAddress": "", "certificate": ")" +
                       (dir_.path() / "cert.pem").string() + R"(", "privateKey": ")" +
                       (dir_.path() / "key.pem").string() + R"(", "httpPort": )" +
                       std::to_string(settings_.http_port) +
                       R"(, "tlsPort": 0, "ocspResponderURL": "")";
  if (settings_.certificate_seconds > 0) {
    config += R"(, "certificateValidityPeriod": )" + std::to_string(settings_.certificate_seconds);
  }
  dir_.write("pebble-config.json", config + "}}");
}

Pebble::~Pebble() {
  stop();
}

std::string Pebble::directory_url() const {
  return "https://127.0.0.1:" + std::to_string(acme_port_) + "/dir";
}

std::string Pebble::ca_file() const {
  return (dir_.path() / "cert.pem").string();
}

void Pebble::start() {
  const std::string dns = "127.0.0.1:" + std::to_string(dns_port_);
  dns_ = spawn({"pebble-challtestsrv", "-dns01", dns, "-http01", "", "-https01", "", "-tlsalpn01",
                "", "-management", "127.0.0.1:" + std::to_string(closed_port()), "-defaultIPv4",
                "127.0.0.1", "-defaultIPv6", ""},
               {}, (dir_.path() / "challtestsrv.log").string());
  pebble_ = spawn({"pebble", "-config", (dir_.path() / "pebble-config.json").string(), "-dnsserver",
                   dns, "-strict=false"},
                  {"PEBBLE_VA_NOSLEEP=1", "PEBBLE_AUTHZREUSE=0",
                   "PEBBLE_WFE_NONCEREJECT=" + std::to_string(settings_.nonce_reject_percent)},
                  (dir_.path() / "pebble.log").string());
  httplib::Client client("https://127.0.0.1:" + std::to_string(acme_port_));
  client.set_ca_cert_path(ca_file().c_str());
  client.enable_server_certificate_verification(true);
  const bool up = eventually(
      [&] {
        auto reply = client.Get("/dir");
        return reply && reply->status == 200;
      },
      std::chrono::seconds(10));
  if (!up) {
    throw std::runtime_error("pebble did not answer on " + directory_url() + "; see " +
                             (dir_.path() / "pebble.log").string());
  }
}

void Pebble::stop() {
  terminate(pebble_);
  terminate(dns_);
}

}  // namespace portico::test
