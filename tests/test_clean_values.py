"""Text and JSON on their way into the database, and a mail's Date as the conversation step reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mailbot.conversations.dates import mail_time
from mailbot.intake.store import clean_json

ESCAPED_UMLAUT = "M\udcc3\udca4rz"  # "März" as compat32 hands over raw UTF-8 header bytes


def test_clean_json_returns_clean_values_as_they_are() -> None:
    value = {"own_text": "Bitte verknüpfen 🙂", "requests": [{"primary": "a@b.example", "seats": 3}], "n": None}
    assert clean_json(value) is value


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ({"own_text": "a\x00b"}, {"own_text": "ab"}),
        ({"nested": [{"reason": "x\x00"}]}, {"nested": [{"reason": "x"}]}),
        ({"ke\x00y": 1}, {"key": 1}),
        ({"subject": ESCAPED_UMLAUT}, {"subject": "März"}),
        ({"list": ("t\x00", 2)}, {"list": ["t", 2]}),
        ({"lone": "\ud800x"}, {"lone": "?x"}),
    ],
)
def test_clean_json_cleans_nul_and_escaped_bytes_at_any_depth(dirty: object, clean: object) -> None:
    assert clean_json(dirty) == clean


def test_clean_json_walks_values_json_cannot_write() -> None:
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    assert clean_json({"at": moment, "text": "a\x00"}) == {"at": moment, "text": "a"}


def test_a_literal_backslash_u0000_in_text_is_kept() -> None:
    assert clean_json({"own_text": "path C:\\u0000"}) == {"own_text": "path C:\\u0000"}


FALLBACK = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Mon, 01 Jun 2026 10:00:00 +0200", datetime(2026, 6, 1, 8, 0, tzinfo=UTC)),
        ("Mon, 01 Jun 2026 10:00:00 -0000", datetime(2026, 6, 1, 10, 0, tzinfo=UTC)),  # no zone: read as UTC
        ("not a date", FALLBACK),
        ("", FALLBACK),
        (None, FALLBACK),
    ],
)
def test_mail_time(header: str | None, expected: datetime) -> None:
    assert mail_time(header, fallback=FALLBACK) == expected
    assert mail_time(header, fallback=FALLBACK) == expected  # asked again: the same (parsed once)
    assert mail_time(header, fallback=FALLBACK).tzinfo is not None


def test_mail_time_gives_a_naive_fallback_a_zone_and_each_call_its_own_fallback() -> None:
    naive = datetime(2026, 3, 1, 9, 0)
    assert mail_time("garbage", fallback=naive) == naive.replace(tzinfo=UTC)
    later = FALLBACK + timedelta(days=1)
    assert mail_time("garbage", fallback=later) == later  # an unreadable Date is not cached as some fallback
    berlin = FALLBACK.astimezone(timezone(timedelta(hours=1)))
    assert mail_time(None, fallback=berlin) == FALLBACK
