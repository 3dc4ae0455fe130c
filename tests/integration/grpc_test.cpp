// End to end: HTTP/2 to backends. A real gRPC server and client (grpcio) through Portico:
// unary, server-streaming, client-streaming and bidirectional calls, statuses carried in
// trailers, a client's cancel passed on to the backend, over h2c and TLS toward Portico and h2c
// (GRPC) or TLS (GRPCS) toward the backend. And a plain HTTP/2 backend (nghttpd) on a Service port
// whose appProtocol is kubernetes.io/h2c, reached by HTTP/1.1 and HTTP/2 clients alike.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "tests/support/certificates.hpp"
#include "tests/support/command.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

const std::string GrpcPeer = PORTICO_SOURCE_DIR "/tests/grpc/grpc_peer.py";
// Debian's interpreter, where python3-grpcio is installed (not whatever python3 PATH finds).
const std::string Python = "/usr/bin/python3";

std::uint16_t listening_port(BackgroundCommand& server) {
  const auto line = server.wait_for_line("listening ");
  return static_cast<std::uint16_t>(std::stoi(line.substr(line.find(' ') + 1)));
}

// An Ingress for `host` to Service `service` (port 80, named "grpc", at 127.0.0.1:`port`),
// with extra Service port fields and Ingress annotations.
std::string backend_yaml(const std::string& host, const std::string& service, std::uint16_t port,
                         const std::string& annotations, const std::string& port_extra = "") {
  return ingress_yaml(service, host, {{"/", "Prefix", service, "80"}}, "",
                      annotations.empty() ? "" : "  annotations:\n" + annotations) +
         "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: " + service +
         "\n  namespace: default\nspec:\n  ports:\n  - name: grpc\n    port: 80\n" + port_extra +
         "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " +
         service +
         "-0\n  namespace: default\n  labels:\n    kubernetes.io/service-name: " + service +
         "\naddressType: IPv4\nports:\n- name: grpc\n  port: " + std::to_string(port) +
         "\nendpoints:\n- addresses: [\"127.0.0.1\"]\n  conditions: {ready: true}\n";
}

json call_grpc(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {Python, GrpcPeer, "client"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run_command(argv, std::chrono::seconds(90));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out);
}

void check_every_call(const json& seen) {
  CHECK(seen["unary"] == "pong:ping");
  CHECK(seen["failure"]["code"] == "NOT_FOUND");  // grpc-status and grpc-message, in trailers
  CHECK(seen["failure"]["details"] == "no such thing");
  CHECK(seen["server_stream"] == json::array({"0", "1", "2", "3", "4"}));
  CHECK(seen["client_stream"]["count"] == 30);
  CHECK(seen["client_stream"]["size"] == 3000000);
  CHECK(seen["bidi"] == json::array({"echo:a", "echo:b", "echo:c"}));
  CHECK(seen["missing"] == "UNIMPLEMENTED");          // the backend's own answer, relayed:
  CHECK(seen["missing_details"] != "404 Not Found");  // not a local reply of Portico's
  CHECK(seen["read_before_cancel"] == json::array({"0", "1", "2"}));
  CHECK(seen["backend_saw_cancel"] == true);  // a client's cancel reaches the backend
}

}  // namespace

