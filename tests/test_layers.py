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
# Upward imports not yet removed (issue 13). The test fails when one of them is gone too, so that this list
# only shrinks: delete the line when its import is fixed.
KNOWN: set[tuple[str, str]] = {
    ("readers/apk.py", "attribution"),
    ("readers/atlas_traceroute.py", "attribution"),
    ("readers/collect_bundle.py", "pipeline"),
    ("readers/flow_evidence.py", "flows"),
    ("readers/route_evidence.py", "attribution"),
    ("readers/route_evidence.py", "analyses"),
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
    new = [v for v in found if (v[0], v[3]) not in KNOWN]
    assert not new, "upward imports:\n" + "\n".join(
        f"src/netvet/{f}:{line}: {a} imports {b} ({m})" for f, line, a, b, m in new)
    gone = KNOWN - {(v[0], v[3]) for v in found}
    assert not gone, f"fixed, remove from KNOWN in tests/test_layers.py: {sorted(gone)}"


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
