"""Showing a build's progress: a bar rewriting one line on a terminal, a plain line now and then in a log."""

from __future__ import annotations

import io
import os
import shutil
import time
from typing import TextIO

from refbot.catalog.index import BuildProgress

_TTY_INTERVAL = 0.1
_LOG_INTERVAL = 5.0
_MAX_WIDTH = 100
_BAR_CELLS = 20


class ProgressPrinter:
    """Shows build progress: a self-rewriting line on a terminal, a log line now and then otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last = 0.0
        self._shown = False
        self._width = _MAX_WIDTH

    def __call__(self, progress: BuildProgress) -> None:
        now = time.monotonic()
        # Updates are thinned out, but never the last: a build must not end on "250 records · file 0/1".
        finished = progress.files_done == progress.files_total
        if not finished and now - self._last < (_TTY_INTERVAL if self.tty else _LOG_INTERVAL):
            return
        self._last = now
        if self.tty:
            self._width = _columns(self.stream) - 1
            self.stream.write("\r" + _progress_bar(progress, self._width))
            self._shown = True
        else:
            self.stream.write(f"index build: {_progress_text(progress)}\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the progress line so the summary starts on a fresh one."""
        if self.tty and self._shown:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def _columns(stream: TextIO) -> int:
    """The terminal's width (at most :data:`_MAX_WIDTH`), asked of the stream being written to."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        columns = 0
    if columns <= 0:  # not a terminal we can ask, or one that does not know its size
        columns = shutil.get_terminal_size((_MAX_WIDTH + 1, 24)).columns
    return max(40, min(_MAX_WIDTH + 1, columns))


def _progress_bar(progress: BuildProgress, width: int) -> str:
    """``[#####-----]  42% ·`` and the progress text, fitted to ``width`` columns."""
    share = progress.bytes_done / progress.bytes_total if progress.bytes_total else 0.0
    filled = round(share * _BAR_CELLS)
    bar = f"[{'#' * filled}{'-' * (_BAR_CELLS - filled)}] {share:4.0%} · "
    return (bar + _progress_text(progress)).ljust(width)[:width]


def _progress_text(progress: BuildProgress) -> str:
    eta = progress.eta
    eta_text = f"ETA {int(eta) // 60}:{int(eta) % 60:02d}" if eta is not None else "ETA …"
    return (
        f"{progress.read:,} records · {progress.rate:,.0f}/s · "
        f"file {progress.files_done}/{progress.files_total} · {eta_text}"
    )
