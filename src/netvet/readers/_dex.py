"""The classes a Dalvik executable (``classes.dex``) defines, read from its header, string, type and class tables.

Only what the APK reader needs: the fully qualified names of the classes the file *defines* (``class_defs``), not
those it merely references, so an SDK counts as embedded only when its code is in the app. Every offset and size is
checked against the file; a damaged file raises :class:`DexError` with the byte offset. Format: the Dalvik
executable format (source.android.com/docs/core/runtime/dex-format), versions 035 to 041.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

HEADER_SIZE = 0x70
MAGICS = tuple(b"dex\n0%d\x00" % v for v in range(35, 42))
MAX_DESCRIPTOR_BYTES = 4096


class DexError(Exception):
    def __init__(self, reason: str, offset: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


def _uleb128(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    for _ in range(5):
        if pos >= len(data):
            raise DexError("string data runs past the end of the file", pos)
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
    raise DexError("bad uleb128 length in the string data", pos)


def is_dex(data: bytes) -> bool:
    return data[:8] in MAGICS


def class_names(data: bytes) -> Iterator[str]:
    """Dotted names of the classes ``data`` (a whole dex file) defines, in file order."""
    if len(data) < HEADER_SIZE or not is_dex(data):
        raise DexError("not a dex file (no 'dex\\n035'..'041' magic)", 0)
    (endian,) = struct.unpack_from("<I", data, 40)
    if endian != 0x12345678:
        raise DexError("byte-swapped dex files are not supported", 40)
    string_ids_size, string_ids_off, type_ids_size, type_ids_off = struct.unpack_from("<IIII", data, 56)
    class_defs_size, class_defs_off = struct.unpack_from("<II", data, 96)
    size = len(data)
    for what, off, count, width in (("string_ids", string_ids_off, string_ids_size, 4),
                                    ("type_ids", type_ids_off, type_ids_size, 4),
                                    ("class_defs", class_defs_off, class_defs_size, 32)):
        if count and (off < HEADER_SIZE or off + count * width > size):
            raise DexError(f"{what} table ({count} entries at offset {off}) lies outside the file", off)

    def string(idx: int) -> str:
        if idx >= string_ids_size:
            raise DexError(f"string index {idx} out of range", None)
        (off,) = struct.unpack_from("<I", data, string_ids_off + 4 * idx)
        _, pos = _uleb128(data, off)
        end = data.find(b"\x00", pos, pos + MAX_DESCRIPTOR_BYTES)
        if end < 0:
            raise DexError("unterminated string in the string data", pos)
        return data[pos:end].decode("utf-8", "replace")  # MUTF-8: class names are ASCII in practice

    for i in range(class_defs_size):
        (type_idx,) = struct.unpack_from("<I", data, class_defs_off + 32 * i)
        if type_idx >= type_ids_size:
            raise DexError(f"class_defs[{i}] names type {type_idx}, past the {type_ids_size} types",
                           class_defs_off + 32 * i)
        (desc_idx,) = struct.unpack_from("<I", data, type_ids_off + 4 * type_idx)
        desc = string(desc_idx)
        if desc.startswith("L") and desc.endswith(";"):
            yield desc[1:-1].replace("/", ".")
