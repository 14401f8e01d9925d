"""Carrier audit of a full-table-sized RIB: MRT ingest beside ``bgpdump -m``, and the whole audit.

Run from the repository root::

    python bench/rib_audit.py                       # ~1M prefixes x 40 peers, 3 runs, medians
    python bench/rib_audit.py --copies 20 --runs 1  # a smaller scale-up
    python bench/rib_audit.py --mrt-copies 0        # skip the synthetic MRT file (real file only)
    python bench/rib_audit.py --end-to-end          # only `netvet routes audit` of the x111 MRT file, as a child

**End to end** (``--end-to-end``): the SYNTHETIC MRT file of ``--e2e-copies`` copies (111: 994,183 prefixes,
29,580,275 routes from the sample's 35 peers) with ``--e2e-peers`` peers (40: the RIB entries of the first 5
peers repeated for 5 new peers, own addresses, same AS and paths; written once, then reused) audited by
``netvet routes audit FILE --policy clean-network --format json --output F`` run as a child process (read +
audit + report; one MRT file is read in bounded chunks, see ``analyses/full_table.py``), beside ``bgpdump -m
FILE > /dev/null`` in the same run: wall time and the child's peak RSS (``ru_maxrss`` of that child, from
``wait4``), medians of ``--runs``.

Everything starts from the real RouteViews sample ``../shared/data/mrt/rib.20140523.0600_first9073records
.mrt.gz`` (9,073 TABLE_DUMP_V2 records: 270,005 routes, 9,072 prefixes, 35 peers, 77,608 distinct paths).

**Ingest** (routes/s into netvet's columnar ``RouteTable`` beside ``bgpdump -m FILE > /dev/null``, the
same file for every contender, decompression included):

* on the real file;
* on a SYNTHETIC MRT file of ``--mrt-copies`` copies of it (gzip level 1, generated once under
  ``$TMPDIR/netvet-bench``): copy ``k`` re-numbers the /16 block of every prefix of /16 or longer
  (block ``b`` -> ``k * 556 + rank(b)``; the sample has 556 such blocks) and drops the 105 shorter
  prefixes, so every synthetic prefix is distinct; it also changes the NEXT_HOP of every entry (first
  octet XOR ``k``), so that no copy repeats another's attribute blocks (a parser that caches decoded
  attributes gains nothing from the repetition); peers and AS paths are those of the sample.

Contenders: ``bgpdump`` (Debian's bgpdump 1.6, text to /dev/null), ``netvet-python`` (netvet's own
parser, ``read_route_table``), ``netvet-bgpdump`` (bgpdump as a subprocess, its text loaded with Polars).

**Audit** on a SYNTHETIC columnar table of about 1M prefixes x 40 peers built from the sample without
re-encoding MRT (``scale_table``): ``--copies`` copies of the sample's routes with the /16 re-numbering
above; in copies after the first, each origin AS not in netvet's registry is replaced by one of a pool
of 75,000 AS numbers (the sample's ASes plus synthetic ones from 4,200,000,000 down; one replacement per
copy and original origin, so a prefix keeps a single origin), so paths stay distinct per copy (about
8.6M distinct paths), while the real transit structure and every registry AS (the PRC carriers among
them) are kept; ``--peers`` minus 35 extra peers duplicate the routes of the
first real peers, each with its own peer AS prepended in place of the original first AS.

The audit is timed stage by stage as ``netvet routes audit --policy clean-network --format json`` runs it
(the MRT decoding aside): registry and pack, the distinct ASes and their positions, one engine
classification per AS, the vectorised scan, the per prefix/entity/origin summaries, and the JSON
document written to a file. Medians of ``--runs``; the peak RSS is this process's.

The last line is ``audit_s=<median total> routes=<n> ingest_ratio_vs_bgpdump=<netvet-python routes/s over
bgpdump routes/s on the largest MRT file measured>``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from netvet.model.route import MARK_SEQ, RouteTable  # noqa: E402
from netvet.readers.mrt import read_route_table  # noqa: E402
from netvet.readers.mrt.bgpdump import bgpdump_route_table  # noqa: E402

DATA = Path(os.environ.get("NETVET_SHARED_DATA", REPO.parent / "shared" / "data")) / "mrt"
SAMPLE = DATA / "rib.20140523.0600_first9073records.mrt.gz"
POOL = 75_000
_HDR = struct.Struct(">IHHI")


# ----------------------------------------------------------------------------- synthetic MRT
def _blocks(data: bytes) -> dict[int, int]:
    """Dense rank of every /16 block used by a prefix of /16 or longer in the sample's RIB records."""
    blocks = set()
    for typ, sub, body in _records(data):
        if typ == 13 and sub == 2 and body[4] >= 16:
            blocks.add(int.from_bytes(body[5:7], "big"))
    return {b: i for i, b in enumerate(sorted(blocks))}


