"""Hostile inputs for the fuzz tests: seeds (real samples and fixtures) and the mutations applied to them.

A fuzz input is ``(seed index, [operation, ...], compression)``; every operation is a tuple ``(name, a, b)``
of two integers that :func:`mutate` maps onto the content deterministically, so hypothesis draws and shrinks
plain integers and a failing example prints as a short, replayable description.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from netvet.model import InputError, ReadStats
from tests.conftest import FIXTURES, SHARED_DATA, shared_file

# ---------------------------------------------------------------------------------------------- budget
LONG = os.environ.get("NETVET_FUZZ_LONG", "").strip().lower() in ("1", "true", "yes")
LONG_EXAMPLES = int(os.environ.get("NETVET_FUZZ_EXAMPLES", "10000"))
SEED_BYTES = 16 << 10  # seeds are cut to this many (decompressed) bytes: big samples would only be slow
DEADLINE_MS = 2000  # per input (hypothesis deadline)


def fuzz_settings(examples: int, long: int | None = None) -> settings:
    """``examples`` inputs per test in the default (CI) run, :data:`LONG_EXAMPLES` with NETVET_FUZZ_LONG=1.

    The default run is derandomised (the same inputs every time, so CI is reproducible); the long run draws
    fresh ones (``long`` caps a slow end-to-end test below that). No example database is written."""
    return settings(
        max_examples=(min(long, LONG_EXAMPLES) if long else LONG_EXAMPLES) if LONG else examples,
        deadline=DEADLINE_MS,
        derandomize=not LONG,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                               HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
    )


# ---------------------------------------------------------------------------------------------- seeds
def _decompressed(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw.startswith(b"\x1f\x8b"):
        return gzip.decompress(raw) if len(raw) < 64 << 10 else _head_stream(gzip.open(path, "rb"))
    if raw.startswith(b"BZh"):
        return _head_stream(bz2.open(path, "rb"))
    if raw.startswith(b"\xfd7zXZ\x00"):
        return _head_stream(lzma.open(path, "rb"))
    return raw


def _head_stream(fh) -> bytes:
    with fh:
        try:
            return fh.read(4 * SEED_BYTES)
        except (EOFError, OSError):
            return b""


def _cut_text(data: bytes) -> bytes:
    if len(data) <= SEED_BYTES:
        return data
    cut = data.rfind(b"\n", 0, SEED_BYTES)
    return data[: cut + 1] if cut > 0 else data[:SEED_BYTES]


def _cut_mrt(data: bytes) -> bytes:
    """Whole MRT records, as many as fit in SEED_BYTES (at least the first)."""
    pos = 0
    while pos + 12 <= len(data):
        length = struct.unpack_from(">I", data, pos + 8)[0]
        nxt = pos + 12 + length
        if nxt > len(data) or (nxt > SEED_BYTES and pos > 0):
            break
        pos = nxt
    return data[:pos]


@dataclass(frozen=True)
class Seed:
    name: str
    data: bytes


def load_seeds(shared: list[str] = (), fixtures: list[str] = (), inline: dict[str, bytes] | None = None,
               mrt: bool = False) -> list[Seed]:
    """Seeds from ../shared/data (``shared``, relative paths or directories; missing: skip, or fail under
    CI=true) and tests/fixtures (``fixtures``), decompressed and cut to :data:`SEED_BYTES`."""
    paths: list[Path] = []
    for rel in shared:
        p = shared_file(rel)
        paths += sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p]
    for rel in fixtures:
        p = FIXTURES / rel
        paths += sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p]
    seeds = []
    for p in paths:
        data = _decompressed(p)
        data = _cut_mrt(data) if mrt else _cut_text(data)
        label = str(p.relative_to(SHARED_DATA)) if p.is_relative_to(SHARED_DATA) else str(p.relative_to(FIXTURES))
        seeds.append(Seed(label, data))
    for name, data in (inline or {}).items():
        seeds.append(Seed(name, data))
    assert seeds, "no seeds"
    return seeds


# ---------------------------------------------------------------------------------------------- mutations
OPS = ("flip", "insert", "delete", "truncate", "dup_line", "dup_span", "long_line", "big_int", "deep_json",
       "random", "empty", "whitespace", "nul", "swap_lines", "utf8", "crlf")
U = st.integers(0, 2**32 - 1)
ops_strategy = st.lists(st.tuples(st.sampled_from(OPS), U, U), min_size=0, max_size=4)
compression_strategy = st.sampled_from((None, None, None, None, None, "gzip", "bz2", "xz"))


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


def _big_digits(b: int) -> bytes:
    return (b"1" + b"9" * 4999) if b % 2 else b"-" + b"8" * 5000


def apply_op(data: bytes, op: tuple[str, int, int]) -> bytes:
    name, a, b = op
    n = len(data)
    at = a % (n + 1)
    if name == "flip" and n:
        i = a % n
        return data[:i] + bytes([data[i] ^ (1 + b % 255)]) + data[i + 1:]
    if name == "insert":
        blob = b.to_bytes(4, "big") * (1 + b % 4)
        return data[:at] + blob[: 1 + b % 16] + data[at:]
    if name == "delete" and n:
        return data[:at] + data[at + 1 + b % 64:]
    if name == "truncate":
        return data[:at]
    if name == "dup_line":
        lines = _lines(data)
        i = a % len(lines)
        return b"".join(lines[: i + 1] + [lines[i]] * (1 + b % 3) + lines[i + 1:])
    if name == "dup_span" and n:
        span = data[at: at + 1 + b % 512]
        return data[:at] + span * 2 + data[at + len(span):]
    if name == "long_line":
        return data[:at] + b"A" * (20_000 + b % 200_000) + data[at:]
    if name == "big_int":  # replace the digit run around a position (or insert one) by 5,000 digits
        i = at
        while i > 0 and data[i - 1: i].isdigit():
            i -= 1
        j = at
        while j < n and data[j: j + 1].isdigit():
            j += 1
        return data[:i] + _big_digits(b) + data[j:]
    if name == "deep_json":
        depth = 500 + b % 5000
        opener, closer = (b"[", b"]") if b % 2 else (b'{"a":', b"}")
        return data[:at] + opener * depth + b"1" + closer * depth + data[at:]
    if name == "random":
        r = a
        out = bytearray()
        for _ in range(b % 4096):
            r = (r * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
            out.append(r >> 56)
        return bytes(out)
    if name == "empty":
        return b""
    if name == "whitespace":
        return b" \t\r\n"[a % 4: a % 4 + 1] * (b % 2000) + (b"\n" if b % 3 else b"")
    if name == "nul":
        return data[:at] + b"\x00" * (1 + b % 8) + data[at:]
    if name == "swap_lines":
        lines = _lines(data)
        i, j = a % len(lines), b % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
        return b"".join(lines)
    if name == "utf8":  # invalid UTF-8, a BOM, odd line ends
        blob = (b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3", b"\xed\xa0\x80", b"\r", b"\xe2\x80\xa8")[b % 6]
        return data[:at] + blob + data[at:]
    if name == "crlf":
        return data.replace(b"\n", b"\r\n")
    return data


def mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    for op in ops:
        data = apply_op(data, op)
    return data


def compress(data: bytes, how: str | None) -> bytes:
    if how == "gzip":
        return gzip.compress(data, compresslevel=1, mtime=0)
    if how == "bz2":
        return bz2.compress(data, compresslevel=1)
    if how == "xz":
        return lzma.compress(data, preset=0)
    return data


# ---------------------------------------------------------------------------------------------- checks
class Escaped(AssertionError):
    """An exception other than InputError left a reader."""


def guarded(fn: Callable, *args, **kwargs):
    """Run ``fn``: return its result, or None for a clean refusal (InputError); anything else fails the
    test with the exception chained (hypothesis shrinks and prints the input)."""
    try:
        return fn(*args, **kwargs)
    except InputError:
        return None
    except Exception as exc:
        raise Escaped(f"{type(exc).__name__} escaped: {exc}"[:600]) from exc


def check_counts(stats: ReadStats, observations: int | None = None) -> None:
    """``malformed + skipped <= read``, no negative count and, for a reader that makes one observation per
    record (``observations`` given), ``observations + malformed + skipped == read`` (what ``balanced()`` holds
    once the pipeline has split the observations into attributed and unattributed)."""
    for name in ("read", "malformed", "skipped", "damaged", "attributed", "unattributed"):
        assert getattr(stats, name) >= 0, f"{name} < 0: {stats}"
    assert stats.malformed + stats.skipped <= stats.read, (
        f"malformed {stats.malformed} + skipped {stats.skipped} > read {stats.read}")
    if observations is not None:
        assert observations + stats.malformed + stats.skipped == stats.read, (
            f"observations {observations} + malformed {stats.malformed} + skipped {stats.skipped} "
            f"!= read {stats.read}")


class Target:
    """One file rewritten for every example (hypothesis runs examples one after another)."""

    def __init__(self, folder: Path, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / name

    def write(self, seeds: list[Seed], seed: int, ops, how: str | None) -> Path:
        self.path.write_bytes(compress(mutate(seeds[seed % len(seeds)].data, ops), how))
        return self.path


def timed(fn: Callable, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def skip_unless(cond: bool, why: str) -> None:
    if not cond:
        pytest.skip(why)
