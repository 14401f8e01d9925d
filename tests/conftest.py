"""Shared test helpers: locating ../shared/data (a failure under CI, a skip elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("NETVET_SHARED_DATA", REPO.parent / "shared" / "data"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_file(relpath: str) -> Path:
    """Path of a file in ../shared/data; missing: fail under CI=true, skip otherwise."""
    path = SHARED_DATA / relpath
    if not path.exists():
        msg = f"shared data file missing: {path}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def system_file(path: str) -> Path:
    """A file installed by a Debian package that .ci/run installs; missing: fail under CI=true, skip otherwise."""
    p = Path(path)
    if not p.exists():
        msg = f"system file missing (install its Debian package): {p}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return p


@pytest.fixture
def shared():
    return shared_file


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own NETVET_HOME so nothing touches the user's data directory."""
    monkeypatch.setenv("NETVET_HOME", str(tmp_path_factory.mktemp("netvet-home")))
    # compiled reference data is keyed by its sources' content: one cache for the whole session
    monkeypatch.setenv("NETVET_CACHE", str(tmp_path_factory.getbasetemp() / "netvet-cache"))
    monkeypatch.setenv("NETVET_OFFLINE_TESTS", "1")  # netvet.datasets refuses every non-loopback URL
