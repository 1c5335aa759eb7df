"""Mail to feed the servers: the bundled examples and numbered variants of them.

Used by the poller tests and by benchmarks/bench_poll.py; plain module, no pytest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_MAILS = REPO / "examples" / "mails"
EXAMPLE_ACCOUNTS = REPO / "examples" / "accounts.csv"

_MESSAGE_ID = re.compile(rb"^Message-ID:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n", re.I | re.M)

#: The settings the examples are written against (plans and support address).
EXAMPLE_CONFIG: dict[str, object] = {
    "support": {"address": "support@example.com"},
    "plans": {
        "basic": {"team_seats": 0},
        "pro": {"team_seats": 2},
        "agency": {"team_seats": 10, "agency": True},
    },
}


def example_mails() -> list[tuple[str, bytes]]:
    """(file name, raw bytes) of every example mail, in name order."""
    return [(p.name, p.read_bytes()) for p in sorted(EXAMPLE_MAILS.glob("*.eml"))]


def with_message_id(raw: bytes, message_id: str | None) -> bytes:
    """``raw`` with its Message-ID replaced (or removed when ``message_id`` is None)."""
    without = _MESSAGE_ID.sub(b"", raw, count=1)
    if message_id is None:
        return without
    return f"Message-ID: {message_id}\r\n".encode() + without


def numbered_mails(count: int, *, prefix: str = "m", sources: list[bytes] | None = None) -> Iterator[bytes]:
    """``count`` distinct mails cycling through ``sources`` (default: the examples)."""
    bodies = sources or [raw for _name, raw in example_mails()]
    for n in range(count):
        yield with_message_id(bodies[n % len(bodies)], f"<{prefix}-{n}@mailbot.test>")


def simple_mail(n: int, *, subject: str = "", message_id: str | None = "auto") -> bytes:
    """A short link request from a known primary: a cheap, valid mail for volume tests."""
    mid = f"<simple-{n}@mailbot.test>" if message_id == "auto" else message_id
    head = (
        "From: Claudia Wagner <claudia.wagner@wagner-design.example>\r\n"
        "To: support@example.com\r\n"
        f"Subject: {subject or f'Teammitglied verknuepfen {n}'}\r\n"
        "Date: Tue, 03 Jun 2025 08:41:12 +0200\r\n"
        + (f"Message-ID: {mid}\r\n" if mid else "")
        + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    body = (
        f"Hallo,\r\n\r\nbitte verknuepfen Sie das Konto jonas.fischer@wagner-design.example "
        f"als Teammitglied mit meinem Hauptkonto. (Nachricht {n})\r\n\r\nGruesse\r\nClaudia\r\n"
    )
    return (head + body).encode()
