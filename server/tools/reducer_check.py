"""The checker behind `flux check-reducers`: what still cannot agree.

Shared reducers are written in natural Python: the build lowers subscripts,
dict methods, truthiness, `+`/`*`, comparisons, f-strings, keyword arguments,
sorting and the rest to a twin runtime that means the same in CPython and in
the browser.  What remains are the constructs no lowering can make agree (a
float has no `.0` in JavaScript, a set has another order, the clock differs)
and the Python that Transcrypt cannot translate at all.  This module parses a
reducer module (never imports it) and reports each of them as
`file:line: what is wrong and why; what to write instead`.  The list, with the
reasons, is SUBSET.md; each rule has a fixture in tests/fixtures/pitfalls/.

It also runs the build's lowering (server/tools/lowering.py) on the module
and reports what the lowering refuses, so one command shows both.

The check is syntactic with a little local inference: a name is a float, a
set, a string, ... when every assignment to it in its function (or module)
says so.  What it cannot see, `flux crosscheck` and the isomorphism tests
catch.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

from server.tools import lowering
from server.tools.reducer_rules import Problem, RuleChecker

ROOT = Path(__file__).resolve().parents[2]
REDUCERS = ROOT / "shared_reducers"
SUBSET = "SUBSET.md"
ESCAPE_HATCH = "portable.py"
"""The one module allowed pragmas and executable comments."""


def default_paths() -> list[Path]:
    return [REDUCERS]


def python_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.glob("*.py"))
        else:
            yield path


def check_paths(paths: Iterable[Path]) -> list[Problem]:
    problems: list[Problem] = []
    folders: dict[Path, dict[str, ast.Module]] = {}
    for path in python_files(paths):
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(_shown(path), 0, f"cannot be read ({error}); check the path"))
            continue
        package = _package_of(path)
        signatures: dict[str, lowering.Signature] = {}
        if package is not None:
            folder = path.resolve().parent
            if folder not in folders:
                folders[folder] = _package_trees(folder)
            trees = folders[folder]
            if path.stem in trees:
                by_module = {name: lowering.signatures_of(tree) for name, tree in trees.items()}
                signatures = lowering.module_signatures(trees[path.stem], package, by_module)
        problems.extend(check_source(source, _shown(path), package, signatures))
    return sorted(problems)


def _package_trees(folder: Path) -> dict[str, ast.Module]:
    """The parsed modules of a package, whose functions `flux transpile` gives
    the lowering (so keyword arguments to them are known)."""
    trees: dict[str, ast.Module] = {}
    for sibling in sorted(folder.glob("*.py")):
        try:
            trees[sibling.stem] = ast.parse(sibling.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError):
            continue
    return trees


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _package_of(path: Path) -> str | None:
    """The name of the package holding the module (its folder has an
    __init__.py), whose own modules it may import."""
    folder = path.resolve().parent
    return folder.name if (folder / "__init__.py").exists() else None


def check_source(
    source: str,
    path: str,
    package: str | None = None,
    signatures: dict[str, lowering.Signature] | None = None,
) -> list[Problem]:
    """Every construct of one module's source that cannot agree in both engines:
    the rules below, and what the build's lowering refuses (the first refusal)."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as error:
        return [Problem(path, error.lineno or 1, f"not valid Python: {error.msg}")]
    checker = RuleChecker(path, Path(path).name == ESCAPE_HATCH, package)
    checker.check_comments(source)
    checker.run(tree)
    skipped = _skipped_lines(source) if checker.escape_hatch else set()
    problems = {p for p in checker.problems if p.line not in skipped}
    refused = _lowering_refusal(source, path, signatures)
    if refused is not None and refused.line not in {p.line for p in problems}:
        problems.add(refused)
    return sorted(problems)


def _lowering_refusal(
    source: str, path: str, signatures: dict[str, lowering.Signature] | None
) -> Problem | None:
    """What `flux transpile` would refuse in this module, as a problem."""
    try:
        lowering.lower(source, path, signatures)
    except lowering.LoweringError as error:
        where, _, message = str(error).partition(": ")
        line = where.rpartition(":")[2]
        return Problem(path, int(line) if line.isdigit() else 1, message)
    return None


def _skipped_lines(source: str) -> set[int]:
    """The lines between `# __pragma__ ('skip')` and `# __pragma__ ('noskip')`:
    CPython's half of portable.py, which Transcrypt never sees."""
    skipped: set[int] = set()
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        text = line.strip().replace('"', "'").replace(" ", "")
        if text == "#__pragma__('skip')":
            inside = True
        elif text == "#__pragma__('noskip')":
            inside = False
        elif inside:
            skipped.add(number)
    return skipped
