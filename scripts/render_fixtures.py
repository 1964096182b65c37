"""Regenerate fixture PDFs from their generator sources with real producers (LibreOffice, Chromium).

Usage: python scripts/render_fixtures.py [SLUG ...]     (all fixtures that have a generator/ folder by default)

A fixture's `generator/` folder holds what a reviewer needs to rebuild its `source.pdf`:
- `document.html` (+ its CSS/images): printed to PDF by headless Chromium; for a web-page fixture it is a
  symlink to `../source.html`, the published page itself;
- `build.py`: a script (python-docx, openpyxl, python-pptx, ...) that writes ONE office file (.docx, .odt, .xlsx,
  .ods, .pptx, .odp) into the folder given as its first argument; the file is converted to PDF by headless
  LibreOffice (Impress for .pptx/.odp); a build.py may also write ONE .html file, printed by Chromium.
Producers: Debian packages `chromium` and `libreoffice-writer`/`libreoffice-calc`/`libreoffice-impress`;
Python: `pip install -e .[fixtures]`.
These generators never import the extractor: fixtures are made by other code than the code they test.
PDF bytes embed creation dates, so a rebuilt source.pdf differs in sha256: update provenance.yaml and re-check the gold.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
BUILT_SUFFIXES = {".docx", ".odt", ".xlsx", ".ods", ".pptx", ".odp", ".html"}  # what a generator/build.py may write
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-pdf-header-footer",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    sys.exit("render_fixtures: Chromium not found (apt-get install chromium)")


def _soffice() -> str:
    for name in ("soffice", "libreoffice"):
        if found := shutil.which(name):
            return found
    sys.exit("render_fixtures: LibreOffice not found (apt-get install libreoffice-writer libreoffice-calc "
             "libreoffice-impress)")


def html_to_pdf(html: Path, pdf: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}", html.as_uri()],
            check=True, capture_output=True, timeout=120,
        )


def office_to_pdf(office: Path, pdf: Path) -> None:
    with tempfile.TemporaryDirectory() as profile, tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [_soffice(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
             "--convert-to", "pdf", "--outdir", out, str(office)],
            check=True, capture_output=True, timeout=300,
        )
        shutil.move(Path(out) / f"{office.stem}.pdf", pdf)


def render(slug: str) -> Path:
    folder = FIXTURES / slug
    generator = folder / "generator"
    pdf = folder / "source.pdf"
    if (generator / "build.py").exists():
        with tempfile.TemporaryDirectory() as work:
            subprocess.run([sys.executable, str(generator / "build.py"), work], check=True, cwd=generator)
            built = [p for p in Path(work).iterdir() if p.suffix in BUILT_SUFFIXES]
            if len(built) != 1:
                sys.exit(f"render_fixtures: {slug}: build.py must write exactly one document, wrote {built}")
            if built[0].suffix == ".html":
                html_to_pdf(built[0], pdf)
            else:
                office_to_pdf(built[0], pdf)
    elif (generator / "document.html").exists():
        html_to_pdf(generator / "document.html", pdf)
    else:
        sys.exit(f"render_fixtures: {slug}: no generator/build.py or generator/document.html")
    return pdf


def main(argv: list[str]) -> None:
    # Folders whose generator is a build.py or a document.html (scanned variants: scripts/make_scans.py).
    slugs = argv or sorted(p.parent.name for p in FIXTURES.glob("*/generator")
                           if (p / "build.py").exists() or (p / "document.html").exists())
    for slug in slugs:
        pdf = render(slug)
        digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
        print(f"{slug}: {pdf.relative_to(ROOT)} sha256 {digest}")


if __name__ == "__main__":
    main(sys.argv[1:])
