"""App inventories exported by mobile-device-management systems, as CSV: Microsoft Intune and Jamf Pro.

Formats ``intune-apps`` and ``jamf-apps``, each recognised by its header row (never by the file name). The module
sorts before ``csv_inventory`` so that these exports, which also carry device columns such as ``Serial Number``,
are never taken for a device inventory.

**Intune** ("Discovered apps" in the admin center, or the Graph export API's reports ``AppInvRawData``,
``AppInvByDevice``, ``DevicesByAppInv`` and ``AppInvAggregate``; columns as Microsoft documents them in "Intune
reports and properties available using Graph API"): ``ApplicationKey``, ``ApplicationName``,
``ApplicationPublisher``, ``ApplicationShortVersion``, ``ApplicationVersion``, ``DeviceId``, ``DeviceName``,
``OSDescription``, ``OSVersion``, ``Platform``, ``UserId``, ``EmailAddress``, ``UserName`` and, in the aggregate
report, ``DeviceCount``. The header must name ``ApplicationName`` and one of the application columns.

**Jamf Pro** (CSV export of an advanced mobile-device or computer search with app display fields; the column names
are Jamf's display-field names): mobile devices ``App Name``, ``App Identifier``, ``App Version``, ``App Short
Version`` with ``Mobile Device Name`` / ``Display Name``, ``Serial Number``, ``Model``; computers ``Application
Title``, ``Application Bundle ID``, ``Application Version`` with ``Computer Name``. The header must name an app
name column (``App Name`` / ``Application Title``) and an identifier or version column.

Header names are compared without case, spaces, hyphens and underscores (``Application Name`` = ``ApplicationName``);
the delimiter is ``,``, ``;`` or tab. One observation per row, kind ``app``, id ``<file>:<line>``: a row is one app on
one device (raw and per-device reports; attributes ``device``, ``device_id``, ``device_serial``, ``device_model``,
``platform``, ``os_version``) or, in Intune's aggregate report, one app with ``device_count``. Evidence:

- an app identifier that is a package / bundle name (``com.tencent.mm``: Jamf's ``App Identifier`` and ``Application
  Bundle ID``; Intune's ``ApplicationName`` when it is one, as Intune reports Android apps) ->
  ``Identifier(PACKAGE, ..., "<format>:...", MODERATE)``, matched by the package-prefix rules;
- Intune's ``ApplicationPublisher`` -> ``Identifier(NAME, ..., "intune:publisher", MODERATE)`` (the name the
  platform reports for the publisher, relayed by Intune).

User columns (``UserId``, ``EmailAddress``, ``UserName``) are personal data that no verdict needs: they are not
copied into observations. Counts, in rows: every non-blank line after the header that starts a record (and unreadable
lines), ``read = attributed + unattributed + malformed + skipped``; a row with the wrong number of cells, an
unterminated quoted field, no app name, or a line that is not UTF-8 or longer than ``max_line_bytes`` is malformed
with its line number; a row repeating an earlier one exactly is skipped with a warning. The file is streamed.
"""

from __future__ import annotations

import csv
import lzma
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, ClassVar

from ..model import Identifier, IdKind, InputError, Observation, ReadStats, SourceRef, Strength
from .base import TEXT_HEAD, Progress, Reader, ReadResult, limits, open_input, refuse_binary, register

DELIMITERS = (",", ";", "\t")
_PACKAGE_LIKE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)+")
_EMPTY = {"", "-", "n/a", "na", "none", "null", "unknown", "?"}
_PERSONAL = {"userid", "emailaddress", "username", "upn", "useremail", "userprincipalname", "fullname",
             "emailaddresses", "realname", "username_loc"}


def norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def _cells(line: str, delim: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delim, strict=True))
    except (csv.Error, StopIteration):
        return []


def _header(line: str, score) -> tuple[str, list[str]]:
    best = (",", [])
    best_score = -1
    for d in DELIMITERS:
        cells = _cells(line, d)
        s = score([norm(c) for c in cells])
        if s > best_score:
            best, best_score = (d, cells), s
    return best


def _first_line(head: bytes) -> str | None:
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    for line in text.splitlines():
        if line.strip():
            return line
    return None


