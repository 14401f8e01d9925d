"""Many collectors: `netvet routes audit` of 1, 4 and 16 RIBs on one node and on Dask (2 workers).

Run from the repository root::

    python bench/routes_scale.py                          # 1, 4, 16 files; single node vs LocalCluster(2)
    python bench/routes_scale.py --files 1,4 --runs 3     # medians of 3
    python bench/routes_scale.py --scheduler tcp://127.0.0.1:8786   # also a running `dask scheduler`

The files are COPIES of the shared RIBs (``../shared/data/mrt``: the RouteViews IPv4 sample
``rib.20140523…gz``, the RIS IPv6 sample ``rib6.20151101…bz2`` (its readable part: the file is cut), and the
BIRD and OpenBGPD RIB dumps), cycled: file ``i`` is base ``i mod 4``, copy ``k = i div 4``. Copy ``k > 0``
rewrites the PEER_INDEX_TABLE so that its peers are other peers (IPv4 peer address and BGP ID: first
octet XOR ``k``; IPv6: third byte XOR ``k``; collector BGP ID XOR ``k``); RIB entries are kept byte for byte.
Every file is written gzip level 1 under ``$TMPDIR/netvet-bench/collectors`` (once) and audited as its own
collector (``cNN=PATH``).

Each configuration runs ``netvet routes audit --format json --fail-on never --on 2025-01-01 -o FILE`` in a
fresh process (this script with ``--child``): wall time measured around the process (start-up, cluster
start, read, audit, report); peak RSS of the client (``ru_maxrss``) and, for Dask, of each worker
(``Client.run`` before the cluster closes). "identical" compares the JSON documents (``generated_at``
aside) with the single-node run's. Medians of ``--runs``; the machine's load is printed.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import hashlib
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mrt"
BASES = ("rib.20140523.0600_first9073records.mrt.gz", "rib6.20151101.0600_firstMB.bz2", "bird-mrtdump_rib",
         "openbgpd_rib_table-v2")
_HDR = struct.Struct(">IHHI")


# ----------------------------------------------------------------------------- MRT copies
def _read(path: Path) -> bytes:
    """The decompressed bytes that can be read (a cut bz2/gzip file gives its readable part)."""
    raw = path.read_bytes()
    if path.suffix == ".bz2":
        return bz2.BZ2Decompressor().decompress(raw)
    if path.suffix == ".gz":
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw)
    return raw


def renumber_peer_index(body: bytes, k: int) -> bytes:
    """A TABLE_DUMP_V2 PEER_INDEX_TABLE body whose collector and peers are re-numbered by ``k`` (see the
    module docstring); ``k = 0`` returns it unchanged."""
    if not k:
        return body
    buf = bytearray(body)
    buf[0] ^= k & 0xFF  # collector BGP ID
    p = 4
    view = int.from_bytes(buf[p:p + 2], "big")
    p += 2 + view
    count = int.from_bytes(buf[p:p + 2], "big")
    p += 2
    for _ in range(count):
        ptype = buf[p]
        buf[p + 1] ^= k & 0xFF  # peer BGP ID
        ip = p + 5
        if ptype & 1:  # IPv6 peer address
            buf[ip + 2] ^= k & 0xFF
            p = ip + 16
        else:
            buf[ip] ^= k & 0xFF
            p = ip + 4
        p += 4 if ptype & 2 else 2
    return bytes(buf)


def copy_rib(src: Path, k: int, dest: Path) -> Path:
    """``src`` with its peers re-numbered by ``k``, whole records only, gzip level 1."""
    if dest.exists():
        return dest
    data = _read(src)
    tmp = dest.with_suffix(".tmp")
    with gzip.open(tmp, "wb", compresslevel=1) as out:
        p = 0
        while p + 12 <= len(data):
            ts, typ, sub, length = _HDR.unpack_from(data, p)
            if p + 12 + length > len(data):
                break  # the cut tail of the sample
            body = data[p + 12:p + 12 + length]
            if typ == 13 and sub == 1:
                body = renumber_peer_index(body, k)
            out.write(_HDR.pack(ts, typ, sub, len(body)) + body)
            p += 12 + length
    tmp.replace(dest)
    return dest


def collector_files(n: int, work: Path) -> list[tuple[str, Path]]:
    work.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        base, k = BASES[i % len(BASES)], i // len(BASES)
        out.append((f"c{i:02d}", copy_rib(DATA / base, k, work / f"c{i:02d}-{base.split('.')[0]}-k{k}.mrt.gz")))
    return out


# ----------------------------------------------------------------------------- one run (a child process)
def child(out_json: Path, argv: list[str]) -> None:
    """Run `netvet routes audit ARGV` here; write wall time and peak RSS (client, workers) to ``out_json``."""
    import resource

    from netvet.cli import main as netvet_main
    from netvet.flows import route_dask

    workers: dict = {}
    close = route_dask.RouteCluster.close

    def close_and_measure(self) -> None:
        if self.client is not None:
            workers.update(self.client.run(lambda: __import__("resource").getrusage(0).ru_maxrss))
        close(self)

    route_dask.RouteCluster.close = close_and_measure
    t = time.perf_counter()
    code = netvet_main(["routes", "audit", *argv])
    wall = time.perf_counter() - t
    out_json.write_text(json.dumps({"code": code, "wall": wall,
                                    "rss_client_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                    "rss_workers_mb": [v / 1024 for v in workers.values()]}))


def run_config(files: list[tuple[str, Path]], extra: list[str], work: Path) -> dict:
    doc = work / "audit.json"
    meas = work / "child.json"
    args = [f"{n}={p}" for n, p in files] + ["--format", "json", "--fail-on", "never", "--on", "2025-01-01",
                                            "-o", str(doc), *extra]
    t = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", str(meas), "--", *args], check=True,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    m = json.loads(meas.read_text())
    d = json.loads(doc.read_text())
    d.pop("generated_at")
    m["process_wall"] = wall
    m["digest"] = hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()
    m["routes"] = d["summary"]["routes"]
    m["peers"] = d["summary"]["peers"]
    return m


def main() -> None:
    if "--child" in sys.argv:
        i = sys.argv.index("--child")
        child(Path(sys.argv[i + 1]), sys.argv[sys.argv.index("--") + 1:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", default="1,4,16", help="numbers of collector files (comma separated)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--scheduler", help="also run on this Dask scheduler (tcp://HOST:PORT; workers must read "
                                        "$TMPDIR/netvet-bench/collectors at the same path)")
    args = ap.parse_args()
    work = Path(tempfile.gettempdir()) / "netvet-bench" / "collectors"
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    configs = [("single", []), ("dask-local-2", ["--engine", "dask", "--workers", "2"])]
    if args.scheduler:
        configs.append(("dask-scheduler", ["--engine", "dask", "--scheduler", args.scheduler]))
    print(f"{'files':>5} {'routes':>10} {'peers':>6} {'engine':>15} {'wall s':>8} {'x single':>8} "
          f"{'client MB':>9} {'workers MB':>15} identical")
    for n in (int(x) for x in args.files.split(",")):
        files = collector_files(n, work)
        base = None
        for name, extra in configs:
            runs = [run_config(files, extra, work) for _ in range(args.runs)]
            wall = statistics.median(r["process_wall"] for r in runs)
            r = runs[-1]
            if base is None:
                base = (wall, r["digest"])
            same = all(x["digest"] == base[1] for x in runs)
            workers = "/".join(f"{w:.0f}" for w in r["rss_workers_mb"]) or "-"
            print(f"{n:>5} {r['routes']:>10,} {r['peers']:>6} {name:>15} {wall:>8.2f} {wall / base[0]:>8.2f} "
                  f"{r['rss_client_mb']:>9.0f} {workers:>15} {'yes' if same else 'NO'}", flush=True)
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
