"""The `clsdata` command as a user runs it (a real subprocess): JSON contract, errors, query."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from schemas.export import SCHEMA_PATH, json_schema_text
from tests.conftest import DATA, FIXTURES, ROOT, extraction_of
from warehouse import store


def clsdata(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clsdata.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_exported_json_schema_is_in_sync_with_the_models() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == json_schema_text(), "run `make schema`"


def test_extract_json_validates_against_the_exported_schema() -> None:
    proc = clsdata("extract", "fixtures/ernee-bocage-mayennais/source.pdf", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    jsonschema.validate(payload, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert payload["contract"]["territory"] == "Ernée et Bocage mayennais"
    assert payload["document"]["pages"] == 4 and len(payload["document"]["sha256"]) == 64
    assert payload["actions"][0]["bbox"]["x0"] > 0 and payload["extractor_version"]


@pytest.mark.parametrize(("path", "reason"), [
    ("does/not/exist.pdf", "file not found"),
    (str(DATA / "malformed" / "pdfminer.six--aes-256.pdf"), "encrypted PDF"),
    ("pyproject.toml", "not a PDF or HTML document"),
    (str(DATA / "malformed" / "pdf.js--bug1250079.pdf"), "corrupt or truncated PDF"),
])
def test_bad_input_is_one_line_naming_the_file_exit_2(path: str, reason: str) -> None:
    proc = clsdata("extract", path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert path in lines[0] and reason in lines[0]
    assert "Traceback" not in proc.stderr


def test_query_formats(tmp_path: Path) -> None:
    db = tmp_path / "cls.duckdb"
    with store.connect(db) as con:
        store.load_extraction(con, extraction_of(FIXTURES / "le-mans-metropole" / "source.pdf"))
    proc = clsdata("query", "select count(*) as n from v_actions", "--db", str(db), "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["n", "11"]
    proc = clsdata("query", "select years from v_actions where action_number = '1' order by years",
                   "--db", str(db), "--format", "json")
    assert [r["years"] for r in json.loads(proc.stdout)] == [[2025], [2026]]
    proc = clsdata("query", "select nope from v_actions", "--db", str(db))
    assert proc.returncode == 2 and "nope" in proc.stderr and "Traceback" not in proc.stderr


def test_every_command_has_help_with_an_example() -> None:
    for command in ("extract", "run", "query", "status", "export", "report", "review"):
        proc = clsdata(command, "--help")
        assert proc.returncode == 0 and "Example:" in proc.stdout, command


def test_status_shows_the_last_runs_and_the_quarantine(tmp_path: Path) -> None:
    from warehouse import store

    db = tmp_path / "cls.duckdb"
    with store.connect(db) as con:
        store.start_run(con, "run-1", "0.3.0")
        store.finish_run(con, "run-1", 3, 1, 1, 0)
        store.quarantine_document(con, "inbox/scan.pdf", None, "no text layer (needs OCR)", "3 pages", "0.3.0")
    proc = clsdata("status", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    assert "run-1" in proc.stdout and " ok " in proc.stdout
    assert "inbox/scan.pdf: no text layer (needs OCR) (3 pages)" in proc.stdout
    missing = clsdata("status", "--db", str(tmp_path / "none.duckdb"))
    assert missing.returncode == 2 and "none.duckdb: no warehouse there" in missing.stderr
