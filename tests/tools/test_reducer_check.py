"""flux check-reducers: each construct that cannot agree is reported on its
marked line (`# pitfall`), what the old subset refused and now agrees
(`# agrees`) is accepted, and the real shared reducers pass.  Whether the
`# agrees` lines really agree in both engines:
test_each_old_pitfall_that_is_accepted_agrees_in_both_engines."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest

from server.cli import main
from server.tools.reducer_check import check_paths, check_source, default_paths
from server.tools.transpile import TranspileError, build
from shared_reducers.combine import combine_reducers
from shared_reducers.errors import EventRejected
from shared_reducers.memory import empty_state, reduce_state, row_of

PITFALLS = Path(__file__).parents[1] / "fixtures" / "pitfalls"
FIXTURES = sorted(PITFALLS.glob("*.py"))


def marked_lines(path: Path, mark: str = "# pitfall") -> set[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {number for number, line in enumerate(lines, start=1) if mark in line}


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_each_pitfall_is_reported_on_its_marked_lines(fixture: Path) -> None:
    reported = {problem.line for problem in check_paths([fixture])}
    assert marked_lines(fixture) | marked_lines(fixture, "# agrees")
    assert reported == marked_lines(fixture)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_each_report_names_the_file_line_and_an_alternative(fixture: Path) -> None:
    for problem in check_paths([fixture]):
        path, line, message = str(problem).split(":", 2)
        assert Path(path).name == fixture.name
        assert int(line) == problem.line
        assert "; " in message, message


def test_there_is_a_fixture_per_construct_that_cannot_agree() -> None:
    names = {f.stem for f in FIXTURES if marked_lines(f)}
    wanted = {
        "float_text", "float_type", "dict_keys", "number_keys", "set_order", "identity",
        "imports", "untranslatable", "unsafe_integers", "reserved_names", "pragmas", "in_place",
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
        "# __pragma__ ('noskip')\ndef f(m):\n    return isinstance(m, float)\n"
    )
    assert [p.line for p in check_source(source, "portable.py")] == [6]


def test_a_syntax_error_is_a_problem_not_a_crash() -> None:
    [problem] = check_source("def f(:\n", "broken.py")
    assert problem.message.startswith("not valid Python")


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    [problem] = check_paths([tmp_path / "nothing.py"])
    assert "cannot be read" in problem.message


def test_the_command_fails_and_prints_file_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    fixture = PITFALLS / "float_type.py"
    assert main(["check-reducers", str(fixture)]) == 1
    out = capsys.readouterr().out
    assert "float_type.py:5: whether a number is a float cannot agree" in out
    assert "test isinstance(x, int) or compare values" in out


def test_the_command_takes_a_dotted_package(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-reducers", "tests.fixtures.pitfalls.identity"]) == 1
    assert "identity.py:5: is on strings and numbers cannot agree" in capsys.readouterr().out


def test_natural_python_is_accepted() -> None:
    source = (
        "from shared_reducers.errors import EventRejected\n"
        "def reducer(rows, event, limit=3):\n"
        "    payload = dict(event.get('payload') or {})\n"
        "    if not payload['title'].strip():\n"
        "        raise EventRejected(f\"{event['type']}: {len(payload)} fields, %s\" % 'x')\n"
        "    changes = rows.insert({**payload, 'n': limit}) + rows.remove(payload['id'])\n"
        "    changes += [x for x in sorted(payload.keys(), key=len, reverse=True)]\n"
        "    del payload['id']\n"
        "    return changes * 1 if isinstance(payload, dict) and payload != {} else []\n"
    )
    assert check_source(source, "shared_reducers/x.py") == []


def test_a_package_imports_its_own_modules(tmp_path: Path) -> None:
    package = tmp_path / "my_app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = package / "todos.py"
    module.write_text(
        "from my_app.helpers import f\nfrom .helpers import g\nimport time\n"
        "from other.my_app.helpers import h\n"
    )
    problems = check_paths([module])
    assert [(p.line, p.message.split(" ", 1)[0]) for p in problems] == [
        (3, "time"),
        (4, "other.my_app.helpers"),
    ]


def test_the_command_passes_on_the_shared_reducers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-reducers"]) == 0
    assert capsys.readouterr().out == ""


def readme_code_blocks() -> list[str]:
    """The Python blocks of README's "Write a shared reducer" (excerpts of
    shared_reducers/notes.py; the size claim is tests/reducers/test_notes_size.py's)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Write a shared reducer", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_readme_s_natural_reducer_passes_the_checker() -> None:
    reducers = [code for code in readme_code_blocks() if "def " in code]
    assert reducers
    for code in reducers:
        assert check_source(code, "README.md") == []
    assert any('payload["id"]' in code and 'f"' in code for code in reducers)  # natural Python


