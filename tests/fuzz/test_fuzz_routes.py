"""Route evidence engines on mutated MRT dumps and route texts.

MRT: netvet's parser (``python``), the same parser with its hot loop in C (``fast``) and Debian's bgpdump
(``bgpdump``) must not raise anything but InputError; ``python`` and ``fast`` must agree exactly (routes and
every count), and the counts hold the MRT unit (``readers/mrt/parser.py``): every record counted in ``read`` is
decoded, malformed or skipped, so ``malformed + skipped <= read`` and the records found are at most ``read``.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from netvet.model import ReadStats
from netvet.readers.bgpdump_text import read_text_table
from netvet.readers.ipasn import read_prefix_origins
from netvet.readers.mrt import read_route_table
from netvet.readers.mrt.fast import read_route_table_fast
from netvet.readers.route_evidence import read_as_path_list
from tests.fuzz.mutations import (
    Target,
    check_counts,
    compression_strategy,
    fuzz_settings,
    guarded,
    load_seeds,
    ops_strategy,
)
from tests.fuzz.seeds import READER_SEEDS

COLUMNS = ("kind", "timestamp", "microseconds", "peer_as", "family", "prefix_hi", "prefix_lo", "prefix_len",
           "safi", "path_id", "origin_asn", "path_index", "offset")
MUTATION = dict(seed=st.integers(0, 1 << 16), ops=ops_strategy, how=compression_strategy)


def _mrt_seeds():
    shared, fixtures, inline = READER_SEEDS["mrt"]
    return load_seeds(shared, fixtures, inline, mrt=True)


def _check_mrt(mstats) -> None:
    stats = mstats.stats
    check_counts(stats)
    assert stats.unit == "record"
    assert sum(mstats.records.values()) <= stats.read
    assert stats.skipped == sum(mstats.undecoded.values()) + mstats.unknown_records


def test_mrt_python_and_fast_engines_agree_on_mutated_dumps(fuzz_dir):
    seeds = _mrt_seeds()
    target = Target(fuzz_dir / "mrt-engines", "dump.mrt")

    @fuzz_settings(60)
    @given(**MUTATION)
    def run(seed, ops, how):
        path = target.write(seeds, seed, ops, how)
        py = guarded(read_route_table, path)
        fast = guarded(read_route_table_fast, path)
        assert (py is None) == (fast is None), "one engine refused the input, the other read it"
        if py is None:
            return
        (t1, s1), (t2, s2) = py, fast
        _check_mrt(s1)
        _check_mrt(s2)
        assert s1.stats.to_dict() == s2.stats.to_dict()
        assert len(t1) == len(t2)
        for name in COLUMNS:
            assert np.array_equal(getattr(t1, name), getattr(t2, name)), name

    run()


@pytest.mark.skipif(shutil.which("bgpdump") is None, reason="bgpdump is not installed (Debian package bgpdump)")
def test_mrt_bgpdump_engine_survives_mutated_dumps(fuzz_dir):
    from netvet.readers.mrt.bgpdump import bgpdump_route_table

    seeds = _mrt_seeds()
    target = Target(fuzz_dir / "mrt-bgpdump", "dump.mrt")

    @fuzz_settings(15, long=2000)  # a bgpdump process per input
    @given(**MUTATION)
    def run(seed, ops, how):
        path = target.write(seeds, seed, ops, how)
        stats = ReadStats(str(path), "mrt")
        if guarded(bgpdump_route_table, path, stats) is not None:
            check_counts(stats)

    run()


@pytest.mark.parametrize("fmt", ["bgpdump-text", "as-path-list", "ipasn", "pfx2as"])
def test_route_text_survives_mutated_input(fmt, fuzz_dir):
    shared, fixtures, inline = READER_SEEDS[fmt]
    seeds = load_seeds(shared, fixtures, inline)
    target = Target(fuzz_dir / f"routes-{fmt}", "input")

    def load(path):
        if fmt == "bgpdump-text":
            stats = ReadStats(str(path), fmt)
            return read_text_table(path, stats, chunk_bytes=16384), stats
        if fmt == "as-path-list":
            return read_as_path_list(path)
        po = read_prefix_origins(path, fmt)
        return po, po.stats

    @fuzz_settings(30, long=2000)  # the registered readers of these formats get the full long run
    @given(**MUTATION)
    def run(seed, ops, how):
        path = target.write(seeds, seed, ops, how)
        got = guarded(load, path)
        if got is None:
            return
        table, stats = got
        check_counts(stats)
        if fmt == "as-path-list":  # one route per line read well
            assert len(table) + stats.malformed == stats.read
        elif fmt in ("ipasn", "pfx2as"):  # one prefix per line read well
            assert table.v4_count + len(table.v6_len) + stats.malformed == stats.read

    run()
