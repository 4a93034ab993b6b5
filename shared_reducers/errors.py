"""The errors a reducer may raise."""


class EventRejected(Exception):
    """The event cannot happen: nothing of its dispatch is written.

    `reason` is a sentence a person can read ("Note n1 does not exist.").
    """

    def __init__(self, reason):
        Exception.__init__(self, reason)
        self.reason = reason

    def __str__(self):
        return self.reason


class ChangesetConflict(EventRejected):
    """A changeset does not fit the data: an insert of an existing id, or an
    update or removal of a missing one."""
