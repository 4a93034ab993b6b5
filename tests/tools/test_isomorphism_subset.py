"""The claims of shared_reducers/SUBSET.md, checked: tests/support/node/subset_claims.py
runs in CPython and, transpiled by Transcrypt, in Node; each construct gives
the result written here on each side."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from server.tools.transpile import ROOT, TRANSCRYPT_FLAGS
from tests.support.node import subset_claims

CLAIMS = Path(__file__).parents[1] / "support" / "node" / "subset_claims.py"
PARSED = {"one": 1}
THROWS = "throws"
UNDEFINED = "undefined"

# name: (CPython's result, JavaScript's result)
EXPECTED: dict[str, tuple[Any, Any]] = {
    "list_plus": ([1, 2], "12"),
    "empty_list_is_true": (False, True),
    "not_empty_dict": (True, False),
    "or_on_empty_dict": ("x", {}),
    "negative_index": (3, UNDEFINED),
    "list_equality": (True, False),
    "missing_key": (THROWS, UNDEFINED),
    "int_and_str_keys": (2, 1),
    "percent_format": ("a-1", "NaN"),
    "fstring_float": ("1.0", "1"),
    "str_float": ("1.0", "1"),
    "keyword_arguments": (12, 15),
    "len_emoji": (1, 2),
    "sorted_non_bmp": (["\uffff", "😀"], ["😀", "\uffff"]),
    "string_less": (True, False),
    "strip_whitespace": ("a \ufeff", "\x1c a"),
    "strip_chars": ("a", "xxaxx"),
    "repeat_string": ("abab", "NaN"),
    "loose_equality": (False, True),
    "isinstance_parsed_dict": (True, False),
    "parsed_keys": (["one"], THROWS),
    "parsed_get": (1, THROWS),
    "for_over_parsed": (["one"], THROWS),
    "except_exception": (["one"], THROWS),
    "del_from_list": ([2, 3], [None, 2, 3]),
    "big_int": (2**60 + 1, 1152921504606847000),
    "proto_key": (1, 0),
    "hidden_keys": (False, True),
    "portable_extend": ([1, 2], [1, 2]),
    "portable_len": (False, False),
    "portable_last": (3, 3),
    "portable_get_or": ("default", "default"),
    "portable_has_key": (True, True),
    "portable_keys_of": (["one"], ["one"]),
    "portable_sort_texts": (["a", "b", "\uffff", "😀"], ["a", "b", "\uffff", "😀"]),
    "portable_text_length": (2, 2),
    "portable_put": (["__proto__"], ["__proto__"]),
}

NODE_SCRIPT = """
import * as claims from %s;
const parsed = JSON.parse(%s);
const out = {};
for (const name of JSON.parse(%s)) {
  try {
    const value = claims[name](parsed);
    out[name] = value === undefined ? 'undefined'
      : (typeof value === 'number' && Number.isNaN(value)) ? 'NaN' : value;
  } catch (error) {
    out[name] = 'throws';
  }
}
process.stdout.write(JSON.stringify(out));
"""


def python_result(name: str) -> Any:
    try:
        value = getattr(subset_claims, name)(dict(PARSED))
    except Exception:
        return THROWS
    return list(value) if type(value).__name__ == "dict_keys" else value


@pytest.fixture(scope="module")
def javascript_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("claims")
    shutil.copy(CLAIMS, work / "subset_claims.py")
    transpiled = subprocess.run(
        [
            sys.executable,
            "-m",
            "transcrypt",
            *TRANSCRYPT_FLAGS,
            "-xp",
            str(ROOT),
            "-od",
            str(work / "out"),
            "subset_claims.py",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert transpiled.returncode == 0, transpiled.stdout + transpiled.stderr
    module = (work / "out" / "subset_claims.js").as_uri()
    script = NODE_SCRIPT % (
        json.dumps(module),
        json.dumps(json.dumps(PARSED)),
        json.dumps(json.dumps(list(EXPECTED))),
    )
    node = shutil.which("node")
    assert node is not None, "Node is needed for this test; install Node 20."
    ran = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
    )
    results: dict[str, Any] = json.loads(ran.stdout)
    return results


@pytest.mark.parametrize("name", list(EXPECTED))
def test_cpython_gives_what_subset_md_says(name: str) -> None:
    assert python_result(name) == EXPECTED[name][0]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_javascript_gives_what_subset_md_says(
    name: str, javascript_results: dict[str, Any]
) -> None:
    assert javascript_results[name] == EXPECTED[name][1]
