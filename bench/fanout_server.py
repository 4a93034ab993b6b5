"""`flux serve` for the fan-out benchmark, with a clock at the commit.

    FLUX_BENCH_COMMIT_TIMES=FILE python -m bench.fanout_server --port P --database URL

Runs the notes server exactly as `flux serve` does (same app, same uvicorn
protocols and limits), and subscribes one more listener to the store, moved
ahead of the fan-out's, that notes `time.time()` for each committed seq: the
moment the store's listeners are called after the commit.  On SIGUSR1 it
writes {seq: time} to FILE (the benchmark then subtracts it from each client's
receipt time: the "same work" figure, commit -> receipt).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from server.commands import serve as serve_command
from server.store import Event

commit_times: dict[int, float] = {}


def note_commit(events: list[Event]) -> None:
    now = time.time()
    for event in events:
        commit_times[int(event["seq"])] = now


def dump() -> None:
    path = Path(os.environ["FLUX_BENCH_COMMIT_TIMES"])
    path.with_suffix(".tmp").write_text(json.dumps(commit_times))
    path.with_suffix(".tmp").replace(path)


_open_app = serve_command.open_app


async def open_app_with_clock(settings: Any) -> Any:
    app = await _open_app(settings)
    store = app.state.flux.store
    store.subscribe(note_commit)
    # First in line: the clock starts when the listeners are called, before the fan-out.
    listeners = store._core.listeners  # a benchmark probe: private on purpose
    listeners.insert(0, listeners.pop())
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, dump)
    return app


def main() -> int:
    serve_command.open_app = open_app_with_clock  # type: ignore[assignment]
    from server.cli import main as flux_main

    return flux_main(["serve", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
