"""Optional extras: a command whose extra is missing says which one to install and exits 2; `netvet version`
lists the compiled engines and the extras; the start-up path imports neither pydantic nor NumPy."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from netvet.cli import main
from netvet.cli.common import EXTRAS, require_extra


def test_require_extra_returns_the_module():
    import json

    assert require_extra("json", "all") is json


def test_require_extra_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "fastapi", None)  # `import fastapi` now fails like a missing package
    with pytest.raises(typer.Exit) as exc:
        require_extra("fastapi", "web")
    assert exc.value.exit_code == 2
    err = capsys.readouterr().err
    assert "'fastapi'" in err and "netvet[web]" in err


def test_require_extra_for_a_module_that_needs_the_package(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    monkeypatch.delitem(sys.modules, "netvet.cli.serve", raising=False)
    assert main(["serve"]) == 2
    assert "netvet[web]" in capsys.readouterr().err


def test_missing_extra_deep_in_a_command_is_a_clean_error(monkeypatch, capsys):
    import netvet.cli.version as version_mod

    def boom():
        raise ModuleNotFoundError("No module named 'duckdb'", name="duckdb")

    monkeypatch.setattr(version_mod, "extras_status", boom)
    assert main(["version"]) == 2
    err = capsys.readouterr().err
    assert "netvet[history]" in err and "Traceback" not in err


def test_history_without_duckdb(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("NETVET_HOME", str(tmp_path))
    monkeypatch.setitem(sys.modules, "duckdb", None)
    assert main(["history"]) == 2
    assert "netvet[history]" in capsys.readouterr().err


def test_every_extra_is_declared():
    import tomllib
    from pathlib import Path

    meta = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
    extras = meta["optional-dependencies"]
    assert set(EXTRAS.values()) <= set(extras)
    assert all(f"netvet[{name}" in extras["all"][0] or name in extras["all"][0]
               for name in set(EXTRAS.values()))
    assert "netvet[all]" in extras["test"]
    core = " ".join(meta["dependencies"])
    for optional in ("duckdb", "fastapi", "uvicorn", "ntc-templates", "dask", "pyarrow"):
        assert optional not in core


def test_version_lists_engines_and_extras(capsys):
    assert main(["version"]) == 0
    out = capsys.readouterr().out
    assert "compiled engines:" in out and "mrt" in out and "flows" in out
    assert "extras installed:" in out


def test_kind_option_matches_the_model():
    from netvet.cli.attribute import KindOption
    from netvet.model import IdKind

    assert {k.value for k in KindOption} == {k.value for k in IdKind}


def test_start_up_imports_neither_pydantic_nor_numpy():
    code = ("import sys, netvet, netvet.cli; netvet.cli._register_all(); "
            "print(sorted(m for m in ('pydantic', 'numpy', 'netvet.model', 'polars') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    # the public names stay importable
    from netvet import Observation, Verdict

    assert Verdict.FAIL and Observation
