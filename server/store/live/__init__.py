"""Live delivery: follow the log (this instance's and others' commits) and fan
committed events out to many clients."""

from server.store.live.fanout import Client, Hub
from server.store.live.follower import LogFollower, poll_seconds_from_env

__all__ = ["Client", "Hub", "LogFollower", "poll_seconds_from_env"]
