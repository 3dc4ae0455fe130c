#include "tests/support/harness.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>

#include "tests/support/http_client.hpp"

namespace portico::test {

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

k8s::LeaseSettings short_lease(const char* identity, std::chrono::milliseconds lease) {
  return k8s::LeaseSettings{.namespace_ = "default",
                            .name = "portico-leader",
                            .identity = identity,
                            .lease_duration = lease,
                            .renew_deadline = lease * 2 / 3,
                            .retry_period = lease / 15};
}

std::uint16_t closed_port() {
  // The kernel's ephemeral range ("32768 60999" here): ports it may hand any socket meanwhile.
  unsigned low = 32768;
  unsigned high = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  const bool below = low > 11'000;
  const unsigned first = below ? 10'000 : high + 1;
  const unsigned last = below ? low - 1 : 65'535;
  static thread_local std::mt19937 random(std::random_device{}());
  boost::asio::io_context io;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto port = static_cast<std::uint16_t>(first + random() % (last - first + 1));
    boost::asio::ip::tcp::acceptor probe(io);
    boost::system::error_code ec;
    probe.open(boost::asio::ip::tcp::v4(), ec);
    probe.bind({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    if (!ec) {
      return port;
    }
  }
  throw std::runtime_error("no free port outside the ephemeral range");
}

std::uint16_t unused_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

double metric(const std::string& metrics_text, const std::string& sample) {
  const std::string line_start = sample + " ";
  for (std::size_t at = 0; at < metrics_text.size();) {
    const auto end = metrics_text.find('\n', at);
    const std::string_view line(metrics_text.data() + at,
                                (end == std::string::npos ? metrics_text.size() : end) - at);
    if (line.starts_with(line_start)) {
      return std::stod(std::string(line.substr(line_start.size())));
    }
    at = end == std::string::npos ? metrics_text.size() : end + 1;
  }
  return -1;
}

TempDir::TempDir() {
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() / ("portico-test-" + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void TempDir::write(const std::string& name, const std::string& text) const {
  const auto target = path_ / name;
  std::filesystem::create_directories(target.parent_path());
  const auto temporary = path_ / ("." + target.filename().string() + ".tmp");
  {
    std::ofstream out(temporary, std::ios::binary);
    out << text;
  }
  std::filesystem::rename(temporary, target);
}

void TempDir::remove(const std::string& name) const {
  std::filesystem::remove(path_ / name);
}

Backends::Backends() = default;

Backends::~Backends() {
  io_.stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::uint16_t Backends::start(const std::string& name) {
  servers_.push_back(std::make_unique<echo::EchoServer>(io_, name));
  const auto port = servers_.back()->listen("127.0.0.1", 0);
  if (!running_) {
    running_ = true;
    thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  return port;
}

std::unique_ptr<Application> start_application(std::vector<std::string> flags) {
  std::vector<std::string> args = {
      "--http-listen",  "127.0.0.1:0", "--https-listen",   "127.0.0.1:0",
      "--admin-listen", "127.0.0.1:0", "--shutdown-delay", "0s"};
  args.insert(args.end(), flags.begin(), flags.end());  // later flags win
  auto options = parse_options(args);
  if (!options) {
    throw std::runtime_error(options.error());
  }
  auto app = std::make_unique<Application>(std::move(*options));
  if (auto failure = app->prepare()) {
    throw std::runtime_error(failure->message);
  }
  app->start();
  return app;
}

Portico::Portico(const std::filesystem::path& manifests, unsigned workers,
                 std::vector<std::string> extra_flags) {
  std::vector<std::string> flags = {"--manifests", manifests.string(), "--workers",
                                    std::to_string(workers)};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  app_ = start_application(std::move(flags));
}

Portico::~Portico() {
  app_->request_shutdown(true);
  app_->wait();
}

void Portico::wait_ready() const {
  const auto admin = app_->admin_port();
  if (!eventually([admin] { return get(admin, "localhost", "/readyz").status == 200; })) {
    throw std::runtime_error("portico did not become ready");
  }
}

std::string ingress_class_yaml(const std::string& name, const std::string& controller,
                               bool is_default) {
  std::string yaml =
      "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: " + name + "\n";
  if (is_default) {
    yaml += "  annotations:\n    ingressclass.kubernetes.io/is-default-class: \"true\"\n";
  }
  return yaml + "spec:\n  controller: " + controller + "\n";
}

std::string annotations_yaml(const std::map<std::string, std::string>& annotations) {
  std::string metadata = "  annotations:\n";
  for (const auto& [key, value] : annotations) {
    metadata += "    " + key + ": " + nlohmann::json(value).dump() + "\n";
  }
  return metadata;
}

std::string ingress_yaml(const std::string& name, const std::string& host,
                         const std::vector<PathRule>& paths, const std::string& extra_spec,
                         const std::string& metadata_extra) {
  std::string yaml = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: " + name +
                     "\n  namespace: default\n" + metadata_extra + "spec:\n" + extra_spec;
  if (!paths.empty()) {
    yaml += "  rules:\n  - " + (host.empty() ? std::string() : "host: \"" + host + "\"\n    ") +
            "http:\n      paths:\n";
    for (const auto& p : paths) {
      const bool numeric = !p.port.empty() && std::isdigit(static_cast<unsigned char>(p.port[0]));
      yaml += "      - path: " + p.path + "\n        pathType: " + p.type +
              "\n        backend:\n          service:\n            name: " + p.service +
              "\n            port:\n              " + (numeric ? "number: " : "name: ") + p.port +
              "\n";
    }
  }
  return yaml;
}

std::string annotated_ingress_yaml(const std::string& name, const std::string& host,
                                   const std::string& service,
                                   const std::map<std::string, std::string>& annotations,
                                   const std::vector<PathRule>& paths,
                                   const std::string& extra_spec) {
  return ingress_yaml(name, host,
                      paths.empty() ? std::vector<PathRule>{{"/", "Prefix", service, "80"}} : paths,
                      extra_spec, annotations.empty() ? "" : annotations_yaml(annotations)) +
         "---\n";
}

std::string site_yaml(const std::string& name, const std::string& host, const std::string& service,
                      const std::vector<std::uint16_t>& ports) {
  return ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
         ingress_yaml(name, host, {{"/", "Prefix", service, "80"}}) + "---\n" +
         service_yaml(service, ports);
}

std::string service_yaml(const std::string& name, const std::vector<std::uint16_t>& ports) {
  std::string yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
                     "\n  namespace: default\nspec:\n  ports:\n  - name: http\n    port: 80\n";
  // One slice per endpoint: all endpoints of a slice share one port number.
  for (std::size_t i = 0; i < ports.size(); ++i) {
    yaml +=
        "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " + name +
        "-" + std::to_string(i) +
        "\n  namespace: default\n  labels:\n    kubernetes.io/service-name: " + name +
        "\naddressType: IPv4\nports:\n- name: http\n  port: " + std::to_string(ports[i]) +
        "\nendpoints:\n- addresses: [\"127.0.0.1\"]\n  conditions: {ready: true}\n";
  }
  return yaml;
}

std::string secret_yaml(const std::string& name, const std::map<std::string, std::string>& data,
                        const std::string& type, const std::string& ns) {
  const auto block = [](const std::string& text) {
    std::string out = "|\n";
    std::size_t start = 0;
    while (start < text.size()) {
      const auto end = text.find('\n', start);
      out += "    " + text.substr(start, end - start) + "\n";
      start = end == std::string::npos ? text.size() : end + 1;
    }
    return out;
  };
  std::string out = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name +
                    "\n  namespace: " + ns + "\ntype: " + type + "\nstringData:\n";
  for (const auto& [key, value] : data) {
    out += "  " + key + ": " + block(value);
  }
  return out;
}

std::string tls_secret_yaml(const std::string& name, const std::string& certificate_pem,
                            const std::string& key_pem, const std::string& ns) {
  return secret_yaml(name, {{"tls.crt", certificate_pem}, {"tls.key", key_pem}},
                     "kubernetes.io/tls", ns);
}

}  // namespace portico::test
