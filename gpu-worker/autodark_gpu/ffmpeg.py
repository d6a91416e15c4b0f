"""Runs ffmpeg (argv only, never a shell) with progress from `-progress pipe:1`."""

import collections
import os
import subprocess
import threading
import time
from collections.abc import Callable

from .lifecycle import Cancelled, Children

STDERR_TAIL_LINES = 12


class FfmpegFailed(Exception):
    def __init__(self, reason: str, stderr_tail: list[str]):
        self.reason = reason
        self.stderr_tail = stderr_tail
        super().__init__(f"ffmpeg {reason}: " + " | ".join(stderr_tail))


def stall_timeout_s() -> float:
    """An ffmpeg whose output stops advancing this long is stuck (say, looping over an input
    it cannot decode) and is killed rather than left to burn the GPU worker's time."""
    return float(os.environ.get("FFMPEG_STALL_TIMEOUT_S", "600"))


def ffmpeg_command(argv: list[str]) -> list[str]:
    # -nostats: progress comes from -progress, and the \r stats line would crowd the
    # stderr tail that error messages quote.
    return ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-progress", "pipe:1", "-nostats", *argv]


def run_ffmpeg(
    argv: list[str],
    children: Children,
    on_media_seconds: Callable[[float], None] | None = None,
) -> None:
    """Runs one ffmpeg; on_media_seconds gets the output time reached so far.

    Raises FfmpegFailed with the last stderr lines, or Cancelled when the job's children
    were killed meanwhile.
    """
    proc = children.spawn(
        ffmpeg_command(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    last_advance = time.monotonic()
    finished = threading.Event()
    stalled = threading.Event()
    timeout = stall_timeout_s()

    def read_stderr() -> None:
        for raw_line in proc.stderr:
            if raw_line.strip():
                tail.append(raw_line.strip())

    def watch_for_stall() -> None:
        while not finished.wait(min(5.0, timeout / 4)):
            if time.monotonic() - last_advance > timeout:
                stalled.set()
                proc.kill()
                return

    threads = [threading.Thread(target=read_stderr, daemon=True),
               threading.Thread(target=watch_for_stall, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        position: dict[str, str] = {}
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            if key in ("out_time_us", "total_size") and value != "N/A" and position.get(key) != value:
                position[key] = value
                last_advance = time.monotonic()
            # out_time_us (and the misnamed out_time_ms) are microseconds
            if key == "out_time_us" and on_media_seconds and value.isdigit():
                on_media_seconds(int(value) / 1_000_000)
        returncode = proc.wait()
        finished.set()
        threads[0].join()
    finally:
        finished.set()
        children.release(proc)
    if children.killed:
        raise Cancelled()
    if stalled.is_set():
        raise FfmpegFailed(f"made no progress for {timeout:g} s and was stopped", list(tail))
    if returncode != 0:
        raise FfmpegFailed(f"exited with code {returncode}", list(tail))