TEST_CASE("gRPC: every kind of call through h2c and TLS to GRPC and GRPCS backends",
          "[e2e][grpc]") {
  TempDir files;
  const auto cert = make_certificate("grpc.test", {"DNS:grpc.test", "DNS:secure.test"});
  files.write("cert.pem", cert.certificate_pem);
  files.write("key.pem", cert.key_pem);
  const auto cert_file = (files.path() / "cert.pem").string();
  BackgroundCommand plain({Python, GrpcPeer, "server"});
  BackgroundCommand secure(
      {Python, GrpcPeer, "server", "--tls", cert_file, (files.path() / "key.pem").string()});
  const auto plain_port = listening_port(plain);
  const auto secure_port = listening_port(secure);

  TempDir dir;
  dir.write("site.yaml",
            ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
                backend_yaml("grpc.test", "greeter", plain_port,
                             "    nginx.ingress.kubernetes.io/backend-protocol: GRPC\n") +
                "---\n" +
                backend_yaml("secure.test", "vault", secure_port,
                             "    nginx.ingress.kubernetes.io/backend-protocol: GRPCS\n") +
                "---\n" +
                ingress_yaml("verified", "verified.test", {{"/", "Prefix", "vault", "80"}}, "",
                             "  annotations:\n"
                             "    nginx.ingress.kubernetes.io/backend-protocol: GRPCS\n"
                             "    nginx.ingress.kubernetes.io/proxy-ssl-verify: \"on\"\n"
                             "    nginx.ingress.kubernetes.io/proxy-ssl-secret: vault-ca\n"
                             "    nginx.ingress.kubernetes.io/proxy-ssl-name: grpc.test\n") +
                "---\n" +
                ingress_yaml("misnamed", "misnamed.test", {{"/", "Prefix", "vault", "80"}}, "",
                             "  annotations:\n"
                             "    nginx.ingress.kubernetes.io/backend-protocol: GRPCS\n"
                             "    nginx.ingress.kubernetes.io/proxy-ssl-verify: \"on\"\n"
                             "    nginx.ingress.kubernetes.io/proxy-ssl-secret: vault-ca\n"
                             "    nginx.ingress.kubernetes.io/proxy-ssl-name: other.test\n") +
                "---\n" + secret_yaml("vault-ca", {{"ca.crt", cert.certificate_pem}}) + "---\n" +
                tls_secret_yaml("grpc-tls", cert.certificate_pem, cert.key_pem) + "---\n" +
                ingress_yaml("grpc-tls", "grpc.test", {{"/", "Prefix", "greeter", "80"}},
                             "  tls:\n  - hosts: [grpc.test]\n    secretName: grpc-tls\n",
                             "  annotations:\n    nginx.ingress.kubernetes.io/backend-protocol: "
                             "GRPC\n    nginx.ingress.kubernetes.io/ssl-redirect: \"false\"\n"));
  Portico portico(dir.path(), 2);
  portico.wait_ready();
  const auto http = "127.0.0.1:" + std::to_string(portico.port());
  const auto https = "127.0.0.1:" + std::to_string(portico.https_port());

  SECTION("h2c to Portico, h2c to the backend") {
    check_every_call(call_grpc({http, "grpc.test"}));
  }
  SECTION("TLS to Portico, h2c to the backend") {
    check_every_call(call_grpc({https, "grpc.test", "--tls", cert_file}));
  }
  SECTION("h2c to Portico, TLS to the backend (GRPCS)") {
    check_every_call(call_grpc({http, "secure.test"}));
  }
  SECTION("GRPCS with proxy-ssl-verify: the backend's certificate is checked") {
    check_every_call(call_grpc({http, "verified.test"}));
    // Not valid for the name asked for: the backend is not used, and the call says so.
    const auto refused =
        run_command({"curl", "-s", "-o", "/dev/null", "-D", "-", "--http2-prior-knowledge", "-H",
                     "content-type: application/grpc", "-H", "te: trailers", "--data-binary", "",
                     "http://" + http + "/greeter.Greeter/SayHello", "-H", "Host: misnamed.test"});
    CHECK_THAT(refused.out, Catch::Contains("grpc-status: 14"));
  }
  SECTION("explain and /debug/snapshot name the upstream protocol") {
    const auto snapshot = get(portico.admin_port(), "localhost", "/debug/snapshot").body;
    CHECK_THAT(snapshot,
               Catch::Contains(R"("backend":"default/greeter:80","upstreamProtocol":"h2c")"));
    CHECK_THAT(snapshot,
               Catch::Contains(R"("backend":"default/vault:80","upstreamProtocol":"h2")"));
  }
}

