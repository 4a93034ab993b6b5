"""Printing results as a table, and writing them as JSON, plots and markdown."""

from __future__ import annotations

import json
from pathlib import Path

from bench.harness import Result, machine, plot


def format_value(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(result: Result) -> str:
    lines = [f"{result.title}  (target: {result.target}; met: {_met(result)})"]
    lines.append(f"  {'case':38} {'flux':>12} {'baseline':>12}  {'ratio':>7}  unit / baseline")
    for row in result.rows:
        label = row.label.replace("\n", " ")
        lines.append(
            f"  {label:38} {format_value(row.ours):>12} {format_value(row.baseline):>12}  "
            f"{row.ratio:>6.2f}x  {row.unit} / {row.baseline_name}"
        )
    lines.extend(f"  note: {note}" for note in result.notes)
    return "\n".join(lines)


def _met(result: Result) -> str:
    return "n/a" if result.met is None else ("yes" if result.met else "NO")


def write_json(results: list[Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"machine": machine(), "results": [r.as_dict() for r in results]}, indent=2)
    )


def write_plots(results: list[Result], folder: Path) -> None:
    for result in results:
        if result.rows:
            plot(result, folder / f"{result.name}.png")


def markdown(results: list[Result]) -> str:
    out = [f"Machine: {machine()}", ""]
    for result in results:
        out.append(f"### {result.title}")
        out.append("")
        out.append(f"Target: {result.target}. Met: **{_met(result)}**.")
        out.append("")
        out.append("| case | flux | baseline | ratio (flux/baseline) | unit | baseline |")
        out.append("| --- | ---: | ---: | ---: | --- | --- |")
        for row in result.rows:
            out.append(
                f"| {row.label.replace(chr(10), ' ')} | {format_value(row.ours)} | "
                f"{format_value(row.baseline)} | {row.ratio:.2f}x | {row.unit} | {row.baseline_name} |"
            )
        out.append("")
        out.extend(f"{note}" for note in result.notes)
        out.append("")
        out.append(f"![{result.name}](bench/{result.name}.png)")
        out.append("")
    return "\n".join(out)
