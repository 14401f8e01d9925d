"""Per-chunk attribution and aggregation of flow records, and the exact merge of partial aggregates.

A :class:`Partial` holds Polars tables of sums, minima and maxima only, so partials merge in any order
(chunks in sequence, Dask partitions as they finish) to the same result:

* ``cells``: per (unit, hour, record class), packed in one int64 ``cell``: records, flows, bytes and
  packets to and from the remote side, first and last time, and the first (file, line) where seen;
  records without a remote side are counted under unit 0;
* ``hosts``: per (unit, internal host): the same counters — only for units that need them (those a
  policy flags, or not yet classified);
* ``dns``: per (unit, DNS address id): bytes and flows (which DNS names the traffic went to);
* ``cloud``: per (unit, cloud range set, route set, route length, cloud length): bytes and flows
  (where a published cloud range won over the route);
* ``files``: per input file, records attributed / unattributed / skipped.

The per-record work is NumPy array arithmetic and gathers (no Python loop per record) and one Polars
group-by on the packed cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ..readers.flowlogs.records import HOUR_US, NO_TIME, FlowChunk
from . import classes
from .attribution import (
    CLASS_BITS,
    HOUR_BITS,
    INBOUND,
    KEY_OFFSET,
    LOCAL,
    NO_UNIT,
    OTHER,
    OUTBOUND,
    TRANSIT,
    TRANSIT_SRC,
    FlowTables,
    Remote,
    decode_unit,
    encode_cell,
    lookup,
)

SUMS = ("records", "flows", "to_bytes", "from_bytes", "to_packets", "from_packets")
_T_MAX = np.iinfo(np.int64).max


def _class_table() -> np.ndarray:
    """Record class by (source class, destination class), each EXTERNAL 0 / INTERNAL 1 / SPECIAL 2
    (the values of :mod:`.addresses`)."""
    t = np.empty(9, np.int64)
    for s in range(3):
        for d in range(3):
            if s == 0 and d == 0:
                c = TRANSIT
            elif d == 0:
                c = OUTBOUND if s == 1 else OTHER
            elif s == 0:
                c = INBOUND if d == 1 else OTHER
            else:
                c = LOCAL
            t[s * 3 + d] = c
    return t


_CLASS_OF = _class_table()
_SCHEMAS = {
    "cells": {"cell": pl.Int64, **{s: pl.UInt64 for s in SUMS}, "first": pl.Int64, "last": pl.Int64, "ref": pl.Int64},
    "hosts": {"unit": pl.Int64, "host_hi": pl.UInt64, "host_lo": pl.UInt64, **{s: pl.UInt64 for s in SUMS}},
    "dns": {"unit": pl.Int64, "address": pl.Int64, "bytes": pl.UInt64, "flows": pl.UInt64},
    "cloud": {"unit": pl.Int64, "cloud_set": pl.Int64, "route_set": pl.Int64, "route_len": pl.Int16,
              "cloud_len": pl.Int16, "bytes": pl.UInt64, "flows": pl.UInt64},
}
KEYS = {"cells": ("cell",), "hosts": ("unit", "host_hi", "host_lo"), "dns": ("unit", "address"),
        "cloud": ("unit", "cloud_set", "route_set", "route_len", "cloud_len")}
_SUM_COLS = {"cells": SUMS, "hosts": SUMS, "dns": ("bytes", "flows"), "cloud": ("bytes", "flows")}


def empty(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=_SCHEMAS[name])


def _merge_aggs(name: str) -> list[pl.Expr]:
    out = [pl.col(s).sum() for s in _SUM_COLS[name]]
    if name == "cells":
        out += [pl.col("first").min(), pl.col("last").max(), pl.col("ref").min()]
    return out


@dataclass
class Partial:
    cells: pl.DataFrame = field(default_factory=lambda: empty("cells"))
    hosts: pl.DataFrame = field(default_factory=lambda: empty("hosts"))
    dns: pl.DataFrame = field(default_factory=lambda: empty("dns"))
    cloud: pl.DataFrame = field(default_factory=lambda: empty("cloud"))
    files: dict[str, list[int]] = field(default_factory=dict)  # file -> [attributed, unattributed, skipped]

    def rows(self) -> int:
        return len(self.cells) + len(self.hosts) + len(self.dns) + len(self.cloud)

    def units(self) -> np.ndarray:
        """Sorted distinct units with a remote side."""
        u = np.unique(self.cells["cell"].to_numpy() >> (HOUR_BITS + CLASS_BITS))
        return u[u != NO_UNIT]


def merge(parts: list[Partial]) -> Partial:
    """One partial from many (sums added, minima and maxima kept), sorted by key."""
    out = Partial()
    for name in ("cells", "hosts", "dns", "cloud"):
        frames = [getattr(p, name) for p in parts if len(getattr(p, name))]
        if frames:
            df = pl.concat(frames) if len(frames) > 1 else frames[0]
            if len(frames) > 1 or name != "cells":  # one address may come under two ids (text spelled two ways)
                df = df.group_by(KEYS[name]).agg(_merge_aggs(name))
            setattr(out, name, df.sort(KEYS[name]).select(list(_SCHEMAS[name])))
    for p in parts:
        for f, c in p.files.items():
            acc = out.files.setdefault(f, [0, 0, 0])
            for i in range(3):
                acc[i] += c[i]
    return out


def _frame(cols: dict[str, np.ndarray]) -> pl.DataFrame:
    return pl.DataFrame({k: pl.Series(k, v) for k, v in cols.items()})


def _cells(cell, flows, to_b, from_b, to_p, from_p, first, last, ref) -> pl.DataFrame:
    df = _frame({"cell": cell, "flows": flows, "to_bytes": to_b, "from_bytes": from_b, "to_packets": to_p,
                 "from_packets": from_p, "first": first, "last": last, "ref": ref})
    return df.group_by("cell").agg(
        pl.len().cast(pl.UInt64).alias("records"), *[pl.col(s).sum() for s in SUMS[1:]],
        pl.col("first").min(), pl.col("last").max(), pl.col("ref").min())


def process_numpy(chunk: FlowChunk, tables: FlowTables, file: str, file_index: int,
                  hosts_for: Callable[[np.ndarray], np.ndarray] | None = None,
                  on_units: Callable[[np.ndarray], None] | None = None) -> Partial:
    """Attribute and aggregate one chunk.

    ``on_units(units)`` sees the chunk's distinct units first (the single-node engine classifies new
    ones there); ``hosts_for(units) -> units`` then says which of them need host rows (None: all).
    """
    n = len(chunk)
    p = Partial()
    if n == 0:
        p.files[file] = [0, 0, 0]
        return p
    src_hi, src_lo, dst_hi, dst_lo = chunk.src_hi, chunk.src_lo, chunk.dst_hi, chunk.dst_lo
    src_hi, src_lo = classes.unmap_nat64(src_hi, src_lo)
    dst_hi, dst_lo = classes.unmap_nat64(dst_hi, dst_lo)
    cs = tables.classes.classify(src_hi, src_lo)
    cd = tables.classes.classify(dst_hi, dst_lo)
    s_ext = cs == classes.EXTERNAL
    d_ext = cd == classes.EXTERNAL
    s_int = cs == classes.INTERNAL
    d_int = cd == classes.INTERNAL
    rsrc = s_ext & ~d_ext  # the remote party is the source
    has_remote = s_ext | d_ext
    transit = s_ext & d_ext

    cls = _CLASS_OF[cs.astype(np.int64) * 3 + cd]
    r_hi = np.where(rsrc, src_hi, dst_hi)
    r_lo = np.where(rsrc, src_lo, dst_lo)
    remote = lookup(tables, r_hi, r_lo)
    unit = np.where(has_remote, remote.unit, NO_UNIT)

    bidir = bool(chunk.rbytes.any() or chunk.rpackets.any())
    if bidir:
        to_b, from_b = np.where(rsrc, chunk.rbytes, chunk.bytes), np.where(rsrc, chunk.bytes, chunk.rbytes)
        to_p, from_p = np.where(rsrc, chunk.rpackets, chunk.packets), np.where(rsrc, chunk.packets, chunk.rpackets)
    else:
        zero = np.uint64(0)
        to_b, from_b = np.where(rsrc, zero, chunk.bytes), np.where(rsrc, chunk.bytes, zero)
        to_p, from_p = np.where(rsrc, zero, chunk.packets), np.where(rsrc, chunk.packets, zero)

    start = chunk.start
    timed = start != NO_TIME
    hour = np.floor_divide(start, HOUR_US) + 1
    hour_code = np.where(timed & (hour >= 1) & (hour < (1 << 20)), hour, 0)
    first = start if timed.all() else np.where(timed, start, _T_MAX)
    last = chunk.end if not (chunk.end == NO_TIME).any() else np.where(chunk.end == NO_TIME, start, chunk.end)
    ref = (np.int64(file_index) << np.int64(40)) | chunk.line
    frames = [_cells(encode_cell(unit, hour_code, cls), chunk.flows, to_b, from_b, to_p, from_p, first, last, ref)]

    t = np.flatnonzero(transit)
    second: Remote | None = None
    if len(t):  # the source of a record between two external endpoints is a remote party too
        second = lookup(tables, src_hi[t], src_lo[t])
        tb = chunk.rbytes[t] if bidir else np.zeros(len(t), np.uint64)
        tp = chunk.rpackets[t] if bidir else np.zeros(len(t), np.uint64)
        frames.append(_cells(encode_cell(second.unit, hour_code[t], np.full(len(t), TRANSIT_SRC)), chunk.flows[t],
                             tb, chunk.bytes[t], tp, chunk.packets[t], first[t], last[t], ref[t]))
    p.cells = pl.concat(frames) if len(frames) > 1 else frames[0]

    unresolved = has_remote & (remote.key == 0)
    if second is not None:
        unresolved[t[second.key == 0]] = True
    n_unres = int(unresolved.sum())
    n_remote = int(has_remote.sum())
    p.files[file] = [n_remote - n_unres, n_unres, n - n_remote]

    units = p.units()
    if on_units is not None and len(units):
        on_units(units)
    need = units if hosts_for is None else hosts_for(units)
    host_side = np.where(rsrc, d_int, s_int) & has_remote & ~transit
    if len(need) and host_side.any():
        rows = _rows_of_units(host_side, remote.key, unit, need, tables, all_units=len(need) == len(units))
        if len(rows):
            h_hi = np.where(rsrc[rows], dst_hi[rows], src_hi[rows])
            h_lo = np.where(rsrc[rows], dst_lo[rows], src_lo[rows])
            hosts = _frame({"unit": unit[rows], "host_hi": h_hi, "host_lo": h_lo, "flows": chunk.flows[rows],
                            "to_bytes": to_b[rows], "from_bytes": from_b[rows], "to_packets": to_p[rows],
                            "from_packets": from_p[rows]})
            p.hosts = hosts.group_by(KEYS["hosts"]).agg(
                pl.len().cast(pl.UInt64).alias("records"), *[pl.col(s).sum() for s in SUMS[1:]])

    _evidence(p, remote, has_remote, unit, chunk, to_b, from_b, None)
    if second is not None:
        tb = chunk.rbytes[t] if bidir else np.zeros(len(t), np.uint64)
        _evidence(p, second, np.ones(len(t), bool), second.unit, chunk, tb, chunk.bytes[t], t)
    return p


def _rows_of_units(candidates: np.ndarray, key: np.ndarray, unit: np.ndarray, need: np.ndarray,
                   tables: FlowTables, all_units: bool) -> np.ndarray:
    """Rows among ``candidates`` whose unit is in ``need`` (sorted): a table over keys narrows them
    first, so the exact test runs on few rows."""
    if all_units:
        return np.flatnonzero(candidates)
    keys = np.array([decode_unit(int(u))[0] for u in need.tolist()], np.int64) + KEY_OFFSET
    table = np.zeros(max(tables.key_space, int(keys.max()) + 1), bool)
    table[keys] = True
    rows = np.flatnonzero(candidates & table[key + KEY_OFFSET])
    if len(rows):
        pos = np.minimum(np.searchsorted(need, unit[rows]), len(need) - 1)
        rows = rows[need[pos] == unit[rows]]
    return rows


def _evidence(p: Partial, remote: Remote, valid: np.ndarray, unit: np.ndarray, chunk: FlowChunk,
              to_b: np.ndarray, from_b: np.ndarray, rows: np.ndarray | None) -> None:
    """Add the DNS and cloud-range evidence rows of these remote sides (``rows``: their records)."""
    def take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return a[idx] if rows is None else a[rows[idx]]

    named = np.flatnonzero(valid & (remote.dns_address > 0))
    if len(named):
        df = _frame({"unit": unit[named], "address": remote.dns_address[named],
                     "bytes": to_b[named] + from_b[named], "flows": take(chunk.flows, named)})
        df = df.group_by(KEYS["dns"]).agg(_merge_aggs("dns"))
        p.dns = pl.concat([p.dns, df]).group_by(KEYS["dns"]).agg(_merge_aggs("dns")) if len(p.dns) else df
    won = np.flatnonzero(valid & (remote.cloud_set > 0))
    if len(won):
        df = _frame({"unit": unit[won], "cloud_set": remote.cloud_set[won], "route_set": remote.route_set[won],
                     "route_len": remote.route_len[won].astype(np.int16),
                     "cloud_len": remote.cloud_len[won].astype(np.int16),
                     "bytes": to_b[won] + from_b[won], "flows": take(chunk.flows, won)})
        df = df.group_by(KEYS["cloud"]).agg(_merge_aggs("cloud"))
        p.cloud = pl.concat([p.cloud, df.select(list(_SCHEMAS["cloud"]))]).group_by(KEYS["cloud"]).agg(
            _merge_aggs("cloud")) if len(p.cloud) else df


def class_totals(cells: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Records, flows, bytes and packets per record class (the second side of transit records excluded)."""
    from .attribution import CLASSES, decode_cells

    _u, _h, cls = decode_cells(cells["cell"].to_numpy())
    df = cells.with_columns(pl.Series("cls", cls)).group_by("cls").agg([pl.col(s).sum() for s in SUMS])
    got = {int(r["cls"]): r for r in df.iter_rows(named=True)}
    out = {}
    for i, name in enumerate(CLASSES):
        r = got.get(i)
        out[name] = {s: int(r[s]) if r else 0 for s in SUMS}
    return out


def unit_cells(cells: pl.DataFrame) -> pl.DataFrame:
    """``cells`` with ``unit``, ``hour`` and ``cls`` decoded, unknown times as null, records without a
    remote side left out."""
    from .attribution import decode_cells

    u, h, c = decode_cells(cells["cell"].to_numpy())
    out = cells.with_columns(pl.Series("unit", u), pl.Series("hour", h), pl.Series("cls", c))
    out = out.with_columns(
        pl.when(pl.col("first") == _T_MAX).then(None).otherwise(pl.col("first")).alias("first"),
        pl.when(pl.col("last") == NO_TIME).then(None).otherwise(pl.col("last")).alias("last"))
    return out.filter(pl.col("unit") != NO_UNIT)
