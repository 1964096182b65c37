"""`clsdata synth`: deterministic synthetic corpora made of the fixtures' real pages."""

from __future__ import annotations

from pathlib import Path

from pipeline.layout import pdf_to_pages
from pipeline.synth import synth_corpus
from tests.conftest import FIXTURES


def _texts(path: Path) -> list[str]:
    return [" ".join(w.text for w in page.words) for page in pdf_to_pages(path)]


def test_the_same_seed_gives_the_same_documents_and_another_seed_others(tmp_path: Path) -> None:
    a = synth_corpus(FIXTURES, tmp_path / "a", docs=2, pages=6, seed=3)
    b = synth_corpus(FIXTURES, tmp_path / "b", docs=2, pages=6, seed=3)
    c = synth_corpus(FIXTURES, tmp_path / "c", docs=2, pages=6, seed=4)
    assert [len(_texts(p)) for p in a] == [6, 6]
    assert [_texts(p) for p in a] == [_texts(p) for p in b]
    assert [_texts(p) for p in a] != [_texts(p) for p in c]
    assert all(t for t in _texts(a[0]))  # real pages, with their text
