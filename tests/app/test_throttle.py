"""Sign-in throttling: the Throttle on a fake clock, then through the login form
(per account, per address, no user-existence oracle, case-insensitive accounts)."""

from __future__ import annotations

import httpx
import pytest

from server.app.throttle import Throttle, retry_after
from tests.support.flux_server import PASSWORD, Client, Server


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_the_first_failures_are_free_then_the_wait_doubles(clock: Clock) -> None:
    throttle = Throttle(clock, account_free=3, address_free=100)
    waits = []
    for _ in range(6):
        waits.append(throttle.wait("ada", "10.0.0.1"))
        throttle.failed("ada", "10.0.0.1")
    waits.append(throttle.wait("ada", "10.0.0.1"))
    assert waits == [0, 0, 0, 1, 2, 4, 8]


def test_the_wait_is_counted_from_the_last_failure_and_capped(clock: Clock) -> None:
    throttle = Throttle(clock, account_free=1, account_cap=60, address_free=100)
    for _ in range(20):
        throttle.failed("ada", "10.0.0.1")
    assert throttle.wait("ada", "10.0.0.1") == 60
    clock.now += 45
    assert throttle.wait("ada", "10.0.0.1") == 15
    clock.now += 15
    assert throttle.wait("ada", "10.0.0.1") == 0


def test_an_address_without_failures_is_not_held_by_the_accounts_count(clock: Clock) -> None:
    throttle = Throttle(clock, account_free=2, address_free=100)
    for _ in range(10):
        throttle.failed("ada", "203.0.113.7")
    assert throttle.wait("ada", "203.0.113.7") > 0
    assert throttle.wait("ada", "198.51.100.2") == 0
    throttle.failed("ada", "198.51.100.2")  # a typo from the real user's address
    assert throttle.wait("ada", "198.51.100.2") > 0


def test_an_address_is_held_across_accounts(clock: Clock) -> None:
    throttle = Throttle(clock, account_free=100, address_free=3)
    for name in ("ada", "bob", "cy"):
        throttle.failed(name, "203.0.113.7")
    assert throttle.wait("dan", "203.0.113.7") == 1
    assert throttle.wait("dan", "198.51.100.2") == 0


def test_counts_are_forgotten_after_a_quiet_while_and_on_success(clock: Clock) -> None:
    throttle = Throttle(clock, account_free=1, address_free=1, forget_seconds=600)
    throttle.failed("ada", "a")
    throttle.failed("ada", "a")
    assert throttle.wait("ada", "a") > 0
    clock.now += 601
    assert throttle.wait("ada", "a") == 0
    throttle.failed("ada", "a")
    throttle.failed("ada", "a")
    clock.now += 5
    throttle.succeeded("ada", "a")
    assert throttle.wait("ada", "a") == 0


def test_at_most_max_keys_are_kept_the_quietest_go_first(clock: Clock) -> None:
    throttle = Throttle(clock, account_free=1, address_free=1, max_keys=3)
    for i in range(5):
        clock.now += 1
        throttle.failed(f"user{i}", f"10.0.0.{i}")
    assert list(throttle.accounts.keys) == ["user2", "user3", "user4"]
    assert len(throttle.addresses.keys) == 3


@pytest.mark.parametrize(("wait", "header"), [(0.01, 1), (1.0, 1), (1.2, 2), (299.5, 300)])
def test_retry_after_is_whole_seconds_rounded_up(wait: float, header: int) -> None:
    assert retry_after(wait) == header


# -- through the login form --------------------------------------------------------


async def login_from(client: Client, address: str, name: str, password: str) -> httpx.Response:
    return await client.http.post(
        "/login",
        data={"username": name, "password": password},
        headers={"x-forwarded-for": address},  # the test server trusts 127.0.0.1 as a proxy
    )


async def test_a_hundred_wrong_passwords_are_mostly_refused_with_429(server: Server) -> None:
    await server.add_user("ada")
    client = server.anonymous()
    answers = [await login_from(client, "203.0.113.7", "ada", f"guess {i}") for i in range(100)]
    statuses = [a.status_code for a in answers]
    assert statuses[:5] == [401] * 5
    # Waits of 1, 2, 4 s after the 5th, 6th, 7th failure: 3 more tries need 7 s.
    assert statuses.count(401) <= 8 and statuses.count(429) >= 92
    refused = next(a for a in answers if a.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert "Too many failed sign-ins" in refused.text
    assert 'name="username"' in refused.text  # the same labelled form
    correct = await login_from(client, "203.0.113.7", "ada", PASSWORD)
    assert correct.status_code == 429  # this address must wait, even with the password


async def test_the_real_user_at_a_clean_address_is_not_locked_out(server: Server) -> None:
    await server.add_user("ada")
    attacker, ada = server.anonymous(), server.anonymous()
    for i in range(30):
        await login_from(attacker, "203.0.113.7", "ada", f"guess {i}")
    response = await login_from(ada, "198.51.100.2", "ada", PASSWORD)
    assert response.status_code == 303
    assert (await ada.http.get("/api/notes")).status_code == 200


async def test_unknown_names_and_wrong_passwords_get_the_same_answers(server: Server) -> None:
    await server.add_user("ada")
    client = server.anonymous()

    async def answers(name: str, address: str) -> list[tuple[int, str]]:
        found = []
        for i in range(8):
            response = await login_from(client, address, name, f"guess {i}")
            found.append((response.status_code, response.headers.get("retry-after", "")))
        return found

    assert await answers("ada", "203.0.113.7") == await answers("nobody", "203.0.113.8")


async def test_names_differing_only_in_case_share_one_count(server: Server) -> None:
    await server.add_user("ada")
    client = server.anonymous()
    for name in ("ada", "ADA", "Ada", "aDa", "adA"):
        assert (await login_from(client, "203.0.113.7", name, "wrong one")).status_code == 401
    assert (await login_from(client, "203.0.113.7", "AdA", "wrong one")).status_code == 429
