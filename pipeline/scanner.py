"""A scanner in software (issue #8, #16): a PDF -> the same pages as an office scanner would give them back,
as JPEG images without a text layer. Used to test OCR on every fixture (`tests/test_scanned_twins.py`) and to
build the scanned fixture variants (`scripts/make_scans.py`).

Each page is rasterised by PDFium in grayscale at the scan's resolution, then printed on slightly grey paper
(black and white levels lifted), turned by a small angle, blurred, speckled with Gaussian noise under a faint
uneven-illumination gradient and JPEG-compressed. Output is deterministic: the same PDF, settings and seed give
the same bytes (as long as PDFium, Pillow's libjpeg and numpy do not change).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.pdfium import images_to_pdf, render_gray_pages


@dataclass(frozen=True, slots=True)
class ScanLook:
    """How a scan looks. A field left None is drawn from the seeded generator in its usual range (the order of
    the draws is fixed: a given seed gives the same look whichever fields are set)."""

    dpi: int = 200
    quality: int | None = None  # JPEG quality (drawn: 55-70)
    skew: float | None = None  # degrees, counter-clockwise (drawn: ±0.4-1.2)
    noise: float | None = None  # Gaussian noise sigma in grey levels (drawn: 4.5-5.5)
    blur: float | None = None  # Gaussian blur radius in pixels (drawn: 0.5-0.8)


def twin_seed(name: str, dpi: int) -> int:
    """A stable seed for a document's scanned twin at `dpi` (the same twin in every test session)."""
    return int.from_bytes(hashlib.sha256(f"{name}@{dpi}".encode()).digest()[:4], "big")


def image_to_scan_jpeg(image: Any, rng: Any, look: ScanLook) -> bytes:
    """A grayscale page image (PIL) -> the JPEG a scanner gives: grey paper, skew, optical blur, sensor noise,
    uneven lighting and JPEG compression."""
    import numpy as np
    from PIL import Image, ImageFilter

    black, white = rng.uniform(18, 32), rng.uniform(234, 244)
    image = image.point(lambda v: round(black + v * (white - black) / 255))
    angle = rng.uniform(0.4, 1.2) * rng.choice([-1, 1])
    angle = angle if look.skew is None else look.skew
    image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=round(white))
    blur = rng.uniform(0.5, 0.8)
    image = image.filter(ImageFilter.GaussianBlur(blur if look.blur is None else look.blur))
    page = np.asarray(image, dtype=np.float32)
    rows, cols = page.shape
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(direction) * np.linspace(-0.5, 0.5, cols)[None, :]
            + np.sin(direction) * np.linspace(-0.5, 0.5, rows)[:, None])
    lighting = rng.uniform(4, 8) * ramp
    sigma = rng.uniform(4.5, 5.5)
    page = page + lighting + rng.normal(0, sigma if look.noise is None else look.noise, page.shape)
    quality = int(rng.integers(55, 71))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(page, 0, 255).round().astype(np.uint8)).save(
        buffer, "JPEG", quality=quality if look.quality is None else look.quality, optimize=True,
        dpi=(look.dpi, look.dpi))
    return buffer.getvalue()


def pdf_to_scanned_pdf(data: bytes, look: ScanLook, seed: int, *, typed_pages: int = 0,
                       mark_last: Callable[[Any, Any], Any] | None = None,
                       creator: bytes = b"clsdata scanner") -> bytes:
    """A PDF (bytes) -> its scanned twin (bytes): every page after the first `typed_pages` (kept as they are)
    becomes one grayscale JPEG at `look.dpi` filling the original page's size, with no text layer.
    `mark_last(image, rng)` may draw on the last page before it is scanned (a stamp, a signature)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pages = list(render_gray_pages(data, look.dpi, typed_pages))
    jpegs = []
    for k, (image, _) in enumerate(pages):
        if mark_last is not None and k == len(pages) - 1:
            image = mark_last(image, rng)
        jpegs.append(image_to_scan_jpeg(image, rng, look))
    return images_to_pdf(data, typed_pages, jpegs, creator)


def twin_sources(fixtures: Path) -> list[Path]:
    """Every fixture's text-layer PDF: `fixtures/*/source.pdf` except the scanned variants themselves (their
    gold.yaml links to their original's, or their provenance says `text_origin: scan`)."""
    import yaml

    out = []
    for pdf in sorted(fixtures.glob("*/source.pdf")):
        if (pdf.parent / "gold.yaml").is_symlink() or not (pdf.parent / "gold.yaml").exists():
            continue
        provenance = pdf.parent / "provenance.yaml"
        if provenance.exists() and (yaml.safe_load(provenance.read_text(encoding="utf-8")) or {}).get(
                "text_origin") == "scan":
            continue
        out.append(pdf)
    return out
