"""flux check-reducers: every pitfall fixture is caught where it is marked, and
the real shared reducers pass."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from server.cli import main
from server.tools.reducer_check import check_paths, check_source, default_paths
from shared_reducers.combine import combine_reducers
from shared_reducers.memory import empty_state, reduce_state

PITFALLS = Path(__file__).parents[1] / "fixtures" / "pitfalls"
FIXTURES = sorted(PITFALLS.glob("*.py"))


def marked_lines(path: Path) -> set[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {number for number, line in enumerate(lines, start=1) if "# pitfall" in line}


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_each_pitfall_is_reported_on_its_marked_lines(fixture: Path) -> None:
    reported = {problem.line for problem in check_paths([fixture])}
    assert marked_lines(fixture)
    assert reported == marked_lines(fixture)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_each_report_names_the_file_line_and_an_alternative(fixture: Path) -> None:
    for problem in check_paths([fixture]):
        path, line, message = str(problem).split(":", 2)
        assert Path(path).name == fixture.name
        assert int(line) == problem.line
        assert "; " in message, message


def test_there_is_a_fixture_per_pitfall_of_the_issue() -> None:
    names = {f.stem for f in FIXTURES}
    wanted = {
        "list_concat", "truthiness", "negative_index", "collection_equality", "dict_methods",
        "for_over_dict", "missing_key", "number_keys", "percent_format", "fstrings",
        "keyword_arguments",
    }  # fmt: skip
    assert wanted <= names


def test_the_shared_reducers_pass() -> None:
    assert check_paths(default_paths()) == []


def test_pragmas_are_allowed_in_portable_py_only() -> None:
    source = "def f():\n    return __pragma__('js', '{}', 'Date.now()')\n"
    assert check_source(source, "shared_reducers/portable.py") == []
    assert [p.line for p in check_source(source, "shared_reducers/notes.py")] == [2]


def test_cpython_only_code_of_portable_py_is_not_checked() -> None:
    source = (
        "# __pragma__ ('skip')\ndef keys_of(m):\n    return list(m.keys())\n"
        "# __pragma__ ('noskip')\ndef f(m):\n    return m.keys()\n"
    )
    assert [p.line for p in check_source(source, "portable.py")] == [6]


def test_a_syntax_error_is_a_problem_not_a_crash() -> None:
    [problem] = check_source("def f(:\n", "broken.py")
    assert problem.message.startswith("not valid Python")


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    [problem] = check_paths([tmp_path / "nothing.py"])
    assert "cannot be read" in problem.message


def test_the_command_fails_and_prints_file_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    fixture = PITFALLS / "negative_index.py"
    assert main(["check-reducers", str(fixture)]) == 1
    out = capsys.readouterr().out
    assert "negative_index.py:5: xs[-1] is undefined in JavaScript; use xs[len(xs) - 1]" in out


def test_the_command_passes_on_the_shared_reducers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-reducers"]) == 0
    assert capsys.readouterr().out == ""


def readme_reducer() -> str:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Write a shared reducer", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    return code.group(1)


def test_the_readme_reducer_is_portable_and_under_40_lines() -> None:
    code = readme_reducer()
    assert check_source(code, "README.md") == []
    assert len(code.splitlines()) < 40


def test_the_readme_reducer_makes_a_conflict_copy() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(readme_reducer(), "README.md", "exec"), namespace)
    root = combine_reducers({"notes": namespace["notes_reducer"]})
    state = empty_state(["notes"])
    for event in [
        {"type": "noteAdded", "id": "e1", "timestamp": "T", "payload": {"id": "n1", "title": "a", "text": ""}},
        {"type": "noteTitleEdited", "id": "e2", "timestamp": "T", "payload": {"id": "n1", "title": "b", "baseVersion": 1}},
        {"type": "noteTitleEdited", "id": "e3", "timestamp": "T", "payload": {"id": "n1", "title": "c", "baseVersion": 1}},
    ]:  # fmt: skip
        state = reduce_state(root, state, event)
    assert (state["notes"]["n1"]["title"], state["notes"]["n1~e3"]["title"]) == (
        "b",
        "c (conflict)",
    )
