#pragma once
// Pebble: Debian's ACME test server (and pebble-challtestsrv as its DNS, answering 127.0.0.1
// for every name), started by a test on free loopback ports and stopped with it, so the VA's
// HTTP-01 requests come to Portico's HTTP listener.
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "tests/support/harness.hpp"

namespace portico::test {

struct PebbleSettings {
  std::uint16_t http_port;       // where the VA sends HTTP-01 requests: Portico's listener
  int certificate_seconds = 0;   // leaf lifetime; 0: Pebble's default (5 years)
  int nonce_reject_percent = 0;  // badNonce for that share of valid nonces
};

class Pebble {
 public:
  explicit Pebble(PebbleSettings settings);
  ~Pebble();
  Pebble(const Pebble&) = delete;
  Pebble& operator=(const Pebble&) = delete;

  // Starts both servers and waits until the directory answers (throws when it does not).
  void start();
  void stop();
  std::string directory_url() const;
  std::string ca_file() const;  // the PEM that signs the ACME API's certificate

 private:
  PebbleSettings settings_;
  TempDir dir_;
  std::uint16_t acme_port_;
  std::uint16_t dns_port_;
  pid_t dns_ = -1;
  pid_t pebble_ = -1;
};

}  // namespace portico::test
