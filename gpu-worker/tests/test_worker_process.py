"""The worker as a process run by the runpod SDK: progress through the SDK, and stopping a
job (SIGTERM to the process, or the SDK cancelling the job) kills ffmpeg and cleans up."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from conftest import REPO_DIR
from handler import handler

MARKER = "sine=frequency=331:duration=120"  # finds our ffmpeg among the system's processes


def long_plan(server) -> dict:
    """One step that takes two minutes (-re reads the input in real time)."""
    return {
        "version": 1,
        "operation": "test-long",
        "inputs": [],
        "steps": [{"id": "slow", "durationSeconds": 120,
                   "argv": ["-re", "-f", "lavfi", "-i", MARKER, "{out:tone}"]}],
        "outputs": [{"id": "tone", "key": "jobs/x/tone.wav", "contentType": "audio/wav",
                     "upload": {"url": server.url("/put/tone.wav")}}],
    }


def short_plan(server) -> dict:
    return {
        "version": 1,
        "operation": "test-short",
        "inputs": [],
        "steps": [{"id": "tone", "durationSeconds": 1,
                   "argv": ["-f", "lavfi", "-i", "sine=duration=1", "{out:tone}"]}],
        "outputs": [{"id": "tone", "key": "jobs/x/tone.wav", "contentType": "audio/wav",
                     "upload": {"url": server.url("/put/tone.wav")}}],
    }


def start_worker(job_input: dict, work_root, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-u", "gpu-worker/handler.py",
         "--test_input", json.dumps({"id": "proc-job", "input": job_input})],
        cwd=REPO_DIR, env={**os.environ, "WORK_ROOT": str(work_root), **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def wait_for_ffmpeg(parent: psutil.Process, timeout_s: float = 60) -> psutil.Process:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for child in parent.children(recursive=True):
            try:
                if MARKER in " ".join(child.cmdline()):
                    return child
            except psutil.NoSuchProcess:
                pass
        time.sleep(0.1)
    raise AssertionError("the job's ffmpeg never started")


def is_gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_worker_reports_progress_through_the_sdk(server, work_root):
    worker = start_worker({"kind": "plan", "plan": short_plan(server)}, work_root,
                          RUNPOD_WEBHOOK_POST_OUTPUT=server.url("/job-done?id=$ID"))
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, output
    assert "video encoder: libx264" in output
    assert "/put/tone.wav" in server.uploads

    updates = [json.loads(body) for path, body in server.posts if path.startswith("/job-done?id=proc-job")]
    assert updates, f"no progress reached the endpoint: {output}"
    assert all(u["status"] == "IN_PROGRESS" for u in updates)
    assert all(0 <= u["output"]["percent"] <= 100 for u in updates)
    assert {u["output"]["stage"] for u in updates} >= {"processing", "uploading"}
    assert list(work_root.iterdir()) == []


def test_sigterm_kills_ffmpeg_and_removes_the_work_dir(server, work_root):
    worker = start_worker({"kind": "plan", "plan": long_plan(server)}, work_root)
    try:
        ffmpeg = wait_for_ffmpeg(psutil.Process(worker.pid))
        assert len(list(work_root.iterdir())) == 1, "the job has its work dir"
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 128 + signal.SIGTERM, output
    assert "received SIGTERM during a job" in output
    assert is_gone(ffmpeg)
    assert list(work_root.iterdir()) == []
    assert server.uploads == {}


def test_a_worker_killed_hard_leaves_its_work_dir_to_the_next_worker(server, work_root):
    """kill -9 (OOM, a supervisor's hard kill) leaves no chance to clean up; the next worker
    process on the host removes what the dead one left, and keeps what live ones own."""
    live_owner = subprocess.Popen(["sleep", "60"])
    live_dir = work_root / f"autodark-job-p{live_owner.pid}-livejob1"
    live_dir.mkdir()
    worker = start_worker({"kind": "plan", "plan": long_plan(server)}, work_root)
    try:
        ffmpeg = wait_for_ffmpeg(psutil.Process(worker.pid))
        worker.kill()
        worker.communicate(timeout=30)
        ffmpeg.kill()
        dead_dirs = [d.name for d in work_root.iterdir() if d != live_dir]
        assert len(dead_dirs) == 1, "the killed worker could not remove its work dir"
        assert dead_dirs[0].startswith(f"autodark-job-p{worker.pid}-")

        second = start_worker({"kind": "plan", "plan": short_plan(server)}, work_root)
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 0, output
        assert "removed work dirs of workers that are gone: " + dead_dirs[0] in output
        assert [d.name for d in work_root.iterdir()] == [live_dir.name]
    finally:
        for proc in (worker, live_owner):
            if proc.poll() is None:
                proc.kill()
        live_owner.wait()


def test_cancelled_job_kills_ffmpeg_and_removes_the_work_dir(server, work_root):
    """RunPod's stop channel makes the SDK cancel the job's task: the same happens here."""

    async def cancel_midway() -> psutil.Process:
        job = {"id": "c1", "input": {"kind": "plan", "plan": long_plan(server)}}
        task = asyncio.create_task(handler(job))
        ffmpeg = await asyncio.to_thread(wait_for_ffmpeg, psutil.Process())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return ffmpeg

    ffmpeg = asyncio.run(cancel_midway())
    assert is_gone(ffmpeg)
    assert list(work_root.iterdir()) == []
    assert server.uploads == {}
