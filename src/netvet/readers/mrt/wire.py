"""The MRT wire format (RFC 6396): record type names, header and entry layouts, limits, address text.

Plain constants and pure functions shared by the parser, the fast engine, the text writer and BMP; no state.
"""

from __future__ import annotations

import re
import socket
import struct

FORMAT = "mrt"

# ----------------------------------------------------------------------------- MRT constants
TYPE_NAMES = {
    0: "NULL",
    1: "START",
    2: "DIE",
    3: "I_AM_DEAD",
    4: "PEER_DOWN",
    5: "BGP",
    6: "RIP",
    7: "IDRP",
    8: "RIPNG",
    9: "BGP4PLUS",
    10: "BGP4PLUS_01",
    11: "OSPFv2",
    12: "TABLE_DUMP",
    13: "TABLE_DUMP_V2",
    16: "BGP4MP",
    17: "BGP4MP_ET",
    32: "ISIS",
    33: "ISIS_ET",
    48: "OSPFv3",
    49: "OSPFv3_ET",
}
SUBTYPE_NAMES = {
    5: {
        0: "NULL",
        1: "UPDATE",
        2: "PREF_UPDATE",
        3: "STATE_CHANGE",
        4: "SYNC",
        5: "OPEN",
        6: "NOTIFY",
        7: "KEEPALIVE",
    },
    12: {1: "AFI_IPv4", 2: "AFI_IPv6"},
    13: {
        1: "PEER_INDEX_TABLE",
        2: "RIB_IPV4_UNICAST",
        3: "RIB_IPV4_MULTICAST",
        4: "RIB_IPV6_UNICAST",
        5: "RIB_IPV6_MULTICAST",
        6: "RIB_GENERIC",
        7: "GEO_PEER_TABLE",
        8: "RIB_IPV4_UNICAST_ADDPATH",
        9: "RIB_IPV4_MULTICAST_ADDPATH",
        10: "RIB_IPV6_UNICAST_ADDPATH",
        11: "RIB_IPV6_MULTICAST_ADDPATH",
        12: "RIB_GENERIC_ADDPATH",
    },
    16: {
        0: "STATE_CHANGE",
        1: "MESSAGE",
        2: "ENTRY",
        3: "SNAPSHOT",
        4: "MESSAGE_AS4",
        5: "STATE_CHANGE_AS4",
        6: "MESSAGE_LOCAL",
        7: "MESSAGE_AS4_LOCAL",
        8: "MESSAGE_ADDPATH",
        9: "MESSAGE_AS4_ADDPATH",
        10: "MESSAGE_LOCAL_ADDPATH",
        11: "MESSAGE_AS4_LOCAL_ADDPATH",
    },
}
SUBTYPE_NAMES[17] = SUBTYPE_NAMES[16]
ET_TYPES = frozenset({17, 33, 49})
ROUTING_TYPES = frozenset({5, 12, 13, 16, 17})  # types netvet decodes; resync only trusts these
MAX_RECORD = 64 << 20  # a record longer than this is taken as a damaged header
MAX_CLOCK_JUMP = 400 * 86400  # resync: a candidate header's time must be this close to the last good one

BGP_MSG_NAMES = {1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"}
SAFI_NAMES = {
    1: "unicast",
    2: "multicast",
    3: "unicast+multicast",
    4: "labeled unicast",
    5: "MCAST-VPN",
    65: "VPLS",
    70: "EVPN",
    71: "BGP-LS",
    128: "MPLS VPN",
    129: "multicast VPN",
    132: "RT constraint",
    133: "flowspec",
    134: "flowspec VPN",
}
IP_SAFIS = frozenset({1, 2, 3})

BGP_MARKER = b"\xff" * 16
HEADER = struct.Struct(">IHHI")
U16 = struct.Struct(">H")
U32 = struct.Struct(">I")
RIB_ENTRY = struct.Struct(">HIH")  # TDv2 RIB entry: peer index, originated time, attribute length
RIB_ENTRY_ADDPATH = struct.Struct(">HIIH")  # ... with ADD-PATH path identifier
ASN_STRUCTS = {
    2: [struct.Struct(f">{n}H") for n in range(256)],
    4: [struct.Struct(f">{n}I") for n in range(256)],
}
ATTR_CACHE_MAX = 200_000
AS_TRANS = 23456

# candidate MRT header for resynchronisation: bytes 4..7 are type (a decoded type) and a small subtype
RESYNC = re.compile(rb"\x00[\x05\x0c\x0d\x10\x11]\x00[\x00-\x0c]", re.S)


class BadRecord(Exception):
    """A record (or RIB entry) that cannot be decoded; the message is the reason shown to the user."""


# ----------------------------------------------------------------------------- address formatting
def ntoa4(b: bytes) -> str:
    return socket.inet_ntoa(b)


def ntoa6(b: bytes) -> str:
    """IPv6 text exactly as ``bgpdump`` writes it (longest zero run compressed, even a single group;
    IPv4-mapped and IPv4-compatible addresses in dotted form)."""
    if b[:10] == b"\x00" * 10 and b[10:12] == b"\xff\xff":
        s = "::ffff:" + socket.inet_ntoa(b[12:])
    elif b[:12] == b"\x00" * 12 and int.from_bytes(b[12:], "big") > 1:
        s = "::" + socket.inet_ntoa(b[12:])
    else:
        words = struct.unpack(">8H", b)
        best, best_len, run_start, run_len = -1, 0, -1, 0
        for i, w in enumerate(words):
            if w == 0:
                if run_len == 0:
                    run_start = i
                run_len += 1
                if run_len > best_len:
                    best, best_len = run_start, run_len
            else:
                run_len = 0
        hexes = [f"{w:x}" for w in words]
        tail = ":".join(hexes[best + best_len :])
        s = ":".join(hexes) if best < 0 else ":".join(hexes[:best]) + "::" + tail
    return s


def pad(pbytes: bytes, size: int) -> bytes:
    return pbytes + b"\x00" * (size - len(pbytes)) if len(pbytes) < size else pbytes[:size]


def prefix_text(afi: int, pbytes: bytes, plen: int) -> str:
    if afi == 1:
        return f"{socket.inet_ntoa(pad(pbytes, 4))}/{plen}"
    return f"{ntoa6(pad(pbytes, 16))}/{plen}"


def next_hop_text(nh: bytes) -> str | None:
    n = len(nh)
    if n == 4:
        return socket.inet_ntoa(nh)
    if n == 16 or n == 32:
        return ntoa6(nh[:16])
    if n == 12:  # RD + IPv4 (VPN)
        return socket.inet_ntoa(nh[8:])
    if n == 24 or n == 48:  # RD + IPv6 (VPN)
        return ntoa6(nh[8:24])
    return None


def record_name(typ: int, sub: int) -> str:
    t = TYPE_NAMES.get(typ, f"type {typ}")
    s = SUBTYPE_NAMES.get(typ, {}).get(sub, f"subtype {sub}")
    return f"{t}/{s}"
