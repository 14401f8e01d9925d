"""``bgpdump -m`` text: writing routes in its layout, and reading it back as route evidence.

One line per route::

    TYPE|timestamp|B/A|peer_ip|peer_as|prefix|[path_id|]as_path|origin|next_hop|local_pref|med|communities|AG/NAG|aggregator|
    TYPE|timestamp|W|peer_ip|peer_as|prefix[|path_id]
    TYPE|timestamp|STATE|peer_ip|peer_as|old_state|new_state

``TYPE`` is TABLE_DUMP, TABLE_DUMP2, BGP4MP, BGP4MP_ET or BGP, with ``_LOCAL`` (messages the collector
sent) and ``_AP`` (ADD-PATH: a path identifier column follows the prefix) suffixes; BGP4MP_ET
timestamps carry microseconds (``1452168107.123456``). AS_SETs are written ``{a,b}``, confederation
sequences ``(a b)``, confederation sets ``[a,b]``; a missing ORIGIN is written INCOMPLETE, a missing
LOCAL_PREF/MED as 0 and a missing next hop as 255.255.255.255, all exactly as bgpdump 1.6 does.
netvet adds one type bgpdump does not print: ``BGP4MP_ENTRY`` for OpenBGPD's legacy RIB records.
MRT type 5 (``BGP``) announcements have bgpdump's layout for them, without the '|' between MED and
communities (``...|local_pref|MED<communities>|AG/NAG|aggregator|``).

:func:`format_line` writes a :class:`RouteRecord`; :func:`parse_line` / :func:`iter_text_routes` read
lines back; :func:`read_text_table` loads large texts straight into a :class:`RouteTable` with Polars.
"""

from __future__ import annotations

import io
import ipaddress
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import numpy as np

from ..model import ReadStats
from ..model.route import (
    AS_CONFED_SEQUENCE,
    AS_CONFED_SET,
    AS_SEQUENCE,
    AS_SET,
    KIND_CODES,
    MARK_CONFED_SEQ,
    MARK_CONFED_SET_FIRST,
    MARK_SEQ,
    MARK_SET_FIRST,
    MARK_SET_NEXT,
    MrtType,
    PathAttributes,
    RouteKind,
    RouteRecord,
    RouteTable,
    RouteTableBuilder,
    encode_segments,
    flatten_segments,
)
from .base import open_input, text_lines

FORMAT = "bgpdump-text"
_ORIGIN = {0: "IGP", 1: "EGP"}
_ORIGIN_CODE = {"IGP": 0, "EGP": 1, "INCOMPLETE": 2}
_OPEN = {AS_SET: "{", AS_CONFED_SEQUENCE: "(", AS_CONFED_SET: "["}
_CLOSE = {AS_SET: "}", AS_CONFED_SEQUENCE: ")", AS_CONFED_SET: "]"}
_WELL_KNOWN = {(0xFFFF, 0xFF01): "no-export", (0xFFFF, 0xFF02): "no-advertise", (0xFFFF, 0xFF03): "local-AS"}
NO_NEXT_HOP = "255.255.255.255"  # bgpdump prints INADDR_NONE for a route without a next hop


# ----------------------------------------------------------------------------- writing
def as_path_text(segments) -> str:
    """An AS path written as bgpdump writes it (``1 2 {3,4} (5 6) [7,8]``); '' without AS_PATH."""
    if not segments:
        return ""
    if len(segments) == 1 and segments[0][0] == AS_SEQUENCE:
        return " ".join(map(str, segments[0][1]))
    out: list[str] = []
    prev = AS_SEQUENCE
    space = False
    for seg_type, asns in segments:
        if prev != AS_SEQUENCE:
            out.append(_CLOSE[prev])
        if space:
            out.append(" ")
        if seg_type != AS_SEQUENCE:
            out.append(_OPEN[seg_type])
        sep = "," if seg_type in (AS_SET, AS_CONFED_SET) else " "
        out.append(sep.join(map(str, asns)))
        space = bool(asns)
        prev = seg_type
    if prev != AS_SEQUENCE:
        out.append(_CLOSE[prev])
    return "".join(out)


