"""The JavaScript side of `flux crosscheck`: a Transcrypt build of the
reducers' modules, with an entry module for crosscheck_runner.mjs.

The build uses the flags of `flux transpile` (server/tools/transpile.py) and
compiles shared_reducers/ together with the package of each reducer's module,
which may live outside this repository (its folder is added to Transcrypt's
search path).  It is cached by the content of those sources in the system's
temporary folder, so a second run on unchanged files starts at once.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from server.tools.transpile import SOURCE, TRANSCRYPT_FLAGS

RUNNER = Path(__file__).with_name("crosscheck_runner.mjs")
ENTRY = "crosscheck_entry.js"
CACHE = Path(tempfile.gettempdir()) / "flux-crosscheck"


class CrosscheckError(Exception):
    """The command cannot run: a bad spec, a case file that is not JSON lines,
    a build that fails.  The message says what to fix."""


@dataclass(frozen=True)
class Spec:
    """COLLECTION=MODULE:FUNCTION, a reducer `(collection, event) -> changeset`."""

    collection: str
    module: str
    function: str

    def __str__(self) -> str:
        return f"{self.collection}={self.module}:{self.function}"


SHARED_IMPORTS = (
    ("shared_reducers.combine", ("combine_reducers",)),
    ("shared_reducers.memory", ("state_reducer", "empty_state", "rows_of")),
    ("shared_reducers.errors", ("EventRejected",)),
)


def package_folders(module_name: str) -> tuple[Path, list[Path]]:
    """The folder to search for `module_name`'s top package, and the files it is built from."""
    top_name = module_name.split(".")[0]
    top = importlib.import_module(top_name)
    file = getattr(top, "__file__", None)
    if file is None:
        raise CrosscheckError(f"{module_name}: its package has no folder to build from.")
    path = Path(file).resolve()
    if hasattr(top, "__path__"):
        return path.parent.parent, sorted(path.parent.rglob("*.py"))
    return path.parent, [path]


def entry_module(specs: Iterable[Spec]) -> str:
    lines = ["// Written by `flux crosscheck` for crosscheck_runner.mjs; do not edit."]
    for module, names in SHARED_IMPORTS:
        lines.append(f"export {{{', '.join(names)}}} from './{module}.js';")
    pairs = []
    for index, spec in enumerate(specs):
        lines.append(f"import {{{spec.function} as reducer{index}}} from './{spec.module}.js';")
        pairs.append(f"[{json.dumps(spec.collection)}, reducer{index}]")
    lines.append(f"export const REDUCERS = [{', '.join(pairs)}];")
    return "\n".join(lines) + "\n"


def transcrypt_entry(specs: Iterable[Spec]) -> str:
    """The Python module Transcrypt compiles: it imports every module the entry needs."""
    lines = [f"from {module} import {', '.join(names)}" for module, names in SHARED_IMPORTS]
    lines += [f"from {spec.module} import {spec.function}" for spec in specs]
    return "\n".join(lines) + "\n"


def build_javascript(specs: Iterable[Spec]) -> Path:
    """The entry module of a (cached) build of the reducers the specs name."""
    specs = list(specs)
    folders = [SOURCE.parent]
    files = sorted(SOURCE.glob("*.py"))
    for spec in specs:
        folder, own = package_folders(spec.module)
        if folder not in folders:
            folders.append(folder)
        files += [file for file in own if file not in files]
    python_entry = transcrypt_entry(specs)
    js_entry = entry_module(specs)
    digest = hashlib.sha256()
    for text in (python_entry, js_entry, " ".join(TRANSCRYPT_FLAGS), *map(str, folders)):
        digest.update(text.encode() + b"\0")
    for file in files:
        digest.update(str(file).encode() + b"\0" + file.read_bytes() + b"\0")
    out = CACHE / digest.hexdigest()[:24]
    if (out / ENTRY).exists():
        return out / ENTRY
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flux-crosscheck-") as work:
        (Path(work) / "flux_crosscheck_entry.py").write_text(python_entry)
        fresh = Path(tempfile.mkdtemp(prefix=".build-", dir=CACHE))
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "transcrypt",
                *TRANSCRYPT_FLAGS,
                "-xp",
                "$".join(str(folder).replace(" ", "#") for folder in folders),
                "-od",
                str(fresh),
                "flux_crosscheck_entry.py",
            ],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or "Error while compiling" in result.stdout:
            shutil.rmtree(fresh, ignore_errors=True)
            raise CrosscheckError(
                "Transcrypt could not translate the reducers; its output:\n"
                + (result.stdout + result.stderr).strip()
            )
        (fresh / ENTRY).write_text(js_entry)
        try:
            fresh.rename(out)
        except OSError:  # built meanwhile by another run
            shutil.rmtree(fresh, ignore_errors=True)
    return out / ENTRY


def start_node(entry: Path) -> subprocess.Popen[str]:
    node = shutil.which("node")
    if node is None:
        raise CrosscheckError("flux crosscheck needs Node (20 or later) on the PATH.")
    return subprocess.Popen(
        [node, str(RUNNER), str(entry)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
