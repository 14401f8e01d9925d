"""Start-up time of the command line: `netvet --help` and `netvet attribute MAC` against `python -c pass`.

Each command runs in a fresh interpreter (the same one as this script, so that a version manager's shim is not
measured), several times; the median wall time is reported with its ratio to the bare interpreter measured in
the same run. The commands run with the netvet home of the environment, whose compiled reference data (the MAC
index, the registry and the fingerprints in the cache directory) the warm-up run builds when missing; the
"cold" line runs `attribute` with a new, empty home and cache each time (the one-off cost of building them).
Usage: ``python3 bench/startup.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CLI = "from netvet.cli import run; run()"
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import netvet'": [sys.executable, "-c", "import netvet"],
    "netvet --help": [sys.executable, "-c", CLI, "--help"],
    "netvet version": [sys.executable, "-c", CLI, "version"],
    "netvet attribute 00:e0:fc:12:34:56": [sys.executable, "-c", CLI, "attribute", "00:e0:fc:12:34:56"],
}
COLD = "netvet attribute MAC (cold: empty cache)"
COMMANDS[COLD] = COMMANDS["netvet attribute 00:e0:fc:12:34:56"]
TARGETS = {"netvet --help": 0.3, "netvet attribute 00:e0:fc:12:34:56": 0.5}


def wall(cmd: list[str], home: str | None = None) -> float:
    # bytecode is written as for any installed program (a PYTHONDONTWRITEBYTECODE of the calling shell would
    # make every run compile the modules changed since the last install from source)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if home is not None:
        env.update(NETVET_HOME=home, NETVET_CACHE=f"{home}/cache")
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    return time.perf_counter() - t


def timed(name: str, cmd: list[str]) -> float:
    if name != COLD:
        return wall(cmd)
    with tempfile.TemporaryDirectory(prefix="netvet-cold-") as home:
        return wall(cmd, home)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    for name, cmd in COMMANDS.items():  # warm the page cache, the bytecode and the compiled reference data
        timed(name, cmd)
    times = {name: [] for name in COMMANDS}
    for _ in range(args.runs):  # interleaved: a busy moment of the machine hits every command alike
        for name, cmd in COMMANDS.items():
            times[name].append(timed(name, cmd))
    base = statistics.median(times["python -c pass"])
    print(f"{'command':40} {'median s':>9} {'min s':>7} {'x pass':>7}  target")
    for name, ts in times.items():
        med = statistics.median(ts)
        target = TARGETS.get(name)
        verdict = "" if target is None else f"<= {target} s: {'ok' if med <= target else 'MISSED'}"
        print(f"{name:40} {med:9.3f} {min(ts):7.3f} {med / base:7.1f}  {verdict}")


if __name__ == "__main__":
    main()