class _Lines:
    """Decoded lines of a text input with their numbers; bad lines are counted as malformed rows and left out."""

    def __init__(self, fh: IO[bytes], file: str, stats: ReadStats, what: str) -> None:
        self.fh = fh
        self.file = file
        self.stats = stats
        self.what = what
        self.line = 0
        self.head = b""
        self.max_line = limits().max_line_bytes

    def __iter__(self) -> Iterator[str]:
        while True:
            try:
                raw = self.fh.readline(self.max_line + 1)
                too_long = len(raw) > self.max_line and not raw.endswith(b"\n")
                if len(self.head) < TEXT_HEAD:
                    self.head += raw[:TEXT_HEAD - len(self.head)]
                    refuse_binary(self.file, self.head, self.what)
                while too_long:
                    rest = self.fh.readline(self.max_line)
                    if not rest or rest.endswith(b"\n"):
                        break
            except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
                self.stats.read += 1
                self.stats.problem(f"cannot decompress the rest of the file: {exc}", line=self.line + 1)
                return
            if not raw:
                return
            self.line += 1
            if too_long:
                self.stats.read += 1
                self.stats.problem(f"line longer than {self.max_line} bytes (limit max_line_bytes)", line=self.line)
                continue
            if self.line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.stats.read += 1
                self.stats.problem(f"not valid UTF-8 (byte {exc.start + 1} of the line)", line=self.line)


class _AppCsvReader(Reader):
    """Shared reading of the MDM CSV exports; subclasses name their columns and how a row becomes evidence."""

    what: ClassVar[str] = ""
    prefix: ClassVar[str] = ""  # identifier field prefix ("intune", "jamf")

    @classmethod
    def score(cls, header: list[str]) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def sniff(self, path: Path, head: bytes) -> bool:
        line = _first_line(head)
        if line is None:
            return False
        _, cells = _header(line, self.score)
        return self.score([norm(c) for c in cells]) > 0

    def row(self, values: dict[str, str], obs: Observation, stats: ReadStats, lineno: int) -> bool:
        raise NotImplementedError  # pragma: no cover

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        path = Path(path)
        file = str(path)
        stats = ReadStats(file=file, format=self.format, unit="row")
        observations: list[Observation] = []
        seen: dict[tuple, int] = {}
        total = os.path.getsize(path) if path.is_file() else 0
        with open_input(path) as fh:
            lines = _Lines(fh, file, stats, self.what)
            it = iter(lines)
            header_text = next((t for t in it if t.strip()), None)
            if header_text is None:
                raise InputError(file, f"empty {self.what}: no header row")
            delim, cells = _header(header_text.rstrip("\r\n"), self.score)
            header = [norm(c) for c in cells]
            if self.score(header) <= 0:
                raise InputError(file, f"no {self.what} header (see docs/apps.md for the columns)", line=lines.line)
            reader = csv.reader(it, delimiter=delim, strict=True)
            while True:
                start = lines.line + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    stats.read += 1
                    stats.problem(f"CSV syntax error: {exc}", line=start)
                    continue
                if not any(c.strip() for c in cells):
                    continue
                stats.read += 1
                if len(cells) != len(header):
                    stats.problem(f"{len(cells)} cells where the header has {len(header)}", line=start)
                    continue
                values = {}
                for h, c in zip(header, cells, strict=True):
                    c = c.strip()
                    if h in _PERSONAL or c.lower() in _EMPTY:
                        continue
                    values[h] = c
                key = tuple(sorted(values.items()))
                if key in seen:
                    stats.skipped += 1
                    stats.warn(f"row repeats line {seen[key]}; skipped", line=start)
                    continue
                seen[key] = start
                obs = Observation(id=f"{path.name}:{start}", kind="app", source=SourceRef(file=file, line=start))
                if self.row(values, obs, stats, start):
                    observations.append(obs)
                if progress and stats.read % 4096 == 0:
                    progress(min(getattr(fh, "tell", lambda: 0)(), total), total)
        if progress:
            progress(total, total)
        if not observations and not stats.malformed:
            stats.warn("no app rows: no app observation")
        return ReadResult(observations, stats)

    def _package(self, obs: Observation, value: str | None, field: str) -> None:
        if value and _PACKAGE_LIKE.fullmatch(value) and len(value) <= 255:
            obs.attributes["package"] = value
            obs.identifiers.append(Identifier(IdKind.PACKAGE, value, f"{self.prefix}:{field}", Strength.MODERATE))


