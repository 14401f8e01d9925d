"""IP → origin-AS lookup rates: pyasn, pytricia and netvet's PrefixIndex on the same random addresses.

Run from the repository root::

    python bench/ip_lookup.py                      # 10M IPv4 + 1M IPv6, 3 runs each, medians
    python bench/ip_lookup.py --v4 1000000 --runs 5

IPv4: uniformly random addresses against ``ipasn_20140513.dat.gz`` (512,621 prefixes). IPv6: 1/2 inside
randomly chosen prefixes of ``ipasn6_20151101.dat.gz``, 1/4 anywhere in 2000::/3, 1/4 anywhere at all.

Each tool gets its fastest natural input, prepared before timing: pyasn (no batch API) a list of
strings, one ``pyasn.lookup`` call each; pytricia Python ints (IPv4) or packed bytes (IPv6), one ``get``
call each; netvet one ``lookup_v4`` call on a uint32 array (``lookup_v6`` on two uint64 arrays). netvet's
string path (``lookup`` on a NumPy ``S`` array) is timed too. All answers are checked against pyasn
(origin AS and matched prefix length for netvet, origin AS for pytricia) on every address. The last line
is ``ratio_vs_pyasn=<netvet IPv4 batch rate / pyasn IPv4 rate>`` (medians, netvet with its default threads).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import platform
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from netvet.attribution.prefix_index import PrefixIndex  # noqa: E402
from netvet.readers.ipasn import read_ipasn  # noqa: E402

DATA = Path(os.environ.get("NETVET_SHARED_DATA", REPO.parent / "shared" / "data")) / "ipasn"


def timed(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    """Median wall time of ``runs`` calls, and the last call's result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds / 1e6:9.3f} M lookups/s  ({seconds * 1000:9.1f} ms median)"


def build_pytricia(bits: int, prefixes):
    import pytricia

    pt = pytricia.PyTricia(bits)
    for prefix, origins in prefixes:
        pt[prefix] = origins[0]
    return pt


def pyasn_answers(results) -> tuple[np.ndarray, np.ndarray]:
    asn = np.fromiter((r[0] or 0 for r in results), dtype=np.uint32, count=len(results))
    plen = np.fromiter(
        (int(r[1].rsplit("/", 1)[1]) if r[1] else -1 for r in results), dtype=np.int16, count=len(results)
    )
    return asn, plen


