"""Users: password hashing, the users CLI, sign-in, sign-up, sign-out, the session
cookie, and names that differ only in case (one account)."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import delete, select

from server.app.users import UserError, Users, hash_password, names_table, verify_password
from server.cli import main
from tests.support.flux_server import PASSWORD, Server, added, running_server

# -- hashing ---------------------------------------------------------------------


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("s3cret-pass")
    assert stored.startswith("scrypt$")
    assert verify_password("s3cret-pass", stored)
    assert not verify_password("s3cret-pasS", stored)


def test_hashes_are_salted() -> None:
    assert hash_password("same password") != hash_password("same password")


@pytest.mark.parametrize("stored", ["", "plain", "md5$x$y$z$a$b", "scrypt$1$2$3$!!$!!"])
def test_a_malformed_hash_verifies_nothing(stored: str) -> None:
    assert not verify_password("anything", stored)


# -- the users table -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "password", "role", "problem"),
    [
        ("ada", "short", "editor", "at least 8"),
        ("ada lovelace", PASSWORD, "editor", "user name"),
        ("", PASSWORD, "editor", "user name"),
        ("ada", PASSWORD, "owner", "role must be one of"),
    ],
)
async def test_adding_a_bad_user_says_why(
    sqlite_server: Server, name: str, password: str, role: str, problem: str
) -> None:
    with pytest.raises(UserError, match=problem):
        await Users(sqlite_server.flux.database).add(name, password, role)


async def test_a_user_name_is_taken_once(sqlite_server: Server) -> None:
    users = Users(sqlite_server.flux.database)
    await users.add("ada", PASSWORD, "editor")
    with pytest.raises(UserError, match="taken"):
        await users.add("ada", PASSWORD, "viewer")


async def test_a_name_in_another_case_is_the_same_name(sqlite_server: Server) -> None:
    users = Users(sqlite_server.flux.database)
    await users.add("ada", PASSWORD, "editor")
    with pytest.raises(UserError, match="'ADA' is taken"):
        await users.add("ADA", PASSWORD, "editor")
    assert await users.find("aDa") == await users.get("ada")


async def test_users_from_before_the_names_table_get_their_row(sqlite_server: Server) -> None:
    database = sqlite_server.flux.database
    await Users(database).add("Ada", PASSWORD, "editor")

    async def names() -> list[tuple[str, str]]:
        return await database.read(
            lambda conn: [(r.key, r.name) for r in conn.execute(select(names_table))]
        )

    async with database.engine.begin() as conn:
        await conn.execute(delete(names_table))
    assert await names() == []
    await Users(database).create_tables()
    assert await names() == [("ada", "Ada")]
    with pytest.raises(UserError, match="taken"):
        await Users(database).add("ADA", PASSWORD, "editor")


# -- the CLI ---------------------------------------------------------------------


def test_users_add_reads_a_piped_password_and_list_shows_roles(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n"))
    assert main(["users", "add", "ada", "--role", "admin", "--database", sqlite_url]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n"))
    assert main(["users", "add", "bob", "--database", sqlite_url]) == 0
    capsys.readouterr()
    assert main(["users", "list", "--database", sqlite_url]) == 0
    assert capsys.readouterr().out == "ada\tadmin\nbob\teditor\n"


def test_users_add_refuses_a_short_password(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "ada", "--database", sqlite_url]) == 1
    assert "at least 8" in capsys.readouterr().err


# -- sign-in pages ---------------------------------------------------------------


async def test_the_login_page_has_the_labelled_form(sqlite_server: Server) -> None:
    page = (await sqlite_server.anonymous().http.get("/login")).text
    for needle in ('name="username"', 'name="password"', ">Username<", ">Password<", "Sign in"):
        assert needle in page


async def test_login_sets_a_signed_httponly_lax_cookie(sqlite_server: Server) -> None:
    await sqlite_server.add_user("ada")
    response = await sqlite_server.anonymous().login("ada")
    assert (response.status_code, response.headers["location"]) == (303, "/")
    cookie = response.headers["set-cookie"].lower()
    assert "flux_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


@pytest.mark.parametrize(
    ("name", "password", "status", "message"),
    [
        ("ada", "wrong password", 401, "Wrong username or password."),
        ("nobody", PASSWORD, 401, "Wrong username or password."),
        ("", "", 400, "Enter your username and password."),
    ],
)
async def test_a_failed_login_says_why_on_the_page(
    sqlite_server: Server, name: str, password: str, status: int, message: str
) -> None:
    await sqlite_server.add_user("ada")
    client = sqlite_server.anonymous()
    response = await client.login(name, password)
    assert response.status_code == status
    assert message in response.text
    assert client.cookie is None


async def test_logout_ends_the_session(sqlite_server: Server) -> None:
    ada = await sqlite_server.client("ada")
    response = await ada.http.post("/logout", headers={"origin": sqlite_server.origin})
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert (await ada.http.get("/api/notes")).status_code == 401


async def test_logout_from_another_site_is_refused(sqlite_server: Server) -> None:
    ada = await sqlite_server.client("ada")
    response = await ada.http.post("/logout", headers={"origin": "http://evil.example"})
    assert response.status_code == 403
    assert (await ada.http.get("/api/notes")).status_code == 200


async def test_signup_makes_a_signed_in_editor(sqlite_server: Server) -> None:
    client = sqlite_server.anonymous()
    form = {"username": "newbie", "password": PASSWORD}
    response = await client.http.post("/signup", data=form)
    assert response.status_code == 303
    assert (await sqlite_server.flux.users.get("newbie")).role == "editor"  # type: ignore[union-attr]
    assert (await client.dispatch(added("n1"))).status_code == 200


async def test_signup_of_a_taken_name_says_so(sqlite_server: Server) -> None:
    await sqlite_server.add_user("ada")
    form = {"username": "ada", "password": PASSWORD}
    response = await sqlite_server.anonymous().http.post("/signup", data=form)
    assert response.status_code == 400
    assert "taken" in response.text


async def test_signup_of_a_name_taken_in_another_case_is_refused(server: Server) -> None:
    await server.add_user("ada")
    form = {"username": "ADA", "password": PASSWORD}
    response = await server.anonymous().http.post("/signup", data=form)
    assert response.status_code == 400
    assert "The user name &#39;ADA&#39; is taken" in response.text
    assert [user.name for user in await server.flux.users.list()] == ["ada"]


async def test_sign_in_ignores_case_and_acts_as_the_stored_name(server: Server) -> None:
    await server.add_user("ada")
    client = server.anonymous()
    assert (await client.login("ADA")).status_code == 303
    [stored] = await client.ok(added("n1"))
    assert stored["meta"]["user"] == "ada"
    async with client.websocket() as ws:
        hello = json.loads(await ws.recv())
    assert hello["user"] == {"name": "ada", "role": "editor"}


async def test_signup_can_be_turned_off(sqlite_url: str) -> None:
    async with running_server(sqlite_url, signup=False) as server:
        client = server.anonymous()
        assert (await client.http.get("/signup")).status_code == 404
        form = {"username": "newbie", "password": PASSWORD}
        assert (await client.http.post("/signup", data=form)).status_code == 404
        assert await server.flux.users.get("newbie") is None
        assert "/signup" not in (await client.http.get("/login")).text


async def test_sessions_survive_a_restart_with_the_stored_secret(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLUX_SECRET_KEY", raising=False)
    async with running_server(sqlite_url, secret_key=None) as first:
        ada = await first.client("ada")
        cookie = ada.cookie
    async with running_server(sqlite_url, secret_key=None) as second:
        client = second.anonymous()
        client.http.cookies.set("flux_session", cookie or "")
        assert (await client.http.get("/api/notes")).status_code == 200


async def test_a_session_signed_with_another_secret_is_not_accepted(sqlite_url: str) -> None:
    async with running_server(sqlite_url, secret_key="one") as first:
        cookie = (await first.client("ada")).cookie
    async with running_server(sqlite_url, secret_key="two") as second:
        client = second.anonymous()
        client.http.cookies.set("flux_session", cookie or "")
        assert (await client.http.get("/api/notes")).status_code == 401


@pytest.mark.parametrize("name", ["a\x00b", "x" * 5000, "ada lovelace"])
async def test_a_login_with_an_impossible_name_is_just_wrong(
    sqlite_server: Server, name: str
) -> None:
    response = await sqlite_server.anonymous().login(name, PASSWORD)
    assert response.status_code == 401
