"""Mutated inputs through the whole pipeline: ``read_inputs`` + attribution counts, and the CLI (``netvet audit``):
no traceback, exit code 0, 1 or 2, and every input's counts balanced (``ReadStats.balanced()``) for the readers
that make one observation per record."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netvet.cli import main
from netvet.model import Attribution, AttributionStatus, InputError
from netvet.pipeline import count_attributions, read_inputs
from tests.fuzz.mutations import (
    Target,
    check_counts,
    compression_strategy,
    fuzz_settings,
    load_seeds,
    ops_strategy,
)
from tests.fuzz.seeds import seeds_of

PER_RECORD = ["csv-inventory", "cyclonedx-json", "nmap-xml", "snmprec", "device-cli", "android-packages"]
THROUGH_CLI = ["csv-inventory", "cyclonedx-json", "nmap-xml", "mrt"]


def _attributions(observations) -> dict:
    # every other observation "positive": the split does not matter, only that the pipeline counts each once
    return {o.id: Attribution(AttributionStatus.ATTRIBUTED if i % 2 else AttributionStatus.UNKNOWN,
                              "x" if i % 2 else None, 1.0 if i % 2 else 0.0, None)
            for i, o in enumerate(observations)}


@pytest.mark.parametrize("fmt", PER_RECORD + ["mrt", "flows"])
def test_read_inputs_counts_balance(fmt, fuzz_dir):
    shared, fixtures, inline = seeds_of(fmt)
    seeds = load_seeds(shared, fixtures, inline, mrt=fmt == "mrt")
    target = Target(fuzz_dir / f"pipeline-{fmt}", "input")

    @fuzz_settings(10, long=300)
    @given(seed=st.integers(0, 1 << 16), ops=ops_strategy, how=compression_strategy)
    def run(seed, ops, how):
        path = target.write(seeds, seed, ops, how)
        try:
            observations, stats = read_inputs([path], input_format=fmt)
        except InputError:
            return
        count_attributions(stats, observations, _attributions(observations))
        for s in stats:
            check_counts(s)
            if not s.failed:  # every input, flows included, in its stated unit
                assert s.balanced(), s

    run()


@pytest.mark.parametrize("fmt", THROUGH_CLI)
def test_cli_audit_never_shows_a_traceback(fmt, fuzz_dir, capsys):
    shared, fixtures, inline = seeds_of(fmt)
    seeds = load_seeds(shared, fixtures, inline, mrt=fmt == "mrt")
    target = Target(fuzz_dir / f"cli-{fmt}", "input")

    @fuzz_settings(4, long=50)
    @given(seed=st.integers(0, 1 << 16), ops=ops_strategy, how=compression_strategy)
    def run(seed, ops, how):
        path = target.write(seeds, seed, ops, how)
        capsys.readouterr()
        code = main(["audit", str(path), "--input-format", fmt, "--policy", "fcc-covered-list", "-f", "json",
                     "--fail-on", "fail"])
        out, err = capsys.readouterr()
        assert code in (0, 1, 2), (code, err[-500:])
        assert "Traceback" not in err and "internal error" not in err, err[-2000:]

    run()
