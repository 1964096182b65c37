"""A real Prefect flow run (temporary server under one session-scoped harness) over good and bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, FIXTURES
from warehouse import store


@pytest.mark.flow
def test_ingest_flow_loads_good_documents_and_quarantines_bad_ones(prefect_harness: None, tmp_path: Path) -> None:
    from flows.ingest import ingest

    src = tmp_path / "inbox"
    src.mkdir()
    shutil.copy(FIXTURES / "ernee-bocage-mayennais" / "source.pdf", src / "ernee.pdf")
    shutil.copy(FIXTURES / "le-mans-metropole" / "source.html", src / "le-mans.html")
    shutil.copy(DATA / "malformed" / "pdfminer.six--aes-256.pdf", src / "encrypted.pdf")
    (src / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n")  # truncated
    db = tmp_path / "cls.duckdb"

    summary = ingest([str(src)], str(db))

    assert sorted(Path(p).name for p in summary.loaded) == ["ernee.pdf", "le-mans.html"]
    assert {Path(p).name for p, _ in summary.quarantined} == {"encrypted.pdf", "broken.pdf"}
    with store.connect(db) as con:
        quarantine = dict((Path(p).name, r) for p, r, _ in store.quarantined(con))
        assert quarantine == {"encrypted.pdf": "encrypted PDF", "broken.pdf": "corrupt or truncated PDF"}
        territories = con.execute("SELECT DISTINCT territory FROM v_actions ORDER BY 1").fetchall()
    assert territories == [("Ernée et Bocage mayennais",), ("Le Mans Métropole",)]

    # a second run over the same files gives the same warehouse
    before = store.query(db, "SELECT action_id, action_title, years FROM v_actions ORDER BY 1")
    ingest([str(src)], str(db))
    assert store.query(db, "SELECT action_id, action_title, years FROM v_actions ORDER BY 1") == before
