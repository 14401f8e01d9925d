"""The dataset loaders the attribution layer uses, on mutated files: IEEE MAC registries (attribution/oui.py),
IANA enterprise numbers (pen.py), AS names (asnames.py), the CISA KEV catalogue (kev.py). Nothing but
InputError may escape, and the counts stay consistent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netvet.attribution.asnames import load_asnames
from netvet.attribution.kev import load_kev
from netvet.attribution.oui import MacRegistry
from netvet.attribution.pen import PenRegistry
from netvet.attribution.registry import Registry
from tests.fuzz.mutations import (
    Target,
    check_counts,
    compression_strategy,
    fuzz_settings,
    guarded,
    load_seeds,
    ops_strategy,
)

LOADER_SEEDS = {
    "oui": ("oui", "datasets/ieee", "datasets/bad/oui-bad-header.csv", "datasets/bad/oui-wrong-field-count.csv"),
    "pen": ("pen", "datasets/iana/enterprise-numbers.txt", "datasets/bad/enterprise-numbers-truncated.txt"),
    "asnames": ("ipasn/asnames.json", "ipasn/as2org.txt", "ipasn/as2org.jsonl", "routes/asnames.json",
                "flows/asnames.json", "asn_candidates/asnames-small.json", "asn_candidates/asnames-malformed.json",
                "datasets/caida/20241001.as-org2info.txt"),
    "kev": ("kev/kev-sample.json", "datasets/kev"),
}
_REGISTRY: list[Registry] = []


def _registry() -> Registry:
    if not _REGISTRY:
        _REGISTRY.append(Registry.load())
    return _REGISTRY[0]


def _load(kind: str, path):
    if kind == "oui":
        report = MacRegistry().load(path)
        assert report.skipped <= report.records
        return report.stats
    if kind == "pen":
        return PenRegistry().load(path).stats
    if kind == "asnames":
        for stats in load_asnames(path).stats[1:]:
            check_counts(stats)
        return load_asnames(path).stats[0]
    counts = load_kev(path, _registry())
    assert counts.stats.read == counts.stats.attributed + counts.stats.unattributed + counts.stats.malformed
    return counts.stats


@pytest.mark.parametrize("kind", sorted(LOADER_SEEDS))
def test_dataset_loader_survives_mutated_input(kind, fuzz_dir):
    seeds = load_seeds((), LOADER_SEEDS[kind])
    target = Target(fuzz_dir / f"dataset-{kind}", "input")
    if kind == "kev":
        _registry()

    @fuzz_settings(30)
    @given(seed=st.integers(0, 1 << 16), ops=ops_strategy,
           how=st.none() if kind == "kev" else compression_strategy)  # KEV files are read uncompressed
    def run(seed, ops, how):
        path = target.write(seeds, seed, ops, how)
        stats = guarded(_load, kind, path)
        if stats is not None:
            check_counts(stats)

    run()
