"""OCR (issue #8): a page image -> positioned words with confidences, through Tesseract (pytesseract).

Only pages that triage (`pipeline/triage.py`) finds without a usable text layer come here, so documents with
a text layer never start Tesseract. The words join the same block model as text-layer words: boxes in PDF
points (top-left origin), one size per line (the line's height, Tesseract knows no fonts), no bold.
Settings (resolution, language, page segmentation, minimum confidence, time limit): rules/ocr.yaml.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import statistics
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from clsdata.settings import current
from pipeline.model import Box, Mark, Word
from pipeline.rules import ocr_rules

FONT = "OCR"  # the font name of OCR words (no font is known)
DESCENT = 0.21  # descender depth per unit of font size (Liberation/Arial/Helvetica: 0.21)
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-fra (or `make setup`)"


class OcrFailed(Exception):
    """Tesseract could not read a page (timeout, crash, unreadable image)."""


@dataclass(frozen=True, slots=True)
class OcrPage:
    words: tuple[Word, ...]
    confidence: float | None  # mean word confidence (0-100) of the kept words
    edges: tuple[dict[str, Any], ...] = ()  # ruled lines found in the image, as pdfplumber edges (points)
    marks: tuple[Mark, ...] = ()  # drawn dots (list bullets), as a text layer's small filled shapes


def _configure() -> None:
    import pytesseract

    pytesseract.pytesseract.tesseract_cmd = current().tesseract
    # One thread per Tesseract: parallelism comes from workers; Tesseract's OpenMP threads on a shared
    # machine make each page 2-3x slower.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def workers() -> int:
    """How many pages of a document are read at once: the `ocr_workers` setting (CLSDATA_OCR_WORKERS), else the
    cores this process may use (one Tesseract thread each; a run's Dask workers each read their own documents)."""
    chosen = current().ocr_workers
    if chosen:
        return chosen
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@cache
def unavailable() -> str | None:
    """None when Tesseract and its French data are installed; else why OCR cannot run (said once per
    process, recorded on every page that needed it)."""
    if not current().ocr:
        return "OCR is switched off (CLSDATA_OCR=off)"
    import pytesseract

    _configure()
    try:
        pytesseract.get_tesseract_version()
        languages = set(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, OSError) as exc:
        return f"Tesseract not found ({type(exc).__name__}); install it: {INSTALL}"
    except pytesseract.TesseractError as exc:
        return f"Tesseract does not start: {str(exc)[:200]}"
    missing = [lang for lang in str(ocr_rules()["ocr"]["languages"]).split("+") if lang not in languages]
    if missing:
        return f"Tesseract has no language data for {', '.join(missing)}; install it: {INSTALL}"
    return None


def image_to_ocr_page(png: bytes, scale: float) -> OcrPage:
    """Tesseract on one page image rendered at `scale` pixels per point -> words in points, with confidences
    and boldness (ink density)."""
    import numpy as np
    from PIL import Image

    settings = ocr_rules()["ocr"]
    try:
        image = Image.open(io.BytesIO(png)).convert("L")
    except (OSError, ValueError) as exc:
        raise OcrFailed(f"unreadable page image: {exc}") from exc
    angle = skew_angle(image, float(settings["deskew_max_degrees"]), float(settings["deskew_step_degrees"]))
    if angle:
        # Scanned pages lean: straightened, a line's words share their top and bottom again. Boxes are those
        # of the straightened page (within ~1 pt per degree per 60 pt from the centre of the scan's).
        image = image.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255)
    gray = np.asarray(image)
    # Light print on dark shapes (bands, tiles, sidebars, numbered circles) turned dark on light: Tesseract
    # reads dark text on paper. Ruled lines are looked for in the page as scanned.
    zones: list[tuple[int, int, int, int]] = []
    upright = light_on_dark_to_dark_on_light(gray, scale, settings, zones)
    # Tesseract reads the page as scanned (its layout analysis is global: an inverted band changes how it
    # reads the rest), with numbered circles redrawn as their figure; then each zone of light print on dark,
    # inverted, is read on its own and takes the place of what the page reading made of it.
    page_image = gray.copy()
    badges = _badges_to_dark_on_light(gray, scale, settings, page_image)
    for x0, y0, x1, y1, clean in badges:
        upright[y0:y1, x0:x1] = clean
    data = _tesseract(png, Image.fromarray(page_image), settings, angle)
    edges = gray_to_edges(_min_pool(gray), scale / 2, settings)
    # Zones inside a ruled table (a header row printed light on dark) stay as the page reading has them: the
    # table's cells are read from the page as scanned, like a text layer's.
    from pipeline.layout import edges_to_grids

    grids = edges_to_grids(list(edges), ())
    tables = [g.box for g in grids]
    zones = [z for z in zones if not any(t.x0 * scale <= (z[0] + z[2]) / 2 <= t.x1 * scale
                                         and t.top * scale <= (z[1] + z[3]) / 2 <= t.bottom * scale for t in tables)]
    data = _zones_read(data, [(x0, y0, x1, y1, upright[y0:y1, x0:x1]) for x0, y0, x1, y1 in zones], settings)
    data = _read_alone(data, [(*b, str(settings["badge_config"]), True) for b in badges], settings)
    # A ruled table's cell with print in it where the page reading found no word (Tesseract's page layout
    # can drop a tight row of a fiche: "Public cible", "Calendrier 2025-2027") is read on its own.
    levels = _levels(gray)
    cells = _inked_cells(page_image, [c for g in grids for c in g.cells], scale, levels,
                         float(settings["cell_margin_pt"]))
    data = _read_alone(data, [(*c, str(settings["zone_config"]), False) for c in cells], settings,
                       first_block=300_000)
    data = _lost_colons(data, page_image, levels, settings)
    page = data_to_ocr_page(data, scale, float(settings["min_word_confidence"]), upright, settings)
    words = tuple(w for w in (_off_a_rule(w, edges) for w in page.words) if w is not None)
    return replace(page, words=words, edges=edges,
                   marks=page.marks + _shaded_cells(gray, edges, words, scale, settings))


def _off_a_rule(word: Word, edges: tuple[dict[str, Any], ...]) -> Word | None:
    """A word without the table rule Tesseract read into it ('|', '[', '+'… alone, or at its start or end
    where a vertical rule runs); None when nothing else is left."""
    text, box = word.text, word.box

    def crossed(x: float) -> bool:
        return any(e["orientation"] == "v" and abs(e["x0"] - x) <= 0.4 * word.size and e["top"] <= box.bottom
                   and e["bottom"] >= box.top for e in edges)

    if len(text) == 1 and text in "|[]{}+!":
        return None if crossed((box.x0 + box.x1) / 2) else word
    if len(text) > 1 and text[0] in "|[]{}" and crossed(box.x0):
        text = text[1:]
    if len(text) > 1 and text[-1] in "|[]{}" and crossed(box.x1):
        text = text[:-1]
    return word if text == word.text else replace(word, text=text)


def _shaded_cells(gray: Any, edges: tuple[dict[str, Any], ...], words: tuple[Word, ...], scale: float,
                  settings: dict[str, Any]) -> tuple[Mark, ...]:
    """The cells of the page's ruled tables whose ground is shaded (darker than the paper by `shade_min`
    grey levels), as a text layer's filled rectangles: a shaded empty cell ticks a year column."""
    import numpy as np

    from pipeline.layout import edges_to_grids

    paper = float(np.percentile(gray[::3, ::3], 90))
    out = []
    for grid in edges_to_grids(list(edges), words):
        for cell in grid.cells:
            x0, x1 = int((cell.x0 + 2) * scale), int((cell.x1 - 2) * scale)
            y0, y1 = int((cell.top + 2) * scale), int((cell.bottom - 2) * scale)
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            if float(np.median(gray[y0:y1:2, x0:x1:2])) < paper - float(settings["shade_min"]):
                out.append(Mark(cell, "fill"))
    return tuple(out)


