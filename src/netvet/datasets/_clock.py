"""The current UTC time, in one place so tests can pin it."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """Now, in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)
