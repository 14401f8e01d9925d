"""MRT parse rates: netvet (own parser, its C engine, bgpdump fast path), Debian's bgpdump and mrtparse, one run.

Run from the repository root::

    python bench/mrt_parse.py                 # the 9,073-record RouteViews RIB, 3 runs each, medians
    python bench/mrt_parse.py --runs 5 --file ../shared/data/mrt/updates.20160811.1600.gz
    python bench/mrt_parse.py --runs 5 --dump-only --file ../shared/data/mrt/rib6.20151101.0600_firstMB.bz2

Contenders, all on the same file (gzip-decompression included for each):

* ``netvet-fast``    netvet's parser with its hot loop in C (``read_route_table_fast``, the ``fast`` engine
  ``load_route_table`` picks by default): the same RouteTable as ``netvet-table`` (checked, untimed)
* ``netvet-table``   netvet's parser straight into the columnar RouteTable (``read_route_table``)
* ``netvet-records`` netvet's parser, one RouteRecord object per route (``iter_routes``)
* ``netvet-dump``    ``netvet routes dump --format bgpdump``'s writer (``mrt.text.TextMrtParser``: runs of
  TABLE_DUMP_V2 unicast RIB and BGP4MP MESSAGE records in C, the rest through LineFormatter; the same bytes
  as ``bgpdump -m``, checked untimed) to /dev/null; ``ratio_dump_vs_bgpdump`` is its wall-clock rate over
  ``bgpdump -m > /dev/null`` (``--dump-only``: these two contenders alone, run alternately, one pair per run)
* ``netvet-bgpdump`` bgpdump -m as a subprocess, its text loaded into a RouteTable with Polars
  (``load_route_table(engine="bgpdump")``)
* ``bgpdump``        ``bgpdump -m FILE > /dev/null`` alone (C; text out, no table)
* ``mrtparse``       mrtparse 2.2 iterating every record (pure Python dicts)

Route counts are checked to agree. Prints, per contender, the median wall time and routes/s and the
median CPU time (user+sys of this process, its threads and its subprocesses: less sensitive to a busy
machine) and routes per CPU-second; then the wall-clock ratios to bgpdump and to mrtparse. The last
line is ``ratio_table_vs_bgpdump=<float>``: wall clock, the fastest netvet engine that produces netvet's
exact RouteTable (netvet-fast or netvet-table) over ``bgpdump -m > /dev/null``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from netvet.readers.mrt import iter_routes, read_route_table  # noqa: E402
from netvet.readers.mrt.bgpdump import bgpdump_route_table  # noqa: E402
from netvet.readers.mrt.fast import HAVE_C, read_route_table_fast  # noqa: E402
from netvet.readers.mrt.text import TextMrtParser  # noqa: E402

DATA = Path(os.environ.get("NETVET_SHARED_DATA", REPO.parent / "shared" / "data")) / "mrt"
DEFAULT = DATA / "rib.20140523.0600_first9073records.mrt.gz"


def netvet_table(path: Path) -> int:
    table, _ = read_route_table(path)
    return len(table)


def netvet_fast(path: Path) -> int:
    table, _ = read_route_table_fast(path)
    return len(table)


def netvet_records(path: Path) -> int:
    return sum(1 for r in iter_routes(path) if r.kind != "STATE")


def netvet_dump(path: Path) -> int:
    """``netvet routes dump --format bgpdump``'s writer (TextMrtParser: C for RIB runs) to /dev/null."""
    parser = TextMrtParser(path)
    with open(os.devnull, "wb") as out:
        for chunk in parser.text():
            out.write(chunk)
    return parser.lines - parser.mstats.routes.get("STATE", 0)


def netvet_bgpdump(path: Path) -> int:
    return len(bgpdump_route_table(path))


_BGPDUMP_ROUTES: dict[Path, int] = {}


def bgpdump_only(path: Path) -> int:
    """``bgpdump -m FILE > /dev/null``; the route count comes from one untimed run that keeps the text."""
    if path not in _BGPDUMP_ROUTES:
        out = subprocess.run(["bgpdump", "-q", "-m", str(path)], capture_output=True, check=True).stdout
        _BGPDUMP_ROUTES[path] = sum(1 for line in out.splitlines() if b"|STATE|" not in line)
    return _BGPDUMP_ROUTES[path]


def _bgpdump_devnull(path: Path) -> None:
    subprocess.run(["bgpdump", "-q", "-m", str(path)], stdout=subprocess.DEVNULL, check=True)


def mrtparse_count(path: Path) -> int:
    import mrtparse

    n = 0
    for entry in mrtparse.Reader(str(path)):
        d = entry.data
        if "rib_entries" in d:
            n += len(d["rib_entries"])
        elif "bgp_message" in d and 2 in d["bgp_message"]["type"]:
            m = d["bgp_message"]
            n += len(m.get("withdrawn_routes", ())) + len(m.get("nlri", ()))
            for a in m.get("path_attributes", ()):
                if 14 in a["type"] or 15 in a["type"]:
                    v = a["value"]
                    n += len(v.get("nlri", ())) + len(v.get("withdrawn_routes", ()))
    return n


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[Path], int], path: Path, runs: int) -> tuple[float, float, int]:
    """(median wall seconds, median CPU seconds incl. subprocesses and threads, routes)."""
    count = fn(path) if fn is bgpdump_only else 0
    run = _bgpdump_devnull if fn is bgpdump_only else fn
    walls, cpus = [], []
    for _ in range(runs):
        c0, t0 = _cpu(), time.perf_counter()
        got = run(path)
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
        count = count or got
    return statistics.median(walls), statistics.median(cpus), count


