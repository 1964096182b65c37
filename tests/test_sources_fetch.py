"""Sources registry and HTTP download against a real HTTP server on loopback (started by the test)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import errors
from pipeline.fetch import url_to_raw
from pipeline.sources import RegistryError, registry_to_sources
from tests.conftest import FIXTURES

PDF = (FIXTURES / "le-mans-metropole" / "source.pdf").read_bytes()


class Server:
    """Serves /cls.pdf with an ETag (answering 304 to If-None-Match), /flaky.pdf (503 twice, then the PDF),
    /big.pdf (more than the size limit), /missing.pdf (404); counts the requests per path."""

    def __init__(self) -> None:
        self.hits: dict[str, list[dict[str, str]]] = {}
        self.body = PDF
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.hits.setdefault(self.path, []).append(dict(self.headers))
                etag = '"' + hashlib.sha256(server.body).hexdigest()[:16] + '"'
                if self.path == "/cls.pdf" and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                if self.path == "/flaky.pdf" and len(server.hits[self.path]) <= 2:
                    self.send_response(503)
                    self.end_headers()
                    return
                if self.path == "/missing.pdf":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = server.body * (40 if self.path == "/big.pdf" else 1)
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.httpd.shutdown()


def test_download_is_content_addressed_and_conditional(server: Server, tmp_path: Path) -> None:
    first = url_to_raw(f"{server.url}/cls.pdf", tmp_path)
    sha = hashlib.sha256(PDF).hexdigest()
    assert first.sha256 == sha and first.changed
    assert first.path == tmp_path / sha[:2] / f"{sha}.pdf" and first.path.read_bytes() == PDF
    previous = {"etag": first.etag, "last_modified": first.last_modified, "sha256": first.sha256,
                "raw_path": str(first.path)}
    second = url_to_raw(f"{server.url}/cls.pdf", tmp_path, previous)
    assert not second.changed and second.path == first.path
    assert server.hits["/cls.pdf"][1]["If-None-Match"] == first.etag  # a conditional request, answered 304
    server.body = PDF + b"\n% republished\n"
    third = url_to_raw(f"{server.url}/cls.pdf", tmp_path, previous)
    assert third.changed and third.sha256 != sha and first.path.exists()  # the old bytes stay in the store


def test_download_retries_transient_errors_and_reports_the_others(server: Server, tmp_path: Path) -> None:
    got = url_to_raw(f"{server.url}/flaky.pdf", tmp_path, backoff_s=0.05)
    assert got.changed and len(server.hits["/flaky.pdf"]) == 3
    with pytest.raises(errors.DocumentError) as info:
        url_to_raw(f"{server.url}/missing.pdf", tmp_path, backoff_s=0.05)
    assert info.value.reason == errors.DOWNLOAD and "HTTP 404" in str(info.value)
    assert len(server.hits["/missing.pdf"]) == 1  # a 404 is not retried
    with pytest.raises(errors.DocumentError) as info:
        url_to_raw(f"{server.url}/big.pdf", tmp_path, max_bytes=len(PDF) * 10)
    assert info.value.reason == errors.TOO_LARGE
    with pytest.raises(errors.DocumentError) as info:
        url_to_raw("http://127.0.0.1:9/nothing.pdf", tmp_path, attempts=2, backoff_s=0.01, timeout_s=2)
    assert info.value.reason == errors.DOWNLOAD and "after 2 attempts" in str(info.value)


def test_registry_entries_are_checked_and_paths_resolved(tmp_path: Path) -> None:
    reg = tmp_path / "sources.yaml"
    reg.write_text("inbox: inbox/\nsources:\n"
                   "  - {territory: Le Mans Métropole, url: 'https://example.org/cls.pdf', kind: contract}\n"
                   "  - {territory: Ernée, path: docs/ernee.pdf, publisher: CC de l'Ernée}\n", encoding="utf-8")
    got = registry_to_sources(reg)
    assert got.inbox == tmp_path / "inbox"
    assert got.sources[0].url == "https://example.org/cls.pdf" and got.sources[0].kind == "contract"
    assert got.sources[1].path == tmp_path / "docs" / "ernee.pdf" and got.sources[1].publisher == "CC de l'Ernée"
    for body, message in (
        ("sources:\n  - {territory: X}\n", "sources[0]: give exactly one of `url` or `path`"),
        ("sources:\n  - {url: 'ftp://x/y.pdf'}\n", "sources[0]: url must start with http"),
        ("sources:\n  - {path: a.pdf, kind: avenant}\n", "sources[0]: kind must be one of"),
        ("sources:\n  - {path: a.pdf, town: X}\n", "sources[0]: unknown keys ['town']"),
        ("sources: [\n", "not valid YAML"),
    ):
        reg.write_text(body, encoding="utf-8")
        with pytest.raises(RegistryError, match=r"sources\.yaml: .*" + message.replace("[", r"\[").replace("(", r"\(")):
            registry_to_sources(reg)
