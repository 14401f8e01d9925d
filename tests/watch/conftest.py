"""Shared fixtures of the watch tests: one policy context per session (building it takes seconds)."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture(scope="session")
def clean_ctx():
    from datetime import date

    from netvet.pipeline import Context

    return Context.build(["clean-network"], on=date(2026, 11, 24))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """A channel that keeps every event with its arrival time (time.monotonic())."""

    def __init__(self) -> None:
        self.events: list[tuple[float, dict]] = []

    def send(self, event: dict, line: str) -> None:
        import time

        self.events.append((time.monotonic(), event))

    def close(self) -> None:
        pass

    def wait_for(self, pred, timeout: float = 15.0):
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, e in list(self.events):
                if pred(e):
                    return t, e
            time.sleep(0.01)
        raise AssertionError(f"no matching event within {timeout}s; got {[e['summary'] for _, e in self.events]}")
