"""Google's Android Management API device records (format ``android-management``), as JSON.

The response of ``enterprises.devices.list`` (``{"devices": [...], "nextPageToken": ...}``), a JSON array of
``Device`` resources, one ``Device`` object, or JSON Lines of either (pages saved one after another). Recognised by
content: a JSON text with the Device resource's fields (``applicationReports``, ``hardwareInfo``, a ``name`` of the
form ``enterprises/.../devices/...``); never by the file name.

Per device, an observation of kind ``handset`` (id ``<file>#<device name>``, pointer ``/devices/<i>``) with the
maker the device reports itself (``hardwareInfo.manufacturer`` and ``brand``: Android's Build.MANUFACTURER and
Build.BRAND, the device's own words) as ``Identifier(NAME, ..., "amapi:manufacturer" | "amapi:brand", STRONG)`` and
attributes ``device``, ``model``, ``brand``, ``manufacturer``, ``serial``, ``os_version``, ``security_patch_level``,
``management_mode``. Per entry of its ``applicationReports``, an observation of kind ``app`` (id
``<file>#<device name>/<package>``, ``parent`` the handset) with ``Identifier(PACKAGE, packageName, "amapi:package",
MODERATE)`` and attributes ``package``, ``app_name`` (displayName), ``version_name``, ``version_code``,
``installer`` (installerPackageName), ``application_source``, ``preinstalled`` (``true`` for
``SYSTEM_APP_FACTORY_VERSION`` and ``SYSTEM_APP_UPDATED_VERSION``, ``false`` for apps installed from Play or by the
user), ``signer_sha1`` (signingKeyCertFingerprints: SHA-1 of each signing certificate, comma-separated),
``apk_sha256`` (packageSha256Hash), ``device``, ``device_manufacturer``, ``device_model``. Application reports need
the policy setting ``statusReportingSettings.applicationReportsEnabled``; a device without them is a handset alone.

Counts, in records (a device or one of its application reports): ``read = attributed + unattributed + malformed +
skipped``. A report whose ``state`` is ``REMOVED`` is skipped; a report or device that is not an object, or a report
without a valid ``packageName``, is malformed with its JSON pointer; a JSON syntax error ends the file there (the
records before it are kept) and is reported with its byte offset. Streamed with ``ijson`` one device at a time, so
memory does not grow with the number of devices beyond the observations.
"""

from __future__ import annotations

import lzma
import re
import zlib
from pathlib import Path

from ..model import Identifier, IdKind, InputError, Observation, ReadStats, SourceRef, Strength
from . import jsonstream
from .base import TEXT_HEAD, Progress, Reader, ReadResult, open_input, refuse_binary, register

_SNIFF = re.compile(rb'"(?:applicationReports|hardwareInfo|softwareInfo|appliedPolicyName|managementMode)"\s*:'
                    rb'|"name"\s*:\s*"enterprises/[^"/]+/devices/')
_PACKAGE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_DEVICE_KEYS = {"applicationReports", "hardwareInfo", "softwareInfo", "managementMode", "appliedPolicyName",
                "enrollmentTime", "lastStatusReportTime", "state", "policyName"}
_SYSTEM_SOURCES = {"SYSTEM_APP_FACTORY_VERSION", "SYSTEM_APP_UPDATED_VERSION"}
_USER_SOURCES = {"INSTALLED_FROM_PLAY_STORE", "CUSTOM"}


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else (str(value) if isinstance(value, int | float) else "")


