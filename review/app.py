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
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
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


class TerritoryChoice(BaseModel):
    codes: list[str]
    reviewer: str
    note: str | None = None


class SaveRequest(BaseModel):
    tree: dict[str, Any]
    reviewer: str
    reviewed: bool = False


def _source(folder: Path) -> Path | None:
    for name in ("source.pdf", "source.html"):
        if (folder / name).exists():
            return folder / name
    return None


def create_app(fixtures: Path, db: Path | None = None, overrides: Path | None = None) -> FastAPI:
    """The review app over `fixtures`; with `db`, also the warehouse's territories (choices go to `overrides`,
    default territories.yaml)."""
    from warehouse import geo, store

    app = FastAPI(title="clsdata review", docs_url=None, redoc_url=None)

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

    @app.get("/api/documents")
    def documents() -> list[dict[str, Any]]:
        out = []
        for f in sorted(p for p in fixtures.iterdir() if p.is_dir() and _source(p) is not None):
            got = extracted(f.name)
            scores: dict[str, float | None] = {"axes": None, "actions": None}
            if got is not None and (f / "gold.yaml").exists():
                try:
                    counts = score_document(f.name, Gold.from_file(f / "gold.yaml"), got).counts
                    scores = {k: round(counts[k].f1, 3) for k in scores}
                except ValueError:
                    pass
            out.append({"slug": f.name, "source": _source(f).name if _source(f) else None,  # type: ignore[union-attr]
                        "status": review_status(f), "scores": scores,
                        "has_gold": (f / "gold.yaml").exists()})
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

    return app
