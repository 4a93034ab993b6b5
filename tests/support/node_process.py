"""A long-lived Node process running one of tests/support/node/*.mjs on the
built shared reducers: one JSON line per request each way."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server.tools.transpile import BUILD, ENTRY_FILE, build_reducers

NODE_DIR = Path(__file__).parent / "node"


def ensure_build() -> Path:
    """web/build/shared_reducers.js, rebuilt when a shared_reducers/*.py or the
    lowering changed (build_reducers is incremental: instant when nothing did)."""
    build_reducers()
    return BUILD / ENTRY_FILE


class NodeProcess:
    def __init__(self, runner: str) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.fail(f"Node is needed for the tests that use {runner}; install Node 20.")
        self.process = subprocess.Popen(
            [node, str(NODE_DIR / runner), str(ensure_build())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def ask(self, request: Any) -> dict[str, Any]:
        """Send one request; its answer (a crash report fails the test)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            pytest.fail(f"the Node runner exited with code {self.process.wait()}")
        answer: dict[str, Any] = json.loads(line)
        if isinstance(answer, dict) and "crash" in answer and "steps" not in answer:
            pytest.fail(f"Node crashed: {answer['crash']}\nrequest: {json.dumps(request)}")
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
