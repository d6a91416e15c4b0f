"""Shared test fixtures: a local HTTP server for inputs/uploads, media made with ffmpeg and
espeak-ng at test time, and a private work root so tests can see what a job leaves behind."""

import asyncio
import http.server
import json
import subprocess
import threading
from pathlib import Path

import pytest

WORKER_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = WORKER_DIR.parent


def call_handler(job_input, job_id: str = "job-1") -> dict:
    """Runs one job through the handler the runpod SDK calls."""
    from handler import handler

    return asyncio.run(handler({"id": job_id, "input": job_input}))


class Store:
    """What the local server serves (GET) and what it received (PUT, POST)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.uploads: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.posts: list[tuple[str, bytes]] = []
        self.failures: dict[str, list[int]] = {}  # path -> statuses to answer first
        self.lock = threading.Lock()
        self.base = ""

    def url(self, path: str) -> str:
        return self.base + path

    def next_failure(self, path: str) -> int | None:
        with self.lock:
            queued = self.failures.get(path)
            return queued.pop(0) if queued else None


def _handler_class(store: Store):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _path(self) -> str:
            return self.path.split("?", 1)[0]

        def _reply(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))

        def do_GET(self) -> None:
            failure = store.next_failure(self._path())
            if failure:
                self._reply(failure)
            elif self._path() in store.files:
                self._reply(200, store.files[self._path()])
            else:
                self._reply(404)

        def do_PUT(self) -> None:
            body = self._body()
            failure = store.next_failure(self._path())
            if failure:
                self._reply(failure)
                return
            with store.lock:
                store.uploads[self._path()] = (body, {k.lower(): v for k, v in self.headers.items()})
            self._reply(200)

        def do_POST(self) -> None:
            body = self._body()
            with store.lock:
                store.posts.append((self.path, body))
            self._reply(200)

    return Handler


@pytest.fixture
def server():
    store = Store()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(store))
    store.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield store
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def work_root(tmp_path, monkeypatch) -> Path:
    """Jobs put their work dirs here; tests assert it is empty afterwards."""
    root = tmp_path / "work"
    root.mkdir()
    monkeypatch.setenv("WORK_ROOT", str(root))
    return root


def run_ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "format=duration:stream=codec_type,codec_name,width,height", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out)


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, Path]:
    """Small test media: a PNG image, a 2 s tone, and Portuguese speech (espeak-ng)."""
    folder = tmp_path_factory.mktemp("media")
    image, tone, speech = folder / "image.png", folder / "tone.wav", folder / "speech.wav"
    run_ffmpeg("-f", "lavfi", "-i", "testsrc=s=320x240:d=1", "-frames:v", "1", str(image))
    run_ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", str(tone))
    subprocess.run(
        ["espeak-ng", "-v", "pt", "-s", "150", "-w", str(speech), SPEECH_TEXT], check=True,
    )
    return {"image": image, "tone": tone, "speech": speech}


SPEECH_TEXT = (
    "Bom dia. Hoje vamos falar sobre o tempo. "
    "Amanhã vai chover na cidade, e o vento vai ser forte durante a tarde."
)
