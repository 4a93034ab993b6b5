"""bench.million measures each child's own peak RSS, not the one Linux seeds
from the parent at exec (which made every command of the million scenario
report the bench process's 439 MB)."""

from __future__ import annotations

import os
import sys

from bench.million import measured
from bench.peak import peak_rss_mb


def test_a_child_reports_its_own_peak_not_its_parents() -> None:
    ballast = bytearray(300 * 1024 * 1024)  # zero-filled: every page touched
    assert peak_rss_mb() > 300
    small = [sys.executable, "-c", "import bench.peak; bench.peak.report_at_exit()"]
    _, reported, _ = measured(small)
    _, _, usage = os.wait4(os.spawnv(os.P_NOWAIT, sys.executable, small), 0)
    inherited = usage.ru_maxrss / 1024
    assert reported < 100, reported
    assert inherited > reported  # what wait4 alone would have said
    del ballast


def test_a_child_that_grows_reports_its_growth() -> None:
    grow = [
        sys.executable,
        "-c",
        "import bench.peak; bench.peak.report_at_exit(); b = bytearray(150 * 1024 * 1024)",
    ]
    _, reported, _ = measured(grow)
    assert 150 < reported < 300, reported
