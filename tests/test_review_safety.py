"""Issue #18, item 4 of the hostile list: the review page on a real server (uvicorn on loopback) under parallel
saves, oversize and malformed payloads, DNS rebinding (foreign Host / Origin) and a broken fixture."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml

from review.app import create_app
from tests.conftest import FIXTURES

SLUG = "le-mans-metropole"


@pytest.fixture
def fixtures(tmp_path: Path) -> Path:
    root = tmp_path / "fixtures"
    for slug in (SLUG, "ernee-bocage-mayennais"):
        shutil.copytree(FIXTURES / slug, root / slug, ignore=shutil.ignore_patterns("generator"))
    return root


@pytest.fixture
def server(fixtures: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(fixtures, max_body_kb=512), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def _tree(server: str) -> dict[str, object]:
    return httpx.get(f"{server}/api/documents/{SLUG}", timeout=120).json()["tree"]  # type: ignore[no-any-return]


def test_parallel_saves_of_one_document_leave_a_valid_gold(server: str, fixtures: Path) -> None:
    tree = _tree(server)

    def save(i: int) -> int:
        edited = {**tree, "actions": [{**a, "title": f"{a['title']} v{i}"} if k == 0 else a  # type: ignore[dict-item]
                                      for k, a in enumerate(tree["actions"])]}  # type: ignore[attr-defined]
        body = {"tree": edited, "reviewer": f"Relecteur {i}", "reviewed": False}
        return httpx.put(f"{server}/api/documents/{SLUG}/gold", json=body, timeout=120).status_code

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(save, range(16))) == {200}
    gold = yaml.safe_load((fixtures / SLUG / "gold.yaml").read_text(encoding="utf-8"))
    assert len(gold["actions"]) == len(tree["actions"])  # type: ignore[arg-type]
    assert gold["actions"][0]["title"].rsplit(" v", 1)[1].isdigit()  # one whole save won
    assert not list((fixtures / SLUG).glob(".*.tmp"))
    assert httpx.get(f"{server}/api/documents", timeout=120).status_code == 200


def test_oversize_and_malformed_payloads_are_refused_and_nothing_is_written(server: str, fixtures: Path) -> None:
    gold = fixtures / SLUG / "gold.yaml"
    before = gold.read_bytes()
    tree = _tree(server)
    huge = {**tree, "contract": {**tree["contract"], "territory": "x" * 3_000_000}}  # type: ignore[dict-item]
    got = httpx.put(f"{server}/api/documents/{SLUG}/gold", json={"tree": huge, "reviewer": "R"}, timeout=60)
    assert got.status_code == 413 and "CLSDATA_REVIEW_MAX_BODY_KB" in got.text
    for body in ({"tree": "not a tree", "reviewer": "R"}, {"tree": {"actions": "x"}, "reviewer": "R"},
                 {"tree": {"actions": [1, 2]}, "reviewer": "R"}, {"tree": {"axes": [{"_id": "a"}]}, "reviewer": "R"},
                 {"tree": {"actions": [{"title": ["a"]}]}, "reviewer": "R"}, {"reviewer": "R"},
                 {"tree": {"contract": [1]}, "reviewer": "R"}, {"tree": {"oops": []}, "reviewer": "R"}):
        got = httpx.put(f"{server}/api/documents/{SLUG}/gold", json=body, timeout=60)
        assert got.status_code == 422 and "problems" in got.json(), (body, got.status_code, got.text[:200])
    got = httpx.put(f"{server}/api/documents/{SLUG}/gold", content=b"{not json", timeout=60,
                    headers={"Content-Type": "application/json"})
    assert got.status_code == 422
    assert gold.read_bytes() == before


def test_only_loopback_hosts_and_origins_are_answered(server: str, fixtures: Path) -> None:
    port = server.rsplit(":", 1)[1]
    assert httpx.get(f"{server}/api/documents", headers={"Host": f"localhost:{port}"}, timeout=120).status_code == 200
    for headers in ({"Host": "attacker.example"}, {"Host": f"attacker.example:{port}"},
                    {"Origin": "http://attacker.example"}, {"Origin": "null"}):
        assert httpx.get(f"{server}/api/documents", headers=headers, timeout=60).status_code == 403, headers
    gold = fixtures / SLUG / "gold.yaml"
    before = gold.read_bytes()
    body = {"tree": _tree(server), "reviewer": "Mallory", "reviewed": True}
    got = httpx.put(f"{server}/api/documents/{SLUG}/gold", json=body, timeout=60,
                    headers={"Host": "rebound.attacker.example", "Origin": "http://rebound.attacker.example"})
    assert got.status_code == 403 and gold.read_bytes() == before


def test_one_broken_document_is_one_broken_row(server: str, fixtures: Path) -> None:
    (fixtures / "ernee-bocage-mayennais" / "gold.yaml").write_text("axes: [unclosed\n  - {", encoding="utf-8")
    (fixtures / "broken-provenance").mkdir()
    shutil.copy(FIXTURES / SLUG / "source.html", fixtures / "broken-provenance" / "source.html")
    (fixtures / "broken-provenance" / "provenance.yaml").write_text("review_status: [\n", encoding="utf-8")
    got = httpx.get(f"{server}/api/documents", timeout=120)
    assert got.status_code == 200
    rows = {r["slug"]: r for r in got.json()}
    assert rows[SLUG]["status"] != "broken" and rows[SLUG]["scores"]["axes"] is not None
    for slug in ("ernee-bocage-mayennais", "broken-provenance"):
        assert rows[slug]["status"] == "broken" and rows[slug]["error"], rows[slug]
