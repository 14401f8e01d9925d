"""RIPE Atlas traceroute results (JSON array, one JSON object, or JSON Lines) as route evidence.

Each result has ``result``: a list of hops ``{"hop": n, "result": [reply, ...]}`` (or ``{"hop": n,
"error": "..."}``). A reply is ``{"x": "*"}`` (no answer: a timeout), or an answer ``{"from": addr,
"rtt": ms, "size": .., "ttl": ..}`` that may carry ``err`` (an ICMP error such as ``"H"`` host
unreachable, ``"N"``, ``"P"``, ``"A"`` or a number), ``late``, ``edst``, ``icmpext`` (MPLS labels), ``mtu``,
``ittl``, ``hbhoptsize``/``dstoptsize`` ... — the schema drifted across probe firmware (``msm_name`` only
from fw 4550, ``group_id`` from 4610, ``ittl`` in 4470/4480 ...), so fields are read when present and
never required beyond ``result``.

Nothing is dropped: timeouts, error replies, and answers from private or otherwise non-global addresses
(RFC 1918, shared 100.64/10, link-local, ULA, documentation ... — ``ipaddress``'s ``is_global``) are counted
in :class:`TraceCounts` per trace and in total; only global addresses are mapped to ASes (through an
``attribution.prefix_index.PrefixIndex``, all addresses of a file in one vectorised batch).

:func:`traceroute_routes` turns traces into routes (a :class:`RouteTable`): the peer is the probe (its
public address, ``from``), the path is the AS sequence of the answering hops — the probe's AS first,
consecutive repeats collapsed, hops without an AS skipped — and, when the trace did not reach its
destination's AS, that AS (the origin of the destination's prefix) is appended; the route's prefix is
the destination's matched prefix.

The registered reader (``atlas-traceroute``) serves ``netvet audit``: it yields the traces' routes (the
pipeline makes one observation per AS of them, ``analyses.route_observations``), mapped with the IP → ASN index
of its ``reference`` (``Reference.get("prefix_index")``, filled by the pipeline from ``--asn-db`` or the active
``netvet data`` datasets ``caida-pfx2as-v4``/``-v6``); without one it refuses the file with a message naming
``--asn-db``.
"""

from __future__ import annotations

import ipaddress
import json
import lzma
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..model import InputError, ReadStats
from ..model.route import KIND_RIB, RouteTable, RouteTableBuilder
from . import jsonstream
from .base import TEXT_HEAD, Progress, Reader, ReadResult, Reference, limits, open_input, refuse_binary, register

FORMAT = "atlas-traceroute"
_SNIFF = re.compile(rb'"type"\s*:\s*"traceroute"')
_SNIFF_TYPE = re.compile(rb'"type"\s*:')
_SNIFF_KEYS = re.compile(rb'"(?:prb_id|msm_id)"')
# the hop list of a traceroute result: "result": [{"hop": 1, ...  (keys of a hop may come in any order)
_SNIFF_HOPS = re.compile(rb'"result"\s*:\s*\[\s*\{[^{}\[\]]{0,200}?"hop"\s*:\s*\d')
_SNIFF_ATLAS = re.compile(rb'"(?:prb_id|msm_id|paris_id|dst_addr|src_addr|from|fw|lts|af)"\s*:')


def sniff(head: bytes) -> bool:
    """RIPE Atlas traceroute JSON: an object (or array of objects, or JSON Lines) with ``"type":
    "traceroute"`` and Atlas ids; or, when the head holds no ``"type"`` key (a single result whose long
    hop list pushes ``type``, ``msm_id`` and ``prb_id`` past the head), Atlas result keys and a list of
    hops (``"result": [{"hop": 1, ...``)."""
    start = head.lstrip()[:1]
    if start not in (b"{", b"["):
        return False
    if _SNIFF.search(head):
        return bool(_SNIFF_KEYS.search(head)) or bool(_SNIFF_HOPS.search(head))
    if _SNIFF_TYPE.search(head):  # a "type" key, but not a traceroute's
        return False
    return bool(_SNIFF_HOPS.search(head)) and len(set(_SNIFF_ATLAS.findall(head))) >= 2


