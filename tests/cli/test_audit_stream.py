"""`netvet audit` writes JSON and CSV as a stream: to a file, to stdout, and into a pipe or device (never replaced
by a regular file: ``--output /dev/null`` must stay /dev/null)."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

from netvet.cli import main

FIX = Path(__file__).resolve().parents[1] / "fixtures"
MINI = ["--registry", str(FIX / "registry" / "mini"), "--mac-db", str(FIX / "pipeline" / "mini-oui.csv"),
        "--policy", str(FIX / "policies" / "good-pack.yaml"), "--on", "2026-01-01"]
INV = str(FIX / "pipeline" / "inventory.csv")


def _strip(text: str) -> dict:
    doc = json.loads(text)
    doc.pop("generated_at")
    return doc


def test_output_into_a_pipe_stays_a_pipe(tmp_path, capsys):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    code = main(["audit", INV, "-f", "json", "-o", str(fifo), *MINI])
    reader.join(30)
    assert code == 1
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert not (tmp_path / "out.fifo.tmp").exists()
    capsys.readouterr()
    assert main(["audit", INV, "-f", "json", *MINI]) == 1
    assert _strip(got[0]) == _strip(capsys.readouterr().out)


def test_file_and_stdout_agree(tmp_path, capsys):
    out = tmp_path / "r.csv"
    assert main(["audit", INV, "-f", "csv", "-o", str(out), *MINI]) == 1
    capsys.readouterr()
    assert main(["audit", INV, "-f", "csv", *MINI]) == 1
    assert out.read_text() == capsys.readouterr().out
    assert out.read_text().count("\n") == 1 + 7  # header + 7 findings (7 devices, one pack)
