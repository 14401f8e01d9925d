"""NetFlow v5, NetFlow v9 and IPFIX export packets built from their specifications, for feeding a real nfcapd.

NetFlow v5: Cisco's v5 export format (24-byte header, 48-byte records). NetFlow v9: RFC 3954 (template
flowset id 0, data flowsets by template id). IPFIX: RFC 7011 (template set id 2; information elements
from the IANA IPFIX registry).
"""

from __future__ import annotations

import ipaddress
import socket
import struct

UPTIME_MS = 100_000


def _ip4(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def v5(export_secs: int, flows: list[tuple[str, str, int, int, int, int, int, int, int]]) -> bytes:
    """flows: (src, dst, sport, dport, proto, packets, octets, first_ms_before_export, last_ms_before_export)."""
    header = struct.pack("!HHIIIIBBH", 5, len(flows), UPTIME_MS, export_secs, 0, 1, 0, 0, 0)
    body = b""
    for src, dst, sp, dp, proto, pkts, octs, first, last in flows:
        body += struct.pack("!IIIHHIIIIHHBBBBHHBBH", _ip4(src), _ip4(dst), 0, 1, 2, pkts, octs, UPTIME_MS - first,
                            UPTIME_MS - last, sp, dp, 0, 0x18, proto, 0, 0, 0, 24, 24, 0)
    return header + body


# NetFlow v9 / IPFIX field types: (id, length)
V4_FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 4), (2, 4), (22, 4), (21, 4)]
V6_FIELDS = [(27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (1, 4), (2, 4), (22, 4), (21, 4)]


def _pad(b: bytes) -> bytes:
    return b + b"\x00" * (-len(b) % 4)


def _v9_record(src: str, dst: str, sp: int, dp: int, proto: int, pkts: int, octs: int, first: int, last: int) -> bytes:
    a, b = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    return a + b + struct.pack("!HHBIIII", sp, dp, proto, octs, pkts, UPTIME_MS - first, UPTIME_MS - last)


def v9(export_secs: int, flows4: list[tuple], flows6: list[tuple]) -> bytes:
    """One packet: both templates (256 IPv4, 257 IPv6), then a data flowset for each."""
    tmpl = b""
    for tid, fields in ((256, V4_FIELDS), (257, V6_FIELDS)):
        tmpl += struct.pack("!HH", tid, len(fields)) + b"".join(struct.pack("!HH", t, n) for t, n in fields)
    sets = struct.pack("!HH", 0, 4 + len(tmpl)) + tmpl
    count = 2
    for tid, flows in ((256, flows4), (257, flows6)):
        if not flows:
            continue
        data = _pad(b"".join(_v9_record(*f) for f in flows))
        sets += struct.pack("!HH", tid, 4 + len(data)) + data
        count += len(flows)
    header = struct.pack("!HHIIII", 9, count, UPTIME_MS, export_secs, 1, 7)
    return header + sets


# IPFIX information elements: addresses, ports, protocol, octetDeltaCount(1, 8 bytes), packetDeltaCount(2, 8),
# flowStartMilliseconds(152, 8), flowEndMilliseconds(153, 8)
IPFIX4 = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (152, 8), (153, 8)]
IPFIX6 = [(27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (152, 8), (153, 8)]


def ipfix(export_secs: int, flows4: list[tuple], flows6: list[tuple]) -> bytes:
    """flows: (src, dst, sport, dport, proto, packets, octets, start_ms, end_ms) (milliseconds since the epoch)."""
    tmpl = b""
    for tid, fields in ((256, IPFIX4), (257, IPFIX6)):
        tmpl += struct.pack("!HH", tid, len(fields)) + b"".join(struct.pack("!HH", t, n) for t, n in fields)
    sets = struct.pack("!HH", 2, 4 + len(tmpl)) + tmpl
    for tid, flows in ((256, flows4), (257, flows6)):
        if not flows:
            continue
        data = b""
        for src, dst, sp, dp, proto, pkts, octs, start, end in flows:
            data += ipaddress.ip_address(src).packed + ipaddress.ip_address(dst).packed
            data += struct.pack("!HHBQQQQ", sp, dp, proto, octs, pkts, start, end)
        sets += struct.pack("!HH", tid, 4 + len(data)) + data
    header = struct.pack("!HHIII", 10, 16 + len(sets), export_secs, 1, 7)
    return header + sets


def send(port: int, packets: list[bytes]) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for p in packets:
            s.sendto(p, ("127.0.0.1", port))
    finally:
        s.close()
