"""Zeek ``conn.log`` and ``dns.log``, in Zeek's TSV format (``#fields``/``#types`` headers) and as JSON lines.

TSV logs are read by their headers, never by position: ``#separator`` (escaped, e.g. ``\\x09``),
``#set_separator``, ``#unset_field`` (``-``), ``#empty_field`` (``(empty)``) and ``#fields`` may change
anywhere in a file (logs concatenated by ``cat``), and columns differ between Zeek versions and
scripts (MAC-logging adds ``orig_l2_addr``; old logs lack ``orig_ip_bytes``). JSON logs hold one object
per line with the same field names (``id.orig_h``; a nested ``"id": {"orig_h": ...}`` is read too).

conn.log -> flow records: ``id.orig_h`` -> ``id.resp_h``; bytes and packets in each direction from
``orig_ip_bytes``/``orig_pkts`` and ``resp_ip_bytes``/``resp_pkts`` (IP-layer counts, as NetFlow counts
them; ``orig_bytes``/``resp_bytes``, payload only, when the IP counts are absent); start ``ts``, end
``ts + duration``. Unset counters count 0.

dns.log -> (name, address) pairs: every address among ``answers`` is tied to the ``query`` and to each
CNAME target in the same answer list. Answers that are neither addresses nor names (``<unknown
type=48>``, TXT data) are ignored; a response without address answers is read and counted as skipped.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from ...model import InputError, ReadStats
from ..base import limits, open_input
from . import addresses, problems
from .base import FlowLogReader, Part, register
from .records import DnsChunk, FlowChunk
from .text import Block, Converter, cut_fields, line_blocks

_HOSTNAME = re.compile(r"^[A-Za-z0-9_*](?:[A-Za-z0-9_\-]*\.)+[A-Za-z0-9_\-]+\.?$")
CONN_MARKERS = ("conn_state", "orig_bytes", "orig_ip_bytes", "orig_pkts", "duration")
DNS_MARKERS = ("query", "answers", "qtype_name", "rcode")


def _unescape(text: str) -> str:
    return re.sub(r"\\x([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


def _zeek_tsv_kind(head: bytes) -> str | None:
    """``conn``, ``dns``, another log's #path, or None when ``head`` is not a Zeek TSV log."""
    text = head.decode("utf-8", errors="replace")
    if not text.startswith("#separator"):
        return None
    path = re.search(r"^#path[\t ](\S+)", text, re.M)
    fields = re.search(r"^#fields[\t ](.*)$", text, re.M)
    names = set(re.split(r"[\t ]", fields.group(1))) if fields else set()
    if path:
        return path.group(1)
    if {"id.orig_h", "id.resp_h"} <= names:
        if names & set(CONN_MARKERS):
            return "conn"
        if names & set(DNS_MARKERS):
            return "dns"
    return "unknown"


def _zeek_json_kind(head: bytes) -> str | None:
    for line in head.decode("utf-8", errors="replace").splitlines():
        s = line.strip()
        if not s:
            continue
        if not s.startswith("{"):
            return None
        try:
            obj = json.loads(s)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        keys = set(obj)
        if isinstance(obj.get("id"), dict):
            keys |= {f"id.{k}" for k in obj["id"]}
        if not ({"id.orig_h", "id.resp_h"} <= keys or "id.orig_h" in keys):
            return None
        if keys & set(DNS_MARKERS):
            return "dns"
        if keys & set(CONN_MARKERS) or "id.resp_h" in keys:
            return "conn"
        return None
    return None


def _kind(head: bytes) -> tuple[str | None, str]:
    k = _zeek_tsv_kind(head)
    if k is not None:
        return k, "tsv"
    return _zeek_json_kind(head), "json"


def _unique_fields(names: list[str]) -> tuple[list[str], list[str]]:
    """Column names made unique for the frame (a repeated or empty name would make Polars refuse the rows):
    the first ``ts`` stays ``ts``, a second one becomes ``ts#2``, an empty one ``#3`` (its position)."""
    seen: set[str] = set()
    out: list[str] = []
    dupes: list[str] = []
    for i, name in enumerate(names, 1):
        if name and name not in seen:
            seen.add(name)
            out.append(name)
            continue
        if name and name not in dupes:
            dupes.append(name)
        alias = f"{name}#{i}"
        while alias in seen:
            alias += "_"
        seen.add(alias)
        out.append(alias)
    return out, dupes


