"""Executes a media plan: download the inputs, write the files, run the ffmpeg steps as a
DAG, and upload each output as soon as the steps writing it are done. Everything happens in
one work dir that is always removed. Mirrors the local executor (media/executor.ts)."""

import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from . import transfer
from .encoder import detect_encoder
from .errors import JobError
from .ffmpeg import FfmpegFailed, run_ffmpeg
from .lifecycle import Children, active_job
from .plan import (
    FALLBACK_ENCODER,
    Layout,
    encoder_key,
    expand_argv,
    file_bytes,
    output_writers,
    step_input_ids,
    validate_plan,
)
from .probe import check_input_kind
from .progress import Progress, Report

log = logging.getLogger("autodark.plan")

STAGES = {"downloading": (0, 10), "processing": (10, 95), "uploading": (95, 100)}
TRANSFER_THREADS = 4


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parallel_limit(plan: dict, encoder: str) -> int:
    """plan.maxParallelSteps, capped by the machine: with NVENC the GPU encodes and the CPU mostly
    feeds it, so clamp(round(1.5 x cores), 2, 16) steps at once (the seed's pool); with libx264 the
    CPU does the encoding, so one step per core (as media/executor.ts)."""
    cap = _cores() if encoder == FALLBACK_ENCODER else min(max(round(1.5 * _cores()), 2), 16)
    return min(plan["maxParallelSteps"], cap)


