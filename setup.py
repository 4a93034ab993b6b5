"""Packaging glue: the wheel carries the notes app's pages, scripts and styles.

`web/`, `templates/` and the browser's npm modules (redux, lit-html) live at
the top of the repository, where a checkout serves them from.  An installed
wheel has no checkout, so the build copies them into `server/app/assets/`
(see server/app/assets.py).  Build the reducers (`flux transpile`) and install
the npm modules (`npm ci`) first: `make` does both.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent

# (source, destination under server/app/assets, glob patterns)
ASSETS = [
    ("templates", "templates", ["*.html"]),
    ("web", "web", ["*.js", "*.css"]),
    ("web/build", "web/build", ["*.js"]),
    ("node_modules/redux/dist", "node_modules/redux/dist", ["redux.browser.mjs"]),
    ("node_modules/lit-html", "node_modules/lit-html", ["*.js", "directives/*.js"]),
]
REQUIRED = ["web/build/shared_reducers.js", "node_modules/redux/dist/redux.browser.mjs"]


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install serves them from the checkout
        missing = [path for path in REQUIRED if not (ROOT / path).is_file()]
        if missing:
            raise SystemExit(
                f"{', '.join(missing)} missing: run `make deps` or `npm ci && flux transpile` "
                "before building the package."
            )
        target = Path(self.build_lib) / "server" / "app" / "assets"
        for source, destination, patterns in ASSETS:
            for pattern in patterns:
                for path in sorted((ROOT / source).glob(pattern)):
                    out = target / destination / path.relative_to(ROOT / source)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, out)


setup(cmdclass={"build_py": BuildWithAssets})
