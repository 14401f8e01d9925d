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


def assert_stream_equals_read(reader, path: Path) -> None:
    """The stream of ``path`` is its read (observations, order, counts, issues, or the same refusal), and the counts
    add up: read = observations + malformed + skipped."""
    streamed, read = outcome(reader, path, "stream"), outcome(reader, path, "read")
    assert streamed == read
    if streamed[0] == "ok":
        st = streamed[2]
        assert st["read"] == len(streamed[1]) + st["malformed"] + st["skipped"]
