"""Imports point downward only (docs/architecture.md).

Every ``netvet`` import in ``src/netvet`` (absolute or relative, at module level or inside a function) is
resolved to the module it names and mapped to a layer; an import of a higher layer, or one that the sibling
rules forbid, fails with file:line.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "netvet"

# lowest first; packages on one rank are siblings
RANKS: dict[str, int] = {
    "model": 0,
    "util": 1,
    "readers": 2, "attribution": 2, "datasets": 2,
    "analyses": 3, "policies": 3,
    "reporters": 4,
    "pipeline": 5,
    "flows": 6, "enforce": 6, "history": 6, "watch": 6, "collect": 6, "web": 6, "cable_audit": 6, "demo": 6,
    "cli": 7,
}
# imports between siblings (or a lower rank) that are forbidden all the same
FORBIDDEN: dict[str, set[str]] = {
    "model": set(RANKS) - {"model"},
    "readers": {"attribution", "analyses", "flows", "collect", "pipeline", "policies"},
    "attribution": {"readers"},
}
def layer_of(module: str) -> str | None:
    """The layer of a dotted module name below ``netvet`` (None for the package root ``netvet`` itself)."""
    parts = module.split(".")
    assert parts[0] == "netvet", module
    if len(parts) == 1:
        return None
    return parts[1]


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, absolute module) for every netvet import of one file (``source``: its text, if not read)."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source, str(path))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "netvet"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "netvet":
                continue
            if node.module is None or target.count(".") == 0:
                # "from . import x" / "from .. import x": each name may be a module of the package
                found += [(node.lineno, f"{target}.{a.name}" if (SRC.parent / Path(*target.split("."), a.name))
                           .with_suffix(".py").exists() or (SRC.parent / Path(*target.split("."), a.name)).is_dir()
                           else target) for a in node.names]
            else:
                found.append((node.lineno, target))
    return found


def violations() -> list[tuple[str, int, str, str, str]]:
    """(file, line, from layer, to layer, module) for every upward or forbidden import."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        me = layer_of(module_name(path))
        if me is None:
            continue
        rel = path.relative_to(SRC).as_posix()
        for line, target in imported_modules(path):
            to = layer_of(target)
            if to is None or to == me:
                if to is None and me == "model":
                    out.append((rel, line, me, "netvet", target))
                continue
            assert to in RANKS, f"{rel}:{line}: {target}: layer {to!r} is not in RANKS"
            if RANKS[to] > RANKS[me] or to in FORBIDDEN.get(me, ()):
                out.append((rel, line, me, to, target))
    return out


def test_every_package_has_a_layer():
    for path in SRC.iterdir():
        if path.name.startswith(("_", ".")) or path.name == "data" or path.suffix not in ("", ".py"):
            continue
        assert path.stem in RANKS, f"{path.name}: add it to RANKS in tests/test_layers.py and docs/architecture.md"


def test_imports_point_downward():
    found = violations()
    assert not found, "upward imports:\n" + "\n".join(
        f"src/netvet/{f}:{line}: {a} imports {b} ({m})" for f, line, a, b, m in found)


def test_the_checker_sees_relative_absolute_and_function_level_imports():
    code = ("from ..pipeline import Context\n"
            "from . import jsonstream\n"
            "def f():\n"
            "    from ..flows import engine\n"
            "    import netvet.collect.bundle\n")
    found = imported_modules(SRC / "readers" / "base.py", code)
    assert found == [(1, "netvet.pipeline"), (2, "netvet.readers.jsonstream"), (4, "netvet.flows"),
                     (5, "netvet.collect.bundle")]
    assert [layer_of(m) for _, m in found] == ["pipeline", "readers", "flows", "collect"]


# --------------------------------------------------------------------------------------------- module-level state
# Reference data is passed explicitly and what is kept for speed lives on an object whose lifetime is one run
# (Context, Reference, a reader or renderer instance): no module-level cache. Module-level mutable names that are
# not caches (registries filled at import), each with the reason it may stay:
ALLOWED_STATE: dict[tuple[str, str], str] = {
    ("readers/base.py", "READERS"): "the reader registry, filled by @register as reader modules are imported",
    ("reporters/__init__.py", "RENDERERS"): "the reporter registry, filled by @reporter at import",
    ("reporters/__init__.py", "TERMINAL"): "the terminal renderers' registry, filled by @terminal at import",
    ("reporters/__init__.py", "WRITERS"): "the stream writers' registry (streamed audits), filled by @writer",
    ("reporters/__init__.py", "_loaded"): "which reporter modules were imported (registration bookkeeping)",
}
_CACHE_DECORATORS = {"cache", "lru_cache"}
_MUTATORS = {"append", "extend", "insert", "pop", "popitem", "clear", "update", "setdefault", "add", "discard",
             "remove", "__setitem__", "move_to_end"}
