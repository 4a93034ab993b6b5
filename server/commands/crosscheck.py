"""`flux crosscheck`: the same events through a reducer in CPython and in Node."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.tools.casegen import generate_cases
from server.tools.crosscheck import (
    Case,
    CrosscheckError,
    crosscheck,
    describe_difference,
    load_reducer,
    parse_spec,
    read_cases,
)


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "crosscheck",
        help="fold events through reducers in CPython and in Node (Transcrypt) and compare",
        description=(
            "Fold each case (one JSON list of events per line of FILE) through "
            "combine_reducers of the given reducers in CPython and in Node with the "
            "Transcrypt build; compare after every event whether it was rejected (and "
            "why) and the rows at the end. Exit 1 if any case differs, 2 on bad input."
        ),
    )
    parser.add_argument(
        "reducers",
        nargs="+",
        metavar="COLLECTION=MODULE:FUNCTION",
        help="a reducer (collection, event) -> changeset for one collection",
    )
    parser.add_argument("--cases", type=Path, metavar="FILE", help="one JSON list of events a line")
    parser.add_argument(
        "--generate",
        type=int,
        metavar="N",
        help="make N cases (valid and fuzzed) from the modules' declared SCHEMAS",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of --generate (default: 0)")
    parser.add_argument(
        "--exact-errors",
        action="store_true",
        help="compare the message of every exception, not only of EventRejected and KeyError",
    )
    parser.add_argument(
        "--no-schema",
        action="store_true",
        help="fold events the declared SCHEMAS refuse too (the server's entry never lets "
        "them reach a reducer)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        return check(
            args.reducers,
            args.cases,
            args.generate,
            args.seed,
            args.exact_errors,
            not args.no_schema,
        )
    except CrosscheckError as error:
        print(f"flux crosscheck: {error}", file=sys.stderr)
        return 2


def check(
    texts: list[str],
    cases_file: Path | None,
    generate: int | None,
    seed: int,
    exact: bool = False,
    schema: bool = True,
) -> int:
    specs = [parse_spec(text) for text in texts]
    if (cases_file is None) == (generate is None):
        raise CrosscheckError("Give either --cases FILE or --generate N (not both).")
    started = time.monotonic()
    if cases_file is not None:
        cases = read_cases(cases_file)
        source = str(cases_file)
    else:
        assert generate is not None
        if generate < 1:
            raise CrosscheckError(f"--generate needs a positive number of cases; got {generate}.")
        for spec in specs:
            load_reducer(spec)  # a clear error for a missing module or function first
        modules = [spec.module for spec in specs]
        events = generate_cases(modules, generate, seed)
        cases = [Case(number, case) for number, case in enumerate(events, start=1)]
        source = f"generated with --seed {seed}"
    report = crosscheck(specs, cases, exact, schema)
    seconds = report.seconds
    print(f"{report.cases} cases, {len(report.differences)} differ ({source})")
    print(
        f"events: {report.accepted} accepted, {report.rejected} rejected (in CPython); "
        f"{report.final_rows} rows at the end of the cases"
    )
    print(
        f"time: {time.monotonic() - started:.2f} s in all; build {seconds['build']:.2f} s, "
        f"CPython {seconds['cpython']:.2f} s, Node {seconds['node']:.2f} s"
    )
    if report.differences:
        print(describe_difference(report.differences[0]))
        return 1
    return 0
