"""A long-lived Node process running tests/support/node/run_coedit.mjs on the build."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.tools.transpile import BUILD, ENTRY_FILE, SOURCE, build_reducers

RUNNER = Path(__file__).parents[1] / "support" / "node" / "run_coedit.mjs"


def ensure_build() -> Path:
    """web/build/shared_reducers.js, rebuilt when a shared_reducers/*.py is newer."""
    entry = BUILD / ENTRY_FILE
    newest = max(p.stat().st_mtime for p in SOURCE.glob("*.py"))
    if not entry.exists() or entry.stat().st_mtime < newest:
        build_reducers()
    return entry


class NodeCoedit:
    """One JSON line per request each way."""

    def __init__(self, entry: Path) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.fail("Node is needed for the co-editing tests; install Node 20.")
        self.process = subprocess.Popen(
            [node, str(RUNNER), str(entry)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            pytest.fail(f"the Node runner exited with code {self.process.wait()}")
        answer: dict[str, Any] = json.loads(line)
        if "crash" in answer:
            pytest.fail(f"Node crashed: {answer['crash']}\nrequest: {json.dumps(request)}")
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="session")
def node_coedit() -> Iterator[NodeCoedit]:
    runner = NodeCoedit(ensure_build())
    yield runner
    runner.close()
