"""A minimal BGP-4 speaker for tests: opens a session (4-octet AS capability) and announces IPv4 routes.

Only what a test needs: OPEN, KEEPALIVE and UPDATE messages with ORIGIN, AS_PATH (4-byte ASNs; AS_SEQUENCE
and AS_SET segments) and NEXT_HOP (RFC 4271, RFC 6793).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import time

MARKER = b"\xff" * 16
AS_SET, AS_SEQUENCE = 1, 2


def message(kind: int, body: bytes) -> bytes:
    return MARKER + struct.pack(">HB", 19 + len(body), kind) + body


def open_message(asn: int, router_id: str, hold: int = 90) -> bytes:
    caps = bytes([1, 4, 0, 1, 0, 1])  # multiprotocol IPv4 unicast
    caps += bytes([65, 4]) + struct.pack(">I", asn)  # 4-octet AS
    params = bytes([2, len(caps)]) + caps
    my_as = asn if asn < 65536 else 23456
    body = struct.pack(">BHH", 4, my_as, hold) + socket.inet_aton(router_id) + bytes([len(params)]) + params
    return message(1, body)


def keepalive() -> bytes:
    return message(4, b"")


def as_path_attr(segments: list[tuple[int, list[int]]]) -> bytes:
    data = b"".join(bytes([t, len(asns)]) + b"".join(struct.pack(">I", a) for a in asns) for t, asns in segments)
    return bytes([0x40, 2, len(data)]) + data


def update(prefix: str, segments: list[tuple[int, list[int]]], next_hop: str) -> bytes:
    attrs = bytes([0x40, 1, 1, 0])  # ORIGIN IGP
    attrs += as_path_attr(segments)
    attrs += bytes([0x40, 3, 4]) + socket.inet_aton(next_hop)
    net = ipaddress.ip_network(prefix)
    nbytes = (net.prefixlen + 7) // 8
    nlri = bytes([net.prefixlen]) + net.network_address.packed[:nbytes]
    body = struct.pack(">H", 0) + struct.pack(">H", len(attrs)) + attrs + nlri
    return message(2, body)


def _read_message(sock: socket.socket) -> tuple[int, bytes]:
    head = b""
    while len(head) < 19:
        chunk = sock.recv(19 - len(head))
        if not chunk:
            raise ConnectionError("peer closed the session")
        head += chunk
    length, kind = struct.unpack(">HB", head[16:19])
    body = b""
    while len(body) < length - 19:
        chunk = sock.recv(length - 19 - len(body))
        if not chunk:
            raise ConnectionError("peer closed the session")
        body += chunk
    return kind, body


class Speaker:
    """Connects from ``source`` to ``(host, port)`` as ``asn`` and keeps the session up until closed."""

    def __init__(self, source: str, host: str, port: int, asn: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=5, source_address=(source, 0))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.sock.sendall(open_message(asn, source))
        kind, body = _read_message(self.sock)
        if kind != 1:
            raise ConnectionError(f"expected OPEN, got message type {kind}: {body!r}")
        self.sock.sendall(keepalive())
        while True:  # wait for the peer's KEEPALIVE: the session is established
            kind, body = _read_message(self.sock)
            if kind == 4:
                break
            if kind == 3:
                raise ConnectionError(f"NOTIFICATION {body[:2].hex()}")

    def announce(self, prefix: str, segments: list[tuple[int, list[int]]], next_hop: str) -> None:
        self.sock.sendall(update(prefix, segments, next_hop))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
