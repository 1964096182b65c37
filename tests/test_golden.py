"""Golden tests: extraction of every fixture source against its reviewed gold, item by item."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
import yaml

from pipeline.evaluate import strict_form
from schemas.gold import Gold
from tests.conftest import SOURCES, extraction_of


def _rows(items: list, fields: tuple[str, ...], pages: bool) -> list[str]:
    out = []
    for item in items:
        values = [repr(strict_form(v) if isinstance(v, str) else v) for v in (getattr(item, f) for f in fields)]
        if pages:
            values.append(f"p{item.page}")
        out.append(" | ".join(values))
    return out


def _compare(kind: str, gold_rows: list[str], got_rows: list[str]) -> list[str]:
    if gold_rows == got_rows:
        return []
    diff = difflib.unified_diff(gold_rows, got_rows, fromfile=f"gold {kind}", tofile=f"extracted {kind}",
                                lineterm="", n=1)
    return list(diff)


STRICT = set(yaml.safe_load((Path(__file__).parent.parent / "eval-thresholds.yaml").read_text(encoding="utf-8"))
             ["strict_golden"])


@pytest.mark.parametrize("source", [s for s in SOURCES if s.parent.name in STRICT],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_extraction_matches_gold(source: Path) -> None:
    gold = Gold.from_file(source.parent / "gold.yaml")
    got = extraction_of(source)
    pages = source.suffix == ".pdf"
    problems: list[str] = []
    g, c = gold.contract, got.contract
    for field in ("document_kind", "territory", "period_start", "period_end", "signed_on", "declared_axes",
                  "declared_actions"):
        if getattr(g, field) != getattr(c, field):
            problems.append(f"contract.{field}: gold {getattr(g, field)!r}, extracted {getattr(c, field)!r}")
    problems += _compare("axes", _rows(gold.axes, ("number", "title"), pages),
                         _rows(got.axes, ("number", "title"), pages))
    problems += _compare("objectives", _rows(gold.objectives, ("number", "title", "axis"), pages),
                         _rows(got.objectives, ("number", "title", "axis"), pages))
    fields = ("number", "title", "axis", "objective", "years")
    problems += _compare("actions", _rows(gold.actions, fields, pages), _rows(got.actions, fields, pages))
    def sheet(x: object, steps: bool) -> dict[str, object] | None:
        if x is None:
            return None
        d = x.model_dump()  # type: ignore[attr-defined]
        if not steps:  # steps are compared where gold annotates them
            d.pop("steps", None)
        else:
            d["steps"] = [s["title"] for s in d["steps"] or []]
        return d  # type: ignore[no-any-return]

    sheets = [(g.title, sheet(g.sheet, g.sheet.steps is not None), sheet(p.sheet, g.sheet.steps is not None))
              for g, p in zip(gold.actions, got.actions, strict=False) if g.sheet is not None]
    problems += [f"sheet of {t!r}: gold {g}, extracted {x}" for t, g, x in sheets if g != x]
    assert not problems, f"{source}: extraction differs from gold\n" + "\n".join(problems)


def test_every_fixture_has_gold_and_provenance() -> None:
    folders = {p.parent for p in SOURCES}
    assert len(folders) >= 17  # the five seeds and the twelve of the wider corpus (issue #3)
    assert {f.name for f in folders} >= STRICT
    for folder in folders:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", folder.name), f"{folder.name} is not kebab-case"
        assert (folder / "gold.yaml").is_file(), f"{folder}: no gold.yaml"
        assert (folder / "provenance.yaml").is_file(), f"{folder}: no provenance.yaml"
