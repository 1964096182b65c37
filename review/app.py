"""`clsdata review`: a local web app (FastAPI, served on 127.0.0.1) over fixtures/: the document list with
scores and review status, one document's pages with every item's box, its editable gold tree, and saving.

    GET  /                               the page (static HTML + JS: no build step)
    GET  /api/documents                  slug, sources, soft F1 of axes and actions, review status
    GET  /api/documents/{slug}           gold tree (or the extraction as a starting point) + extracted boxes
    GET  /api/documents/{slug}/page/{n}  page n rendered (PNG, 1.5 x 72 dpi)
    PUT  /api/documents/{slug}/gold      {tree, reviewer, reviewed}: validated, written, or 422 per field
    GET  /api/territories                the warehouse's territories: official match, method, reason, candidates
    PUT  /api/territories/{id}           {codes, reviewer, note}: a reviewer's choice, validated against the official
                                         geography and written to territories.yaml (applied by the next run)

Safe on a shared machine (issue #18): only requests addressed to a loopback host (Host) and coming from a
loopback page (Origin, when sent) are answered, which defeats DNS rebinding; bodies above
CLSDATA_REVIEW_MAX_BODY_KB are refused (413); a payload that is not a gold tree is a 422; gold.yaml and
provenance.yaml are written whole (temporary file, then rename) by one writer per document at a time; a
document that cannot be read or scored is one broken row of the list, not a failed list.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel

from pipeline import errors
from pipeline.evaluate import score_document
from pipeline.extract import file_to_extraction
from pipeline.pdfium import render_page_png
from review.gold_io import GoldRejected, extraction_to_gold, read_gold, record_review, write_gold
from schemas.extraction import ContractExtraction
from schemas.gold import Gold, review_status

STATIC = Path(__file__).parent / "static"
SCALE = 1.5
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class TerritoryChoice(BaseModel):
    codes: list[str]
    reviewer: str
    note: str | None = None


class SaveRequest(BaseModel):
    tree: dict[str, Any]
    reviewer: str
    reviewed: bool = False


def _host(value: str) -> str:
    """'127.0.0.1:8765' -> '127.0.0.1', '[::1]:8765' -> '::1'."""
    return (urlsplit(f"//{value}").hostname or "").lower()


class Guard:
    """ASGI middleware: loopback Host and Origin only (403), request bodies up to `max_body` bytes (413)."""

    def __init__(self, app: Any, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        origin = headers.get("origin")
        if _host(headers.get("host", "")) not in LOOPBACK:
            await _plain(send, 403, "this page answers requests for 127.0.0.1 or localhost only")
            return
        if origin is not None and (urlsplit(origin).scheme not in ("http", "https")
                                   or (urlsplit(origin).hostname or "").lower() not in LOOPBACK):
            await _plain(send, 403, "requests from other sites are refused")
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _plain(send, 413, f"request larger than {self.max_body // 1024} KB (CLSDATA_REVIEW_MAX_BODY_KB)")
            return
        seen = 0
        too_big = False

        async def limited() -> dict[str, Any]:
            nonlocal seen, too_big
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    too_big = True
                    return {"type": "http.disconnect"}
            return message

        started = False

        async def watch(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited, watch)
        if too_big and not started:
            await _plain(send, 413, f"request larger than {self.max_body // 1024} KB")


async def _plain(send: Any, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _source(folder: Path) -> Path | None:
    for name in ("source.pdf", "source.html"):
        if (folder / name).exists():
            return folder / name
    return None


def create_app(fixtures: Path, db: Path | None = None, overrides: Path | None = None,
               max_body_kb: int | None = None) -> Any:
    """The review app over `fixtures`; with `db`, also the warehouse's territories (choices go to `overrides`,
    default territories.yaml). Wrapped in its Guard (loopback only, bounded bodies)."""
    from warehouse import geo, store

    if max_body_kb is None:
        from clsdata.settings import current

        max_body_kb = current().review_max_body_kb
    app = FastAPI(title="clsdata review", docs_url=None, redoc_url=None)
    writing: dict[str, threading.Lock] = {}
    writing_lock = threading.Lock()

    def writer(slug: str) -> threading.Lock:
        with writing_lock:
            return writing.setdefault(slug, threading.Lock())

    @app.exception_handler(RequestValidationError)
    async def refused(_: Any, exc: RequestValidationError) -> JSONResponse:
        problems = {".".join(str(p) for p in e["loc"][1:]) or "body": e["msg"] for e in exc.errors()[:20]}
        return JSONResponse({"problems": problems}, status_code=422)

    @lru_cache(maxsize=64)
    def extraction(path: Path, mtime: float) -> ContractExtraction | None:
        try:
            return file_to_extraction(path)
        except errors.DocumentError:
            return None

    def folder(slug: str) -> Path:
        if not SLUG.match(slug) or not (fixtures / slug).is_dir():
            raise HTTPException(404, f"no fixture {slug!r} in {fixtures}")
        return fixtures / slug

    def extracted(slug: str) -> ContractExtraction | None:
        src = _source(folder(slug))
        return None if src is None else extraction(src, src.stat().st_mtime)

    @app.get("/")
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/static/{name}")
    def static(name: str) -> FileResponse:
        if name not in {"app.js", "style.css"}:
            raise HTTPException(404)
        return FileResponse(STATIC / name)

    def row(f: Path) -> dict[str, Any]:
        got = extracted(f.name)
        scores: dict[str, float | None] = {"axes": None, "actions": None}
        if got is not None and (f / "gold.yaml").exists():
            try:
                counts = score_document(f.name, Gold.from_file(f / "gold.yaml"), got).counts
                scores = {k: round(counts[k].f1, 3) for k in scores}
            except ValueError:
                pass
        return {"slug": f.name, "source": _source(f).name if _source(f) else None,  # type: ignore[union-attr]
                "status": review_status(f), "scores": scores, "has_gold": (f / "gold.yaml").exists()}

    @app.get("/api/documents")
    def documents() -> list[dict[str, Any]]:
        out = []
        for f in sorted(p for p in fixtures.iterdir() if p.is_dir() and _source(p) is not None):
            try:
                out.append(row(f))
            except Exception as exc:  # one broken document is one broken row, never a failed list
                out.append({"slug": f.name, "source": None, "status": "broken", "has_gold": None,
                            "scores": {"axes": None, "actions": None},
                            "error": f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:200]})
        return out

    @app.get("/api/documents/{slug}")
    def document(slug: str) -> dict[str, Any]:
        f = folder(slug)
        got = extracted(slug)
        tree = read_gold(f / "gold.yaml") if (f / "gold.yaml").exists() else (
            extraction_to_gold(got) if got is not None else {"contract": {}, "axes": [], "objectives": [],
                                                              "actions": []})
        boxes = []
        if got is not None:
            for kind, items in (("axes", got.axes), ("objectives", got.objectives), ("actions", got.actions)):
                boxes += [{"kind": kind, "title": i.title, "page": i.page, "scale": SCALE,
                           "bbox": [i.bbox.x0, i.bbox.top, i.bbox.x1, i.bbox.bottom] if i.bbox else None}
                          for i in items]
        src = _source(f)
        return {"slug": slug, "tree": tree, "boxes": boxes, "pages": got.document.pages if got else 0,
                "pdf": src is not None and src.suffix == ".pdf", "status": review_status(f)}

    @app.get("/api/documents/{slug}/page/{number}")
    def page(slug: str, number: int) -> Response:
        pdf = folder(slug) / "source.pdf"
        if not pdf.exists():
            raise HTTPException(404, f"{slug} has no PDF")
        try:
            return Response(render_page_png(pdf, number, SCALE), media_type="image/png")
        except ValueError as exc:
            raise HTTPException(404, str(exc)) from exc

    @app.put("/api/documents/{slug}/gold", response_model=None)
    def save(slug: str, request: SaveRequest) -> JSONResponse | dict[str, Any]:
        f = folder(slug)
        if not request.reviewer.strip():
            return JSONResponse({"problems": {"reviewer": "say who reviews"}}, status_code=422)
        with writer(slug):  # one writer per document; each file is replaced whole
            try:
                gold = write_gold(f / "gold.yaml", request.tree)
            except GoldRejected as exc:
                return JSONResponse({"problems": exc.problems}, status_code=422)
            record_review(f / "provenance.yaml", request.reviewer.strip(), request.reviewed)
        return {"saved": str(f / "gold.yaml"), "axes": len(gold.axes), "actions": len(gold.actions),
                "status": review_status(f)}

    @app.get("/api/territories")
    def territories() -> list[dict[str, Any]]:
        if db is None or not Path(db).exists():
            return []
        chosen = geo.read_overrides(overrides).territories
        with store.connect(db, read_only=True) as con:
            rows = con.execute("""SELECT territory_id, name, kind, department, match_status, match_method,
                                         match_confidence, match_reason, candidates, official_name, official_codes
                                  FROM territories ORDER BY match_status = 'matched', name""").fetchall()
        out = []
        for tid, name, kind, dep, status, method, confidence, reason, candidates, official, codes in rows:
            out.append({"territory_id": tid, "name": name, "kind": kind, "department": dep, "status": status,
                        "method": method, "confidence": confidence, "reason": reason, "official_name": official,
                        "codes": codes or [],
                        "candidates": [{"code": c.split(" ", 1)[0], "label": c} for c in candidates or []],
                        "choice": chosen[tid].codes if tid in chosen else None})
        return out

    @app.put("/api/territories/{territory_id}", response_model=None)
    def choose_territory(territory_id: str, request: TerritoryChoice) -> JSONResponse | dict[str, Any]:
        if db is None or not Path(db).exists():
            raise HTTPException(404, "no warehouse: start the review page with --db")
        if not request.reviewer.strip():
            return JSONResponse({"problems": {"reviewer": "say who reviews"}}, status_code=422)
        codes = [c.strip() for c in request.codes if c.strip()]
        with store.connect(db, read_only=True) as con:
            known = con.execute("SELECT territory_id FROM territories WHERE territory_id = ?",
                                [territory_id]).fetchone()
            if known is None:
                raise HTTPException(404, f"no territory {territory_id!r} in {db}")
            unknown = [c for c in codes if c not in geo.index(con).by_code]
        if not codes or unknown:
            return JSONResponse({"problems": {"codes": f"not in the official geography: {unknown}" if unknown
                                              else "give one or more codes (epci:SIREN, commune:INSEE)"}},
                                status_code=422)
        try:
            geo.write_override(territory_id, codes, request.reviewer.strip(), request.note, overrides)
        except ValueError as exc:
            return JSONResponse({"problems": {"codes": str(exc).splitlines()[-1]}}, status_code=422)
        return {"saved": str(overrides or geo.overrides_path()), "territory_id": territory_id, "codes": codes,
                "applies": "from the next run"}

    return Guard(app, max_body_kb * 1024)
