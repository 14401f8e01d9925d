"""Carrier audit of a full table read in chunks (analyses.full_table): the same routes, scan and summary as the
audit of the materialised table, and the same ``routes audit`` JSON."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from netvet.analyses.carrier import (
    EXCLUDED,
    AuditedRoutes,
    path_origins,
    routes_seen_asns,
    scan,
    seen_asns,
    select_rows,
    summarise,
)
from netvet.analyses.full_table import audit_full_table, gather_routes, streamable
from netvet.model import InputError
from netvet.model.route import MARK_SET_NEXT, origin_of
from netvet.readers.route_evidence import load_routes
from tests.analyses.test_carrier import _fixed_verdicts
from tests.conftest import shared_file

FILES = ["rib.20140523.0600_first9073records.mrt.gz", "rib6.20151101.0600_firstMB.bz2",
         "updates.20160811.1600.gz", "bview.ipv4_unicast_add_path.gz", "openbgpd_bgp", "bird6-mrtdump_rib"]


@pytest.mark.parametrize("name", FILES)
def test_gathered_routes_are_those_of_the_table(name):
    path = shared_file(f"mrt/{name}")
    table, stats = load_routes(path, None, "fast")
    rows = select_rows(table)
    want = AuditedRoutes.of(table, rows)
    got, got_stats = gather_routes(path, chunk_rows=3000)
    assert got_stats.to_dict() == stats.to_dict()
    assert len(got) == len(rows)
    for col in ("path_index", "peer_index", "prefix_id"):
        assert np.array_equal(getattr(got, col), getattr(want, col)), col
    assert dataclasses.asdict(got.prefixes).keys() == dataclasses.asdict(want.prefixes).keys()
    for col in ("family", "hi", "lo", "length"):
        assert np.array_equal(getattr(got.prefixes, col), getattr(want.prefixes, col)), col
    every = np.arange(len(got))
    assert np.array_equal(got.route_peer_as(every), table.peer_as[rows])
    assert np.array_equal(got.route_origins(), table.origin_asn[rows])
    assert routes_seen_asns(got) == seen_asns(table, rows)


def test_path_origins_are_origin_of():
    table, _ = load_routes(shared_file("mrt/rib.20140523.0600_first9073records.mrt.gz"))
    got = path_origins(table.path_offsets, table.path_asns, table.path_marks)
    offs = table.path_offsets
    want = [origin_of(tuple(table.path_asns[offs[i]:offs[i + 1]].tolist()),
                      tuple(table.path_marks[offs[i]:offs[i + 1]].tolist())) for i in range(table.n_paths)]
    assert got.tolist() == want
    ends_in_a_set = table.path_marks[offs[1:] - 1] == MARK_SET_NEXT  # a final AS_SET of several members
    assert int((got == 0).sum()) == int(ends_in_a_set.sum()) == 16


def test_audit_of_the_full_table_equals_the_table_audit():
    path = shared_file("mrt/updates.20160811.1600.gz")
    table, stats = load_routes(path)
    want = summarise(scan(table, _fixed_verdicts()))

    class Cls:
        verdicts = {v.asn: v for v in _fixed_verdicts()}

    seen_by_classify = []
    full = audit_full_table(path, lambda seen: seen_by_classify.append(seen) or Cls, chunk_rows=2000)
    assert seen_by_classify == [seen_asns(table)]
    assert dataclasses.asdict(full.summary) == dataclasses.asdict(want)
    assert (full.scan.routes, int((full.scan.level == EXCLUDED).sum())) == (39256, 1450)
    assert full.scan.table is None and full.stats.to_dict() == stats.to_dict()


def test_a_file_without_routes_is_an_input_error(tmp_path):
    empty = tmp_path / "empty.mrt"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="no routes in this input"):
        gather_routes(empty)


def test_streamable_only_for_one_mrt_file_on_the_fast_engine(tmp_path):
    rib = shared_file("mrt/rib.20140523.0600_first9073records.mrt.gz")
    text = tmp_path / "paths.txt"
    text.write_text("64500 64501\n")
    assert streamable([rib], None, "auto", False, False)
    assert streamable([rib], "mrt", "fast", False, False)
    assert not streamable([rib], None, "python", False, False)
    assert not streamable([rib], None, "bgpdump", False, False)
    assert not streamable([rib], None, "dask", False, False)
    assert not streamable([rib, rib], None, "auto", False, False)
    assert not streamable([rib], None, "auto", True, False)
    assert not streamable([rib], None, "auto", False, True)
    assert not streamable([text], None, "auto", False, False)
    assert not streamable([tmp_path / "missing"], None, "auto", False, False)
