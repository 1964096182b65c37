"""Record a new fixture's first-read score (issue #16): the extractor as it is now, before any change for it.

    python scripts/first_read.py fixtures/<slug> [--batch NAME]   # writes `first_read:` into provenance.yaml
    python scripts/first_read.py fixtures/<slug> --dry-run        # prints it only

Run it once, when the fixture (sources, reviewed gold.yaml, provenance.yaml) is complete and before any code is
changed for that document. It refuses to overwrite an existing `first_read` (that score is kept for good: later
scores are what `clsdata eval` prints).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import EXTRACTOR_VERSION  # noqa: E402
from pipeline.evaluate import score_document  # noqa: E402
from pipeline.extract import file_to_extraction  # noqa: E402
from schemas.gold import Gold  # noqa: E402
from schemas.provenance import FirstRead, Provenance, SourceScore  # noqa: E402


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "pipeline", "schemas"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def fixture_to_first_read(fixture: Path, batch: str | None) -> FirstRead:
    gold = Gold.from_file(fixture / "gold.yaml")
    scores = []
    for source in sorted(p for p in fixture.glob("source.*") if p.suffix in {".pdf", ".html"}):
        got = file_to_extraction(source)
        s = score_document(f"{fixture.name}/{source.name}", gold, got, "soft")
        ax, ac = s.counts["axes"], s.counts["actions"]
        scores.append(SourceScore(file=source.name, axes_f1=round(ax.f1, 4), actions_f1=round(ac.f1, 4),
                                  axes=(ax.tp, ax.predicted, ax.gold), actions=(ac.tp, ac.predicted, ac.gold)))
    if not scores:
        raise SystemExit(f"{fixture}: no source.pdf or source.html")
    return FirstRead(date=date.today(), extractor_version=EXTRACTOR_VERSION, commit=_commit(), batch=batch,
                     sources=scores)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fixtures", nargs="+", type=Path)
    ap.add_argument("--batch", default=None, help="admission batch name, e.g. dev or holdout-1")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    for fixture in args.fixtures:
        provenance_path = fixture / "provenance.yaml"
        provenance = Provenance.from_file(provenance_path)
        if provenance.first_read is not None:
            print(f"{fixture}: first_read already recorded ({provenance.first_read.date}); kept", file=sys.stderr)
            continue
        first = fixture_to_first_read(fixture, args.batch)
        block = yaml.safe_dump({"first_read": first.model_dump(mode="json")}, allow_unicode=True, sort_keys=False,
                               width=120)
        print(f"{fixture.name}: axes F1 {first.axes_f1:.3f}, actions F1 {first.actions_f1:.3f} "
              f"({', '.join(f'{s.file} {s.axes_f1:.2f}/{s.actions_f1:.2f}' for s in first.sources)})")
        if not args.dry_run:
            text = provenance_path.read_text(encoding="utf-8")
            provenance_path.write_text(text.rstrip("\n") + "\n" + block, encoding="utf-8")
            Provenance.from_file(provenance_path)  # still valid


if __name__ == "__main__":
    main()
