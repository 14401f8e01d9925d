"""The on-disk MAC registry index (attribution/oui_cache.py): built once, reused, rebuilt when a source changes or
the file is damaged, and giving the answers of the text parse."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from netvet.attribution.oui import MacRegistry, MacSource, netaddr_sources
from netvet.attribution.oui_cache import MAGIC, CorruptIndex, MacIndexCache, read_index
from netvet.model import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oui"
# MA-L, MA-M and MA-S blocks nested under 10:20:30, then a text file and a Wireshark manuf over them
SAMPLE = {
    "10:20:30:4A:B1:23": ("registered", "10:20:30:4A:B/36", "MA-S"),
    "10:20:30:4A:C0:00": ("registered", "10:20:30:4/28", "MA-M"),
    "10:20:30:51:23:45": ("registered", "10:20:30:5/28", "MA-M"),
    "10:20:30:FF:F0:01": ("registered", "10:20:30:FF:F/36", "MA-S"),
    "10:20:31:00:00:01": ("registered", "10:20:31", "MA-L"),
    "10:20:33:00:00:01": ("private", "10:20:33", "MA-L"),
    "10:20:35:00:00:01": ("unregistered", None, None),
}


def fixture_sources(tmp_path: Path) -> list[MacSource]:
    """Copies of the fixture files (so that a test may change them) in load order."""
    out = []
    for name in ("ma-l.csv", "ma-m.csv", "ma-s.csv", "small-oui.txt", "small-manuf"):
        shutil.copy(FIXTURES / name, tmp_path / name)
        out.append(MacSource(tmp_path / name))
    return out


def same_registry(a: MacRegistry, b: MacRegistry) -> None:
    assert [x.to_dict() for x in a.blocks] == [x.to_dict() for x in b.blocks]
    assert [r.to_dict() for r in a.reports] == [r.to_dict() for r in b.reports]
    assert a.counts() == b.counts() and a.datasets == b.datasets


def test_built_once_then_read_with_the_answers_of_the_parse(tmp_path):
    sources = fixture_sources(tmp_path)
    cache = MacIndexCache(tmp_path / "cache")
    built = cache.load(sources)
    assert cache.last == "built"
    index = cache.path_for(sources)
    assert index.read_bytes()[:len(MAGIC)] == MAGIC
    stamp = index.stat().st_mtime_ns
    read = cache.load(sources)
    assert cache.history == ["built", "hit"] and index.stat().st_mtime_ns == stamp  # not rewritten
    parsed = MacRegistry.from_sources(sources)
    for mac, (status, prefix, kind) in SAMPLE.items():
        want = parsed.lookup(mac)
        assert (str(want.status), want.prefix, want.kind) == (status, prefix, kind), mac
        assert read.lookup(mac) == want == built.lookup(mac), mac
    assert read.lookup_many(list(SAMPLE)).tolist() == parsed.lookup_many(list(SAMPLE)).tolist()
    assert read.org_block_counts() == parsed.org_block_counts()
    same_registry(read, parsed)
    assert [i.to_dict() for r in read.reports for i in r.issues] == [
        i.to_dict() for r in parsed.reports for i in r.issues]
    assert sum(r.malformed for r in read.reports) == sum(r.malformed for r in parsed.reports) > 0


def test_index_read_registry_merges_more_files_like_a_parsed_one(tmp_path):
    sources = fixture_sources(tmp_path)
    cache = MacIndexCache(tmp_path / "cache")
    cache.load(sources[:1])
    read = cache.load(sources[:1])
    assert cache.last == "hit"
    copy = read.copy()
    parsed = MacRegistry.from_sources(sources[:1])
    for reg in (read, parsed):
        for src in sources[1:]:
            reg.load_source(src)
    same_registry(read, parsed)
    assert copy.counts() == MacRegistry.from_sources(sources[:1]).counts()  # the copy was not changed


def test_rebuilt_when_a_source_changes_not_when_it_is_touched(tmp_path):
    sources = fixture_sources(tmp_path)
    cache = MacIndexCache(tmp_path / "cache")
    cache.load(sources)
    ms = sources[2].path
    os.utime(ms, ns=(1_000_000_000, 1_000_000_000))  # same bytes, another time: the hash says unchanged
    cache.load(sources)
    assert cache.last == "hit"
    text = ms.read_text().replace("Example Controls Inc", "Example Controls Renamed Inc")
    ms.write_text(text)
    os.utime(ms, ns=(1_000_000_000, 1_000_000_000))  # even with the recorded time: the size differs
    reg = cache.load(sources)
    assert cache.last == f"rebuilt: source {ms} changed"
    assert reg.lookup("10:20:30:FF:F0:01").org == "Example Controls Renamed Inc"
    assert cache.load(sources).lookup("10:20:30:FF:F0:01").org == "Example Controls Renamed Inc"
    assert cache.last == "hit"


def test_same_size_edit_is_seen_by_its_hash(tmp_path):
    sources = fixture_sources(tmp_path)
    cache = MacIndexCache(tmp_path / "cache")
    cache.load(sources)
    ms = sources[2].path
    ms.write_text(ms.read_text().replace("Example Controls Inc", "Example Controls Inx"))
    assert cache.load(sources).lookup("10:20:30:FF:F0:01").org == "Example Controls Inx"
    assert cache.last == f"rebuilt: source {ms} changed"


def test_another_list_of_sources_has_its_own_index(tmp_path):
    sources = fixture_sources(tmp_path)
    cache = MacIndexCache(tmp_path / "cache")
    cache.load(sources)
    labelled = [MacSource(sources[0].path, "my label"), *sources[1:]]
    assert cache.path_for(labelled) != cache.path_for(sources)
    assert cache.path_for(sources[::-1]) != cache.path_for(sources)
    reg = cache.load(labelled)
    assert cache.last == "built" and reg.datasets[0] == "my label"
    assert len(list((tmp_path / "cache").iterdir())) == 2


@pytest.mark.parametrize("damage, reason", [
    (lambda b: b[:-7] + bytes(x ^ 0xFF for x in b[-7:]), "payload damaged (length or SHA-256)"),
    (lambda b: b[:-3], "payload damaged (length or SHA-256)"),
    (lambda b: b[:len(MAGIC) + 20], "unreadable header (JSONDecodeError)"),
    (lambda b: b"garbage" + b[7:], "not a netvet MAC index (magic)"),
    (lambda b: b[:10], "truncated header"),
    (lambda b: b[:12] + b"x" + b[13:], "unreadable header (JSONDecodeError)"),
    (lambda b: b"", "not a netvet MAC index (magic)"),
])
def test_a_damaged_index_is_rebuilt_never_trusted(tmp_path, damage, reason):
    sources = fixture_sources(tmp_path)
    cache = MacIndexCache(tmp_path / "cache")
    cache.load(sources)
    index = cache.path_for(sources)
    good = index.read_bytes()
    index.write_bytes(damage(good))
    with pytest.raises(CorruptIndex, match="^" + reason.replace("(", r"\(").replace(")", r"\)") + "$"):
        read_index(index, sources)
    reg = cache.load(sources)
    assert cache.last == f"rebuilt: {reason}"
    same_registry(reg, MacRegistry.from_sources(sources))
    assert index.read_bytes() == good
    assert cache.load(sources) is not None and cache.last == "hit"


def test_index_of_another_format_version_is_rebuilt(tmp_path):
    sources = fixture_sources(tmp_path)
    cache = MacIndexCache(tmp_path / "cache")
    cache.load(sources)
    index = cache.path_for(sources)
    index.write_bytes(index.read_bytes().replace(b'"format": 1', b'"format": 9', 1))
    cache.load(sources)
    assert cache.last == "rebuilt: format 9, not 1"


def test_unwritable_directory_parses_without_an_index(tmp_path):
    sources = fixture_sources(tmp_path)
    (tmp_path / "file").write_text("not a directory")
    cache = MacIndexCache(tmp_path / "file" / "cache")
    reg = cache.load(sources)
    assert cache.last.startswith("parsed: index not written")
    same_registry(reg, MacRegistry.from_sources(sources))


def test_missing_source_is_an_input_error(tmp_path):
    cache = MacIndexCache(tmp_path / "cache")
    with pytest.raises(InputError, match="file not found"):
        cache.load([MacSource(tmp_path / "nope.csv")])
    assert not (tmp_path / "cache").exists()


def test_concurrent_writers_leave_one_whole_index(tmp_path):
    sources = fixture_sources(tmp_path)
    a, b = MacIndexCache(tmp_path / "cache"), MacIndexCache(tmp_path / "cache")
    a.load(sources)
    first = a.path_for(sources).read_bytes()
    b.path_for(sources).unlink()
    b.load(sources)  # a second writer of the same index: replaced whole, same bytes
    assert a.path_for(sources).read_bytes() == first
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [a.path_for(sources).name]  # no temporary file


def test_bundled_through_the_index_equals_the_parse(tmp_path):
    import netaddr

    if netaddr.__version__ != "1.3.0":
        pytest.skip(f"exact counts are those of netaddr 1.3.0, found {netaddr.__version__}")
    cache = MacIndexCache(tmp_path / "cache")
    MacRegistry.bundled(cache)
    read = MacRegistry.bundled(cache)
    assert cache.history == ["built", "hit"]
    parsed = MacRegistry.bundled()
    assert read.counts() == {24: 35084, 28: 0, 36: 4575}
    same_registry(read, parsed)
    assert [s.path.name for s in netaddr_sources()] == ["oui.txt", "iab.txt"]
    huawei = read.lookup("00:E0:FC:12:34:56")
    assert (huawei.org, huawei.country, huawei.kind) == ("HUAWEI TECHNOLOGIES CO.,LTD", "CN", "MA-L")
