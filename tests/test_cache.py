"""The compiled rule-set cache: used when nothing changed, rebuilt when anything did."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ie_dsl.cache as cache
from ie_dsl.cache import compile_cached
from ie_dsl.pipeline import compile_rules

ROOT = Path(__file__).resolve().parent.parent
TEXT = "The CSTO warned of terrorist groups operating in Afghanistan. Kabul denied it."


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """Count real compilations; the cache lives in a fresh directory."""
    monkeypatch.setenv("IEDSL_CACHE_DIR", str(tmp_path / "cache"))
    calls = []

    def counting(paths, allow_outside_root=False):
        calls.append(paths)
        return compile_rules(paths, allow_outside_root)

    monkeypatch.setattr(cache, "compile_rules", counting)
    return calls


def write_rules(root: Path) -> Path:
    rules = root / "rules"
    rules.mkdir()
    (rules / "places.yaml").write_text("type: PLACE\nentries: [Afghanistan, Tajikistan]\n")
    (rules / "r.ie").write_text('use "places.yaml"\nrule r: operating in PLACE\n')
    return rules


def test_a_second_load_uses_the_cache_and_gives_the_same_statements(counted, tmp_path):
    rules = write_rules(tmp_path)
    first = compile_cached([rules])
    second = compile_cached([rules])
    assert len(counted) == 1
    assert second.extract("d", TEXT) == first.extract("d", TEXT) != []
    assert second.rule_count == first.rule_count and set(second.sources) == set(first.sources)


def test_the_shipped_pack_from_the_cache_finds_what_a_fresh_compile_finds(counted):
    seeds = sorted((ROOT / "seeds").iterdir())
    fresh = compile_rules([ROOT / "rules"])
    compile_cached([ROOT / "rules"])
    cached = compile_cached([ROOT / "rules"])
    assert len(counted) == 1
    for path in seeds:
        text = path.read_text(encoding="utf-8")
        assert cached.extract(path.name, text) == fresh.extract(path.name, text)


@pytest.mark.parametrize("change", ["edit rule", "edit lexicon", "new file", "removed file"])
def test_any_change_to_the_files_recompiles(counted, tmp_path, change):
    rules = write_rules(tmp_path)
    compile_cached([rules])
    if change == "edit rule":
        (rules / "r.ie").write_text('use "places.yaml"\nrule r: groups operating in PLACE\n')
    elif change == "edit lexicon":
        (rules / "places.yaml").write_text("type: PLACE\nentries: [Kabul]\n")
    elif change == "new file":
        (rules / "more.ie").write_text("rule q: denied\n")
    else:
        (rules / "r.ie").unlink()
        (rules / "q.ie").write_text('use "places.yaml"\nrule q: PLACE\n')
    book = compile_cached([rules])
    assert len(counted) == 2
    assert book.extract("d", TEXT) == compile_rules([rules]).extract("d", TEXT)


def test_a_broken_entry_is_rebuilt(counted, tmp_path):
    rules = write_rules(tmp_path)
    compile_cached([rules])
    (entry,) = (tmp_path / "cache").glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert compile_cached([rules]).extract("d", TEXT) != []
    assert len(counted) == 2
    assert entry.read_bytes()[:1] == b"\x80"  # rewritten


def test_a_cache_others_may_write_to_is_not_used(counted, tmp_path):
    rules = write_rules(tmp_path)
    (tmp_path / "cache").mkdir(mode=0o777)
    os.chmod(tmp_path / "cache", 0o777)
    compile_cached([rules])
    compile_cached([rules])
    assert len(counted) == 2 and list((tmp_path / "cache").iterdir()) == []


def test_caching_can_be_turned_off(counted, tmp_path, monkeypatch):
    monkeypatch.setenv("IEDSL_NO_CACHE", "1")
    rules = write_rules(tmp_path)
    compile_cached([rules])
    compile_cached([rules])
    assert len(counted) == 2
