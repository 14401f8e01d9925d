"""Each flow-log reader (capability ``flow-batches``) read directly: no exception but InputError, and
``records yielded + malformed + skipped == read`` (the flow readers' unit is the record: one line or row)."""

from __future__ import annotations

import io

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from netvet.flows import engine
from netvet.model import ReadStats
from netvet.readers.base import sniff_order
from netvet.readers.flowlogs import FLOW_BATCHES, problems
from netvet.readers.flowlogs.base import ReadOptions
from tests.conftest import FIXTURES
from tests.fuzz.mutations import (
    Seed,
    Target,
    check_counts,
    compression_strategy,
    fuzz_settings,
    guarded,
    load_seeds,
    ops_strategy,
)
from tests.fuzz.seeds import KNOWN_FAILURES

FLOW_SEEDS = {
    "zeek-conn": (("inputs/flows/zeek_teredo_conn.log", "inputs/flows/zeek_mac-logging_conn2.log"),
                  ("flows/conn.log", "flows/conn.json")),
    "zeek-dns": (("inputs/flows/zeek_dns-key_dns.log",), ("flows/dns.log", "flows/dns.json")),
    "aws-vpc": (("inputs/flows/beats_aws-vpcflow_accept-reject-traffic.log",),
                ("flows/vpc-headerless.log", "flows/vpc-v2.log", "flows/vpc-v5.log")),
    "nfdump-csv": ((), ("flows/nfdump.csv", "flows/nfdump-new.csv")),
    "csv-flows": ((), ("flows/flows.csv",)),
    "parquet-flows": ((), ()),
}


# tests/fixtures/flows/flows.csv names its columns its own way
MAPPING = tuple(sorted({"src": "client", "dst": "server", "bytes": "sent", "rbytes": "received", "flows": "count",
                        "start": "begin", "end": "finish"}.items()))


def _parquet_seed() -> Seed:
    buf = io.BytesIO()
    pl.read_csv(FIXTURES / "flows" / "flows.csv").write_parquet(buf)
    return Seed("flows.csv as parquet", buf.getvalue())


def _records(chunks) -> int:
    """Records in the chunks: flow chunks hold one row per record, DNS chunks one per answer address."""
    flows, dns = 0, set()
    for c in chunks:
        if hasattr(c, "name"):
            dns.update(c.line.tolist())
        else:
            flows += len(c)
    return flows + len(dns)


def test_every_flow_format_is_fuzzed():
    flow_formats = {cls.format for cls in sniff_order(FLOW_BATCHES)}
    # nfcapd: its seed is a capture made by a real nfcapd (test_nfcapd_survives_mutated_input)
    assert flow_formats - {"nfcapd"} <= set(FLOW_SEEDS), "a new flow format needs seeds here"


FORMATS = [pytest.param(f, marks=pytest.mark.xfail(strict=False, reason=KNOWN_FAILURES["flows"]))
           if f == "zeek-dns" and "flows" in KNOWN_FAILURES else f for f in sorted(FLOW_SEEDS)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_flow_format_survives_mutated_input(fmt, fuzz_dir):
    shared, fixtures = FLOW_SEEDS[fmt]
    seeds = [_parquet_seed()] if fmt == "parquet-flows" else load_seeds(shared, fixtures)
    options = ReadOptions(mapping=MAPPING if fmt in ("csv-flows", "parquet-flows") else (), chunk_rows=64)
    _fuzz_reader(fmt, seeds, Target(fuzz_dir / f"flow-{fmt}", "input"), options, 25)


def _fuzz_reader(fmt: str, seeds: list[Seed], target: Target, options: ReadOptions, examples: int) -> None:
    """Mutated ``seeds`` read by the flow reader ``fmt``: no exception but InputError, and the counts add up."""
    reader = engine.reader_of(fmt)
    accepted = []

    @fuzz_settings(examples)
    @given(seed=st.integers(0, 1 << 16), ops=ops_strategy, how=compression_strategy)
    def run(seed, ops, how):
        path = target.write(seeds, seed, ops, how)
        stats = ReadStats(str(path), fmt)

        def read_all() -> int:
            return sum(_records(reader.read_part(part, stats)) for part in reader.parts(path, options))

        n = guarded(read_all)
        if n is None:
            return
        accepted.append(1)
        problems.finish(stats)
        check_counts(stats, n)

    run()
    assert accepted, "every input was refused: the test exercised nothing"


def test_nfcapd_survives_mutated_input(fuzz_dir):
    """nfcapd capture files, read through the real nfdump: a capture of NetFlow v5, v9 (IPv4 and IPv6) and IPFIX
    packets sent to a real nfcapd on loopback, then mutated. nfdump's complaints become issues on the file; a
    silent nfdump is stopped (``nfdump.STALL_SECONDS``)."""
    from tests.conftest import system_file
    from tests.flows.test_nfcapd import mixed_capture

    system_file("/usr/bin/nfdump")
    folder = fuzz_dir / "nfcapd-seed"
    folder.mkdir()
    seed = mixed_capture(folder)
    _fuzz_reader("nfcapd", [Seed("nfcapd capture", seed.read_bytes())], Target(fuzz_dir / "flow-nfcapd", "input"),
                 ReadOptions(), 10)
