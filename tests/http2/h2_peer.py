#!/usr/bin/python3
"""A raw HTTP/2 client for Portico's tests: it speaks frames by hand, so it can do what a
well-behaved library refuses to (the attacks), and measure what a library hides (flow
control under a large upload). Standard library only.

Usage: h2_peer.py SCENARIO PORT [ARG] [--tls] [--authority HOST]
Prints one JSON object: what the server did (goaway error code, stream outcomes).

Scenarios:
  rapid-reset N        open and at once reset N streams
  continuation N       one HEADERS without END_HEADERS, then N empty CONTINUATION frames
  settings-flood N     N SETTINGS frames
  ping-flood N         N PING frames
  empty-data N         a POST stream, then N empty DATA frames without END_STREAM
  hpack-bomb N         one 4000-byte field into the dynamic table, then a request naming it N times
  stalled-window PATH  SETTINGS_INITIAL_WINDOW_SIZE 0, then GET PATH; never a WINDOW_UPDATE
  get PATH             one GET, read until it ended or the server closed (a drain's GOAWAY)
  malformed            on one connection: a connection-specific field, a Host naming another
                       authority than :authority, then a valid GET
  upload MIB           POST MIB MiB on stream 1 under flow control while GETs run beside it
"""
import json
import socket
import ssl
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8, 0x9)
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(
        ">I", stream) + payload


def integer(value, prefix_bits, first=0):
    """HPACK integer (RFC 7541 §5.1)."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def literal(name, value, indexing=False):
    """A literal field with a literal name, no Huffman (RFC 7541 §6.2)."""
    name, value = name.encode(), value.encode()
    head = b"\x40" if indexing else b"\x00"
    return head + integer(len(name), 7) + name + integer(len(value), 7) + value


def request_block(authority, method="GET", path="/", extra=()):
    fields = [(":method", method), (":scheme", "http"), (":path", path),
              (":authority", authority)] + list(extra)
    return b"".join(literal(n, v) for n, v in fields)


class Peer:
    def __init__(self, port, tls, authority):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle wait per window
        if tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.set_alpn_protocols(["h2"])
            raw = context.wrap_socket(raw, server_hostname=authority.split(":")[0])
            assert raw.selected_alpn_protocol() == "h2", "ALPN did not choose h2"
        self.sock = raw
        self.authority = authority
        self.buffer = b""
        self.goaway = None
        self.closed = False
        self.ended = set()     # streams the server ended (END_STREAM)
        self.reset = {}        # stream -> RST_STREAM error code
        self.status = {}       # stream -> first byte of the response's header block
        self.send_window = 65535
        self.stream_windows = {}
        self.initial_window = 65535
        self.reads = True      # False: never opens its receive window (stalled-window)

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            self.closed = True
            return False

    def start(self, settings=b""):
        self.send(PREFACE + frame(SETTINGS, 0, 0, settings))

    def poll(self, timeout, once=False):
        """Reads and handles frames for up to `timeout` seconds (less once closed; with
        `once`, only until something arrived)."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return
            except OSError:
                self.closed = True
                return
            if not data:
                self.closed = True
                return
            self.buffer += data
            self.parse()
            if once:
                return

    def parse(self):
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")
            if len(self.buffer) < 9 + length:
                return
            kind, flags = self.buffer[3], self.buffer[4]
            stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            if kind == SETTINGS and not flags & ACK:
                for i in range(0, len(payload), 6):
                    ident, value = struct.unpack(">HI", payload[i:i + 6])
                    if ident == 0x4:
                        for s in self.stream_windows:
                            self.stream_windows[s] += value - self.initial_window
                        self.initial_window = value
                self.send(frame(SETTINGS, ACK, 0))
            elif kind == PING and not flags & ACK:
                self.send(frame(PING, ACK, 0, payload))
            elif kind == GOAWAY:
                self.goaway = struct.unpack(">I", payload[4:8])[0]
            elif kind == WINDOW_UPDATE:
                increment = struct.unpack(">I", payload)[0] & 0x7FFFFFFF
                if stream == 0:
                    self.send_window += increment
                elif stream in self.stream_windows:
                    self.stream_windows[stream] += increment
            elif kind == RST_STREAM:
                self.reset[stream] = struct.unpack(">I", payload)[0]
            elif kind == HEADERS:
                self.status.setdefault(stream, payload[0] if payload else None)
            elif kind == DATA and length > 0 and self.reads:
                # Gives the window back at once, as a reading client does.
                increment = struct.pack(">I", length)
                self.send(frame(WINDOW_UPDATE, 0, 0, increment) +
                          frame(WINDOW_UPDATE, 0, stream, increment))
            if kind in (DATA, HEADERS) and flags & END_STREAM:
                self.ended.add(stream)

    def request(self, stream, path="/", method="GET", end=True, extra=()):
        flags = END_HEADERS | (END_STREAM if end else 0)
        self.stream_windows[stream] = self.initial_window
        return self.send(frame(HEADERS, flags, stream,
                               request_block(self.authority, method, path, extra)))

    def report(self, **more):
        out = {"goaway": self.goaway, "closed": self.closed}
        out.update(more)
        print(json.dumps(out))


