"""Zeek conn.log rows that do not fit their #fields line (issue 14): counted malformed rows with their line
numbers, never an exception from the Polars CSV reader."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import shared_file
from tests.flows.test_readers import issues, read

CONN = "inputs/flows/zeek_mac-logging_conn2.log"


def _variant(tmp_path: Path, name: str, edit) -> Path:
    lines = shared_file(CONN).read_text().splitlines()
    path = tmp_path / name
    path.write_text("\n".join(edit(line) for line in lines) + "\n")
    return path


def test_row_with_one_field_more_is_a_malformed_row(tmp_path):
    path = _variant(tmp_path, "extra.log", lambda s: s + "\textra" if s.startswith("1439902891") else s)
    fmt, c, st = read(path)
    assert (fmt, st.read, st.malformed, len(c)) == ("zeek-conn", 2, 1, 1)
    assert issues(st) == [(9, "error", "expected 23 tab-separated fields, found 24")]
    assert c.line.tolist() == [10]


def test_row_with_an_empty_extra_field_and_crlf(tmp_path):
    lines = shared_file(CONN).read_text().splitlines()
    path = tmp_path / "crlf.log"
    path.write_text("\r\n".join(s + ("\t" if s.startswith("1439903050") else "") for s in lines) + "\r\n")
    _, c, st = read(path)
    assert (st.read, st.malformed, len(c)) == (2, 1, 1)
    assert issues(st) == [(10, "error", "expected 23 tab-separated fields, found 24")]


def test_fields_line_naming_a_column_twice(tmp_path):
    path = _variant(tmp_path, "dup.log", lambda s: s + "\tts" if s.startswith("#fields") else (
        s + "\t1" if s[:1].isdigit() else s))
    _, c, st = read(path)
    assert (st.read, st.malformed, len(c)) == (2, 0, 2)
    assert issues(st) == [(9, "warning", "#fields names 'ts' more than once: the first such column is read")]
    assert c.line.tolist() == [9, 10]
