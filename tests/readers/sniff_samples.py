"""Inputs written on the fly for the detection tests: flow tables (CSV, Parquet) and compressed logs next to
tables that are not flows (an inventory CSV, a Parquet file without addresses)."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import polars as pl

FLOWS = Path(__file__).resolve().parents[1] / "fixtures" / "flows"


def write_samples(folder: Path) -> list[Path]:
    """Write the samples into ``folder``; their paths, sorted."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "flow_table.csv").write_text("src_ip,dst_ip,in_bytes,ts\n10.0.0.5,192.0.2.10,1,2023-11-14T22:13:20Z\n")
    (folder / "flow_table.tsv").write_text("srcaddr\tdstaddr\tbytes\n10.0.0.5\t192.0.2.10\t7\n")
    (folder / "inventory.csv").write_text("hostname,ip,mac,vendor\nsw1,10.0.0.1,00:e0:fc:12:34:56,Huawei\n")
    pl.DataFrame({"src_ip": ["10.0.0.5"], "dst_ip": ["192.0.2.10"], "in_bytes": [1]}).write_parquet(
        folder / "flows.parquet")
    pl.DataFrame({"name": ["a"], "count": [1]}).write_parquet(folder / "other.parquet")
    (folder / "conn.log.gz").write_bytes(gzip.compress((FLOWS / "conn.log").read_bytes()))
    (folder / "dns.json.xz").write_bytes(lzma.compress((FLOWS / "dns.json").read_bytes()))
    (folder / "vpc-v2.log.bz2").write_bytes(bz2.compress((FLOWS / "vpc-v2.log").read_bytes()))
    (folder / "binary.bin").write_bytes(bytes(range(256)) * 40)
    (folder / "empty.log").write_bytes(b"")
    return sorted(p for p in folder.iterdir() if p.is_file())
