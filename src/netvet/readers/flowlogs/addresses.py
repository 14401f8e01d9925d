"""IP addresses of flow endpoints as 128-bit integers in two uint64 arrays, parsed vectorised.

Every address is held as ``(hi, lo)``: the top and bottom 64 bits of its IPv6 form, an IPv4 address
being IPv4-mapped (``::ffff:a.b.c.d``), so one pair of arrays holds both families and an address has
one representation whatever column type it came from. Columns are read from

* strings (Arrow/Polars/NumPy/lists): dotted quads are parsed by a fast path written for them (byte
  gathers over the Arrow buffer); anything else (IPv6) by :func:`netvet.util.ipvec.parse_ip_strings`;
* unsigned 32-bit integers (IPv4);
* 16-byte binaries (IPv6 or IPv4-mapped, network byte order) and 4-byte binaries (IPv4).

Sorting addresses into internal, special and external is attribution: ``netvet.flows.classes``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

import numpy as np

from ...util import ipvec

MAPPED = np.uint64(0xFFFF00000000)  # lo of ::ffff:0.0.0.0
_U64 = np.uint64

# --------------------------------------------------------------------------- conversions
def is_v4(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """True where the address is IPv4 (IPv4-mapped)."""
    return (hi == 0) & ((lo >> _U64(32)) == _U64(0xFFFF))


def from_v4(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo) of IPv4 addresses given as integers."""
    v = np.asarray(values).astype(np.uint64, copy=False)
    return np.zeros(len(v), np.uint64), v | MAPPED


def pack(version: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, hi, lo) from ipvec's (version, hi, lo): IPv4 becomes IPv4-mapped; version 0 is not ok."""
    ok = version != 0
    v4 = version == 4
    hi = np.where(v4, _U64(0), hi)
    lo = np.where(v4, lo | MAPPED, lo)
    return ok, hi, lo


