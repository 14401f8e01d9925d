"""The one reader registry: capabilities, ``detect`` by capability, and the answers sniffing gives on every fixture,
shared input and generated sample (recorded before the flow-log formats joined the registry, issue 13)."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys

import pytest

import netvet
from netvet import readers
from netvet.model import InputError
from netvet.readers.base import READ_RESULT, READERS, sniff_order
from netvet.readers.flowlogs import FLOW_BATCHES
from tests.conftest import FIXTURES, SHARED_DATA
from tests.readers.sniff_samples import write_samples

readers.load_all()
ANSWERS = json.loads((FIXTURES / "readers" / "detect_answers.json").read_text())
FLOW_FORMATS = ["nfcapd", "parquet-flows", "zeek-conn", "zeek-dns", "aws-vpc", "nfdump-csv", "csv-flows"]


def answers(path) -> list[str | None]:
    """[the reader ``netvet audit`` picks, the flow-log reader ``netvet flows audit`` picks] (None: refused)."""
    out = []
    for yields in (None, FLOW_BATCHES):
        try:
            out.append(readers.detect(path, yields=yields).format)
        except InputError:
            out.append(None)
    return out


def test_fixtures_and_generated_samples_are_detected_as_before(tmp_path):
    generated = {f"generated/{p.name}": p for p in write_samples(tmp_path)}
    files = {k: FIXTURES / k.removeprefix("fixtures/") for k in ANSWERS if k.startswith("fixtures/")}
    files.update(generated)
    assert set(generated) == {k for k in ANSWERS if k.startswith("generated/")}
    assert all(p.is_file() for p in files.values()), "a fixture of the recorded answers is gone"
    got = {k: answers(p) for k, p in files.items()}
    assert got == {k: ANSWERS[k] for k in files}


def test_shared_inputs_are_detected_as_before():
    keys = [k for k in ANSWERS if k.startswith("shared/")]
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"shared data missing: {SHARED_DATA}")
        pytest.skip(f"shared data missing: {SHARED_DATA}")
    got = {k: answers(SHARED_DATA / k.removeprefix("shared/")) for k in keys}
    assert got == {k: ANSWERS[k] for k in keys}
    assert sum(1 for v in got.values() if v[1] is not None) == 4  # the four shared flow logs


def test_capabilities_and_sniff_order():
    by_cap = {cap: [c.format for c in sniff_order({cap})] for cap in ("routes", "flow-batches")}
    assert by_cap["flow-batches"] == FLOW_FORMATS  # the order the second registry had (SNIFF_ORDER)
    assert sorted(by_cap["routes"]) == ["as-path-list", "atlas-traceroute", "bgpdump-text", "ipasn", "mrt",
                                        "pfx2as"]
    assert READERS["bundle-manifest"].yields == frozenset({"bundle"})
    default = {c.format for c in sniff_order()}
    assert default == {f for f, c in READERS.items() if c.yields & READ_RESULT}
    assert not default & set(FLOW_FORMATS) and "flows" in default
    assert READERS["flows"].yields == frozenset({"observations"})


def test_detect_names_the_formats_of_the_capability(tmp_path):
    text = tmp_path / "x.txt"
    text.write_text("hello\nworld\n")
    known = ", ".join(sorted(FLOW_FORMATS))
    with pytest.raises(InputError, match=rf"not a flow or DNS log netvet reads; .*\({known}\)"):
        readers.detect(text, yields=FLOW_BATCHES)
    with pytest.raises(InputError, match=r"unknown format 'zeek-conn' \(known: (?!.*zeek-conn)"):
        readers.detect(text, "zeek-conn")  # not a reader ``netvet audit`` can use
    assert readers.detect(text, "zeek-conn", yields=FLOW_BATCHES).format == "zeek-conn"
    with pytest.raises(InputError, match="a zeek-conn log is read in batches by the flows engine"):
        READERS["zeek-conn"]().read(FIXTURES / "flows" / "conn.log")


def _modules():
    """Every importable netvet module (those of a missing optional extra are left out)."""
    for info in pkgutil.walk_packages(netvet.__path__, "netvet."):
        try:
            yield importlib.import_module(info.name)
        except ImportError:
            continue


def test_there_is_one_registry_of_input_formats():
    """No module holds a collection of classes that sniff but ``readers.base.READERS`` (re-exported by
    ``netvet.readers``)."""
    holders: dict[int, list[str]] = {}
    for mod in _modules():
        for name, value in vars(mod).items():
            items = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple | set) \
                else ()
            if any(isinstance(v, type) and callable(getattr(v, "sniff", None)) for v in items):
                holders.setdefault(id(value), []).append(f"{mod.__name__}.{name}")
    assert list(holders.values()) == [["netvet.readers.READERS", "netvet.readers.base.READERS"]]
    assert id(READERS) in holders
    assert "netvet.flows.inputs" not in sys.modules