def upload(peer, mib):
    """POST `mib` MiB on stream 1, never past the windows the server opened, and a GET on a
    new stream after each MiB; reports how many GETs completed while the upload ran."""
    peer.start()
    peer.request(1, "/upload", "POST", end=False,
                 extra=[("content-length", str(mib << 20))])
    chunk = b"x" * 16384
    sent, gets, next_get = 0, 0, 3
    total = mib << 20
    started = time.monotonic()
    while sent < total and not peer.closed and time.monotonic() - started < 600:
        room = min(peer.send_window, peer.stream_windows[1], len(chunk), total - sent)
        if room <= 0:
            peer.poll(1, once=True)  # until a WINDOW_UPDATE (or anything) arrives
            continue
        last = sent + room == total
        peer.send(frame(DATA, END_STREAM if last else 0, 1, chunk[:room]))
        peer.send_window -= room
        peer.stream_windows[1] -= room
        sent += room
        if sent // (1 << 20) > gets:
            peer.request(next_get, "/small")
            next_get += 2
            gets += 1
        peer.poll(0)
    deadline = time.monotonic() + 30
    while 1 not in peer.ended and not peer.closed and time.monotonic() < deadline:
        peer.poll(0.1)
    small_done = sum(1 for s in peer.ended if s != 1)
    peer.report(uploaded=sent, upload_ended=1 in peer.ended, upload_status=peer.status.get(1),
                gets=gets, gets_ended=small_done,
                gets_ok=sum(1 for s in peer.ended if s != 1 and peer.status.get(s) == 0x88),
                seconds=round(time.monotonic() - started, 2))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    tls = "--tls" in sys.argv
    authority = "localhost"
    if "--authority" in sys.argv:
        authority = sys.argv[sys.argv.index("--authority") + 1]
        args.remove(authority)
    scenario, port = args[0], int(args[1])
    arg = args[2] if len(args) > 2 else "1000"
    peer = Peer(port, tls, authority)
    if scenario == "upload":
        return upload(peer, int(arg))
    if scenario == "get":
        peer.start()
        peer.request(1, arg)
        deadline = time.monotonic() + 20
        while 1 not in peer.ended and not peer.closed and time.monotonic() < deadline:
            peer.poll(0.2, once=True)
        peer.poll(1)  # what follows: the GOAWAY of a drain, then the close
        return peer.report(ended=1 in peer.ended, status=peer.status.get(1))
    if scenario == "malformed":
        peer.start()
        peer.request(1, "/", extra=[("connection", "keep-alive")])
        peer.request(3, "/", extra=[("host", "elsewhere.example")])
        peer.request(5, "/")
        deadline = time.monotonic() + 10
        while 5 not in peer.ended and not peer.closed and time.monotonic() < deadline:
            peer.poll(0.2, once=True)
        return peer.report(reset={str(k): v for k, v in peer.reset.items()},
                           status={str(k): v for k, v in peer.status.items()})
    if scenario == "stalled-window":
        peer.reads = False
        peer.start(struct.pack(">HI", 0x4, 0))
        peer.request(1, arg)
        peer.poll(float(args[3]) if len(args) > 3 else 10)
        return peer.report(reset=peer.reset.get(1))
    n = int(arg)
    peer.start()
    if scenario == "rapid-reset":
        for i in range(n):
            stream = 1 + 2 * i
            if not peer.request(stream) or not peer.send(
                    frame(RST_STREAM, 0, stream, struct.pack(">I", 0x8))):
                break
    elif scenario == "continuation":
        block = request_block(peer.authority)
        peer.send(frame(HEADERS, END_STREAM, 1, block))
        for _ in range(n):
            if not peer.send(frame(CONTINUATION, 0, 1)):
                break
    elif scenario == "settings-flood":
        for _ in range(n):
            if not peer.send(frame(SETTINGS, 0, 0)):
                break
    elif scenario == "ping-flood":
        for _ in range(n):
            if not peer.send(frame(PING, 0, 0, b"12345678")):
                break
    elif scenario == "empty-data":
        peer.request(1, "/", "POST", end=False)
        for _ in range(n):
            if not peer.send(frame(DATA, 0, 1)):
                break
    elif scenario == "hpack-bomb":
        big = literal("x-big", "b" * 4000, indexing=True)  # dynamic table index 62
        peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, request_block(peer.authority) + big))
        block = request_block(peer.authority) + bytes([0x80 | 62]) * n
        peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, block))
    else:
        sys.exit("unknown scenario " + scenario)
    peer.poll(10)
    peer.report()


if __name__ == "__main__":
    main()
