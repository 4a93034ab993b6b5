"""count_words means the same in CPython and in the transpiled JavaScript."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from server.tools.transpile import BUILD, build_reducers
from shared_reducers.portable import count_words

WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
SAMPLES = [
    "",
    "one",
    "  two words  ",
    "tab\tand\nnewline",
    "emoji 😀 count",
    "zero\u200bwidth is not a space",
    "bom\ufeffis not either",
    WHITESPACE,
    "a" + WHITESPACE + "b",
    *(f"x{ch}y" for ch in WHITESPACE),
]


def test_count_words_agrees_with_node_on_every_whitespace_character(tmp_path: Path) -> None:
    build_reducers()
    script = tmp_path / "words.mjs"
    script.write_text(
        f"import {{count_words}} from '{(BUILD / 'shared_reducers.portable.js').as_uri()}';\n"
        "import {readFileSync} from 'node:fs';\n"
        "const texts = JSON.parse(readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(texts.map(count_words)));\n"
    )
    out = subprocess.run(
        ["node", str(script)],
        input=json.dumps(SAMPLES),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(out.stdout) == [count_words(text) for text in SAMPLES]
    assert [count_words(text) for text in SAMPLES[:5]] == [0, 1, 2, 3, 3]