@dataclass
class Hop:
    hop: int
    replies: int = 0  # answers ("from" present)
    timeouts: int = 0  # {"x": "*"}
    errors: int = 0  # answers carrying "err"
    private: int = 0  # answers from non-global addresses
    addresses: list[str] = field(default_factory=list)  # distinct answering addresses, first seen first
    error: str | None = None  # a hop-level "error" (no replies recorded)


@dataclass
class Traceroute:
    line: int  # 1-based line (JSON Lines) or index in the array
    msm_id: int | None
    prb_id: int | None
    fw: int | None
    af: int
    proto: str | None
    timestamp: int | None
    src_addr: str | None
    from_addr: str | None
    dst_addr: str | None
    hops: list[Hop] = field(default_factory=list)

    @property
    def probe_address(self) -> str | None:
        """The probe's public address: ``from`` when set, else ``src_addr``."""
        return self.from_addr or self.src_addr

    @property
    def destination_reached(self) -> bool:
        return bool(self.dst_addr) and any(self.dst_addr in h.addresses for h in self.hops)


@dataclass
class TraceCounts:
    """Totals over a file (exact counts; nothing dropped)."""

    results: int = 0
    hops: int = 0
    hop_errors: int = 0  # hops with an "error" instead of replies
    replies: int = 0
    timeouts: int = 0
    error_replies: int = 0
    private_replies: int = 0
    addresses: int = 0  # distinct answering addresses over the file
    private_addresses: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _int(v) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _parse_result(obj, line: int, stats: ReadStats, counts: TraceCounts) -> Traceroute | None:
    if not isinstance(obj, dict):
        stats.problem(f"expected a JSON object, got {type(obj).__name__}", line=line)
        return None
    if obj.get("type", "traceroute") != "traceroute":
        stats.problem(f"not a traceroute result (type {obj.get('type')!r})", line=line)
        return None
    hops_raw = obj.get("result")
    if hops_raw is None and isinstance(obj.get("error"), (str, dict)):
        # a valid result of a measurement that could not run (e.g. the target's name did not resolve):
        # read, no hops, no route
        stats.skipped += 1
        stats.warn(f"traceroute did not run: {str(obj['error'])[:80]}", line=line)
        return None
    if not isinstance(hops_raw, list):
        stats.problem("traceroute without a 'result' list of hops", line=line)
        return None
    af = _int(obj.get("af")) or (6 if ":" in str(obj.get("dst_addr") or "") else 4)
    tr = Traceroute(line, _int(obj.get("msm_id")), _int(obj.get("prb_id")), _int(obj.get("fw")), af,
                    obj.get("proto") if isinstance(obj.get("proto"), str) else None, _int(obj.get("timestamp")),
                    obj.get("src_addr") or None, obj.get("from") or None, obj.get("dst_addr") or None)
    for h in hops_raw:
        if not isinstance(h, dict) or _int(h.get("hop")) is None:
            stats.damage(f"hop entry without a hop number: {json.dumps(h)[:60]}", line=line)
            continue
        hop = Hop(h["hop"])
        if "error" in h:
            hop.error = str(h["error"])
            counts.hop_errors += 1
        replies = h.get("result") or []
        if not isinstance(replies, list):
            stats.damage(f"hop {hop.hop}: 'result' is not a list of replies", line=line)
            replies = []
        for r in replies:
            if not isinstance(r, dict):
                stats.damage(f"hop {hop.hop}: reply is not an object", line=line)
                continue
            if r.get("x") == "*":
                hop.timeouts += 1
                continue
            addr = r.get("from")
            if not isinstance(addr, str) or not addr:
                if "err" in r or "rtt" in r:
                    stats.damage(f"hop {hop.hop}: reply without a 'from' address", line=line)
                else:
                    stats.warn(f"hop {hop.hop}: reply with neither an address nor a timeout: {json.dumps(r)[:60]}",
                               line=line)
                continue
            try:
                ip = ipaddress.ip_address(addr)
            except ValueError:
                stats.damage(f"hop {hop.hop}: bad reply address {addr!r}", line=line)
                continue
            hop.replies += 1
            if "err" in r:
                hop.errors += 1
            if not ip.is_global:
                hop.private += 1
            text = str(ip)
            if text not in hop.addresses:
                hop.addresses.append(text)
        counts.hops += 1
        counts.replies += hop.replies
        counts.timeouts += hop.timeouts
        counts.error_replies += hop.errors
        counts.private_replies += hop.private
        tr.hops.append(hop)
    return tr


