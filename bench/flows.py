"""Flow attribution throughput: netvet's single-node engine on a large Parquet flow table, beside pandas + pyasn.

Run from the repository root::

    python bench/flows.py                           # 100M rows (generated once, cached), 3 runs, medians
    python bench/flows.py --rows 20000000 --runs 5
    python bench/flows.py --layout-rows 10000000    # also time the other layouts on 10M rows

The table is SYNTHETIC, generated in chunks with a fixed seed and labelled so in its Parquet metadata:
remote addresses are drawn from the prefixes of the real RouteViews IPASN databases in
``../shared/data/ipasn`` (IPv4 ``ipasn_20140513``, IPv6 ``ipasn6_20151101``) — 60 % of rows to a
"popular" set of large content/cloud ASes, 3 % to PRC carriers and clouds, 1 % to unrouted space, the
rest to random routed prefixes, with a Zipf-like skew over 200,000 remote addresses; 25 % of rows are
IPv6. Internal hosts are 20,000 addresses in 10/8, 192.168/16 and fd00::/8. 70 % of rows are
outbound, 24 % inbound, 4 % internal-only and 2 % between two external addresses. Columns: ``src`` and
``dst`` (addresses), ``bytes`` (uint64), ``packets`` (uint32), ``start``/``end`` (timestamp[us], UTC,
sorted by start within each 5M-row stretch) over one day; snappy, row groups of 1M rows.

Layouts (:data:`LAYOUTS`): the measured table holds addresses as text, as AWS VPC flow logs in Parquet
and most exports do, in dictionary pages (Parquet's default encoding for strings; the dictionary page
limit is raised so a row group's ~45k/~80k distinct source/destination addresses fit) with timestamps
delta-encoded (DELTA_BINARY_PACKED, as Parquet v2 writers store sorted integers). ``--layout-rows``
also times the same rows with 16-byte binary addresses and default encodings, and with text addresses
in plain pages.

Measured, each ``--runs`` times (medians quoted):

* ``netvet``: what ``netvet flows audit --policy clean-network`` does between reading the first row
  and the last aggregate (``netvet.flows.engine.run_single`` with the policy classifier): two threads
  each read row groups with Arrow (address columns as dictionaries), intern each dictionary in the run's
  address book (only addresses never seen are parsed, classed internal / special / external and
  looked up in the prefix index), classify every new remote party once through the policy engine,
  and aggregate per (party, hour, class) and per internal host of flagged parties in the compiled
  per-record pass. Rows/s attributed = rows / wall time. Building the prefix index and loading the
  registry and policy (a few seconds, once) are reported, not timed. Peak RSS is the measuring
  process's own (a fresh interpreter per run, so the generation does not count).
* ``pandas+pyasn`` baseline on the first 1M rows: pandas reads the slice, Python's ``ipaddress`` picks
  the remote end, pyasn looks up each remote address (its API takes one address at a time), pandas
  groups by (ASN, hour).

* ``DuckDB`` anchor on every row, same Parquet: the IPASN prefixes netvet's index is built from, FLATTENED
  in Python beforehand (not timed; cached beside the table) into disjoint 128-bit ranges (IPv4 at
  ::ffff:0:0/96) labelled with the origin set of their longest matching prefix; one SQL query parses the
  address text (IPv4 dotted, IPv6 with ``::``) to 128-bit keys, classes each end with netvet's built-in
  internal/special ranges, keeps the records between an internal host and an external address, ASOF-joins
  the remote key to the ranges (``remote >= start``, then ``remote <= stop``) and sums records and bytes per
  origin set. The same per-party numbers are taken from netvet's aggregate (outbound and inbound cells of
  routed parties) and must be identical; both ratios are printed (netvet vs pandas+pyasn, netvet vs DuckDB).

The last line is ``rows_per_s=<netvet median> peak_rss_mb=<max> vs_duckdb=<DuckDB median s / netvet median s>
duckdb_identical=<True|False>``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

DATA = Path(os.environ.get("NETVET_SHARED_DATA", REPO.parent / "shared" / "data")) / "ipasn"
V4_DB = DATA / "ipasn_20140513.dat.gz"
V6_DB = DATA / "ipasn6_20151101.dat.gz"
POPULAR = (15169, 16509, 14618, 20940, 8075, 32934, 13335, 2906, 714, 54113, 16625, 36351, 46489, 22822)
PRC = (4134, 4837, 9808, 4809, 37963, 45102, 58453, 9929)
DAY0 = 1_700_000_000  # 2023-11-14T22:13:20Z
CHUNK = 5_000_000


def _ipasn_rows(path: Path) -> list[tuple[str, int]]:
    rows = []
    with gzip.open(path, "rt") as fh:
        for line in fh:
            if line.startswith(";") or not line.strip():
                continue
            pfx, _, asn = line.strip().partition("\t")
            if asn.isdigit():
                rows.append((pfx, int(asn)))
    return rows


def _remote_pool(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo) of ``size`` remote addresses inside routed prefixes (plus 1 % unrouted), shuffled."""
    import ipaddress

    v4 = [(p, a) for p, a in _ipasn_rows(V4_DB)]
    v6 = [(p, a) for p, a in _ipasn_rows(V6_DB) if ":" in p]
    out_hi, out_lo = [], []

    def pick(rows, n, want):
        cand = [r for r in rows if r[1] in want] if want else rows
        idx = rng.integers(0, len(cand), n)
        for i in idx.tolist():
            net = ipaddress.ip_network(cand[i][0])
            off = int(rng.integers(0, min(net.num_addresses, 1 << 62)))
            value = int(net.network_address) + off
            if net.version == 4:
                out_hi.append(0)
                out_lo.append(0xFFFF00000000 | value)
            else:
                out_hi.append(value >> 64)
                out_lo.append(value & ((1 << 64) - 1))

    n6 = size // 4
    n4 = size - n6
    for rows, n in ((v4, n4), (v6, n6)):
        pick(rows, int(n * 0.60), set(POPULAR))
        pick(rows, int(n * 0.03), set(PRC))
        pick(rows, n - int(n * 0.60) - int(n * 0.03) - int(n * 0.01), None)
    for _ in range(int(n4 * 0.01)):  # unrouted: 240/4 is reserved, so use documentation space
        out_hi.append(0)
        out_lo.append(0xFFFF00000000 | (0xC0000200 + int(rng.integers(0, 256))))
    for _ in range(size - len(out_hi)):
        out_hi.append(0x20010DB800000000)
        out_lo.append(int(rng.integers(0, 1 << 62)))
    order = rng.permutation(len(out_hi))
    return np.array(out_hi, np.uint64)[order], np.array(out_lo, np.uint64)[order]


