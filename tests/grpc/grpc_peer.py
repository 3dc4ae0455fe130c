#!/usr/bin/python3
"""A real gRPC server and client (Debian's python3-grpcio) for Portico's tests. Messages are
raw bytes (no protobuf: the generic handlers of grpcio carry them as they are), so the test
needs no generated code.

  grpc_peer.py server [--tls CERT KEY]
      serves portico.test.Echo on 127.0.0.1, a free port; prints "listening PORT"
  grpc_peer.py client TARGET AUTHORITY [--tls CA]
      calls every method through TARGET (Portico) with :authority AUTHORITY; prints JSON

Methods of portico.test.Echo:
  Unary         "ping" -> "pong:ping"; "fail" -> NOT_FOUND "no such thing" (a status in trailers)
  ServerStream  "N"    -> N messages "0".."N-1" (over 1000: slowly, 100 a second)
  Cancelled     ""     -> how many ServerStream calls ended cancelled, before their end
  ClientStream  many   -> one message: how many came, and their total size
  Bidi          each message echoed back as it comes, until the client ends
"""
import concurrent.futures
import json
import sys
import threading
import time

import grpc

SERVICE = "portico.test.Echo"


cancelled = 0
cancelled_lock = threading.Lock()


def unary(request, context):
    if request == b"fail":
        context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
    return b"pong:" + request


def server_stream(request, context):
    count = int(request)
    finished = []

    def on_end():  # grpcio calls it when the call ends, however it ends
        global cancelled
        if not finished:
            with cancelled_lock:
                cancelled += 1

    context.add_callback(on_end)
    for i in range(count):
        if count > 1000:
            time.sleep(0.01)
        yield str(i).encode()
    finished.append(True)


def cancelled_count(request, context):
    with cancelled_lock:
        return str(cancelled).encode()


def client_stream(requests, context):
    count = size = 0
    for message in requests:
        count += 1
        size += len(message)
    return json.dumps({"count": count, "size": size}).encode()


def bidi(requests, context):
    for message in requests:
        yield b"echo:" + message


def serve(args):
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=8))
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        "Cancelled": grpc.unary_unary_rpc_method_handler(cancelled_count),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    if "--tls" in args:
        cert, key = args[args.index("--tls") + 1:args.index("--tls") + 3]
        credentials = grpc.ssl_server_credentials([(open(key, "rb").read(), open(cert, "rb").read())])
        port = server.add_secure_port("127.0.0.1:0", credentials)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("listening", port, flush=True)
    server.wait_for_termination()


def call(args):
    target, authority = args[0], args[1]
    options = [("grpc.default_authority", authority)]
    if "--tls" in args:
        ca = open(args[args.index("--tls") + 1], "rb").read()
        options.append(("grpc.ssl_target_name_override", authority.split(":")[0]))
        channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(ca), options)
    else:
        channel = grpc.insecure_channel(target, options)
    method = lambda kind, name: getattr(channel, kind)("/%s/%s" % (SERVICE, name))
    out = {}
    out["unary"] = method("unary_unary", "Unary")(b"ping", timeout=10).decode()
    try:
        method("unary_unary", "Unary")(b"fail", timeout=10)
        out["failure"] = None
    except grpc.RpcError as error:
        out["failure"] = {"code": error.code().name, "details": error.details()}
    out["server_stream"] = [m.decode() for m in method("unary_stream", "ServerStream")(b"5", timeout=10)]
    big = [b"x" * 100000 for _ in range(30)]  # 3 MB in 30 messages: flow control both ways
    out["client_stream"] = json.loads(method("stream_unary", "ClientStream")(iter(big), timeout=30))
    out["bidi"] = [m.decode() for m in method("stream_stream", "Bidi")(
        iter([b"a", b"b", b"c"]), timeout=10)]
    try:
        grpc.channel_ready_future(channel).result(timeout=1)
        method("unary_unary", "Missing")(b"", timeout=10)
    except grpc.RpcError as error:
        out["missing"] = error.code().name
        out["missing_details"] = error.details()
    # A client that cancels an endless server stream: the backend must learn of it.
    before = int(method("unary_unary", "Cancelled")(b"", timeout=10))
    endless = method("unary_stream", "ServerStream")(b"1000000", timeout=60)
    out["read_before_cancel"] = [next(endless).decode() for _ in range(3)]
    endless.cancel()
    deadline = time.monotonic() + 10
    seen = before
    while seen == before and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = int(method("unary_unary", "Cancelled")(b"", timeout=10))
    out["backend_saw_cancel"] = seen == before + 1
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(sys.argv[2:])
    else:
        call(sys.argv[2:])
