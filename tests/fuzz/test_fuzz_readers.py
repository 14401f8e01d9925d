"""Every registered reader on mutated real samples: no exception but InputError, counts that add up, bounded time.

Each reader is fed its own seeds (tests/fuzz/seeds.py), mutated (byte flips, insertions, deletions, truncation,
duplicated lines and spans, 200 kB lines, 5,000-digit integers, 5,000-deep JSON, random bytes, empty and
whitespace-only files, NULs, invalid UTF-8, CRLF), and sometimes gzip/bz2/xz-compressed after mutation.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netvet.pipeline import complete, fill_reference
from netvet.readers import load_all
from netvet.readers.base import READERS, Reference, sniff_order
from tests.conftest import FIXTURES
from tests.fuzz.mutations import (
    Target,
    check_counts,
    compression_strategy,
    fuzz_settings,
    guarded,
    load_seeds,
    ops_strategy,
)
from tests.fuzz.seeds import AGGREGATING, KNOWN_FAILURES, MRT_FORMATS, READER_SEEDS, seeds_of

load_all()
FORMATS = [pytest.param(f, marks=pytest.mark.xfail(strict=False, reason=KNOWN_FAILURES[f]))
           if f in KNOWN_FAILURES else f for f in sorted(c.format for c in sniff_order())]
# (the flow-log readers yield flow batches, not a read result: tests/fuzz/test_fuzz_flows.py fuzzes them)


@pytest.mark.parametrize("fmt", FORMATS)
def test_reader_survives_mutated_input(fmt, fuzz_dir):
    # the reference data as the pipeline fills it (traceroutes need an IP -> ASN database)
    reference = fill_reference(Reference(FIXTURES / "routes" / "atlas_asn.ipasn" if fmt == "atlas-traceroute"
                                         else None))
    shared, fixtures, inline = seeds_of(fmt)
    seeds = load_seeds(shared, fixtures, inline, mrt=fmt in MRT_FORMATS)
    target = Target(fuzz_dir / fmt, "input")
    cls = READERS[fmt]
    accepted = []

    @fuzz_settings(40)
    @given(seed=st.integers(0, 1 << 16), ops=ops_strategy, how=compression_strategy)
    def run(seed, ops, how):
        path = target.write(seeds, seed, ops, how)
        # read as the pipeline reads: routes become per-AS observations
        reader = cls(reference=reference) if "reference" in cls.options else cls()
        result = guarded(lambda p: complete(p, reader.read(p), reference), path)
        if result is None:
            return
        accepted.append(1)
        # one observation per record, except where a reader aggregates (routes: per AS, flows: per party)
        check_counts(result.stats, None if fmt in AGGREGATING else len(result.observations))

    run()
    if fmt in READER_SEEDS:  # (a reader fuzzed from other readers' samples may refuse them all)
        assert accepted, "every input was refused: the test exercised nothing"