def _hosts(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    n6 = size // 5
    n4 = size - n6
    v4 = np.concatenate((0x0A000000 + rng.integers(0, 1 << 20, n4 - n4 // 10),
                         0xC0A80000 + rng.integers(0, 1 << 16, n4 // 10))).astype(np.uint64)
    hi = np.concatenate((np.zeros(n4, np.uint64), np.full(n6, 0xFD00000000000000, np.uint64)
                         | rng.integers(0, 1 << 40, n6).astype(np.uint64)))
    lo = np.concatenate((v4 | np.uint64(0xFFFF00000000), rng.integers(1, 1 << 62, n6).astype(np.uint64)))
    return hi, lo


def _pack(hi: np.ndarray, lo: np.ndarray):
    import pyarrow as pa

    raw = np.empty((len(hi), 2), dtype=">u8")
    raw[:, 0] = hi
    raw[:, 1] = lo
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(hi), [None, pa.py_buffer(raw.tobytes())])


LAYOUTS = {
    "text-dict": "addresses as text in Parquet dictionary pages (each row group's distinct addresses once), "
                 "timestamps delta-encoded",
    "binary16": "addresses as 16-byte binaries (IPv4-mapped), every column with pyarrow's default encoding",
    "text-plain": "addresses as text in plain pages (no dictionary), every other column as text-dict",
}


def _rows(rows: int, seed: int = 20240601):
    """The synthetic rows, CHUNK at a time: (pool hi, pool lo, src index, dst index, bytes, start, end), the
    addresses as indices into one pool of remote and internal addresses."""
    rng = np.random.default_rng(seed)
    r_hi, r_lo = _remote_pool(rng, 200_000)
    h_hi, h_lo = _hosts(rng, 20_000)
    p_hi, p_lo = np.concatenate((r_hi, h_hi)), np.concatenate((r_lo, h_lo))
    v6_remote = ~((r_hi == 0) & ((r_lo >> np.uint64(32)) == 0xFFFF))
    r4 = np.flatnonzero(~v6_remote)
    r6 = np.flatnonzero(v6_remote)
    h4 = len(r_hi) + np.flatnonzero(h_hi == 0)
    h6 = len(r_hi) + np.flatnonzero(h_hi != 0)
    done = 0
    while done < rows:
        n = min(CHUNK, rows - done)
        six = rng.random(n) < 0.25
        zipf_r = np.minimum(rng.zipf(1.2, n) - 1, len(r4) - 1)
        zipf_r6 = np.minimum(rng.zipf(1.2, n) - 1, len(r6) - 1)
        ridx = np.where(six, r6[zipf_r6 % len(r6)], r4[zipf_r % len(r4)])
        hidx = np.where(six, h6[rng.integers(0, len(h6), n)], h4[rng.integers(0, len(h4), n)])
        kind = rng.random(n)
        out = kind < 0.70
        inb = (kind >= 0.70) & (kind < 0.94)
        local = (kind >= 0.94) & (kind < 0.98)
        other_h = np.where(six, h6[rng.integers(0, len(h6), n)], h4[rng.integers(0, len(h4), n)])
        other_r = np.where(six, r6[rng.integers(0, len(r6), n)], r4[rng.integers(0, len(r4), n)])
        src = np.where(out | local, hidx, ridx)
        dst = np.where(out, ridx, np.where(inb, hidx, np.where(local, other_h, other_r)))
        nbytes = np.maximum(40, rng.lognormal(7.5, 2.0, n)).astype(np.uint64)
        start = (DAY0 * 1_000_000 + np.sort(rng.integers(0, 86_400_000_000, n))).astype(np.int64)
        end = start + rng.integers(0, 120_000_000, n)
        yield p_hi, p_lo, src, dst, nbytes, start, end
        done += n


def generate(path: Path, rows: int, layout: str = "text-dict") -> None:
    """Write the synthetic table in ``layout`` (see LAYOUTS), in chunks of CHUNK rows, row groups of 1M."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from netvet.readers.flowlogs import addresses

    addr_type = pa.binary(16) if layout == "binary16" else pa.string()
    schema = pa.schema([("src", addr_type), ("dst", addr_type), ("bytes", pa.uint64()),
                        ("packets", pa.uint32()), ("start", pa.timestamp("us", tz="UTC")),
                        ("end", pa.timestamp("us", tz="UTC"))],
                       metadata={b"netvet": f"SYNTHETIC flow table generated by bench/flows.py ({layout}: "
                                 f"{LAYOUTS[layout]}); not real traffic".encode()})
    options: dict = {"compression": "snappy"}
    if layout != "binary16":
        options.update(use_dictionary=["src", "dst", "bytes", "packets"] if layout == "text-dict"
                       else ["bytes", "packets"], dictionary_pagesize_limit=64 << 20,
                       column_encoding={"start": "DELTA_BINARY_PACKED", "end": "DELTA_BINARY_PACKED"})
    tmp = path.with_suffix(".tmp")
    text = None
    done = 0
    with pq.ParquetWriter(tmp, schema, **options) as w:
        for p_hi, p_lo, src, dst, nbytes, start, end in _rows(rows):
            if text is None and layout != "binary16":
                text = pa.array(addresses.to_text(p_hi.tolist(), p_lo.tolist()), pa.string())
            for a in range(0, len(src), 1_000_000):
                sl = slice(a, a + 1_000_000)
                cols = {}
                for name, idx in (("src", src[sl]), ("dst", dst[sl])):
                    # text-dict: the writer keeps each row group's distinct addresses in its dictionary page
                    cols[name] = _pack(p_hi[idx], p_lo[idx]) if layout == "binary16" else text.take(pa.array(idx))
                b = nbytes[sl]
                table = pa.table({**cols, "bytes": b, "packets": (b // 900 + 1).astype(np.uint32),
                                  "start": pa.array(start[sl], pa.timestamp("us", tz="UTC")),
                                  "end": pa.array(end[sl], pa.timestamp("us", tz="UTC"))}, schema=schema)
                w.write_table(table, row_group_size=1_000_000)
            done += len(src)
            print(f"  generated {done:,} rows", file=sys.stderr, flush=True)
    tmp.replace(path)


# --------------------------------------------------------------------------- measured in child processes
def _measure_netvet(path: str, threads: int = 0) -> dict:
    import resource

    from netvet.attribution.prefix_index import PrefixIndex
    from netvet.attribution.registry import Registry
    from netvet.flows import audit, engine, kernel
    from netvet.flows.attribution import FlowTables
    from netvet.flows.units import Catalog, flow_context
    from netvet.pipeline import Context
    from netvet.readers.flowlogs.base import ReadOptions
    from netvet.readers.ipasn import read_prefix_origins

    t0 = time.perf_counter()
    index = PrefixIndex.from_tables([read_prefix_origins(V4_DB), read_prefix_origins(V6_DB)])
    tables = FlowTables(routes=index)
    ctx = Context.build(["clean-network"], Registry.load())
    flow_context(ctx, None)
    classifier = audit.PolicyClassifier(ctx, Catalog(tables))
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    pln = engine.plan([path], ReadOptions(), session=tables.caches.session)  # the run's footers and books
    merged = engine.run_single(pln, tables, classifier, threads=threads or None)
    wall = time.perf_counter() - t0
    stats = engine.finish(pln, merged)[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"parties": _netvet_parties(merged, index), "rows": stats.read, "seconds": wall, "setup_s": setup,
            "peak_rss_mb": rss,
            "attributed": stats.attributed, "unattributed": stats.unattributed, "skipped": stats.skipped,
            "units": len(classifier.results), "flagged": len(classifier.flagged()),
            "evaluations": classifier.evaluations, "host_rows": len(merged.hosts), "kernel": kernel.kernel_name()}


def _netvet_parties(merged, index) -> list[list]:
    """Per origin AS set (sorted ASNs, space separated): records and bytes of the records between an internal
    host and a routed external address (netvet's outbound and inbound cells), sorted by set."""
    from netvet.flows.attribution import CLASS_BITS, DNS_BITS, HOUR_BITS, INBOUND, KEY_OFFSET, OUTBOUND

    c = merged.cells
    cell = c["cell"].to_numpy()
    key = ((cell >> (HOUR_BITS + CLASS_BITS)) >> DNS_BITS) - KEY_OFFSET
    cls = cell & ((1 << CLASS_BITS) - 1)
    keep = ((cls == OUTBOUND) | (cls == INBOUND)) & (key > 0)
    keys, inv = np.unique(key[keep], return_inverse=True)
    records = np.bincount(inv, weights=c["records"].to_numpy()[keep].astype(np.float64), minlength=len(keys))
    nbytes = np.zeros(len(keys), np.uint64)
    np.add.at(nbytes, inv, (c["to_bytes"].to_numpy() + c["from_bytes"].to_numpy())[keep])
    pos, asn = index.expand_origins(keys)
    sets: dict[int, list[int]] = {}
    for i, a in zip(pos.tolist(), asn.tolist(), strict=True):
        sets.setdefault(i, []).append(a)
    out: dict[str, list[int]] = {}  # (3, 7) and (7, 3) are two origin sets of the index, one party here
    for i, (r, b) in enumerate(zip(records.tolist(), nbytes.tolist(), strict=True)):
        acc = out.setdefault(" ".join(map(str, sorted(sets[i]))), [0, 0])
        acc[0] += int(r)
        acc[1] += int(b)
    return sorted([k, *v] for k, v in out.items())


# --------------------------------------------------------------------------- DuckDB anchor
# the internal and special ranges of netvet.flows.classes (INTERNAL_V4/V6, SPECIAL_V4/V6), on the 128-bit
# key (IPv4 mapped to ::ffff:0:0/96) that the flattened prefix table uses
_DUCK_MACROS = r"""
CREATE MACRO v6groups(a) AS CASE WHEN contains(a, '::') THEN list_concat(list_concat(
    CASE WHEN split_part(a, '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(a, '::', 1), ':') END,
    list_transform(range(8 - (CASE WHEN split_part(a, '::', 1) = '' THEN 0
                                   ELSE len(string_split(split_part(a, '::', 1), ':')) END)
                           - (CASE WHEN split_part(a, '::', 2) = '' THEN 0
                                   ELSE len(string_split(split_part(a, '::', 2), ':')) END)), lambda x: '0')),
    CASE WHEN split_part(a, '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(a, '::', 2), ':') END)
  ELSE string_split(a, ':') END;
CREATE MACRO addr_key(a) AS CASE WHEN contains(a, ':')
  THEN list_reduce(list_transform(v6groups(a), lambda g: ('0x' || g)::UHUGEINT), lambda acc, x: (acc << 16) | x)
  ELSE (281470681743360::UHUGEINT
        | list_reduce(list_transform(string_split(a, '.'), lambda x: x::UHUGEINT), lambda acc, x: acc * 256 + x))
  END;
CREATE MACRO addr_class(k) AS CASE
  WHEN k >> 32 = 65535 THEN CASE
    WHEN (k & 4294967295) >> 24 IN (10, 127) OR (k & 4294967295) >> 20 = 2753
         OR (k & 4294967295) >> 16 IN (49320, 43518) OR (k & 4294967295) >> 22 = 401 THEN 1
    WHEN (k & 4294967295) >> 24 = 0 OR (k & 4294967295) >> 28 >= 14 THEN 2
    ELSE 0 END
  WHEN k >> 121 = 126 OR k >> 118 IN (1018, 1019) OR k = 1 THEN 1
  WHEN k = 0 OR k >> 120 = 255 THEN 2
  ELSE 0 END;
"""

# two plans for the same answer; the faster is the anchor. per-row: every record's two addresses parsed and the
# remote one ASOF-joined; distinct: each distinct address parsed, classed and ASOF-joined once, then hash-joined
# back to the records (what netvet does with its address book)
_DUCK_QUERIES = {
    "per-row": """
WITH f AS (SELECT addr_key(src) AS s, addr_key(dst) AS d, bytes FROM read_parquet('{path}')),
c AS (SELECT s, d, bytes, addr_class(s) AS cs, addr_class(d) AS cd FROM f),
r AS (SELECT CASE WHEN cs = 1 THEN d ELSE s END AS remote, bytes FROM c
      WHERE (cs = 1 AND cd = 0) OR (cs = 0 AND cd = 1))
SELECT p.label, count(*) AS records, sum(r.bytes)::UBIGINT AS bytes
FROM r ASOF JOIN prefixes p ON r.remote >= p.start
WHERE r.remote <= p.stop
GROUP BY p.label ORDER BY p.label
""",
    "distinct": """
WITH f AS (SELECT src, dst, bytes FROM read_parquet('{path}')),
a AS (SELECT a, addr_key(a) AS k FROM (SELECT src AS a FROM f UNION SELECT dst FROM f)),
lab AS (SELECT a.a, addr_class(a.k) AS cls, CASE WHEN a.k <= p.stop THEN p.label END AS label
        FROM a ASOF LEFT JOIN prefixes p ON a.k >= p.start),
r AS (SELECT CASE WHEN s.cls = 1 THEN d.label ELSE s.label END AS label, f.bytes
      FROM f JOIN lab s ON f.src = s.a JOIN lab d ON f.dst = d.a
      WHERE (s.cls = 1 AND d.cls = 0) OR (s.cls = 0 AND d.cls = 1))
SELECT label, count(*) AS records, sum(bytes)::UBIGINT AS bytes FROM r WHERE label IS NOT NULL
GROUP BY label ORDER BY label
""",
}


def flat_prefixes() -> tuple[list[int], list[int], list[int], list[int], list[str]]:
    """The prefixes of the same IPASN files as netvet's index (IPv4 and IPv6, both files; a prefix given twice
    has the union of its origins), FLATTENED into disjoint ranges, each with the origin set of its longest
    matching prefix: (start hi, start lo, stop hi, stop lo, label) columns, keys on 128 bits with IPv4 at
    ::ffff:0:0/96, labels the sorted ASNs."""
    import ipaddress

    origins: dict[tuple[int, int], set[int]] = {}
    for db in (V4_DB, V6_DB):
        for pfx, asn in _ipasn_rows(db):
            net = ipaddress.ip_network(pfx, strict=False)
            if net.version == 4:
                key = ((0xFFFF << 32) | int(net.network_address), 96 + net.prefixlen)
            else:
                key = (int(net.network_address), net.prefixlen)
            origins.setdefault(key, set()).add(asn)
    out: list[tuple[int, int, str]] = []
    stack: list[tuple[int, str]] = []
    cur = 0

    def emit(a: int, b: int, label: str) -> None:
        if a <= b:
            out.append((a, b, label))

    for (start, plen) in sorted(origins):  # a parent before its children
        end = start + (1 << (128 - plen)) - 1
        while stack and stack[-1][0] < start:
            e, lab = stack.pop()
            emit(cur, e, lab)
            cur = e + 1
        if stack:
            emit(cur, start - 1, stack[-1][1])
        cur = start
        stack.append((end, " ".join(map(str, sorted(origins[(start, plen)])))))
    while stack:
        e, lab = stack.pop()
        emit(cur, e, lab)
        cur = e + 1
    m = (1 << 64) - 1
    return ([a >> 64 for a, _, _ in out], [a & m for a, _, _ in out], [b >> 64 for _, b, _ in out],
            [b & m for _, b, _ in out], [lab for _, _, lab in out])


def _measure_duckdb(path: str, threads: int = 0) -> dict:
    import resource

    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    cache = Path(path).parent / "flat-prefixes.parquet"  # flattened once (about a minute in Python)
    if cache.exists():
        flat = pq.read_table(cache)
    else:
        sh, sl, eh, el, labels = flat_prefixes()
        flat = pa.table({"sh": pa.array(sh, pa.uint64()), "sl": pa.array(sl, pa.uint64()),
                         "eh": pa.array(eh, pa.uint64()), "el": pa.array(el, pa.uint64()), "label": labels})
        pq.write_table(flat, cache)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # stdout carries the result
    if threads:
        con.execute(f"SET threads = {threads}")
    con.register("flat", flat)
    con.execute("CREATE TABLE prefixes AS SELECT (sh::UHUGEINT << 64) | sl AS start, (eh::UHUGEINT << 64) | el "
                "AS stop, label FROM flat ORDER BY start")
    con.unregister("flat")
    for stmt in _DUCK_MACROS.split(";"):
        if stmt.strip():
            con.execute(stmt)
    setup = time.perf_counter() - t0
    plans: dict[str, float] = {}
    answers = {}
    for plan, query in _DUCK_QUERIES.items():
        t0 = time.perf_counter()
        got = con.execute(query.format(path=path)).fetchall()
        plans[plan] = time.perf_counter() - t0
        answers[plan] = sorted([str(lab), int(r), int(b)] for lab, r, b in got)
    best = min(plans, key=plans.get)
    total = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"parties": answers[best], "plans_agree": all(v == answers[best] for v in answers.values()),
            "plans": plans, "plan": best, "rows": int(total), "seconds": plans[best], "setup_s": setup,
            "peak_rss_mb": rss, "ranges": flat.num_rows,
            "duckdb": duckdb.__version__}


def _measure_baseline(path: str, rows: int) -> dict:
    import resource

    import pyarrow.parquet as pq
    import pyasn

    asndb = pyasn.pyasn(str(_plain_ipasn()))
    t0 = time.perf_counter()
    pf = pq.ParquetFile(path)
    batch = next(pf.iter_batches(batch_size=rows))
    df = batch.to_pandas()
    import ipaddress

    def remote(row_src: str, row_dst: str) -> str:
        return row_dst if ipaddress.ip_address(row_src).is_private else row_src

    df["remote"] = [remote(s, d) for s, d in zip(df["src"], df["dst"], strict=True)]
    df["asn"] = [asndb.lookup(a)[0] for a in df["remote"]]
    df["hour"] = df["start"].dt.floor("h")
    agg = df.groupby(["asn", "hour"], dropna=False)["bytes"].sum()
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": len(df), "seconds": wall, "peak_rss_mb": rss, "groups": len(agg)}


def _plain_ipasn() -> Path:
    """pyasn reads IPASN files plain or gzip; it needs IPv4+IPv6 in one file for mixed lookups."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / "netvet-bench-ipasn-v4v6.dat"
    if not out.exists():
        with open(out, "w") as fh:
            for db in (V4_DB, V6_DB):
                with gzip.open(db, "rt") as src:
                    for line in src:
                        if not line.startswith(";"):
                            fh.write(line)
    return out


def _child(kind: str, path: str, arg: int) -> dict:
    """Run one measurement in a fresh interpreter (clean peak RSS)."""
    code = (f"import json,sys; sys.path.insert(0, {str(REPO / 'bench')!r}); import flows as b; "
            f"print(json.dumps(b._measure_{kind}({path!r}, {arg})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-rows", type=int, default=1_000_000)
    ap.add_argument("--layout-rows", type=int, default=0,
                    help="also time the other layouts (binary16, text-plain) on tables of this many rows")
    ap.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "netvet-bench-flows")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    def table(layout: str, rows: int) -> Path:
        path = args.dir / f"flows-{layout}-{rows}.parquet"
        if not path.exists():
            t0 = time.perf_counter()
            print(f"generating {rows:,} synthetic rows ({layout}) into {path} ...", file=sys.stderr)
            generate(path, rows, layout)
            print(f"  generated in {time.perf_counter() - t0:.0f} s ({path.stat().st_size / 1e9:.2f} GB)",
                  file=sys.stderr)
        return path

    path = table("text-dict", args.rows)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}")
    print(f"table: {path} ({path.stat().st_size / 1e9:.2f} GB, {args.rows:,} rows, SYNTHETIC; {LAYOUTS['text-dict']})")

    runs = [_child("netvet", str(path), 0) for _ in range(args.runs)]
    med = statistics.median(r["seconds"] for r in runs)
    rss = max(r["peak_rss_mb"] for r in runs)
    r0 = runs[0]
    print(f"netvet single-node: {r0['rows'] / med / 1e6:8.2f} M rows/s  (median {med:.2f} s of "
          f"{[round(r['seconds'], 2) for r in runs]}; peak RSS {rss:.0f} MB; setup (prefix index, registry, "
          f"policy) {r0['setup_s']:.1f} s not timed; {r0['attributed']:,} attributed, {r0['unattributed']:,} "
          f"unattributed, {r0['skipped']:,} internal-only; {r0['units']:,} remote parties classified, "
          f"{r0['flagged']:,} flagged, {r0['evaluations']} policy evaluations; kernel {r0['kernel']})")

    base = [_child("baseline", str(path), args.baseline_rows) for _ in range(args.runs)]
    bmed = statistics.median(r["seconds"] for r in base)
    print(f"pandas+pyasn:       {base[0]['rows'] / bmed / 1e6:8.3f} M rows/s  (median {bmed:.2f} s on "
          f"{base[0]['rows']:,} rows; peak RSS {max(r['peak_rss_mb'] for r in base):.0f} MB)")
    print(f"speed-up: {(r0['rows'] / med) / (base[0]['rows'] / bmed):.0f}x")

    duck = [_child("duckdb", str(path), 0) for _ in range(args.runs)]
    dmed = statistics.median(min(r["plans"].values()) for r in duck)
    same = all(r["parties"] == x["parties"] and r["plans_agree"] for r in duck for x in runs)
    d0 = duck[0]
    print(f"DuckDB {d0['duckdb']} ASOF:  {d0['rows'] / dmed / 1e6:8.2f} M rows/s  (median {dmed:.2f} s of "
          f"{[round(r['seconds'], 2) for r in duck]} on {d0['rows']:,} rows; peak RSS "
          f"{max(r['peak_rss_mb'] for r in duck):.0f} MB; faster plan {d0['plan']!r}, per plan "
          f"{ {k: [round(r['plans'][k], 2) for r in duck] for k in d0['plans']} } s; {d0['ranges']:,} flattened "
          f"ranges, setup "
          f"{d0['setup_s']:.1f} s not timed; {len(d0['parties']):,} parties, "
          f"{'IDENTICAL to' if same else 'DIFFERENT from'} netvet's per-party records and bytes)")
    print(f"ratios: netvet / pandas+pyasn {(r0['rows'] / med) / (base[0]['rows'] / bmed):.0f}x, "
          f"netvet / DuckDB {dmed / med:.2f}x (same rows, same run)")

    if args.layout_rows:
        for layout in ("binary16", "text-plain"):
            lruns = [_child("netvet", str(table(layout, args.layout_rows)), 0) for _ in range(args.runs)]
            lmed = statistics.median(r["seconds"] for r in lruns)
            print(f"netvet, {layout} layout: {lruns[0]['rows'] / lmed / 1e6:8.2f} M rows/s  (median {lmed:.2f} s "
                  f"on {lruns[0]['rows']:,} rows; peak RSS {max(r['peak_rss_mb'] for r in lruns):.0f} MB; "
                  f"{LAYOUTS[layout]})")
    print(f"rows_per_s={r0['rows'] / med:.0f} peak_rss_mb={rss:.0f} vs_duckdb={dmed / med:.2f} "
          f"duckdb_identical={same}")


if __name__ == "__main__":
    main()
