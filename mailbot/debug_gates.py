"""Debug gates: a test holds a process at one exact point, then lets it go.

The approve-versus-supersede race (tests/test_conversations_race.py) must hit
the narrow moment when a poll has read a conversation's pending draft and built
the follow-up's draft on it, but has not yet superseded it (nor written anything). Sleeping would only
make that likely; a gate makes it certain. Unset (always, outside that test),
a gate costs one environment look-up.

The protocol is two named pipes beside ``$MAILBOT_DEBUG_SUPERSEDE_GATE``:
``<path>.arrived`` gets one byte when the process reaches the gate (opening it
blocks until the test listens), then the process blocks reading
``<path>.go`` until the test opens and closes it.
"""

from __future__ import annotations

import os

#: Path prefix of the two FIFOs; set only by the race test.
SUPERSEDE_GATE_ENV = "MAILBOT_DEBUG_SUPERSEDE_GATE"


def wait_at_supersede_gate() -> None:
    """Called by a poll after a batch's conversation look-ups (pending drafts read, the
    follow-ups built on them), before the batch writes anything: on SQLite a write would
    hold the database's lock, and the approval the test lets through here could not commit."""
    base = os.environ.pop(SUPERSEDE_GATE_ENV, None)  # one stop per setting: a retry of the batch passes
    if not base:
        return
    with open(base + ".arrived", "wb") as arrived:
        arrived.write(b"1")
    with open(base + ".go", "rb") as go:
        go.read()
