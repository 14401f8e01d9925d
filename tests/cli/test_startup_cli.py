"""Start-up work of the command line: `attribute` reads its reference data from the compiled forms in the cache
directory (built by the first run), `--help` imports no heavy module, `policies list` renders through its
reporter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from netvet.cli import main
from netvet.datasets.store import netvet_cache


@pytest.fixture(autouse=True)
def _empty_cache(tmp_path, monkeypatch):
    """A cache directory of this test's own, empty at the start (the suite's is shared by every test)."""
    monkeypatch.setenv("NETVET_CACHE", str(tmp_path / "cache"))


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_attribute_builds_then_reuses_the_compiled_reference_data(capsys):
    code, first, _ = run(capsys, "attribute", "00:e0:fc:12:34:56", "-f", "json")
    assert code == 0
    cache = netvet_cache()
    names = sorted(p.name.split("-")[0] for p in cache.iterdir())
    assert names == ["fingerprints", "mac", "registry"]
    stamps = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    code, second, _ = run(capsys, "attribute", "00:e0:fc:12:34:56", "-f", "json")
    assert code == 0 and second == first
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == stamps  # read, not rebuilt
    doc = json.loads(second)
    assert (doc["status"], doc["entity_id"], doc["org_name"], doc["dataset"]) == (
        "attributed", "huawei", "HUAWEI TECHNOLOGIES CO.,LTD", "netaddr-1.3.0 oui.txt (IEEE MA-L)")


def test_attribute_with_a_damaged_index_gives_the_same_answer(capsys):
    code, first, _ = run(capsys, "attribute", "00:e0:fc:12:34:56", "-f", "json")
    for p in (netvet_cache()).iterdir():
        p.write_bytes(p.read_bytes()[:100])
    code, second, _ = run(capsys, "attribute", "00:e0:fc:12:34:56", "-f", "json")
    assert code == 0 and second == first


def test_help_and_attribute_import_no_heavy_module(tmp_path):
    probe = ("import sys\nfrom netvet.cli import main\n"
             "code = main(sys.argv[1:])\n"
             "heavy = ('netvet.pipeline', 'netvet.policies', 'cel', 'polars', 'duckdb', 'pyarrow', 'dask', "
             "'fastapi', 'jinja2')\n"
             "print('LOADED', sorted(m for m in heavy if m in sys.modules), code)\n")
    env = {**os.environ, "NETVET_HOME": str(tmp_path)}
    for args, extra_absent in ((["--help"], ("numpy", "pydantic", "yaml", "netvet.model", "rich.table")),
                               (["attribute", "00:e0:fc:12:34:56"], ())):
        check = probe.replace("heavy = (", "heavy = (" + "".join(f"{m!r}, " for m in extra_absent))
        out = subprocess.run([sys.executable, "-c", check, *args], capture_output=True, text=True, env=env,
                             timeout=120).stdout
        assert out.strip().splitlines()[-1] == "LOADED [] 0", (args, out[-500:])


def test_policies_list_json_and_refused_format(capsys):
    code, out, _ = run(capsys, "policies", "list", "-f", "json")
    assert code == 0
    packs = json.loads(out)
    assert list(packs[0]) == ["id", "title", "version", "approach", "vendor_neutral", "rules"]
    clean = next(p for p in packs if p["id"] == "clean-network")
    assert (clean["approach"], clean["vendor_neutral"], clean["rules"]) == ("nation-of-origin", False, 10)
    code, _, err = run(capsys, "policies", "list", "-f", "csv")
    assert code == 2 and "'csv' is not one of 'table', 'json'" in err


def test_attribute_renders_through_its_reporter(capsys, tmp_path):
    from netvet.reporters import render
    from netvet.reporters.identifier import IdentifierResult

    code, out, _ = run(capsys, "attribute", "00:e0:fc:12:34:56", "-f", "json")
    data = json.loads(out)
    text = render(IdentifierResult("mac 00:e0:fc:12:34:56", data), "table")
    assert "Huawei Technologies Co., Ltd. (huawei), CN" in text
    assert "mac-oui, confidence 0.70, relation maker" in text
    assert "HUAWEI TECHNOLOGIES CO.,LTD (CN)" in text and "Evidence chain" in text
    code, _, err = run(capsys, "attribute", "00:e0:fc:12:34:56", "-f", "csv")
    assert code == 2 and "'csv' is not one of 'table', 'json'" in err


def test_attribute_unknown_context_is_a_usage_error(capsys):
    code, out, err = run(capsys, "attribute", "Huawei VRP", "--context", "nowhere")
    assert code == 2 and out == ""
    assert "unknown --context 'nowhere'" in err
