"""Vectorised parsing of IP addresses and small integers from text (NumPy; no Python loop per value).

Text arrives as a *character matrix*: one row per value, one uint8 column per byte, zero-padded on
the right. :func:`iter_char_matrices` makes such matrices (in chunks) from lists, NumPy ``U``/``S``/
object arrays, and Arrow or Polars string columns; :func:`field_matrix` cuts them out of a byte
buffer given start/end offsets (lines of a file, Arrow string buffers).

Accepted syntax is that of Python's ``ipaddress`` module, minus IPv6 zone ids (``%eth0``): dotted
quads without leading zeros, IPv6 with at most one ``::`` and an optional dotted-quad tail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

V4_WIDTH = 15  # "255.255.255.255"
V6_WIDTH = 45  # "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
CHUNK = 1 << 16  # rows per matrix chunk: keeps the temporaries in cache

_HEX = np.full(256, -1, dtype=np.int16)
for _i, _c in enumerate(b"0123456789"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"abcdef"):
    _HEX[_c] = 10 + _i
    _HEX[_c - 32] = 10 + _i
_POW10 = np.array(
    [
        1,
        10,
        100,
        1000,
        10000,
        100000,
        1000000,
        10**7,
        10**8,
        10**9,
        10**10,
        10**11,
        10**12,
        10**13,
        10**14,
        10**15,
        10**16,
        10**17,
        10**18,
        10**19,
    ],
    dtype=np.uint64,
)


# --------------------------------------------------------------------------- matrices
def arrow_rows(rows: np.ndarray):
    """NumPy row numbers as an Arrow int64 array, for ``take``: passed as NumPy, pyarrow converts them
    through its pandas shim, which imports pandas (a third of a second) the first time."""
    import pyarrow as pa

    rows = np.ascontiguousarray(rows, np.int64)
    return pa.Array.from_buffers(pa.int64(), len(rows), [None, pa.py_buffer(rows)])


def field_matrix(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """(matrix, too_long): bytes ``buf[starts[i]:ends[i]]`` as column ``i`` of a ``(width, n)`` matrix.

    ``too_long`` marks fields longer than ``width`` (their column holds only the first ``width`` bytes).
    """
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(ends, dtype=np.int64) - starts
    if len(buf) == 0:
        return np.zeros((width, len(starts)), dtype=np.uint8), lengths > width
    mat = np.zeros((width, len(starts)), dtype=np.uint8)
    last = len(buf) - 1
    for j in range(width):
        inside = lengths > j
        mat[j] = np.where(inside, buf[np.minimum(starts + j, last)], np.uint8(0))
    return mat, lengths > width


def _arrow_chunks(values: Any) -> Iterator[Any] | None:
    try:
        import pyarrow as pa
    except ImportError:
        return None
    if isinstance(values, pa.ChunkedArray):
        return iter(values.chunks)
    if isinstance(values, pa.Array):
        return iter([values])
    return None


def as_arrow(values: Any) -> Any | None:
    """``values`` as a pyarrow (Chunked)Array if it is an Arrow or Polars column, else None."""
    if type(values).__module__.startswith("polars"):
        return values.to_arrow()
    if type(values).__module__.startswith("pyarrow"):
        return values
    return None


def _arrow_string_matrices(chunk: Any, width: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    import pyarrow as pa

    if pa.types.is_string_view(chunk.type) or pa.types.is_binary_view(chunk.type):
        chunk = chunk.cast(pa.large_string())
    if pa.types.is_string(chunk.type) or pa.types.is_binary(chunk.type):
        off_dtype = np.int32
    elif pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type):
        off_dtype = np.int64
    else:
        raise TypeError(f"cannot read IP addresses from an Arrow column of type {chunk.type}")
    n = len(chunk)
    _validity, offsets, data = chunk.buffers()[:3]
    offs = np.frombuffer(
        offsets, dtype=off_dtype, count=n + 1, offset=chunk.offset * np.dtype(off_dtype).itemsize
    )
    buf = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    nulls = chunk.is_null().to_numpy(zero_copy_only=False) if chunk.null_count else None
    for a in range(0, n, CHUNK):
        b = min(a + CHUNK, n)
        mat, bad = field_matrix(buf, offs[a:b], offs[a + 1 : b + 1], width)
        if nulls is not None:
            bad = bad | nulls[a:b]
        yield mat, bad


def iter_char_matrices(values: Any, width: int = V6_WIDTH) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(matrix, bad) chunks of at most :data:`CHUNK` values for the strings in ``values``.

    A matrix has shape ``(width, n)``: row ``j`` holds byte ``j`` of every value, zero-padded. ``bad``
    marks values that cannot be addresses whatever they hold (too long, non-ASCII, null).
    """
    arrow = as_arrow(values)
    if arrow is not None:
        for chunk in _arrow_chunks(arrow) or ():
            yield from _arrow_string_matrices(chunk, width)
        return
    if not isinstance(values, np.ndarray):
        values = list(values)
        for a in range(0, len(values), CHUNK):
            part = values[a : a + CHUNK]
            arr = np.array(part)
            if arr.dtype.kind not in "US" or arr.ndim != 1:
                arr = np.array([v if isinstance(v, str | bytes) else "" for v in part], dtype=f"U{width + 1}")
            yield from iter_char_matrices(arr, width)
        return
    arr = values.reshape(-1)
    if arr.dtype.kind == "O":
        for a in range(0, len(arr), CHUNK):
            yield from iter_char_matrices(list(arr[a : a + CHUNK]), width)
        return
    if arr.dtype.kind not in "US":
        raise TypeError(f"expected strings, got an array of dtype {arr.dtype}")
    unit = 4 if arr.dtype.kind == "U" else 1
    w = arr.dtype.itemsize // unit
    for a in range(0, len(arr), CHUNK):
        part = np.ascontiguousarray(arr[a : a + CHUNK])
        m = len(part)
        if w == 0:
            yield np.zeros((width, m), np.uint8), np.zeros(m, bool)
            continue
        codes = part.view(np.uint32 if unit == 4 else np.uint8).reshape(m, w).T
        bad = (codes > 127).any(axis=0)
        if w > width:
            bad |= (codes[width:] != 0).any(axis=0)
        mat = np.zeros((width, m), np.uint8)
        mat[: min(w, width)] = codes[:width]
        yield mat, bad


