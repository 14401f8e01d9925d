"""netvet watch: routes watched live (BGP through ExaBGP, BMP, RIS Live) or replayed (MRT), alerts and feed health.

Layout: :mod:`.config` (watch.yaml), :mod:`.rules` (per-AS facts through the policy engine, per-path rule checks),
:mod:`.engine` (state and events), :mod:`.health`, :mod:`.replay` (MRT), :mod:`.feeds` (ExaBGP, BMP, RIS Live),
:mod:`.channels`, :mod:`.store` (SQLite), :mod:`.runner` (the live loop). See docs/watch.md.

For the dashboard: :func:`open_events` returns the open events (alerts not yet resolved), oldest first, each a
``netvet-watch-event/1`` dict, either of the watcher running in this process or of a state file.
"""

from __future__ import annotations

from pathlib import Path

_current = None  # the Engine of the watcher running in this process, if any


def open_events(state: str | Path | None = None) -> list[dict]:
    """Open (unresolved) watch events, oldest first.

    ``state``: a watch state file (``state:`` in watch.yaml) to read, read-only. Without it: the events of the
    watcher running in this process (``netvet watch`` started in-process), or ``[]`` when there is none.
    """
    if state is not None:
        from .store import open_events as from_file

        return from_file(state)
    eng = _current
    return eng.open_events() if eng is not None else []


def set_current(engine) -> None:
    global _current
    _current = engine