def communities_text(communities: Iterable[tuple[int, int]]) -> str:
    return " ".join(_WELL_KNOWN.get(c) or f"{c[0]}:{c[1]}" for c in communities)


class LineFormatter:
    """Formats records as ``bgpdump -m`` lines, caching the attribute part per attribute object."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[PathAttributes, str, str, str]] = {}

    def attr_parts(self, a: PathAttributes, legacy: bool = False) -> tuple[str, str]:
        """(AS path|origin, local_pref|med|communities|AG|aggregator|); ``legacy``: the MRT type 5 layout."""
        got = self._cache.get(id(a))
        if got is None or got[0] is not a:
            if len(self._cache) > 100_000:
                self._cache.clear()
            head = f"{as_path_text(a.segments)}|{_ORIGIN.get(a.origin, 'INCOMPLETE')}"
            agg = f"{a.aggregator[0]} {a.aggregator[1]}" if a.aggregator else ""
            comms = communities_text(a.communities)
            end = f"|{'AG' if a.atomic_aggregate else 'NAG'}|{agg}|"
            tail = f"{a.local_pref or 0}|{a.med or 0}|{comms}{end}"
            # bgpdump 1.6 writes type 5 (BGP) lines without the '|' between MED and communities
            tail5 = f"{a.local_pref or 0}|{a.med or 0}{comms}{end}"
            got = self._cache[id(a)] = (a, head, tail, tail5)
        return got[1], got[3] if legacy else got[2]

    def __call__(self, r: RouteRecord) -> str:
        ts = str(r.timestamp) if r.microseconds is None else f"{r.timestamp}.{r.microseconds:06d}"
        lead = f"{r.label}|{ts}|{r.kind}|{r.peer_ip}|{r.peer_as}|"
        if r.kind == RouteKind.STATE:
            return f"{lead}{r.old_state}|{r.new_state}"
        if r.kind == RouteKind.WITHDRAW:
            return f"{lead}{r.prefix}" if r.path_id is None else f"{lead}{r.prefix}|{r.path_id}"
        pid = "" if r.path_id is None else f"{r.path_id}|"
        legacy = r.type == MrtType.BGP
        if r.attrs is None:
            rest = "0|0|NAG||" if legacy else "0|0||NAG||"
            return f"{lead}{r.prefix}|{pid}|INCOMPLETE|{r.next_hop or NO_NEXT_HOP}|{rest}"
        head, tail = self.attr_parts(r.attrs, legacy)
        return f"{lead}{r.prefix}|{pid}{head}|{r.next_hop or NO_NEXT_HOP}|{tail}"


def format_line(record: RouteRecord) -> str:
    """One ``bgpdump -m`` line for ``record`` (use a :class:`LineFormatter` for many records)."""
    return LineFormatter()(record)


# ----------------------------------------------------------------------------- reading, per line
class BadLine(ValueError):
    pass


def parse_as_path(text: str):
    """Segments ``((type, (asn, ...)), ...)`` of a bgpdump AS path text."""
    segs: list[tuple[int, tuple[int, ...]]] = []
    seq: list[int] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == " ":
            i += 1
        elif c in "{[(":
            close = {"{": "}", "[": "]", "(": ")"}[c]
            j = text.find(close, i)
            if j < 0:
                raise BadLine(f"unclosed {c!r} in AS path {text!r}")
            if seq:
                segs.append((AS_SEQUENCE, tuple(seq)))
                seq = []
            inner = text[i + 1 : j].replace(",", " ").split()
            seg_type = {"{": AS_SET, "[": AS_CONFED_SET, "(": AS_CONFED_SEQUENCE}[c]
            segs.append((seg_type, tuple(int(x) for x in inner)))
            i = j + 1
        else:
            j = text.find(" ", i)
            j = n if j < 0 else j
            seq.append(int(text[i:j]))
            i = j
    if seq:
        segs.append((AS_SEQUENCE, tuple(seq)))
    return tuple(segs)


def _split_label(label: str) -> tuple[MrtType, bool, bool, bool, bool]:
    """(type, extended timestamp, local, add-path, legacy entry) of a bgpdump type label."""
    ap = label.endswith("_AP")
    base = label[:-3] if ap else label
    local = base.endswith("_LOCAL")
    base = base.removesuffix("_LOCAL")
    if base == "BGP4MP_ENTRY":
        return MrtType.BGP4MP, False, local, ap, True
    et = base == "BGP4MP_ET"
    base = "BGP4MP" if et else base
    try:
        return MrtType(base), et, local, ap, False
    except ValueError:
        raise BadLine(f"unknown record type {label!r}") from None


def parse_line(line: str) -> RouteRecord:
    """A :class:`RouteRecord` from one ``bgpdump -m`` line (raises :class:`BadLine`)."""
    f = line.rstrip("\r\n").split("|")
    if len(f) < 6:
        raise BadLine(f"{len(f)} fields, at least 6 expected")
    rtype, et, local, ap, entry = _split_label(f[0])
    try:
        if et:
            sec, _, usec = f[1].partition(".")
            ts, micro = int(sec), int(usec or 0)
        else:
            ts, micro = int(f[1]), None
        peer_as = int(f[4])
        kind = RouteKind(f[2])
        if kind == RouteKind.STATE:
            return RouteRecord(
                rtype,
                ts,
                kind,
                f[3],
                peer_as,
                microseconds=micro,
                old_state=int(f[5]),
                new_state=int(f[6]),
                safi=0,
            )
        prefix = _check_prefix(f[5])
        if kind == RouteKind.WITHDRAW:
            pid = int(f[6]) if ap else None
            return RouteRecord(rtype, ts, kind, f[3], peer_as, prefix, None, None, pid, micro, local, 0, entry=entry)
        k = 7 if ap else 6
        if rtype == MrtType.BGP and len(f) == k + 8 and f[k + 5] in ("AG", "NAG"):
            f = _split_legacy_med(f, k + 4)
        if len(f) < k + 8:
            raise BadLine(f"{len(f)} fields, {k + 8} expected for an announcement")
        segs = parse_as_path(f[k])
        comms = tuple(_community(c) for c in f[k + 5].split()) if f[k + 5] else ()
        agg = None
        if f[k + 7]:
            a_as, _, a_ip = f[k + 7].partition(" ")
            agg = (int(a_as), a_ip)
        attrs = PathAttributes(
            origin=_ORIGIN_CODE.get(f[k + 1], 2),
            segments=segs,
            next_hop=None,
            local_pref=int(f[k + 3]),
            med=int(f[k + 4]),
            communities=comms,
            atomic_aggregate=f[k + 6] == "AG",
            aggregator=agg,
            as_path=flatten_segments(segs),
        )
        return RouteRecord(
            rtype,
            ts,
            kind,
            f[3],
            peer_as,
            prefix,
            attrs,
            f[k + 2],
            int(f[6]) if ap else None,
            micro,
            local,
            0,
            entry=entry,
        )
    except (ValueError, IndexError) as exc:
        if isinstance(exc, BadLine):
            raise
        raise BadLine(str(exc)) from None


def _split_legacy_med(f: list[str], i: int) -> list[str]:
    """bgpdump's type 5 (BGP) layout writes MED and communities without a '|' between them: split them
    again where that is unambiguous (no communities, or a MED of 0), else :class:`BadLine`."""
    text = f[i]
    if text.isdigit() and not text.startswith("0") or text == "0":
        return [*f[:i], text, "", *f[i + 1 :]]
    if text.startswith("0") and not text.startswith("0:"):
        return [*f[:i], "0", text[1:], *f[i + 1 :]]
    raise BadLine(f"MRT type 5 line: MED and communities run together ({text!r}), cannot split them")


def _check_prefix(text: str) -> str:
    addr, slash, ln = text.partition("/")
    try:
        version = ipaddress.ip_address(addr).version
    except ValueError:
        raise BadLine(f"bad prefix {text!r}") from None
    if not slash or not ln.isdigit() or int(ln) > (128 if version == 6 else 32):
        raise BadLine(f"bad prefix {text!r}")
    return text


def _community(text: str) -> tuple[int, int]:
    for pair, name in _WELL_KNOWN.items():
        if text == name:
            return pair
    hi, _, lo = text.partition(":")
    return int(hi), int(lo)


def iter_text_routes(lines: Iterable[str], stats: ReadStats) -> Iterator[RouteRecord]:
    """Records from ``bgpdump -m`` lines; bad lines are counted and described in ``stats``."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        stats.read += 1
        try:
            yield parse_line(line)
        except BadLine as exc:
            stats.problem(f"not a bgpdump -m line: {exc}", line=n)


