"""Synthetic CLS corpora for benchmarks, deterministic: documents assembled from the fixtures' own PDF pages
(real producers' fonts, tables, columns, stacked year tiles), chosen by a seeded random generator.

Each document opens with the first pages of one contract fixture (cover, territory, period, axes) and goes on
with pages drawn from every fixture PDF until it has the requested number of pages.
"""

from __future__ import annotations

import random
from pathlib import Path

from pipeline.layout import iter_pages
from pipeline.pdfium import assemble_pdf, page_count

CONTRACTS = ("ernee-bocage-mayennais", "est-cantal", "bethune-bruay-artois-lys-romane", "pantin",
             "mont-saint-michel-normandie", "quercy-caussadais-quercy-vert-aveyron", "saint-leu",
             "angers-loire-metropole")


def synth_corpus(fixtures: Path, out: Path, docs: int, pages: int, seed: int) -> list[Path]:
    """Write `docs` PDFs of `pages` pages each into `out`; the same arguments give the same bytes' content."""
    rng = random.Random(seed)
    # Text-layer pages only: scanned variants (their gold.yaml links to the original's) and image pages (a
    # scanned signature page) would put OCR in the text-layer benchmark.
    pool = [(p, page.number - 1) for p in sorted(fixtures.glob("*/source.pdf"))
            if not (p.parent / "gold.yaml").is_symlink()
            for page in iter_pages(p, "pdfium") if page.triage == "ok"]
    written = []
    for n in range(docs):
        head = fixtures / rng.choice(CONTRACTS) / "source.pdf"
        chosen = [(head, i) for i in range(min(page_count(head), pages, 3))]
        while len(chosen) < pages:
            chosen.append(rng.choice(pool))
        target = out / f"synth-{seed}-{n:05d}.pdf"
        assemble_pdf(chosen, target)
        written.append(target)
    return written
