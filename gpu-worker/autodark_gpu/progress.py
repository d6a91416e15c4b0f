"""Throttled job progress: {"stage", "percent"} sent to a report callback.

Stages and percent ranges match the local executor (media/executor.ts): downloading 0-10,
processing 10-95, uploading 95-100; percent has one decimal and never goes backwards."""

import threading
import time
from collections.abc import Callable

Report = Callable[[dict], None]

MIN_INTERVAL_S = 1.0


class Progress:
    """Reports at most once a second, plus every stage change and stage completion, so a
    job does not flood the endpoint with updates."""

    def __init__(self, report: Report, stages: dict[str, tuple[float, float]]):
        self._report = report
        self._stages = stages  # stage -> (start percent, end percent)
        self._lock = threading.Lock()
        self._percent = -1.0
        self._stage = ""
        self._sent_at = 0.0

    def update(self, stage: str, fraction: float) -> None:
        start, end = self._stages[stage]
        fraction = min(max(fraction, 0.0), 1.0)
        with self._lock:
            percent = max(round(start + (end - start) * fraction, 1), self._percent)
            now = time.monotonic()
            due = (stage != self._stage or fraction == 1.0
                   or (percent > self._percent and now - self._sent_at >= MIN_INTERVAL_S))
            if not due:
                return
            self._percent, self._stage, self._sent_at = percent, stage, now
            self._report({"stage": stage, "percent": percent})
