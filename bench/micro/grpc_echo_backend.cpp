// A gRPC backend in C++ for bench/grpc.sh: answers any method on 127.0.0.1 (a free port) with
// the messages it was sent, through gRPC's own C++ server. Python's grpcio sets a pace slower
// than either proxy, which hides what the proxies cost; this one does not.
// Prints "listening PORT", then serves until killed.
// Built by bench/grpc.sh with Debian's libgrpc++-dev (not a dependency of Portico's build).
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <memory>

namespace {

// Reads a message, writes it back, until the client half-closes: a unary call is one round.
class EchoReactor final : public grpc::ServerGenericBidiReactor {
 public:
  EchoReactor() { StartRead(&message_); }

  void OnReadDone(bool ok) override {
    if (ok) {
      StartWrite(&message_);
    } else {
      Finish(grpc::Status::OK);
    }
  }
  void OnWriteDone(bool ok) override {
    if (ok) {
      StartRead(&message_);
    } else {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
    }
  }
  void OnDone() override { delete this; }

 private:
  grpc::ByteBuffer message_;
};

class EchoService final : public grpc::CallbackGenericService {
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    return new EchoReactor;
  }
};

}  // namespace

int main() {
  EchoService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&service);
  const std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "grpc_echo_backend: cannot listen\n");
    return 1;
  }
  std::printf("listening %d\n", port);
  std::fflush(stdout);
  server->Wait();
}