class _Header:
    def __init__(self) -> None:
        self.sep = "\t"
        self.set_sep = ","
        self.unset = "-"
        self.empty = "(empty)"
        self.path: str | None = None
        self.fields: list[str] | None = None
        self.notes: list[str] = []  # warnings about the last #fields line, reported with its first rows

    def directive(self, line: str) -> None:
        key, _, value = line[1:].partition(self.sep if not line.startswith("#separator") else " ")
        if line.startswith("#separator"):
            self.sep = _unescape(line.split(None, 1)[1].strip()) if len(line.split(None, 1)) > 1 else "\t"
            return
        value = value.rstrip("\n")
        if key == "set_separator":
            self.set_sep = _unescape(value)
        elif key == "unset_field":
            self.unset = value
        elif key == "empty_field":
            self.empty = value
        elif key == "path":
            self.path = value
        elif key == "fields":
            self.fields, dupes = _unique_fields(value.split(self.sep))
            self.notes = [f"#fields names {d!r} more than once: the first such column is read" for d in dupes]


# --------------------------------------------------------------------------- conn records
def _conn_chunk(conv: Converter, cols: set[str]) -> FlowChunk:
    src_hi, src_lo = conv.address("id.orig_h")
    dst_hi, dst_lo = conv.address("id.resp_h")
    start = conv.timestamp("ts", required=True)
    pick = lambda a, b: a if a in cols else (b if b in cols else None)  # noqa: E731
    bytes_ = conv.count(pick("orig_ip_bytes", "orig_bytes"))
    rbytes = conv.count(pick("resp_ip_bytes", "resp_bytes"))
    packets = conv.count("orig_pkts" if "orig_pkts" in cols else None)
    rpackets = conv.count("resp_pkts" if "resp_pkts" in cols else None)
    dur = conv.duration("duration" if "duration" in cols else None)
    end = start if dur is None else np.where(start != np.iinfo(np.int64).min, start + dur, start)
    return FlowChunk.build(len(conv), src_hi=src_hi, src_lo=src_lo, dst_hi=dst_hi, dst_lo=dst_lo, bytes=bytes_,
                           packets=packets, rbytes=rbytes, rpackets=rpackets, start=start, end=end,
                           line=conv.lines)


def _dns_chunk(conv: Converter, answers: pl.Series, stats: ReadStats) -> DnsChunk:
    """(name, address) pairs of the good rows; rows without address answers are counted as skipped."""
    ts = conv.timestamp("ts", required=True)
    query = conv.frame["query"] if "query" in conv.frame.columns else pl.Series([None] * len(conv), dtype=pl.String)
    conv.mark(query.is_null().to_numpy() | query.is_in(["-", ""]).fill_null(False).to_numpy(), "missing query")
    good = conv.report(stats)
    rows = np.flatnonzero(good)
    frame = pl.DataFrame({"row": rows, "query": query.gather(rows), "answers": answers.gather(rows)})
    items = frame.select("row", pl.col("answers").alias("item")).explode("item").drop_nulls("item")
    items = items.with_columns(pl.col("item").str.strip_chars().str.strip_chars_end("."))
    ok, hi, lo = addresses.from_strings(items["item"])
    addr = items.with_columns(hi=pl.Series(hi), lo=pl.Series(lo)).filter(pl.Series(ok))
    is_name = items["item"].str.contains(_HOSTNAME.pattern).fill_null(False).to_numpy() & ~ok
    names = pl.concat([
        frame.select("row", pl.col("query").str.strip_chars().str.strip_chars_end(".").str.to_lowercase()
                     .alias("name")),
        items.filter(pl.Series(is_name)).select("row", pl.col("item").str.to_lowercase().alias("name")),
    ]).unique(maintain_order=True)
    pairs = names.join(addr.select("row", "hi", "lo"), on="row", how="inner", maintain_order="left_right")
    with_addr = np.zeros(len(conv), bool)
    with_addr[addr["row"].to_numpy()] = True
    stats.skipped += int((good & ~with_addr).sum())
    pr = pairs["row"].to_numpy()
    return DnsChunk(name=pairs["name"].to_list(), hi=pairs["hi"].to_numpy().astype(np.uint64),
                    lo=pairs["lo"].to_numpy().astype(np.uint64), ts=ts[pr], line=conv.lines[pr])