# -- every pitfall the old checker caught: still caught, or agrees -----------------------

CAUGHT = {
    "imports", "number_keys", "pragmas", "reserved_names", "unsafe_integers",
}  # fmt: skip
"""Old pitfalls still reported (each `# pitfall` line above)."""

AGREES: list[tuple[str, bool, list[tuple[str, list[Any]]]]] = [
    # (fixture, agrees thanks to the lowering, [(function, JSON arguments), ...])
    ("annotations", False, [("title", [{"title": "a"}])]),
    ("collection_equality", True, [("unchanged", [[]]), ("same_values", [{"id": "n1"}])]),
    ("del_statement", True, [("drop_first", [[1, 2, 3]])]),
    ("dict_methods", True, [
        ("names", [{"b": 1, "a": 2}]), ("pairs", [{"a": 1}]), ("title", [{}]),
        ("with_changes", [{"a": 1}, {"b": 2}]), ("drop", [{"id": "n1"}]),
    ]),
    ("exceptions", True, [("title_or_empty", [{}]), ("title_or_empty", [{"title": "t"}])]),
    ("for_over_dict", True, [("count", [{"a": 1, "b": 2}]), ("names", [])]),
    ("fstrings", False, [("reason", [3]), ("other", [3]), ("reason", ["x"])]),
    ("in_dict", True, [
        ("handles", ["noteAdded"]), ("handles", ["py_keys"]), ("handles", ["constructor"]),
        ("has_title", [{"title": 1}]), ("has_title", [{}]),
    ]),
    ("isinstance_checks", True, [("is_row", [{}]), ("is_row", [[]])]),
    ("keyword_arguments", True, [("make", [])]),
    ("keyword_arguments", False, [("many", ["a", "b"])]),
    ("len_of_text", True, [("too_long", ["a"]), ("too_long", ["😀" * 399])]),
    ("list_concat", True, [("add_note", [[1], 2]), ("add_all", [[1], 2])]),
    ("list_repeat", True, [("blanks", [2]), ("rule", [3])]),
    ("loop_else", False, [("find", [[1, 2], 2]), ("find", [[1], 3])]),
    ("methods_on_data", True, [("title", [{"title": "x"}]), ("title", [{}])]),
    ("missing_key", True, [("kind_of", [{"type": "a"}]), ("title_of", [{}])]),
    ("negative_index", True, [("last", [[1, 2, 3]])]),
    ("none_equality", False, [("absent", [None]), ("absent", [0]), ("absent", [""])]),
    ("percent_format", True, [("reason", ["n1"])]),
    ("sorting", True, [("ordered", [["\uffff", "😀", "a"]]), ("in_place", [["b", "a"]])]),
    ("str_of_number", False, [("label", [1]), ("label", [2.5])]),
    ("string_order", True, [("before", ["😀"])]),
    ("strip", True, [("clean", [" \x1c a \ufeff"]), ("words", ["a  b\tc"])]),
    ("truthiness", True, [
        ("any_notes", [{}]), ("has_tags", [{"tags": []}]), ("first_or", [[], "d"]),
    ]),
    ("unsupported", False, [("all_ids", [[{"id": "a"}, {"id": "b"}]]), ("unique", [[]])]),
        ("exceptions", False, []),  # its `except Exception` stays caught
]  # fmt: skip
"""Old pitfalls now accepted, with calls that show both engines agree on
them: built as `flux transpile` builds (the lowering, then Transcrypt) and run
in Node, against CPython.  The flag says whether plain Transcrypt already
agreed (False) or the lowering (server/tools/lowering.py) is what makes them
agree (True)."""

NEW_FIXTURES = {
    "float_text", "float_type", "set_order", "identity", "dict_keys", "untranslatable",
    "in_place",
}  # fmt: skip

