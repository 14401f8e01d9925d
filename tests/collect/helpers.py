"""Helpers shared by the collector tests."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from netvet.cli import _register_all, app


def run_cli(*args: str, env: dict | None = None):
    _register_all()
    return CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)


def private(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def grep_tree(root: Path, secret: str) -> list[str]:
    """Files under ``root`` that hold ``secret`` (as text or bytes)."""
    hits = []
    for p in Path(root).rglob("*"):
        if p.is_file() and secret.encode() in p.read_bytes():
            hits.append(str(p))
    return hits


def finding_keys(report, name_of) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for f in report.findings:
        ent = f.entity.get("id") if isinstance(f.entity, dict) else getattr(f.entity, "id", None)
        out.setdefault(name_of(f.source.file), []).append((f.policy, str(f.verdict), ent, tuple(f.rule_ids)))
    return {k: sorted(v) for k, v in out.items()}
