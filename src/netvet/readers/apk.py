"""Android app packages (format ``android-apk``): who signed an APK, what it is, and which SDKs it embeds.

Recognised by content: a ZIP archive holding ``AndroidManifest.xml`` (never by the ``.apk`` name). Read with
androguard (the optional extra ``apps``: ``pip install 'netvet[apps]'``; without it the input fails with that
message, exit 2, never a traceback):

- the package name from the manifest: ``Identifier(PACKAGE, <package>, "apk:package", MODERATE)`` (the developer
  chose it; see docs/apps.md);
- the signing certificate (v1 JAR signature, v2/v3 signing blocks): its subject organisation (``O=``) is what the
  signer says about itself under a key only it holds, ``Identifier(NAME, <O>, "apk:signer-org", STRONG)``; attributes
  ``signer_subject``, ``signer_org``, ``signer_country``, ``signer_sha256``, ``signer_sha1``, ``signature_schemes``.
  Android's debug and AOSP test certificates (``O=Android``) name no developer: no NAME identifier, a warning;
  an unsigned APK gets a warning and ``signed=false``;
- the classes its dex files define (``classes.dex``, ``classes2.dex`` ...), matched against the SDK signatures
  (``data/apps/sdk-signatures.yaml``, given by the pipeline as ``Reference.get("sdk_signatures")``): each
  embedded SDK is its own observation of kind ``sdk``, id
  ``<file>#sdk:<sdk id>`` (in SDK id order), ``parent`` the app,
  ``Identifier(PACKAGE, <matched prefix>, "apk:sdk", MODERATE)`` and attributes ``sdk``, ``sdk_name``,
  ``sdk_category``, ``classes`` (how many classes matched), ``app_package``.

Counts, in components (``stats.unit``): the app and each embedded SDK, ``read = 1 + SDKs``. A damaged dex file
(bad offsets, too large) is an error inside the app (``damaged``), reading goes on with the others. An archive that
is not a readable APK (no manifest, no package name, a ZIP androguard cannot open) raises ``InputError``.

Limits: a dex member larger than ``MAX_DEX_BYTES`` or expanding more than ``max_compression_ratio`` times is not
read (damage); androguard reads the whole archive into memory, so an APK is held once while it is read.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from ..model import Identifier, IdKind, InputError, Observation, ReadStats, SourceRef, Strength
from . import _dex
from .base import Progress, Reader, ReadResult, Reference, limits, register

EXTRA_HINT = ("reading APKs needs androguard, netvet's optional extra 'apps': install it with "
              "pip install 'androguard>=4.1,<5' (or install netvet with the extra apps)")
MAX_DEX_BYTES = 256 << 20
_DEX_NAME = re.compile(r"classes\d*\.dex")
_PACKAGE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
SDK_FIELD = "apk:sdk"  # = netvet.attribution.sdk_signatures.SDK_FIELD
# Certificates that name no developer: Android's debug key and the AOSP test keys (testkey, platform, shared, media)
_GENERIC_SIGNERS = ({"organization_name": "Android", "common_name": "Android Debug"},
                    {"organization_name": "Android", "common_name": "Android"})


# what zipfile raises on a damaged archive (NotImplementedError: an unknown "version needed" or compression method)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError)


def _is_apk_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return any(info.filename == "AndroidManifest.xml" for info in z.infolist())
    except _ZIP_ERRORS:
        return False


def _subject_text(native: dict) -> str:
    keys = (("common_name", "CN"), ("organizational_unit_name", "OU"), ("organization_name", "O"),
            ("locality_name", "L"), ("state_or_province_name", "ST"), ("country_name", "C"))
    parts = []
    for key, short in keys:
        value = native.get(key)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if value:
            parts.append(f"{short}={value}")
    return ", ".join(parts)


def _first(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


@register
class ApkReader(Reader):
    format = "android-apk"
    description = "Android APK: package, signing certificate and embedded SDKs (needs the 'apps' extra, androguard)"
    extensions = (".apk",)
    options = ("reference",)

    def __init__(self, reference: Reference | None = None) -> None:
        self.reference = reference or Reference()

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with open(path, "rb") as fh:  # the archive itself, not a compressed copy of it
                if fh.read(4) != b"PK\x03\x04":
                    return False
        except OSError:
            return False
        return _is_apk_zip(Path(path))

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        path = Path(path)
        file = str(path)
        stats = ReadStats(file=file, format=self.format, unit="component")
        try:
            from androguard.core.apk import APK
        except ImportError:
            raise InputError(file, EXTRA_HINT) from None
        try:
            from loguru import logger

            logger.disable("androguard")  # androguard logs every step at DEBUG level to stderr
        except ImportError:  # pragma: no cover - androguard depends on loguru
            pass
        if not _is_apk_zip(path):
            raise InputError(file, "not an APK: no ZIP archive with AndroidManifest.xml")
        try:
            apk = APK(file)
            package = apk.get_package()
        except Exception as exc:  # noqa: BLE001 - androguard raises many kinds on damaged input
            raise InputError(file, f"not a readable APK: {type(exc).__name__}: {str(exc)[:200]}") from None
        if not package or not _PACKAGE_RE.fullmatch(package) or len(package) > 255:
            raise InputError(file, f"no valid package name in AndroidManifest.xml ({str(package)[:60]!r})")
        stats.read += 1
        app_id = path.name
        attrs: dict[str, str] = {"package": package}
        idents = [Identifier(IdKind.PACKAGE, package, "apk:package", Strength.MODERATE)]
        for key, getter in (("version_code", "get_androidversion_code"), ("version_name", "get_androidversion_name"),
                            ("min_sdk", "get_min_sdk_version"), ("target_sdk", "get_target_sdk_version")):
            try:
                value = getattr(apk, getter)()
            except Exception:  # noqa: BLE001
                value = None
            if value not in (None, ""):
                attrs[key] = str(value)
        self._signers(apk, attrs, idents, stats)
        attrs["apk_sha256"] = _sha256(path)
        hits = self._sdks(path, stats, attrs)
        app = Observation(id=app_id, kind="app", source=SourceRef(file=file), identifiers=idents, attributes=attrs)
        observations = [app]
        for hit in hits:
            sdk = hit.sdk
            stats.read += 1
            observations.append(Observation(
                id=f"{app_id}#sdk:{sdk.id}", kind="sdk", source=SourceRef(file=file, pointer=f"sdk:{sdk.id}"),
                identifiers=[Identifier(IdKind.PACKAGE, hit.prefix, SDK_FIELD, Strength.MODERATE)],
                attributes={"sdk": sdk.id, "sdk_name": sdk.name, "sdk_category": sdk.category,
                            "classes": str(hit.classes), "class_prefixes": ",".join(hit.prefixes),
                            "example_class": hit.example, "app_package": package},
                parent=app_id))
        attrs["sdks"] = ",".join(h.sdk.id for h in hits)
        return ReadResult(observations, stats)

    @staticmethod
    def _signers(apk, attrs: dict[str, str], idents: list[Identifier], stats: ReadStats) -> None:
        schemes = []
        for scheme in ("v1", "v2", "v3"):
            try:
                if getattr(apk, f"is_signed_{scheme}")():
                    schemes.append(scheme)
            except Exception:  # noqa: BLE001
                continue
        try:
            certs = list(apk.get_certificates())
        except Exception as exc:  # noqa: BLE001
            stats.damage(f"cannot read the signing certificates: {type(exc).__name__}: {str(exc)[:120]}")
            certs = []
        if not certs:
            attrs["signed"] = "false"
            stats.warn("unsigned APK: no signing certificate, the signer is unknown")
            return
        attrs["signed"] = "true"
        attrs["signature_schemes"] = ",".join(schemes)
        seen: set[str] = set()
        orgs: list[str] = []
        for cert in certs:
            try:
                sha256 = cert.sha256.hex()
                native = dict(cert.subject.native)
            except Exception as exc:  # noqa: BLE001
                stats.damage(f"unreadable signing certificate: {type(exc).__name__}")
                continue
            if sha256 in seen:
                continue
            seen.add(sha256)
            if len(seen) == 1:
                attrs["signer_subject"] = _subject_text(native)
                attrs["signer_sha256"] = sha256
                attrs["signer_sha1"] = cert.sha1.hex()
                if native.get("country_name"):
                    attrs["signer_country"] = _first(native["country_name"])
            org = _first(native.get("organization_name"))
            generic = any(all(_first(native.get(k)) == v for k, v in g.items()) for g in _GENERIC_SIGNERS)
            if generic:
                attrs["signer_generic"] = "true"
                stats.warn(f"signed with a generic Android key ({_subject_text(native)}): the certificate names "
                           "no developer")
                continue
            if org and org not in orgs:
                orgs.append(org)
                idents.append(Identifier(IdKind.NAME, org, "apk:signer-org", Strength.STRONG))
        if orgs:
            attrs["signer_org"] = orgs[0]
        if len(seen) > 1:
            attrs["signers"] = str(len(seen))

    def _sdks(self, path: Path, stats: ReadStats, attrs: dict[str, str]):
        sigs = self.reference.get("sdk_signatures")  # filled by the pipeline: attribution.sdk_signatures
        if sigs is None:
            stats.warn("no SDK signatures given (reference data): embedded SDKs not looked for")
            return []
        lim = limits()
        counts = {"dex": 0, "classes": 0}

        def names() -> Iterator[str]:
            try:
                z = zipfile.ZipFile(path)
            except _ZIP_ERRORS as exc:
                stats.damage(f"the archive's central directory cannot be read for its dex files: {exc}")
                return
            with z:
                for info in z.infolist():
                    if not _DEX_NAME.fullmatch(info.filename):
                        continue
                    if info.file_size > MAX_DEX_BYTES or (
                            info.file_size > lim.ratio_check_after
                            and info.file_size > lim.max_compression_ratio * max(1, info.compress_size)):
                        stats.damage(f"{info.filename}: {info.file_size} bytes ({info.compress_size} compressed) is "
                                     f"past the limits (MAX_DEX_BYTES {MAX_DEX_BYTES}, max_compression_ratio); "
                                     "not read")
                        continue
                    try:
                        data = z.read(info)
                    except _ZIP_ERRORS as exc:
                        stats.damage(f"{info.filename}: cannot be extracted: {exc}")
                        continue
                    counts["dex"] += 1
                    try:
                        for name in _dex.class_names(data):
                            counts["classes"] += 1
                            yield name
                    except _dex.DexError as exc:
                        where = f" at byte {exc.offset}" if exc.offset is not None else ""
                        stats.damage(f"{info.filename}: damaged dex file{where}: {exc.reason}")
                    del data

        hits = sorted(sigs.scan(names()), key=lambda h: h.sdk.id)
        attrs["dex_files"] = str(counts["dex"])
        attrs["classes"] = str(counts["classes"])
        if not counts["dex"]:
            stats.warn("no readable classes.dex: no embedded SDK could be looked for")
        return hits


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