def light_on_dark_to_dark_on_light(gray: Any, scale: float, settings: dict[str, Any],
                                   zones: list[tuple[int, int, int, int]] | None = None) -> Any:
    """The page with its zones of light print on a dark ground inverted (the ground becomes paper, the print
    ink). The page is cut in blocks of ~2 pt; a block's ground is its median grey, smoothed over a window
    `polarity_window_pt` wide; blocks whose ground is darker than the paper by `polarity_contrast` make zones
    (touching blocks), and a zone is light on dark when more of its inner blocks' pixels are much lighter than
    its ground than much darker. Dark pixels just around an inverted zone go with it (its edge, cut at block size)."""
    import numpy as np

    block = max(int(round(2 * scale)), 4)
    height, width = gray.shape
    rows, cols = height // block, width // block
    if rows < 3 or cols < 3:
        return gray.copy()
    tiles = gray[: rows * block, : cols * block].reshape(rows, block, cols, block).astype(np.int16)
    ground = np.median(tiles, axis=(1, 3))
    contrast = int(settings["polarity_contrast"])
    paper = float(np.percentile(gray[::3, ::3], 90))
    ink = float(np.percentile(gray[::3, ::3], 0.5))
    half = max(int(round(float(settings["polarity_window_pt"]) / 2 * scale / block)), 1)
    g = np.pad(ground, ((half, half), (half, half)), mode="edge")
    window = [(dy, dx) for dy in range(2 * half + 1) for dx in range(2 * half + 1)]
    wground = np.median(np.stack([g[dy:dy + rows, dx:dx + cols] for dy, dx in window]), axis=0)
    dark = _close(wground < paper - contrast, 2)  # gaps of a block or two (dense light print) are ground too
    if not dark.any():
        return gray.copy()
    lighter = (tiles > wground[:, None, :, None] + contrast).sum(axis=(1, 3))
    darker = (tiles < wground[:, None, :, None] - contrast).sum(axis=(1, 3))
    # Judged on a zone's inner blocks (its four neighbours in the zone too): light print inside a dark ground,
    # not the paper around the thick strokes of large dark letters.
    inner = dark.copy()
    inner[1:] &= dark[:-1]
    inner[:-1] &= dark[1:]
    inner[:, 1:] &= dark[:, :-1]
    inner[:, :-1] &= dark[:, 1:]
    inner[0], inner[-1], inner[:, 0], inner[:, -1] = False, False, False, False
    out = gray.copy()
    for zone in _zones(dark, wground, contrast / 2):
        ys, xs = zone[:, 0], zone[:, 1]
        core = inner[ys, xs]
        light, deep = int(lighter[ys[core], xs[core]].sum()), int(darker[ys[core], xs[core]].sum())
        # A ground as dark as the page's ink may be the strokes of large bold letters: it must be wide.
        least = 12 if float(np.median(wground[ys, xs])) < ink + contrast else 4
        if int(core.sum()) < least or light <= deep or light < 0.03 * int(core.sum()) * block * block:
            continue
        # With its holes (print so dense that its window is light), which are not paper around it.
        whole = np.zeros(dark.shape, dtype=bool)
        whole[ys, xs] = True
        for hole in _zones(_fill_holes(whole) & ~whole):
            if len(hole) <= 0.25 * len(zone):  # not the page inside a frame
                whole[hole[:, 0], hole[:, 1]] = True
        _invert_zone(out, gray, np.argwhere(whole), block, paper, float(np.median(wground[ys, xs])),
                     (wground > paper - contrast / 2) & ~whole)
        if zones is not None:  # (x0, top, x1, bottom) in pixels
            zones.append((int(xs.min()) * block, int(ys.min()) * block, (int(xs.max()) + 1) * block,
                          (int(ys.max()) + 1) * block))
    return out


def _fill_holes(mask: Any) -> Any:
    """A small boolean grid with its holes (cells not reached from outside it through unset cells) set."""
    import numpy as np
    from PIL import Image, ImageDraw

    canvas = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), dtype=np.uint8)
    canvas[1:-1, 1:-1] = np.where(mask, 255, 0)
    image = Image.fromarray(canvas)
    ImageDraw.floodfill(image, (0, 0), 128, thresh=0)
    return np.asarray(image)[1:-1, 1:-1] != 128


def _close(mask: Any, steps: int) -> Any:
    """Binary closing of a small grid (3x3 neighbourhood, `steps` times): gaps narrower than 2 x steps close."""
    def spread(m: Any, value: bool) -> Any:
        out = m.copy()
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)):
            shifted = np.roll(np.roll(m, dy, axis=0), dx, axis=1)
            out = (out | shifted) if value else (out & shifted)
        return out

    import numpy as np

    grown = mask
    for _ in range(steps):
        grown = spread(grown, True)
    for _ in range(steps):
        grown = spread(grown, False)
    return grown | mask


def _invert_zone(out: Any, gray: Any, zone: Any, block: int, paper: float, base: float, papery: Any) -> None:
    """Light print on a dark zone (blocks of `block` pixels) -> dark print on paper, in `out`: the zone's
    pixels that are not paper reached from outside it are mapped from [ground, paper] to [paper, ink]; the
    paper around a round or ragged zone stays as it is."""
    import numpy as np

    height, width = gray.shape
    by0, bx0 = int(zone[:, 0].min()) - 1, int(zone[:, 1].min()) - 1
    by1, bx1 = int(zone[:, 0].max()) + 2, int(zone[:, 1].max()) + 2
    y0, x0 = max(by0 * block, 0), max(bx0 * block, 0)
    y1, x1 = min(by1 * block, height), min(bx1 * block, width)
    blocks = np.zeros((by1 - by0, bx1 - bx0), dtype=bool)
    blocks[zone[:, 0] - by0, zone[:, 1] - bx0] = True
    grown = blocks.copy()
    grown[1:] |= blocks[:-1]
    grown[:-1] |= blocks[1:]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    oy, ox = y0 - by0 * block, x0 - bx0 * block

    def pixels(grid: Any) -> Any:
        return np.repeat(np.repeat(grid, block, axis=0), block, axis=1)[oy:oy + (y1 - y0), ox:ox + (x1 - x0)]

    own = pixels(blocks)
    crop = gray[y0:y1, x0:x1]
    light = crop > (paper + base) / 2
    # Paper reached from the paper around the zone (blocks whose ground is paper) through light pixels (a
    # cell's paper cut by the zone's block edge), within two blocks: the print inside a dark ground is not.
    rows, cols = papery.shape
    blank = np.zeros((by1 - by0, bx1 - bx0), dtype=bool)
    sy0, sx0, sy1, sx1 = max(by0, 0), max(bx0, 0), min(by1, rows), min(bx1, cols)
    blank[sy0 - by0:sy1 - by0, sx0 - bx0:sx1 - bx0] = papery[sy0:sy1, sx0:sx1]
    outside = light & ~own & pixels(blank)
    for _ in range(2 * block):
        grow = outside.copy()
        grow[1:] |= outside[:-1]
        grow[:-1] |= outside[1:]
        grow[:, 1:] |= outside[:, :-1]
        grow[:, :-1] |= outside[:, 1:]
        grow &= light
        if np.array_equal(grow, outside):
            break
        outside = grow
    # One block around the zone, its edge (pixels of its ground's grey, not darker print near it) goes too.
    inside = (own & ~outside) | (pixels(grown & ~blocks) & (np.abs(crop.astype(np.float32) - base) < 15))
    span = max(paper - base, 40.0)
    values = crop[inside].astype(np.float32)
    out[y0:y1, x0:x1][inside] = (paper * (1.0 - np.clip((values - base) / span, 0.0, 1.0))).astype(np.uint8)