def read_text_routes(path: str | Path) -> tuple[list[RouteRecord], ReadStats]:
    stats = ReadStats(str(path), FORMAT)
    with open_input(path) as fh:
        return list(iter_text_routes(text_lines(fh), stats)), stats


# ----------------------------------------------------------------------------- reading, columnar
_MASK64 = (1 << 64) - 1


def read_text_table(
    source: str | Path | IO[bytes], stats: ReadStats | None = None, chunk_bytes: int = 64 << 20
) -> RouteTable:
    """``bgpdump -m`` text (a path or a binary stream) straight into a :class:`RouteTable`.

    The text is cut into chunks of about ``chunk_bytes`` at line ends and each chunk is split into
    columns with Polars (vectorised, multi-threaded), so memory stays bounded for full-table dumps.
    STATE lines are counted (``stats.skipped``), not stored: they are not routes. Peers and paths are
    numbered in order of first appearance, exactly as netvet's own MRT parser numbers them.
    """
    stats = stats if stats is not None else ReadStats(str(source), FORMAT)
    try:
        import polars  # noqa: F401
    except ImportError:  # the same table, line by line (slower)
        return _python_text_table(source, stats)
    load = _TextLoad(stats)
    close = False
    if isinstance(source, (str, Path)):
        fh: IO[bytes] = open_input(source)
        close = True
    else:
        fh = source
    try:
        rest = b""
        while True:
            chunk = fh.read(chunk_bytes)
            if not chunk:
                break
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            rest = data[cut:]
            load.chunk(data[:cut])
        if rest.strip():
            load.chunk(rest + b"\n")
    finally:
        if close:
            fh.close()
    return load.build()


