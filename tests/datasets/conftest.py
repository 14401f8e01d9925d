"""Dataset test fixtures: loopback-only fetching, a local HTTP server, a test catalogue, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from localserver import make_catalogue, running_server, write_catalogue

from netvet.datasets import _clock


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Nothing in these tests may reach beyond 127.0.0.1."""
    monkeypatch.setenv("NETVET_OFFLINE_TESTS", "1")


@pytest.fixture
def server():
    with running_server() as state:
        yield state


@pytest.fixture
def catalogue_file(server, tmp_path, monkeypatch):
    """A test catalogue (datasets oui, pfx, rir, kev on the local server), made the active catalogue."""
    path = write_catalogue(tmp_path / "catalogue.yaml", make_catalogue(server))
    monkeypatch.setenv("NETVET_CATALOGUE", str(path))
    return path


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Pin netvet's clock to 2024-11-05 12:00:00 UTC; ``clock.advance(days=1)`` moves it."""
    c = Clock(datetime(2024, 11, 5, 12, 0, 0, tzinfo=UTC))
    monkeypatch.setattr(_clock, "now", c)
    return c
