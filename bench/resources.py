"""Peak memory and time of `netvet audit` on huge and hostile inputs (issue 14).

    python3 bench/resources.py [--dir DIR] [--scale 1.0] [--only csv,nmap,cyclonedx,unrelated] [--reader-only]
                               [--format json|csv|table|html|oscal] [--record]

Generates, once, into DIR (default: a temporary directory, removed afterwards; with ``--scale`` other than 1 the
file names carry it, e.g. ``bom-x0.25.cdx.json``):

- ``inventory.csv``: a CSV inventory of 1,000,000 rows (x scale): hostname, ip, mac, vendor, model, serial,
  role, site;
- ``scan.xml``: an nmap -oX scan of 200,000 hosts (x scale), each up with a MAC, its vendor and one port;
- ``bom.cdx.json``: a CycloneDX 1.6 BOM of 1 GB (x scale): components with hashes, licences and a long
  description (about 2.3 kB each);
- ``unrelated.bin``: 2 GB of NUL bytes (sparse; not scaled), audited with ``--input-format cyclonedx-json``
  and ``--input-format csv-inventory``.

Each case runs ``netvet audit FILE --format json --output /dev/null`` in a child process (``--reader-only``: only
the reader, its observations counted as ``Reader.stream`` yields them; ``--format`` and ``--record``: the CSV
inventory case in that format, recorded in the history) with a fresh NETVET_HOME and prints wall
time, CPU time (user + system: the figure that depends least on the machine's load), peak RSS (the child's
``ru_maxrss``) and the exit code. Targets: the 1 M-row CSV audit <= 1 GB; the unrelated file refused in <= 5 s
with <= 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENDORS = ["Cisco", "Huawei", "Juniper", "Arista", "Hikvision", "ZTE", "Dell", "HP", "Ubiquiti", "MikroTik"]


def gen_csv(path: Path, rows: int) -> None:
    rnd = random.Random(1)
    with open(path, "w") as f:
        f.write("hostname,ip,mac,vendor,model,serial,role,site\n")
        for i in range(rows):
            mac = ":".join(f"{rnd.randrange(256):02x}" for _ in range(6))
            f.write(f"h{i},10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255},{mac},{VENDORS[i % 10]},M{i % 50},S{i},"
                    f"office,site{i % 7}\n")


def gen_nmap(path: Path, hosts: int) -> None:
    rnd = random.Random(2)
    with open(path, "w") as f:
        f.write('<?xml version="1.0"?>\n<nmaprun scanner="nmap" args="nmap -oX" start="1700000000" version="7.94">\n')
        for i in range(hosts):
            mac = ":".join(f"{rnd.randrange(256):02X}" for _ in range(6))
            f.write(f'<host><status state="up" reason="arp-response"/><address addr="10.{i >> 16 & 255}.'
                    f'{i >> 8 & 255}.{i & 255}" addrtype="ipv4"/><address addr="{mac}" addrtype="mac" '
                    f'vendor="{VENDORS[i % 10]}"/><ports><port protocol="tcp" portid="22"><state state="open"/>'
                    '<service name="ssh" product="OpenSSH"/></port></ports></host>\n')
        f.write("</nmaprun>\n")


def gen_bom(path: Path, size: int) -> None:
    rnd = random.Random(3)
    with open(path, "w") as f:
        f.write('{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"type":"device",'
                '"name":"box","manufacturer":{"name":"Huawei Technologies Co., Ltd."}}},"components":[')
        i = 0
        while f.tell() < size:
            c = {"type": "library", "name": f"lib{i}", "version": "1.0", "purl": f"pkg:maven/x/lib{i}@1.0",
                 "supplier": {"name": VENDORS[i % 10]},
                 "hashes": [{"alg": "SHA-256", "content": f"{rnd.getrandbits(256):064x}"} for _ in range(4)],
                 "licenses": [{"license": {"id": "Apache-2.0"}}], "description": "x" * 1800}
            f.write(("," if i else "") + json.dumps(c))
            i += 1
        f.write("]}")


def gen_unrelated(path: Path) -> None:
    with open(path, "wb") as f:
        f.truncate(2 << 30)


def measure(cmd: list[str], env: dict) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds (user + system), peak RSS in MB, exit code) of ``cmd``."""
    t = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", default="csv,nmap,cyclonedx,unrelated")
    ap.add_argument("--reader-only", action="store_true")
    ap.add_argument("--format", default="json", help="output format of the CSV inventory case (json, csv, table, "
                    "html, oscal)")
    ap.add_argument("--record", action="store_true", help="the CSV inventory case with --record (into its fresh "
                    "NETVET_HOME; the history database's size is printed)")
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="netvet-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    s = args.scale
    cases = []
    if "csv" in only:
        cases.append((f"CSV inventory, {int(1_000_000 * s):,} rows", "inventory.csv",
                      lambda p: gen_csv(p, int(1_000_000 * s)), None))
    if "nmap" in only:
        cases.append((f"nmap XML, {int(200_000 * s):,} hosts", "scan.xml", lambda p: gen_nmap(p, int(200_000 * s)),
                      None))
    if "cyclonedx" in only:
        cases.append((f"CycloneDX, {int(1000 * s)} MB", "bom.cdx.json", lambda p: gen_bom(p, int(1e9 * s)), None))
    if "unrelated" in only:
        cases.append(("2 GB of NUL bytes as cyclonedx-json", "unrelated.bin", gen_unrelated, "cyclonedx-json"))
        cases.append(("2 GB of NUL bytes as csv-inventory", "unrelated.bin", gen_unrelated, "csv-inventory"))
    rows = []
    try:
        for label, name, gen, fmt in cases:
            # a kept --dir holds one file per scale (the unrelated file is not scaled)
            path = work / (name if s == 1 or fmt else name.replace(".", f"-x{s:g}.", 1))
            if not path.exists():
                gen(path)
            env = dict(os.environ, NETVET_HOME=tempfile.mkdtemp(prefix="netvet-home-"))
            if args.reader_only:
                code = ("import sys; import netvet.readers as R; R.load_all(); from netvet.readers.base import detect; "
                        "s = detect(sys.argv[1], sys.argv[2] or None).stream(sys.argv[1]); print(sum(1 for _ in s))")
                cmd = [sys.executable, "-c", code, str(path), fmt or ""]
            else:
                csv_case = name == "inventory.csv"
                out_fmt = args.format if csv_case else "json"
                cmd = [sys.executable, "-c", "from netvet.cli import run; run()", "audit", str(path),
                       "--format", out_fmt, "--output", os.devnull] + (["--input-format", fmt] if fmt else [])
                if csv_case and (args.record or out_fmt != "json"):
                    cmd += ["--record"] if args.record else []
                    label = f"{label} (--format {out_fmt}{', --record' if args.record else ''})"
            elapsed, cpu, rss, rc = measure(cmd, env)
            db = Path(env["NETVET_HOME"]) / "history.duckdb"
            if db.exists():
                print(f"{label}: history database {db.stat().st_size / 1e6:,.1f} MB", file=sys.stderr, flush=True)
            shutil.rmtree(env["NETVET_HOME"], ignore_errors=True)
            rows.append((label, f"{path.stat().st_size / 1e6:,.0f} MB", f"{elapsed:.1f}", f"{cpu:.1f}", f"{rss:,.0f}",
                         str(rc)))
            print(f"{label}: {elapsed:.1f} s ({cpu:.1f} s CPU), {rss:,.0f} MB peak RSS, exit {rc}", file=sys.stderr,
                  flush=True)
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    what = "reader only" if args.reader_only else "netvet audit"
    print(f"| input ({what}) | size | time (s) | CPU (s) | peak RSS (MB) | exit |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