TEST_CASE("HTTP/2 upstream: an h2c Service port serves HTTP/1.1 and HTTP/2 clients",
          "[e2e][http2]") {
  TempDir docs;
  const std::string page(200000, 'p');  // larger than a window: flow control toward the client
  docs.write("page.txt", page);
  const auto nghttpd_port = closed_port();
  BackgroundCommand server(
      {"nghttpd", "--no-tls", "-d", docs.path().string(), std::to_string(nghttpd_port)});
  REQUIRE(eventually([&] {
    return run_command({"curl", "-s", "-o", "/dev/null", "--http2-prior-knowledge",
                        "http://127.0.0.1:" + std::to_string(nghttpd_port) + "/page.txt"})
               .exit_code == 0;
  }));
  TempDir dir;
  dir.write("site.yaml", ingress_class_yaml("portico", "portico.dev/ingress-controller", true) +
                             "---\n" +
                             backend_yaml("h2.test", "files", nghttpd_port, "",
                                          "    appProtocol: kubernetes.io/h2c\n"));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  const auto url = "http://h2.test:" + std::to_string(portico.port()) + "/page.txt";
  const auto resolve = "h2.test:" + std::to_string(portico.port()) + ":127.0.0.1";
  for (const std::string version : {"--http1.1", "--http2-prior-knowledge"}) {
    const auto result = run_command({"curl", "-s", version, "--resolve", resolve, url});
    REQUIRE(result.exit_code == 0);
    CHECK(result.out == page);
  }
  const auto missing =
      run_command({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--http1.1", "--resolve",
                   resolve, "http://h2.test:" + std::to_string(portico.port()) + "/none"});
  CHECK(missing.out == "404");  // the backend's 404, relayed
}

TEST_CASE("HTTP/2 upstream: a backend that goes away ends its connections, never Portico",
          "[e2e][http2]") {
  TempDir docs;
  docs.write("page.txt", "here");
  const auto port = closed_port();
  auto server = std::make_optional<BackgroundCommand>(std::vector<std::string>{
      "nghttpd", "--no-tls", "-d", docs.path().string(), std::to_string(port)});
  const auto reachable = [&] {
    return run_command({"curl", "-s", "-o", "/dev/null", "--http2-prior-knowledge",
                        "http://127.0.0.1:" + std::to_string(port) + "/page.txt"})
               .exit_code == 0;
  };
  REQUIRE(eventually(reachable));
  Backends backends;
  TempDir dir;
  dir.write("site.yaml",
            site_yaml("other", "other.test", "echo", {backends.start("echo")}) + "---\n" +
                backend_yaml("h2.test", "files", port, "", "    appProtocol: kubernetes.io/h2c\n"));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  CHECK(get(portico.port(), "h2.test", "/page.txt").body == "here");
  server.reset();  // the backend dies; Portico's connection to it sees the close
  // Past the connection's one-second linger after the close, Portico still serves.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(get(portico.port(), "h2.test", "/page.txt").status == 502);
  CHECK(get(portico.port(), "other.test", "/").status == 200);
}

TEST_CASE("Gateway API: a GRPCRoute carries every kind of gRPC call to its backend in h2c",
          "[e2e][grpc][gateway]") {
  BackgroundCommand server({Python, GrpcPeer, "server"});
  const auto port = listening_port(server);
  TempDir dir;
  dir.write("grpc.yaml", R"(apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: portico}
spec: {controllerName: portico.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: portico
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: echo, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [grpc.test]
  rules:
  - matches: [{method: {service: portico.test.Echo}}]
    backendRefs: [{name: echo, port: 80}]
  - matches: [{method: {service: portico.test.Other, method: Call}}]
    backendRefs: [{name: nowhere, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec: {ports: [{name: grpc, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: echo-0, namespace: default, labels: {kubernetes.io/service-name: echo}}
addressType: IPv4
ports: [{name: grpc, port: )" +
                             std::to_string(port) + R"(}]
endpoints: [{addresses: [127.0.0.1]}]
)");
  Portico portico(dir.path(), 2);
  portico.wait_ready();
  // The route's backends speak gRPC (h2c) without any annotation, and every call type works.
  check_every_call(call_grpc({"127.0.0.1:" + std::to_string(portico.port()), "grpc.test"}));
  // Only gRPC calls (POSTs to a method's path) match: a GET of the same path is not routed,
  // and the other method's backend does not exist (500, as for an HTTPRoute).
  CHECK(get(portico.port(), "grpc.test", "/portico.test.Echo/Unary").status == 404);
  CHECK(
      Connection(portico.port()).send("POST", "grpc.test", "/portico.test.Other/Call", "").status ==
      500);
  CHECK(
      Connection(portico.port()).send("POST", "grpc.test", "/portico.test.Other/Else", "").status ==
      404);
}
