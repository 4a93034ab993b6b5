"""A real `flux serve` process on a fresh SQLite database, for the e2e tests."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLUX = Path(os.environ.get("FLUX_BIN") or Path(sys.executable).parent / "flux")
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class FluxServer:
    """`flux serve` on 127.0.0.1:<free port> over `database`; start/stop/restart."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.database_path = workdir / "notes.db"
        self.database_url = f"sqlite+aiosqlite:///{self.database_path}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "server.log"
        self.env = {
            **os.environ,
            "FLUX_DATABASE_URL": self.database_url,
            "FLUX_SECRET_KEY": "e2e-secret-key-that-survives-a-restart",
        }

    def flux(self, *args: str, stdin: str = "") -> str:
        """Run a `flux` command against this server's database and return its output."""
        done = subprocess.run(
            [str(FLUX), *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"`flux {' '.join(args)}` exited with {done.returncode}: {done.stderr or done.stdout}"
            )
        return done.stdout

    def add_user(self, name: str, password: str, role: str) -> None:
        self.flux("users", "add", name, "--role", role, stdin=password + "\n")

    def copy_database(self, seeded: Path) -> None:
        """Start from a copy of a database seeded once (users added, notes imported)
        through `flux`, instead of seeding every test's database again; SQLite's
        backup API copies it whole, whatever its journal holds."""
        with closing(sqlite3.connect(seeded)) as source:
            with closing(sqlite3.connect(self.database_path)) as copy:
                source.backup(copy)

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(FLUX), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"`flux serve` exited with {self.process.returncode} before answering; "
                    f"its log:\n{self.log_path.read_text(errors='replace')}"
                )
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"`flux serve` did not answer {self.url}/healthz in {START_TIMEOUT} s.")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