def _records(data: bytes):
    p = 0
    while p + 12 <= len(data):
        _ts, typ, sub, length = _HDR.unpack_from(data, p)
        yield typ, sub, data[p + 12:p + 12 + length]
        p += 12 + length


def _vary_next_hops(rest: bytes, skip: int, k: int) -> bytes:
    """A TDv2 RIB record body after its first two prefix bytes, with each entry's NEXT_HOP first octet
    XOR-ed with ``k`` (entries: peer index, originated time, attribute length, attributes)."""
    buf = bytearray(rest)
    p = skip
    count = int.from_bytes(buf[p:p + 2], "big")
    p += 2
    for _ in range(count):
        alen = int.from_bytes(buf[p + 6:p + 8], "big")
        a, end = p + 8, p + 8 + alen
        while a < end:
            flags, typ = buf[a], buf[a + 1]
            if flags & 0x10:
                ln, hdr = int.from_bytes(buf[a + 2:a + 4], "big"), 4
            else:
                ln, hdr = buf[a + 2], 3
            if typ == 3 and ln == 4:
                buf[a + hdr] ^= k & 0xFF
            a += hdr + ln
        p = end
    return bytes(buf)


def _more_peers(body: bytes, sources: list[int]) -> tuple[bytes, dict[int, int]]:
    """A PEER_INDEX_TABLE body with one more peer per peer index of ``sources`` (its AS, an own IPv4 address
    198.18.0.N and BGP id), and {source peer index: new peer index}."""
    p = 4
    p += 2 + int.from_bytes(body[p:p + 2], "big")
    count = int.from_bytes(body[p:p + 2], "big")
    q = p + 2
    firsts = []
    for _ in range(count):
        ptype = body[q]
        size = 5 + (16 if ptype & 1 else 4) + (4 if ptype & 2 else 2)
        firsts.append((ptype, body[q + 5 + (16 if ptype & 1 else 4):q + size]))
        q += size
    added = b""
    for i, src in enumerate(sources):
        ptype, asn = firsts[src]
        ip = bytes([198, 18, 0, i + 1])
        added += bytes([ptype & 2]) + ip + ip + asn
    new = body[:p] + (count + len(sources)).to_bytes(2, "big") + body[p + 2:q] + added
    return new, {src: count + i for i, src in enumerate(sources)}


