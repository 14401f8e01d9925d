"""BMP (RFC 7854) from a router: netvet listens on TCP, the router connects.

Route Monitoring carries the BGP UPDATE as the monitored peer sent it (pre-policy), as the router kept it
(post-policy, L flag) or the router's Loc-RIB (RFC 9069, peer type 3); it is decoded with the BGP UPDATE and path
attribute code of netvet's MRT reader (:class:`netvet.readers.mrt.MrtParser`). Peer Up / Peer Down notifications
become session events; Initiation, Termination, Statistics and Route Mirroring are read and skipped.
"""

from __future__ import annotations

import socket
import struct

from ..model.route import RouteKind
from ..readers.mrt.parser import MrtParser
from ..readers.mrt.wire import BadRecord, ntoa6, prefix_text

COMMON = struct.Struct(">BIB")  # version, length, type
PEER_HDR_LEN = 42
MSG_NAMES = {0: "route-monitoring", 1: "statistics", 2: "peer-down", 3: "peer-up", 4: "initiation",
             5: "termination", 6: "route-mirroring"}
VIEWS = {0: "pre-policy", 1: "post-policy"}


class BmpError(ValueError):
    pass


class _Sink:
    def __init__(self) -> None:
        self.routes: list[tuple[str, str, tuple | None]] = []  # (A|W, prefix, path)

    def route(self, rtype, ts, usec, kind, peer_ip, peer_as, afi, safi, pbytes, plen, path_id, attrs, next_hop,
              local, entry, offset) -> None:
        if safi not in (1, 2):
            return
        pfx = prefix_text(afi, pbytes, plen)
        if kind == RouteKind.WITHDRAW:
            self.routes.append(("W", pfx, None))
        else:
            self.routes.append(("A", pfx, attrs.as_path if attrs is not None else ()))


class BmpDecoder:
    """Splits a BMP byte stream into messages and decodes them; one instance per router connection."""

    def __init__(self, router: str = "") -> None:
        self.router = router
        self.buf = bytearray()
        self._bgp = MrtParser("bmp")  # its BGP UPDATE decoding, nothing of its file reading

    def feed(self, data: bytes) -> list[dict]:
        self.buf += data
        out = []
        while len(self.buf) >= 6:
            version, length, mtype = COMMON.unpack_from(self.buf, 0)
            if version != 3:
                raise BmpError(f"BMP version {version} (expected 3)")
            if length < 6 or length > 1 << 24:
                raise BmpError(f"BMP message length {length}")
            if len(self.buf) < length:
                break
            body = bytes(self.buf[6:length])
            del self.buf[:length]
            out.append(self.decode(mtype, body))
        return out

    def _peer(self, body: bytes) -> dict:
        if len(body) < PEER_HDR_LEN:
            raise BmpError("per-peer header truncated")
        ptype, flags = body[0], body[1]
        addr = body[10:26]
        ipv6 = bool(flags & 0x80)
        address = ntoa6(addr) if ipv6 else socket.inet_ntoa(addr[12:16])
        asn, = struct.unpack_from(">I", body, 26)
        bgp_id = socket.inet_ntoa(body[30:34])
        sec, usec = struct.unpack_from(">II", body, 34)
        view = "loc-rib" if ptype == 3 else VIEWS[1 if flags & 0x40 else 0]
        return {"type": ptype, "flags": flags, "address": address, "asn": asn, "bgp_id": bgp_id,
                "ts": sec + usec / 1e6, "view": view, "as2": bool(flags & 0x20) and ptype != 3}

    def decode(self, mtype: int, body: bytes) -> dict:
        name = MSG_NAMES.get(mtype, f"type {mtype}")
        if mtype in (4, 5, 1, 6):
            return {"msg": name}
        peer = self._peer(body)
        rest = body[PEER_HDR_LEN:]
        if mtype == 0:
            if len(rest) < 19 or rest[:16] != b"\xff" * 16:
                raise BmpError("route monitoring without a BGP message")
            blen, btype = struct.unpack_from(">HB", rest, 16)
            if btype != 2:
                return {"msg": name, "peer": peer, "routes": []}
            sink = _Sink()
            try:
                parts = self._bgp._update(rest, 19, blen, 2 if peer["as2"] else 4, False)
                self._bgp._emit_update(sink, None, int(peer["ts"]), None, peer["address"], peer["asn"], parts, False)
            except BadRecord as exc:
                raise BmpError(f"BGP UPDATE from {peer['address']}: {exc}") from None
            return {"msg": name, "peer": peer, "routes": sink.routes}
        if mtype == 2:
            reason = rest[0] if rest else 0
            return {"msg": name, "peer": peer, "reason": {1: "local notification", 2: "local, no notification",
                                                          3: "remote notification", 4: "remote, no notification",
                                                          5: "peer de-configured"}.get(reason, f"reason {reason}")}
        return {"msg": name, "peer": peer}


def apply_bmp(engine, feed: str, router: str, msg: dict, now: float | None = None) -> None:
    """Apply one decoded BMP message to the engine; peers are keyed ``router/peer view``."""
    peer = msg.get("peer")
    if peer is None:
        return
    ts = peer["ts"] or (now or 0.0)
    addr = f"{router}/{peer['address']} {peer['view']}"
    if msg["msg"] == "route-monitoring":
        for kind, prefix, path in msg["routes"]:
            if kind == "A":
                engine.announce(feed, addr, peer["asn"], prefix, path, ts)
            else:
                engine.withdraw(feed, addr, peer["asn"], prefix, ts)
    elif msg["msg"] == "peer-down":
        for view in ("pre-policy", "post-policy", "loc-rib"):
            a = f"{router}/{peer['address']} {view}"
            if (feed, a, peer["asn"]) in engine._peer or view == "pre-policy":
                engine.peer_down(feed, a, peer["asn"], ts, msg.get("reason", ""))
    elif msg["msg"] == "peer-up":
        engine.peer_up(feed, f"{router}/{peer['address']} pre-policy", peer["asn"], ts)