def _badges_to_dark_on_light(gray: Any, scale: float, settings: dict[str, Any],
                             target: Any) -> list[tuple[int, int, int, int, Any]]:
    """Numbered circles and tiles (a solid dark shape `badge_size_pt` wide with light print inside) found in
    `gray`, and drawn into `target` as their print alone, dark on paper; returned as (x0, top, x1, bottom,
    image) in pixels, for a reading of their own (Tesseract's page layout drops a lone figure)."""
    import numpy as np

    found = []
    ink = float(np.percentile(gray[::3, ::3], 0.1))  # the page's darkest print

    levels = _levels(gray)
    low, high = (float(v) for v in settings["badge_size_pt"])
    for box in gray_to_dots(_min_pool(gray), scale / 2, levels, {**settings, "dot_size_pt": [low, high]},
                            min_fill=0.55):
        x0, y0 = int(box.x0 * scale), int(box.top * scale)
        x1, y1 = int(np.ceil(box.x1 * scale)), int(np.ceil(box.bottom * scale))
        region = gray[y0:y1, x0:x1]
        if abs(region.shape[0] - region.shape[1]) > 0.2 * max(region.shape):
            continue
        # Clear of print on its right (a bold capital with a counter, an À, is followed by its word).
        after = gray[y0:y1, x1:x1 + int(0.5 * (y1 - y0)) + 1]
        if after.size and float((after < levels.half).mean()) > 0.02:
            continue
        # A tinted shape, lighter than the page's ink: a bold letter with a counter (an À) is ink.
        if float(np.median(region[region < levels.half])) < ink + 25:
            continue
        # The print (light pixels enclosed by the shape) becomes ink on paper; the shape and the paper around it
        # become paper, so that Tesseract sees a lone figure, not a figure in a ring.
        paper_light = region > levels.half
        enclosed = np.zeros(region.shape, dtype=bool)
        for zone in _zones(paper_light):
            zy, zx = zone[:, 0], zone[:, 1]
            if zy.min() > 0 and zx.min() > 0 and zy.max() < region.shape[0] - 1 and zx.max() < region.shape[1] - 1:
                enclosed[zy, zx] = True
        ys, xs = np.nonzero(enclosed)
        if ys.size < 0.02 * enclosed.size or ys.size > 0.7 * (np.ptp(ys) + 1) * (np.ptp(xs) + 1):
            continue  # no print, or a hole (the counter of a bold O), not the strokes of a figure
        ink = int(max(levels.paper - 3 * (levels.paper - levels.half), 0))
        clean = np.where(enclosed, ink, int(levels.paper)).astype(np.uint8)
        target[y0:y1, x0:x1] = clean
        found.append((x0, y0, x1, y1, clean))
    return found