def dump_only(path: Path, runs: int, have_bgpdump: bool) -> int:
    """netvet-dump against bgpdump -m, alternating run by run so both see the same machine load."""
    if not have_bgpdump:
        print("bgpdump is not installed", file=sys.stderr)
        return 2
    oracle = subprocess.run(["bgpdump", "-q", "-m", str(path)], capture_output=True, check=True).stdout
    ours = b"".join(TextMrtParser(path).text())
    print(f"netvet-dump: byte-identical to bgpdump -m: {ours == oracle}")
    lines = oracle.count(b"\n")
    got: dict[str, list[tuple[float, float]]] = {"netvet-dump": [], "bgpdump": []}
    for _ in range(runs):
        for name, run in (("netvet-dump", netvet_dump), ("bgpdump", _bgpdump_devnull)):
            c0, t0 = _cpu(), time.perf_counter()
            run(path)
            got[name].append((time.perf_counter() - t0, _cpu() - c0))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in got.items()}
    for name, (secs, cpu) in med.items():
        print(f"{name:15s} {lines:>10,} lines  {secs:8.3f} s wall {lines / secs:>10,.0f} lines/s   "
              f"{cpu:8.3f} s cpu {lines / cpu:>10,.0f} lines/cpu-s")  # fmt: skip
    ratios = sorted(b / a for (a, _), (b, _) in zip(got["netvet-dump"], got["bgpdump"], strict=True))
    print(f"per-run wall ratios: {' '.join(f'{r:.2f}' for r in ratios)}")
    print(f"ratio_dump_vs_bgpdump={med['bgpdump'][0] / med['netvet-dump'][0]:.3f}  (the same text, to /dev/null; "
          f"cpu {med['bgpdump'][1] / med['netvet-dump'][1]:.3f})")  # fmt: skip
    return 0 if ours == oracle else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--file", type=Path, default=DEFAULT)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-mrtparse", action="store_true", help="mrtparse is slow (about 9 s per run here)")
    ap.add_argument("--dump-only", action="store_true", help="netvet-dump and bgpdump only, alternately")
    args = ap.parse_args()
    path: Path = args.file
    if not path.exists():
        print(f"missing {path}", file=sys.stderr)
        return 2
    have_bgpdump = shutil.which("bgpdump") is not None
    print(
        f"file: {path.name} ({path.stat().st_size:,} bytes); runs: {args.runs} (median); "
        f"python {platform.python_version()}; cpus: {os.cpu_count()}; load average: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.dump_only:
        return dump_only(path, args.runs, have_bgpdump)
    same = read_route_table_fast(path)[0].equals(read_route_table(path)[0])
    if have_bgpdump:
        oracle = subprocess.run(["bgpdump", "-q", "-m", str(path)], capture_output=True, check=True).stdout
        print(f"netvet-dump: byte-identical to bgpdump -m: {b''.join(TextMrtParser(path).text()) == oracle}")
    built = "built" if HAVE_C else "NOT built (pure Python)"
    print(f"netvet-fast: C extension {built}; the same RouteTable as netvet-table: {same}")
    contenders: list[tuple[str, Callable[[Path], int]]] = [
        ("netvet-fast", netvet_fast),
        ("netvet-table", netvet_table),
        ("netvet-records", netvet_records),
        ("netvet-dump", netvet_dump),
    ]
    if have_bgpdump:
        contenders += [("netvet-bgpdump", netvet_bgpdump), ("bgpdump", bgpdump_only)]
    if not args.skip_mrtparse:
        contenders.append(("mrtparse", mrtparse_count))
    rates: dict[str, float] = {}
    counts: dict[str, int] = {}
    for name, fn in contenders:
        secs, cpu, n = timed(fn, path, args.runs)
        rates[name], counts[name] = n / secs, n
        print(
            f"{name:15s} {n:>10,} routes  {secs:8.3f} s wall {n / secs:>10,.0f} routes/s   "
            f"{cpu:8.3f} s cpu {n / cpu:>10,.0f} routes/cpu-s"
        )
    if len(set(counts.values())) != 1:
        print(f"route counts differ: {counts}", file=sys.stderr)
    for ref in ("bgpdump", "mrtparse"):
        if ref in rates:
            line = ", ".join(f"{k} {v / rates[ref]:.2f}x" for k, v in rates.items() if k != ref)
            print(f"vs {ref}: {line}")
    if "bgpdump" in rates:
        best = max(("netvet-fast", "netvet-table"), key=lambda k: rates[k])
        print(f"best netvet table engine: {best}")
        print(f"ratio_dump_vs_bgpdump={rates['netvet-dump'] / rates['bgpdump']:.3f}  (the same text, to /dev/null)")
        print(f"ratio_table_vs_bgpdump={rates[best] / rates['bgpdump']:.3f}")
    return 0 if len(set(counts.values())) == 1 and same else 1


if __name__ == "__main__":
    sys.exit(main())
