"""One OS process of the approve-versus-supersede race (tests/test_conversations_race.py).

    python tests/race_worker.py SETTINGS_JSON

Reads one JSON command per line on stdin and answers one JSON line on stdout, so
the test drives two of these — each with its own interpreter and its own
database engine — and starts them together by writing to both pipes:

* ``{"op": "approve", "draft_id": N, "agent": NAME}`` → ``{"approved": outbox Message-ID}``
  or ``{"refused": class name, "message": text, "superseded_by": id|null}``, or ``{"error": …}``
  for anything else (a database error);
* ``{"op": "poll", "gate": PATH|null}`` → the poll's counts; with ``gate`` the poll
  stops at the supersede gate (mailbot/debug_gates.py) until the test opens it.

``ready`` is printed once the imports are done, so no command waits on them.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def _answer(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main() -> None:
    from mailbot.config import settings_from_mapping
    from mailbot.db.engine import make_engine
    from mailbot.debug_gates import SUPERSEDE_GATE_ENV
    from mailbot.errors import MailbotError
    from mailbot.intake.cycle import poll_once
    from mailbot.review.approve import approve

    settings = settings_from_mapping(json.loads(sys.argv[1]), env={})
    engine = make_engine(settings.database.url)
    _answer({"ready": os.getpid()})
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "approve":
            try:
                result = approve(engine=engine, settings=settings, draft_id=command["draft_id"], agent=command["agent"])
            except MailbotError as exc:
                _answer(
                    {
                        "refused": type(exc).__name__,
                        "message": str(exc),
                        "superseded_by": getattr(exc, "superseded_by", None),
                    }
                )
            except Exception as exc:  # a database error (a deadlock, say): the test shows it, the worker goes on
                _answer({"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"})
            else:
                _answer({"approved": result.outbox_message_id})
        elif command["op"] == "poll":
            if command.get("gate"):
                os.environ[SUPERSEDE_GATE_ENV] = command["gate"]
            else:
                os.environ.pop(SUPERSEDE_GATE_ENV, None)
            summary = poll_once(settings=settings, engine=engine, lock_wait=60)
            _answer(
                {
                    "fetched": summary.fetched,
                    "stored": summary.stored,
                    "drafted": summary.drafted,
                    "errors": summary.errors,
                    "skipped": summary.skipped,
                }
            )
        else:
            _answer({"unknown": command["op"]})


if __name__ == "__main__":
    main()
