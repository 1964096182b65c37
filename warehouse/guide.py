"""The analyst guide's questions (docs/analyst-guide.md) as data: each ```sql block followed by its ```answer.

`python -m warehouse.guide DB` prints, for every question, whether the warehouse still gives the documented
answer; `--write` rewrites the answers from DB (review the diff: the answers are documentation).
tests/test_analyst_guide.py runs every query on a warehouse built from the fixtures.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse import store

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "analyst-guide.md"
BLOCK = re.compile(r"```sql\n(?P<sql>.*?)```\n+```answer\n(?P<answer>.*?)```", re.S)


@dataclass(frozen=True)
class Question:
    sql: str
    answer: str
    span: tuple[int, int]  # of the answer text in the guide


def questions(text: str) -> list[Question]:
    return [Question(m["sql"].strip(), m["answer"].strip(), m.span("answer")) for m in BLOCK.finditer(text)]


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_cell(v) for v in value) + "]"
    return str(value)


def format_rows(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    """The answer as the guide prints it: a header line, then one line per row, cells joined by ' | '."""
    return "\n".join([" | ".join(columns), *(" | ".join(_cell(v) for v in row) for row in rows)])


def answer(db: Path | str, sql: str) -> str:
    return format_rows(*store.query(db, sql))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--write", action="store_true", help="rewrite the documented answers from DB")
    args = parser.parse_args()
    text = GUIDE.read_text(encoding="utf-8")
    stale = 0
    for q in reversed(questions(text)):
        got = answer(args.db, q.sql)
        if got != q.answer:
            stale += 1
            print(f"changed answer for:\n{q.sql}\n--- documented\n{q.answer}\n--- now\n{got}\n")
            text = text[: q.span[0]] + got + "\n" + text[q.span[1]:]
    if args.write:
        GUIDE.write_text(text, encoding="utf-8")
    print(f"{len(questions(text))} questions, {stale} answers {'rewritten' if args.write else 'changed'}")
    return 1 if stale and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
