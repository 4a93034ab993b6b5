"""A long-lived Node process running tests/support/node/run_coedit.mjs on the build."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.node_process import NodeProcess


class NodeCoedit(NodeProcess):
    """tests/support/node/run_coedit.mjs."""

    def __init__(self) -> None:
        super().__init__("run_coedit.mjs")


@pytest.fixture(scope="session")
def node_coedit() -> Iterator[NodeCoedit]:
    runner = NodeCoedit()
    yield runner
    runner.close()
