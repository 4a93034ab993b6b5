"""`flux bench` writes its JSON and markdown after every scenario: a full run
takes about an hour, and one stopped late keeps what it measured."""

from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path

import pytest

from bench.harness import Result, Row
from server.commands import bench


def _scenario(name: str, fails: bool = False) -> types.ModuleType:
    module = types.ModuleType(f"bench.{name}")

    async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
        if fails:
            raise RuntimeError(f"{name} stopped")
        return Result(name, name.title(), "ratio <= 1", [Row("case", 1.0, 2.0, "s", "core")])

    module.run = run  # type: ignore[attr-defined]
    return module


def test_a_run_stopped_late_keeps_the_scenarios_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "bench.fake_done", _scenario("fake_done"))
    monkeypatch.setitem(sys.modules, "bench.fake_stopped", _scenario("fake_stopped", fails=True))
    args = argparse.Namespace(
        quick=False,
        only=["fake_done", "fake_stopped"],
        scenarios=[],
        backends="sqlite",
        json=tmp_path / "results.json",
        markdown=tmp_path / "tables.md",
        plots=tmp_path / "plots",
    )
    with pytest.raises(RuntimeError, match="fake_stopped stopped"):
        bench.run(args)
    written = json.loads((tmp_path / "results.json").read_text())
    assert [r["name"] for r in written["results"]] == ["fake_done"]
    assert "Fake_Done" in (tmp_path / "tables.md").read_text()
    assert (tmp_path / "plots" / "fake_done.png").is_file()
