"""The browser's pure logic (pending queue, rebase, drafts), tested by Node's test runner."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_browser_logic_passes_its_node_tests() -> None:
    node = shutil.which("node")
    assert node, "node is not on PATH; install Node 20+ to run the browser's unit tests."
    assert (ROOT / "node_modules" / "redux").is_dir(), "run `npm ci` (or `make test`) first."
    done = subprocess.run(
        [node, "--test", "web/test/"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
