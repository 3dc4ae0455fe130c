#include <catch2/catch.hpp>
#include <cstdlib>

#include "k8swatch/api_config.hpp"
#include "tests/support/harness.hpp"

using namespace portico;
using portico::test::TempDir;

TEST_CASE("kubeconfig: the current context's server, credentials and namespace", "[kubeconfig]") {
  TempDir dir;
  dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n");
  dir.write("token", "secret-token\n");
  dir.write("config", R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: dev
  cluster: {server: "http://127.0.0.1:8001"}
- name: prod
  cluster:
    server: https://[fd00::1]:6443
    certificate-authority: ca.pem
users:
- name: robot
  user: {tokenFile: token, client-certificate-data: Y2VydA==, client-key-data: a2V5}
contexts:
- name: dev
  context: {cluster: dev, user: robot}
- name: prod
  context: {cluster: prod, user: robot, namespace: shop}
)");
  const auto config = k8s::load_kubeconfig((dir.path() / "config").string());
  REQUIRE(config.ok());
  CHECK(config->scheme == "https");
  CHECK(config->host == "fd00::1");
  CHECK(config->port == 6443);
  CHECK(config->namespace_ == "shop");
  CHECK(config->ca_pem.find("BEGIN CERTIFICATE") != std::string::npos);  // relative to the file
  CHECK(config->token_file == (dir.path() / "token").string());
  CHECK(config->client_cert_pem == "cert");
  CHECK(config->client_key_pem == "key");
}

TEST_CASE("kubeconfig: clear reasons for what cannot work", "[kubeconfig]") {
  TempDir dir;
  const auto error_for = [&](const std::string& text) {
    dir.write("config", text);
    const auto config = k8s::load_kubeconfig((dir.path() / "config").string());
    REQUIRE_FALSE(config.ok());
    return config.error();
  };
  CHECK_THAT(k8s::load_kubeconfig((dir.path() / "missing").string()).error(),
             Catch::Contains("cannot be read"));
  CHECK_THAT(error_for("current-context: nope\ncontexts: []\n"),
             Catch::Contains("no current-context"));
  CHECK_THAT(error_for("current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
                       "clusters: [{name: c, cluster: {server: 'ftp://x'}}]\n"),
             Catch::Contains("only http and https"));
  CHECK_THAT(error_for("current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
                       "clusters: [{name: c, cluster: {server: 'https://x', certificate-authority: "
                       "nope.pem}}]\n"),
             Catch::Contains("cannot read"));
  CHECK_THAT(error_for("{{{ not yaml"), Catch::Contains("not valid YAML"));
}

TEST_CASE("in-cluster: the service host and the service account's files", "[kubeconfig]") {
  TempDir account;
  account.write("ca.crt", "CA");
  account.write("namespace", "ingress");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  const auto config = k8s::in_cluster_config(account.path().string());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  REQUIRE(config.ok());
  CHECK(config->host == "10.96.0.1");
  CHECK(config->port == 443);
  CHECK(config->ca_pem == "CA");
  CHECK(config->namespace_ == "ingress");
  CHECK(config->token_file == account.path().string() + "/token");
  CHECK_THAT(k8s::in_cluster_config(account.path().string()).error(),
             Catch::Contains("not in a cluster"));
}