def encoder_threads(plan: dict, encoder: str) -> int | None:
    """libx264 threads per step when several encode side by side: a share of the cores each
    (as media/executor.ts does); None when a step runs alone (x264's own threading)."""
    concurrent = min(parallel_limit(plan, encoder), len(plan["steps"]))
    return max(1, _cores() // concurrent) if concurrent > 1 else None


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def execute_plan(raw_plan, report: Report, children: Children) -> dict:
    """Returns {"outputs": [{"id", "key", "bytes"}], "encoder", "timings"}.

    timings: downloadMs, stepsMs (all steps), uploadMs (uploads still running after the
    last step), totalMs, and steps: {id: {startMs, endMs}} from the first step's start.
    """
    started = time.monotonic()
    plan = validate_plan(raw_plan)
    detected = detect_encoder()
    encoder = encoder_key(plan, detected)  # what {venc} runs: NVENC only when the plan has it
    progress = Progress(report, STAGES)
    log.info("plan %s: %d inputs, %d steps, %d outputs", plan["operation"],
             len(plan["inputs"]), len(plan["steps"]), len(plan["outputs"]))

    with active_job(children) as workdir, ThreadPoolExecutor(TRANSFER_THREADS) as transfers:
        layout = Layout(workdir)
        layout.make_dirs()
        argvs = {step["id"]: expand_argv(plan, step, layout, detected, encoder_threads(plan, encoder))
                 for step in plan["steps"]}

        contents = {item["name"]: file_bytes(item) for item in plan["files"]}  # bad gzip: fail now
        mark = time.monotonic()
        _download_inputs(plan, layout, progress, transfers)
        for name, content in contents.items():
            layout.file_path(name).write_bytes(content)
        download_ms = _ms(time.monotonic() - mark)

        mark = time.monotonic()
        uploads = _Uploads(plan, layout, transfers)
        step_times = _run_steps(plan, argvs, children, progress, uploads.start_ready,
                                limit=parallel_limit(plan, encoder))
        steps_ms = _ms(time.monotonic() - mark)

        mark = time.monotonic()
        outputs = uploads.results(progress)
        upload_ms = _ms(time.monotonic() - mark)

    timings = {
        "downloadMs": download_ms,
        "stepsMs": steps_ms,
        "uploadMs": upload_ms,
        "totalMs": _ms(time.monotonic() - started),
        "steps": step_times,
    }
    log.info("plan %s done: %s", plan["operation"], {k: v for k, v in timings.items() if k != "steps"})
    return {"outputs": outputs, "encoder": encoder, "timings": timings}


def _download_inputs(plan: dict, layout: Layout, progress: Progress, pool: ThreadPoolExecutor) -> None:
    items = plan["inputs"]
    progress.update("downloading", 0)

    def fetch(item: dict) -> None:
        path = layout.input_path(item)
        transfer.download(item["url"], path, f'input "{item["label"]}"')
        check_input_kind(path, item["kind"], item["label"])

    futures = [pool.submit(fetch, item) for item in items]
    try:
        for finished, future in enumerate(futures, start=1):
            future.result()  # the first failing input (in plan order) fails the job
            progress.update("downloading", finished / len(items))
    except BaseException:
        for future in futures:
            future.cancel()
        raise


class _Uploads:
    """Starts each output's upload once every step writing it is done, while later steps run."""

    def __init__(self, plan: dict, layout: Layout, pool: ThreadPoolExecutor):
        self._plan = plan
        self._layout = layout
        self._pool = pool
        self._writers = output_writers(plan)
        self._futures: dict[str, Future] = {}

    def start_ready(self, finished_steps: set[str]) -> None:
        for output in self._plan["outputs"]:
            if output["id"] not in self._futures and self._writers[output["id"]] <= finished_steps:
                self._futures[output["id"]] = self._pool.submit(self._put, output)

    def _put(self, output: dict) -> dict:
        path = self._layout.output_path(output)
        if not path.is_file() or path.stat().st_size == 0:
            raise JobError(f'output "{output["id"]}" ({output["key"]}): the steps writing it '
                           "left no file")
        headers = dict(output["upload"]["headers"])
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = output["contentType"]
        size = transfer.upload(path, output["upload"]["url"], headers, f'output "{output["id"]}"')
        return {"id": output["id"], "key": output["key"], "bytes": size}

    def results(self, progress: Progress) -> list[dict]:
        """Waits for every upload (all were started: every step is done), in plan order."""
        outputs = self._plan["outputs"]
        progress.update("uploading", 0)
        results = []
        for count, output in enumerate(outputs, start=1):
            results.append(self._futures[output["id"]].result())
            progress.update("uploading", count / len(outputs))
        return results


def _failure_message(step: dict, err: FfmpegFailed, labels: dict[str, str]) -> str:
    """`step "clip" (input images[0].image_url) failed: ffmpeg exited with code 1:` + stderr tail."""
    reads = [labels[i] for i in step_input_ids(step)]
    about = f" (input{'s' if len(reads) > 1 else ''} {', '.join(reads)})" if reads else ""
    tail = "\n".join(err.stderr_tail)
    return f'step "{step["id"]}"{about} failed: ffmpeg {err.reason}' + (f":\n{tail}" if tail else "")


def _run_steps(plan: dict, argvs: dict[str, list[str]], children: Children,
               progress: Progress, on_step_done, *, limit: int) -> dict[str, dict]:
    """Runs every step once its dependencies are done, up to `limit` at once.

    Returns each step's start/end (ms since the first step started). The first failure
    kills the other running steps and is raised, naming the step and the inputs it reads.
    """
    steps = {step["id"]: step for step in plan["steps"]}
    weights = {sid: step.get("weight", 1.0) for sid, step in steps.items()}
    total_weight = sum(weights.values())
    fractions = {sid: 0.0 for sid in steps}
    labels = {item["id"]: item["label"] for item in plan["inputs"]}
    times: dict[str, dict] = {}
    origin = time.monotonic()

    def report() -> None:
        progress.update("processing", sum(weights[s] * fractions[s] for s in steps) / total_weight)

    def run(step_id: str) -> None:
        step = steps[step_id]
        duration = step.get("durationSeconds")

        def on_media_seconds(seconds: float) -> None:
            if duration:
                fractions[step_id] = max(fractions[step_id], min(seconds / duration, 1.0))
                report()

        times[step_id] = {"startMs": _ms(time.monotonic() - origin)}
        try:
            run_ffmpeg(argvs[step_id], children, on_media_seconds)
        except FfmpegFailed as err:
            raise JobError(_failure_message(step, err, labels)) from None
        times[step_id]["endMs"] = _ms(time.monotonic() - origin)
        fractions[step_id] = 1.0
        report()

    pending = {sid: set(step["dependsOn"]) for sid, step in steps.items()}
    finished: set[str] = set()
    running: dict[Future, str] = {}
    progress.update("processing", 0)
    with ThreadPoolExecutor(limit) as pool:
        try:
            while pending or running:
                ready = [sid for sid, deps in pending.items() if deps <= finished]
                for sid in ready[: limit - len(running)]:
                    del pending[sid]
                    running[pool.submit(run, sid)] = sid
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    sid = running.pop(future)
                    future.result()
                    finished.add(sid)
                on_step_done(finished)
        except BaseException:
            children.kill_all()  # stop the steps still running before re-raising
            raise
    return times