def read_atlas(path: str | Path) -> tuple[list[Traceroute], ReadStats, TraceCounts]:
    """Every traceroute of a RIPE Atlas results file, with reading statistics and exact counts.

    Counts, in results (``stats.unit``): ``stats.read`` counts results (array elements, JSON Lines
    lines, objects of a multi-line document) and data that cannot be one (a line that is not JSON,
    trailing data after an array: one record each); a result that cannot be used is ``malformed``;
    errors inside a result that is still used (a bad hop or reply) are ``damaged``. So ``malformed <=
    read`` always. The file is streamed; a line longer than ``max_line_bytes`` or nested deeper than
    ``max_json_depth`` (``readers.base.Limits``) is one malformed record; a number outside 64-bit
    integers or doubles makes its record malformed. Binary input raises ``InputError``.
    """
    name = str(path)
    stats = ReadStats(name, FORMAT, unit="result")
    counts = TraceCounts()
    traces: list[Traceroute] = []

    def take(n: int, obj) -> None:
        stats.read += 1
        tr = _parse_result(obj, n, stats, counts)
        if tr is not None:
            traces.append(tr)

    try:
        with open_input(path) as fh:
            head = fh.read(TEXT_HEAD)
        refuse_binary(name, head, "RIPE Atlas results file")
        start = head.lstrip()[:1]
        with open_input(path) as fh:
            if start == b"[":
                _read_array(fh, name, stats, take)
            elif not _read_lines(fh, stats, take, documents=True):
                try:
                    with open_input(path) as again:
                        _read_documents(again, name, stats, take)
                except InputError:  # not one multi-line document either: JSON Lines with a bad first line
                    with open_input(path) as again:
                        _read_lines(again, stats, take, documents=False)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise InputError(name, f"cannot read: {exc}") from None
    counts.results = len(traces)
    addrs = {a for t in traces for h in t.hops for a in h.addresses}
    counts.addresses = len(addrs)
    counts.private_addresses = sum(1 for a in addrs if not ipaddress.ip_address(a).is_global)
    if not traces and stats.read == 0:
        raise InputError(name, "no traceroute results in the file")
    return traces, stats, counts


def _value(events: jsonstream.Events, ev, n: int, stats: ReadStats):
    try:
        return True, events.value(ev)
    except jsonstream.JsonDepthError as exc:
        stats.read += 1
        stats.problem(exc.reason, line=n)
        return False, None


def _read_array(fh, name: str, stats: ReadStats, take) -> None:
    """A JSON array of results, streamed element by element (``line`` is the 1-based index)."""
    events = jsonstream.Events(fh)
    n = 0
    try:
        first = events.expect()
        for i, ev in events.items(first):
            n = i + 1
            ok, obj = _value(events, ev, n, stats)
            if ok:
                take(n, obj)
        if events.next() is not None:
            raise jsonstream.JsonSyntaxError("a second JSON value", events.offset, after_document=True)
    except jsonstream.JsonSyntaxError as exc:
        if stats.read == 0:
            raise InputError(name, f"not JSON: {exc.reason}", offset=exc.offset) from None
        stats.read += 1  # the damaged rest (or trailing data): one more record, malformed
        where = "after the array" if exc.after_document else f"in element {n + 1} or later"
        stats.problem(f"not JSON {where}: {exc.reason} (near byte offset {exc.offset})", offset=exc.offset)


