"""Endpoint classes: *internal* (RFC 1918, CGNAT 100.64/10, loopback, link-local, IPv6 ULA fc00::/7 and
site-local fec0::/10, plus any prefixes the user declares), *special* (unspecified, multicast, broadcast and the
reserved 240/4 — neither a host nor a remote party) and *external*, by table lookup over the 128-bit address pairs
of :mod:`netvet.readers.flowlogs.addresses`. NAT64 addresses (64:ff9b::/96, RFC 6052) are looked up as the IPv4
address they embed (:func:`unmap_nat64`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..readers.flowlogs.addresses import MAPPED, parse_range

_LOW32 = np.uint64(0xFFFFFFFF)
_U64 = np.uint64
_NAT64_HI = np.uint64(0x0064FF9B00000000)

EXTERNAL = np.uint8(0)
INTERNAL = np.uint8(1)
SPECIAL = np.uint8(2)

# (network, length) of the built-in internal and special ranges
INTERNAL_V4 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16")
SPECIAL_V4 = ("0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4")
INTERNAL_V6 = ("fc00::/7", "fe80::/10", "fec0::/10", "::1/128")
SPECIAL_V6 = ("::/128", "ff00::/8")


def _in_ranges(hi: np.ndarray, lo: np.ndarray, ranges: Sequence[tuple[int, int, int]]) -> np.ndarray:
    out = np.zeros(len(hi), bool)
    for rhi, rlo, length in ranges:
        if length <= 64:
            mask = _U64(((1 << 64) - 1) ^ ((1 << (64 - length)) - 1)) if length else _U64(0)
            out |= (hi & mask) == _U64(rhi)
        else:
            mask = _U64(((1 << 64) - 1) ^ ((1 << (128 - length)) - 1))
            out |= (hi == _U64(rhi)) & ((lo & mask) == _U64(rlo))
    return out


_BUILTIN_INTERNAL = [parse_range(p) for p in INTERNAL_V4 + INTERNAL_V6]
_BUILTIN_SPECIAL = [parse_range(p) for p in SPECIAL_V4 + SPECIAL_V6]


def unmap_nat64(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NAT64 well-known-prefix addresses (64:ff9b::/96) replaced by the IPv4 address they carry."""
    if not (hi == _NAT64_HI).any():
        return hi, lo
    nat = (hi == _NAT64_HI) & ((lo >> _U64(32)) == 0)
    return np.where(nat, _U64(0), hi), np.where(nat, (lo & _LOW32) | MAPPED, lo)


@dataclass
class AddressClasses:
    """EXTERNAL / INTERNAL / SPECIAL per address, by table lookup.

    Every built-in range is /16 or shorter (IPv4) or /16 or shorter in its top 64 bits (IPv6), except
    ``::`` and ``::1``, which are checked directly; one 131,072-entry table indexed by the top 16 bits of
    the IPv4 address or of the IPv6 address answers the rest. User ranges longer than /16 go through a
    small prefix index.
    """

    table: np.ndarray  # uint8[131072]: IPv4 /16s, then IPv6 top-16-bit blocks
    fine: Any = None  # PrefixIndex of longer user ranges (origin = class), or None

    @classmethod
    def build(cls, internal: Sequence[tuple[int, int, int]] = ()) -> AddressClasses:
        table = np.zeros(1 << 17, np.uint8)
        fine = []
        layers = [(r, INTERNAL) for r in _BUILTIN_INTERNAL] + [(r, INTERNAL) for r in internal] \
            + [(r, SPECIAL) for r in _BUILTIN_SPECIAL]
        for (hi, lo, length), value in sorted(layers, key=lambda t: t[0][2]):  # shorter first
            v4 = hi == 0 and (lo >> 32) == 0xFFFF and length >= 96
            bits = length - 96 if v4 else length
            if v4 and bits <= 16:
                start = ((lo >> 16) & 0xFFFF) & ~((1 << (16 - bits)) - 1)
                table[start:start + (1 << (16 - bits))] = value
            elif not v4 and bits <= 16:
                start = (hi >> 48) & ~((1 << (16 - bits)) - 1)
                table[(1 << 16) + start:(1 << 16) + start + (1 << (16 - bits))] = value
            elif (hi, lo, length) not in _BUILTIN_SPECIAL + _BUILTIN_INTERNAL:
                fine.append(((hi, lo, length), int(value)))
        index = None
        if fine:
            from ..attribution.prefix_index import PrefixIndex

            pairs = []
            for (hi, lo, length), value in fine:
                value128 = (hi << 64) | lo
                if hi == 0 and (lo >> 32) == 0xFFFF and length >= 96:
                    pairs.append(((4, value128 & 0xFFFFFFFF, length - 96), value))
                else:
                    pairs.append(((6, value128, length), value))
            index = PrefixIndex.from_pairs(pairs, source="internal-ranges")
        return cls(table, index)

    def classify(self, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        # an address with a zero top half is IPv4-mapped (or the deprecated IPv4-compatible form, classed
        # alike); :: and ::1 are the exceptions, fixed below
        zero = hi == 0
        top = (hi >> _U64(48)).astype(np.uint32)
        top |= np.uint32(1 << 16)
        idx = np.where(zero, (lo >> _U64(16)).astype(np.uint16).astype(np.uint32), top)
        out = self.table.take(idx)
        tiny = lo <= 1
        if tiny.any():
            r = np.flatnonzero(zero & tiny)
            out[r] = np.where(lo[r] == 0, SPECIAL, INTERNAL)
        if self.fine is not None:
            from .cloud import _lookup_mixed

            value, _sid, plen = _lookup_mixed(self.fine, hi, lo, self._value_of_set())
            hit = value > 0
            out[hit] = value[hit].astype(np.uint8)
            out[hit & self._special_mask(hi, lo)] = SPECIAL
        return out

    def _value_of_set(self) -> np.ndarray:
        return np.array([s[0] if s else 0 for s in self.fine.origin_sets], np.int64)

    @staticmethod
    def _special_mask(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        return _in_ranges(hi, lo, _BUILTIN_SPECIAL)

