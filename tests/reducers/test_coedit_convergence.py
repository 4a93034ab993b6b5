"""Convergence of live co-editing: 2 to 4 pages and API clients against one server.

Each page runs shared_reducers/coedit.py and the notes reducer; the server
runs the notes reducer.  A generated schedule interleaves, in any order, a
page's edit on the text it shows, its sending of the pending splices, the
server's receiving of a page's next message (the uplinks and downlinks are
queues: the order of the actions is the delays), a page's receiving of the
next confirmed event, and whole-field edits by API clients.  Afterwards
everything pending is delivered.  Every character ever inserted is unique
(CJK, astral CJK and emoji code points), so the test can say:

- every page shows the server's text, and its confirmed text is the row's;
- the final text holds exactly the characters that were inserted (or in the
  first text) and that nobody deleted;
- the characters any page ever showed keep their order in the final text.

The same schedules run in CPython and, transpiled, in Node
(tests/support/node/run_coedit.mjs mirrors simulate()), which must agree on every
step.  FLUX_ISO_EXAMPLES sets the number of schedules (default 1000).
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_reducers.coedit import (
    local_edit,
    new_session,
    on_confirmed,
    on_rejected,
    on_remote,
    shown_text,
    take_outgoing,
)
from shared_reducers.combine import combine_reducers
from shared_reducers.errors import EventRejected
from shared_reducers.memory import empty_state, reduce_state
from shared_reducers.notes import make_notes_reducer
from shared_reducers.text_ops import transform_position
from tests.reducers.conftest import NodeCoedit

EXAMPLES = int(os.environ.get("FLUX_ISO_EXAMPLES", "1000"))
AT = "2026-11-26T23:22:24.123Z"
EDIT, SEND, SERVER, RECEIVE, API = range(5)

actions = st.lists(
    st.tuples(
        st.sampled_from([EDIT, EDIT, EDIT, SEND, SEND, SERVER, SERVER, RECEIVE, RECEIVE, API]),
        st.integers(0, 3),
        st.integers(0, 1000),
        st.integers(0, 10),
        st.integers(0, 10),
    ),
    max_size=40,
)
cases = st.fixed_dictionaries(
    {
        "clients": st.integers(2, 4),
        "base": st.integers(0, 6),
        "maxRecent": st.just(200),
        "actions": actions,
    }
)


def unique_char(k: int) -> str:
    if k % 3 == 0:
        return chr(0x4E00 + k)
    if k % 3 == 1:
        return chr(0x20000 + k)
    return chr(0x1F300 + k % 700)


class Simulation:
    """simulate(case) in CPython; tests/support/node/run_coedit.mjs is its mirror."""

    def __init__(self, case: dict[str, Any]) -> None:
        self.root = combine_reducers({"notes": make_notes_reducer(case["maxRecent"], 65536)})
        self.counter = 0
        self.events = 0
        self.n = case["clients"]
        base = self.fresh(case["base"])
        self.deleted: list[str] = []
        self.problems: list[str] = []
        self.trace: list[list[Any]] = []
        add = {"type": "noteAdded", "id": "add", "timestamp": AT, "meta": {"user": "setup"},
               "payload": {"id": "n1", "title": "T", "text": base}}  # fmt: skip
        self.server = reduce_state(self.root, empty_state(["notes"]), add)
        self.clients = [
            {"state": self.server, "session": new_session("n1", "text", base, 1), "caret": 0,
             "up": [], "down": []}
            for _ in range(self.n)
        ]  # fmt: skip

    def fresh(self, count: int) -> str:
        out = "".join(unique_char(self.counter + i) for i in range(count))
        self.counter += count
        return out

    def broadcast(self, event: dict[str, Any], sender: int | None) -> None:
        try:
            self.server = reduce_state(self.root, self.server, event)
        except EventRejected as error:
            self.problems.append("rejected " + event["id"] + ": " + error.reason)
            if sender is not None:
                self.clients[sender]["down"].append({"rejected": event["id"]})
            return
        for client in self.clients:
            client["down"].append(event)

    def receive(self, client: dict[str, Any], message: dict[str, Any]) -> None:
        if "rejected" in message:
            client["session"] = on_rejected(client["session"])
            return
        client["state"] = reduce_state(self.root, client["state"], message)
        row = client["state"]["notes"]["n1"]
        session = client["session"]
        if message["id"] == session["inflight_id"]:
            if row["version"] == session["version"] + 1:
                client["session"] = on_confirmed(session, message["id"], row["version"])
            else:
                client["session"] = on_rejected(session)
        elif row["version"] != session["version"]:
            last = row["recent"][-1]
            splices = last[2] if last[1] == "text" else []
            client["session"], shown = on_remote(session, splices, row["version"])
            client["caret"] = transform_position(client["caret"], shown, False)
        if client["session"]["text"] != row["text"]:
            self.problems.append("confirmed text differs from the row")

    def send(self, who: int) -> None:
        client = self.clients[who]
        self.events += 1
        id = f"c{who}-{self.events}"
        client["session"], payload = take_outgoing(client["session"], id)
        if payload is not None:
            client["up"].append({"type": "noteSpliced", "id": id, "timestamp": AT,
                                 "meta": {"user": f"u{who}"}, "payload": payload})  # fmt: skip

    def act(self, kind: int, who: int, a: int, b: int, c: int) -> None:
        client = self.clients[who]
        if kind == EDIT:
            text = shown_text(client["session"])
            at = a % (len(text) + 1)
            removed = min(b % 4, len(text) - at)
            inserted = self.fresh(c % 4)
            if removed > 0 or inserted != "":
                self.deleted.extend(text[at : at + removed])
                splices = [[at, removed, inserted]]
                client["session"] = local_edit(client["session"], splices)
                client["caret"] = transform_position(client["caret"], splices, True)
        elif kind == SEND:
            self.send(who)
        elif kind == SERVER:
            if client["up"]:
                self.broadcast(client["up"].pop(0), who)
        elif kind == RECEIVE:
            if client["down"]:
                self.receive(client, client["down"].pop(0))
        else:
            self.events += 1
            row = self.server["notes"]["n1"]
            meta = {"user": "api"}
            id = f"api-{self.events}"
            if a % 2 == 0:
                payload = {"id": "n1", "title": f"T{self.events}", "baseVersion": row["version"]}
                event = {"type": "noteTitleEdited", "id": id, "timestamp": AT, "meta": meta,
                         "payload": payload}  # fmt: skip
            else:
                at = b % (len(row["text"]) + 1)
                text = row["text"][:at] + self.fresh(1 + c % 2) + row["text"][at:]
                payload = {"id": "n1", "text": text, "baseVersion": row["version"]}
                event = {"type": "noteContentEdited", "id": id, "timestamp": AT, "meta": meta,
                         "payload": payload}  # fmt: skip
            self.broadcast(event, None)
        self.trace.append([who, shown_text(client["session"]), client["caret"]])

    def run(self, actions: list[list[int]]) -> dict[str, Any]:
        for kind, who, a, b, c in actions:
            self.act(kind, who % self.n, a, b, c)
        for _ in range(10):
            for who in range(self.n):
                self.send(who)
            for who in range(self.n):
                while self.clients[who]["up"]:
                    self.broadcast(self.clients[who]["up"].pop(0), who)
            for client in self.clients:
                while client["down"]:
                    self.receive(client, client["down"].pop(0))
            if all(
                cl["session"]["inflight"] is None and not cl["session"]["buffer"]
                for cl in self.clients
            ):
                break
        row = self.server["notes"]["n1"]
        return {
            "server": row["text"],
            "version": row["version"],
            "shown": [shown_text(cl["session"]) for cl in self.clients],
            "carets": [cl["caret"] for cl in self.clients],
            "created": self.counter,
            "deleted": self.deleted,
            "problems": self.problems,
            "trace": self.trace,
        }


def simulate(case: dict[str, Any]) -> dict[str, Any]:
    return Simulation(case).run(case["actions"])


def check_properties(result: dict[str, Any]) -> None:
    final = result["server"]
    assert result["problems"] == []
    assert result["shown"] == [final] * len(result["shown"])
    every = {unique_char(k) for k in range(result["created"])}
    assert len(set(final)) == len(final), "a character appears twice"
    assert set(final) == every - set(result["deleted"])
    where = {ch: i for i, ch in enumerate(final)}
    for _who, shown, caret in result["trace"]:
        assert 0 <= caret <= len(shown)
        kept = [where[ch] for ch in shown if ch in where]
        assert kept == sorted(kept), f"{shown!r} is not in the order of {final!r}"
    for caret in result["carets"]:
        assert 0 <= caret <= len(final)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def as_lists(case: dict[str, Any]) -> dict[str, Any]:
    return {**case, "actions": [list(action) for action in case["actions"]]}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases)
def test_pages_converge_in_cpython_and_node(node_coedit: NodeCoedit, case: dict) -> None:
    case = as_lists(case)
    python = simulate(case)
    check_properties(python)
    node = node_coedit.ask({"simulate": case})
    assert canonical(node) == canonical(python), "Node and CPython differ on the same schedule"


def test_two_pages_typing_at_the_same_place_keep_both_words(node_coedit: NodeCoedit) -> None:
    # Both type at the end of the text before either hears of the other.
    case = {"clients": 2, "base": 2, "maxRecent": 200, "actions": [
        [EDIT, 0, 2, 0, 3], [EDIT, 1, 2, 0, 3], [SEND, 0, 0, 0, 0], [SEND, 1, 0, 0, 0],
        [SERVER, 1, 0, 0, 0], [SERVER, 0, 0, 0, 0],
    ]}  # fmt: skip
    result = simulate(case)
    check_properties(result)
    # The text is chars 0-1; page 0 typed chars 2-4, page 1 chars 5-7.  Page 1's
    # splice was committed first, so its text stays first.
    assert result["server"] == unique_chars(0, 2) + unique_chars(5, 8) + unique_chars(2, 5)
    assert canonical(node_coedit.ask({"simulate": case})) == canonical(result)


def unique_chars(start: int, end: int) -> str:
    return "".join(unique_char(k) for k in range(start, end))


def test_a_page_behind_the_tail_gets_its_typing_back_as_a_conflict_copy() -> None:
    # With a tail of 1, page 0's splice made on version 1 arrives after two changes.
    case: dict[str, Any] = {"clients": 2, "base": 1, "maxRecent": 1, "actions": [
        [EDIT, 0, 0, 0, 1], [SEND, 0, 0, 0, 0],
        [EDIT, 1, 1, 0, 1], [SEND, 1, 0, 0, 0], [SERVER, 1, 0, 0, 0],
        [API, 1, 0, 0, 0], [SERVER, 0, 0, 0, 0],
    ]}  # fmt: skip
    simulation = Simulation(case)
    result = simulation.run(case["actions"])
    assert result["shown"] == [result["server"]] * 2
    notes = simulation.server["notes"]
    copies = [id for id in notes if "~" in id]
    assert len(copies) == 1 and notes[copies[0]]["text"] == unique_char(1)