# --------------------------------------------------------------------------- integers
def parse_uint_matrix(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ok, value uint64) of values holding 1-19 decimal digits (no sign, no spaces, no leading zero)."""
    w, n = mat.shape
    ok = np.ones(n, bool)
    value = np.zeros(n, np.uint64)
    ndig = np.zeros(n, np.int16)
    ended = np.zeros(n, bool)
    for j in range(w):
        c = mat[j]
        d = c - np.uint8(48)
        isd = d < 10
        pad = c == 0
        ok &= (isd | pad) & ~(ended & ~pad)
        ended |= pad
        ok &= ~(isd & (ndig == 1) & (value == 0))  # leading zero
        value = np.where(isd, value * np.uint64(10) + d, value)
        ndig += isd
    ok &= (ndig >= 1) & (ndig <= 19)
    return ok, np.where(ok, value, np.uint64(0))


# --------------------------------------------------------------------------- IPv4
def parse_v4_matrix(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ok, address uint32) of dotted quads in a ``(width, n)`` character matrix."""
    w, n = mat.shape
    ok = np.ones(n, bool)
    if w > V4_WIDTH:
        ok &= ~(mat[V4_WIDTH:] != 0).any(axis=0)
    value = np.zeros(n, np.uint32)
    cur = np.zeros(n, np.uint32)
    ndig = np.zeros(n, np.uint8)
    ndots = np.zeros(n, np.uint8)
    ended = np.zeros(n, bool)
    for j in range(min(w, V4_WIDTH)):
        c = mat[j]
        d = c - np.uint8(48)
        isd = d < 10
        isdot = c == 46
        pad = c == 0
        ok &= (isd | isdot | pad) & ~(ended & ~pad)
        ended |= pad
        ok &= ~(isd & (ndig == 1) & (cur == 0))  # leading zero
        cur = np.where(isd, np.minimum(cur * np.uint32(10) + d, np.uint32(1000)), cur)
        ndig += isd
        ok &= ~(isdot & ((ndig == 0) | (cur > 255)))
        value = np.where(isdot, (value << np.uint32(8)) | (cur & np.uint32(0xFF)), value)
        cur[isdot] = 0
        ndig[isdot] = 0
        ndots += isdot
    ok &= (ndots == 3) & (ndig > 0) & (cur <= 255)
    value = (value << np.uint32(8)) | (cur & np.uint32(0xFF))
    return ok, np.where(ok, value, np.uint32(0))


