"""Progress of long work: a rich bar on a terminal, plain lines otherwise, or nothing.

progress = progress_for(sys.stderr)
progress.start("replaying", total=100_000)
progress.advance(2000)
progress.finish()
"""

from __future__ import annotations

import time
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class Reporter(Protocol):
    def start(self, description: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...

    def finish(self) -> None: ...


class Silent:
    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def finish(self) -> None:
        pass


class Lines:
    """`replaying the log: 2000/100000 (2%)` lines (`importing: 2000` when the
    total is 0, i.e. not known), at most one every `interval` seconds; work that
    ends within the first interval prints nothing."""

    def __init__(self, stream: TextIO, interval: float = 1.0) -> None:
        self.stream = stream
        self.interval = interval
        self.description = ""
        self.total = 0
        self.done = 0
        self.shown = 0.0
        self.printed = False

    def start(self, description: str, total: int) -> None:
        self.description, self.total, self.done = description, total, 0
        self.shown = time.monotonic()
        self.printed = False

    def advance(self, amount: int) -> None:
        self.done += amount
        if time.monotonic() - self.shown >= self.interval:
            self.shown = time.monotonic()
            self._line()

    def finish(self) -> None:
        if self.printed:
            self._line()

    def _line(self) -> None:
        self.printed = True
        if self.total:
            done = f"{self.done}/{self.total} ({100 * self.done // self.total}%)"
        else:  # a streamed input (flux import from stdin): the total is not known
            done = str(self.done)
        print(f"{self.description}: {done}", file=self.stream, flush=True)


class Bar:
    """A rich progress bar on the terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self.task: int | None = None

    def start(self, description: str, total: int) -> None:
        self.finish()
        self.progress.start()
        # total 0: not known in advance (a streamed input): rich shows a pulsing bar
        self.task = self.progress.add_task(description, total=total or None)

    def advance(self, amount: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, amount)  # type: ignore[arg-type]

    def finish(self) -> None:
        if self.task is not None:
            self.progress.stop()
            self.task = None


def progress_for(stream: TextIO, interval: float = 1.0) -> Reporter:
    """A bar when `stream` is a terminal, plain lines otherwise."""
    return Bar(stream) if stream.isatty() else Lines(stream, interval)
