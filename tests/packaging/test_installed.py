"""The package as a user gets it: `pip install .` into a new virtualenv, then
`flux serve` in a folder outside the checkout serves the notes page and every
script it references (the built shared reducers and the npm modules included).

The virtualenv borrows this environment's installed dependencies (a .pth line)
so that only our own wheel is built and installed: the test checks what the
wheel carries, not PyPI.
"""

from __future__ import annotations

import json
import re
import site
import subprocess
import sys
import time
import venv
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx
import pytest

from tests.support.flux_processes import free_port

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(
    r"""(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]"""
)
SCRIPT = re.compile(r"""<script[^>]*\bsrc="([^"]+)\"""")
STYLE = re.compile(r"""<link[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)\"""")
IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with flux-capacitor installed from this checkout (no editable)."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=False)  # this environment's pip installs into it (--python)
    python = env / "bin" / "python"
    packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(packages) / "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path_factory.mktemp("elsewhere"),
    )
    return env


def test_the_wheel_has_no_bench_and_no_checkout_paths(installed: Path) -> None:
    python = installed / "bin" / "python"
    probe = (
        "import importlib.util, json, server.app.assets as a;"
        "print(json.dumps([str(a.ROOT), importlib.util.find_spec('bench') is None]))"
    )
    out = subprocess.run(
        [str(python), "-c", probe], check=True, capture_output=True, text=True, cwd="/"
    ).stdout
    root, no_bench = json.loads(out)
    assert no_bench, "bench must not be an installed top-level package"
    assert not root.startswith(str(ROOT)), f"assets come from the checkout: {root}"


def test_flux_serve_outside_the_checkout_serves_the_page_and_its_scripts(
    installed: Path, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        [
            str(installed / "bin" / "flux"),
            "serve",
            "--port",
            str(port),
            "--database",
            f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}",
        ],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=base, headers={"Origin": base}, timeout=10) as client:
            wait_until_up(client, serve, tmp_path / "serve.log")
            signed_up = client.post(
                "/signup", data={"username": "ada", "password": "correct horse"}
            )
            assert signed_up.status_code in (200, 303), signed_up.text[:300]
            page = client.get("/")
            assert page.status_code == 200
            assert "Sign out" in page.text or "ada" in page.text
            fetched = fetch_everything(client, page.text)
    finally:
        serve.terminate()
        serve.wait(10)
        log.close()
    assert "/static/app.js" in fetched
    assert "/static/build/shared_reducers.js" in fetched
    assert "/static/vendor/redux.mjs" in fetched
    assert "/static/vendor/lit-html/lit-html.js" in fetched
    assert any(path.endswith(".css") for path in fetched)


def test_the_developer_tools_work_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    """A developer's own reducers, in their own folder: `flux transpile` builds them with
    the twin runtime, `flux crosscheck` runs them in CPython and in Node (both need the
    tools' JavaScript, which the wheel must carry)."""
    package = tmp_path / "myreducers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    counter = ROOT / "tests" / "fixtures" / "natural_app" / "counter.py"
    (package / "counter.py").write_text(counter.read_text())
    flux = str(installed / "bin" / "flux")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [flux, *args],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=300,
        )

    built = run("transpile", "--source", str(package), "--out", str(tmp_path / "build"))
    assert built.returncode == 0, built.stderr
    entry = tmp_path / "build" / "myreducers.js"
    assert entry.is_file(), sorted(p.name for p in (tmp_path / "build").iterdir())
    assert (tmp_path / "build" / "flux_twin.js").is_file()
    checked = run("crosscheck", "counters=myreducers.counter:counters_reducer", "--generate", "40")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "40 cases, 0 differ" in checked.stdout


def wait_until_up(client: httpx.Client, serve: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            raise AssertionError(f"flux serve exited: {log.read_text()}")
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("flux serve did not answer /healthz within 30 s")


def fetch_everything(client: httpx.Client, html: str) -> set[str]:
    """Fetch every script and style the page references, following imports
    (relative ones and the import map's); each must answer 200."""
    imports = json.loads(IMPORT_MAP.search(html).group(1))["imports"]  # type: ignore[union-attr]
    todo = [*SCRIPT.findall(html), *STYLE.findall(html)]
    seen: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        answer = client.get(path)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:200]}"
        if not path.endswith((".js", ".mjs")):
            continue
        for relative, bare in IMPORT.findall(answer.text):
            target = relative or bare
            todo.append(resolve(target, path, imports))
    return seen


def resolve(target: str, importer: str, imports: dict[str, str]) -> str:
    if target.startswith(("./", "../", "/")):
        return urlparse(urljoin("http://x" + importer, target)).path
    if target in imports:
        return imports[target]
    prefix = next(
        (name for name in imports if name.endswith("/") and target.startswith(name)), None
    )
    assert prefix is not None, f"{importer} imports {target!r}, which the import map does not name"
    return imports[prefix] + target[len(prefix) :]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
