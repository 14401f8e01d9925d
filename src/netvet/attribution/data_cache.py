"""Compiled forms of validated data files (the entity registry, the fingerprints), kept on disk.

Reading and validating the registry's and the fingerprints' YAML takes most of a short command's time. A
:class:`CompiledCache` keeps the object a loader built (pickled) together with what it was built from: each data
file and each netvet source file of the classes involved (path, size, modification time in nanoseconds, SHA-256),
the Python and pydantic versions. It is used only while all of these are unchanged (a file whose size and time
differ is hashed; same bytes count as unchanged); otherwise the loader runs again, with its full validation, and
the compiled form is rewritten (temporary file, then ``os.replace``). A file that is truncated, damaged (SHA-256 of
the payload) or of another format is never unpickled; the loader runs instead.

The files live in a directory the caller chooses (the CLI: ``datasets.store.netvet_cache()``: ``$NETVET_CACHE``
or ``~/.cache/netvet``). They are read by a restricted unpickler that resolves only netvet's own classes and a
fixed list of plain builtins, dataclass and pydantic helpers (:data:`ALLOWED_GLOBALS`): a file planted there
cannot name ``os.system`` or any other callable, so it can do no more than a damaged one (be refused, and the
loader runs instead).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..util.framed_file import FramedFileError, check_payload, file_changed, file_record, read_framed, write_framed

MAGIC = b"NVCOMPL1"
FORMAT_VERSION = 1
_PACKAGE = Path(__file__).resolve().parents[1]
CODE_DIRS = ("model", "attribution", "util")  # the classes a compiled object is made of, and their loaders

T = TypeVar("T")


class StaleCompiled(ValueError):
    """A compiled file that cannot be used (why, in the message)."""


def code_files() -> list[Path]:
    """netvet's own source files the compiled objects depend on."""
    return sorted(p for d in CODE_DIRS for p in (_PACKAGE / d).glob("*.py"))


def _runtime() -> str:
    import pydantic

    return f"python {'.'.join(map(str, sys.version_info[:3]))}, pydantic {pydantic.VERSION}"


@dataclass
class CompiledCache:
    """Compiled data under ``directory``. ``last`` says what the latest :meth:`load` did: ``hit``, ``built``,
    ``rebuilt: <why>``, or ``loaded: <why>`` when the compiled form could not be written."""

    directory: Path
    last: str = ""
    history: list[str] = field(default_factory=list)

    def path_for(self, name: str, files: Sequence[Path]) -> Path:
        key = json.dumps([name, [str(p) for p in files]]).encode()
        return Path(self.directory) / f"{name}-{hashlib.sha256(key).hexdigest()[:20]}.pickle"

    def load(self, name: str, files: Sequence[Path], build: Callable[[], T]) -> T:
        """``build()``'s result for the data ``files`` (in a stable order): the compiled one when every file, the
        code and the runtime are unchanged, else ``build()`` run again (and its result compiled)."""
        files = [Path(p) for p in files]
        deps = files + code_files()
        path = self.path_for(name, files)
        why = "built"
        if path.exists():
            try:
                obj = read_compiled(path, name, deps)
            except StaleCompiled as exc:
                why = f"rebuilt: {exc}"
            else:
                self._note("hit")
                return obj
        try:  # before the build: a file that changes meanwhile is seen by the next load
            records = [file_record(p) for p in deps]
        except OSError as exc:
            records, why = None, f"loaded: a file is unreadable ({exc.strerror or exc})"
        obj = build()
        if records is not None:
            try:
                write_compiled(path, name, records, obj)
            except (OSError, pickle.PicklingError) as exc:
                why = f"loaded: not compiled ({exc})"
        self._note(why)
        return obj

    def _note(self, what: str) -> None:
        self.last = what
        self.history.append(what)


# (module, name) pairs a compiled file may name besides netvet's own: plain containers, dates, compiled patterns
ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset({
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "dict"), ("builtins", "list"),
    ("builtins", "tuple"), ("builtins", "object"), ("builtins", "getattr"),
    ("copyreg", "_reconstructor"), ("copyreg", "__newobj__"), ("copyreg", "__newobj_ex__"),
    ("collections", "OrderedDict"), ("collections", "defaultdict"),
    ("datetime", "date"), ("datetime", "datetime"), ("datetime", "timezone"), ("datetime", "timedelta"),
    ("re", "_compile"), ("enum", "EnumType"), ("pathlib", "PosixPath"), ("pathlib", "PurePosixPath"),
    ("pydantic.main", "_model_construction"),
})
_ALLOWED_PREFIXES = ("netvet.", "pydantic_core.", "pydantic.")


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only netvet's classes and :data:`ALLOWED_GLOBALS`; anything else is refused."""

    def find_class(self, module: str, name: str):
        allowed = (module, name) in ALLOWED_GLOBALS or module == "netvet" or module.startswith(_ALLOWED_PREFIXES)
        if not allowed or name.startswith("__") and (module, name) not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a compiled file")
        return super().find_class(module, name)


def write_compiled(path: Path, name: str, records: list[dict], obj: object) -> None:
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    write_framed(path, MAGIC, {"format": FORMAT_VERSION, "name": name, "runtime": _runtime(), "files": records},
                 payload)


def read_compiled(path: Path, name: str, deps: Sequence[Path]):
    """The compiled object, when the file is intact and everything it was built from unchanged."""
    try:
        header, payload = read_framed(path, MAGIC, "compiled file")
        if header.get("format") != FORMAT_VERSION or header.get("name") != name:
            raise StaleCompiled(f"format {header.get('format')!r} of {header.get('name')!r}")
        if header.get("runtime") != _runtime():
            raise StaleCompiled(f"built by {header.get('runtime')}")
        recorded = header["files"]
        if [r["path"] for r in recorded] != [str(p) for p in deps]:
            raise StaleCompiled("another set of files")
        for rec, p in zip(recorded, deps, strict=True):
            why = file_changed(rec, p)
            if why:
                raise StaleCompiled(why)
        check_payload(header, payload)
    except FramedFileError as exc:
        raise StaleCompiled(str(exc)) from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise StaleCompiled(f"unreadable header ({type(exc).__name__})") from None
    try:
        import io

        return _RestrictedUnpickler(io.BytesIO(payload)).load()
    except Exception as exc:  # noqa: BLE001 - an intact file of a class that changed shape: rebuild
        raise StaleCompiled(f"cannot be unpickled ({type(exc).__name__})") from None
