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
import statistics
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.model import Box, Word
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


def _configure() -> None:
    import pytesseract

    pytesseract.pytesseract.tesseract_cmd = os.environ.get("CLSDATA_TESSERACT", "tesseract")
    # One thread per Tesseract: parallelism comes from workers; Tesseract's OpenMP threads on a shared
    # machine make each page 2-3x slower.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def workers() -> int:
    """How many pages of a document Tesseract reads at once: $CLSDATA_OCR_WORKERS, else the cores this
    process may use (one Tesseract thread each; a run's Dask workers each read their own documents)."""
    value = os.environ.get("CLSDATA_OCR_WORKERS", "")
    if value.strip():
        try:
            return max(1, int(value))
        except ValueError:
            pass
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@cache
def unavailable() -> str | None:
    """None when Tesseract and its French data are installed; else why OCR cannot run (said once per
    process, recorded on every page that needed it)."""
    if os.environ.get("CLSDATA_OCR", "on").lower() in {"off", "0", "false", "no"}:
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
    data = _tesseract(png, image, settings, angle)
    page = data_to_ocr_page(data, scale, float(settings["min_word_confidence"]))
    ink = np.asarray(image) < 128
    return OcrPage(_bold_by_ink(page.words, ink, scale, float(settings["bold_ink_ratio"])), page.confidence,
                   gray_to_edges(_min_pool(np.asarray(image)), scale / 2, settings))


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


def _tesseract(png: bytes, image: Any, settings: dict[str, Any], angle: float) -> dict[str, list[object]]:
    """pytesseract's image_to_data, cached on disk by (image, Tesseract version, settings): re-running the
    extractor (a new version, `clsdata eval`) does not read the same page twice."""
    import pytesseract

    _configure()
    key = hashlib.sha256(b"\0".join([png, str(angle).encode(), str(pytesseract.get_tesseract_version()).encode(),
                                      str(settings["languages"]).encode(), str(settings["config"]).encode()]))
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
    return OcrPage(words, data["confidence"], tuple(data["edges"]))


def store_page(document_sha256: str, number: int, page: OcrPage) -> None:
    path = _page_path(document_sha256, number)
    data = {"words": [[w.text, [w.box.x0, w.box.top, w.box.x1, w.box.bottom], w.size, w.bold, w.confidence]
                      for w in page.words], "confidence": page.confidence, "edges": list(page.edges)}
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
    if os.environ.get("CLSDATA_OCR_CACHE"):
        return Path(os.environ["CLSDATA_OCR_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clsdata" / "ocr"


def _bold_by_ink(words: tuple[Word, ...], ink: Any, scale: float, ratio: float) -> tuple[Word, ...]:
    """Bold words: their ink density (dark pixels in the word's box) is `ratio` times the page's median.
    Tesseract knows no fonts; headings in bold are what the block rules look for."""
    if not words:
        return words
    height, width = ink.shape
    density = []
    for w in words:
        x0, x1 = max(int(w.box.x0 * scale), 0), min(int(w.box.x1 * scale) + 1, width)
        y0, y1 = max(int(w.box.top * scale), 0), min(int(w.box.bottom * scale) + 1, height)
        density.append(float(ink[y0:y1, x0:x1].mean()) if x1 > x0 and y1 > y0 else 0.0)
    median = statistics.median(density)
    return tuple(replace(w, bold=median > 0 and d >= ratio * median) for w, d in zip(words, density, strict=True))


_ASCENDING = set("bdfhklt0123456789ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŒÆàâäéèêëîïôöùûüœ'\"«»()[]/!?%&")
_DESCENDING = set("gjpqyç,;()[]/")


def _extent(text: str) -> float:
    """How much of the font size a line's ink spans, from its letters: x-height only (~0.52 em), with
    ascenders or capitals or descenders (~0.73), with both (~0.94). A line's height / this = its font size."""
    up = any(c.isupper() or c in _ASCENDING for c in text)
    down = any(c in _DESCENDING for c in text)
    return 0.94 if up and down else 0.73 if up or down else 0.52


def _wordlike(text: str) -> bool:
    """Letters enough to be a word: Tesseract gives some well-read words (an apostrophe, a rare word) a
    confidence near 0; specks, stamps and signatures read as symbols are not kept on a low confidence."""
    letters = sum(c.isalpha() for c in text)
    return letters >= 2 and letters >= 0.6 * len(text)


def data_to_ocr_page(data: dict[str, list[object]], scale: float, min_confidence: float) -> OcrPage:
    """pytesseract's image_to_data (dict of columns) -> words. A word's box spans its line's height, so the
    words of a line group as one line downstream, and its size is that height."""
    lines: dict[tuple[int, int, int], list[tuple[str, float, float, float, float, float]]] = {}
    for k, text in enumerate(data["text"]):
        text = str(text).strip()
        conf = float(data["conf"][k])  # type: ignore[arg-type]
        if int(data["level"][k]) != 5 or not text:  # type: ignore[call-overload]
            continue
        if conf < 0 or (conf < min_confidence and not _wordlike(text)):
            continue
        left, top = float(data["left"][k]), float(data["top"][k])  # type: ignore[arg-type]
        width, height = float(data["width"][k]), float(data["height"][k])  # type: ignore[arg-type]
        key = (int(data["block_num"][k]), int(data["par_num"][k]), int(data["line_num"][k]))  # type: ignore[call-overload]
        lines.setdefault(key, []).append((text, conf, left, top, left + width, top + height))
    bullets = set(ocr_rules()["ocr"]["bullet_like"])
    words: list[Word] = []
    for entries in lines.values():
        top, bottom = min(e[3] for e in entries) / scale, max(e[5] for e in entries) / scale
        # The line's size: the median of its words' (a word's height over the share of the size its letters
        # span), to the half point. Robust to a capital, a parenthesis or a short line.
        size = round(statistics.median((e[5] - e[3]) / scale / _extent(e[0]) for e in entries) * 2) / 2
        # Boxes as a text layer has them (pdfminer: from the descent below the baseline, one size tall), so
        # that line spacing reads the same: the baseline is the ink's bottom, above descenders if any.
        text = "".join(e[0] for e in entries)
        baseline = bottom - (DESCENT * size if any(c in _DESCENDING for c in text) else 0.0)
        box_bottom = baseline + DESCENT * size
        for k, (word, conf, x0, _, x1, _) in enumerate(entries):
            if k == 0 and len(entries) > 1 and word in bullets and (entries[1][2] - x1) / scale > 0.3 * size:
                word = "•"  # a drawn bullet read as a letter ('e', '«', '°'…): the line is a list item
            words.append(Word(word, Box(x0 / scale, box_bottom - size, x1 / scale, box_bottom), FONT, size, False,
                              confidence=round(conf, 1)))
    confidences = [w.confidence for w in words if w.confidence is not None]
    return OcrPage(tuple(words), round(statistics.fmean(confidences), 1) if confidences else None)
