#pragma once
// `portico migrate`: what Portico would make of a cluster's Ingresses, before it serves them.
// For every Ingress (from --manifests, or listed from the API server with --kubeconfig), each
// ingress-nginx annotation as honoured, honoured with a named difference, ignored (and why),
// or failing closed (503), and whether the class flags given would have Portico serve it.
#include <string>

#include "app/options.hpp"
#include "proxy/common/expected.hpp"

namespace portico {

struct MigrationReport {
  std::string text;
  bool fails_closed = false;  // some Ingress would answer 503 until its annotations are fixed
};

Expected<MigrationReport> migration_report(const Options& options);

}  // namespace portico
