"""Android package lists: the output of ``adb shell pm list packages`` (format ``android-packages``).

One ``package:<name>`` line per installed package, in any of the forms ``pm list packages`` prints and their
combinations::

    package:com.whatsapp                                        plain
    package:/data/app/~~Xy==/com.whatsapp-Ab==/base.apk=com.whatsapp   -f  (APK path '=' package; the path may
                                                                         itself contain '=')
    package:com.whatsapp  installer=com.android.vending         -i  (installer 'null': none recorded)
    package:com.whatsapp uid:10123                              -U
    package:com.whatsapp versionCode:231015                     --show-versioncode

Blank lines are ignored; CRLF line ends, a UTF-8 byte-order mark and compressed files are accepted. Each package
line becomes one observation of kind ``app`` with id ``<file name>:<line>``, attributes ``package`` and, where
present, ``installer``, ``apk_path``, ``uid`` and ``version_code``, ``preinstalled`` (``-f``: ``true`` for an APK on a
firmware partition, ``/system``, ``/system_ext``, ``/product``, ``/vendor``, ``/odm`` ... ; ``false`` under ``/data``,
which also holds updates of system apps; see :data:`SYSTEM_PARTITIONS`), and the identifier
``Identifier(PACKAGE, <name>, "pm:package", MODERATE)``: a package name is chosen by its developer and only a
store checks it, so it is moderate evidence (see docs/apps.md).

A line that is not a package line (or names an invalid package, or is longer than ``max_line_bytes``, or is
not UTF-8) is malformed and reported with its line number; a package listed again is skipped with a warning;
an unknown ``key=value`` / ``key:value`` field is ignored with a warning. ``stats.read`` counts non-blank lines:
read = observations + malformed + skipped.
"""

from __future__ import annotations

import lzma
import os
import re
import zlib
from pathlib import Path

from ..model import Identifier, IdKind, Observation, ReadStats, SourceRef, Strength
from .base import TEXT_HEAD, Progress, Reader, ReadResult, input_position, limits, open_input, refuse_binary, register

_PKG = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
PACKAGE_RE = re.compile(_PKG)
MAX_PACKAGE_CHARS = 255
# sniffing: a plain, -f, -i, -U or versionCode line
_SNIFF_RE = re.compile(
    rb"^package:(?:/[^\s=]*(?:=[^\s=]*)*=)?" + _PKG.encode() + rb"(?:\s+[A-Za-z]+[=:]\S*)*\s*$")
_FIELDS = {"installer": "installer", "uid": "uid", "versionCode": "version_code"}
PROGRESS_EVERY = 4096
# Read-only partitions of the firmware image: an APK there was shipped by the handset maker (or its carrier);
# /data holds what the user or a store installed, and updates of system apps
SYSTEM_PARTITIONS = ("/system/", "/system_ext/", "/product/", "/vendor/", "/odm/", "/oem/", "/apex/",
                     "/my_product/", "/my_region/", "/my_stock/", "/my_heytap/", "/my_carrier/", "/my_company/",
                     "/my_preload/", "/my_bigball/", "/my_engineering/", "/hw_product/", "/preload/", "/cust/")
USER_PARTITIONS = ("/data/",)


def preinstalled_from_path(apk_path: str) -> bool | None:
    """True for an APK on a firmware partition, False for one under /data, None when the path tells neither."""
    if apk_path.startswith(SYSTEM_PARTITIONS):
        return True
    if apk_path.startswith(USER_PARTITIONS):
        return False
    return None


