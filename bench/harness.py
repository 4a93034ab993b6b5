"""What every scenario shares: alternating rounds, medians, ratios, plots, scratch databases."""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

POSTGRES_SERVER = os.environ.get(
    "FLUX_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432"
)


@dataclass
class Row:
    """One line of a scenario's table: ours vs a baseline, lower is better unless `higher_is_better`."""

    label: str
    ours: float
    baseline: float
    unit: str
    baseline_name: str
    higher_is_better: bool = False
    samples_ours: list[float] = field(default_factory=list)
    samples_baseline: list[float] = field(default_factory=list)

    @classmethod
    def of_samples(
        cls,
        label: str,
        ours: list[float],
        baseline: list[float],
        unit: str,
        baseline_name: str,
        *,
        scale: float = 1.0,
        higher_is_better: bool = False,
    ) -> Row:
        """The row of two alternated series: their medians (times `scale`) and the samples."""
        return cls(
            label,
            median(ours) * scale,
            median(baseline) * scale,
            unit,
            baseline_name,
            higher_is_better,
            ours,
            baseline,
        )

    @property
    def ratio(self) -> float:
        """ours / baseline for times; baseline / ours for rates: above 1 means we are slower."""
        if self.higher_is_better:
            return self.baseline / self.ours if self.ours else float("inf")
        return self.ours / self.baseline if self.baseline else float("inf")


@dataclass
class Result:
    name: str
    title: str
    target: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    met: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for row, raw in zip(self.rows, data["rows"], strict=True):
            raw["ratio"] = row.ratio
        return data


async def alternate(
    ours: Callable[[int], Awaitable[float]],
    baseline: Callable[[int], Awaitable[float]],
    rounds: int,
) -> tuple[list[float], list[float]]:
    """Run `ours(round)` and `baseline(round)` alternately (who goes first alternates too).

    Each returns the figure of its round (seconds per operation, say); the
    lists of figures come back for medians.
    """
    mine: list[float] = []
    theirs: list[float] = []
    for round_ in range(rounds):
        if round_ % 2 == 0:
            mine.append(await ours(round_))
            theirs.append(await baseline(round_))
        else:
            theirs.append(await baseline(round_))
            mine.append(await ours(round_))
    return mine, theirs


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def machine() -> str:
    cpus = os.cpu_count()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return f"{model}, {cpus} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


async def pg_admin(statement: str) -> None:
    import asyncpg

    u = make_url(POSTGRES_SERVER)
    conn = await asyncpg.connect(
        host=u.host,
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        database="postgres",
        timeout=5,
    )
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(backend: str, workdir: Path) -> AsyncIterator[str]:
    """A URL of a new, empty database, dropped afterwards."""
    name = f"flux_bench_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        # the files go with the caller's temporary folder
        yield f"sqlite+aiosqlite:///{workdir / f'{name}.db'}"
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend}")
    await pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


FLUX_PG_DRIVER = os.environ.get("FLUX_BENCH_PG_DRIVER", "psycopg")
"""The driver of flux's own PostgreSQL URLs in the benches: psycopg, whose write
transaction is pipelined (server/store/sql/pg_driver.py); asyncpg for the Core path."""


def flux_url(url: str) -> str:
    """`url` with flux's PostgreSQL driver (FLUX_BENCH_PG_DRIVER); others unchanged.
    Baselines keep the URL they were given (asyncpg)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.set(drivername=f"postgresql+{FLUX_PG_DRIVER}").render_as_string(
        hide_password=False
    )


def plot(result: Result, path: Path) -> None:
    """A bar chart of ours vs baseline per row, ratios on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [row.label for row in result.rows]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.8 * len(labels) + 2), 3.6))
    xs = range(len(labels))
    width = 0.38
    ours = [row.ours for row in result.rows]
    base = [row.baseline for row in result.rows]
    ax.bar([x - width / 2 for x in xs], ours, width, label="flux", color="#3b6ea8")
    ax.bar([x + width / 2 for x in xs], base, width, label="baseline", color="#b0b0b0")
    for x, row in zip(xs, result.rows, strict=True):
        top = max(row.ours, row.baseline)
        label = (
            f"{row.ours / row.baseline:.1f}x faster"
            if row.higher_is_better and row.baseline
            else f"{row.ratio:.2f}x"
        )
        ax.text(x, top * 1.02, label, ha="center", va="bottom", fontsize=9)
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.set_ylabel(result.rows[0].unit if result.rows else "")
    ax.set_title(result.title, fontsize=10)
    ax.legend(fontsize=8)
    ax.set_ylim(0, max(ours + base) * 1.2 if ours + base else 1)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_async(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]
