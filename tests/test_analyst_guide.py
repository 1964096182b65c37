"""docs/analyst-guide.md is the warehouse's truth: every query runs on the warehouse `make run` builds (the real
flow over the fixtures, `fixtures_warehouse`) and gives the documented answer. `make guide` rewrites the answers
from that warehouse; nothing here hard-codes a count."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse import guide, store

QUESTIONS = guide.questions(guide.GUIDE.read_text(encoding="utf-8"))


def test_the_guide_asks_its_questions_including_publications_coverage_and_territories() -> None:
    assert len(QUESTIONS) >= 12
    assert all(q.answer for q in QUESTIONS), "every question has its documented answer"
    asked = " ".join(q.sql for q in QUESTIONS)
    for name in ("publications", "v_coverage_by_region", "v_coverage_by_department", "v_actions_per_population",
                 "v_unmatched_contracts", "territory_units"):
        assert name in asked, f"the guide asks no question of {name}"


@pytest.mark.flow
@pytest.mark.parametrize("question", QUESTIONS, ids=[f"q{i + 1}" for i in range(len(QUESTIONS))])
def test_each_guide_query_gives_the_documented_answer(fixtures_warehouse: Path, question: guide.Question) -> None:
    assert guide.answer(fixtures_warehouse, question.sql) == question.answer, "run `make guide` and review the diff"


def test_the_guide_says_how_its_answers_are_made() -> None:
    text = guide.GUIDE.read_text(encoding="utf-8")
    assert "make guide" in text and "make run" in text
    readme = (guide.GUIDE.parent.parent / "README.md").read_text(encoding="utf-8")
    first_screen = "\n".join(readme.splitlines()[:25])
    assert "docs/analyst-guide.md" in first_screen, "the README links the analyst guide on its first screen"
    assert "make guide" in readme


def test_a_warehouse_of_another_schema_version_is_refused_with_the_way_out(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE documents (document_id VARCHAR)")  # a version-1 file has no meta table
    con.close()
    with pytest.raises(store.WarehouseError, match=r"old.duckdb: built with warehouse schema 1.*--rebuild"), \
            store.connect(db):
        pass