def _python_text_table(source: str | Path | IO[bytes], stats: ReadStats) -> RouteTable:
    """:func:`read_text_table` without Polars: every line through :func:`parse_line`."""
    builder = RouteTableBuilder()
    fh = open_input(source) if isinstance(source, (str, Path)) else source
    try:
        for rec in iter_text_routes(text_lines(fh), stats):
            if rec.kind == RouteKind.STATE:
                stats.skipped += 1
                continue
            add_record(builder, rec)
    finally:
        if isinstance(source, (str, Path)):
            fh.close()
    return builder.build()


def add_record(builder: RouteTableBuilder, rec: RouteRecord) -> None:
    """Append one route record to a table builder (peers and paths numbered on first appearance)."""
    addr, _, ln = (rec.prefix or "").partition("/")
    ip = ipaddress.ip_address(addr)
    v = int(ip)
    hi, lo = (v >> 64, v & _MASK64) if ip.version == 6 else (0, v)
    if rec.attrs is not None:
        pidx, origin = builder.path(*encode_segments(rec.attrs.segments))
    else:
        pidx, origin = -1, 0
    builder.add(
        KIND_CODES[str(rec.kind)],
        rec.timestamp,
        rec.microseconds or 0,
        builder.peer(rec.peer_ip, rec.peer_as),
        rec.peer_as,
        ip.version,
        hi,
        lo,
        int(ln),
        rec.safi,
        rec.path_id or 0,
        origin,
        pidx,
        rec.offset,
    )


_DTYPES = {
    "kind": np.uint8,
    "timestamp": np.uint32,
    "microseconds": np.uint32,
    "peer_index": np.uint32,
    "peer_as": np.uint32,
    "family": np.uint8,
    "prefix_hi": np.uint64,
    "prefix_lo": np.uint64,
    "prefix_len": np.uint8,
    "safi": np.uint8,
    "path_id": np.uint32,
    "origin_asn": np.uint32,
    "path_index": np.int32,
    "offset": np.int64,
}


