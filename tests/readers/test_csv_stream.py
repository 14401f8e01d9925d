"""The CSV inventory reader as a stream: observations come as rows are read, the header is checked first, and
``read`` is exactly the list of the stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvet.model import InputError
from netvet.readers import csv_inventory
from netvet.readers.csv_inventory import CsvInventoryReader

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def test_first_observation_before_the_end_of_the_file(tmp_path, monkeypatch):
    f = tmp_path / "big.csv"
    rows = 50_000
    f.write_text("hostname,vendor,site\n" + "".join(f"h{i},Huawei,s{i % 3}\n" for i in range(rows)))
    handles = []
    real = csv_inventory.open_input

    def tracked(path):
        fh = real(path)
        handles.append(fh)
        return fh

    monkeypatch.setattr(csv_inventory, "open_input", tracked)
    stream = CsvInventoryReader().stream(f)
    first = next(iter(stream))
    assert first.id == "big.csv:2" and first.attributes == {"hostname": "h0", "vendor": "Huawei"}
    assert handles[0].tell() < f.stat().st_size // 10  # a buffer's worth read, not the file
    assert stream.stats.read == 1
    rest = list(stream)
    assert len(rest) == rows - 1 and rest[-1].id == f"big.csv:{rows + 1}"
    assert (stream.stats.read, stream.stats.malformed) == (rows, 0)
    assert handles[0].closed


def test_close_releases_an_unfinished_stream(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("hostname,vendor\na,Huawei\nb,Cisco\n")
    stream = CsvInventoryReader().stream(f)
    next(iter(stream))
    stream.close()
    assert list(stream) == []


@pytest.mark.parametrize("name", ["inventory_good.csv", "inventory_bad.csv", "inventory_semicolon.csv"])
def test_read_is_the_list_of_the_stream(name):
    path = FIX / "readers" / name
    result = CsvInventoryReader().read(path)
    stream = CsvInventoryReader().stream(path)
    observations = list(stream)
    assert [o.to_dict() for o in observations] == [o.to_dict() for o in result.observations]
    assert stream.stats.to_dict() == result.stats.to_dict()
    s = stream.stats
    assert s.read == len(observations) + s.malformed + s.skipped


def test_refused_before_iteration(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes(b"\x00" * 10_000)
    with pytest.raises(InputError):
        CsvInventoryReader().stream(f)
    (tmp_path / "h.csv").write_text("colour,taste\nred,sweet\n")
    with pytest.raises(InputError, match="no recognisable CSV inventory header"):
        CsvInventoryReader().stream(tmp_path / "h.csv")