def _v4_fast(offsets: np.ndarray, buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ok, value uint64) of dotted quads stored as Arrow strings (``offsets``: n + 1 positions in ``buf``).

    A value is ok when it has 7-15 characters, exactly three dots, only digits otherwise, octets of
    1-3 digits without leading zeros and at most 255 (the syntax Python's ``ipaddress`` accepts).
    """
    n = len(offsets) - 1
    start = offsets[:-1].astype(np.int64)
    end = offsets[1:].astype(np.int64)
    length = end - start
    ok = (length >= 7) & (length <= 15)
    if len(buf) == 0 or not ok.any():
        return np.zeros(n, bool), np.zeros(n, np.uint64)
    isdot = buf == 46
    dotpos = np.flatnonzero(isdot)
    badpos = np.flatnonzero((buf < 46) | (buf > 57) | (buf == 47))  # neither a digit nor a dot
    first = np.searchsorted(dotpos, start)
    ok &= (np.searchsorted(dotpos, end) - first) == 3
    if len(badpos):
        ok &= np.searchsorted(badpos, end) == np.searchsorted(badpos, start)
    last = max(len(dotpos) - 1, 0)
    pad = np.concatenate((dotpos, [0])) if len(dotpos) else np.zeros(1, np.int64)
    d1 = pad[np.minimum(first, last)]
    d2 = pad[np.minimum(first + 1, last)]
    d3 = pad[np.minimum(first + 2, last)]
    value = np.zeros(n, np.uint64)
    top = len(buf) - 1
    for s, e in ((start, d1), (d1 + 1, d2), (d2 + 1, d3), (d3 + 1, end)):
        seg = e - s
        ok &= (seg >= 1) & (seg <= 3)
        octet = np.zeros(n, np.int64)
        lead = buf[np.clip(s, 0, top)].astype(np.int64) - 48
        for k in range(3):
            d = lead if k == 0 else buf[np.clip(s + k, 0, top)].astype(np.int64) - 48
            octet = np.where(seg > k, octet * 10 + d, octet)
        ok &= ~((seg > 1) & (lead == 0))  # leading zero
        ok &= octet <= 255
        value = (value << _U64(8)) | np.clip(octet, 0, 255).astype(np.uint64)
    return ok, np.where(ok, value, _U64(0))


def _string_chunks(values: Any):
    """(offsets, buf, nulls) of every Arrow chunk of a string column (Polars/Arrow/NumPy/list)."""
    import pyarrow as pa

    arr = ipvec.as_arrow(values)
    if arr is None:
        arr = pa.array(values if not isinstance(values, np.ndarray) else values.tolist(), type=pa.large_string())
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for chunk in chunks:
        if not (pa.types.is_large_string(chunk.type) or pa.types.is_string(chunk.type)):
            chunk = chunk.cast(pa.large_string())
        n = len(chunk)
        off_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        _validity, offsets, data = chunk.buffers()[:3]
        offs = np.frombuffer(offsets, dtype=off_type, count=n + 1, offset=chunk.offset * np.dtype(off_type).itemsize)
        buf = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
        nulls = chunk.is_null().to_numpy(zero_copy_only=False) if chunk.null_count else np.zeros(n, bool)
        yield chunk, offs.astype(np.int64), buf, nulls


DEDUP_MIN = 4096  # columns at least this long are dictionary-encoded first: each distinct text is parsed once


def _parse_chunk(chunk, offs: np.ndarray, buf: np.ndarray, nulls: np.ndarray):
    ok, v4 = _v4_fast(offs, buf)
    ok &= ~nulls
    hi = np.zeros(len(ok), np.uint64)
    lo = v4 | MAPPED
    rest = np.flatnonzero(~ok & ~nulls)
    if len(rest):
        version, h, low = ipvec.parse_ip_strings(chunk.take(ipvec.arrow_rows(rest)))
        ok_r, h, low = pack(version, h, low)
        ok[rest] = ok_r
        hi[rest] = h
        lo[rest] = low
    return ok, hi, np.where(ok, lo, _U64(0))


def from_strings(values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, hi, lo) of address strings; IPv4 by the fast path, the rest (IPv6) through ``ipvec``.

    Long columns are dictionary-encoded first (Arrow's hash), so each distinct address is parsed once.
    """
    import pyarrow as pa

    arr = ipvec.as_arrow(values)
    if arr is None:
        arr = pa.array(values if not isinstance(values, np.ndarray) else values.tolist(), type=pa.large_string())
    if len(arr) >= DEDUP_MIN:
        if not isinstance(arr, pa.ChunkedArray):
            arr = pa.chunked_array([arr])
        return _from_dictionary(arr.dictionary_encode())
    return from_distinct_strings(arr)


def from_distinct_strings(arr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, hi, lo) of address strings parsed as they are (a dictionary's distinct values, or a short column)."""
    oks, his, los = [], [], []
    for chunk, offs, buf, nulls in _string_chunks(arr):
        ok, hi, lo = _parse_chunk(chunk, offs, buf, nulls)
        oks.append(ok)
        his.append(hi)
        los.append(lo)
    if not oks:
        return np.zeros(0, bool), np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    return np.concatenate(oks), np.concatenate(his), np.concatenate(los)


def from_binary(values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, hi, lo) of a binary column holding 16-byte (IPv6) or 4-byte (IPv4) addresses, network order."""
    import pyarrow as pa

    arr = ipvec.as_arrow(values)
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    oks, his, los = [], [], []
    for chunk in chunks:
        n = len(chunk)
        nulls = chunk.is_null().to_numpy(zero_copy_only=False) if chunk.null_count else np.zeros(n, bool)
        if pa.types.is_fixed_size_binary(chunk.type) and chunk.type.byte_width in (4, 16):
            width = chunk.type.byte_width
            data = np.frombuffer(chunk.buffers()[1], dtype=np.uint8)[chunk.offset * width:(chunk.offset + n) * width]
            ok = ~nulls
        else:
            if not (pa.types.is_large_binary(chunk.type)):
                chunk = chunk.cast(pa.large_binary())
            offs = np.frombuffer(chunk.buffers()[1], dtype=np.int64, count=n + 1, offset=chunk.offset * 8)
            lengths = np.diff(offs)
            buf = np.frombuffer(chunk.buffers()[2], dtype=np.uint8) if chunk.buffers()[2] is not None \
                else np.zeros(0, np.uint8)
            if n and not nulls.any() and (lengths == 16).all():  # the usual case: contiguous 16-byte values
                width, ok = 16, np.ones(n, bool)
                data = buf[offs[0]:offs[0] + 16 * n]
            else:  # 4-byte (IPv4) and 16-byte (IPv6) values mixed, as exporters write them
                ok6 = ~nulls & (lengths == 16)
                ok4 = ~nulls & (lengths == 4)
                top = max(len(buf) - 1, 0)
                idx = np.clip(offs[:-1, None] + np.arange(16), 0, top)
                raw = buf[idx] if len(buf) else np.zeros((n, 16), np.uint8)
                words = np.ascontiguousarray(raw).view(">u8").reshape(n, 2).astype(np.uint64)
                v4 = np.ascontiguousarray(raw[:, :4]).view(">u4").reshape(n).astype(np.uint64)
                hi = np.where(ok6, words[:, 0], _U64(0))
                lo = np.where(ok6, words[:, 1], np.where(ok4, v4 | MAPPED, _U64(0)))
                oks.append(ok6 | ok4)
                his.append(hi)
                los.append(lo)
                continue
        if width == 16:
            words = data.reshape(n, 2, 8).view(">u8").reshape(n, 2)
            hi = words[:, 0].astype(np.uint64)
            lo = words[:, 1].astype(np.uint64)
        else:
            v4 = data.reshape(n, 4).view(">u4").reshape(n).astype(np.uint64)
            hi, lo = np.zeros(n, np.uint64), v4 | MAPPED
        oks.append(ok)
        if ok.all():
            his.append(hi)
            los.append(lo)
        else:
            his.append(np.where(ok, hi, _U64(0)))
            los.append(np.where(ok, lo, _U64(0)))
    if not oks:
        return np.zeros(0, bool), np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    if len(oks) == 1:
        return oks[0], his[0], los[0]
    return np.concatenate(oks), np.concatenate(his), np.concatenate(los)


def from_column(values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, hi, lo) of any supported address column: strings, IPv4 integers or binaries."""
    import pyarrow as pa

    arr = ipvec.as_arrow(values)
    if arr is None:
        arr = pa.array(values)
    t = arr.type
    if pa.types.is_integer(t):
        a = arr.to_numpy(zero_copy_only=False) if not arr.null_count else \
            arr.fill_null(0).to_numpy(zero_copy_only=False)
        nulls = arr.is_null().to_numpy(zero_copy_only=False) if arr.null_count else np.zeros(len(arr), bool)
        a64 = a.astype(np.int64)
        ok = ~nulls & (a64 >= 0) & (a64 <= 0xFFFFFFFF)
        hi, lo = from_v4(np.where(ok, a64, 0).astype(np.uint64))
        return ok, hi, np.where(ok, lo, _U64(0))
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t) \
            or pa.types.is_binary_view(t):
        return from_binary(arr)
    if pa.types.is_dictionary(t):
        return _from_dictionary(arr)
    return from_strings(arr)


def _from_dictionary(arr: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A dictionary-encoded column: each distinct value is parsed once, then gathered by the indices."""
    import pyarrow as pa

    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    oks, his, los = [], [], []
    for chunk in chunks:
        d_ok, d_hi, d_lo = from_column(chunk.dictionary) if len(chunk.dictionary) < DEDUP_MIN or not (
            pa.types.is_string(chunk.dictionary.type) or pa.types.is_large_string(chunk.dictionary.type)) \
            else from_distinct_strings(chunk.dictionary)
        idx = chunk.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        nulls = chunk.is_null().to_numpy(zero_copy_only=False) if chunk.null_count else np.zeros(len(chunk), bool)
        if len(d_ok) == 0:
            d_ok, d_hi, d_lo = np.zeros(1, bool), np.zeros(1, np.uint64), np.zeros(1, np.uint64)
        ok = d_ok[idx] & ~nulls
        oks.append(ok)
        his.append(np.where(ok, d_hi[idx], _U64(0)))
        los.append(np.where(ok, d_lo[idx], _U64(0)))
    if not oks:
        return np.zeros(0, bool), np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    return np.concatenate(oks), np.concatenate(his), np.concatenate(los)


def to_text(hi: Iterable[int], lo: Iterable[int]) -> list[str]:
    """Addresses as text (for the few values a report shows; not vectorised)."""
    out = []
    for h, low in zip(hi, lo, strict=True):
        h, low = int(h), int(low)
        if h == 0 and (low >> 32) == 0xFFFF:
            out.append(str(ipaddress.IPv4Address(low & 0xFFFFFFFF)))
        else:
            out.append(str(ipaddress.IPv6Address((h << 64) | low)))
    return out


# --------------------------------------------------------------------------- ranges
def parse_range(text: str) -> tuple[int, int, int]:
    """(hi, lo, length) of a prefix, IPv4 prefixes mapped (length + 96). Raises ValueError."""
    net = ipaddress.ip_network(text.strip(), strict=False)
    value = int(net.network_address)
    length = net.prefixlen
    if net.version == 4:
        value |= 0xFFFF00000000
        length += 96
    return value >> 64, value & ((1 << 64) - 1), length
