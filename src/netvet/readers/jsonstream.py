"""Streamed JSON for the readers: events from ``ijson`` (its C backend), values built with a depth limit.

A document is never held whole: readers walk the event stream and build only the small values they
need (one component, one traceroute result), so memory does not grow with the file. Limits:

- nesting deeper than ``Limits.max_json_depth`` (arrays and objects, the document itself is level 1)
  raises :class:`JsonDepthError` after the offending value has been read past (so reading can go on);
- an integer outside 64 bits or a float outside the double range is a parse error (``ijson`` is run
  with ``use_float=True``: it refuses such numbers cleanly instead of handing Python a 5,000-digit
  integer to convert);
- every other syntax error is a :class:`JsonSyntaxError` with the byte offset of the parser's input
  buffer it occurred in (``offset``: the start of that 64 KiB buffer; the exact place needs the whole
  file, see :func:`exact_error`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

import ijson

from .base import limits

BUFFER = 1 << 16
EXACT_ERROR_MAX = 8 << 20  # files up to this size are re-parsed by ``json`` for an exact line and column

Event = tuple[str, Any]
_DEPTH = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}


class JsonSyntaxError(Exception):
    def __init__(self, reason: str, offset: int, after_document: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset
        self.after_document = after_document  # the top-level value was complete (trailing data)


class JsonDepthError(Exception):
    def __init__(self, depth: int) -> None:
        super().__init__(f"nested deeper than {depth} levels (limit max_json_depth)")
        self.reason = str(self)


class _Counting:
    """The byte stream ``ijson`` reads, counting what it handed over."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.consumed = 0
        self.last = 0  # offset where the last buffer handed over starts

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.last = self.consumed
        self.consumed += len(data)
        return data


def _reason(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, bytes | bytearray):  # pragma: no cover - defensive
        text = exc.decode("utf-8", "replace")
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:]
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    first = first.replace("parse error: ", "").replace("lexical error: ", "").strip()
    if first == "integer overflow":
        first = "integer overflow (a number outside the 64-bit range)"
    return first


class Events:
    """``(event, value)`` pairs of one JSON text (``multiple=True``: of several, e.g. JSON Lines)."""

    def __init__(self, fh: IO[bytes], multiple: bool = False) -> None:
        self.src = _Counting(fh)
        self._it = ijson.basic_parse(self.src, buf_size=BUFFER, use_float=True, multiple_values=multiple)
        self.depth = 0  # current nesting
        self.max_depth = limits().max_json_depth
        self.documents = 0  # top-level values completed

    @property
    def offset(self) -> int:
        return self.src.last

    def next(self) -> Event | None:
        try:
            ev = next(self._it)
        except StopIteration:
            return None
        except ijson.JSONError as exc:
            raise JsonSyntaxError(_reason(exc), self.src.last, self.depth == 0 and self.documents > 0) from None
        except (SystemError, ValueError, OverflowError) as exc:  # defensive: a value the backend cannot convert
            raise JsonSyntaxError(_reason(exc), self.src.last) from None
        kind = ev[0]
        if kind in ("start_map", "start_array"):
            self.depth += 1
        elif kind in ("end_map", "end_array"):
            self.depth -= 1
            if self.depth == 0:
                self.documents += 1
        elif self.depth == 0:
            self.documents += 1
        return ev

    def expect(self) -> Event:
        ev = self.next()
        if ev is None:
            raise JsonSyntaxError("premature end of the JSON text", self.src.consumed)
        return ev

    def value(self, ev: Event) -> Any:
        """The value that starts with ``ev``, built; deeper than the limit: read past, JsonDepthError."""
        kind, val = ev
        if kind not in ("start_map", "start_array"):
            return val
        if self.depth > self.max_depth:
            self.skip(ev)
            raise JsonDepthError(self.max_depth)
        root: Any = {} if kind == "start_map" else []
        stack: list[Any] = [root]
        keys: list[str | None] = [None]
        while stack:
            kind, val = self.expect()
            top = stack[-1]
            if kind == "map_key":
                keys[-1] = val
                continue
            if kind in ("end_map", "end_array"):
                stack.pop()
                keys.pop()
                continue
            if kind in ("start_map", "start_array"):
                if self.depth > self.max_depth:
                    self.skip((kind, val))
                    self._finish(len(stack))
                    raise JsonDepthError(self.max_depth)
                item: Any = {} if kind == "start_map" else []
            else:
                item = val
            if isinstance(top, dict):
                top[keys[-1]] = item
            else:
                top.append(item)
            if kind in ("start_map", "start_array"):
                stack.append(item)
                keys.append(None)
        return root

    def _finish(self, open_levels: int) -> None:
        """Read past the rest of ``open_levels`` enclosing containers."""
        target = self.depth - open_levels
        while self.depth > target:
            self.expect()

    def skip(self, ev: Event) -> None:
        """Read past the value that starts with ``ev`` without building it: the parser's events are counted in
        one loop (what ``expect`` would do for each, without its per-event cost; the same errors)."""
        if ev[0] not in ("start_map", "start_array"):
            return
        open_levels = 1
        delta = _DEPTH.get
        try:
            for kind, _ in self._it:
                d = delta(kind)
                if d:
                    open_levels += d
                    if not open_levels:
                        break
            else:
                self.depth += open_levels - 1
                raise JsonSyntaxError("premature end of the JSON text", self.src.consumed)
        except ijson.JSONError as exc:
            self.depth += open_levels - 1
            raise JsonSyntaxError(_reason(exc), self.src.last, self.depth == 0 and self.documents > 0) from None
        except (SystemError, ValueError, OverflowError) as exc:  # defensive, as in ``next``
            self.depth += open_levels - 1
            raise JsonSyntaxError(_reason(exc), self.src.last) from None
        self.depth -= 1
        if self.depth == 0:
            self.documents += 1

    def items(self, ev: Event) -> Iterator[tuple[int, Event]]:
        """(index, first event) of each element of the array that starts with ``ev``; the caller must
        consume each element (``value`` / ``skip`` / its own walk) before asking for the next."""
        depth = self.depth
        i = 0
        while True:
            nxt = self.expect()
            if nxt[0] == "end_array" and self.depth == depth - 1:
                return
            yield i, nxt
            i += 1

    def keys(self, ev: Event) -> Iterator[tuple[str, Event]]:
        """(key, first event of its value) of the object that starts with ``ev`` (consume each value)."""
        depth = self.depth
        while True:
            nxt = self.expect()
            if nxt[0] == "end_map" and self.depth == depth - 1:
                return
            key = nxt[1]
            yield key, self.expect()


def exact_error(data: bytes) -> tuple[str, int, int] | None:
    """(message, line, column) of Python's ``json`` for ``data``, or None when it parses or fails otherwise."""
    try:
        json.loads(data)
    except json.JSONDecodeError as exc:
        return exc.msg, exc.lineno, exc.colno
    except (ValueError, RecursionError):
        return None
    return None


def line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
