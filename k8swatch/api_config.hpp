#pragma once
// ApiConfig: how to reach and authenticate to the Kubernetes API server, from a kubeconfig
// file (its current context) or from the in-cluster service account. Read once at start-up;
// the token file, when there is one, is re-read by the client as it rotates.
#include <string>

#include "proxy/common/expected.hpp"

namespace portico::k8s {

struct ApiConfig {
  std::string scheme = "https";  // "http" only for tests and local proxies
  std::string host;
  int port = 443;
  std::string ca_pem;  // trusted CA bundle; empty: the system's
  bool insecure_skip_verify = false;
  std::string token;            // a fixed bearer token, or
  std::string token_file;       // a file holding it (in-cluster: rotated by the kubelet)
  std::string client_cert_pem;  // client certificate authentication
  std::string client_key_pem;
  std::string namespace_;  // the context's namespace, or the pod's own
};

Expected<ApiConfig> load_kubeconfig(const std::string& path);

// KUBERNETES_SERVICE_HOST/PORT and the service account files under `account_dir`.
Expected<ApiConfig> in_cluster_config(
    const std::string& account_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

}  // namespace portico::k8s