class _TextLoad:
    """State kept across chunks: peers, interned path texts, the column parts."""

    def __init__(self, stats: ReadStats) -> None:
        self.stats = stats
        self.builder = RouteTableBuilder()
        self.parts: list[dict[str, np.ndarray]] = []
        self.path_of_text: dict[str, int] = {}
        self.origins: list[int] = []
        self.line_no = 0

    def build(self) -> RouteTable:
        table = self.builder.build()
        if self.parts:
            for name in _DTYPES:
                setattr(table, name, np.concatenate([p[name] for p in self.parts]))
        return table

    def chunk(self, data: bytes) -> None:
        import polars as pl

        stats = self.stats
        cols = [f"c{i}" for i in range(16)]
        df = pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            separator="|",
            quote_char=None,
            schema=dict.fromkeys(cols, pl.String),
            truncate_ragged_lines=True,
            missing_columns="insert",
            extra_columns="ignore",  # a line with more fields than any bgpdump line: its first 16 are read
            encoding="utf8-lossy",  # invalid UTF-8 is replaced (as text_lines does), never an exception
            raise_if_empty=False,
        )
        n_lines = df.height
        df = df.with_row_index("n", offset=self.line_no + 1)
        df = df.filter(pl.col("c0").str.strip_chars().str.len_bytes() > 0)
        self.line_no += n_lines
        stats.read += df.height
        ap = pl.col("c0").str.ends_with("_AP")
        df = df.with_columns(
            pl.col("c0").alias("label"),
            pl.col("c1").alias("ts"),
            pl.col("c2").alias("k"),
            pl.col("c3").alias("peer_ip"),
            pl.col("c4").alias("peer_as_s"),
            pl.col("c5").alias("prefix"),
            pl.when(ap).then(pl.col("c6")).otherwise(None).alias("pid_s"),
            pl.when(ap).then(pl.col("c7")).otherwise(pl.col("c6")).fill_null("").alias("path"),
            pl.when(ap).then(pl.col("c8")).otherwise(pl.col("c7")).alias("origin_s"),
        )
        ap = pl.col("label").str.ends_with("_AP")
        line = pl.concat_str(cols, separator="|", ignore_nulls=True)
        stats.skipped += df.filter(pl.col("k") == "STATE").height
        bad = df.filter(~pl.col("k").is_in(["A", "B", "W", "STATE"]) | pl.col("k").is_null())
        for n, text in bad.select("n", line).iter_rows():
            stats.problem(f"not a bgpdump -m line: {text[:80]!r}", line=n)
        routes = df.filter(pl.col("k").is_in(["A", "B", "W"]))
        if routes.height == 0:
            return
        ts_parts = pl.col("ts").str.split_exact(".", 1)
        pfx = pl.col("prefix").str.split_exact("/", 1)
        routes = routes.with_columns(
            pl.col("k").replace_strict(KIND_CODES, return_dtype=pl.UInt8).alias("kind"),
            ts_parts.struct.field("field_0").cast(pl.UInt32, strict=False).alias("timestamp"),
            ts_parts.struct.field("field_1").fill_null("0").cast(pl.UInt32, strict=False).alias("microseconds"),
            pl.col("peer_as_s").cast(pl.UInt32, strict=False).alias("peer_as"),
            pfx.struct.field("field_0").alias("addr"),
            pfx.struct.field("field_1").cast(pl.UInt8, strict=False).alias("prefix_len"),
            pl.col("pid_s").fill_null("0").cast(pl.UInt32, strict=False).alias("path_id"),
        )
        is6 = pl.col("addr").str.contains(":", literal=True)
        octets = pl.col("addr").str.split_exact(".", 3)
        v4 = sum(
            octets.struct.field(f"field_{i}").cast(pl.UInt64, strict=False) * (1 << (24 - 8 * i)) for i in range(4)
        )
        routes = routes.with_columns(
            pl.when(is6).then(6).otherwise(4).cast(pl.UInt8).alias("family"),
            pl.when(is6).then(None).otherwise(v4).alias("v4"),
        )
        # IPv6 prefixes (few distinct ones) through ipaddress
        v6 = routes.filter(pl.col("family") == 6).select("addr").unique(maintain_order=True)
        hi6, lo6 = [], []
        for a in v6["addr"].to_list():
            try:
                v = int(ipaddress.IPv6Address(a))
            except ValueError:
                hi6.append(None)
                lo6.append(None)
                continue
            hi6.append(v >> 64)
            lo6.append(v & _MASK64)
        if v6.height:
            v6 = v6.with_columns(pl.Series("hi6", hi6, dtype=pl.UInt64), pl.Series("lo6", lo6, dtype=pl.UInt64))
            routes = routes.join(v6, on="addr", how="left", maintain_order="left")
        else:
            routes = routes.with_columns(pl.lit(None, pl.UInt64).alias("hi6"), pl.lit(None, pl.UInt64).alias("lo6"))
        plen = pl.col("prefix_len")
        bad_octet = pl.any_horizontal(
            [octets.struct.field(f"field_{i}").cast(pl.UInt32, strict=False) > 255 for i in range(4)]
        )
        broken = (
            pl.col("timestamp").is_null()
            | pl.col("peer_as").is_null()
            | plen.is_null()
            | (~is6 & (pl.col("v4").is_null() | (plen > 32) | bad_octet))
            | (is6 & ((plen > 128) | pl.col("hi6").is_null()))
            | (ap & pl.col("path_id").is_null())
            | ((pl.col("k") != "W") & pl.col("origin_s").is_null())
        )
        routes = routes.with_columns(broken.alias("broken"))
        if routes["broken"].any():
            for n, text in routes.filter("broken").select("n", line).iter_rows():
                stats.problem(f"not a bgpdump -m line: {text[:80]!r}", line=n)
            routes = routes.filter(~pl.col("broken"))
        # peers, numbered in order of first appearance
        peer_keys = routes.select("peer_ip", "peer_as").unique(maintain_order=True)
        peer_idx = [self.builder.peer(ip, asn) for ip, asn in peer_keys.iter_rows()]
        peer_keys = peer_keys.with_columns(pl.Series("peer_index", peer_idx, dtype=pl.UInt32))
        routes = routes.join(peer_keys, on=["peer_ip", "peer_as"], how="left", maintain_order="left")
        routes = routes.with_columns(
            pl.when(pl.col("family") == 6).then(pl.col("hi6")).otherwise(0).cast(pl.UInt64).alias("prefix_hi"),
            pl.when(pl.col("family") == 6)
            .then(pl.col("lo6"))
            .otherwise(pl.col("v4"))
            .cast(pl.UInt64)
            .alias("prefix_lo"),
        )
        # paths: each distinct text is tokenised once and numbered in order of first appearance
        has_path = pl.col("k") != "W"
        texts = routes.filter(has_path).select("path").unique(maintain_order=True)
        idx, org = self._intern_paths(texts["path"].to_list())
        texts = texts.with_columns(
            pl.Series("path_index", idx, dtype=pl.Int32), pl.Series("origin_asn", org, dtype=pl.UInt32)
        )
        routes = routes.join(texts, on="path", how="left", maintain_order="left")
        routes = routes.with_columns(
            pl.when(has_path).then(pl.col("path_index")).otherwise(-1).cast(pl.Int32).alias("path_index"),
            pl.when(has_path).then(pl.col("origin_asn")).otherwise(0).cast(pl.UInt32).alias("origin_asn"),
            pl.lit(0, pl.UInt8).alias("safi"),
            pl.lit(-1, pl.Int64).alias("offset"),
        )
        self.parts.append({name: routes[name].to_numpy().astype(dt, copy=False) for name, dt in _DTYPES.items()})

    def _intern_paths(self, texts: list[str]) -> tuple[list[int], list[int]]:
        """(path index, origin ASN) per distinct path text; new texts are tokenised in one Polars pass."""
        import polars as pl

        known = self.path_of_text
        new = [t for t in texts if t not in known]
        if new:
            b = self.builder
            first = len(b.path_offsets) - 1
            # tokens: "123", "{1,2}" (AS_SET), "[1,2]" (confed set), "(1" ... "2)" (confed sequence)
            tok = (
                pl.DataFrame({"path": new})
                .with_row_index("pid")
                .select("pid", pl.col("path").str.split(" ").alias("tok"))
                .explode("tok")
                .filter(pl.col("tok").str.len_bytes() > 0)
                .with_row_index("tid")
            )
            t = pl.col("tok")
            kind = pl.when(t.str.starts_with("{")).then(MARK_SET_FIRST)
            kind = kind.when(t.str.starts_with("[")).then(MARK_CONFED_SET_FIRST)
            if tok["tok"].str.starts_with("(").any():
                opens = t.str.starts_with("(").cast(pl.Int32)
                closes = t.str.ends_with(")").cast(pl.Int32)
                depth = (opens.cum_sum() - closes.cum_sum().shift(1, fill_value=0)).over("pid")
                kind = kind.when(depth > 0).then(MARK_CONFED_SEQ)
            tok = (
                tok.with_columns(kind.otherwise(MARK_SEQ).alias("kind"), t.str.strip_chars("{}[]()").str.split(","))
                .explode("tok")
                .with_columns((pl.col("tid") != pl.col("tid").shift(1)).fill_null(True).alias("first"))
            )
            k = pl.col("kind")
            tok = tok.with_columns(
                t.cast(pl.UInt32, strict=False).alias("asn"),
                pl.when(k.is_in([MARK_SET_FIRST, MARK_CONFED_SET_FIRST]) & ~pl.col("first"))
                .then(k + 1)
                .otherwise(k)
                .cast(pl.UInt8)
                .alias("mark"),
            )
            bad_pids = tok.filter(pl.col("asn").is_null())["pid"].unique()
            if len(bad_pids):
                for pid in bad_pids.to_list():
                    self.stats.warn(f"AS path {new[pid][:80]!r} is not a list of AS numbers; kept as an empty path")
                tok = tok.filter(~pl.col("pid").is_in(bad_pids.implode()))
            counts = np.bincount(tok["pid"].to_numpy(), minlength=len(new))
            b.path_asns.frombytes(tok["asn"].to_numpy().astype(np.uint32).tobytes())
            b.path_marks.frombytes(tok["mark"].to_numpy().astype(np.uint8).tobytes())
            b.path_offsets.frombytes((np.cumsum(counts, dtype=np.int64) + b.path_offsets[-1]).tobytes())
            # origin: the last non-confederation token; a multi-member AS_SET there gives 0
            pid_a = tok["pid"].to_numpy()
            mark_a = tok["mark"].to_numpy()
            asn_a = tok["asn"].to_numpy()
            keep = mark_a < MARK_CONFED_SEQ
            pid_k, mark_k, asn_k = pid_a[keep], mark_a[keep], asn_a[keep]
            last = np.flatnonzero(np.r_[pid_k[1:] != pid_k[:-1], True]) if len(pid_k) else np.zeros(0, np.int64)
            origins = np.zeros(len(new), np.uint32)
            origins[pid_k[last]] = np.where(mark_k[last] == MARK_SET_NEXT, 0, asn_k[last])
            self.origins.extend(origins.tolist())
            for i, text in enumerate(new):
                known[text] = first + i
        idx = [known[t] for t in texts]
        return idx, [self.origins[i] for i in idx]


def write_lines(records: Iterable[RouteRecord], out: IO[str]) -> int:
    """Write records as ``bgpdump -m`` lines; returns the number written."""
    fmt = LineFormatter()
    buf: list[str] = []
    n = 0
    for r in records:
        buf.append(fmt(r))
        n += 1
        if len(buf) >= 4096:
            out.write("\n".join(buf))
            out.write("\n")
            buf.clear()
    if buf:
        out.write("\n".join(buf))
        out.write("\n")
    return n


__all__ = [
    "BadLine",
    "LineFormatter",
    "as_path_text",
    "format_line",
    "iter_text_routes",
    "parse_as_path",
    "parse_line",
    "read_text_routes",
    "read_text_table",
    "write_lines",
    "io",
]