def v6_addresses(index: PrefixIndex, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    p_hi, p_lo, p_len, _ = index.prefix_arrays(6)  # the index's own prefixes: a sample of routed space
    pick = rng.integers(0, len(p_hi), n)
    length = p_len[pick].astype(np.int64)
    rand_hi = rng.integers(0, 2**64, n, dtype=np.uint64)
    rand_lo = rng.integers(0, 2**64, n, dtype=np.uint64)
    ones = np.uint64(2**64 - 1)
    host_hi = np.where(length >= 64, np.uint64(0), ones >> np.minimum(length, 63).astype(np.uint64))
    host_lo = np.where(
        length <= 64,
        ones,
        np.where(length == 128, np.uint64(0), ones >> np.clip(length - 64, 0, 63).astype(np.uint64)),
    )
    hi = p_hi[pick] | (rand_hi & host_hi)
    lo = p_lo[pick] | (rand_lo & host_lo)
    q = n // 4
    hi[:q] = (rand_hi[:q] >> np.uint64(3)) | np.uint64(0x2000 << 48)
    hi[q : 2 * q] = rand_hi[q : 2 * q]
    return hi, lo


def bench_family(
    label: str,
    n: int,
    runs: int,
    db,
    pt,
    index: PrefixIndex,
    strings: list[str],
    pt_keys: list,
    netvet_call: Callable[[], object],
    netvet_call_1t: Callable[[], object],
) -> dict[str, float]:
    print(f"\n== {label}: {n:,} addresses, {runs} runs each ==")
    lookup = db.lookup
    t_pyasn, py_results = timed(lambda: [lookup(s) for s in strings], runs)
    print(f"pyasn    lookup(str)          {rate(n, t_pyasn)}")
    get = pt.get
    t_pt, pt_results = timed(lambda: [get(k) for k in pt_keys], runs)
    print(f"pytricia get()                {rate(n, t_pt)}")
    t_nv, result = timed(netvet_call, runs)
    print(f"netvet   batch ({index.threads or 'auto'} threads)     {rate(n, t_nv)}")
    t_nv1, _ = timed(netvet_call_1t, runs)
    print(f"netvet   batch (1 thread)     {rate(n, t_nv1)}")
    s_arr = np.array(strings, dtype="S")
    t_nvs, r_str = timed(lambda: index.lookup(s_arr), runs)
    print(f"netvet   lookup(S array)      {rate(n, t_nvs)}")

    exp_asn, exp_len = pyasn_answers(py_results)
    split = 24 if label == "IPv4" else 64
    pt_asn = np.fromiter((a or 0 for a in pt_results), dtype=np.uint32, count=n)
    bad_nv = int(((result.asn != exp_asn) | (result.prefix_len != exp_len)).sum())
    bad_str = int(((r_str.asn != exp_asn) | (r_str.prefix_len != exp_len)).sum())
    bad_pt = int((pt_asn != exp_asn).sum())
    print(
        f"agreement with pyasn on all {n:,} addresses: netvet batch {n - bad_nv:,}, netvet strings "
        f"{n - bad_str:,}, pytricia {n - bad_pt:,}; routed {int((exp_asn != 0).sum()):,}, "
        f"matched longer than /{split}: {int((exp_len > split).sum()):,}"
    )
    if bad_nv or bad_str or bad_pt:
        raise SystemExit(
            f"{label}: answers differ from pyasn (netvet {bad_nv}, strings {bad_str}, pytricia {bad_pt})"
        )
    print(
        f"ratio vs pyasn: netvet batch {t_pyasn / t_nv:6.1f}x, 1 thread {t_pyasn / t_nv1:6.1f}x, "
        f"strings {t_pyasn / t_nvs:6.1f}x; pytricia {t_pyasn / t_pt:6.1f}x"
    )
    return {"pyasn": t_pyasn, "netvet": t_nv, "netvet_1t": t_nv1}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--v4", type=int, default=10_000_000, help="number of IPv4 addresses (default 10M)")
    ap.add_argument("--v6", type=int, default=1_000_000, help="number of IPv6 addresses (default 1M)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per tool; medians are reported")
    ap.add_argument("--seed", type=int, default=20140513)
    args = ap.parse_args()

    import pyasn
    import pytricia

    v4_file, v6_file = DATA / "ipasn_20140513.dat.gz", DATA / "ipasn6_20151101.dat.gz"
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pyasn {pyasn.__version__}, "
        f"pytricia {getattr(pytricia, '__version__', '?')}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    rng = np.random.default_rng(args.seed)

    t_db, db4 = timed(lambda: pyasn.pyasn(str(v4_file)), 1)
    t_ix, ix4 = timed(lambda: PrefixIndex.from_file(v4_file), 1)
    t_pt, pt4 = timed(lambda: build_pytricia(32, read_ipasn(v4_file).prefixes()), 1)
    print(
        f"\nbuild {v4_file.name}: pyasn {t_db:.2f} s, netvet {t_ix:.2f} s ({ix4.v4_prefixes:,} prefixes), "
        f"pytricia {t_pt:.2f} s (from netvet's reader)"
    )
    addrs = rng.integers(0, 2**32, args.v4, dtype=np.uint64).astype(np.uint32)
    packed = addrs.astype(">u4").tobytes()
    ntoa = socket.inet_ntoa
    strings = [ntoa(packed[i : i + 4]) for i in range(0, len(packed), 4)]
    ints = addrs.tolist()
    ix4_1t = PrefixIndex.from_file(v4_file)
    ix4_1t.threads = 1
    r4 = bench_family(
        "IPv4",
        args.v4,
        args.runs,
        db4,
        pt4,
        ix4,
        strings,
        ints,
        lambda: ix4.lookup_v4(addrs),
        lambda: ix4_1t.lookup_v4(addrs),
    )
    del strings, ints, pt4

    t_db, db6 = timed(lambda: pyasn.pyasn(str(v6_file)), 1)
    t_ix, ix6 = timed(lambda: PrefixIndex.from_file(v6_file), 1)
    t_pt, pt6 = timed(
        lambda: build_pytricia(128, (p for p in read_ipasn(v6_file).prefixes() if ":" in p[0])), 1
    )
    print(
        f"\nbuild {v6_file.name}: pyasn {t_db:.2f} s, netvet {t_ix:.2f} s ({ix6.v4_prefixes:,} + "
        f"{ix6.v6_prefixes:,} prefixes), pytricia {t_pt:.2f} s (IPv6 prefixes only)"
    )
    hi, lo = v6_addresses(ix6, args.v6, rng)
    values = [(h << 64) | low for h, low in zip(hi.tolist(), lo.tolist(), strict=True)]
    strings6 = [str(ipaddress.IPv6Address(v)) for v in values]
    packed6 = [v.to_bytes(16, "big") for v in values]
    ix6_1t = PrefixIndex.from_file(v6_file)
    ix6_1t.threads = 1
    r6 = bench_family(
        "IPv6",
        args.v6,
        args.runs,
        db6,
        pt6,
        ix6,
        strings6,
        packed6,
        lambda: ix6.lookup_v6(hi, lo),
        lambda: ix6_1t.lookup_v6(hi, lo),
    )

    print(f"\nratio_vs_pyasn_v6={r6['pyasn'] / r6['netvet']:.1f}")
    print(f"ratio_vs_pyasn_1thread={r4['pyasn'] / r4['netvet_1t']:.1f}")
    print(f"ratio_vs_pyasn={r4['pyasn'] / r4['netvet']:.1f}")


if __name__ == "__main__":
    main()
