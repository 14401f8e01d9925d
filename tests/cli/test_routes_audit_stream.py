"""`routes audit` of one MRT file reads it in chunks (analyses.full_table); the document is the one the
materialised table gives (``--engine python`` reads it whole)."""

from __future__ import annotations

import json

import pytest

from netvet.cli import main
from tests.conftest import shared_file


@pytest.mark.parametrize("name", ["rib.20140523.0600_first9073records.mrt.gz", "updates.20070211.0141.gz",
                                  "bird6-mrtdump_rib"])
def test_the_same_document_read_whole_or_in_chunks(tmp_path, name):
    path = shared_file(f"mrt/{name}")
    docs = []
    for engine in ("auto", "python"):
        out = tmp_path / f"{engine}.json"
        code = main(["routes", "audit", str(path), "--format", "json", "--output", str(out), "--engine", engine])
        assert code in (0, 1)
        doc = json.loads(out.read_text())
        doc.pop("generated_at")
        docs.append(doc)
    assert docs[0] == docs[1]
    assert docs[0]["summary"]["routes"] == {"rib.20140523.0600_first9073records.mrt.gz": 270005,
                                            "updates.20070211.0141.gz": 51329, "bird6-mrtdump_rib": 10}[name]
