#!/usr/bin/python3
"""An external auth service for the auth-url tests, answering as oauth2-proxy's /oauth2/auth
does: 2xx with the user in X-Auth-Request-* headers for a known bearer token (alice's answer
refreshes a cookie, bob's does not, carol's says no-store), 401 (with a
WWW-Authenticate challenge and a CSRF cookie) without one, 403 for a refused user. A path
under /broken answers 500. GET /last describes the last auth request it received, and how
many auth requests it has answered and on how many connections (to check keep-alive reuse).

Usage: auth_service.py [--tls CERT KEY]   (prints "listening PORT" once bound to 127.0.0.1;
       with --tls it speaks HTTPS, and /last also tells the SNI name the auth request came with)
"""
import http.server
import json
import ssl
import sys
import threading

lock = threading.Lock()
seen = {"requests": 0, "connections": 0, "last": None}
ports = set()  # the source ports of the connections auth requests came on


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, headers=(), body=b""):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def answer(self):
        if self.path == "/last":
            with lock:
                body = json.dumps(seen).encode()
            self.reply(200, [("Content-Type", "application/json")], body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            seen["requests"] += 1
            ports.add(self.client_address[1])
            seen["connections"] = len(ports)
            seen["last"] = {
                "method": self.command,
                "path": self.path,
                "body_bytes": len(body),
                "sni": getattr(self.connection, "sni", None),
                "headers": {name.lower(): value for name, value in self.headers.items()},
            }
        token = self.headers.get("Authorization", "")
        if self.path.startswith("/broken"):
            self.reply(500)
        elif token == "Bearer alice":
            self.reply(202, [("X-Auth-Request-User", "alice"),
                             ("X-Auth-Request-Email", "alice@example.com"),
                             ("Set-Cookie", "session=fresh; Path=/")])
        elif token == "Bearer bob":  # as oauth2-proxy answers a session it need not refresh
            self.reply(202, [("X-Auth-Request-User", "bob")])
        elif token == "Bearer carol":  # an answer that must not be kept
            self.reply(202, [("X-Auth-Request-User", "carol"), ("Cache-Control", "no-store")])
        elif token == "Bearer mallory":
            self.reply(403)
        else:
            self.reply(401, [("WWW-Authenticate", 'Bearer realm="portico-test"'),
                             ("Set-Cookie", "csrf=1; Path=/")])

    do_GET = do_POST = do_HEAD = do_PUT = answer


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if sys.argv[1:2] == ["--tls"]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])

    def remember_sni(connection, name, context):
        connection.sni = name  # read back by the handler of each request on it

    context.sni_callback = remember_sni
    server.socket = context.wrap_socket(server.socket, server_side=True)
print("listening", server.server_address[1], flush=True)
server.serve_forever()
