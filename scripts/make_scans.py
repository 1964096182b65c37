"""Build scanned (image-only) variants of typed fixtures, for OCR tests.

Usage: python scripts/make_scans.py [SLUG ...]     (all scan fixtures of SPECS by default)

Each scanned page of fixtures/<original>/source.pdf goes through the software scanner of `pipeline/scanner.py`
(rasterised by PDFium in grayscale, printed on slightly grey paper, turned by a small angle, blurred, speckled with
Gaussian noise under a faint uneven-illumination gradient, JPEG-compressed); before that, the last page gets a rubber
stamp and a handwritten signature (placed in the whitest spot of the bottom fifth of the page). The PDF written to
fixtures/<slug>/source.pdf has one JPEG image per scanned page filling the original page size, and no text layer; a
mixed document keeps its leading typed pages as the original vector pages. Output is deterministic (fixed seed per
fixture, no timestamps, a document ID derived from the content): a rebuild gives the same sha256 as long as PDFium,
Pillow (libjpeg) and numpy do not change. The same scanner makes the scanned twins of every fixture for
tests/test_scanned_twins.py.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from pipeline.scanner import ScanLook, pdf_to_scanned_pdf

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
STAMP_LINE = "ARS — Délégation territoriale"
INK_THRESHOLD = 160  # a pixel darker than this counts as print when looking for white space
MOSTLY_WHITE = 0.01  # largest share of print pixels a stamp or signature box may cover in the bottom fifth
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class ScanSpec:
    slug: str
    original: str
    dpi: int
    seed: int
    department: str  # second line of the rubber stamp
    typed_pages: int = 0  # leading pages copied unchanged as vector pages; the others are scanned


SPECS = {
    spec.slug: spec
    for spec in (
        ScanSpec("ernee-bocage-mayennais-scan", "ernee-bocage-mayennais", dpi=200, seed=5301,
                 department="de la Mayenne"),
        ScanSpec("le-mans-metropole-scan", "le-mans-metropole", dpi=300, seed=5302, department="de la Sarthe"),
        ScanSpec("saint-leu-scan", "saint-leu", dpi=150, seed=5303, department="de La Réunion"),
        ScanSpec("est-cantal-mixed", "est-cantal", dpi=200, seed=5304, department="du Cantal", typed_pages=4),
    )
}


def mm(length: float, dpi: int) -> int:
    return round(length / MM_PER_INCH * dpi)


def font(path: Path, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def whitest_box(ink: np.ndarray, size: tuple[int, int], rng: np.random.Generator, margin: int) -> tuple[int, int]:
    """Top-left corner of a box of `size` (width, height), with a clearance of margin / 4 around it, over few print
    pixels: centred in the bottom fifth of the page if a mostly white box fits there, else anywhere on the page.
    Among the near-whitest boxes one is drawn at random."""
    clearance = margin // 4
    width, height = size[0] + 2 * clearance, size[1] + 2 * clearance
    rows, cols = ink.shape
    table = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    table[1:, 1:] = ink.cumsum(0).cumsum(1)
    step = max(1, clearance)
    ys = np.arange(margin, rows - margin - height, step)
    xs = np.arange(margin, cols - margin - width, step)
    counts = (table[ys[:, None] + height, xs[None, :] + width] - table[ys[:, None], xs[None, :] + width]
              - table[ys[:, None] + height, xs[None, :]] + table[ys[:, None], xs[None, :]])
    share = counts / (width * height)
    bottom = ys + height / 2 >= rows * 0.8
    if bottom.any() and share[bottom].min() <= MOSTLY_WHITE:
        share = np.where(bottom[:, None], share, np.inf)
    candidates = np.argwhere(share <= share.min() + 0.002)
    y_index, x_index = candidates[rng.integers(len(candidates))]
    return int(xs[x_index]) + clearance, int(ys[y_index]) + clearance


def draw_stamp(rng: np.random.Generator, department: str, dpi: int) -> Image.Image:
    """Ink coverage (0-255) of a rounded-rectangle rubber stamp with two lines of text, turned by about 12°."""
    small, large = font(FONT, mm(3.0, dpi)), font(FONT_BOLD, mm(3.6, dpi))
    pad, line = mm(4, dpi), mm(0.6, dpi)
    text_w = round(max(small.getbbox(STAMP_LINE)[2], large.getbbox(department)[2]))
    width, height = text_w + 2 * pad, mm(20, dpi)
    stamp = Image.new("L", (width + 2 * line, height + 2 * line), 0)
    draw = ImageDraw.Draw(stamp)
    draw.rounded_rectangle((line, line, width + line, height + line), radius=mm(4, dpi), outline=255, width=line)
    inset = line + mm(1.2, dpi)
    draw.rounded_rectangle((inset, inset, width + 2 * line - inset, height + 2 * line - inset),
                           radius=mm(3, dpi), outline=255, width=max(1, line // 2))
    centre = stamp.width // 2
    draw.text((centre, stamp.height * 0.38), STAMP_LINE, fill=255, font=small, anchor="mm")
    draw.text((centre, stamp.height * 0.64), department, fill=255, font=large, anchor="mm")
    angle = rng.uniform(10, 14)
    stamp = stamp.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=0)
    # Uneven inking: a blotchy coverage between 55 % and 100 %.
    blotches = Image.fromarray(rng.integers(0, 256, (stamp.height // 8 + 1, stamp.width // 8 + 1), dtype=np.uint8))
    blotches = blotches.resize(stamp.size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(mm(0.8, dpi)))
    coverage = np.asarray(stamp, dtype=np.float32) * (0.55 + 0.45 * np.asarray(blotches, dtype=np.float32) / 255)
    return Image.fromarray(coverage.astype(np.uint8))


def catmull_rom(points: np.ndarray, samples: int) -> np.ndarray:
    """Smooth curve through points (n x 2), `samples` points per segment."""
    padded = np.vstack([points[0], points, points[-1]])
    t = np.linspace(0, 1, samples, endpoint=False)[:, None]
    segments = []
    for p0, p1, p2, p3 in zip(padded[:-3], padded[1:-2], padded[2:-1], padded[3:], strict=True):
        segments.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                               + (3 * p1 - p0 - 3 * p2 + p3) * t**3))
    return np.vstack([*segments, points[-1:]])


def draw_signature(rng: np.random.Generator, dpi: int) -> Image.Image:
    """Ink coverage (0-255) of a handwritten-looking signature: a tall looped capital, a run of cursive loops
    (a prolate cycloid with random hump heights) and an underline flourish sweeping back to the left."""
    supersample = 3
    width, height = mm(45, dpi) * supersample, mm(18, dpi) * supersample
    jitter = rng.uniform(-0.03, 0.03, (5, 2))
    capital = np.array([[0.06, 0.72], [0.13, 0.08], [0.21, 0.16], [0.15, 0.5], [0.24, 0.62]]) + jitter
    humps = int(rng.integers(4, 7))
    t = np.linspace(0, 1, 60 * humps)
    theta = 2 * np.pi * humps * t
    knots = np.linspace(0, 1, humps + 1)
    heights = np.interp(t, knots, rng.uniform(0.05, 0.3, humps + 1))
    loops = np.interp(t, knots, rng.uniform(0.012, 0.035, humps + 1))
    drift = np.interp(t, knots, rng.uniform(-0.06, 0.06, humps + 1))
    body = np.column_stack([capital[-1, 0] + rng.uniform(0.45, 0.55) * t - loops * np.sin(theta),
                            capital[-1, 1] + drift - heights * (1 - np.cos(theta))])
    flourish = np.array([body[-1], [body[-1, 0] + 0.06, 0.78], [0.5, 0.9], [0.08, 0.86]])
    flourish[1:] += rng.uniform(-0.03, 0.03, (3, 2))
    stroke = np.vstack([catmull_rom(capital, 20), body, catmull_rom(flourish, 30)])
    stroke[:, 0] += rng.uniform(0.05, 0.12) * (0.6 - stroke[:, 1])  # forward slant
    signature = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(signature)
    draw.line([(x * width, y * height) for x, y in stroke], fill=255, width=(2 if dpi <= 200 else 3) * supersample,
              joint="curve")
    return signature.resize((width // supersample, height // supersample), Image.Resampling.LANCZOS)


def apply_ink(page: np.ndarray, coverage: Image.Image, x: int, y: int, tone: int) -> None:
    """Lay ink of grey `tone` with the given coverage over page (float array) at x, y: ink darkens, never lightens."""
    alpha = np.asarray(coverage, dtype=np.float32)[: page.shape[0] - y, : page.shape[1] - x] / 255
    region = page[y : y + alpha.shape[0], x : x + alpha.shape[1]]
    region[:] = np.minimum(region, region * (1 - alpha) + tone * alpha)


def add_stamp_and_signature(image: Image.Image, rng: np.random.Generator, spec: ScanSpec) -> Image.Image:
    page = np.asarray(image, dtype=np.float32).copy()
    ink = (page < INK_THRESHOLD).astype(np.int32)
    margin = mm(10, spec.dpi)
    stamp = draw_stamp(rng, spec.department, spec.dpi)
    x, y = whitest_box(ink, stamp.size, rng, margin)
    apply_ink(page, stamp, x, y, tone=int(rng.integers(105, 135)))
    ink[y : y + stamp.height, x : x + stamp.width] = 1  # the signature goes beside the stamp, not over it
    signature = draw_signature(rng, spec.dpi)
    x, y = whitest_box(ink, signature.size, rng, margin)
    apply_ink(page, signature, x, y, tone=int(rng.integers(35, 60)))
    return Image.fromarray(page.round().astype(np.uint8))


def make_scan(spec: ScanSpec) -> Path:
    source = (FIXTURES / spec.original / "source.pdf").read_bytes()
    data = pdf_to_scanned_pdf(source, ScanLook(dpi=spec.dpi), spec.seed, typed_pages=spec.typed_pages,
                              mark_last=lambda image, rng: add_stamp_and_signature(image, rng, spec),
                              creator=b"scripts/make_scans.py")
    target = FIXTURES / spec.slug / "source.pdf"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def main(argv: list[str]) -> None:
    unknown = [slug for slug in argv if slug not in SPECS]
    if unknown:
        sys.exit(f"make_scans: unknown slug(s) {unknown}; known: {sorted(SPECS)}")
    for slug in argv or SPECS:
        pdf = make_scan(SPECS[slug])
        data = pdf.read_bytes()
        print(f"{slug}: {pdf.relative_to(ROOT)} {len(data)} bytes sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main(sys.argv[1:])
