"""Server-side sessions: logout, `flux users passwd` and `flux users remove` end
them at once (open websockets included); the table holds hashes; behind a TLS
proxy the cookie is Secure and the public origin may POST (a real `flux serve`)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.app.users import sessions_table
from server.cli import main
from tests.support import flux_processes
from tests.support.flux_server import PASSWORD, Client, Server, added, receive, running_server

PUBLIC = "https://notes.example"
NEW_PASSWORD = "a brand new password"


def replay(server: Server, cookie: str | None) -> Client:
    """A fresh browser that carries a copied session cookie."""
    client = server.anonymous()
    client.http.cookies.set("flux_session", cookie or "")
    return client


async def logout(client: Client) -> httpx.Response:
    return await client.http.post("/logout", headers={"origin": client.server.origin})


async def close_of(ws: ClientConnection, seconds: float) -> tuple[int | None, str]:
    """Read until the server closes the socket; its close code and reason."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        return (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, "")
    raise AssertionError("unreachable")


async def flux_users(*args: str, stdin: str = "") -> tuple[int, str]:
    """The real `flux users ...` command; its exit code and stderr."""
    process = await asyncio.create_subprocess_exec(
        str(flux_processes.FLUX),
        "users",
        *args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _out, err = await process.communicate(stdin.encode())
    return process.returncode or 0, err.decode()


# -- logout ------------------------------------------------------------------------


async def test_a_cookie_replayed_after_logout_neither_reads_nor_writes(server: Server) -> None:
    ada = await server.client("ada")
    cookie = ada.cookie
    assert (await logout(ada)).status_code == 303
    stolen = replay(server, cookie)
    assert (await stolen.http.get("/api/notes")).status_code == 401
    assert (await stolen.dispatch(added("n1"))).status_code == 401
    assert (await stolen.http.get("/", follow_redirects=False)).headers["location"] == "/login"


async def test_logout_ends_only_this_browsers_session(server: Server) -> None:
    await server.add_user("ada")
    laptop, phone = server.anonymous(), server.anonymous()
    assert (await laptop.login("ada")).status_code == 303
    assert (await phone.login("ada")).status_code == 303
    await logout(laptop)
    assert (await phone.http.get("/api/notes")).status_code == 200


async def test_signing_in_again_ends_the_browsers_previous_session(server: Server) -> None:
    ada = await server.client("ada")
    before = ada.cookie
    assert (await ada.login("ada")).status_code == 303
    assert ada.cookie != before
    assert (await replay(server, before).http.get("/api/notes")).status_code == 401


async def test_the_table_holds_the_tokens_hash_and_the_sessions_times(server: Server) -> None:
    started = int(time.time())
    ada = await server.client("ada")
    token = server.flux.sessions.token_of(ada.cookie)
    assert token is not None
    rows = await server.flux.database.read(
        lambda conn: [dict(r._mapping) for r in conn.execute(select(sessions_table))]
    )
    [row] = rows
    assert row["id"] == hashlib.sha256(token.encode()).hexdigest() != token
    assert row["user"] == "ada"
    assert started <= row["created"] == row["last_seen"] <= time.time()
    assert row["expires"] == row["created"] + 14 * 24 * 3600


async def test_a_tampered_cookie_is_not_a_session(server: Server) -> None:
    ada = await server.client("ada")
    token = server.flux.sessions.token_of(ada.cookie)
    assert (await replay(server, token).http.get("/api/notes")).status_code == 401


# -- open websockets ---------------------------------------------------------------


async def test_logout_closes_the_sessions_open_socket_at_once(server: Server) -> None:
    ada = await server.client("ada")
    async with ada.websocket() as ws:
        assert (await receive(ws))["type"] == "hello"
        await logout(ada)
        code, reason = await close_of(ws, 2)
    assert (code, reason) == (1008, "Signed out: sign in again at /login.")


async def test_a_socket_with_an_ended_session_is_refused(server: Server) -> None:
    ada = await server.client("ada")
    cookie = ada.cookie
    await logout(ada)
    async with replay(server, cookie).websocket() as ws:
        code, reason = await close_of(ws, 5)
    assert (code, reason) == (1008, "Not signed in: sign in at /login first.")


async def test_a_removed_users_socket_is_closed_within_the_check_period(api_url: str) -> None:
    async with running_server(api_url, session_check_seconds=0.2) as server:
        ada = await server.client("ada")
        bob = await server.client("bob")
        async with ada.websocket() as ada_ws, bob.websocket() as bob_ws:
            await receive(ada_ws)
            await receive(bob_ws)
            assert (await flux_users("remove", "ada", "--database", api_url))[0] == 0
            code, reason = await close_of(ada_ws, 3)
            assert (code, reason) == (1008, "Signed out: sign in again at /login.")
            await bob.ok(added("after"))  # bob's socket stays open and live
            while (message := await receive(bob_ws))["type"] != "event":
                pass
            assert message["event"]["payload"]["id"] == "after"


# -- flux users passwd / remove ----------------------------------------------------


async def test_users_passwd_ends_every_session_of_the_user(server: Server) -> None:
    await server.add_user("ada")
    laptop, phone = server.anonymous(), server.anonymous()
    await laptop.login("ada")
    await phone.login("ada")
    bob = await server.client("bob")
    url = server.flux.database.engine.url.render_as_string(hide_password=False)
    code, err = await flux_users("passwd", "ADA", "--database", url, stdin=f"{NEW_PASSWORD}\n")
    assert code == 0, err
    assert (await laptop.http.get("/api/notes")).status_code == 401
    assert (await phone.dispatch(added("n1"))).status_code == 401
    assert (await bob.http.get("/api/notes")).status_code == 200
    assert (await server.anonymous().login("ada")).status_code == 401
    assert (await server.anonymous().login("ada", NEW_PASSWORD)).status_code == 303


async def test_users_remove_ends_the_sessions_and_reserves_the_name(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok(added("secret", private=True))
    url = server.flux.database.engine.url.render_as_string(hide_password=False)
    assert (await flux_users("remove", "ada", "--database", url))[0] == 0
    assert (await ada.http.get("/api/notes")).status_code == 401
    for name in ("ada", "ADA"):
        form = {"username": name, "password": PASSWORD}
        response = await server.anonymous().http.post("/signup", data=form)
        assert response.status_code == 400
        assert "belonged to a removed account" in response.text
    code, err = await flux_users("add", "Ada", "--database", url, stdin=f"{PASSWORD}\n")
    assert code == 1 and "belonged to a removed account" in err
    assert await server.flux.users.get("ada") is None


def test_passwd_and_remove_of_an_unknown_user_say_so(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n"))
    assert main(["users", "passwd", "nobody", "--database", sqlite_url]) == 1
    assert "There is no user 'nobody'" in capsys.readouterr().err
    assert main(["users", "remove", "nobody", "--database", sqlite_url]) == 1
    assert "There is no user 'nobody'" in capsys.readouterr().err


def test_passwd_refuses_a_short_password(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n"))
    assert main(["users", "add", "ada", "--database", sqlite_url]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "passwd", "ada", "--database", sqlite_url]) == 1
    assert "at least 8" in capsys.readouterr().err


# -- behind a TLS proxy (a real `flux serve`) -----------------------------------------


class Served(flux_processes.Instance):
    """`flux serve` with extra flags."""

    def __init__(self, url: str, log_path: Path, flags: list[str]) -> None:
        super().__init__(url, log_path)
        self.flags = flags

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                [str(flux_processes.FLUX), "serve", "--port", str(self.port), *self.flags],
                cwd=flux_processes.ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )


PROXIED = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7", "origin": PUBLIC}


async def proxied_sign_in(instance: Served) -> httpx.Response:
    return await instance.http.post(
        "/login", data={"username": "ada", "password": PASSWORD}, headers=PROXIED
    )


async def test_behind_a_tls_proxy_the_cookie_is_secure_and_the_public_origin_works(
    api_url: str, tmp_path: Path
) -> None:
    await flux_processes.add_user(api_url, "ada")
    flags = ["--allowed-origin", PUBLIC, "--forwarded-allow-ips", "127.0.0.1"]
    instance = Served(api_url, tmp_path / "serve.log", flags)
    try:
        await instance.start()
        signed_in = await proxied_sign_in(instance)
        assert signed_in.status_code == 303, signed_in.text
        cookie_header = signed_in.headers["set-cookie"].lower()
        assert "; secure" in cookie_header and "httponly" in cookie_header
        cookie = signed_in.cookies["flux_session"]
        headers = {**PROXIED, "cookie": f"flux_session={cookie}"}
        posted = await instance.http.post(
            "/api/events",
            content=json.dumps(added("n1")),
            headers={**headers, "content-type": "application/json"},
        )
        assert posted.status_code == 200, posted.text
        async with connect(
            f"ws://127.0.0.1:{instance.port}/ws?after=0",
            additional_headers={"cookie": f"flux_session={cookie}", "x-forwarded-proto": "https"},
            origin=PUBLIC,  # type: ignore[arg-type]
            open_timeout=10,
        ) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
        out = await instance.http.post("/logout", headers=headers)
        assert out.status_code == 303
        assert "; secure" in out.headers["set-cookie"].lower()
    finally:
        await instance.close()


async def test_proxy_headers_from_an_untrusted_address_are_ignored(
    api_url: str, tmp_path: Path
) -> None:
    await flux_processes.add_user(api_url, "ada")
    instance = Served(api_url, tmp_path / "serve.log", ["--forwarded-allow-ips", "10.9.9.9"])
    try:
        await instance.start()
        refused = await proxied_sign_in(instance)  # the Origin is https, the request is not
        assert refused.status_code == 403
        plain = await instance.http.post(
            "/login",
            data={"username": "ada", "password": PASSWORD},
            headers={**PROXIED, "origin": instance.base},
        )
        assert plain.status_code == 303, plain.text
        assert "secure" not in plain.headers["set-cookie"].lower()
    finally:
        await instance.close()


async def test_the_secure_setting_marks_the_cookie_secure_over_plain_http(
    sqlite_url: str,
) -> None:
    async with running_server(sqlite_url, https_only=True) as server:
        await server.add_user("ada")
        response = await server.anonymous().login("ada")
        assert "; secure" in response.headers["set-cookie"].lower()