class _ZeekBase(FlowLogReader):
    log = ""

    def sniff_head(self, path: Path, head: bytes) -> bool:
        return _kind(head)[0] == self.log

    def read_part(self, part: Part, stats: ReadStats) -> Iterator:
        with open_input(part.path) as fh:
            first = fh.read(1)
        if first == b"{":
            yield from self._read_json(part, stats)
        else:
            yield from self._read_tsv(part, stats)

    # ---------------------------------------------------------------- TSV
    def _read_tsv(self, part: Part, stats: ReadStats) -> Iterator:
        hdr = _Header()
        with open_input(part.path) as fh:
            for raw, first_line in line_blocks(fh, part.path):
                block = Block(raw, first_line)
                fb = block.first_bytes()
                meta = np.flatnonzero(fb == ord("#"))
                data = (fb != ord("#")) & (block.ends > block.starts)
                bounds = np.concatenate((meta, [len(block)]))
                prev = 0
                for m in bounds.tolist():
                    rows = np.flatnonzero(data[prev:m]) + prev
                    if len(rows):
                        yield from self._tsv_rows(block, rows, hdr, stats, part)
                    if m < len(block):
                        hdr.directive(block.line_text(m))
                    prev = m + 1

    def _tsv_rows(self, block: Block, rows: np.ndarray, hdr: _Header, stats: ReadStats, part: Part) -> Iterator:
        stats.read += len(rows)
        if hdr.fields is None:
            problems.add(stats, block.lines[rows], "data line before the #fields header")
            return
        if hdr.notes:
            problems.add(stats, block.lines[rows[:1]], hdr.notes[0], severity="warning")
            hdr.notes = []
        needed = ("ts", "id.orig_h") + (("id.resp_h",) if self.log == "conn" else ())
        missing = [f for f in needed if f not in hdr.fields]
        if missing:
            if stats.read == len(rows):
                raise InputError(part.path, f"Zeek {self.log} log without the field(s) {', '.join(missing)}")
            problems.add(stats, block.lines[rows], f"#fields lacks {', '.join(missing)}")
            return
        frame, lines = cut_fields(block, rows, hdr.fields, hdr.sep, stats, "tab-separated fields")
        unset = (hdr.unset, hdr.empty)
        conv = Converter(frame, lines, unset=unset)
        if self.log == "conn":
            chunk = _conn_chunk(conv, set(hdr.fields))
            good = conv.report(stats)
            yield chunk.take(np.flatnonzero(good))
        else:
            answers = frame.select(
                pl.when(pl.col("answers").is_in(list(unset))).then(None).otherwise(pl.col("answers"))
                .str.split(hdr.set_sep).alias("a"))["a"] if "answers" in frame.columns else \
                pl.Series([None] * len(frame), dtype=pl.List(pl.String))
            yield _dns_chunk(conv, answers, stats)

    # ---------------------------------------------------------------- JSON
    def _read_json(self, part: Part, stats: ReadStats) -> Iterator:
        with open_input(part.path) as fh:
            for raw, first_line in line_blocks(fh, part.path):
                block = Block(raw, first_line)
                rows = np.flatnonzero(block.ends > block.starts)
                stats.read += len(rows)
                frame, lines = _json_frame(block, rows, stats)
                if frame is None or len(frame) == 0:
                    continue
                yield from self._json_rows(frame, lines, stats, part)

    def _json_rows(self, frame: pl.DataFrame, lines: np.ndarray, stats: ReadStats, part: Part) -> Iterator:
        if "id" in frame.columns and isinstance(frame.schema["id"], pl.Struct):  # {"id": {"orig_h": ...}}
            inner = frame["id"].struct.unnest()
            cols = []
            for c in inner.columns:
                nested = inner[c].cast(pl.String)
                flat = f"id.{c}"
                cols.append(pl.coalesce(pl.col(flat).cast(pl.String), pl.lit(nested)).alias(flat)
                            if flat in frame.columns else pl.lit(nested).alias(flat))
            frame = frame.with_columns(cols).drop("id")
        needed = ("id.orig_h",) + (("id.resp_h",) if self.log == "conn" else ())
        for f in needed:
            if f not in frame.columns:
                frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(f))
        if "ts" not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("ts"))
        answers = None
        if self.log == "dns":
            if "answers" in frame.columns and isinstance(frame.schema["answers"], pl.List):
                answers = frame["answers"].cast(pl.List(pl.String))
            else:
                answers = pl.Series([None] * len(frame), dtype=pl.List(pl.String))
        scalars = [c for c, t in frame.schema.items() if not isinstance(t, pl.List | pl.Struct)]
        strings = frame.select([pl.col(c).cast(pl.String) for c in scalars])
        conv = Converter(strings, lines, unset=())
        if self.log == "conn":
            chunk = _conn_chunk(conv, set(strings.columns))
            good = conv.report(stats)
            yield chunk.take(np.flatnonzero(good))
        else:
            yield _dns_chunk(conv, answers, stats)


def _json_depth(line: bytes) -> int:
    """The deepest nesting of arrays and objects on one JSON line (brackets inside strings not counted)."""
    depth = deepest = 0
    in_string = escaped = False
    for c in line:
        if in_string:
            if escaped:
                escaped = False
            elif c == 0x5C:  # backslash
                escaped = True
            elif c == 0x22:
                in_string = False
        elif c == 0x22:
            in_string = True
        elif c in (0x7B, 0x5B):
            depth += 1
            deepest = max(deepest, depth)
        elif c in (0x7D, 0x5D):
            depth -= 1
    return deepest