_CONTAINERS = {"dict", "list", "set", "OrderedDict", "defaultdict", "deque", "Counter", "WeakValueDictionary",
               "WeakKeyDictionary"}


def _decorator_name(node: ast.expr) -> str:
    node = node.func if isinstance(node, ast.Call) else node
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_container(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp | ast.SetComp):
        return True
    return isinstance(value, ast.Call) and _decorator_name(value) in _CONTAINERS


def module_state(source: str, name: str = "<src>") -> list[tuple[int, str, str]]:
    """(line, name, why) for each module-level cache of one module's source: a module-level function or method
    decorated with ``functools.cache``/``lru_cache``, and a module-level name bound to a dict, list or set (or
    anything, when its name says CACHE) that a function rebinds (``global``) or mutates (item assignment or
    deletion, ``append``/``update``/``clear``/...)."""
    tree = ast.parse(source, name)
    found: list[tuple[int, str, str]] = []
    tops = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    tops += [m for c in tree.body if isinstance(c, ast.ClassDef) for m in c.body
             if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)]
    for fn in tops:
        for d in fn.decorator_list:
            if _decorator_name(d) in _CACHE_DECORATORS:
                found.append((fn.lineno, fn.name, f"@{_decorator_name(d)} keeps a process-wide cache"))
    candidates: dict[str, int] = {}
    for node in tree.body:
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        for t in targets:
            if isinstance(t, ast.Name) and (_is_container(value) or (
                    "CACHE" in t.id.upper() and not isinstance(value, ast.Constant | ast.Tuple | ast.BinOp))):
                candidates.setdefault(t.id, node.lineno)
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
        for node in ast.walk(fn):
            hit, why = None, ""
            if isinstance(node, ast.Global):
                hit = next((g for g in node.names if g in candidates), None)
                why = f"rebound by {fn.name}() (global)"
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del) \
                    and isinstance(node.value, ast.Name) and node.value.id in candidates:
                hit, why = node.value.id, f"item set or deleted by {fn.name}()"
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in _MUTATORS and isinstance(node.func.value, ast.Name) \
                    and node.func.value.id in candidates:
                hit, why = node.func.value.id, f"mutated by {fn.name}() (.{node.func.attr})"
            if hit is not None and not any(f[1] == hit for f in found):
                found.append((candidates[hit], hit, why))
    return sorted(found)


def test_no_module_level_cache():
    found, seen = [], set()
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        for line, name, why in module_state(path.read_text(encoding="utf-8"), rel):
            seen.add((rel, name))
            if (rel, name) not in ALLOWED_STATE:
                found.append(f"src/netvet/{rel}:{line}: {name}: {why}")
    assert not found, ("module-level caches (keep them on a run's object: Context, Reference, a reader or "
                       "renderer instance; or allow-list a true registry in ALLOWED_STATE):\n" + "\n".join(found))
    gone = sorted(k for k in ALLOWED_STATE if k not in seen)
    assert not gone, f"no longer module state, remove from ALLOWED_STATE: {gone}"


def test_the_cache_checker_sees_decorators_and_mutated_module_names():
    code = ("import functools\nfrom functools import lru_cache\n"
            "_SEEN = {}\nTABLE = {'a': 1}\n_CTX = None\nKINDS = ('a', 'b')\nCACHE_BITS = 18\n_CACHE = Holder()\n"
            "@functools.cache\ndef a(x): return x\n"
            "@lru_cache(maxsize=4)\ndef b(x): return x\n"
            "class C:\n    @functools.lru_cache\n    def m(self): return 1\n"
            "    @functools.cached_property\n    def p(self): return 1\n"
            "def f(k):\n    _SEEN[k] = 1\n    return TABLE[k]\n"
            "def g():\n    global _CTX\n    _CTX = 1\n"
            "def h():\n    _CACHE.reset()\n    return CACHE_BITS\n")
    assert [(line, name) for line, name, _ in module_state(code)] == [
        (3, "_SEEN"), (10, "a"), (12, "b"), (15, "m")]


def test_the_cache_checker_sees_a_rebound_or_mutated_holder():
    code = ("_CACHE = Holder()\n_MEMO: list = []\n"
            "def f():\n    global _CACHE\n    _CACHE = Holder()\n"
            "def g(x):\n    _MEMO.append(x)\n    del _MEMO[4:]\n")
    assert [(line, name, why) for line, name, why in module_state(code)] == [
        (1, "_CACHE", "rebound by f() (global)"), (2, "_MEMO", "mutated by g() (.append)")]