@register
class AndroidPackagesReader(Reader):
    format = "android-packages"
    description = "Android package list: `adb shell pm list packages` output (plain, -f, -i, -U)"
    extensions = ()

    def sniff(self, path: Path, head: bytes) -> bool:
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        lines = head.split(b"\n")
        if len(head) >= TEXT_HEAD and len(lines) > 1:
            lines = lines[:-1]  # the last line of a full head may be cut short
        seen = 0
        for line in lines:
            line = line.rstrip(b"\r")
            if not line.strip():
                continue
            if not _SNIFF_RE.match(line):
                return False
            seen += 1
            if seen >= 8:
                break
        return seen > 0

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        path = Path(path)
        file = str(path)
        stats = ReadStats(file=file, format=self.format, unit="package")
        observations: list[Observation] = []
        first_line: dict[str, int] = {}
        max_line = limits().max_line_bytes
        total = os.path.getsize(path) if path.is_file() else 0
        with open_input(path) as fh:
            lineno = 0
            head = b""  # the first TEXT_HEAD bytes, for the binary check (offsets count from the file's start)
            while True:
                try:
                    raw = fh.readline(max_line + 1)
                    too_long = len(raw) > max_line and not raw.endswith(b"\n")
                    if len(head) < TEXT_HEAD:
                        head += raw[:TEXT_HEAD - len(head)]
                        refuse_binary(file, head, "pm list packages output")
                    while too_long:  # read past the rest of the line without keeping it
                        rest = fh.readline(max_line)
                        if not rest or rest.endswith(b"\n"):
                            break
                except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
                    stats.problem(f"cannot decompress the rest of the file: {exc}", line=lineno + 1)
                    stats.read += 1
                    break
                if not raw:
                    break
                lineno += 1
                if progress and lineno % PROGRESS_EVERY == 0:
                    progress(min(input_position(fh) or 0, total), total)
                if too_long:
                    stats.read += 1
                    stats.problem(f"line longer than {max_line} bytes (limit max_line_bytes)", line=lineno)
                    continue
                if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                try:
                    text = raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    stats.read += 1
                    stats.problem(f"not valid UTF-8 (byte {exc.start + 1} of the line)", line=lineno)
                    continue
                if not text.strip():
                    continue
                stats.read += 1
                obs = self._parse(path, text, lineno, stats)
                if obs is None:
                    continue
                pkg = obs.attributes["package"]
                if pkg in first_line:
                    stats.skipped += 1
                    stats.warn(f"package {pkg} listed again (first on line {first_line[pkg]}); skipped", line=lineno)
                    continue
                first_line[pkg] = lineno
                observations.append(obs)
        if progress:
            progress(total, total)
        if not observations and not stats.malformed:
            stats.warn("no package lines: no app observation")
        return ReadResult(observations, stats)

    @staticmethod
    def _parse(path: Path, text: str, lineno: int, stats: ReadStats) -> Observation | None:
        line = text.strip()
        if not line.startswith("package:"):
            stats.problem(f"not a 'package:<name>' line: {line[:60]!r}", line=lineno)
            return None
        head, *fields = line[len("package:"):].split() or [""]
        if not head:
            stats.problem("'package:' without a package name", line=lineno)
            return None
        attrs: dict[str, str] = {}
        apk_path = None
        name = head
        if head.startswith("/"):
            apk_path, eq, name = head.rpartition("=")
            if not eq or not apk_path:
                stats.problem(f"APK path without '=<package>': {head[:60]!r}", line=lineno)
                return None
        if len(name) > MAX_PACKAGE_CHARS or not PACKAGE_RE.fullmatch(name):
            stats.problem(f"invalid package name {name[:60]!r}", line=lineno)
            return None
        attrs["package"] = name
        if apk_path:
            attrs["apk_path"] = apk_path
            pre = preinstalled_from_path(apk_path)
            if pre is not None:
                attrs["preinstalled"] = "true" if pre else "false"
        for f in fields:
            m = re.fullmatch(r"([A-Za-z]+)[=:](.*)", f)
            key = _FIELDS.get(m[1]) if m else None
            if key is None:
                stats.warn(f"unknown field {f[:40]!r} ignored", line=lineno)
                continue
            value = m[2]
            if key == "installer" and value in ("", "null"):
                continue
            if key in ("uid", "version_code") and not re.fullmatch(r"[0-9]+(?:,[0-9]+)*", value):
                stats.warn(f"{m[1]} {value[:20]!r} is not a number; ignored", line=lineno)
                continue
            attrs[key] = value
        return Observation(
            id=f"{path.name}:{lineno}",
            kind="app",
            source=SourceRef(file=str(path), line=lineno),
            identifiers=[Identifier(IdKind.PACKAGE, name, "pm:package", Strength.MODERATE)],
            attributes=attrs,
        )