INTUNE_APP = {"applicationkey", "applicationpublisher", "applicationshortversion", "applicationversion",
              "devicecount"}


@register
class IntuneAppsReader(_AppCsvReader):
    format = "intune-apps"
    priority = 40  # a CSV with Intune's columns: before the generic CSV inventory
    description = "Microsoft Intune discovered-apps / app-inventory CSV export (AppInvRawData, AppInvAggregate ...)"
    what = "Intune app inventory CSV"
    prefix = "intune"

    @classmethod
    def score(cls, header: list[str]) -> int:
        if "applicationname" not in header:
            return 0
        return sum(1 for h in header if h in INTUNE_APP)

    def row(self, v: dict[str, str], obs: Observation, stats: ReadStats, lineno: int) -> bool:
        name = v.get("applicationname")
        if not name:
            stats.problem("no ApplicationName", line=lineno)
            return False
        a = obs.attributes
        a["app_name"] = name
        for src, dst in (("applicationversion", "version_name"), ("applicationshortversion", "short_version"),
                         ("applicationpublisher", "publisher"), ("applicationkey", "application_key"),
                         ("platform", "platform"), ("devicename", "device"), ("deviceid", "device_id"),
                         ("osversion", "os_version"), ("osdescription", "os_description"),
                         ("devicecount", "device_count")):
            if v.get(src):
                a[dst] = v[src]
        platform = a.get("platform", "").lower()
        if not platform or "android" in platform or platform in ("ios", "ipados"):
            self._package(obs, name, "application-name")  # Intune names Android apps by their package
        if v.get("applicationpublisher"):
            obs.identifiers.append(Identifier(IdKind.NAME, v["applicationpublisher"], "intune:publisher",
                                              Strength.MODERATE))
        if "device_count" in a and not a["device_count"].isdigit():
            stats.warn(f"DeviceCount {a['device_count'][:20]!r} is not a number", line=lineno)
        return True


JAMF_NAME = ("appname", "applicationtitle")
JAMF_OTHER = {"appidentifier", "applicationbundleid", "appversion", "appshortversion", "applicationversion"}


@register
class JamfAppsReader(_AppCsvReader):
    format = "jamf-apps"
    priority = 40  # a CSV with Jamf's columns: before the generic CSV inventory
    description = "Jamf Pro advanced-search CSV export with app fields (App Name / Application Title, identifiers)"
    what = "Jamf Pro app inventory CSV"
    prefix = "jamf"

    @classmethod
    def score(cls, header: list[str]) -> int:
        if "applicationname" in header or not any(h in JAMF_NAME for h in header):
            return 0
        return sum(1 for h in header if h in JAMF_OTHER)

    def row(self, v: dict[str, str], obs: Observation, stats: ReadStats, lineno: int) -> bool:
        name = v.get("appname") or v.get("applicationtitle")
        ident = v.get("appidentifier") or v.get("applicationbundleid")
        if not name and not ident:
            stats.problem("neither an app name nor an app identifier", line=lineno)
            return False
        a = obs.attributes
        if name:
            a["app_name"] = name
        for src, dst in (("appversion", "version_name"), ("applicationversion", "version_name"),
                         ("appshortversion", "short_version"), ("mobiledevicename", "device"),
                         ("displayname", "device"), ("computername", "device"), ("devicename", "device"),
                         ("serialnumber", "device_serial"), ("model", "device_model"), ("udid", "device_id"),
                         ("osversion", "os_version"), ("operatingsystemversion", "os_version")):
            if v.get(src) and dst not in a:
                a[dst] = v[src]
        if "computername" in v or "applicationtitle" in v:
            a["platform"] = "macOS"
        elif "mobiledevicename" in v or "appname" in v:
            a["platform"] = "iOS"
        if ident:
            a["bundle_id"] = ident
            if _PACKAGE_LIKE.fullmatch(ident):
                self._package(obs, ident, "app-identifier")
            else:
                stats.warn(f"app identifier {ident[:60]!r} is not a bundle identifier; kept as an attribute",
                           line=lineno)
        return True
