"""flux transpile: the shared reducers as ES modules, with one entry module (its time is printed by the command, not asserted)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from server.cli import main
from server.tools.transpile import ENTRY_FILE, ENTRY_NAMES, build_reducers


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("web") / "build"
    return out, build_reducers(out)


def test_the_entry_module_exports_every_public_name_in_node(build: tuple[Path, float]) -> None:
    entry = (build[0] / ENTRY_FILE).as_uri()
    node = shutil.which("node")
    assert node is not None, "Node is needed for this test; install Node 20."
    script = f"const m = await import({json.dumps(entry)}); console.log(JSON.stringify(Object.keys(m).sort()));"
    ran = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True
    )
    expected = sorted(name for names in ENTRY_NAMES.values() for name in names)
    assert json.loads(ran.stdout) == expected


def test_the_runtime_is_in_the_build(build: tuple[Path, float]) -> None:
    assert (build[0] / "org.transcrypt.__runtime__.js").exists()


def test_a_rebuild_replaces_the_old_build(tmp_path: Path) -> None:
    out = tmp_path / "build"
    out.mkdir()
    (out / "stale.js").write_text("")
    build_reducers(out)
    assert not (out / "stale.js").exists()
    assert (out / ENTRY_FILE).exists()


def test_the_command_writes_the_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transpile", "--out", str(tmp_path / "build")]) == 0
    assert "shared_reducers.js" in capsys.readouterr().out
