"""Bad-input fuzzing: thousands of malformed requests and websocket messages.

A real server (uvicorn in a thread, SQLite) takes hypothesis-generated POST
/api/events bodies, query strings and websocket messages.  Whatever arrives:
no 5xx, the websocket connection stays open and answers every message, and
nothing is written except what the server acknowledged (a 200, or a
`confirmed` message).  Each test prints how many inputs it sent.

`make test` sends 2,200 inputs in all; FLUX_FUZZ_FACTOR multiplies that for a
long run (FLUX_FUZZ_FACTOR=10 .venv/bin/pytest tests/app/test_fuzz.py -o timeout=0).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import urllib.parse
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from server.app import users as users_module
from server.app.app import close_app, open_app
from server.app.schema import metadata
from server.app.settings import Settings
from server.store import connect as connect_database
from tests.support.flux_processes import PASSWORD, add_user

T = TypeVar("T")
FACTOR = float(os.environ.get("FLUX_FUZZ_FACTOR", "1"))
HTTP_BODIES = int(1000 * FACTOR)
QUERIES = int(400 * FACTOR)
WS_MESSAGES = int(800 * FACTOR)
FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EVENT_TYPES = [
    "noteAdded",
    "noteTitleEdited",
    "noteContentEdited",
    "noteRemoved",
    "noteRestored",
    "notePrivacyChanged",
    "@@flux/PROBE_UNKNOWN_EVENT",
]


class ThreadServer:
    """The notes app under uvicorn in its own thread and event loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.started = threading.Event()
        self.server: uvicorn.Server | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.app: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="fuzz-server", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported by start()/stop()
            self.error = error
            self.started.set()

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.app = app = await open_app(
            Settings(database_url=self.url, secret_key=uuid.uuid4().hex)
        )
        # No keepalive pings: websockets draws their payloads from the global `random`,
        # and a draw in another thread while hypothesis generates looks to hypothesis
        # like a strategy using `random` (a deprecation, an error under -W error).
        config = uvicorn.Config(
            app,
            ws="websockets-sansio",
            ws_ping_interval=None,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started and not task.done():  # noqa: ASYNC110 (uvicorn has no event)
            await asyncio.sleep(0.01)
        self.started.set()
        try:
            await task
        finally:
            await close_app(app)

    def start(self) -> None:
        self.thread.start()
        self.started.wait(30)
        if self.error is not None:
            raise self.error

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the server's event loop and wait for its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


class Tally:
    def __init__(self) -> None:
        self.sent = 0
        self.acknowledged: set[int] = set()  # seqs the server answered with
        self.statuses: dict[int, int] = {}

    def note(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadServer]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'notes.db'}"
    saved, users_module.SCRYPT_N = users_module.SCRYPT_N, 2**8
    try:
        asyncio.run(add_user(url, "ada"))
    finally:
        users_module.SCRYPT_N = saved
    running = ThreadServer(url)
    running.start()
    yield running
    running.stop()


class AsgiHttp:
    """A signed-in HTTP client that calls the app in process (ASGI, no TCP round trips)."""

    def __init__(self, server: ThreadServer) -> None:
        self.server = server
        self.client: httpx.AsyncClient = server.call(self._open())

    async def _open(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.server.app)
        return httpx.AsyncClient(transport=transport, base_url=self.server.base, timeout=10)

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        return self.server.call(self.client.request(method, url, **options))

    def close(self) -> None:
        self.server.call(self.client.aclose())


@pytest.fixture(scope="module")
def http(server: ThreadServer) -> Iterator[AsgiHttp]:
    client = AsgiHttp(server)
    answer = client.request("POST", "/login", data={"username": "ada", "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    yield client
    client.close()


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


def logged_seqs(server: ThreadServer) -> set[int]:
    async def read() -> set[int]:
        database = await connect_database(server.url, metadata, create=False)
        try:
            return {event["seq"] for event in await database.events_after(0)}
        finally:
            await database.close()

    return asyncio.run(read())


# -- strategies ----------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)


def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)


json_values = st.recursive(scalars, containers, max_leaves=12)
field_values = json_values | st.text(max_size=300) | st.just("x" * 100_001)
payloads = (
    st.dictionaries(
        st.sampled_from(
            ["id", "title", "text", "private", "baseVersion", "version", "author", "x"]
        ),
        field_values,
        max_size=6,
    )
    | json_values
)
events = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(EVENT_TYPES) | json_values,
        "payload": payloads,
        "id": st.text(max_size=80) | json_values,
        "meta": json_values,
        "error": json_values,
        "seq": json_values,
        "timestamp": json_values,
    },
)
nearly_valid = st.fixed_dictionaries(
    {
        "type": st.sampled_from(EVENT_TYPES[:-1]),
        "id": st.uuids().map(str) | json_values,
        "payload": st.fixed_dictionaries(
            {
                "id": st.text(min_size=1, max_size=60) | json_values,
                "title": st.text(max_size=250) | json_values,
                "text": st.text(max_size=50) | json_values,
            },
            optional={"baseVersion": json_values, "private": json_values},
        ),
    }
)
bodies = (
    st.binary(max_size=200)
    | nearly_valid.map(json.dumps)
    | st.lists(nearly_valid, min_size=1, max_size=3).map(json.dumps)
    | json_values.map(json.dumps)
    | events.map(json.dumps)
    | st.lists(events, max_size=5).map(json.dumps)
    | st.sampled_from(["NaN", "[Infinity]", '{"type": "noteAdded", "payload": -Infinity}'])
    | st.integers(1, 4000).map(lambda depth: "[" * depth + "]" * depth)
)
query_values = st.text(max_size=30) | st.integers().map(str) | st.sampled_from(["", "-1", "1e9"])


