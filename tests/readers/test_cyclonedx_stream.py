"""cyclonedx-json as a stream (issue 14): a first pass checks the whole file and reads bomFormat and metadata
wherever they stand, the second yields the components; the same observations, order, parents and issues as the
document read in one piece, whatever the order of its keys."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from netvet.model import InputError
from netvet.readers import cyclonedx
from netvet.readers.cyclonedx import CycloneDxReader
from tests.conftest import shared_file
from tests.readers import stream_outcome

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "readers"
FIXTURES = sorted(p.name for p in FIX.glob("*.json"))
SHARED = ["inputs/cyclonedx/bom-examples_HBOM_PCIe-SATA-adapter-board.bom.json",
          "inputs/cyclonedx/bom-examples_SBOM_dropwizard-1.3.15.bom.json"]


def outcome(path: Path, how: str):
    return stream_outcome.outcome(CycloneDxReader(), path, how)


def test_streams():
    assert CycloneDxReader.streams() is True


@pytest.mark.parametrize("path", [FIX / n for n in FIXTURES] + [pytest.param(s, id=s) for s in SHARED])
def test_stream_equals_read(path):
    stream_outcome.assert_stream_equals_read(CycloneDxReader(), path if isinstance(path, Path) else shared_file(path))


def test_fixture_outcomes_are_the_documented_ones():
    # which fixtures are BOMs and which are refused (so the comparison above compares something)
    got = {n: outcome(FIX / n, "stream")[0] for n in FIXTURES}
    assert got == {"cdx13_reduced.json": "ok", "cdx15_hikvision_camera.cdx.json": "ok",
                   "cdx16_huawei_router.cdx.json": "ok", "cdx_malformed.cdx.json": "refused",
                   "cdx_missing_fields.cdx.json": "ok", "detect_answers.json": "refused",
                   "not_cyclonedx.json": "refused", "spdx_not_cyclonedx.bom.json": "refused"}


def _permuted(tmp_path: Path, source: Path) -> list[Path]:
    """The document of ``source`` written with its top-level keys in up to 60 orders, among them the reverse of
    its own (``components`` first, ``bomFormat`` and ``metadata`` after it)."""
    doc = json.loads(source.read_text())
    orders = list(itertools.permutations(doc))
    chosen = orders[::max(1, len(orders) // 60)] + [orders[-1]]
    out = []
    for n, order in enumerate(chosen):
        p = tmp_path / f"{n}.{source.name}"
        p.write_text(json.dumps({k: doc[k] for k in order}, indent=1))
        out.append(p)
    return out


@pytest.mark.parametrize("name", ["cdx16_huawei_router.cdx.json", "cdx15_hikvision_camera.cdx.json",
                                  "cdx_missing_fields.cdx.json", "HBOM"])
def test_key_order_does_not_change_the_observations(tmp_path, name):
    source = shared_file(SHARED[0]) if name == "HBOM" else FIX / name
    canonical = tmp_path / source.name
    canonical.write_text(json.dumps(json.loads(source.read_text()), indent=1))
    _, want, want_stats = outcome(canonical, "stream")
    orders = _permuted(tmp_path, source)
    assert len(orders) > 6
    for p in orders:
        status, got, stats = outcome(p, "stream")
        assert status == "ok"
        rename = {f'"{p.name}:': f'"{canonical.name}:', str(p): str(canonical)}
        text = json.dumps(got)
        for a, b in rename.items():
            text = text.replace(a, b)
        assert json.loads(text) == want, p.name
        # the same counts and issues; only the place of the specVersion warning follows the key order
        assert {k: v for k, v in stats.items() if k not in ("file", "issues")} == \
               {k: v for k, v in want_stats.items() if k not in ("file", "issues")}
        assert sorted(i["reason"] for i in stats["issues"]) == sorted(i["reason"] for i in want_stats["issues"])


def test_metadata_and_bom_format_after_components(tmp_path):
    doc = ('{"components": [{"components": [{"name": "soc", "type": "device"}], "name": "board", "type": "device"},'
           ' {"name": "x"}, 7, {"type": "weird", "name": "odd", "components": [{"type": "firmware", "name": "fw"}]}],'
           ' "specVersion": "1.2",'
           ' "metadata": {"component": {"components": [{"type": "library", "name": "inner"}],'
           ' "type": "device", "name": "router"}, "supplier": {"name": "Example GmbH"}},'
           ' "bomFormat": "CycloneDX"}')
    path = tmp_path / "late.cdx.json"
    path.write_text(doc)
    stream = CycloneDxReader().stream(path)
    got = [(o.id.split(":", 1)[1], o.kind, o.parent and o.parent.split(":", 1)[1]) for o in stream]
    assert got == [
        ("/metadata/component", "device", None),
        ("/metadata/component/components/0", "library", "/metadata/component"),
        ("/components/0", "device", "/metadata/component"),
        ("/components/0/components/0", "device", "/components/0"),
        ("/components/3", "weird", "/metadata/component"),
        ("/components/3/components/0", "firmware", "/components/3"),
    ]
    st = stream.stats
    assert (st.read, st.malformed, st.unit) == (8, 2, "component")
    # the issues in the order a single pass over the document meets them (post-order for components)
    assert [(i.severity, i.reason) for i in st.issues] == [
        ("error", "/components/1: component has no 'type'"),
        ("error", "/components/2: component is not an object"),
        ("warning", "/components/3: unknown component type 'weird'"),
        ("warning", "CycloneDX 1.2 is read with reduced support (netvet reads 1.4-1.6 fully; 1.2 has no "
                    "manufacturer or address fields)"),
    ]
    meta = CycloneDxReader().read(path).observations[0]
    assert [(i.value, i.field) for i in meta.identifiers] == [("Example GmbH", "cyclonedx:metadata.supplier")]


def test_subject_named_only_by_metadata_after_components(tmp_path):
    path = tmp_path / "s.cdx.json"
    path.write_text(json.dumps({"components": [{"type": "device", "name": "cam"}], "bomFormat": "CycloneDX",
                                "specVersion": "1.6", "metadata": {"manufacturer": {"name": "Hikvision"}}}))
    obs = list(CycloneDxReader().stream(path))
    assert [(o.id, o.kind, o.parent) for o in obs] == [
        ("s.cdx.json:/metadata", "bom-subject", None),
        ("s.cdx.json:/components/0", "device", "s.cdx.json:/metadata")]


def _big_bom(components: int) -> str:
    return ('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": ['
            + ",".join(json.dumps({"type": "library", "name": f"lib{i}", "description": "x" * 200})
                       for i in range(components)) + "]}")


@pytest.mark.parametrize("tail,reason", [
    ("]", "malformed JSON: Expecting ',' delimiter"),       # the last byte wrong
    ("", "malformed JSON: Expecting ',' delimiter"),        # the last byte missing
])
def test_syntax_error_in_the_last_byte_is_refused_before_any_observation(tmp_path, tail, reason):
    text = _big_bom(3000)
    path = tmp_path / "cut.cdx.json"
    path.write_text(text[:-1] + tail)
    with pytest.raises(InputError, match=reason) as exc:
        CycloneDxReader().stream(path)  # raised by stream() itself: nothing was yielded
    assert exc.value.issue.line == 1


def test_huge_number_at_the_end_is_refused_by_stream(tmp_path):
    path = tmp_path / "n.cdx.json"
    path.write_text(_big_bom(500)[:-1] + ', "version": ' + "9" * 5000 + "}")
    with pytest.raises(InputError, match="malformed JSON"):
        CycloneDxReader().stream(path)


def test_syntax_error_past_the_exact_error_size_names_the_offset(tmp_path, monkeypatch):
    monkeypatch.setattr(cyclonedx.jsonstream, "EXACT_ERROR_MAX", 1000)
    text = _big_bom(3000)
    path = tmp_path / "cut.cdx.json"
    path.write_text(text[:-1] + "]")
    with pytest.raises(InputError, match=r"malformed JSON: .* \(at or after byte offset \d+\)") as exc:
        CycloneDxReader().stream(path)
    size = path.stat().st_size
    assert size - (1 << 16) <= exc.value.issue.offset < size


def test_trailing_data_is_one_malformed_record(tmp_path):
    path = tmp_path / "t.cdx.json"
    path.write_text(_big_bom(3) + " trailing")
    stream = CycloneDxReader().stream(path)
    assert len(list(stream)) == 3
    st = stream.stats
    assert (st.read, st.malformed) == (4, 1)
    assert st.issues[0].reason.startswith("data after the end of the JSON document")


def test_first_observation_before_the_second_pass_reads_the_file(tmp_path, monkeypatch):
    path = tmp_path / "big.cdx.json"
    path.write_text(_big_bom(20_000))  # about 4.6 MB
    handles = []
    real = cyclonedx.open_input

    def tracked(p):
        fh = real(p)
        handles.append(fh)
        return fh

    monkeypatch.setattr(cyclonedx, "open_input", tracked)
    stream = CycloneDxReader().stream(path)
    assert len(handles) == 2 and all(h.closed for h in handles)  # the head, the first pass: whole file
    first = next(iter(stream))
    assert first.id == "big.cdx.json:/components/0"
    assert len(handles) == 3 and handles[2].tell() < path.stat().st_size // 10
    assert stream.stats.read == 1
    rest = list(stream)
    assert len(rest) == 19_999 and rest[-1].id == "big.cdx.json:/components/19999"
    assert handles[2].closed


def test_close_releases_an_unfinished_stream(tmp_path):
    path = tmp_path / "c.cdx.json"
    path.write_text(_big_bom(10))
    stream = CycloneDxReader().stream(path)
    next(iter(stream))
    stream.close()
    assert list(stream) == []


def test_a_file_changed_between_the_passes_is_counted(tmp_path):
    path = tmp_path / "ch.cdx.json"
    path.write_text(_big_bom(5))
    stream = CycloneDxReader().stream(path)
    path.write_text(_big_bom(6))  # another version of the file, longer
    obs = list(stream)
    assert len(obs) == 6
    st = stream.stats
    assert (st.read, st.malformed) == (7, 1)
    assert st.issues[-1].reason == ("the file changed between the two passes of the reader (the file was modified "
                                    "while it was read); its observations may mix two versions of it")


def test_a_file_replaced_by_garbage_between_the_passes_is_counted(tmp_path):
    path = tmp_path / "g.cdx.json"
    path.write_text(_big_bom(5))
    stream = CycloneDxReader().stream(path)
    path.write_text("[1, 2")
    assert list(stream) == []
    st = stream.stats
    assert (st.read, st.malformed) == (2, 2)
    assert [i.reason.split(" (")[0] for i in st.issues] == ["the file changed between the two passes of the reader"] * 2
    assert "the document is no longer a JSON object" in st.issues[0].reason
