"""Issue 14: no Python traceback reaches the user, whatever happens; ``--debug`` shows the trace instead.

Each reproducer is a regression test with the exact message and exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from netvet.cli import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, main
from netvet.history.store import History
from tests.fixtures.reports.reportkit import INVENTORY_V1, mini_report

HINT = "please report it with the command you ran; rerun with --debug for the trace"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def two_runs():
    h = History()
    report = mini_report()
    a = h.record(report, [INVENTORY_V1], now=datetime(2024, 6, 1, 9, tzinfo=UTC))
    b = h.record(report, [INVENTORY_V1], now=datetime(2024, 6, 1, 9, tzinfo=UTC))  # same report, same second
    return a, b


def test_identical_runs_recorded_in_the_same_second_are_both_kept(two_runs):
    a, b = two_runs
    assert b == f"{a}-2"
    assert [r["seq"] for r in History().runs()] == [2, 1]
    assert History().resolve(a) == a and History().resolve(b) == b


@pytest.mark.parametrize("ref", ["²", "#²", "١", "#١٢"])
def test_diff_with_a_non_ascii_digit_is_a_usage_error(capsys, two_runs, ref):
    assert run(capsys, "diff", ref, "latest") == (2, "", f"error: no run {ref!r} (see `netvet history`)\n")


def test_diff_by_sequence_number_still_works(capsys, two_runs):
    code, out, err = run(capsys, "diff", "#1", "2", "--format", "json")
    assert (code, err) == (0, "")
    assert '"run_a": "' + two_runs[0] + '"' in out and '"run_b": "' + two_runs[1] + '"' in out


def test_routes_filter_refuses_a_non_ascii_as_number(capsys):
    assert run(capsys, "routes", "filter", "--policy", "clean-network", "--asn", "²", "--format", "bird") == (
        2, "", "error: not an AS number: '²'\n")


def _boom(exc: BaseException):
    def raiser(*_a, **_k):
        raise exc

    return raiser


def test_unexpected_exception_is_one_line_and_exit_2(capsys, monkeypatch):
    monkeypatch.setattr(History, "runs", _boom(ZeroDivisionError("boom")))
    assert run(capsys, "history") == (2, "", f"internal error: ZeroDivisionError: boom; {HINT}\n")


class PanicException(BaseException):
    """Like pyo3_runtime.PanicException (a Rust library's panic): a BaseException, not an Exception."""


def test_a_native_library_panic_is_one_line_and_exit_2(capsys, monkeypatch):
    monkeypatch.setattr(History, "runs", _boom(PanicException("called `Result::unwrap()` on an `Err` value")))
    assert run(capsys, "history") == (
        2, "", f"internal error: PanicException: called `Result::unwrap()` on an `Err` value; {HINT}\n")


def test_long_messages_are_cut(capsys, monkeypatch):
    monkeypatch.setattr(History, "runs", _boom(ValueError("x" * 2000)))
    code, out, err = run(capsys, "history")
    assert (code, out) == (2, "")
    assert err == f"internal error: ValueError: {'x' * 497}...; {HINT}\n"


@pytest.mark.parametrize("args", [["--debug", "history"], ["history", "--debug"]])
def test_debug_shows_the_trace(capsys, monkeypatch, args):
    monkeypatch.setattr(History, "runs", _boom(ZeroDivisionError("boom")))
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith("Traceback (most recent call last):\n")
    assert "ZeroDivisionError: boom\n" in err
    assert err.endswith("internal error (exit 2): please report it with the command you ran and the trace above\n")


def test_debug_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("NETVET_DEBUG", "1")
    monkeypatch.setattr(History, "runs", _boom(KeyError("k")))
    code, _, err = run(capsys, "history")
    assert code == 2 and err.startswith("Traceback (most recent call last):\n") and "KeyError: 'k'" in err


@pytest.mark.parametrize(
    ("exc", "code", "message"),
    [
        (KeyboardInterrupt(), EXIT_INTERRUPTED, "interrupted\n"),
        (RecursionError("maximum recursion depth exceeded"), 2,
         "error: the input is nested too deeply to process (Python's recursion limit was reached); rerun with "
         "--debug for the trace\n"),
        (MemoryError(), 2,
         "error: out of memory: the input is too large for this machine's memory (split it, or use a machine "
         "with more)\n"),
    ],
)
def test_interrupt_recursion_and_memory(capsys, monkeypatch, exc, code, message):
    monkeypatch.setattr(History, "runs", _boom(exc))
    assert run(capsys, "history") == (code, "", message)


def test_broken_pipe_is_quiet(tmp_path, two_runs):
    """``netvet history | head``: the reader goes away before netvet writes; no traceback, exit 141."""
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-c", "from netvet.cli import run; run()", "history"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader is gone before netvet has started writing
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err == ""