def _used_peers(data: bytes) -> list[int]:
    """The peer indexes the sample's RIB entries refer to, sorted."""
    used: set[int] = set()
    for typ, sub, body in _records(data):
        if typ == 13 and sub == 2:
            used.update(s for _a, _e, s in _entry_spans(body[5:], (body[4] + 7) // 8, None))
    return sorted(used)


def _entry_spans(rest: bytes, skip: int, peer_map: dict[int, int] | None) -> list[tuple[int, int, int]]:
    """(start, end, new peer index) of the RIB entries of the peers in ``peer_map`` (None: every entry, its own
    peer index) in a TDv2 RIB body after its prefix length byte; the entry count is at ``skip``."""
    p = skip
    count = int.from_bytes(rest[p:p + 2], "big")
    p += 2
    spans = []
    for _ in range(count):
        pidx = int.from_bytes(rest[p:p + 2], "big")
        end = p + 8 + int.from_bytes(rest[p + 6:p + 8], "big")
        if peer_map is None or pidx in peer_map:
            spans.append((p, end, pidx if peer_map is None else peer_map[pidx]))
        p = end
    return spans


def synthetic_mrt(copies: int, out_dir: Path, peers: int = 0) -> Path:
    """The sample repeated ``copies`` times with re-numbered /16 blocks (see the module docstring); with
    ``peers`` above the sample's 35, the RIB entries of the first peers are repeated for as many new peers
    (their own addresses, the same AS and paths)."""
    path = out_dir / (f"rib-synthetic-v2-x{copies}" + (f"-p{peers}" if peers > 35 else "") + ".mrt.gz")
    if path.exists():
        return path
    data = gzip.decompress(SAMPLE.read_bytes())
    rank = _blocks(data)
    tmp = path.with_suffix(".tmp")
    seq = 0
    used = _used_peers(data) if peers > 35 else []
    sources = used[:max(0, peers - len(used))]
    peer_map: dict[int, int] = {}
    spans: dict[int, list[tuple[int, int, int]]] = {}
    with gzip.open(tmp, "wb", compresslevel=1) as out:
        for k in range(copies):
            p = 0
            while p + 12 <= len(data):
                ts, typ, sub, length = _HDR.unpack_from(data, p)
                at = p
                body = data[p + 12:p + 12 + length]
                p += 12 + length
                if typ == 13 and sub == 1:
                    if k == 0:
                        if sources:
                            body, peer_map = _more_peers(body, sources)
                        out.write(_HDR.pack(ts, typ, sub, len(body)) + body)
                    continue
                if typ == 13 and sub == 2:
                    plen = body[4]
                    if k and plen < 16:
                        continue
                    rest = body[5:]
                    skip = (plen + 7) // 8 - 2
                    if k:
                        block = k * len(rank) + rank[int.from_bytes(rest[:2], "big")]
                        rest = block.to_bytes(2, "big") + _vary_next_hops(rest[2:], skip, k)
                    if peer_map:
                        c = (plen + 7) // 8  # the entry count follows the prefix bytes
                        got = spans.get(at)
                        if got is None:
                            got = spans[at] = _entry_spans(rest, c, peer_map)
                        n = int.from_bytes(rest[c:c + 2], "big")
                        dup = b"".join(s.to_bytes(2, "big") + rest[a + 2:e] for a, e, s in got)
                        rest = rest[:c] + (n + len(got)).to_bytes(2, "big") + rest[c + 2:] + dup
                    body = struct.pack(">I", seq) + bytes([plen]) + rest
                    seq += 1
                out.write(_HDR.pack(ts, typ, sub, len(body)) + body)
    tmp.replace(path)
    return path


# ----------------------------------------------------------------------------- synthetic table
def scale_table(base: RouteTable, copies: int, peers: int, registry_asns: set[int]) -> RouteTable:
    """About ``copies`` x the sample's prefixes seen by ``peers`` peers (see the module docstring)."""
    rows_all = np.arange(len(base))
    long_rows = np.flatnonzero(base.prefix_len >= 16)
    blocks = np.unique(base.prefix_lo[long_rows] >> np.uint64(16))
    nb = len(blocks)
    if copies * nb > 65536:
        raise SystemExit(f"--copies {copies}: at most {65536 // nb} copies fit the /16 re-numbering")
    n_paths = base.n_paths
    offs, pasn, pmark = base.path_offsets, base.path_asns, base.path_marks
    lengths = np.diff(offs)
    pid = np.repeat(np.arange(n_paths), lengths)
    # origin of every path (its last sequence member), and the pool of replacement origins
    last = offs[1:] - 1
    path_origin = np.where((lengths > 0) & (pmark[np.maximum(last, 0)] == MARK_SEQ), pasn[np.maximum(last, 0)], 0)
    seen = np.unique(pasn)
    filler = np.arange(4_200_000_000, 4_200_000_000 - (POOL - len(seen)), -1, dtype=np.uint32)
    pool = np.concatenate((seen, filler))
    keep_origin = np.isin(path_origin, np.array(sorted(registry_asns), np.uint32)) | (path_origin == 0)
    cols = {n: [] for n in ("kind", "timestamp", "microseconds", "peer_index", "peer_as", "family", "prefix_hi",
                            "prefix_lo", "prefix_len", "safi", "path_id", "origin_asn", "path_index", "offset")}
    p_asns, p_marks, p_lens = [], [], []
    rng = np.random.default_rng(20140523)
    for k in range(copies):
        rows = rows_all if k == 0 else long_rows
        if k == 0:
            new_origin = path_origin
            elem_asn = pasn
        else:
            # one replacement per original origin AS in this copy
            uo, inv = np.unique(path_origin, return_inverse=True)
            pick = pool[rng.integers(0, len(pool), len(uo))][inv]
            new_origin = np.where(keep_origin, path_origin, pick)
            is_origin_elem = (pasn == path_origin[pid]) & (pmark == MARK_SEQ) & ~keep_origin[pid]
            elem_asn = np.where(is_origin_elem, new_origin[pid], pasn)
        p_asns.append(elem_asn)
        p_marks.append(pmark)
        p_lens.append(lengths)
        lo = base.prefix_lo[rows]
        if k:
            rank = np.searchsorted(blocks, lo >> np.uint64(16)).astype(np.uint64)
            lo = ((np.uint64(k * nb) + rank) << np.uint64(16)) | (lo & np.uint64(0xFFFF))
        for name in cols:
            if name == "prefix_lo":
                cols[name].append(lo)
            elif name == "path_index":
                cols[name].append(base.path_index[rows] + np.int32(k * n_paths))
            elif name == "origin_asn":
                cols[name].append(new_origin[base.path_index[rows]].astype(np.uint32))
            else:
                cols[name].append(getattr(base, name)[rows])
    table_cols = {n: np.concatenate(v) for n, v in cols.items()}
    path_asns = np.concatenate(p_asns)
    path_marks = np.concatenate(p_marks)
    path_lens = np.concatenate(p_lens)
    peer_ips = list(base.peer_ips)
    peer_asns = list(base.peer_asns.tolist())
    # extra peers: the routes of real peer i, announced by a synthetic peer AS in front of the path
    extra_cols = {n: [] for n in table_cols}
    extra_asns, extra_marks, extra_lens = [], [], []
    next_path = len(path_lens)
    for i in range(max(0, peers - len(base.peer_ips))):
        src_peer = i % len(base.peer_ips)
        sel = np.flatnonzero(table_cols["peer_index"] == src_peer)
        used, inv = np.unique(table_cols["path_index"][sel], return_inverse=True)
        all_offs = np.concatenate(([0], np.cumsum(path_lens)))
        ul = path_lens[used]
        elem = np.repeat(all_offs[used], ul) + (np.arange(int(ul.sum())) - np.repeat(np.cumsum(ul) - ul, ul))
        a = path_asns[elem].copy()
        heads = np.cumsum(ul) - ul
        new_as = 4_100_000_000 + i
        a[heads[ul > 0]] = new_as
        extra_asns.append(a)
        extra_marks.append(path_marks[elem])
        extra_lens.append(ul)
        peer_ips.append(f"198.18.0.{i + 1}")
        peer_asns.append(new_as)
        for n in table_cols:
            v = table_cols[n][sel]
            if n == "peer_index":
                v = np.full(len(sel), len(peer_ips) - 1, v.dtype)
            elif n == "peer_as":
                v = np.full(len(sel), new_as, v.dtype)
            elif n == "path_index":
                v = (next_path + inv).astype(v.dtype)
            extra_cols[n].append(v)
        next_path += len(used)
    for n in table_cols:
        table_cols[n] = np.concatenate([table_cols[n]] + extra_cols[n])
    path_asns = np.concatenate([path_asns] + extra_asns)
    path_marks = np.concatenate([path_marks] + extra_marks)
    path_lens = np.concatenate([path_lens] + extra_lens)
    return RouteTable(**table_cols, peer_ips=peer_ips, peer_asns=np.array(peer_asns, np.uint32),
                      path_offsets=np.concatenate(([0], np.cumsum(path_lens))).astype(np.int64),
                      path_asns=path_asns.astype(np.uint32), path_marks=path_marks.astype(np.uint8))


# ----------------------------------------------------------------------------- measurements
def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def ingest(path: Path, runs: int) -> dict[str, tuple[float, int]]:
    out = subprocess.run(["bgpdump", "-q", "-m", str(path)], capture_output=True, check=True).stdout
    n_lines = sum(1 for line in out.splitlines() if b"|STATE|" not in line)
    del out
    res = {}
    t, _ = timed(lambda: subprocess.run(["bgpdump", "-q", "-m", str(path)], stdout=subprocess.DEVNULL, check=True),
                 runs)
    res["bgpdump"] = (t, n_lines)
    t, n = timed(lambda: len(read_route_table(path)[0]), runs)
    res["netvet-python"] = (t, n)
    t, n = timed(lambda: len(bgpdump_route_table(path)), runs)
    res["netvet-bgpdump"] = (t, n)
    for name, (_, count) in res.items():
        if count != n_lines:
            raise SystemExit(f"{name}: {count} routes, bgpdump printed {n_lines}")
    return res


def child(cmd: list[str], stdout=subprocess.DEVNULL) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB of this child alone, exit status) of ``cmd``."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in (0, 1):  # 1: the audit found excluded carriers (--fail-on fail)
        raise SystemExit(f"{cmd[0]} exited {proc.returncode}: {err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, proc.returncode


def end_to_end(copies: int, peers: int, runs: int, work: Path) -> None:
    """``netvet routes audit`` of the synthetic MRT file as a child process, beside ``bgpdump -m``."""
    mrt = synthetic_mrt(copies, work, peers)
    out = work / "audit-e2e.json"
    netvet = [sys.executable, "-c", "import sys; from netvet.cli import run; sys.argv[0] = 'netvet'; run()",
              "routes", "audit", str(mrt), "--policy", "clean-network", "--format", "json", "--output", str(out)]
    env_path = str(REPO / "src")
    os.environ["PYTHONPATH"] = env_path + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH")
                                           else "")
    res: dict[str, list[tuple[float, float, int]]] = {"bgpdump -m": [], "netvet routes audit": []}
    for _ in range(runs):  # interleaved, so that both see the same load
        res["bgpdump -m"].append(child(["bgpdump", "-q", "-m", str(mrt)]))
        res["netvet routes audit"].append(child(netvet))
    print(f"\n## end to end: {mrt.name} ({mrt.stat().st_size / 1e6:.0f} MB), medians of {runs}, "
          f"load {os.getloadavg()[0]:.2f}")
    for name, got in res.items():
        wall = statistics.median(g[0] for g in got)
        rss = statistics.median(g[1] for g in got)
        print(f"{name:>22}: {wall:7.2f} s  peak RSS {rss:7,.0f} MB   (runs: "
              + ", ".join(f"{g[0]:.1f} s/{g[1]:,.0f} MB" for g in got) + ")")
    s = json.loads(out.read_text())["summary"]
    wall_n = statistics.median(g[0] for g in res["netvet routes audit"])
    wall_b = statistics.median(g[0] for g in res["bgpdump -m"])
    print(f"summary: {s['routes']:,} routes, {s['prefixes']:,} prefixes, {s['peers']} peers, {s['paths']:,} paths; "
          f"netvet / bgpdump wall: {wall_n / wall_b:.2f}")
    print(f"e2e_s={wall_n:.2f} e2e_peak_mb={statistics.median(g[1] for g in res['netvet routes audit']):.0f} "
          f"routes={s['routes']}")


def audit_once(table: RouteTable, out_file: Path) -> dict[str, float]:
    from netvet.analyses.carrier import scan, seen_asns, select_rows, summarise
    from netvet.attribution.oui import MacRegistry
    from netvet.attribution.registry import Registry
    from netvet.enforce.classify import classify_asns
    from netvet.model import ReadStats
    from netvet.pipeline import Context
    from netvet.reporters.routes import audit_document

    st: dict[str, float] = {}

    def stage(name, fn):
        t = time.perf_counter()
        r = fn()
        st[name] = time.perf_counter() - t
        return r

    ctx = stage("registry+pack", lambda: Context.build(["clean-network"], Registry.load(), macs=MacRegistry()))
    rows = stage("select", lambda: select_rows(table))
    seen = stage("distinct ASes", lambda: seen_asns(table, rows))
    cls = stage("classify (engine)", lambda: classify_asns(ctx, seen, "synthetic"))
    result = stage("scan", lambda: scan(table, cls.verdicts.values(), rows))
    summary = stage("summarise", lambda: summarise(result))

    def write():
        doc = audit_document(ctx, table, [ReadStats("synthetic", "mrt")], [{}], result, summary, cls,
                             {"prefixes": [], "origins": []})
        out_file.write_text(json.dumps(doc, ensure_ascii=False))
        return doc

    doc = stage("JSON document", write)
    st["total"] = sum(st.values())
    st["_summary"] = doc["summary"]  # type: ignore[assignment]
    return st


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=111, help="copies of the sample's prefixes (111: ~1M prefixes)")
    ap.add_argument("--peers", type=int, default=40, help="peers (the sample has 35; more are synthetic)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mrt-copies", type=int, default=8, help="synthetic MRT file for the ingest (0: skip)")
    ap.add_argument("--end-to-end", action="store_true", help="only the end-to-end run (netvet as a child process)")
    ap.add_argument("--e2e-copies", type=int, default=111, help="copies in the end-to-end MRT file")
    ap.add_argument("--e2e-peers", type=int, default=40, help="peers in the end-to-end MRT file (35: the sample's)")
    args = ap.parse_args()
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"numpy {np.__version__}")
    print(f"# sample: {SAMPLE}")
    work = Path(tempfile.gettempdir()) / "netvet-bench"
    work.mkdir(exist_ok=True)
    if args.end_to_end:
        end_to_end(args.e2e_copies, args.e2e_peers, args.runs, work)
        return

    print("\n## ingest: routes/s into the columnar RouteTable, beside bgpdump -m > /dev/null (medians)")
    files = [SAMPLE] + ([synthetic_mrt(args.mrt_copies, work)] if args.mrt_copies > 0 else [])
    ratio = None
    for f in files:
        res = ingest(f, args.runs)
        label = "real sample" if f == SAMPLE else f"SYNTHETIC x{args.mrt_copies}"
        for name, (t, n) in res.items():
            print(f"{label:>16} {name:>15}: {n:>10,} routes {t:8.2f} s {n / t:>12,.0f} routes/s")
        ratio = (res["netvet-python"][1] / res["netvet-python"][0]) / (res["bgpdump"][1] / res["bgpdump"][0])
        print(f"{'':>16} netvet-python / bgpdump routes/s: {ratio:.2f}; netvet-bgpdump / bgpdump: "
              f"{(res['netvet-bgpdump'][1] / res['netvet-bgpdump'][0]) / (res['bgpdump'][1] / res['bgpdump'][0]):.2f}")
        del res

    print(f"\n## audit of a SYNTHETIC table: {args.copies} copies of the sample's prefixes x {args.peers} peers")
    from netvet.attribution.registry import Registry

    base, _ = read_route_table(SAMPLE)
    t = time.perf_counter()
    table = scale_table(base, args.copies, args.peers, set(Registry.load().by_asn))
    build = time.perf_counter() - t
    n_pfx = len(np.unique(np.stack((table.prefix_lo, table.prefix_len.astype(np.uint64))), axis=1)[0])
    print(f"built in {build:.1f} s (not timed below): {len(table):,} routes, {n_pfx:,} prefixes, "
          f"{len(table.peer_ips)} peers, {table.n_paths:,} paths, {len(table.path_asns):,} path elements")
    runs = [audit_once(table, work / "audit.json") for _ in range(args.runs)]
    stages = [k for k in runs[0] if not k.startswith("_")]
    for k in stages:
        print(f"{k:>20}: {statistics.median(r[k] for r in runs):7.2f} s")
    s = runs[-1]["_summary"]
    print(f"summary: {s['routes']:,} routes, {s['prefixes']:,} prefixes, {s['asns_seen']:,} ASes "
          f"({s['asns_excluded']} excluded, {s['asns_review']} review), "
          f"{s['excluded_routes']:,} routes via an excluded AS, "
          f"prefixes clean all/some/none {s['prefixes_clean']['all']:,}/{s['prefixes_clean']['some']:,}/"
          f"{s['prefixes_clean']['none']:,}; JSON {(work / 'audit.json').stat().st_size / 1e6:.1f} MB")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = statistics.median(r["total"] for r in runs)
    print(f"peak RSS {peak:,.0f} MB")
    print(f"audit_s={total:.2f} routes={len(table)} ingest_ratio_vs_bgpdump={ratio:.2f}")


if __name__ == "__main__":
    main()
