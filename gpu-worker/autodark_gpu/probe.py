"""Checks that a downloaded input is the kind of file the job expects, naming it if not.

ffprobe alone is not enough: it reports a "png" stream for any file named .png and a
"video" for any text file (the tty demuxer), so media inputs must also decode."""

import json
import subprocess
from pathlib import Path

from .errors import JobError

# the ffprobe codec_type an input of each kind must contain
KIND_STREAM = {"image": "video", "video": "video", "audio": "audio", "subtitle": "subtitle"}
# What the decode check reads: one frame of picture, one second of sound. For images a
# broken chunk or a missing end is an error too (explode), as in media/input-check.ts.
DECODE_CHECK = {
    "image": ["-err_detect", "explode", "-i", "{path}", "-map", "0:v:0", "-frames:v", "1"],
    "video": ["-i", "{path}", "-map", "0:v:0", "-frames:v", "1"],
    "audio": ["-i", "{path}", "-map", "0:a:0", "-t", "1"],
}
# the largest picture accepted (as media/input-check.ts): every phone and camera photo fits,
# decompression bombs do not
MAX_PIXELS = 100_000_000
TEXT_AS_VIDEO = "ansi"  # the codec ffmpeg's tty demuxer gives plain text files


def _last_line(text: str, path: Path) -> str:
    return (text.strip().splitlines() or ["unreadable"])[-1].replace(str(path), "file")


def check_input_kind(path: Path, kind: str, label: str) -> None:
    """Fails with the input's label when the file is not the kind the plan expects."""
    if kind == "json":
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise JobError(f'input "{label}" is not valid JSON: {err}') from None
        return

    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height",
         "-of", "json", str(path)],
        capture_output=True, text=True, errors="replace", timeout=120, check=False,
    )
    if probe.returncode != 0:
        raise JobError(f'input "{label}" is not a readable {kind} file: '
                       f"{_last_line(probe.stderr, path)}")
    streams = json.loads(probe.stdout).get("streams", [])
    types = {s.get("codec_type") for s in streams if s.get("codec_name") != TEXT_AS_VIDEO}
    if KIND_STREAM[kind] not in types:
        found = ", ".join(sorted(t for t in types if t)) or "none"
        raise JobError(f'input "{label}" is not a valid {kind}: it has no {KIND_STREAM[kind]} '
                       f"stream (found: {found})")

    for stream in streams:
        pixels = (stream.get("width") or 0) * (stream.get("height") or 0)
        if kind in ("image", "video") and pixels > MAX_PIXELS:
            raise JobError(f'input "{label}": picture is {stream["width"]}x{stream["height"]}, '
                           f"over the {MAX_PIXELS // 1_000_000}-megapixel limit")

    if kind in DECODE_CHECK:
        args = [str(path) if arg == "{path}" else arg for arg in DECODE_CHECK[kind]]
        decode = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-xerror", *args, "-f", "null", "-"],
            capture_output=True, text=True, errors="replace", timeout=300, check=False,
        )
        if decode.returncode != 0:
            raise JobError(f'input "{label}" is not a readable {kind} file: '
                           f"{_last_line(decode.stderr, path)}")
