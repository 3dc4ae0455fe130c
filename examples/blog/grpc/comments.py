#!/usr/bin/python3
"""The blog's comments service, spoken in gRPC: the demo's one gRPC call (script/run).

  comments.py serve PORT          the service on 127.0.0.1:PORT (h2c, as in a cluster)
  comments.py list TARGET POST    asks for a post's comments through TARGET (Portico), with
                                  the authority comments.blog.localhost, and prints them

Messages are UTF-8 text, so the demo needs no generated code: blog.Comments/List takes a post
id and returns its comments, one per line. Needs Debian's python3-grpcio.
"""
import concurrent.futures
import sys

import grpc

COMMENTS = {
    "1": ["First!", "Great post about ingress controllers."],
    "2": ["HTTP/2 all the way down."],
}


def list_comments(request, context):
    post = request.decode()
    if post not in COMMENTS:
        context.abort(grpc.StatusCode.NOT_FOUND, "no post " + post)
    return "\n".join(COMMENTS[post]).encode()


def serve(port):
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
    handler = grpc.method_handlers_generic_handler(
        "blog.Comments", {"List": grpc.unary_unary_rpc_method_handler(list_comments)})
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port("127.0.0.1:" + port)
    server.start()
    server.wait_for_termination()


def ask(target, post):
    channel = grpc.insecure_channel(target, [("grpc.default_authority", "comments.blog.localhost")])
    try:
        print(channel.unary_unary("/blog.Comments/List")(post.encode(), timeout=5).decode())
    except grpc.RpcError as error:
        print("gRPC error:", error.code().name, error.details())
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        ask(sys.argv[2], sys.argv[3])
