"""What a reader makes of a file read whole (``read``) or as a stream: the stream tests compare the two."""

from __future__ import annotations

from pathlib import Path

from netvet.model import InputError


def outcome(reader, path: Path, how: str):
    """("ok", observation dicts, stats dict) of ``reader.read`` (``how`` "read") or of its stream, or ("refused",
    message) when it raises InputError."""
    try:
        if how == "read":
            result = reader.read(path)
            return "ok", [o.to_dict() for o in result.observations], result.stats.to_dict()
        stream = reader.stream(path)
    except InputError as exc:
        return "refused", str(exc)
    return "ok", [o.to_dict() for o in stream], stream.stats.to_dict()
