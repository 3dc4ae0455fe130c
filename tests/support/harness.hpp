#pragma once
// Test harness: a temporary manifest directory, echo backends and a Portico Application, all
// in this process and all over real loopback sockets (port 0 everywhere). Also YAML builders
// for the objects tests write, and polling with a deadline (tests never sleep to wait).
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/application.hpp"
#include "k8swatch/leader_election.hpp"
#include "tests/echo/echo_server.hpp"

namespace portico::test {

// Polls `condition` until it holds or `timeout` passes; returns whether it held.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

// client-go's leader-election timings scaled down to `lease` (renew deadline 2/3 of it, retry
// every 1/15), for the Lease "portico-leader" in namespace default.
k8s::LeaseSettings short_lease(const char* identity, std::chrono::milliseconds lease);

// A loopback port nothing listens on now (connecting to it is refused), for a server a test
// must name before it starts. Picked at random outside the kernel's ephemeral range, so no
// socket's source port takes it meanwhile (tests run in parallel), and checked free.
std::uint16_t closed_port();

// The value of one sample line ("name{labels} value") in Prometheus text, or -1 if absent.
double metric(const std::string& metrics_text, const std::string& sample);
// A loopback port nothing listens on now, for a server that takes its port on the command line
// (openssl s_server).
std::uint16_t unused_port();

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  // Writes atomically (write + rename), as editors and kubectl-like tools do.
  void write(const std::string& name, const std::string& text) const;
  void remove(const std::string& name) const;

 private:
  std::filesystem::path path_;
};

// Echo backends on one io_context thread.
class Backends {
 public:
  Backends();
  ~Backends();
  std::uint16_t start(const std::string& name);
  const echo::EchoServer& server(std::size_t i) const { return *servers_.at(i); }
  echo::EchoServer& server(std::size_t i) { return *servers_.at(i); }

 private:
  boost::asio::io_context io_;
  std::vector<std::unique_ptr<echo::EchoServer>> servers_;
  std::thread thread_;
  bool running_ = false;
};

// Starts an Application with `flags` plus loopback listeners on free ports (and no shutdown
// delay, unless `flags` sets one); fails the test when it cannot start.
std::unique_ptr<Application> start_application(std::vector<std::string> flags);

// A running Portico on 127.0.0.1 with the given manifest directory.
class Portico {
 public:
  explicit Portico(const std::filesystem::path& manifests, unsigned workers = 2,
                   std::vector<std::string> extra_flags = {});
  ~Portico();
  std::uint16_t port() const { return app_->http_port(); }
  std::uint16_t https_port() const { return app_->https_port(); }
  std::uint16_t admin_port() const { return app_->admin_port(); }
  Application& app() { return *app_; }
  // Waits until /readyz answers 200.
  void wait_ready() const;

 private:
  std::unique_ptr<Application> app_;
};

// --- YAML builders ---
struct PathRule {
  std::string path;
  std::string type;  // Exact, Prefix or ImplementationSpecific
  std::string service;
  std::string port;  // a number, or a port name
};
std::string ingress_class_yaml(const std::string& name, const std::string& controller,
                               bool is_default = false);
// Metadata lines giving an object these annotations (ingress_yaml's `metadata_extra`).
std::string annotations_yaml(const std::map<std::string, std::string>& annotations);
std::string ingress_yaml(const std::string& name, const std::string& host,
                         const std::vector<PathRule>& paths, const std::string& extra_spec = "",
                         const std::string& metadata_extra = "");
// Ingress `name` sending every path of `host` to port 80 of `service` (or `paths`), with these
// annotations and `extra_spec` lines (spec.tls), then "---".
std::string annotated_ingress_yaml(const std::string& name, const std::string& host,
                                   const std::string& service,
                                   const std::map<std::string, std::string>& annotations,
                                   const std::vector<PathRule>& paths = {},
                                   const std::string& extra_spec = "");
// A Service with one port (name "http", port 80) and, for each of `ports`, a slice with one
// ready endpoint at 127.0.0.1 on that port. No ports: a Service without endpoints.
std::string service_yaml(const std::string& name, const std::vector<std::uint16_t>& ports);
// The manifests most tests start from: our default IngressClass, and Ingress `name` sending
// every path of `host` to Service `service`, whose endpoints are 127.0.0.1 on `ports`.
std::string site_yaml(const std::string& name, const std::string& host, const std::string& service,
                      const std::vector<std::uint16_t>& ports);
// A Secret of `type` with `data` (text) as stringData.
std::string secret_yaml(const std::string& name, const std::map<std::string, std::string>& data,
                        const std::string& type = "Opaque", const std::string& ns = "default");
// A kubernetes.io/tls Secret, with PEMs as stringData.
std::string tls_secret_yaml(const std::string& name, const std::string& certificate_pem,
                            const std::string& key_pem, const std::string& ns = "default");

}  // namespace portico::test