def encoded(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


# -- HTTP ----------------------------------------------------------------------


@settings(FUZZ, max_examples=HTTP_BODIES)
@given(body=bodies, content_type=st.sampled_from(["application/json", "text/plain", ""]))
def test_malformed_event_bodies_never_get_a_5xx(
    server: ThreadServer, http: AsgiHttp, tally: Tally, body: str | bytes, content_type: str
) -> None:
    answer = http.request(
        "POST",
        "/api/events",
        content=encoded(body),
        headers={"origin": server.base, "content-type": content_type},
    )
    tally.sent += 1
    tally.note(answer.status_code)
    assert answer.status_code < 500, (body, answer.text)
    if answer.status_code == 200:
        tally.acknowledged.update(event["seq"] for event in answer.json())
    else:
        assert set(answer.json()) == {"error", "detail"}, answer.text


@settings(FUZZ, max_examples=QUERIES)
@given(
    path=st.sampled_from(["/api/events", "/api/notes", "/api/notes/{}/history"]),
    after=query_values,
    limit=query_values,
    note=st.text(min_size=1, max_size=40),
)
def test_malformed_query_strings_never_get_a_5xx(
    http: AsgiHttp, tally: Tally, path: str, after: str, limit: str, note: str
) -> None:
    query = urllib.parse.urlencode({"after": after, "limit": limit}, errors="surrogatepass")
    target = path.format(urllib.parse.quote(note.encode("utf-8", "surrogatepass"), safe=""))
    answer = http.request("GET", f"{target}?{query}")
    tally.sent += 1
    tally.note(answer.status_code)
    assert answer.status_code < 500, (target, query, answer.text)


# -- websocket -----------------------------------------------------------------


@pytest.fixture(scope="module")
def socket_client(server: ThreadServer, http: AsgiHttp) -> Iterator[ClientConnection]:
    cookie = http.client.cookies.get("flux_session")
    with connect(
        f"ws://127.0.0.1:{server.port}/ws?after=0",
        additional_headers={"Cookie": f"flux_session={cookie}"},
        origin=Origin(server.base),
        max_size=None,
        ping_interval=None,
    ) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        yield ws


messages = (
    st.text(max_size=200)
    | json_values.map(json.dumps)
    | st.fixed_dictionaries({"type": st.just("dispatch"), "event": nearly_valid}).map(json.dumps)
    | st.fixed_dictionaries({"type": st.just("dispatch"), "event": events | json_values}).map(
        json.dumps
    )
    | st.fixed_dictionaries({"type": json_values, "event": events}).map(json.dumps)
    | st.integers(1, 4000).map(lambda depth: "[" * depth + "]" * depth)
)


def answer_to(ws: ClientConnection) -> dict[str, Any]:
    """The next message that answers a client message (stream events are skipped)."""
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=5))
        if message["type"] != "event":
            return message


@settings(FUZZ, max_examples=WS_MESSAGES)
@given(message=messages)
def test_malformed_websocket_messages_get_an_answer_and_keep_the_connection(
    socket_client: ClientConnection, tally: Tally, message: str
) -> None:
    socket_client.send(message)
    tally.sent += 1
    answer = answer_to(socket_client)
    assert answer["type"] in ("error", "rejected", "confirmed"), answer
    if answer["type"] == "rejected":
        assert answer["status"] < 500, (message, answer)
    if answer["type"] == "confirmed":
        tally.acknowledged.add(answer["event"]["seq"])


def test_the_fuzzing_wrote_only_what_was_acknowledged(
    server: ThreadServer, tally: Tally, socket_client: ClientConnection
) -> None:
    """Runs after the three fuzz tests above (file order)."""
    if not tally.sent:
        pytest.skip("run with the fuzz tests above: it checks what they left behind")
    print(
        f"fuzzing sent {tally.sent} malformed or odd requests and websocket messages; "
        f"statuses {dict(sorted(tally.statuses.items()))}; {len(tally.acknowledged)} events accepted"
    )
    assert tally.sent >= HTTP_BODIES + QUERIES + WS_MESSAGES
    socket_client.send(json.dumps({"type": "dispatch", "event": "still listening?"}))
    assert answer_to(socket_client)["type"] == "rejected"
    assert logged_seqs(server) == tally.acknowledged
