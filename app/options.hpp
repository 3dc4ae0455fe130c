#pragma once
// Options: every command-line flag of `portico` (docs/operator-guide.md lists them), parsed once at
// start-up. A bad flag is a Failure carrying the one line to print before exiting with 2.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/ingress_translator.hpp"
#include "proxy/common/expected.hpp"
#include "proxy/common/host_port.hpp"
#include "proxy/common/log.hpp"
#include "proxy/proxy_settings.hpp"

namespace portico {

struct Options {
  std::vector<std::string> manifests;
  std::string kubeconfig;
  std::string namespace_;
  std::vector<std::string> publish_addresses;  // --publish-address, comma-separated
  std::string publish_service;                 // --publish-service NS/NAME
  std::string election_id = "portico-leader";
  std::string default_certificate;  // --default-certificate NS/NAME (a kubernetes.io/tls Secret)
  std::string default_cert_file;    // --default-cert-file / --default-key-file (PEM)
  std::string default_key_file;
  std::string acme_directory;  // --acme-directory URL: ACME on for tls-acme Ingresses
  std::string acme_email;
  std::string acme_ca_file;
  std::string acme_storage;
  HostPort http_listen{"0.0.0.0", 80};
  HostPort https_listen{"0.0.0.0", 443};
  HostPort admin_listen{"0.0.0.0", 10254};
  unsigned workers = 0;  // 0: one per CPU
  TranslationSettings translation;
  ProxySettings proxy;
  std::chrono::milliseconds shutdown_delay{5'000};
  std::chrono::milliseconds shutdown_timeout{30'000};
  log::Format log_format = log::Format::Text;
  log::Level log_level = log::Level::Info;
  std::optional<bool> access_log;  // --access-log / --no-access-log; default: JSON logs
  bool dashboard = true;           // --no-dashboard: none at / on the admin listener
  bool show_help = false;
  bool show_version = false;
};

Expected<Options> parse_options(const std::vector<std::string>& args);
std::string usage();

}  // namespace portico
