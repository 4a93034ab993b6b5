"""The browser's side of live co-editing: one field of one note, ShareDB style.

A *session* is plain data, returned anew by each function, never mutated:

    {"note": id, "field": "title" | "text",
     "version": the note's version as last confirmed by the server,
     "text": the field at that version,
     "inflight": splices sent and not yet confirmed, or None,
     "inflight_id": the id of the event carrying them, or None,
     "buffer": splices typed since, not yet sent (one normalized list)}

and what the person sees is always

    shown_text(session) == apply(apply(text, inflight), buffer)

At most one event is in flight, so the server only ever transforms it through
changes that the page will also have seen before its confirmation arrives,
in the same order: the page and the server compute the same splices.

    new_session(note, field, text, version)    -> session
    local_edit(session, splices)               -> session  (splices on the shown text)
    take_outgoing(session, event_id)           -> [session, payload or None]
    on_confirmed(session, event_id, version)   -> session  (our event was applied)
    on_remote(session, splices, version)       -> [session, splices for the shown text]
    on_rejected(session)                       -> session  (back to the confirmed text)

The page feeds every confirmed event of the note to the shared reducer, then
to the session: its own event (the id is `inflight_id`) to on_confirmed when
the note's version moved on, to on_rejected when it was refused or became a
conflict copy; any other change of the note to on_remote, with the splices of
the row's last `recent` entry when it is of this field and [] otherwise (the
version counts changes of both fields).  The splices on_remote returns turn
the shown text into the new shown text; text_ops.transform_position maps the
caret and the selection through them.
"""

from shared_reducers.text_ops import apply_splices, compose, transform


class CoeditError(Exception):
    """The page used a session out of order (a bug of the page, not of the data)."""

    def __init__(self, reason):
        Exception.__init__(self, reason)
        self.reason = reason

    def __str__(self):
        return self.reason


def new_session(note, field, text, version):
    """A session on `text`, the field of the note as confirmed at `version`."""
    return {
        "note": note,
        "field": field,
        "version": version,
        "text": text,
        "inflight": None,
        "inflight_id": None,
        "buffer": [],
    }


def shown_text(session):
    """The text the person sees: the confirmed text with what is pending."""
    text = session["text"]
    if session["inflight"] is not None:
        text = apply_splices(text, session["inflight"])
    return apply_splices(text, session["buffer"])


def local_edit(session, splices):
    """The person changed the shown text by `splices`."""
    return {**session, "buffer": compose(session["buffer"], splices)}


def take_outgoing(session, event_id):
    """The payload of a noteSpliced event to send now as `event_id`, or None
    when one is already in flight or nothing is waiting."""
    if session["inflight"] is not None or not session["buffer"]:
        return [session, None]
    payload = {
        "id": session["note"],
        "field": session["field"],
        "baseVersion": session["version"],
        "splices": session["buffer"],
    }
    sent = {**session, "inflight": session["buffer"], "inflight_id": event_id, "buffer": []}
    return [sent, payload]


def on_confirmed(session, event_id, version):
    """Our event in flight was applied as the note's `version`.  The server
    transformed it through the same changes as on_remote did here, so the
    splices it applied are the ones in flight."""
    if session["inflight"] is None or session["inflight_id"] != event_id:
        raise CoeditError(f"on_confirmed: the event {event_id} is not the one in flight.")
    check_next(session, version)
    return {
        **session,
        "version": version,
        "text": apply_splices(session["text"], session["inflight"]),
        "inflight": None,
        "inflight_id": None,
    }


def on_remote(session, splices, version):
    """Someone else's change, applied by the server as `version`: `splices` as
    the row's `recent` tail holds them, made on our confirmed text.

    Returns the session, whose pending splices now follow the remote change
    (which was committed first, so it wins ties), and the remote change
    rewritten to apply to the shown text."""
    check_next(session, version)
    remote = splices
    inflight = session["inflight"]
    if inflight is not None:
        inflight = transform(inflight, splices, True)
        remote = transform(splices, session["inflight"], False)
    buffer = transform(session["buffer"], remote, True)
    shown = transform(remote, session["buffer"], False)
    changes = {
        **session,
        "version": version,
        "text": apply_splices(session["text"], splices),
        "inflight": inflight,
        "buffer": buffer,
    }
    return [changes, shown]


def on_rejected(session):
    """Our event in flight was refused or became a conflict copy (its typed
    text is in the copy): drop what is pending and show the confirmed text."""
    return {**session, "inflight": None, "inflight_id": None, "buffer": []}


def check_next(session, version):
    if version != session["version"] + 1:
        raise CoeditError(
            f"The note went from version {session['version']} to {version}; "
            "a session must see every version of its note, in order."
        )
