"""How mailbot learns that a primary renewed: the CSV import, ``mailbot accounts renewed``, a billing event.

Each way ends in ``record.record_renewal`` in one transaction with what revealed
the renewal, so a failure anywhere leaves nothing half done: an import that
cannot draft imports nothing, an event that cannot be processed is not marked
processed (the billing system sends it again).

With ``[accounts] source = "database"`` mailbot's table is the record: the CLI
and billing events move the primary's ``paid_until`` there (never back to an
older date). With ``"http"`` the vendor's system is the record, so a report only
prompts a fresh look-up of the primary and its team members through the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mailbot.accounts.book import AccountRecord
from mailbot.accounts.csv_import import ImportSummary, read_account_file, upsert_rows
from mailbot.accounts.database import DbAccountBook
from mailbot.accounts.source import open_account_book, uses_account_api
from mailbot.config import Settings
from mailbot.db.engine import new_session
from mailbot.models import Account, BillingEvent, utcnow
from mailbot.renewals.billing import BillingNotice
from mailbot.renewals.detect import is_newer_renewal, moved_later
from mailbot.renewals.draft import primary_languages
from mailbot.renewals.record import RenewalResult, record_renewal, seen_dates, seen_dates_of
from mailbot.vocabulary import RenewalOutcome, RenewalSource


@dataclass(frozen=True)
class ImportResult:
    summary: ImportSummary
    renewals: list[RenewalResult]  # every renewal the import revealed (not those seen before)


def import_with_renewals(*, engine: Engine, settings: Settings, path: Path, today: date | None = None) -> ImportResult:
    """``mailbot accounts import``: upsert the file and draft the renewals it reveals, all or nothing."""
    rows = read_account_file(path)
    today = today or date.today()
    with Session(engine, expire_on_commit=False) as session:
        changed: list[tuple[AccountRecord, AccountRecord]] = []
        summary = upsert_rows(session=session, rows=rows, updated_records=changed)
        session.flush()
        renewals = renewals_in_import(session, settings=settings, changed=changed, today=today)
        session.commit()
    return ImportResult(summary, renewals)


def renewals_in_import(
    session: Session, *, settings: Settings, changed: list[tuple[AccountRecord, AccountRecord]], today: date
) -> list[RenewalResult]:
    """The primaries whose stored ``paid_until`` the import moved later, each recorded (and drafted) once."""
    book = DbAccountBook(session)  # the records as the import leaves them, in its transaction
    now = utcnow()
    results = []
    candidates = [
        (before, after)
        for before, after in changed
        if after.primary_account_id is None and moved_later(before.paid_until, after.paid_until)
    ]
    # One look-up each for every candidate's earlier renewals and language, not one per primary.
    seen_by_primary = seen_dates_of(session, [after.account_id for _, after in candidates])
    languages = primary_languages(session, [after.email for _, after in candidates])
    for before, after in candidates:
        assert after.paid_until is not None
        seen = seen_by_primary.get(after.account_id, [])
        if after.paid_until in seen:
            continue
        newer = is_newer_renewal(after.paid_until, known=before.paid_until, latest_seen=max(seen, default=None))
        results.append(
            record_renewal(
                session,
                settings=settings,
                book=book,
                primary=after,
                paid_until=after.paid_until,
                source=RenewalSource.IMPORT,
                newer=newer,
                today=today,
                now=now,
                language=languages.get(after.email, settings.renewals.language),
            )
        )
    return results


def note_renewal(
    session: Session, *, settings: Settings, email: str, paid_until: date, source: RenewalSource, today: date
) -> RenewalResult:
    """A primary renewed to ``paid_until`` (CLI or billing event), in the caller's transaction (no commit).

    An unknown address or a team member's is answered as an outcome, not raised:
    the CLI turns it into its one-line error, a billing event records it.
    """
    email = email.strip().lower()
    opened = open_account_book(settings, connection=session)
    try:
        primary = opened.by_email(email)
        if primary is None:
            return RenewalResult(
                RenewalOutcome.UNKNOWN_ACCOUNT, email, paid_until, reason=f"no account has the address {email}"
            )
        if primary.primary_account_id is not None:
            return RenewalResult(
                RenewalOutcome.NOT_A_PRIMARY,
                email,
                paid_until,
                reason=f"{email} is a team member of account #{primary.primary_account_id}, not a primary account",
            )
        seen = seen_dates(session, primary.account_id)
        if paid_until in seen:
            return RenewalResult(RenewalOutcome.ALREADY_SEEN, email, paid_until, primary.account_id)
        via_api = uses_account_api(settings)
        newer = is_newer_renewal(
            paid_until, known=primary.paid_until, latest_seen=max(seen, default=None), known_includes_it=via_api
        )
        book = opened
        if newer and not via_api:
            row = session.get(Account, primary.account_id)
            assert row is not None
            row.paid_until = paid_until
            session.add(row)
            session.flush()
            book = DbAccountBook(session)  # the first book's cache holds the old date
            primary = book.by_email(email) or primary
        return record_renewal(
            session,
            settings=settings,
            book=book,
            primary=primary,
            paid_until=paid_until,
            source=source,
            newer=newer,
            today=today,
            now=utcnow(),
        )
    finally:
        opened.close()


def renewed(
    *, engine: Engine, settings: Settings, email: str, paid_until: date, today: date | None = None
) -> RenewalResult:
    """``mailbot accounts renewed EMAIL --paid-until DATE``; nothing is stored for an unknown or non-primary address."""
    with new_session(engine) as session:
        result = note_renewal(
            session,
            settings=settings,
            email=email,
            paid_until=paid_until,
            source=RenewalSource.CLI,
            today=today or date.today(),
        )
        if result.outcome in (RenewalOutcome.UNKNOWN_ACCOUNT, RenewalOutcome.NOT_A_PRIMARY):
            session.rollback()
        else:
            session.commit()
    return result


def process_billing_event(
    *, engine: Engine, settings: Settings, notice: BillingNotice, today: date | None = None
) -> RenewalResult:
    """A verified billing event, processed once per event id and stored with its outcome.

    A replay answers ``duplicate`` and changes nothing. Two deliveries of one event
    at once: the unique event id lets one commit; the other finds it and is a replay.
    An ``AccountApiError`` propagates with nothing stored, so the event comes again.
    """
    today = today or date.today()
    for attempt in (1, 2):
        with new_session(engine) as session:
            if session.exec(select(BillingEvent.id).where(col(BillingEvent.event_id) == notice.event_id)).first():
                return RenewalResult(RenewalOutcome.DUPLICATE, notice.email or "", notice.paid_until)
            if notice.ignored or notice.email is None or notice.paid_until is None:
                result = RenewalResult(
                    RenewalOutcome.IGNORED, notice.email or "", notice.paid_until, reason=notice.ignored or ""
                )
            else:
                result = note_renewal(
                    session,
                    settings=settings,
                    email=notice.email,
                    paid_until=notice.paid_until,
                    source=RenewalSource.BILLING,
                    today=today,
                )
            session.add(
                BillingEvent(
                    event_id=notice.event_id,
                    type=notice.type,
                    received_at=utcnow(),
                    email=notice.email,
                    paid_until=notice.paid_until,
                    outcome=result.outcome,
                    detail=result.detail(),
                )
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                if attempt == 2:
                    raise
                continue
            return result
    raise AssertionError("unreachable")
