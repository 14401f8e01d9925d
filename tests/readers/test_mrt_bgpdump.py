"""The bgpdump fast path and `bgpdump -m` text as evidence: the same RouteTable as netvet's parser."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from netvet.model import InputError, ReadStats
from netvet.model.route import RouteTable, iter_table_routes
from netvet.readers.bgpdump_text import (
    LineFormatter,
    as_path_text,
    parse_as_path,
    parse_line,
    read_text_routes,
    read_text_table,
)
from netvet.readers.mrt import read_route_table, read_routes
from netvet.readers.mrt.bgpdump import bgpdump_route_table
from netvet.readers.mrt.engines import load_route_table
from netvet.readers.mrt.fast import read_route_table_fast
from tests.conftest import shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "mrt"
ORACLES = ["updates.20160811.1600.gz", "updates.20070211.0141.gz", "bview.ipv4_unicast_add_path.gz"]
NEEDS_BGPDUMP = pytest.mark.skipif(not shutil.which("bgpdump"), reason="bgpdump not installed (CI installs it)")
# the text cannot say unicast/multicast, nor where in the MRT file a route was
TEXT_BLIND = ("safi", "offset")


@pytest.mark.parametrize("name", ORACLES)
def test_oracle_text_loads_into_the_same_table_as_the_mrt(name, tmp_path):
    ours, _ = read_route_table(shared_file(f"mrt/{name}"))
    stats = ReadStats("oracle", "bgpdump-text")
    text = read_text_table(shared_file(f"bgpdump-expect/{name}.bgp.gz"), stats)
    assert text.differences(ours, ignore=TEXT_BLIND) == []
    assert text.equals(ours, ignore=TEXT_BLIND)
    assert stats.malformed == 0
    assert (text.safi == 0).all() and (text.offset == -1).all()


@NEEDS_BGPDUMP
@pytest.mark.parametrize("name", ORACLES)
def test_both_engines_give_identical_route_tables(name):
    path = shared_file(f"mrt/{name}")
    py = load_route_table(path, engine="python")
    fast = load_route_table(path, engine="bgpdump")
    assert len(py) == len(fast) > 0
    assert fast.differences(py, ignore=TEXT_BLIND) == []
    assert py.n_paths == fast.n_paths and py.peer_ips == fast.peer_ips
    assert load_route_table(path, engine="fast").differences(py) == []  # netvet's C engine: every column


@NEEDS_BGPDUMP
def test_engines_agree_on_a_large_rib():
    path = shared_file("mrt/rib.20140523.0600_first9073records.mrt.gz")
    py, _ = read_route_table(path)
    fast = bgpdump_route_table(path)
    assert len(py) == 270005 and py.n_paths == 77608
    assert fast.equals(py, ignore=TEXT_BLIND)
    assert read_route_table_fast(path)[0].equals(py)


@NEEDS_BGPDUMP
def test_engines_agree_on_the_truncated_ipv6_rib():
    path = shared_file("mrt/rib6.20151101.0600_firstMB.bz2")
    py, mstats = read_route_table(path)
    stats = ReadStats(str(path), "bgpdump")
    fast = bgpdump_route_table(path, stats)
    assert len(py) == 149578 and mstats.truncated
    assert fast.equals(py, ignore=TEXT_BLIND)
    assert read_route_table_fast(path)[0].equals(py)
    assert any("incomplete dump record" in i.reason for i in stats.issues)  # bgpdump's own complaint


def test_text_table_is_the_same_whatever_the_chunk_size():
    path = shared_file("bgpdump-expect/updates.20160811.1600.gz.bgp.gz")
    whole = read_text_table(path)
    with gzip.open(path, "rb") as fh:
        pieces = read_text_table(fh, chunk_bytes=100_000)  # about 60 chunks: peers/paths carried across
    assert whole.equals(pieces) and len(whole) == 41212


def test_load_route_table_engines(monkeypatch):
    path = FIX / "sample.mrt"
    py = load_route_table(path, engine="python")
    assert len(py) == 24 and py.safi.tolist()[4] == 2
    monkeypatch.setattr("netvet.readers.mrt.bgpdump.bgpdump_path", lambda: None)
    auto = load_route_table(path)  # no bgpdump on PATH: auto falls back to netvet's parser
    assert auto.equals(py)
    with pytest.raises(ValueError, match="unknown engine"):
        load_route_table(path, engine="turbo")
    with pytest.raises(InputError, match="bgpdump is not installed"):
        load_route_table(path, engine="bgpdump")


@NEEDS_BGPDUMP
def test_bgpdump_engine_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        bgpdump_route_table(tmp_path / "missing.mrt")


@NEEDS_BGPDUMP
def test_bgpdump_engine_on_the_fixture_leaves_out_what_bgpdump_does_not_decode():
    fast = bgpdump_route_table(FIX / "sample.mrt")
    py, _ = read_route_table(FIX / "sample.mrt")
    assert len(py) - len(fast) == 2  # the IPv4 multicast RIB entry and the RIB_GENERIC entry
    keep = np.ones(len(py), bool)
    keep[[4, 7]] = False
    rows_py = [r for i, r in enumerate(iter_table_routes(py)) if keep[i]]
    assert list(iter_table_routes(fast)) == rows_py


def test_every_line_round_trips_through_parse_line():
    recs, _ = read_routes(FIX / "sample.mrt")
    fmt = LineFormatter()
    for rec in recs:
        line = fmt(rec)
        back = parse_line(line)
        assert fmt(back) == line
        assert back.as_path == rec.as_path and back.peer_as == rec.peer_as and back.prefix == rec.prefix


@pytest.mark.parametrize("text", ["", "1 2 3", "1 2 {3,4}", "(65001 65002) 3 {4,5} [6]", "{7}", "1 {2} 3"])
def test_as_path_text_round_trip(text):
    assert as_path_text(parse_as_path(text)) == text


def test_bad_text_lines_are_counted_with_line_numbers(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(
        "TABLE_DUMP2|1|B|192.0.2.1|64500|192.0.2.0/24|64500|IGP|192.0.2.1|0|0||NAG||\n"
        "garbage\n"
        "TABLE_DUMP2|x|B|192.0.2.1|64500|192.0.2.0/24|64500|IGP|192.0.2.1|0|0||NAG||\n"
        "BGP4MP|1|W|192.0.2.1|64500|192.0.2.0/33\n"
        "BGP4MP|1|STATE|192.0.2.1|64500|1|2\n"
        "\n"
        "BGP4MP|1|W|2001:db8::1|64500|2001:zz8::/32\n"
    )
    recs, stats = read_text_routes(path)
    assert [r.prefix for r in recs] == ["192.0.2.0/24", None]
    assert stats.read == 6 and stats.malformed == 4
    assert [i.line for i in stats.issues] == [2, 3, 4, 7]
    table_stats = ReadStats(str(path), "bgpdump-text")
    table = read_text_table(path, table_stats)
    assert len(table) == 1 and table_stats.malformed == 4 and table_stats.skipped == 1
    assert sorted(i.line for i in table_stats.issues) == [2, 3, 4, 7]


def test_route_table_concat_renumbers_peers_and_paths():
    a, _ = read_route_table(FIX / "sample.mrt")
    b, _ = read_route_table(FIX / "big.mrt.gz")
    both = RouteTable.concat([a, b])
    assert len(both) == len(a) + len(b)
    assert list(iter_table_routes(both)) == list(iter_table_routes(a)) + list(iter_table_routes(b))
    assert both.peer_ips[:3] == a.peer_ips and len(both.peer_ips) == 3 + 1999  # 192.0.2.11 is shared


def test_route_table_as_polars():
    table, _ = read_route_table(FIX / "sample.mrt")
    df = table.to_polars()
    assert df.height == len(table) == 24
    assert df["peer_ip"].to_list()[:3] == ["192.0.2.11", "192.0.2.12", "2001:db8::12"]
    assert df["origin_asn"].to_list()[:4] == [64511, 0, 4134, 64513]
    assert df.columns[:3] == ["kind", "timestamp", "microseconds"]


def test_text_table_without_polars_is_the_same(monkeypatch):
    path = shared_file("bgpdump-expect/updates.20160811.1600.gz.bgp.gz")
    with_polars = read_text_table(path)
    monkeypatch.setitem(__import__("sys").modules, "polars", None)  # import polars -> ImportError
    stats = ReadStats(str(path), "bgpdump-text")
    without = read_text_table(path, stats)
    assert without.equals(with_polars) and len(without) == 41212
    assert stats.skipped == 22 and stats.malformed == 0  # the 22 STATE lines


def test_route_table_as_arrow():
    pytest.importorskip("pyarrow")
    table, _ = read_route_table(FIX / "sample.mrt")
    arrow = table.to_arrow()
    assert arrow.num_rows == 24
    assert arrow.column("peer_as").to_pylist()[:3] == [64500, 4200000001, 64502]