def _read_documents(fh, name: str, stats: ReadStats, take) -> None:
    """One or more JSON objects spread over lines (a pretty-printed result), streamed."""
    events = jsonstream.Events(fh, multiple=True)
    n = 0
    try:
        while (ev := events.next()) is not None:
            n += 1
            ok, obj = _value(events, ev, n, stats)
            if ok:
                take(n, obj)
    except jsonstream.JsonSyntaxError as exc:
        if stats.read == 0:
            raise InputError(name, f"not JSON: {exc.reason}", offset=exc.offset) from None
        stats.read += 1
        stats.problem(f"not JSON in value {n + 1} or later: {exc.reason} (near byte offset {exc.offset})",
                      offset=exc.offset)


def _read_lines(fh, stats: ReadStats, take, documents: bool) -> bool:
    """JSON Lines, one result per line; False (nothing counted) when the first line is the start of a
    multi-line JSON document instead."""
    max_line = limits().max_line_bytes
    max_depth = limits().max_json_depth
    n = 0
    first = documents
    while True:
        raw = fh.readline(max_line + 1)
        if not raw:
            return True
        n += 1
        if len(raw) > max_line and not raw.endswith(b"\n"):
            while (rest := fh.readline(max_line)) and not rest.endswith(b"\n"):
                pass
            stats.read += 1
            stats.problem(f"line longer than {max_line} bytes (limit max_line_bytes)", line=n)
            first = False
            continue
        line = raw.decode("utf-8", errors="replace")
        if not line.strip():
            continue
        if line.count("{") + line.count("[") > max_depth and _depth(line) > max_depth:
            stats.read += 1
            stats.problem(f"nested deeper than {max_depth} levels (limit max_json_depth)", line=n)
            first = False
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            if first and line.lstrip().startswith(("{", "[")) and exc.pos >= len(line.rstrip()):
                return False  # an object that goes on over the next lines
            stats.read += 1
            stats.problem(f"not JSON: {exc.msg} (column {exc.colno})", line=n)
        except (ValueError, RecursionError) as exc:  # a number of more than 4,300 digits ...
            stats.read += 1
            stats.problem(f"unreadable JSON: {str(exc).split(';')[0][:120]}", line=n)
        else:
            take(n, obj)
        first = False


def _depth(text: str) -> int:
    """Maximum nesting of ``[``/``{`` outside strings in ``text`` (only for lines with many brackets)."""
    depth = best = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best


@dataclass
class TraceAsPath:
    """The AS-level view of one traceroute."""

    trace: Traceroute
    probe_asn: int  # 0 when the probe address is not routed
    hop_asns: list[list[int]]  # per hop (same order as trace.hops): origin ASes of its global addresses
    path: list[int]  # collapsed AS path (probe AS first)
    destination_asn: int
    destination_prefix: str | None
    inferred_destination: bool  # the destination AS was appended (trace did not reach it)
    unrouted_addresses: int = 0


