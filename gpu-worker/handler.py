"""AutoDark GPU worker: the RunPod serverless entry point.

A job's input is either
  {"kind": "plan", "plan": {...}}              run a media plan (media/plan.ts)
  {"kind": "transcribe", "engine": ..., ...}   transcribe audio (faster-whisper / openai-whisper)

Run from the repo root as `python -u gpu-worker/handler.py`; the runpod SDK reads the
RUNPOD_WEBHOOK_* variables to take jobs, or runs one job given `--test_input '{"input": ...}'`.
"""

import asyncio
import logging
import os
import sys
import threading
import traceback

import runpod
from runpod.serverless.modules.rp_logger import RunPodLogger

from autodark_gpu.encoder import detect_encoder
from autodark_gpu.errors import JobError
from autodark_gpu.executor import execute_plan
from autodark_gpu.lifecycle import (
    Cancelled,
    Children,
    install_signal_handlers,
    sweep_orphaned_work_dirs,
)
from autodark_gpu.transcribe import transcribe_job

log = logging.getLogger("autodark.handler")

# how long a stopped job's thread gets to kill ffmpeg and remove its work dir
STOP_GRACE_S = 15


def progress_reporter(job: dict):
    """Sends progress to the endpoint; without one (a local test run) it only logs it."""
    if os.environ.get("RUNPOD_WEBHOOK_POST_OUTPUT"):
        return lambda update: runpod.serverless.progress_update(job, update)
    return lambda update: log.debug("progress %s", update)


def run_job(job: dict, children: Children) -> dict:
    job_input = job.get("input")
    if not isinstance(job_input, dict):
        return {"error": "input: must be an object"}
    kind = job_input.get("kind")
    report = progress_reporter(job)
    try:
        if kind == "plan":
            if "plan" not in job_input:
                return {"error": "input.plan: is required"}
            return execute_plan(job_input["plan"], report, children)
        if kind == "transcribe":
            return transcribe_job(job_input, report, children)
        return {"error": 'input.kind: must be "plan" or "transcribe"'}
    except JobError as err:
        log.warning("job %s failed: %s", job.get("id"), err)
        return {"error": str(err)}
    except Cancelled:
        return {"error": "the job was stopped"}
    except Exception as err:  # a bug: report it without the SDK's multi-KB traceback blob
        log.error("job %s crashed:\n%s", job.get("id"), traceback.format_exc())
        return {"error": f"internal error: {type(err).__name__}: {err}"}


async def handler(job: dict) -> dict:
    """Runs the job in a thread so the SDK's event loop stays free to hear RunPod stop it.

    A stop (cancel or timeout) cancels this coroutine: the job's ffmpeg processes are
    killed, and its thread then unwinds and removes the work dir.
    """
    install_signal_handlers()  # the SDK awaits handlers on the main thread
    children = Children()
    finished = threading.Event()

    def work() -> dict:
        try:
            return run_job(job, children)
        finally:
            finished.set()

    try:
        return await asyncio.to_thread(work)
    except asyncio.CancelledError:
        log.warning("job %s was stopped: killing its ffmpeg processes", job.get("id"))
        children.kill_all()
        finished.wait(STOP_GRACE_S)
        raise


if __name__ == "__main__":
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,  # the runpod SDK configures the root logger on import
    )
    if not (os.environ.get("RUNPOD_LOG_LEVEL") or os.environ.get("RUNPOD_DEBUG_LEVEL")):
        # The SDK logs whole jobs at DEBUG (its default), and plan inputs carry presigned URLs.
        RunPodLogger().set_level("INFO")
    detect_encoder()  # once at start, so the choice is logged before the first job
    swept = sweep_orphaned_work_dirs()  # left by a worker on this host that was killed mid-job
    if swept:
        log.info("removed work dirs of workers that are gone: %s", ", ".join(swept))
    runpod.serverless.start({"handler": handler})