def _too_deep(block: Block, rows: np.ndarray, stats: ReadStats) -> np.ndarray:
    """``rows`` without the lines nested deeper than ``max_json_depth`` (reported as malformed): Polars' JSON
    reader takes seconds on a few kB of deep nesting, and deeper still it can exhaust its stack."""
    limit = limits().max_json_depth
    opens = np.concatenate(([0], np.cumsum((block.buf == 0x7B) | (block.buf == 0x5B), dtype=np.int64)))
    counts = opens[block.ends[rows]] - opens[block.starts[rows]]
    suspects = rows[counts > limit]  # only a line with more opening brackets than the limit can be too deep
    deep = [r for r in suspects.tolist() if _json_depth(block.data[block.starts[r]:block.ends[r]]) > limit]
    if not deep:
        return rows
    problems.add(stats, block.lines[deep], f"JSON nested deeper than {limit} levels (limit max_json_depth)")
    return np.setdiff1d(rows, np.asarray(deep, dtype=rows.dtype), assume_unique=True)


def _json_frame(block: Block, rows: np.ndarray, stats: ReadStats) -> tuple[pl.DataFrame | None, np.ndarray]:
    """Parse the JSON lines ``rows`` of ``block``; lines that are not JSON objects are reported."""
    rows = _too_deep(block, rows, stats)
    good: list[np.ndarray] = []
    frames: list[pl.DataFrame] = []

    def attempt(sub: np.ndarray) -> None:
        if not len(sub):
            return
        data = block.bytes_of(sub)
        try:
            df = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
            if len(df) != len(sub):
                raise ValueError("row count mismatch")
            frames.append(df)
            good.append(sub)
        except Exception as exc:  # Polars raises ComputeError and friends
            if len(sub) == 1:
                problems.add(stats, block.lines[sub], f"not a JSON object ({str(exc).splitlines()[0][:120]})")
                return
            half = len(sub) // 2
            attempt(sub[:half])
            attempt(sub[half:])

    attempt(rows)
    frame = None
    if len(frames) > 1:
        try:
            frame = pl.concat(frames, how="diagonal_relaxed")
        except Exception:  # pieces whose fields have types that do not join (a list here, a number there)
            frames, good = _joinable(block, frames, good, stats)
            frame = frames[0] if frames else None
    if not frames:
        return None, np.zeros(0, np.int64)
    if frame is None:
        return frames[0], block.lines[good[0]]
    order = np.argsort(np.concatenate(good), kind="stable")
    return frame[order.tolist()], block.lines[np.concatenate(good)[order]]


def _joinable(block: Block, frames: list[pl.DataFrame], good: list[np.ndarray],
              stats: ReadStats) -> tuple[list[pl.DataFrame], list[np.ndarray]]:
    """The pieces whose columns join, joined into one frame (the largest piece first); a piece that does not join
    is read again in halves, down to the lines whose fields have a type the file's other records do not (each
    malformed). Only for a block whose pieces did not join at once."""
    queue = sorted(zip(frames, good, strict=True), key=lambda fg: -len(fg[1]))
    joined: pl.DataFrame | None = None
    kept_rows: list[np.ndarray] = []
    while queue:
        df, sub = queue.pop(0)
        try:
            joined = df if joined is None else pl.concat([joined, df], how="diagonal_relaxed")
        except Exception as exc:  # Polars raises SchemaError, InvalidOperationError and friends
            if len(sub) == 1:
                problems.add(stats, block.lines[sub], "a field's JSON type differs from the same field in the "
                             f"file's other records ({str(exc).splitlines()[0][:120]})")
                continue
            for half in (sub[: len(sub) // 2], sub[len(sub) // 2:]):
                try:
                    queue.append((pl.read_ndjson(io.BytesIO(block.bytes_of(half)), infer_schema_length=None), half))
                except Exception as err:
                    problems.add(stats, block.lines[half], f"not a JSON object ({str(err).splitlines()[0][:120]})")
            continue
        kept_rows.append(sub)
    if joined is None:
        return [], []
    return [joined], [np.concatenate(kept_rows)]


@register
class ZeekConn(_ZeekBase):
    format = "zeek-conn"
    priority = 20
    log = "conn"
    description = "Zeek conn.log (TSV with #fields header, or JSON lines)"


@register
class ZeekDns(_ZeekBase):
    format = "zeek-dns"
    priority = 21
    log = "dns"
    kind = "dns"
    description = "Zeek dns.log (TSV with #fields header, or JSON lines)"
