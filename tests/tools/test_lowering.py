"""The lowering of natural Python to the twin runtime (server/tools/lowering.py).

Unit tests of the rewrite, and the probe table: each function of
tests/support/node/twin_probes/probes.py (one small construct each) runs in
CPython and, lowered and built by `flux transpile`'s build(), in Node; the
test prints "agree N of M" and holds the known differences to a short list."""

from __future__ import annotations

import ast
import importlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.tools.lowering import LoweringError, lower
from server.tools.transpile import SOURCE, TranspileError, build, entry_names
from tests.support.node_process import NodeProcess

PROBES = Path(__file__).parents[1] / "support" / "node" / "twin_probes"
DATA = {
    "one": 1,
    "zero": 0,
    "text": "ab😀c",
    "blank": "",
    "items": [3, 1, 2],
    "nested": {"k": [1, {"x": "y"}]},
    "empty": {},
    "none": None,
    "flag": True,
    "__proto__": {"p": 1},
    "constructor": "c",
    "py_keys": 2,
}
# What still differs, and why (flux check-reducers is where these are caught):
KNOWN = {
    "equality_scalars": "1 == True: a comparison with a literal is JavaScript's ===",
    "except_type_error": '"a" + 1 with a literal: + with a literal text is JavaScript\'s +',
    "integer_like_key_order": "JavaScript lists integer-like keys first",
    "float_text": "JavaScript cannot tell 1.0 from 1",
}


def lowered(source: str) -> str:
    return lower(source, "probe.py")


def body_of(source: str) -> str:
    """The lowered text without the import of the runtime."""
    return "\n".join(
        line for line in lowered(source).splitlines() if not line.startswith("from flux_twin")
    )


# -- the rewrite -----------------------------------------------------------------


def test_subscripts_become_runtime_calls_that_raise_key_error() -> None:
    out = body_of("def f(e):\n    e['payload']['id'] = e['x'][-1]\n    del e['y']\n")
    assert (
        "_tw_setitem(_tw_getitem(e, 'payload'), 'id', _tw_getitem(_tw_getitem(e, 'x'), -1))" in out
    )
    assert "_tw_delitem(e, 'y')" in out


def test_the_runtime_functions_used_are_imported() -> None:
    out = lowered("def f(e):\n    return len(e['x'])\n")
    assert "from flux_twin import _tw_getitem, _tw_len" in out


def test_a_comparison_with_a_literal_stays_a_strict_comparison_without_truth() -> None:
    out = body_of("def f(kind):\n    if kind == 'noteAdded':\n        return 1\n")
    assert "if kind is 'noteAdded':" in out


def test_a_test_of_a_value_goes_through_truth() -> None:
    out = body_of("def f(xs):\n    if xs and not xs[0]:\n        return 1\n")
    assert "if _tw_truth(xs) and (not _tw_truth(_tw_getitem(xs, 0))):" in out


def test_or_as_a_value_keeps_the_value_and_evaluates_the_left_once() -> None:
    out = body_of("def f(a, g):\n    return g() or a\n")
    assert "return _tw_jt(g()) or a" in out


def test_adding_a_number_stays_an_addition_and_lists_concatenate() -> None:
    out = body_of("def f(n, a, b):\n    return [n + 1, a + b]\n")
    assert "n + 1" in out and "_tw_add(a, b)" in out


def test_plus_equals_on_a_name_grows_in_place() -> None:
    out = body_of("def f(changes, more):\n    changes += more\n    return changes\n")
    assert "changes = _tw_iadd(changes, more)" in out


def test_fstrings_become_concatenations_of_texts() -> None:
    out = body_of("def f(n, t):\n    return f'{n} and {t!r} {n:>3}'\n")
    assert "_tw_str(n) + ' and ' + _tw_repr(t) + ' ' + _tw_format(n, '>3')" in out


def test_dict_displays_are_plain_object_literals_inside_the_jsiter_pragma() -> None:
    out = body_of("def f(n):\n    row = {'id': 'a', 'n': n}\n    return row\n")
    assert "__pragma__('jsiter')\n    row = {'id': 'a', 'n': n}\n    __pragma__('nojsiter')" in out


def test_spreads_and_proto_keys_go_through_the_runtime() -> None:
    out = body_of("def f(a, b):\n    return [{**a, **b}, {'__proto__': 1}]\n")
    assert "_tw_dict_parts([1, a, 1, b])" in out
    assert "_tw_dict_parts([0, '__proto__', 1])" in out


def test_keyword_arguments_to_a_known_function_become_positional() -> None:
    source = "def g(a, b=2, c=3):\n    return a\n\ndef f():\n    return g(1, c=5)\n"
    assert "return g(1, 2, 5)" in body_of(source)


def test_methods_dispatch_on_the_receiver() -> None:
    out = body_of("def f(d, s):\n    return [d.get('k', 0), s.strip(), ', '.join(d.keys())]\n")
    assert "_tw_m_get(d, 'k', 0)" in out
    assert "_tw_m_strip(s)" in out
    assert "_tw_m_join(', ', _tw_m_keys(d))" in out


def test_a_name_the_module_binds_is_not_taken_for_the_builtin() -> None:
    out = body_of("def len(x):\n    return 0\n\ndef f(x):\n    return len(x)\n")
    assert "return len(x)" in out


def test_modules_with_pragmas_are_left_alone() -> None:
    source = "# __pragma__ ('skip')\nx = [] + []\n"
    assert lower(source, "portable.py") == source