# --------------------------------------------------------------------------- IPv6
_V6_CLASS = np.zeros(256, np.uint8)  # 1: hex digit, 2: ':', 3: '.', 4: padding; 0: anything else
_V6_CLASS[list(b"0123456789abcdefABCDEF")] = 1
_V6_CLASS[ord(":")] = 2
_V6_CLASS[ord(".")] = 3
_V6_CLASS[0] = 4


def _token_bounds(sep_rows: np.ndarray, length: np.ndarray, slots: int) -> tuple[np.ndarray, ...]:
    """(count, starts, ends) of tokens split by ``sep_rows`` (an ``(n, width)`` mask, one row per value).

    ``count`` is the separator count per value; ``starts``/``ends`` (``(slots, n)``) bound its first
    ``slots`` tokens (unused slots are empty, at ``length``).
    """
    n, w = sep_rows.shape
    count = sep_rows.sum(axis=1, dtype=np.int64)
    flat = np.flatnonzero(sep_rows)  # row-major: every value's separators, left to right
    pos = np.concatenate((flat - (flat // w) * w, [0]))
    offset = np.concatenate(([0], np.cumsum(count)[:-1]))
    starts = np.empty((slots, n), np.int64)
    ends = np.empty((slots, n), np.int64)
    starts[0] = 0
    for k in range(slots):
        has_end = k < count
        ends[k] = np.where(has_end, pos[np.minimum(offset + k, len(pos) - 1)], length)
        if k + 1 < slots:
            starts[k + 1] = np.where(has_end, ends[k] + 1, length)
    return count, starts, np.maximum(ends, starts)


def parse_v6_matrix(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, hi uint64, lo uint64) of IPv6 addresses in a ``(width, n)`` character matrix.

    The colons cut each address into at most nine tokens; each token (up to four hex digits) is read
    with a few gathers for all addresses at once, then the groups are placed around ``::``.
    """
    w, n = mat.shape
    ok = np.ones(n, bool)
    if w > V6_WIDTH:
        ok &= ~(mat[V6_WIDTH:] != 0).any(axis=0)
        mat = mat[:V6_WIDTH]
        w = V6_WIDTH
    zero64 = np.zeros(n, np.uint64)
    if w < 2 or n == 0:
        return np.zeros(n, bool), zero64, zero64.copy()
    rows = np.ascontiguousarray(mat.T)  # one value per row: gathers within a value stay in cache
    flat = rows.reshape(-1)
    cls = _V6_CLASS[rows]
    pad = cls == 4
    ok &= (cls != 0).all(axis=1) & ~(pad[:, :-1] & ~pad[:, 1:]).any(axis=1)
    length = w - pad.sum(axis=1, dtype=np.int64)
    ncolon, starts, ends = _token_bounds(cls == 2, length, 9)
    ok &= (ncolon >= 2) & (ncolon <= 8)
    ntok = ncolon + 1
    cols = np.arange(n)
    base = cols * w
    # a dotted-quad tail: dots only after the last colon
    last = np.minimum(ncolon, 8)  # index of the last token
    tail_start = starts[last, cols]
    dots = (cls == 3).sum(axis=1)
    tail = dots > 0
    tail_val = np.zeros(n, np.uint32)
    if tail.any():
        t_cols = np.flatnonzero(tail)
        t_pos = tail_start[t_cols][None, :] + np.arange(V4_WIDTH + 1)[:, None]
        t_mat = np.where(t_pos < w, flat[base[t_cols][None, :] + np.minimum(t_pos, w - 1)], 0).astype(np.uint8)
        t_ok, t_val = parse_v4_matrix(t_mat)
        ok[t_cols] &= t_ok & ((t_mat == 46).sum(axis=0) == dots[t_cols])  # every dot is in the tail
        tail_val[t_cols] = t_val
    # hex tokens
    toklen = ends - starts  # (9, n)
    slot = np.arange(9)[:, None]
    in_use = slot < ntok[None, :]
    hexy = in_use & ~(tail[None, :] & (slot == last[None, :]))
    ok &= ~(hexy & (toklen > 4)).any(axis=0)
    empty = in_use & (toklen == 0)
    values = np.zeros((9, n), np.uint32)
    first = base[None, :] + starts
    for d in range(4):
        inside = hexy & (toklen > d)
        c = flat.take(np.minimum(first + d, len(flat) - 1))
        values = np.where(inside, (values << np.uint32(4)) | (_HEX[c].astype(np.uint32) & np.uint32(0xF)), values)
    # '::': one empty token inside; an empty first (last) token only right before (after) it
    middle = empty & (slot > 0) & (slot < (ntok - 1)[None, :])
    n_middle = middle.sum(axis=0)
    dc = np.argmax(middle, axis=0)
    has_dc = n_middle == 1
    ok &= n_middle <= 1
    ok &= ~empty[0] | (has_dc & (dc == 1))
    end_empty = empty[last, cols]
    ok &= ~end_empty | (has_dc & (dc == ntok - 2))
    groups = ntok - empty.sum(axis=0) + tail
    ok &= np.where(has_dc, groups <= 7, (groups == 8) & (n_middle == 0))
    shift = np.where(has_dc, 8 - ntok - tail, 0)
    target = np.where((slot > dc[None, :]) & has_dc[None, :], slot + shift[None, :], slot)
    write = hexy & ~empty & ok[None, :]
    target = np.where(write, np.clip(target, 0, 8), 8)
    out = np.zeros(9 * n, np.uint64)
    for k in range(9):
        out[target[k] * n + cols] = values[k]
    out = out.reshape(9, n)
    out[8] = 0
    t_rows = np.flatnonzero(tail & ok)
    out[6, t_rows] = tail_val[t_rows] >> np.uint32(16)
    out[7, t_rows] = tail_val[t_rows] & np.uint32(0xFFFF)
    hi = (out[0] << np.uint64(48)) | (out[1] << np.uint64(32)) | (out[2] << np.uint64(16)) | out[3]
    lo = (out[4] << np.uint64(48)) | (out[5] << np.uint64(32)) | (out[6] << np.uint64(16)) | out[7]
    return ok, np.where(ok, hi, np.uint64(0)), np.where(ok, lo, np.uint64(0))


def parse_ip_matrix(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(version uint8: 4, 6 or 0 = invalid, hi uint64, lo uint64) of a ``(width, n)`` character matrix.

    An IPv4 address is returned in ``lo``.
    """
    n = mat.shape[1]
    version = np.zeros(n, np.uint8)
    hi = np.zeros(n, np.uint64)
    lo = np.zeros(n, np.uint64)
    is6 = (mat == 58).any(axis=0)
    if not is6.any():
        ok4, v4 = parse_v4_matrix(mat)
        return np.where(ok4, np.uint8(4), np.uint8(0)), hi, v4.astype(np.uint64)
    r4 = np.flatnonzero(~is6)
    if len(r4):
        ok4, v4 = parse_v4_matrix(mat[:, r4])
        version[r4] = np.where(ok4, 4, 0)
        lo[r4] = v4
    r6 = np.flatnonzero(is6)
    ok6, h6, l6 = parse_v6_matrix(mat[:, r6])
    version[r6] = np.where(ok6, 6, 0)
    hi[r6] = h6
    lo[r6] = l6
    return version, hi, lo


def parse_ip_strings(values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(version, hi, lo) for every string in ``values`` (see :func:`parse_ip_matrix`)."""
    versions, his, los = [], [], []
    for mat, bad in iter_char_matrices(values, V6_WIDTH):
        version, hi, lo = parse_ip_matrix(mat)
        version[bad] = 0
        versions.append(version)
        his.append(hi)
        los.append(lo)
    if not versions:
        return np.zeros(0, np.uint8), np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    return np.concatenate(versions), np.concatenate(his), np.concatenate(los)
