"""Job work dirs and child processes, and their cleanup when the worker is told to stop.

The local endpoint cancels a job by terminating the worker process (SIGTERM), and RunPod
stops containers the same way. A job's ffmpeg children and its work dir must not outlive
that, so while a job runs, SIGTERM/SIGINT kill the children, remove the work dir and end
the process. With no job running, the signal goes to whatever handler was there before
(the runpod SDK's graceful shutdown).
"""

import logging
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("autodark.lifecycle")

# /dev/shm is memory-backed (fast intermediates), but Docker gives it 64 MiB by default:
# use it only when it has room for real media.
SHM_MIN_FREE_BYTES = 4 << 30


class Cancelled(Exception):
    """The job's processes were killed (another step failed, or the worker is stopping)."""


class Children:
    """The ffmpeg processes of one job, killed together when the job fails or is stopped.

    Once killed, no new process starts: that is how a stopped job's thread winds down."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # re-entered by the signal handler
        self._procs: set[subprocess.Popen] = set()
        self._killed = False

    def spawn(self, cmd: list[str], **popen_args) -> subprocess.Popen:
        with self._lock:
            if self._killed:
                raise Cancelled()
            proc = subprocess.Popen(cmd, **popen_args)
            self._procs.add(proc)
            return proc

    def release(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.discard(proc)

    @property
    def killed(self) -> bool:
        return self._killed

    def raise_if_killed(self) -> None:
        """For long work without children (transcription): stop once the job was stopped."""
        if self._killed:
            raise Cancelled()

    def kill_all(self) -> None:
        with self._lock:
            self._killed = True
            procs = list(self._procs)
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log.error("child %d did not exit after SIGKILL", proc.pid)


_active_lock = threading.RLock()  # re-entered by the signal handler
_active_dirs: set[Path] = set()
_active_children: set[Children] = set()


def work_root() -> Path:
    """Where job work dirs go: $WORK_ROOT, else /dev/shm when it has room, else the temp dir."""
    configured = os.environ.get("WORK_ROOT")
    if configured:
        return Path(configured)
    shm = Path("/dev/shm")
    try:
        if os.access(shm, os.W_OK) and shutil.disk_usage(shm).free >= SHM_MIN_FREE_BYTES:
            return shm
    except OSError:
        pass
    return Path(tempfile.gettempdir())


# autodark-<what>-p<owner pid>-<random>: the naming common/work-dirs.ts uses too
OWNED_DIR = re.compile(r"^autodark-.+-p(\d+)-[^-]+$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    try:  # a killed process nobody has reaped yet (a zombie) still answers signal 0
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


def sweep_orphaned_work_dirs(root: Path | None = None) -> list[str]:
    """Removes the work dirs whose owner process is gone (a worker killed hard cannot clean up;
    its job is retried elsewhere). Dirs of live processes are left alone. Returns their names."""
    root = root or work_root()
    removed = []
    for entry in root.iterdir() if root.is_dir() else []:
        match = OWNED_DIR.match(entry.name)
        if not match or int(match.group(1)) == os.getpid() or _alive(int(match.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry.name)
    return removed


@contextmanager
def active_job(children: Children) -> Iterator[Path]:
    """A fresh work dir for one job, removed on exit, when the job's children are killed too."""
    root = work_root()
    root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"autodark-job-p{os.getpid()}-", dir=root))
    with _active_lock:
        _active_dirs.add(workdir)
        _active_children.add(children)
    try:
        yield workdir
    finally:
        children.kill_all()
        shutil.rmtree(workdir, ignore_errors=True)
        with _active_lock:
            _active_dirs.discard(workdir)
            _active_children.discard(children)


def _on_stop_signal(signum, frame) -> None:
    with _active_lock:
        dirs = list(_active_dirs)
        children = list(_active_children)
    if not dirs and not children:
        _forward(signum, frame)
        return

    log.warning("received %s during a job: killing ffmpeg and removing the work dir",
                signal.Signals(signum).name)
    for job_children in children:
        job_children.kill_all()
    for workdir in dirs:
        shutil.rmtree(workdir, ignore_errors=True)
    # The SDK's heartbeat runs in a multiprocessing child; os._exit would orphan it.
    for child in multiprocessing.active_children():
        child.terminate()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(128 + signum)


_previous_handlers: dict[int, object] = {}


def _forward(signum, frame) -> None:
    previous = _previous_handlers.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def install_signal_handlers() -> None:
    """(Re)installs the stop handlers in front of whatever is installed now.

    Called at each job start because the runpod SDK installs its own SIGTERM handler after
    our module loads; ours forwards to it when no job is running. Signals can only be set
    from the main thread (the SDK calls synchronous handlers there); elsewhere this is a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        current = signal.getsignal(signum)
        if current is not _on_stop_signal:
            _previous_handlers[signum] = current
            signal.signal(signum, _on_stop_signal)
