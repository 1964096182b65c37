"""Download a publication over HTTP(S) into a content-addressed raw store: size limit, timeout, retries with
backoff, conditional requests (ETag / Last-Modified). I/O at the edge: the caller keeps the HTTP state.

    raw/<sha256[:2]>/<sha256>.<ext>     the bytes as served, named by their hash (runs are reproducible)
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pipeline import EXTRACTOR_VERSION, errors

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
               max_bytes: int | None = None, timeout_s: float | None = None, attempts: int = ATTEMPTS,
               backoff_s: float = BACKOFF_S, deadline_s: float | None = None, settings: Any = None) -> Fetched:
    """GET the URL (conditionally when `previous` has its etag/last_modified/raw_path). Any failure is a
    DocumentError(url, …) naming the URL: HTTP errors, redirect loops, bodies that do not decode, a server
    that answers too slowly. `timeout_s` bounds each wait for the server, `deadline_s` the whole download
    (every attempt included); defaults from clsdata.settings (CLSDATA_FETCH_*)."""
    if settings is None:
        from clsdata.settings import current

        settings = current()
    max_bytes = max_bytes or settings.fetch_max_mb * 1024 * 1024
    timeout_s = timeout_s or settings.fetch_timeout
    deadline_s = deadline_s or settings.fetch_deadline
    deadline = time.monotonic() + deadline_s
    headers = {"User-Agent": USER_AGENT}
    raw_path = previous.get("raw_path") if previous else None
    old_path = Path(raw_path) if raw_path else None
    if previous and old_path is not None and old_path.exists():
        if previous.get("etag"):
            headers["If-None-Match"] = str(previous["etag"])
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = str(previous["last_modified"])
    last_error = ""

    def late() -> errors.DocumentError:
        return errors.DocumentError(url, errors.DOWNLOAD, f"not downloaded within {deadline_s:g} s "
                                                          f"(CLSDATA_FETCH_DEADLINE)")

    for attempt in range(attempts):
        if attempt:
            pause = backoff_s * 2 ** (attempt - 1)
            if time.monotonic() + pause >= deadline:
                raise late()
            time.sleep(pause)
        left = deadline - time.monotonic()
        if left <= 0:
            raise late()
        try:
            with httpx.Client(timeout=min(timeout_s, left), follow_redirects=True) as client, \
                    client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304 and previous and old_path is not None:
                    return Fetched(url, old_path, str(previous["sha256"]), previous.get("etag"),
                                   previous.get("last_modified"), changed=False)
                if response.status_code >= 500 or response.status_code == 429:
                    last_error = f"HTTP {response.status_code}"
                    continue  # transient: retry
                if response.status_code >= 400:
                    raise errors.DocumentError(url, errors.DOWNLOAD, f"HTTP {response.status_code}")
                declared = int(response.headers.get("Content-Length") or 0) if \
                    (response.headers.get("Content-Length") or "").isdigit() else 0
                if declared > max_bytes:
                    raise errors.DocumentError(url, errors.TOO_LARGE, f"{declared} bytes > {max_bytes}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise errors.DocumentError(url, errors.TOO_LARGE, f"more than {max_bytes} bytes")
                    if time.monotonic() > deadline:  # a server trickling bytes never times out a read
                        raise late()
                    chunks.append(chunk)
                path, sha = store_bytes(raw_dir, b"".join(chunks), _suffix(url, response.headers.get("Content-Type")))
                return Fetched(url, path, sha, response.headers.get("ETag"), response.headers.get("Last-Modified"),
                               changed=True)
        except errors.DocumentError:
            raise
        except httpx.TimeoutException:
            last_error = f"no answer within {min(timeout_s, max(left, 0)):g} s"
        except httpx.TooManyRedirects as exc:
            raise errors.DocumentError(url, errors.DOWNLOAD, f"too many redirects ({exc})") from None
        except httpx.DecodingError as exc:
            raise errors.DocumentError(url, errors.DOWNLOAD, f"the body does not decode ({exc})") from None
        except httpx.TransportError as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as exc:
            raise errors.DocumentError(url, errors.DOWNLOAD, f"{type(exc).__name__}: {exc}"[:300]) from None
        except OSError as exc:  # the raw store (disk full, permissions): not the URL's fault
            raise OSError(f"{raw_dir}: cannot store the download of {url} ({exc.strerror or exc})") from exc
    raise errors.DocumentError(url, errors.DOWNLOAD, f"{last_error} (after {attempts} attempts)")
