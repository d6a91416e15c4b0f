"""HTTP downloads (size-limited) and PUT uploads, retried on 5xx, 429 and network errors.

Presigned URLs carry credentials in their query string, so messages only ever show a URL
without it (`redact`).
"""

import logging
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from .errors import JobError

log = logging.getLogger("autodark.transfer")

CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 120
ATTEMPTS = 3
CHUNK_BYTES = 1 << 20


class TransferError(JobError):
    pass


def max_input_bytes() -> int:
    return int(os.environ.get("MAX_INPUT_BYTES", str(4 << 30)))


def redact(url: str) -> str:
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def _retryable(status: int) -> bool:
    return status >= 500 or status == 429


class _RetryableStatus(Exception):
    def __init__(self, status: int):
        self.status = status


def _with_retries(what: str, url: str, attempt_once) -> int:
    """Runs attempt_once until it succeeds or fails for good; returns its byte count."""
    attempt, delay = 1, 1.0
    while True:
        try:
            return attempt_once()
        except (requests.ConnectionError, requests.Timeout) as err:
            problem = f"network error ({type(err).__name__})"
        except _RetryableStatus as err:
            problem = f"HTTP {err.status}"
        if attempt == ATTEMPTS:
            raise TransferError(f"{what} failed after {ATTEMPTS} attempts: {problem} ({redact(url)})")
        log.warning("%s: %s, retrying in %.0f s", what, problem, delay)
        time.sleep(delay)
        attempt, delay = attempt + 1, delay * 2


def download(url: str, dest: Path, what: str) -> int:
    """Downloads url to dest; `what` names the input in errors. Returns the byte count."""
    limit = max_input_bytes()

    def attempt() -> int:
        with requests.get(url, stream=True, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S)) as resp:
            if _retryable(resp.status_code):
                raise _RetryableStatus(resp.status_code)
            if resp.status_code >= 400:
                raise TransferError(f"{what}: download failed: HTTP {resp.status_code} ({redact(url)})")
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise TransferError(f"{what}: {int(declared)} bytes is over the {limit}-byte limit")
            received = 0
            with open(dest, "wb") as out:
                for chunk in resp.iter_content(CHUNK_BYTES):
                    received += len(chunk)
                    if received > limit:
                        raise TransferError(f"{what}: larger than the {limit}-byte limit")
                    out.write(chunk)
            return received

    return _with_retries(f"{what}: download", url, attempt)


def upload(source: Path | bytes, url: str, headers: dict[str, str], what: str) -> int:
    """PUTs a file (or bytes) to url with the given headers. Returns the byte count."""

    def attempt() -> int:
        if isinstance(source, bytes):
            return send(source, len(source))
        with open(source, "rb") as body:
            return send(body, source.stat().st_size)

    def send(body, size: int) -> int:
        resp = requests.put(url, data=body, headers={**headers, "Content-Length": str(size)},
                            timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        if _retryable(resp.status_code):
            raise _RetryableStatus(resp.status_code)
        if resp.status_code >= 400:
            raise TransferError(f"{what}: upload failed: HTTP {resp.status_code} ({redact(url)})")
        return size

    return _with_retries(f"{what}: upload", url, attempt)
