"""The README's example runs exactly as printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_store_example_in_the_readme_runs_as_printed(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The store in 20 lines", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    script = tmp_path / "example.py"
    script.write_text(code.group(1))
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "committed ['userAdded']",
        "committed ['userLoggedIn', 'userLoggedIn']",
        "[{'id': 'u1', 'name': 'Ada', 'logins': 2}]",
        "3 events in the log",
    ]
