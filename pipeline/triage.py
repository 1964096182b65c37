"""Page triage (issue #8): does a page's text layer carry readable text, or must it be read by OCR?

One page's characters (either backend) -> (status, reason):
- ``ok``: a usable text layer;
- ``missing``: no characters, but the page is an image (a scan) or text drawn as vector outlines;
- ``unusable``: characters without a Unicode mapping, private-use or replacement characters, or letters that
  form no common words (a wrong ToUnicode map);
- ``empty``: no characters and nothing drawn that could be text (a blank page): nothing to read.

``missing`` and ``unusable`` pages go through OCR (`pipeline/ocr.py`). Thresholds: rules/ocr.yaml.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from pipeline.pdfium import RawPage
from pipeline.rules import ocr_rules

Status = Literal["ok", "missing", "unusable", "empty"]
NEEDS_OCR: frozenset[str] = frozenset({"missing", "unusable"})
_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœÆæ]{2,}")  # Latin-script words only (other scripts are not judged)
_PRIVATE = re.compile("[\ue000-\uf8ff\ufffd\U000f0000-\U0010ffff]")


def raw_page_to_triage(raw: RawPage, words: list[str]) -> tuple[Status, str]:
    """The page's text-layer status and, unless ok, the reason in words (recorded per page). `words`: the
    texts of the words grouped from the page's characters (`layout.raw_page_to_page` calls this)."""
    rules = ocr_rules()["triage"]
    glyphs = raw.glyphs
    if glyphs < rules["min_glyphs"]:
        if raw.image_share >= rules["min_image_share"]:
            return "missing", f"no text layer: an image covers {raw.image_share:.0%} of the page"
        if len(raw.edges) >= rules["min_outline_edges"]:
            return "missing", f"no text layer: {len(raw.edges)} drawn path edges (text as vector outlines?)"
        return "empty", "blank page"
    if raw.unmapped > rules["max_unmapped_share"] * glyphs:
        return "unusable", f"{raw.unmapped} of {glyphs} glyphs have no Unicode mapping"
    text = raw.text
    private = len(_PRIVATE.findall(text))
    if private > rules["max_private_share"] * glyphs:
        return "unusable", f"{private} of {glyphs} characters are private-use or replacement characters"
    tokens = [t.lower() for t in _TOKEN.findall(" ".join(words))]
    if len(tokens) >= rules["min_tokens"]:
        common = sum(1 for t in tokens if t in _common())
        letters = [ch for t in tokens for ch in t]
        vowels = sum(1 for ch in letters if ch in _VOWELS) / len(letters)
        low, high = rules["vowel_share"]
        # Lists and tables (names, figures) have few common words but letters that read as words.
        if common < rules["min_common_share"] * len(tokens) and not low <= vowels <= high:
            return "unusable", (f"text is not French-like: {common} common words among {len(tokens)} tokens, "
                                f"{vowels:.0%} vowels")
    return "ok", ""


_VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüœæ")


@cache
def _common() -> frozenset[str]:
    return frozenset(str(w).lower() for w in ocr_rules()["triage"]["common_words"])