def _zones_read(data: dict[str, list[Any]], zones: list[tuple[int, int, int, int, Any]],
                settings: dict[str, Any]) -> dict[str, list[Any]]:
    """Each inverted zone (x0, top, x1, bottom, image: its print now dark on paper) read on its own
    (`zone_config`: a block of lines); its words replace the page reading's words centred in the zone (white
    print on a dark band read as it was scanned), unless it yields none."""
    import numpy as np
    from PIL import Image

    out = {k: list(v) for k, v in data.items()}
    for n, (x0, y0, x1, y1, image) in enumerate(zones):
        if image.size == 0:
            continue
        pad = max(min(y1 - y0, x1 - x0) // 4, 8)
        canvas = np.pad(image, pad, constant_values=int(np.percentile(image, 90)))
        config = {**settings, "config": str(settings["zone_config"])}
        got = _tesseract(canvas.tobytes(), Image.fromarray(canvas), config, 0.0)
        # (A letter or two read at low confidence is the zone's edge, not print: 'Calendrier L'.)
        rows = [k for k, text in enumerate(got["text"]) if int(got["level"][k]) == 5 and str(text).strip()
                and float(got["conf"][k]) >= 0 and (len(str(text).strip()) > 2 or str(text).strip().isdigit()
                                                    or float(got["conf"][k]) >= 60)]
        if not rows:
            continue
        keep = [k for k in range(len(out["text"])) if not (
            x0 <= int(out["left"][k]) + int(out["width"][k]) / 2 <= x1
            and y0 <= int(out["top"][k]) + int(out["height"][k]) / 2 <= y1)]
        out = {key: [column[k] for k in keep] for key, column in out.items()}
        for k in rows:
            row = {"level": 5, "page_num": 1, "block_num": 200_000 + n * 100 + int(got["block_num"][k]),
                   "par_num": int(got["par_num"][k]), "line_num": int(got["line_num"][k]),
                   "word_num": int(got["word_num"][k]), "left": x0 + int(got["left"][k]) - pad,
                   "top": y0 + int(got["top"][k]) - pad, "width": int(got["width"][k]),
                   "height": int(got["height"][k]), "conf": got["conf"][k], "text": str(got["text"][k])}
            for key, column in out.items():
                column.append(row.get(key, 0))
    return out


def _lost_colons(data: dict[str, list[Any]], gray: Any, levels: _Levels,
                 settings: dict[str, Any]) -> dict[str, list[Any]]:
    """A colon standing alone after a word (French print: "déclinés :", "primaires : renforcer…") that
    Tesseract left out, put back: two small dots one above the other in the gap after the word, at the
    word's height, and nothing else there. The colon carries structure (an announced list, "Axe : action ;
    action"); its loss merged a list of axes into its sentence. Sizes are shares of the word's height
    (`colon_*` in ocr.yaml)."""
    reach, dot_max, gap_min = (float(settings[k]) for k in ("colon_reach", "colon_dot_max", "colon_gap_min"))
    words = [k for k in range(len(data["text"])) if int(data["level"][k]) == 5 and str(data["text"][k]).strip()
             and float(data["conf"][k]) >= 0]
    by_line: dict[tuple[int, int, int], list[int]] = {}
    for k in words:
        by_line.setdefault((int(data["block_num"][k]), int(data["par_num"][k]), int(data["line_num"][k])),
                           []).append(k)
    found: list[tuple[int, int, int, int, int]] = []  # after row k: x0, top, x1, bottom
    for line in by_line.values():
        line.sort(key=lambda k: int(data["left"][k]))
        for i, k in enumerate(line):
            text = str(data["text"][k]).strip()
            if text.endswith((":", ";")) or (i + 1 < len(line) and str(data["text"][line[i + 1]]).strip()[:1] in ":;"):
                continue
            left, top = int(data["left"][k]), int(data["top"][k])
            right, h = left + int(data["width"][k]), int(data["height"][k])
            if h < 8:
                continue
            end = int(data["left"][line[i + 1]]) - 1 if i + 1 < len(line) else right + int(reach * h)
            end = min(end, right + int(reach * h), gray.shape[1])
            if end - right < 3:
                continue
            crop = gray[max(top, 0):top + h, right + 1:end]
            ink = crop < levels.half
            if not ink.any() or int(ink.sum()) > 0.2 * h * h:
                continue
            pieces = _zones(ink)
            if len(pieces) != 2:
                continue
            # each piece's box (x0, top, x1, bottom), ends exclusive, the upper one first
            blobs = sorted(((int(z[:, 1].min()), int(z[:, 0].min()), int(z[:, 1].max()) + 1, int(z[:, 0].max()) + 1)
                            for z in pieces), key=lambda b: b[1])
            (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = blobs
            small = all(0 < b[2] - b[0] <= dot_max * h and 0 < b[3] - b[1] <= dot_max * h for b in blobs)
            stacked = abs((ax0 + ax1) - (bx0 + bx1)) / 2 <= max(2.0, gap_min * h) and by0 - ay1 >= gap_min * h
            if small and stacked and by1 >= 0.5 * h:
                found.append((k, right + 1 + min(ax0, bx0), top + ay0, right + 1 + max(ax1, bx1), top + by1))
    if not found:
        return data
    out: dict[str, list[Any]] = {key: [] for key in data}
    after = {k: f for k, *f in found}
    for k in range(len(data["text"])):
        for key, column in data.items():
            out[key].append(column[k])
        if k in after:
            x0, y0, x1, y1 = after[k]
            for key, column in data.items():
                out[key].append({"left": x0, "top": y0, "width": x1 - x0, "height": y1 - y0, "text": ":",
                                 "conf": 90.0}.get(key, column[k]))
    return out


def _inked_cells(gray: Any, cells: list[Box], scale: float, levels: _Levels,
                 margin_pt: float) -> list[tuple[int, int, int, int, Any]]:
    """Cells of ruled tables (points) -> their insides in pixels (x0, top, x1, bottom, image), `margin_pt` in
    from their rules, for those with print in them (a few letters' worth of ink)."""
    out = []
    margin = max(int(round(margin_pt * scale)), 2)
    for c in cells:
        x0, y0 = int(c.x0 * scale) + margin, int(c.top * scale) + margin
        x1, y1 = int(c.x1 * scale) - margin, int(c.bottom * scale) - margin
        if x1 - x0 < 4 * margin or y1 - y0 < 2 * margin:
            continue
        image = gray[max(y0, 0):y1, max(x0, 0):x1]
        if image.size and int((image < levels.half).sum()) >= 4 * margin * margin:
            out.append((x0, y0, x1, y1, image))
    return out


def _read_alone(data: dict[str, list[Any]], pieces: list[tuple[int, int, int, int, Any, str, bool]],
                settings: dict[str, Any], first_block: int = 100_000) -> dict[str, list[Any]]:
    """Pieces of the page (x0, top, x1, bottom, image, Tesseract config, figures only) in which the page's
    reading found no word, read on their own and added to the page's words (a line each, as Tesseract saw
    them): a badge's lone figure, a year tile's "20" over "26"."""
    import numpy as np
    from PIL import Image

    out = {k: list(v) for k, v in data.items()}
    for n, (x0, y0, x1, y1, image, config, figures) in enumerate(pieces):
        covered = any(int(data["level"][k]) == 5 and str(data["text"][k]).strip()
                      and (str(data["text"][k]).strip().isdigit() or not figures)
                      and x0 <= int(data["left"][k]) + int(data["width"][k]) / 2 <= x1
                      and y0 <= int(data["top"][k]) + int(data["height"][k]) / 2 <= y1
                      for k in range(len(data["text"])))
        if covered or image.size == 0:
            continue
        pad = max((y1 - y0) // 2, 4)
        canvas = np.pad(image, pad, constant_values=int(np.percentile(image, 90)))
        got = _tesseract(canvas.tobytes(), Image.fromarray(canvas), {**settings, "config": config}, 0.0)
        for k, text in enumerate(got["text"]):
            text = str(text).strip()
            if int(got["level"][k]) != 5 or not text or float(got["conf"][k]) < 0 or (figures and not text.isdigit()):
                continue
            row = {"level": 5, "page_num": 1, "block_num": first_block + n, "par_num": int(got["par_num"][k]),
                   "line_num": int(got["line_num"][k]), "word_num": int(got["word_num"][k]),
                   "left": x0 + int(got["left"][k]) - pad, "top": y0 + int(got["top"][k]) - pad,
                   "width": int(got["width"][k]), "height": int(got["height"][k]), "conf": got["conf"][k],
                   "text": text}
            for key, column in out.items():
                column.append(row.get(key, 0))
            if figures:
                break
    return out


def _zones(mask: Any, level: Any = None, tolerance: float = 0.0) -> list[Any]:
    """Connected zones (4-neighbours) of a small boolean grid, each as an array of (row, col); with `level`,
    neighbours join only when their levels differ by at most `tolerance` (a dark band and the grey row below
    it are two zones). Labels spread to the smallest index of a zone, with pointer jumping (a few dozen
    array passes, whatever the zones' number)."""
    import numpy as np

    height, width = mask.shape
    empty = height * width
    right = mask[:, :-1] & mask[:, 1:]
    down = mask[:-1] & mask[1:]
    if level is not None:
        lv = np.asarray(level, dtype=np.float64)
        right &= np.abs(lv[:, :-1] - lv[:, 1:]) <= tolerance
        down &= np.abs(lv[:-1] - lv[1:]) <= tolerance
    labels = np.where(mask, np.arange(empty).reshape(height, width), empty)
    while True:
        new = labels.copy()
        new[:, :-1][right] = np.minimum(new[:, :-1][right], labels[:, 1:][right])
        new[:, 1:][right] = np.minimum(new[:, 1:][right], labels[:, :-1][right])
        new[:-1][down] = np.minimum(new[:-1][down], labels[1:][down])
        new[1:][down] = np.minimum(new[1:][down], labels[:-1][down])
        flat = new.ravel()
        for _ in range(4):  # a cell's label is a cell of its zone: take that cell's label
            inside = flat < empty
            flat[inside] = flat[flat[inside]]
        if np.array_equal(new, labels):
            break
        labels = new
    flat = labels.ravel()
    cells = np.flatnonzero(flat < empty)
    if cells.size == 0:
        return []
    order = cells[np.argsort(flat[cells], kind="stable")]
    bounds = np.flatnonzero(np.diff(flat[order])) + 1
    return [np.column_stack(divmod(group, width)) for group in np.split(order, bounds)]


def _min_pool(gray: Any) -> Any:
    """Half the resolution, keeping the darkest pixel of each 2x2 block (thin faint rules survive; the line
    search costs a quarter)."""
    h, w = (gray.shape[0] // 2) * 2, (gray.shape[1] // 2) * 2
    return gray[:h, :w].reshape(h // 2, 2, w // 2, 2).min(axis=(1, 3))


def gray_to_edges(gray: Any, scale: float, settings: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Ruled lines of a scanned table, as pdfplumber edges in points, for the same table finder as drawn
    lines: thin runs of ink on paper (no ink 1.5 pt on both sides: filled bands and text strokes are not
    lines), and thin light runs across dark bands (the separators of a header row printed light on dark).
    Runs are at least `line_min_length_pt` (horizontal, vertical) long."""
    import numpy as np

    # Ink relative to this page's paper (scans are grey, ruled lines faint): the paper is the 90th
    # percentile of the grey levels.
    # A second, absolute level finds the rules between shaded cells (a shade counts as ink at the first).
    paper = float(np.percentile(gray[:: 4, :: 4], 90))
    faint = gray < paper - float(settings["line_contrast"])
    ink = gray < int(settings["line_ink_level"])
    light = gray > int(settings["line_light_level"])
    dark = gray < int(settings["band_dark_level"])
    edges: list[dict[str, Any]] = []
    gap = max(int(1.5 * scale), 2)
    for axis, minimum in zip(("h", "v"), settings["line_min_length_pt"], strict=True):
        length = max(int(float(minimum) * scale), 8)
        t = (lambda a: a) if axis == "h" else (lambda a: a.T)  # noqa: E731  (rows are the lines' direction)
        for mask, flank, want in ((t(faint), t(faint), False), (t(ink), t(ink), False), (t(light), t(dark), True)):
            before = np.zeros(mask.shape, dtype=bool)
            after = np.zeros(mask.shape, dtype=bool)
            before[gap:] = flank[:-gap]
            after[:-gap] = flank[gap:]
            # Paper lines: not ink on both sides. Light lines in a band: dark on both sides.
            thin = _runs(mask, length) & ((before & after) if want else ~(before & after))
            edges.extend(_segments(thin, length, scale, axis))
        # Where one shade meets another (a header band above a band of another grey), with no rule between.
        levels = t(gray).astype(np.int16)
        step = np.zeros(levels.shape, dtype=bool)
        step[gap:-gap] = np.abs(levels[: -2 * gap] - levels[2 * gap:]) > int(settings["shade_step"])
        edges.extend(_segments(_runs(step, length), length, scale, axis))
        # Thin lines a little darker or lighter than both sides (the rules between shaded cells, the paper
        # between light grey cells), on grey levels averaged along the line (noise averages out, a rule not).
        run = 5
        total = np.cumsum(levels, axis=1, dtype=np.int32)
        smooth = np.zeros(levels.shape, dtype=np.float32)
        smooth[:, run:] = (total[:, run:] - total[:, :-run]) / run
        gap2 = gap
        middle = smooth[gap2:-gap2]
        for sign in (1, -1):
            between = np.zeros(levels.shape, dtype=bool)
            between[gap2:-gap2] = ((sign * (middle - smooth[: -2 * gap2]) > float(settings["line_step"]))
                                   & (sign * (middle - smooth[2 * gap2:]) > float(settings["line_step"])))
            if sign < 0:  # a darker line between shades, not the ground between light letters on a dark band
                between[gap2:-gap2] &= (smooth[: -2 * gap2] > int(settings["band_dark_level"])) \
                    & (smooth[2 * gap2:] > int(settings["band_dark_level"]))
            edges.extend(_segments(_runs(between, length), length, scale, axis))
    return tuple(edges)


def _runs(mask: Any, length: int) -> Any:
    """The pixels of `mask` that belong to a run of at least `length` along each row."""
    import numpy as np

    total = np.concatenate([np.zeros((mask.shape[0], 1), dtype=np.int32),
                            np.cumsum(mask, axis=1, dtype=np.int32)], axis=1)
    starts = np.zeros(mask.shape, dtype=np.int32)
    starts[:, : mask.shape[1] - length + 1] = (total[:, length:] - total[:, :-length]) == length
    # A pixel is covered when a full window starts within `length` before it.
    begun = np.cumsum(starts, axis=1)
    shifted = np.zeros(mask.shape, dtype=begun.dtype)
    shifted[:, length:] = begun[:, :-length]
    return (begun - shifted) > 0


def _segments(thin: Any, length: int, scale: float, axis: str) -> list[dict[str, Any]]:
    import numpy as np

    out: list[dict[str, Any]] = []
    for row in np.nonzero(thin.any(axis=1))[0]:
        change = np.flatnonzero(np.diff(np.concatenate([[0], thin[row].astype(np.int8), [0]])))
        for a, b in zip(change[::2], change[1::2], strict=True):
            if b - a < length:
                continue
            p, q, r = float(row) / scale, float(a) / scale, float(b) / scale
            x0, x1, top, bottom = (q, r, p, p) if axis == "h" else (p, p, q, r)
            out.append({"object_type": "line", "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
                        "width": x1 - x0, "height": bottom - top, "orientation": axis})
    return out


def skew_angle(image: Any, limit: float, step: float) -> float:
    """The rotation (degrees, counter-clockwise) that makes text lines horizontal: the angle whose row
    profile of ink is sharpest (projection profile), searched on a reduced copy of the page."""
    import numpy as np
    from PIL import Image, ImageOps

    if limit <= 0:
        return 0.0
    small = ImageOps.invert(image.reduce(4) if min(image.size) > 1200 else image)  # ink bright, paper 0
    small = small.point(lambda v: 255 if v > 96 else 0)
    best, best_score = 0.0, -1.0
    steps = int(round(limit / step))
    for k in range(-steps, steps + 1):
        angle = k * step
        rows = np.asarray(small.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)).sum(axis=1,
                                                                                               dtype=np.int64)
        score = float(np.square(np.diff(rows)).sum())
        if score > best_score:
            best, best_score = angle, score
    return round(best, 2)


def _tesseract(png: bytes, image: Any, settings: dict[str, Any], angle: float) -> dict[str, list[Any]]:
    """pytesseract's image_to_data, cached on disk by (image, Tesseract version, settings): re-running the
    extractor (a new version, `clsdata eval`) does not read the same page twice."""
    import pytesseract

    _configure()
    key = hashlib.sha256(b"\0".join([png, str(angle).encode(), str(pytesseract.get_tesseract_version()).encode(),
                                      str(settings["languages"]).encode(), str(settings["config"]).encode(),
                                      hashlib.sha256(image.tobytes()).digest()]))
    cache = cache_dir() / key.hexdigest()[:2] / f"{key.hexdigest()}.json"
    if cache.exists():
        with contextlib.suppress(OSError, ValueError):
            return json.loads(cache.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    try:
        data = pytesseract.image_to_data(image, lang=settings["languages"], config=settings["config"],
                                         output_type=pytesseract.Output.DICT,
                                         timeout=float(settings["page_timeout_s"]))
    except RuntimeError as exc:  # pytesseract's timeout
        raise OcrFailed(f"no result within {settings['page_timeout_s']} s: {exc}") from exc
    except (pytesseract.TesseractError, OSError, ValueError) as exc:
        raise OcrFailed(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    _write_json(cache, data)
    return data  # type: ignore[no-any-return]


@cache
def _fingerprint() -> str:
    """What an OCR page depends on besides its document: this module, the OCR rules, PDFium's and Tesseract's
    versions."""
    import pypdfium2
    import pytesseract

    _configure()
    parts = [Path(__file__).read_bytes(), (Path(__file__).parent / "rules" / "ocr.yaml").read_bytes(),
             str(pypdfium2.version.PDFIUM_INFO).encode(), str(pytesseract.get_tesseract_version()).encode()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def cached_page(document_sha256: str, number: int) -> OcrPage | None:
    """A page of this document read before with the same code, rules and engines (re-runs and `clsdata eval`
    then skip rendering and image work, not only Tesseract)."""
    path = _page_path(document_sha256, number)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    words = tuple(Word(w[0], Box(*w[1]), FONT, w[2], w[3], confidence=w[4]) for w in data["words"])
    marks = tuple(Mark(Box(*m), "dot") for m in data.get("marks", ()))
    return OcrPage(words, data["confidence"], tuple(data["edges"]), marks)


def store_page(document_sha256: str, number: int, page: OcrPage) -> None:
    path = _page_path(document_sha256, number)
    data = {"words": [[w.text, [w.box.x0, w.box.top, w.box.x1, w.box.bottom], w.size, w.bold, w.confidence]
                      for w in page.words], "confidence": page.confidence, "edges": list(page.edges),
            "marks": [[m.box.x0, m.box.top, m.box.x1, m.box.bottom] for m in page.marks]}
    _write_json(path, data)


def _write_json(path: Path, data: object) -> None:
    """A cache entry, written whole or not at all (a failed write only costs a later recomputation)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)


def _page_path(document_sha256: str, number: int) -> Path:
    return cache_dir() / "pages" / _fingerprint()[:16] / document_sha256[:2] / f"{document_sha256}-{number}.json"


def cache_dir() -> Path:
    """Where OCR results are kept: $CLSDATA_OCR_CACHE, else $XDG_CACHE_HOME/clsdata/ocr (~/.cache/...)."""
    return current().ocr_cache_dir


_NUMBER = re.compile(r"^\d{1,3}[.)]?$")
_ASCENDING = set("bdfhklt0123456789ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŒÆàâäéèêëîïôöùûüœ'\"«»()[]/!?%&")
_DESCENDING = set("gjpqyç,;()[]/")


def _extent(text: str) -> float:
    """How much of the font size a line's ink spans, from its letters: x-height only (~0.52 em), with
    ascenders or capitals or descenders (~0.73), with both (~0.94). A line's height / this = its font size.
    (The fallback when the line's ink cannot be measured: `_band`.)"""
    up = any(c.isupper() or c in _ASCENDING for c in text)
    down = any(c in _DESCENDING for c in text)
    return 0.94 if up and down else 0.73 if up or down else 0.52


def _wordlike(text: str) -> bool:
    """Letters enough to be a word: Tesseract gives some well-read words (an apostrophe, a rare word) a
    confidence near 0; specks, stamps and signatures read as symbols are not kept on a low confidence."""
    letters = sum(c.isalpha() for c in text)
    return letters >= 2 and letters >= 0.6 * len(text)


@dataclass(frozen=True, slots=True)
class _Levels:
    """A scanned page's grey levels: its paper, and the level halfway between paper and print (a stroke's
    edge under blur: widths and heights measured at this level do not grow with the blur)."""

    paper: float
    half: float


def _levels(gray: Any) -> _Levels:
    import numpy as np

    sample = gray[::3, ::3]
    paper = float(np.percentile(sample, 90))
    dark = float(np.percentile(sample, 0.5))
    return _Levels(paper, paper - 0.5 * max(paper - dark, 40.0))


def _band(gray: Any, levels: _Levels, x0: int, top: int, x1: int, bottom: int) -> tuple[float, float] | None:
    """The densest band of a text line's ink, rows (top, bottom) in pixels at half height of the row profile:
    the x-height band of lower-case text (x-line to baseline), the cap band of capitals and figures. Measured
    at half height, a blurred edge is where the sharp one was."""
    import numpy as np

    height = bottom - top
    if height < 6 or x1 - x0 < 4:
        return None
    y0, y1 = max(top - height // 4, 0), min(bottom + height // 4 + 1, gray.shape[0])
    crop = gray[y0:y1, max(x0, 0):x1].astype(np.float32)
    profile = np.clip(levels.paper - crop, 0, None).sum(axis=1)
    # Rows inked nearly all along (an underline, a strike, a rule under a link) are not letters.
    profile[(crop < levels.half).mean(axis=1) > 0.7] = 0.0
    if profile.size < 5 or float(profile.max()) <= 0:
        return None
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    peak = int(np.argmax(smooth))
    half = 0.5 * float(smooth[peak])
    a = peak
    while a > 0 and smooth[a - 1] >= half:
        a -= 1
    b = peak
    while b < len(smooth) - 1 and smooth[b + 1] >= half:
        b += 1
    # Sub-pixel crossings (linear between the rows either side of half height).
    lo = a - 1 + (half - smooth[a - 1]) / max(smooth[a] - smooth[a - 1], 1e-6) if a > 0 else float(a)
    hi = b + (smooth[b] - half) / max(smooth[b] - smooth[b + 1], 1e-6) if b < len(smooth) - 1 else float(b)
    return y0 + lo + 0.5, y0 + hi + 0.5


def _snap(sizes: list[float], weights: list[int], tolerance: float) -> list[float]:
    """One size per print size: the most common measured sizes within a window `tolerance` wide (a share)
    take their median (the characters' median), then the next most common, and so on. A
    text layer gives each run of text its font's size; measured sizes scatter by a few percent."""
    out = [0.0] * len(sizes)
    left = sorted(range(len(sizes)), key=lambda k: sizes[k])
    while left:
        best: tuple[int, int, int] | None = None  # weight, first, last (positions in `left`)
        j = 0
        for i in range(len(left)):
            while sizes[left[j]] < sizes[left[i]] * (1 - tolerance):
                j += 1
            weight = sum(weights[left[k]] for k in range(j, i + 1))
            if best is None or weight > best[0]:
                best = (weight, j, i)
        assert best is not None
        _, first, last = best
        members = left[first:last + 1]
        expanded = [sizes[k] for k in members for _ in range(max(weights[k], 1))]
        centre = statistics.median(expanded)
        for k in members:
            out[k] = round(float(centre) * 2) / 2
        left = left[:first] + left[last + 1:]
    return out


def _stroke(gray: Any, levels: _Levels, x0: int, top: int, x1: int, bottom: int) -> float | None:
    """The mean stroke width of a word's ink in pixels: twice its area over its outline's length."""
    import numpy as np

    ink = gray[max(top, 0):bottom + 1, max(x0, 0):x1 + 1] < levels.half
    area = int(ink.sum())
    if area < 8:
        return None
    outline = int(np.count_nonzero(ink[:, 1:] != ink[:, :-1]) + np.count_nonzero(ink[1:] != ink[:-1]))
    outline += 2 * int(ink[:, 0].sum() + ink[0].sum())
    return 2.0 * area / max(outline, 1)


def gray_to_dots(gray: Any, scale: float, levels: _Levels, settings: dict[str, Any],
                 min_fill: float = 0.7) -> list[Box]:
    """Small solid shapes standing alone (drawn list bullets, table ticks ●), in points: ink that stays in runs
    of `dot_min_pt` both across and down (letters' strokes are thinner), a box `dot_min_pt`-`dot_max_pt` wide
    and about as tall, mostly filled, with paper around it."""
    import numpy as np

    low, high = (float(v) for v in settings["dot_size_pt"])
    ink = gray < levels.half
    s = max(int(round(low * scale)), 3)
    solid = _runs(ink, s) & _runs(ink.T, s).T
    rows = np.flatnonzero(solid.any(axis=1))
    if rows.size == 0:
        return []
    # Connected pieces of `solid`, by runs (union-find on runs that touch from one row to the next).
    runs: list[tuple[int, int, int]] = []  # row, start, end (exclusive)
    for r in rows.tolist():
        change = np.flatnonzero(np.diff(np.concatenate([[0], solid[r].astype(np.int8), [0]])))
        runs.extend((int(r), int(a), int(b)) for a, b in zip(change[::2], change[1::2], strict=True))
        if len(runs) > 50_000:  # a photograph or a dark page: no dots to find there
            return []
    parent = list(range(len(runs)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    by_row: dict[int, list[int]] = {}
    for k, (r, a, b) in enumerate(runs):
        for m in by_row.get(r - 1, ()):
            if runs[m][1] < b and a < runs[m][2]:
                parent[find(k)] = find(m)
        by_row.setdefault(r, []).append(k)
    pieces: dict[int, list[int]] = {}
    for k, (r, a, b) in enumerate(runs):
        root = find(k)
        box = pieces.setdefault(root, [a, r, b, r + 1])
        box[0], box[1], box[2], box[3] = min(box[0], a), min(box[1], r), max(box[2], b), max(box[3], r + 1)
    out = []
    height, width = ink.shape
    for x0, y0, x1, y1 in pieces.values():
        # The shape's own box: its ink around the solid piece (a disc's rim is thinner than `s`).
        wx0, wy0, wx1, wy1 = max(x0 - s, 0), max(y0 - s, 0), min(x1 + s, width), min(y1 + s, height)
        window = ink[wy0:wy1, wx0:wx1]
        cols = np.flatnonzero(window[(y0 - wy0):(y1 - wy0)].any(axis=0))
        rws = np.flatnonzero(window[:, (x0 - wx0):(x1 - wx0)].any(axis=1))
        if cols.size == 0 or rws.size == 0:
            continue
        bx0, bx1, by0, by1 = wx0 + cols[0], wx0 + cols[-1] + 1, wy0 + rws[0], wy0 + rws[-1] + 1
        w, h = (bx1 - bx0) / scale, (by1 - by0) / scale
        if not (low <= w <= high and low <= h <= high) or abs(w - h) > 0.35 * max(w, h):
            continue
        fill = float(ink[by0:by1, bx0:bx1].mean())
        pad = max(int(0.6 * max(bx1 - bx0, by1 - by0)), 2)
        rx0, ry0, rx1, ry1 = max(bx0 - pad, 0), max(by0 - pad, 0), min(bx1 + pad, width), min(by1 + pad, height)
        ring = int(ink[ry0:ry1, rx0:rx1].sum()) - int(ink[by0:by1, bx0:bx1].sum())
        ring_area = (rx1 - rx0) * (ry1 - ry0) - (bx1 - bx0) * (by1 - by0)
        if fill >= min_fill and ring <= 0.06 * max(ring_area, 1):
            out.append(Box(float(bx0) / scale, float(by0) / scale, float(bx1) / scale, float(by1) / scale))
    return out


def data_to_ocr_page(data: dict[str, list[object]], scale: float, min_confidence: float, gray: Any = None,
                     settings: dict[str, Any] | None = None) -> OcrPage:
    """pytesseract's image_to_data (dict of columns) and the page's grey image -> words, as a text layer has
    them: a line's words share its box (one font size tall from the descent below its baseline), sizes
    measured from the ink and snapped to the page's print sizes, bold from the strokes' width; drawn dots as
    marks (a bullet before a line) or "●" words (a tick standing alone). Without the image, sizes come from
    Tesseract's boxes and nothing is bold."""
    settings = settings or ocr_rules()["ocr"]
    lines: dict[tuple[int, int, int], list[tuple[str, float, float, float, float, float]]] = {}
    for k, text in enumerate(data["text"]):
        text = str(text).strip()
        conf = float(data["conf"][k])  # type: ignore[arg-type]
        if int(data["level"][k]) != 5 or not text:  # type: ignore[call-overload]
            continue
        if conf < 0 or (conf < min_confidence and not _wordlike(text) and not _NUMBER.match(text)):
            continue  # (a lone number is kept: a list's "1.", a numbered circle, a page number, a tile's "20")
        text = text.strip("_") or text  # underscores: specks and rules under a word
        if set(text) <= set("_|"):
            continue
        left, top = float(data["left"][k]), float(data["top"][k])  # type: ignore[arg-type]
        width, height = float(data["width"][k]), float(data["height"][k])  # type: ignore[arg-type]
        key = (int(data["block_num"][k]), int(data["par_num"][k]), int(data["line_num"][k]))  # type: ignore[call-overload]
        lines.setdefault(key, []).append((text, conf, left, top, left + width, top + height))
    levels = _levels(gray) if gray is not None else None
    # Dots are looked for at half the resolution (the darkest pixel of each 2x2: a quarter of the work).
    dots = gray_to_dots(_min_pool(gray), scale / 2, levels, settings) if gray is not None and levels is not None \
        else []
    bullets = set(settings["bullet_like"])

    def read_as_dot(e: tuple[str, float, float, float, float, float]) -> bool:
        """A dot Tesseract read as a letter or symbol ('e', '°', '+'…): short, and its box is the dot's."""
        if not dots or not (e[0] in bullets or not any(c.isalnum() for c in e[0])):
            return False
        box = Box(e[2] / scale, e[3] / scale, e[4] / scale, e[5] / scale)
        return any(d.x_overlap(box) > 0.5 * min(d.width, box.width) and d.y_overlap(box) > 0.6 * box.height
                   for d in dots)

    measured: list[tuple[list[tuple[str, float, float, float, float, float]], float, float]] = []
    # A lone guess at confidence ~0 just left of a line (a list's mark or number read as 'EVA') is that
    # line's bullet.
    for key, entries in list(lines.items()):
        if len(entries) != 1 or entries[0][1] >= min_confidence / 3:
            continue
        e = entries[0]
        height = e[5] - e[3]
        for other_key, other in lines.items():
            f = other[0]
            if other_key != key and len(other) > 1 and 0 < f[2] - e[4] < 3 * height \
                    and abs((f[3] + f[5]) - (e[3] + e[5])) < height:
                side = min(height, e[4] - e[2])
                lines[other_key] = [("•", 100.0, e[4] - side, f[3], e[4], f[5]), *other]
                break
    paragraphs: list[tuple[int, int]] = []
    for key, entries in lines.items():
        entries = [e for e in entries if not read_as_dot(e)]
        if not entries or (len(entries) == 1 and entries[0][1] < min_confidence / 3):
            continue  # a lone guess at confidence ~0 (a list's mark or number read as 'EVA'), not a word
        text = "".join(e[0] for e in entries)
        top, bottom = min(e[3] for e in entries), max(e[5] for e in entries)
        # Each word of four letters or more measured on its own (a numbered circle or a tall bracket in the
        # line does not count), the line taking the median.
        found: list[tuple[float, float]] = []
        for e in entries if levels is not None and settings["size_from_ink"] else ():
            assert levels is not None
            letters = [c for c in e[0] if c.isalpha()]
            if len(letters) < 4:  # (a short word's capital can make its densest band the capitals')
                continue
            ratio = float(settings["x_height"] if sum(c.islower() for c in letters) >= 0.5 * len(letters)
                          else settings["cap_height"])
            band = _band(gray, levels, int(e[2]), int(e[3]), int(e[4]), int(e[5]))
            if band is not None and 0.6 <= (e[5] - e[3]) / ((band[1] - band[0]) / ratio) <= 1.2:
                found.extend([((band[1] - band[0]) / scale / ratio, band[1] / scale)] * len(letters))
        if found:
            size, baseline = statistics.median(f[0] for f in found), statistics.median(f[1] for f in found)
        else:
            # Tesseract's boxes: the line's ink height over the share of the size its letters span; the
            # baseline is the ink's bottom, above descenders if any.
            size = statistics.median((e[5] - e[3]) / scale / _extent(e[0]) for e in entries)
            baseline = bottom / scale - (DESCENT * size if any(c in _DESCENDING for c in text) else 0.0)
        if size < float(settings["min_size_pt"]):
            continue  # specks and the remains of a rule read as letters
        measured.append((entries, size, baseline))
        paragraphs.append(key[:2])
    # Bold by line: a line's words share its strokes' width, but for a line that mixes weights (a bold
    # lead-in), words of four letters or more are judged one by one.
    strokes = [_stroke(gray, levels, int(min(e[2] for e in m[0])), int(min(e[3] for e in m[0])),
                       int(max(e[4] for e in m[0])), int(max(e[5] for e in m[0]))) if gray is not None
               and levels is not None else None for m in measured]
    line_bold = _bold_by_stroke([s / (m[1] * scale) if s else None for s, m in zip(strokes, measured, strict=True)],
                                [len("".join(e[0] for e in m[0])) for m in measured],
                                float(settings["bold_stroke_ratio"]))
    usual = _usual_stroke([s / (m[1] * scale) if s else None for s, m in zip(strokes, measured, strict=True)],
                          [len("".join(e[0] for e in m[0])) for m in measured])
    # Words of four letters or more judged one by one; a line is bold when most of their letters are.
    word_bold: dict[tuple[int, int], bool] = {}
    ratio = float(settings["bold_stroke_ratio"])
    for k, (entries, raw, _) in enumerate(measured):
        if not usual:
            break
        votes = [0, 0]
        for j, e in enumerate(entries):
            count = sum(c.isalpha() for c in e[0])
            stroke = _stroke(gray, levels, int(e[2]), int(e[3]), int(e[4]), int(e[5])) \
                if count >= 4 and levels is not None else None
            if stroke is not None:
                word_bold[(k, j)] = bool(stroke / (raw * scale) >= ratio * usual)
                votes[word_bold[(k, j)]] += count
        if sum(votes):
            line_bold[k] = votes[1] > votes[0]
    # One size per paragraph (as Tesseract groups lines) and weight: a line measured a fifth off its
    # paragraph's size is the paragraph's size misread, not another print size.
    groups: dict[tuple[tuple[int, int], bool], list[int]] = {}
    for k, par in enumerate(paragraphs):
        groups.setdefault((par, line_bold[k]), []).append(k)
    raw_sizes = [m[1] for m in measured]
    for members in groups.values():
        if len(members) < 2:
            continue
        typical = statistics.median(raw_sizes[k] for k in members for _ in range(max(len(measured[k][0]), 1)))
        for k in members:
            if 0.8 * typical <= raw_sizes[k] <= 1.25 * typical:
                measured[k] = (measured[k][0], typical, measured[k][2])
    # ... and lines stacked as one paragraph (left edges aligned, a line's gap apart, one weight) likewise.
    lefts = [min(e[2] for e in m[0]) / scale for m in measured]
    chain = list(range(len(measured)))

    def root(k: int) -> int:
        while chain[k] != k:
            k = chain[k]
        return k

    order = sorted(range(len(measured)), key=lambda k: measured[k][2])
    for i, k in enumerate(order):
        size_k = measured[k][1]
        for j in order[i + 1:]:
            drop = measured[j][2] - measured[k][2]
            if drop - measured[j][1] > 0.8 * size_k:
                break
            if line_bold[j] == line_bold[k] and abs(lefts[j] - lefts[k]) <= 0.5 * size_k and drop > 0.5 * size_k \
                    and 0.8 * size_k <= measured[j][1] <= 1.25 * size_k:
                chain[root(j)] = root(k)
                break
    chains: dict[int, list[int]] = {}
    for k in range(len(measured)):
        chains.setdefault(root(k), []).append(k)
    for members in chains.values():
        if len(members) > 1:
            typical = statistics.median(measured[k][1] for k in members for _ in range(max(len(measured[k][0]), 1)))
            for k in members:
                measured[k] = (measured[k][0], typical, measured[k][2])
    sizes = [0.0] * len(measured)
    for weight in (True, False):  # sizes snap among lines of one weight (a bold heading stays apart)
        group = [k for k in range(len(measured)) if line_bold[k] == weight]
        snapped = _snap([measured[k][1] for k in group], [len("".join(e[0] for e in measured[k][0])) for k in group],
                        float(settings["size_tolerance"]))
        for k, size in zip(group, snapped, strict=True):
            sizes[k] = size
    words: list[Word] = []
    judged: list[bool] = []
    for k, ((entries, _, baseline), size) in enumerate(zip(measured, sizes, strict=True)):
        # Boxes as a text layer has them (pdfminer: from the descent below the baseline, one size tall), so
        # that line spacing reads the same.
        box_bottom = baseline + DESCENT * size
        for j, (word, conf, x0, _, x1, _) in enumerate(entries):
            if j == 0 and len(entries) > 1 and word in bullets and (entries[1][2] - x1) / scale > 0.3 * size:
                word = "•"  # a drawn bullet read as a letter ('e', '°'…): the line is a list item
            bold = word_bold.get((k, j), line_bold[k])
            words.append(Word(word, Box(x0 / scale, box_bottom - size, x1 / scale, box_bottom), FONT, size, bold,
                              confidence=round(conf, 1)))
            judged.append((k, j) in word_bold)
    # A short word (Tesseract may make it a line of its own) takes the weight of the nearest judged word on
    # its row, within two sizes.
    for n, w in enumerate(words):
        if judged[n]:
            continue
        near = [(min(abs(v.box.x0 - w.box.x1), abs(w.box.x0 - v.box.x1)), v.bold) for m, v in enumerate(words)
                if judged[m] and abs(v.box.bottom - w.box.bottom) < 0.3 * w.size
                and min(abs(v.box.x0 - w.box.x1), abs(w.box.x0 - v.box.x1)) < 2 * w.size]
        if near:
            words[n] = replace(w, bold=min(near)[1])
    marks: list[Mark] = []
    for d in dots:
        if any(w.box.x_overlap(d) > 0 and w.box.y_overlap(d) > 0 for w in words):
            continue  # a period, a dot inside a word: the word's own
        beside = [w for w in words if 0 <= w.box.x0 - d.x1 <= 3 * w.size and w.box.top <= (d.top + d.bottom) / 2
                  <= w.box.bottom]
        if beside:
            # A bullet is centred above the baseline; a period (of the line before, or a stray) sits on it.
            baseline = beside[0].box.bottom - DESCENT * beside[0].size
            if baseline - (d.top + d.bottom) / 2 >= 0.15 * beside[0].size:
                marks.append(Mark(d, "dot"))
        else:
            size = round(d.height / float(settings["cap_height"]) * 2) / 2
            words.append(Word("●", Box(d.x0, d.bottom - size + DESCENT * size, d.x1, d.bottom + DESCENT * size),
                              FONT, size, False, confidence=None))
    confidences = [w.confidence for w in words if w.confidence is not None]
    return OcrPage(tuple(words), round(statistics.fmean(confidences), 1) if confidences else None, (),
                   tuple(marks))


def _usual_stroke(strokes: list[float | None], weights: list[int]) -> float | None:
    """The page's usual stroke width over font size: the median over its lines' letters."""
    known = [(v, n) for v, n in zip(strokes, weights, strict=True) if v is not None]
    return statistics.median(v for v, n in known for _ in range(max(min(n, 60), 1))) if known else None


def _bold_by_stroke(strokes: list[float | None], weights: list[int], ratio: float) -> list[bool]:
    """Bold lines: their strokes (width over font size) `ratio` times as wide as the page's usual ones.
    Tesseract knows no fonts; headings in bold are what the block rules look for."""
    usual = _usual_stroke(strokes, weights)
    return [bool(usual is not None and v is not None and v >= ratio * usual) for v in strokes]