RUNNER = """
import { pathToFileURL } from 'node:url';
const [, , file, calls] = process.argv;
const module = await import(pathToFileURL(file).href);
const out = [];
for (const [name, args] of JSON.parse(calls)) {
  try {
    const value = module[name](...args);
    out.push({value: JSON.parse(JSON.stringify(value === undefined ? '<undefined>' : value))});
  } catch (error) {
    out.push({error: error && error.__class__ ? error.__class__.__name__ : String(error)});
  }
}
console.log(JSON.stringify(out));
"""


def in_cpython(fixture: Path, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    namespace: dict[str, Any] = {"__name__": fixture.stem}
    with warnings.catch_warnings():  # `x is 1000` is what some fixtures show
        warnings.simplefilter("ignore", SyntaxWarning)
        code = compile(fixture.read_text(encoding="utf-8"), str(fixture), "exec")
    exec(code, namespace)
    out: list[dict[str, Any]] = []
    for name, args in calls:
        try:
            value = namespace[name](*json.loads(json.dumps(args)))
            out.append({"value": json.loads(json.dumps(value, default=list))})
        except Exception as error:
            out.append({"error": type(error).__name__})
    return out


def in_node(fixture: Path, calls: list[tuple[str, list[Any]]], work: Path) -> list[dict[str, Any]]:
    """The fixture built as `flux transpile` builds a package (lowered to the
    twin runtime, then Transcrypt), each call made in Node on arguments parsed
    from JSON, as the browser's events are."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node is needed to run the built fixtures; install Node 20.")
    package = work / f"pitfall_{fixture.stem}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.copy(fixture, package / fixture.name)
    entry = build(package, work / "out", package.name).entry
    assert entry is not None
    (work / "runner.mjs").write_text(RUNNER)
    ran = subprocess.run(
        [node, str(work / "runner.mjs"), str(entry), json.dumps(calls)],
        capture_output=True, text=True, encoding="utf-8", check=False, timeout=60,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    result: list[dict[str, Any]] = json.loads(ran.stdout)
    return result


def test_every_old_pitfall_has_a_verdict() -> None:
    old = {f.stem for f in FIXTURES} - NEW_FIXTURES
    agrees = {name for name, _, _ in AGREES}
    assert old == CAUGHT | agrees
    for name in CAUGHT:
        assert marked_lines(PITFALLS / f"{name}.py")
        assert not marked_lines(PITFALLS / f"{name}.py", "# agrees")
    for name in agrees:
        assert marked_lines(PITFALLS / f"{name}.py", "# agrees")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fixture", "calls"),
    [
        pytest.param(
            name,
            calls,
            id=f"{name}-{'lowered' if lowered else 'plain'}",
        )
        for name, lowered, calls in AGREES
        if calls
    ],
)
def test_each_old_pitfall_that_is_accepted_agrees_in_both_engines(
    fixture: str, calls: list[tuple[str, list[Any]]], tmp_path: Path
) -> None:
    path = PITFALLS / f"{fixture}.py"
    assert in_node(path, calls, tmp_path) == in_cpython(path, calls)


def test_what_the_build_s_lowering_refuses_is_reported_too() -> None:
    source = "def f(xs, ys):\n    xs[1:2] = ys\n    return xs\n"
    [problem] = check_source(source, "shared_reducers/x.py")
    assert problem.line == 2
    assert problem.message == "assignment to a slice; build the new list with + and slices"


def test_keyword_arguments_to_a_sibling_module_are_known(tmp_path: Path) -> None:
    package = tmp_path / "my_app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("def label(text, suffix=''):\n    return text + suffix\n")
    module = package / "todos.py"
    module.write_text(
        "from my_app.helpers import label\n\ndef f(event):\n    return label('a', suffix='!')\n"
    )
    assert check_paths([module]) == []
    module.write_text(
        "from my_app.helpers import label\n\ndef f(event):\n    return label('a', x=1)\n"
    )
    [problem] = check_paths([module])
    assert (problem.line, problem.message) == (4, "label() has no parameter x; remove it")


# -- what the checker rejects really differs once built --------------------------------

DIFFERS = {
    # construct: a function `run()` using it; built as flux transpile builds, run in Node
    "float_text": "def run():\n    return [str(6 / 3), f'{1.0}', '%s' % (2 * 1.0)]\n",
    "float_type": "def run():\n    return [isinstance(1.0, float), isinstance(1.0, int)]\n",
    "dict_keys": "def run():\n    d = {1: 'a'}\n    return [type(k).__name__ for k in d]\n",
    "set_order": "def run():\n    return list({'j', 'i', 'h', 'g', 'f', 'e', 'd', 'c', 'b', 'a'})\n",
    "identity": "def run():\n    n = int('1000')\n    return [n is 1000, 'ab' + str(n) is 'ab1000']\n",
    "dict_or": "def run():\n    return {'x': 1} | {'y': 2}\n",
    "lambda_default": "def run():\n    fs = [lambda x, k=i: x + k for i in range(3)]\n"
    "    return [f(1) for f in fs]\n",
    "with_block": "class C:\n    def __enter__(self):\n        return 7\n"
    "    def __exit__(self, a, b, c):\n        return False\n"
    "def run():\n    with C() as x:\n        return x\n",
    "missing_method": "def run():\n    return 'x'.zfill(3)\n",
    "getattr_default": "def run():\n    return getattr('x', 'nothing', 5)\n",
    "except_attribute": "def run():\n    try:\n        return None.foo\n"
    "    except AttributeError:\n        return 'caught'\n",
    "zero_division": "def run():\n    try:\n        return 1 // 0\n"
    "    except ZeroDivisionError:\n        return 'caught'\n",
}  # fmt: skip
UNBUILDABLE = {
    "starred_assignment": "def run(xs):\n    first, *rest = xs\n    return rest\n",
    "match": "def run(x):\n    match x:\n        case 1:\n            return 2\n    return 0\n",
}


@pytest.mark.slow
def test_each_rejected_construct_really_differs_once_built(tmp_path: Path) -> None:
    """Each construct of SUBSET.md's list, tried: CPython and the build in Node
    give different results (a thrown error counts as a result)."""
    package = tmp_path / "differs"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, source in DIFFERS.items():
        (package / f"{name}.py").write_text(source.replace("def run(", f"def run_{name}("))
        assert check_source(source, f"{name}.py") != [], name
    entry = build(package, tmp_path / "out", "differs").entry
    assert entry is not None
    node = shutil.which("node")
    assert node is not None
    runner = tmp_path / "runner.mjs"
    runner.write_text(RUNNER)
    for name in DIFFERS:
        fixture = package / f"{name}.py"
        calls: list[tuple[str, list[Any]]] = [(f"run_{name}", [])]
        ran = subprocess.run(
            [node, str(runner), str(entry), json.dumps(calls)],
            capture_output=True, text=True, encoding="utf-8", check=False, timeout=60,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        assert json.loads(ran.stdout) != in_cpython(fixture, calls), name


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(UNBUILDABLE))
def test_constructs_transcrypt_cannot_build_are_rejected(name: str, tmp_path: Path) -> None:
    """The build stops, or the module it builds does not load in Node."""
    source = UNBUILDABLE[name]
    assert check_source(source, f"{name}.py") != []
    package = tmp_path / "unbuildable"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / f"{name}.py").write_text(source)
    try:
        entry = build(package, tmp_path / "out", "unbuildable").entry
    except TranspileError:
        return
    node = shutil.which("node")
    assert node is not None and entry is not None
    loaded = subprocess.run(
        [node, "--input-type=module", "-e", f"await import({json.dumps(entry.as_uri())})"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert loaded.returncode != 0
    assert "SyntaxError" in loaded.stderr


def test_a_row_changed_in_place_stays_changed_in_the_page_when_the_event_is_rejected() -> None:
    """What in_place.py's marked lines do to the browser's (in-memory) state; on
    the server collection.get reads a fresh row from SQL, so the engines part."""
    namespace: dict[str, Any] = {}
    source = (PITFALLS / "in_place.py").read_text(encoding="utf-8")
    exec(compile(source, "in_place.py", "exec"), namespace)
    root = combine_reducers({"cards": namespace["tagged"]})
    state = empty_state(["cards"])
    state = reduce_state(
        combine_reducers({"cards": lambda rows, event: rows.insert(event["payload"])}),
        state,
        {"type": "cardAdded", "payload": {"id": "c1", "tags": ["a", "b", "c"]}},
    )
    event = {"type": "cardTagged", "payload": {"id": "c1", "tag": "d"}}
    with pytest.raises(EventRejected):
        reduce_state(root, state, event)
    assert row_of(state, "cards", "c1")["tags"] == ["a", "b", "c", "d"]  # rejected, yet changed
