"""Files netvet writes for its own later use (the compiled reference data in the cache directory): a magic, a
JSON header, a payload whose length and SHA-256 the header records; written atomically (a temporary file beside
it, then ``os.replace``), so concurrent writers never leave half a file. And the record of a source file's
content (path, size, modification time, SHA-256) that tells whether what was built from it is still current.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path

_LEN = struct.Struct("<I")


class FramedFileError(ValueError):
    """A framed file that cannot be used (why, in the message)."""


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_record(path: str | Path) -> dict:
    """What identifies a file's content: its path, size, modification time and SHA-256."""
    st = os.stat(path)
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256_file(path)}


def file_changed(rec: dict, path: str | Path, name: str | None = None) -> str | None:
    """None when ``path`` still is the file ``rec`` describes (same size and time, or else same bytes: a ``touch``
    changes nothing), else why not (``name``: how to call the file, default its path)."""
    name = name or str(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"{name} unreadable ({exc.strerror or exc})"
    if st.st_size == rec.get("size") and st.st_mtime_ns == rec.get("mtime_ns"):
        return None
    if st.st_size != rec.get("size") or sha256_file(path) != rec.get("sha256"):
        return f"{name} changed"
    return None


def write_framed(path: str | Path, magic: bytes, header: dict, payload: bytes) -> None:
    """Write ``magic``, ``header`` (plus the payload's length and SHA-256) and ``payload`` to ``path`` atomically."""
    head = json.dumps({**header, "payload_bytes": len(payload),
                       "payload_sha256": hashlib.sha256(payload).hexdigest()},
                      ensure_ascii=False, default=str).encode()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(magic + _LEN.pack(len(head)) + head + payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_framed(path: str | Path, magic: bytes, what: str) -> tuple[dict, memoryview]:
    """(header, payload) of a framed file; FramedFileError when it is unreadable, not a ``what`` (magic) or its
    header cannot be read. The payload is checked by :func:`check_payload`, after the caller's header checks."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FramedFileError(f"unreadable ({exc.strerror or exc})") from None
    if raw[:len(magic)] != magic:
        raise FramedFileError(f"not a netvet {what} (magic)")
    start = len(magic) + _LEN.size
    if len(raw) < start:
        raise FramedFileError("truncated header")
    (hlen,) = _LEN.unpack_from(raw, len(magic))
    try:
        header = json.loads(raw[start:start + hlen])
    except ValueError as exc:
        raise FramedFileError(f"unreadable header ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise FramedFileError("unreadable header (not an object)")
    return header, memoryview(raw)[start + hlen:]


def check_payload(header: dict, payload: memoryview) -> None:
    """FramedFileError unless ``payload`` has the length and SHA-256 ``header`` recorded."""
    if len(payload) != header.get("payload_bytes") or hashlib.sha256(payload).hexdigest() != header.get(
            "payload_sha256"):
        raise FramedFileError("payload damaged (length or SHA-256)")
