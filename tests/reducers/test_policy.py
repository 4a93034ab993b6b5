"""The notes policy (shared_reducers/policy.py): every role, event type and kind
of note, in CPython and in the transpiled JavaScript the page uses."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from typing import Any

from shared_reducers.policy import RULES, denial, may
from tests.support.node_process import ensure_build

USERS = [
    {"name": n, "role": r} for n, r in [("ada", "editor"), ("root", "admin"), ("val", "viewer")]
]
NOTES: list[Any] = [
    None,
    {"id": "n1", "author": "ada", "private": False},
    {"id": "n2", "author": "ada", "private": True},
    {"id": "n3", "author": "bob", "private": False},
    {"id": "n4", "author": "bob", "private": True},
]
KINDS = [*RULES, "notePurged"]
CASES = list(itertools.product(USERS, KINDS, NOTES))


def rule(user: dict[str, str], kind: str, note: Any) -> str | None:
    refused = denial(user, kind, note)
    return None if refused is None else refused[0]


def test_viewers_change_nothing() -> None:
    assert {rule(USERS[2], kind, note) for kind in RULES for note in NOTES} == {"viewers.readOnly"}


def test_editors_add_and_edit_but_remove_and_restore_only_their_own() -> None:
    ada = USERS[0]
    assert rule(ada, "noteAdded", None) is None
    assert rule(ada, "noteContentEdited", NOTES[3]) is None
    assert rule(ada, "noteRemoved", NOTES[1]) is None
    assert rule(ada, "noteRemoved", NOTES[3]) == "noteRemoved.ownOrAdmin"
    assert rule(ada, "noteRestored", NOTES[3]) == "noteRestored.ownOrAdmin"


def test_private_notes_are_their_authors_alone_admins_included() -> None:
    for user, kind in itertools.product(USERS[:2], RULES):
        assert rule(user, kind, NOTES[4]) == "private.authorOnly"
    assert rule(USERS[0], "noteRemoved", NOTES[2]) is None


def test_admins_remove_and_restore_shared_notes() -> None:
    assert may(USERS[1], "noteRemoved", NOTES[3])
    assert may(USERS[1], "noteRestored", NOTES[3])


def test_unknown_event_types_are_refused() -> None:
    assert rule(USERS[1], "notePurged", None) == "unknownType"


def test_javascript_decides_the_same_in_every_case() -> None:
    node = shutil.which("node")
    assert node is not None, "Node is needed for this test; install Node 20."
    entry = ensure_build().as_uri()
    script = (
        f"const {{ denial }} = await import({json.dumps(entry)});"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([u, k, n]) => denial(u, k, n))));"
    )
    ran = subprocess.run(
        [node, "--input-type=commonjs", "-e", f"(async () => {{ {script} }})()"],
        input=json.dumps(CASES),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(ran.stdout) == [denial(*case) for case in CASES]


def test_only_the_author_changes_a_notes_privacy_admins_included() -> None:
    ada, root = USERS[0], USERS[1]
    assert rule(ada, "notePrivacyChanged", NOTES[1]) is None
    assert rule(ada, "notePrivacyChanged", NOTES[2]) is None
    assert rule(ada, "notePrivacyChanged", NOTES[3]) == "notePrivacyChanged.authorOnly"
    assert rule(root, "notePrivacyChanged", NOTES[3]) == "notePrivacyChanged.authorOnly"
    assert rule(root, "notePrivacyChanged", NOTES[4]) == "private.authorOnly"
    assert not may({"name": "bob", "role": "viewer"}, "notePrivacyChanged", NOTES[3])
