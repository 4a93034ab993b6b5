"""A child process's own peak RSS, reported to the process that measures it.

`ru_maxrss` from `os.wait4` is not the child's own figure on Linux: at exec the
kernel seeds the new process's maximum with the peak of the address space it
replaces, the copy of the parent's. A bench parent that peaked at 439 MB made
every child it ran report 439 MB. `VmHWM` in /proc/<pid>/status belongs to the
address space created at exec, so the child reads it as it exits and writes it
where the parent asked (`FLUX_BENCH_PEAK_FILE`). Lightweight on purpose: it is
imported before anything else in the child.
"""

from __future__ import annotations

import atexit
import os
import resource

PEAK_FILE = "FLUX_BENCH_PEAK_FILE"


def peak_rss_mb() -> float:
    """This process's peak resident set since its exec, in MB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report_at_exit() -> None:
    """When the parent asked for it, write this process's peak RSS there at exit."""
    path = os.environ.get(PEAK_FILE)
    if path:

        def write() -> None:
            with open(path, "w") as out:
                out.write(f"{peak_rss_mb():.1f}\n")

        atexit.register(write)


def read_reported(path: str, fallback_mb: float) -> float:
    """The figure a child wrote, or `fallback_mb` when it wrote none."""
    try:
        with open(path) as said:
            return float(said.read().strip())
    except (OSError, ValueError):
        return fallback_mb
