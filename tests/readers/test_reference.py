"""readers.base.Reference: reference data for the readers, loaded on first use, once per batch."""

from __future__ import annotations

from pathlib import Path

from netvet.pipeline import fill_reference
from netvet.readers.base import ReadResult, Reference


def test_a_loader_runs_once_and_a_missing_one_gives_none():
    calls = []
    ref = Reference(loaders={"index": lambda: calls.append(1) or "built"})
    assert (ref.get("index"), ref.get("index"), calls) == ("built", "built", [1])
    assert ref.get("nothing") is None and "nothing" not in ref.loaded
    assert ref.get("given", lambda: 42) == 42 and ref.loaded == {"index": "built", "given": 42}


def test_what_a_caller_filled_in_advance_wins_over_the_pipeline_loaders():
    ref = fill_reference(Reference(Path("rib.mrt"), loaded={"prefix_index": "mine"}))
    assert sorted(ref.loaders) == ["inventory_context", "prefix_index", "sdk_signatures"]
    assert ref.get("prefix_index") == "mine"


def test_the_pipeline_loaders_do_not_replace_the_callers():
    ref = fill_reference(Reference(loaders={"sdk_signatures": lambda: "mine"}))
    assert ref.get("sdk_signatures") == "mine"


def test_a_read_result_says_what_it_yields():
    r = ReadResult()
    assert (r.observations, r.stats, r.routes, r.bundle, r.attributes) == ([], None, None, None, {})


def test_load_all_registers_the_readers_declared_by_higher_layers():
    """`flows` lives above the pipeline: it reaches the one registry through the `netvet.readers` entry point, not
    through an import of flows by readers or by each command."""
    from importlib.metadata import entry_points

    from netvet.flows.evidence import FlowEvidenceReader
    from netvet.readers import ENTRY_POINT_GROUP, READERS, load_all

    load_all()
    declared = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert declared == {"flows": "netvet.flows.evidence:FlowEvidenceReader"}
    assert READERS["flows"] is FlowEvidenceReader