def test_the_lowered_source_is_valid_python() -> None:
    for path in sorted((Path(__file__).parents[2] / "shared_reducers").glob("*.py")):
        ast.parse(lower(path.read_text(), str(path)))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(x):\n    return (y := x)\n", "probe.py:2: the walrus operator"),
        ("def f(xs):\n    xs[1:2] = []\n", "probe.py:2: assignment to a slice"),
        ("def f(o):\n    return o.m(a=1)\n", "probe.py:2: keyword arguments to o.m()"),
        ("def f(g, xs):\n    return g(*xs)\n", "probe.py:2: a call with *args"),
        ("def f(d):\n    return d.get('k', default=1)\n", "probe.py:2: keyword argument to .get()"),
    ],
)
def test_what_cannot_be_lowered_is_refused_with_file_line_and_a_fix(
    source: str, message: str
) -> None:
    with pytest.raises(LoweringError, match="; ") as refused:
        lower(source, "probe.py")
    assert str(refused.value).startswith(message)


# -- the probe table -----------------------------------------------------------------


class ProbeNode(NodeProcess):
    def __init__(self) -> None:
        super().__init__("run_twin.mjs")


@pytest.fixture(scope="module")
def probes_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("probes") / "build"
    report = build(PROBES, out, "twin_probes")
    assert "probes" in report.modules
    return out


@pytest.fixture(scope="module")
def node() -> Iterator[ProbeNode]:
    runner = ProbeNode()
    yield runner
    runner.close()


def _python(name: str) -> dict[str, Any]:
    sys.path.insert(0, str(PROBES.parent))
    try:
        probes = importlib.import_module("twin_probes.probes")
    finally:
        sys.path.remove(str(PROBES.parent))
    try:
        value = getattr(probes, name)(json.loads(json.dumps(DATA)))
    except Exception as error:  # the type is what is compared
        return {"error": type(error).__name__}
    return {"value": json.loads(json.dumps(value))}


def probe_names() -> list[str]:
    tree = ast.parse((PROBES / "probes.py").read_text())
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]


def test_the_probes_agree_in_cpython_and_node(
    probes_build: Path, node: ProbeNode, capsys: pytest.CaptureFixture[str]
) -> None:
    module = (probes_build / "twin_probes.probes.js").as_uri()
    names = probe_names()
    differ: dict[str, tuple[Any, Any]] = {}
    for name in names:
        js = node.ask({"module": module, "call": name, "args": [DATA]})
        py = _python(name)
        if js != py:
            differ[name] = (py, js)
    with capsys.disabled():
        print(f"\nprobes: agree {len(names) - len(differ)} of {len(names)}")
        for name, (py, js) in differ.items():
            print(f"  {name}: CPython {py}, Node {js}")
    unexpected = {n: d for n, d in differ.items() if n not in KNOWN}
    assert not unexpected, unexpected
    assert len(names) >= 100
    assert set(differ) == set(KNOWN), "a known difference now agrees: take it off KNOWN"


# -- the build of every module ---------------------------------------------------------


def _package(root: Path, files: dict[str, str]) -> Path:
    source = root / "pkg"
    source.mkdir()
    (source / "__init__.py").write_text("")
    for name, text in files.items():
        (source / name).write_text(text)
    return source


def test_every_module_is_built_and_exports_its_public_names(tmp_path: Path) -> None:
    source = _package(
        tmp_path,
        {
            "a.py": "def first(x):\n    return x['k']\n\ndef _hidden():\n    return 1\n",
            "b.py": "from pkg.a import first\n\nLIMIT = 3\n\ndef second(x):\n    return first(x)\n",
            "c.py": "__all__ = ['third']\n\ndef third():\n    return 3\n\ndef other():\n    return 4\n",
        },
    )
    report = build(source, tmp_path / "out", "pkg")
    assert report.modules == ["a", "b", "c"]
    entry = (tmp_path / "out" / "pkg.js").read_text()
    assert "export {first} from './pkg.a.js';" in entry
    assert "export {LIMIT, second} from './pkg.b.js';" in entry
    assert "export {third} from './pkg.c.js';" in entry
    again = build(source, tmp_path / "out", "pkg")
    assert again.recompiled == []


def test_a_name_exported_by_two_modules_is_an_error_naming_both(tmp_path: Path) -> None:
    source = _package(
        tmp_path, {"a.py": "def same():\n    pass\n", "b.py": "def same():\n    pass\n"}
    )
    with pytest.raises(TranspileError, match=r"pkg/a.py and pkg/b.py both export 'same'"):
        build(source, tmp_path / "out", "pkg")


def test_a_construct_that_cannot_be_lowered_fails_the_build_with_file_and_line(
    tmp_path: Path,
) -> None:
    source = _package(tmp_path, {"a.py": "def f(x):\n    return (y := x)\n"})
    with pytest.raises(TranspileError, match=r"a.py:2: the walrus operator"):
        build(source, tmp_path / "out", "pkg")


def test_the_names_the_page_imports_are_all_in_the_entry_module() -> None:
    web = Path(__file__).parents[2] / "web"
    imported: set[str] = set()
    for path in web.glob("*.js"):
        text = path.read_text()
        for match in re.finditer(
            r"import\s*\{([^}]*)\}\s*from\s*'\./build/shared_reducers\.js'", text
        ):
            imported.update(
                n.strip().split(" as ")[0] for n in match.group(1).split(",") if n.strip()
            )
    exported = {n for names in entry_names(SOURCE, "shared_reducers").values() for n in names}
    assert imported and imported <= exported, sorted(imported - exported)
