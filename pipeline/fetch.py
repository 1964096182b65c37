"""Download a publication over HTTP(S) into a content-addressed raw store: size limit, timeout, retries with
backoff, conditional requests (ETag / Last-Modified). I/O at the edge: the caller keeps the HTTP state.

    raw/<sha256[:2]>/<sha256>.<ext>     the bytes as served, named by their hash (runs are reproducible)
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from pipeline import EXTRACTOR_VERSION, errors

MAX_BYTES = 100 * 1024 * 1024
TIMEOUT_S = 60.0
ATTEMPTS = 3
BACKOFF_S = 1.0  # then 2 s, 4 s…
USER_AGENT = f"clsdata/{EXTRACTOR_VERSION} (+httpx)"
TYPES = {"application/pdf": ".pdf", "text/html": ".html", "application/xhtml+xml": ".html"}


@dataclass(frozen=True)
class Fetched:
    url: str
    path: Path  # in the raw store
    sha256: str
    etag: str | None
    last_modified: str | None
    changed: bool  # False when the server said 304 Not Modified


def _suffix(url: str, content_type: str | None) -> str:
    media = (content_type or "").split(";")[0].strip().lower()
    if media in TYPES:
        return TYPES[media]
    tail = url.split("?")[0].rsplit("/", 1)[-1]
    return Path(tail).suffix.lower() if Path(tail).suffix.lower() in {".pdf", ".html", ".htm"} else ".bin"


def store_bytes(raw_dir: Path, data: bytes, suffix: str) -> tuple[Path, str]:
    sha = hashlib.sha256(data).hexdigest()
    target = raw_dir / sha[:2] / f"{sha}{suffix}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)  # atomic: a killed download never leaves a half file under its hash
    return target, sha


def url_to_raw(url: str, raw_dir: Path, previous: dict[str, str | None] | None = None, *,
               max_bytes: int = MAX_BYTES, timeout_s: float = TIMEOUT_S, attempts: int = ATTEMPTS,
               backoff_s: float = BACKOFF_S) -> Fetched:
    """GET the URL (conditionally when `previous` has its etag/last_modified/raw_path); DocumentError(url, …)."""
    headers = {"User-Agent": USER_AGENT}
    raw_path = previous.get("raw_path") if previous else None
    old_path = Path(raw_path) if raw_path else None
    if previous and old_path is not None and old_path.exists():
        if previous.get("etag"):
            headers["If-None-Match"] = str(previous["etag"])
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = str(previous["last_modified"])
    last_error = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff_s * 2 ** (attempt - 1))
        try:
            with httpx.Client(timeout=timeout_s, follow_redirects=True) as client, \
                    client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304 and previous and old_path is not None:
                    return Fetched(url, old_path, str(previous["sha256"]), previous.get("etag"),
                                   previous.get("last_modified"), changed=False)
                if response.status_code >= 500 or response.status_code == 429:
                    last_error = f"HTTP {response.status_code}"
                    continue  # transient: retry
                if response.status_code >= 400:
                    raise errors.DocumentError(url, errors.DOWNLOAD, f"HTTP {response.status_code}")
                declared = int(response.headers.get("Content-Length") or 0)
                if declared > max_bytes:
                    raise errors.DocumentError(url, errors.TOO_LARGE, f"{declared} bytes > {max_bytes}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise errors.DocumentError(url, errors.TOO_LARGE, f"more than {max_bytes} bytes")
                    chunks.append(chunk)
                path, sha = store_bytes(raw_dir, b"".join(chunks), _suffix(url, response.headers.get("Content-Type")))
                return Fetched(url, path, sha, response.headers.get("ETag"), response.headers.get("Last-Modified"),
                               changed=True)
        except httpx.TimeoutException:
            last_error = f"no answer within {timeout_s:g} s"
        except httpx.TransportError as exc:
            last_error = f"{type(exc).__name__}: {exc}"
    raise errors.DocumentError(url, errors.DOWNLOAD, f"{last_error} (after {attempts} attempts)")
