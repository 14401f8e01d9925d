"""Compiled registry and fingerprints (attribution/data_cache.py): used while every file is unchanged, rebuilt
(and validated again) when one changes, never unpickled when damaged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from netvet.attribution.data_cache import MAGIC, CompiledCache, StaleCompiled, code_files, read_compiled
from netvet.attribution.fingerprints import FingerprintDB, _LazyPattern
from netvet.attribution.registry import Registry
from netvet.util.yamlfile import DataValidationError

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def entity_dicts(reg: Registry) -> dict:
    return {k: e.model_dump(mode="json") for k, e in reg.entities.items()}


@pytest.fixture
def mini(tmp_path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(FIX / "registry" / "mini", root)
    return root


def test_registry_compiled_once_then_reused(tmp_path, mini):
    cache = CompiledCache(tmp_path / "cache")
    built = Registry.load(mini, cache)
    read = Registry.load(mini, cache)
    assert cache.history == ["built", "hit"]
    direct = Registry.load(mini)
    assert entity_dicts(read) == entity_dicts(direct) == entity_dicts(built)
    assert (read.version, sorted(read.sources), sorted(read.lists)) == (
        direct.version, sorted(direct.sources), sorted(direct.lists))
    assert [f.name for f in (tmp_path / "cache").iterdir()] == [cache.path_for("registry", Registry.files(mini)).name]
    assert Registry.files(mini) == sorted(mini.rglob("*.yaml")) and len(Registry.files(mini)) == 4


def test_registry_changed_file_is_validated_again(tmp_path, mini):
    cache = CompiledCache(tmp_path / "cache")
    Registry.load(mini, cache)
    meta = mini / "registry.yaml"
    meta.write_text(meta.read_text().replace("schema:", "schema_typo:"))
    with pytest.raises(DataValidationError):
        Registry.load(mini, cache)
    assert cache.history == ["built"]  # the load raised: nothing noted, nothing compiled
    with pytest.raises(DataValidationError):  # and the stale compiled form is not used either
        Registry.load(mini, cache)


def test_registry_edit_rebuilds(tmp_path, mini):
    cache = CompiledCache(tmp_path / "cache")
    before = Registry.load(mini, cache)
    meta = mini / "registry.yaml"
    text = meta.read_text()
    assert f"version: {before.version}" in text or f'version: "{before.version}"' in text
    meta.write_text(text.replace(before.version, before.version + "-edited", 1))
    after = Registry.load(mini, cache)
    assert cache.last == f"rebuilt: {meta} changed"
    assert after.version == before.version + "-edited"
    (mini / "entities" / "more.yaml").write_text((mini / "entities" / "test.yaml").read_text())
    with pytest.raises(DataValidationError, match="duplicate entity id"):  # a new file: a new set, validated
        Registry.load(mini, cache)


def test_damaged_compiled_file_is_never_unpickled(tmp_path, mini):
    cache = CompiledCache(tmp_path / "cache")
    Registry.load(mini, cache)
    path = cache.path_for("registry", Registry.files(mini))
    good = path.read_bytes()
    assert good[:len(MAGIC)] == MAGIC
    path.write_bytes(good[:-5] + b"\x00" * 5)
    with pytest.raises(StaleCompiled, match=r"^payload damaged \(length or SHA-256\)$"):
        read_compiled(path, "registry", [*Registry.files(mini), *code_files()])
    reg = Registry.load(mini, cache)
    assert cache.last == "rebuilt: payload damaged (length or SHA-256)"
    assert entity_dicts(reg) == entity_dicts(Registry.load(mini))
    path.write_bytes(b"junk")
    Registry.load(mini, cache)
    assert cache.last == "rebuilt: not a netvet compiled file (magic)"
    Registry.load(mini, cache)
    assert cache.last == "hit"


def test_fingerprints_compiled_match_like_the_loaded_ones(tmp_path):
    cache = CompiledCache(tmp_path / "cache")
    registry = Registry.load()
    args = (set(registry.entities), registry.sources)
    FingerprintDB.load(*args, cache=cache, registry_files=Registry.files())
    read = FingerprintDB.load(*args, cache=cache, registry_files=Registry.files())
    assert cache.history == ["built", "hit"]
    direct = FingerprintDB.load(*args)
    assert [fp.id for fp in read.fingerprints] == [fp.id for fp in direct.fingerprints]
    assert all(isinstance(fp.regex, _LazyPattern) for fp in read.fingerprints if fp.spec.pattern is not None)
    assert read.check_examples() == [] == direct.check_examples()
    for fp in direct.fingerprints:
        for ctx in fp.spec.contexts:
            for ex in fp.spec.examples:
                assert [(m.fingerprint.id, m.text) for m in read.matches(ctx, ex)] == [
                    (m.fingerprint.id, m.text) for m in direct.matches(ctx, ex)], (fp.id, ex)
    assert read.generic_names.keys() == direct.generic_names.keys() and read.version == direct.version


def test_fingerprints_rebuilt_when_the_registry_changes(tmp_path, mini):
    cache = CompiledCache(tmp_path / "cache")
    fp_file = FIX / "fingerprints" / "good-user.yaml"
    reg = Registry.load()
    FingerprintDB.load(set(reg.entities), reg.sources, path=fp_file, cache=cache, registry_files=Registry.files(mini))
    assert cache.last == "built"
    meta = mini / "registry.yaml"
    meta.write_text(meta.read_text() + "\n")
    FingerprintDB.load(set(reg.entities), reg.sources, path=fp_file, cache=cache, registry_files=Registry.files(mini))
    assert cache.last == f"rebuilt: {meta} changed"


def test_unwritable_cache_still_loads(tmp_path, mini):
    (tmp_path / "file").write_text("x")
    cache = CompiledCache(tmp_path / "file" / "cache")
    reg = Registry.load(mini, cache)
    assert cache.last.startswith("loaded: not compiled")
    assert entity_dicts(reg) == entity_dicts(Registry.load(mini))


class _Planted:
    """An object whose unpickling would run a shell command."""

    def __reduce__(self):
        import os

        return (os.system, ("echo planted > /dev/null",))


def test_planted_callable_is_refused_not_run(tmp_path, mini):
    """A compiled file whose intact payload names a callable outside netvet is refused: the loader runs instead."""
    from netvet.attribution.data_cache import file_record, write_compiled

    cache = CompiledCache(tmp_path / "cache")
    files = Registry.files(mini)
    path = cache.path_for("registry", files)
    write_compiled(path, "registry", [file_record(p) for p in files + code_files()], _Planted())
    with pytest.raises(StaleCompiled, match="cannot be unpickled"):
        read_compiled(path, "registry", files + code_files())
    reg = Registry.load(mini, cache)
    assert cache.last.startswith("rebuilt: cannot be unpickled")
    assert entity_dicts(reg) == entity_dicts(Registry.load(mini))