def map_to_ases(traces: list[Traceroute], index) -> list[TraceAsPath]:
    """Hop addresses → origin ASes with ``index`` (a ``PrefixIndex``), all addresses in one batch."""
    addrs: list[str] = []
    pos: dict[str, int] = {}
    for t in traces:
        for a in [t.probe_address, t.dst_addr] + [x for h in t.hops for x in h.addresses]:
            if a and a not in pos:
                pos[a] = len(addrs)
                addrs.append(a)
    res = index.lookup(np.array(addrs, dtype=object)) if addrs else None
    asn = res.asn.tolist() if res is not None else []
    plen = res.prefix_len.tolist() if res is not None else []
    glob = [_is_global(a) for a in addrs]

    def asn_of(a: str | None) -> int:
        if not a or a not in pos:
            return 0
        i = pos[a]
        return asn[i] if glob[i] else 0

    out = []
    for t in traces:
        hop_asns: list[list[int]] = []
        unrouted = 0
        path: list[int] = []
        p_asn = asn_of(t.probe_address)
        if p_asn:
            path.append(p_asn)
        for h in t.hops:
            found: list[int] = []
            for a in h.addresses:
                if not glob[pos[a]]:
                    continue
                x = asn_of(a)
                if not x:
                    unrouted += 1
                elif x not in found:
                    found.append(x)
            hop_asns.append(found)
            for x in found:
                if not path or path[-1] != x:
                    path.append(x)
        d_asn = asn_of(t.dst_addr)
        prefix = None
        if t.dst_addr and t.dst_addr in pos and plen[pos[t.dst_addr]] >= 0 and glob[pos[t.dst_addr]]:
            prefix = str(ipaddress.ip_network(f"{t.dst_addr}/{plen[pos[t.dst_addr]]}", strict=False))
        inferred = bool(d_asn) and (not path or path[-1] != d_asn)
        if inferred:
            path.append(d_asn)
        out.append(TraceAsPath(t, p_asn, hop_asns, path, d_asn, prefix, inferred, unrouted))
    return out


def _is_global(a: str) -> bool:
    try:
        return ipaddress.ip_address(a).is_global
    except ValueError:
        return False


def traceroute_routes(paths: list[TraceAsPath]) -> RouteTable:
    """One RIB-like route per traceroute (see the module docstring)."""
    b = RouteTableBuilder()
    for tp in paths:
        t = tp.trace
        peer = b.peer(t.probe_address or "", tp.probe_asn)
        asns = tuple(tp.path)
        path_index, origin = b.path(asns, (0,) * len(asns))
        if tp.destination_prefix:
            net = ipaddress.ip_network(tp.destination_prefix)
            value = int(net.network_address)
            fam, hi, lo, ln = net.version, (value >> 64) if net.version == 6 else 0, value & ((1 << 64) - 1), \
                net.prefixlen
        else:
            fam, hi, lo, ln = 0, 0, origin, 0
        b.add(KIND_RIB, t.timestamp or 0, 0, peer, tp.probe_asn, fam, hi, lo, ln, 0, 0, origin,
              path_index if asns else -1, -1)
    return b.build()


def load_traceroute_routes(path: str | Path, index) -> tuple[RouteTable, ReadStats, TraceCounts]:
    """Routes of a RIPE Atlas file, hop addresses mapped through ``index``."""
    traces, stats, counts = read_atlas(path)
    paths = map_to_ases(traces, index)
    empty = sum(1 for p in paths if not p.path)
    if empty:
        stats.warn(f"{empty} traceroute(s) with no routed hop and an unrouted destination: no AS path")
    return traceroute_routes(paths), stats, counts


@register
class AtlasTracerouteReader(Reader):
    format = FORMAT
    description = "RIPE Atlas traceroute results (JSON / JSON Lines): one observation per AS on the traces"
    extensions = (".jsonl", ".json")
    options = ("reference",)
    yields = frozenset({"routes"})  # the traces' routes (ReadResult.routes)

    def __init__(self, reference: Reference | None = None) -> None:
        self.reference = reference or Reference()

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniff(head)

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        index = self.reference.get("prefix_index")
        if index is None:
            raise InputError(str(path), "RIPE Atlas traceroutes need an IP -> ASN database: give --asn-db DB, "
                                        "or run `netvet data fetch caida-pfx2as-v4`")
        table, stats, _ = load_traceroute_routes(path, index)
        return ReadResult(stats=stats, routes=table)
