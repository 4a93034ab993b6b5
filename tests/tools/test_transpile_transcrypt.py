"""The Transcrypt run of `flux transpile` (filterId memoized): same names, errors reported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server.tools.transpile import _TRANSCRYPT_MAIN, TranspileError, build

CHECKED = _TRANSCRYPT_MAIN.replace(
    "Generator.filterId = memo_filter_id",
    """
calls = [0]
def checked(self, qualified_id):
    fast = memo_filter_id(self, qualified_id)
    slow = filter_id(self, qualified_id)
    assert fast == slow, (qualified_id, fast, slow)
    calls[0] += 1
    return fast
Generator.filterId = checked
import atexit
atexit.register(lambda: print("checked", calls[0], "names"))
""",
)


def test_memoized_filter_id_answers_as_transcrypt_does(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    # names that hit aliases (get, clear, keys, is, default) and names that do not
    (package / "m.py").write_text(
        "def get(default, keys):\n"
        "    clear = {'is': default}\n"
        "    total = 0\n"
        "    for key in keys:\n"
        "        total += len(clear.get(key, key))\n"
        "    return total, clear\n"
    )
    (tmp_path / "entry.py").write_text("import pkg.m\n")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CHECKED,
            "-b",
            "-n",
            "-xp",
            str(tmp_path),
            "-od",
            str(tmp_path / "out"),
            "entry.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "AssertionError" not in result.stderr
    checked = int(result.stdout.split("checked ")[1].split()[0])
    assert checked > 100  # the runtime and the module went through the check
    assert "py_get" in (tmp_path / "out" / "pkg.m.js").read_text()


def test_a_transcrypt_error_is_a_transpile_error_naming_the_import(tmp_path: Path) -> None:
    package = tmp_path / "badpkg"
    package.mkdir()
    (package / "a.py").write_text("from badpkg.missing import g\n")
    with pytest.raises(TranspileError, match="missing"):
        build(package, tmp_path / "out", "badpkg")
