"""`netvet collect snmp` throughput: 200 SNMP targets served by snmpsim on 127.0.0.1.

Run from the repository root::

    python bench/collect_snmp.py                       # 200 targets, 1 snmpsim responder, concurrency 32
    python bench/collect_snmp.py --targets 400 --servers 2 --concurrency 64

The agents are the 37 real LibreNMS walks of ``../shared/data/inputs/snmp`` (each target is one of them, in
turn; community = walk name); ``--servers`` snmpsim command responders each serve all of them on their own UDP
port (snmpsim answers from one thread, at roughly 1 ms per variable binding: it, not the collector, bounds the
rate). What is timed is ``netvet.collect.snmp.collect_snmp`` from the first request to the last manifest write:
GETBULK walks of the subtrees netvet reads, the .snmprec files and manifest written atomically. Reported:
wall time, targets per second, records, the collector's own CPU time, and that the bundle verifies.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from netvet.collect.bundle import Bundle, verify  # noqa: E402
from netvet.collect.credentials import Profiles  # noqa: E402
from netvet.collect.snmp import SnmpOptions, Target, collect_snmp  # noqa: E402
from tests.collect.snmpsim_server import snmpsim  # noqa: E402

WALKS = REPO.parent / "shared" / "data" / "inputs" / "snmp"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", type=int, default=200)
    ap.add_argument("--servers", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--walks", type=Path, default=WALKS)
    args = ap.parse_args()
    walks = {p.stem: p for p in sorted(args.walks.glob("*.snmprec"))}
    if not walks:
        print(f"no .snmprec walks in {args.walks}", file=sys.stderr)
        return 2
    names = list(walks)
    out = Path(tempfile.mkdtemp(prefix="netvet-bench-collect-"))
    try:
        with contextlib.ExitStack() as stack:
            t0 = time.monotonic()
            ports = [stack.enter_context(snmpsim(walks)) for _ in range(args.servers)]
            started = time.monotonic() - t0
            targets = [Target("127.0.0.1", ports[i % len(ports)], community=names[i % len(names)],
                              label=f"t{i:04d}") for i in range(args.targets)]
            bundle = Bundle(out / "evidence", "snmp", "bench", {"targets": len(targets)})
            cpu0, t0 = time.process_time(), time.monotonic()
            collect_snmp(targets, bundle, None, Profiles(None, {}),
                         SnmpOptions(timeout=5, retries=2, concurrency=args.concurrency))
            run = bundle.finish()
            wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
        records = sum(len(p.read_text().splitlines()) for p in (out / "evidence" / "snmp").iterdir())
        ok = verify(out / "evidence").ok
        print(f"snmpsim responders: {args.servers} (started in {started:.1f} s), walks: {len(walks)}")
        print(f"targets: {args.targets}, concurrency: {args.concurrency}")
        print(f"collected: {len(run['targets_ok'])}, failed: {len(run['targets_failed'])}, records: {records:,}")
        print(f"wall: {wall:.1f} s ({args.targets / wall:.1f} targets/s), collector CPU: {cpu:.1f} s, "
              f"bundle verifies: {ok}")
        return 0 if ok and not run["targets_failed"] else 1
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