@register
class AndroidManagementReader(Reader):
    format = "android-management"
    description = "Google Android Management API devices (devices.list JSON with applicationReports)"
    extensions = ()

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not text.startswith((b"{", b"[")) or b'"bomFormat"' in head:
            return False
        return _SNIFF.search(head) is not None

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        path = Path(path)
        file = str(path)
        stats = ReadStats(file=file, format=self.format, unit="record")
        self._obs: list[Observation] = []
        self._path = path
        self._stats = stats
        self._index = 0
        try:
            with open_input(path) as fh:
                head = fh.read(TEXT_HEAD)
            refuse_binary(file, head, "Android Management API JSON")
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise InputError(file, f"cannot decompress: {exc}") from None
        try:
            with open_input(path) as fh:
                ev = jsonstream.Events(fh, multiple=True)
                self._events = ev
                while True:
                    first = ev.next()
                    if first is None:
                        break
                    self._top(first)
        except jsonstream.JsonSyntaxError as exc:
            if not self._obs and not stats.read:
                raise InputError(file, f"not valid JSON: {exc.reason}", offset=exc.offset) from None
            stats.read += 1
            stats.problem(f"JSON syntax error, the rest of the file is not read: {exc.reason}", offset=exc.offset)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            stats.read += 1
            stats.problem(f"cannot decompress the rest of the file: {exc}")
        if not self._obs and not stats.malformed:
            stats.warn("no device records: no observation")
        return ReadResult(self._obs, stats)

    # ------------------------------------------------------------------ walking
    def _top(self, first) -> None:
        ev = self._events
        kind = first[0]
        if kind == "start_array":
            for _, item in ev.items(first):
                self._device_value(item)
        elif kind == "start_map":
            top: dict = {}
            for key, val in ev.keys(first):
                if key == "devices" and val[0] == "start_array":
                    for _, item in ev.items(val):
                        self._device_value(item)
                elif key in _DEVICE_KEYS or key == "name":
                    top[key] = self._value(val)
                else:
                    ev.skip(val)
            if _DEVICE_KEYS & set(top) or str(top.get("name", "")).startswith("enterprises/"):
                self._device(top)
        else:
            self._stats.read += 1
            self._stats.problem(f"a top-level {kind} where a Device object or devices.list response belongs",
                                offset=ev.offset)

    def _value(self, val):
        try:
            return self._events.value(val)
        except jsonstream.JsonDepthError as exc:
            self._stats.damage(exc.reason, offset=self._events.offset)
            return None

    def _device_value(self, item) -> None:
        value = self._value(item)
        if not isinstance(value, dict):
            self._stats.read += 1
            self._stats.problem("a device entry that is not an object", offset=self._events.offset)
            self._index += 1
            return
        self._device(value)

    def _device(self, dev: dict) -> None:
        stats = self._stats
        i = self._index
        self._index += 1
        pointer = f"/devices/{i}"
        stats.read += 1
        name = _text(dev.get("name")) or f"device-{i}"
        short = name.rsplit("/", 1)[-1]
        hw = dev.get("hardwareInfo") if isinstance(dev.get("hardwareInfo"), dict) else {}
        sw = dev.get("softwareInfo") if isinstance(dev.get("softwareInfo"), dict) else {}
        file = str(self._path)
        dev_id = f"{self._path.name}#{short}"
        attrs = {"device": name}
        for src, dst in (("manufacturer", "manufacturer"), ("brand", "brand"), ("model", "model"),
                         ("serialNumber", "serial"), ("hardware", "hardware")):
            if _text(hw.get(src)):
                attrs[dst] = _text(hw.get(src))
        for src, dst in (("androidVersion", "os_version"), ("securityPatchLevel", "security_patch_level")):
            if _text(sw.get(src)):
                attrs[dst] = _text(sw.get(src))
        if _text(dev.get("managementMode")):
            attrs["management_mode"] = _text(dev.get("managementMode"))
        idents = []
        if attrs.get("manufacturer"):
            idents.append(Identifier(IdKind.NAME, attrs["manufacturer"], "amapi:manufacturer", Strength.STRONG))
        if attrs.get("brand") and attrs.get("brand", "").lower() != attrs.get("manufacturer", "").lower():
            idents.append(Identifier(IdKind.NAME, attrs["brand"], "amapi:brand", Strength.STRONG))
        self._obs.append(Observation(id=dev_id, kind="handset", source=SourceRef(file=file, pointer=pointer),
                                     identifiers=idents, attributes=attrs))
        reports = dev.get("applicationReports")
        if reports is None:
            return
        if not isinstance(reports, list):
            stats.damage(f"{pointer}/applicationReports: not an array")
            return
        seen: set[str] = set()
        for j, rep in enumerate(reports):
            ptr = f"{pointer}/applicationReports/{j}"
            stats.read += 1
            if not isinstance(rep, dict):
                stats.problem(f"{ptr}: an application report that is not an object")
                continue
            pkg = _text(rep.get("packageName"))
            if not pkg or len(pkg) > 255 or not _PACKAGE_RE.fullmatch(pkg):
                stats.problem(f"{ptr}: no valid packageName ({pkg[:60]!r})")
                continue
            if _text(rep.get("state")) == "REMOVED":
                stats.skipped += 1
                continue
            if pkg in seen:
                stats.skipped += 1
                stats.warn(f"{ptr}: {pkg} reported again for {name}; skipped")
                continue
            seen.add(pkg)
            a = {"package": pkg, "device": name}
            for src, dst in (("displayName", "app_name"), ("versionName", "version_name"),
                             ("versionCode", "version_code"), ("installerPackageName", "installer"),
                             ("applicationSource", "application_source"), ("packageSha256Hash", "apk_sha256"),
                             ("state", "state")):
                if _text(rep.get(src)):
                    a[dst] = _text(rep.get(src))
            source = a.get("application_source", "")
            if source in _SYSTEM_SOURCES:
                a["preinstalled"] = "true"
            elif source in _USER_SOURCES:
                a["preinstalled"] = "false"
            fps = rep.get("signingKeyCertFingerprints")
            if isinstance(fps, list) and fps:
                a["signer_sha1"] = ",".join(_text(f) for f in fps if _text(f))
            for src, dst in (("manufacturer", "device_manufacturer"), ("model", "device_model")):
                if attrs.get(src):
                    a[dst] = attrs[src]
            self._obs.append(Observation(
                id=f"{dev_id}/{pkg}", kind="app", source=SourceRef(file=file, pointer=ptr),
                identifiers=[Identifier(IdKind.PACKAGE, pkg, "amapi:package", Strength.MODERATE)],
                attributes=a, parent=dev_id))
