"""Picks the H.264 encoder once per process: h264_nvenc when it really works, else libx264.

ffmpeg builds list h264_nvenc whenever they were compiled with NVENC support, also on
machines without an NVENC engine (H100/H200 have none) or without the driver's encode
library, so a listed encoder is confirmed with a one-frame test encode.
"""

import functools
import logging
import subprocess

log = logging.getLogger("autodark.encoder")

NVENC = "h264_nvenc"
SOFTWARE = "libx264"


def _nvenc_listed() -> bool:
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-encoders"],
        capture_output=True, text=True, timeout=30, check=False,
    )
    return any(line.split()[1:2] == [NVENC] for line in result.stdout.splitlines())


def _nvenc_test_encode() -> tuple[bool, str]:
    try:
        result = subprocess.run(
            ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
             "-f", "lavfi", "-i", "color=c=black:s=256x256:r=25:d=1",
             "-frames:v", "1", "-c:v", NVENC, "-f", "null", "-"],
            capture_output=True, text=True, timeout=60, check=False,
        )
    except subprocess.TimeoutExpired:
        return False, "test encode timed out"
    last_line = (result.stderr.strip().splitlines() or [""])[-1]
    return result.returncode == 0, last_line


@functools.cache
def detect_encoder() -> str:
    if not _nvenc_listed():
        log.info("video encoder: %s (ffmpeg does not list %s)", SOFTWARE, NVENC)
        return SOFTWARE
    works, detail = _nvenc_test_encode()
    if works:
        log.info("video encoder: %s (one-frame test encode succeeded)", NVENC)
        return NVENC
    log.info("video encoder: %s (%s is listed but its test encode failed: %s)",
             SOFTWARE, NVENC, detail)
    return SOFTWARE
