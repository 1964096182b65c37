"""Errors that name the file and the reason, so a run can quarantine a document and go on."""

from __future__ import annotations


class DocumentError(Exception):
    """A document that cannot be extracted. `reason` is a short stable code; `detail` is for humans."""

    def __init__(self, path: str, reason: str, detail: str = "") -> None:
        self.path = path
        self.reason = reason
        self.detail = detail
        super().__init__(f"{path}: {reason}" + (f" ({detail})" if detail else ""))

    def one_line(self) -> str:
        return str(self).replace("\n", " ")

    def __reduce__(self) -> tuple[type[DocumentError], tuple[str, str, str]]:
        # picklable as itself (results travel between processes: Dask workers, Prefect's result store)
        return (DocumentError, (self.path, self.reason, self.detail))


# Reason codes (also used as warehouse.quarantine.reason)
MISSING = "file not found"
UNREADABLE = "file unreadable"
NOT_PDF = "not a PDF or HTML document"
ENCRYPTED = "encrypted PDF"
CORRUPT = "corrupt or truncated PDF"
TIMEOUT = "extraction timed out"
TOO_BIG = "extraction exceeded the memory limit"
NO_TEXT = "no text layer and OCR unavailable/failed"
BLANK = "no text on any page (blank pages)"
NOT_CLS = "not a contrat local de santé"
INVALID = "extraction failed validation"
CRASHED = "extraction crashed"
PAGE_TOO_LARGE = "page too large to read by OCR"
NOT_REGULAR = "not a regular file"
DOWNLOAD = "download failed"
TOO_LARGE = "download larger than the size limit"
