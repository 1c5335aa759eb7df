"""One mail through the pure core: parse → classify → extract → match → decide → draft.

``mailbot triage`` (the dry run), the poller and the tests all run this very
function. It never raises for bad mail: whatever goes wrong becomes a
``needs_human`` result with the reason, so one poison message never blocks a poll.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any

from mailbot.accounts.book import AccountBook
from mailbot.config import Plan, Settings
from mailbot.conversations.subjects import has_reply_prefix
from mailbot.errors import AccountApiError
from mailbot.mail.parse import DEFAULT_MAX_BYTES, Mail, decode_words, parse_mail
from mailbot.mail.quotes import OwnText, strip_quoted_history
from mailbot.mail.sender_auth import verify_sender
from mailbot.triage.addresses import OwnAddresses
from mailbot.triage.classify import classify_intent, machine_mail_reason
from mailbot.triage.decide import Decision, decide_requests
from mailbot.triage.draft import DraftText, render_draft
from mailbot.triage.extract import FoundAddress, Request, extract_requests, fill_from_records
from mailbot.triage.language import detect_language
from mailbot.triage.record import TriageRecord, request_json
from mailbot.triage.rules import Rules, load_rules
from mailbot.vocabulary import InboundStatus, Intent, Outcome, SenderVerification


@dataclass(frozen=True)
class TriageContext:
    """Everything triage needs besides the mail: passed explicitly, no globals."""

    accounts: AccountBook
    plans: Mapping[str, Plan]
    today: date
    rules: Rules
    support_address: str
    support_name: str
    own_addresses: frozenset[str]
    trusted_authserv_ids: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    templates_path: str = ""
    answer_since: date | None = None  # older mail is decided but not drafted

    @classmethod
    def from_settings(cls, settings: Settings, *, accounts: AccountBook, today: date) -> TriageContext:
        return cls(
            accounts=accounts,
            plans=settings.plans,
            today=today,
            rules=load_rules(settings.triage.rules_path),
            support_address=settings.support.address,
            support_name=settings.support.name,
            own_addresses=settings.support_addresses(),
            trusted_authserv_ids=settings.sender_auth.trusted_authserv_ids,
            max_bytes=settings.triage.max_message_bytes,
            templates_path=settings.triage.templates_path,
            answer_since=settings.triage.answer_since,
        )


@dataclass(frozen=True, kw_only=True)
class TriageResult(TriageRecord):
    """The record triage stores about a mail, plus its dedup key and the draft to store with it."""

    dedup_key: str
    draft: DraftText | None = None

    @property
    def outcome(self) -> Outcome:
        if self.status == InboundStatus.IGNORED:
            return Outcome.IGNORED
        if not self.requests:
            return Outcome.NEEDS_HUMAN
        return self.requests[0].outcome

    def to_json(self, file: str | None = None) -> dict[str, Any]:
        """The SPEC's triage JSON object (plus ``error`` when the mail needs a human)."""
        obj: dict[str, Any] = {}
        if file is not None:
            obj["file"] = file
        obj.update(
            message_id=self.message_id,
            intent=self.intent,
            language=self.language,
            sender=self.sender,
            sender_verified=self.sender_verified,
            requests=[request_json(d) for d in self.requests],
            draft=(
                {
                    "to": self.draft.to,
                    "subject": self.draft.subject,
                    "body": self.draft.body,
                    "in_reply_to": self.draft.in_reply_to,
                    "references": self.draft.references,
                }
                if self.draft
                else None
            ),
        )
        obj["status"] = self.status
        obj["reason"] = self.reason
        if self.error:
            obj["error"] = self.error
        if self.quote_uncertain:
            obj["quote_uncertain"] = True
        return obj


def _result(
    mail: Mail,
    *,
    verified: SenderVerification,
    intent: Intent,
    status: InboundStatus,
    reason: str,
    language: str | None = None,
    split: OwnText | None = None,
    requests: Sequence[Decision] = (),
    addresses: Sequence[FoundAddress] = (),
    draft: DraftText | None = None,
    error: str | None = None,
    text_intent: Intent | None = None,
    extracted: Sequence[Request] | None = None,
) -> TriageResult:
    """The result for ``mail``: its headers as read, with what triage made of it."""
    return TriageResult(
        dedup_key=mail.dedup_key,
        message_id=mail.message_id,
        sender=mail.sender,
        sender_name=mail.sender_name,
        to=decode_words(mail.header("to") or ""),
        subject=mail.subject,
        date=mail.date,
        text_source=mail.text_source,
        unreadable=mail.unreadable,
        defects=mail.defects,
        intent=intent,
        language=language,
        status=status,
        sender_verified=verified,
        reason=reason,
        requests=tuple(requests),
        addresses=tuple(addresses),
        own_text=split.own if split else "",
        quoted_text=split.quoted if split else "",
        quote_uncertain=split.uncertain if split else False,
        draft=draft,
        error=error,
        reply_to=mail.reply_to,
        in_reply_to=mail.in_reply_to,
        references=mail.references,
        forwarded_at=split.forwarded_at if split else None,
        text_intent=text_intent,
        extracted=None if extracted is None else tuple(extracted),
    )


def triage_mail(mail: Mail, ctx: TriageContext) -> TriageResult:
    """Decide and draft for a parsed mail."""
    verified = verify_sender(
        auth_headers=mail.header_all("authentication-results"),
        sender=mail.sender,
        trusted_ids=ctx.trusted_authserv_ids,
        from_headers=len(mail.header_all("from")),
    )
    own = OwnAddresses(ctx.own_addresses)
    ours = own_mail_reason(mail, own)
    if ours is not None:
        status, why = ours
        return _result(mail, verified=verified, intent=Intent.OTHER, status=status, reason=why)
    auto = machine_mail_reason(mail, ctx.rules)
    if auto:
        return _result(mail, verified=verified, intent=Intent.AUTO, status=InboundStatus.IGNORED, reason=auto)
    if mail.unreadable or not mail.sender:
        why = mail.unreadable or next((d for d in mail.defects if "From" in d), "no sender")
        return _result(
            mail, verified=verified, intent=Intent.OTHER, status=InboundStatus.NEEDS_HUMAN, reason=why, error=why
        )
    split: OwnText = strip_quoted_history(mail.text, subject=mail.subject)
    language = detect_language(f"{mail.subject}\n{split.own}")
    intent, reason = classify_intent(own_text=split.own, subject=mail.subject, rules=ctx.rules, sender=mail.sender)
    text_intent = None
    if split.own and has_reply_prefix(mail.subject):
        text_intent, _why = classify_intent(own_text=split.own, subject="", rules=ctx.rules, sender=mail.sender)
    if intent == Intent.OTHER:
        return _result(
            mail,
            verified=verified,
            intent=intent,
            status=InboundStatus.NEEDS_HUMAN,
            reason=reason,
            language=language,
            split=split,
            text_intent=text_intent,
        )
    requests, found = extract_requests(
        split.own,
        sender=mail.sender,
        rules=ctx.rules,
        own_addresses=own,
        forwarded_at=split.forwarded_at,
    )
    asked = requests
    if intent == Intent.REACTIVATE:
        requests = [fill_from_records(r, accounts=ctx.accounts, sender=mail.sender) for r in requests]
    decisions: list[Decision] = decide_requests(
        requests,
        intent=intent,
        sender=mail.sender,
        sender_verified=verified,
        accounts=ctx.accounts,
        plans=ctx.plans,
        today=ctx.today,
    )
    if ctx.answer_since is not None and _sent_before(mail.date, ctx.answer_since):
        status, draft = InboundStatus.NEEDS_HUMAN, None
        reason = f"dated before triage.answer_since ({ctx.answer_since.isoformat()}): recorded, not answered"
    else:
        to = reply_address(sender=mail.sender, reply_to=mail.reply_to, verified=verified)
        status, draft = InboundStatus.TRIAGED, _draft(mail, ctx, decisions, intent=intent, language=language, to=to)
    return _result(
        mail,
        verified=verified,
        intent=intent,
        status=status,
        reason=reason,
        language=language,
        split=split,
        requests=decisions,
        addresses=found,
        draft=draft,
        text_intent=text_intent,
        extracted=asked,
    )


def _draft(
    mail: Mail, ctx: TriageContext, decisions: list[Decision], *, intent: Intent, language: str, to: str
) -> DraftText:
    return render_draft(
        decisions=decisions,
        intent=intent,
        language=language,
        customer_name=mail.sender_name,
        to=to,
        subject=mail.subject,
        message_id=mail.message_id,
        references=mail.references,
        support_name=ctx.support_name,
        support_address=ctx.support_address,
        templates_path=ctx.templates_path,
    )


def own_mail_reason(mail: Mail, own: OwnAddresses) -> tuple[InboundStatus, str] | None:
    """(status, reason) when the mail is ours or would make us answer ourselves; else None.

    Our own reply coming back (our From and a Message-ID of our domain: a Cc, a
    forward, a mailbox rule) is ``ignored``. Other mail from one of our addresses,
    or whose Reply-To is one of them, is recorded for a human and never drafted:
    answering it would mail ourselves, and the reply to that would loop.
    """
    if mail.sender and mail.sender in own:
        msgid_domain = (mail.message_id or "").strip("<>").rpartition("@")[2].lower()
        if msgid_domain in own.domains:
            return InboundStatus.IGNORED, f"our own reply came back (From {mail.sender}, Message-ID {mail.message_id})"
        return InboundStatus.NEEDS_HUMAN, f"from our own address {mail.sender}: recorded, never answered"
    if mail.reply_to and mail.reply_to in own:
        return InboundStatus.NEEDS_HUMAN, f"Reply-To is our own address {mail.reply_to}: recorded, never answered"
    return None


def reply_address(*, sender: str, reply_to: str | None, verified: SenderVerification) -> str:
    """Where the draft goes: ``Reply-To`` only for a verified sender, else ``From``.

    An unverified mail's Reply-To is whatever its writer chose: a draft that states
    the From's account facts must not go there (issue 13). The agent is shown when
    the recipient is not the sender.
    """
    if reply_to and verified == SenderVerification.PASS:
        return reply_to
    return sender


def _sent_before(header: str | None, day: date) -> bool:
    """Whether the Date header is before ``day``; an unreadable date is not (fail open: a human sees it)."""
    if not header:
        return False
    try:
        sent = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    return sent.date() < day


def triage_message(raw: bytes, ctx: TriageContext) -> TriageResult:
    """Raw bytes in, a result out; bad input becomes ``needs_human`` with the error."""
    mail: Mail | None = None
    try:
        mail = parse_mail(raw, max_bytes=ctx.max_bytes)
        return triage_mail(mail, ctx)
    except AccountApiError:
        # Not the mail's fault: the records could not be read. The caller stops
        # (a poll leaves the mail unmarked for the next one), nothing is recorded.
        raise
    except Exception as exc:  # a bug or an odd mail must not stop the run
        why = f"triage failed: {exc.__class__.__name__}: {exc}"[:500]
        if mail is None:
            mail = parse_mail(b"", max_bytes=ctx.max_bytes)
            mail = replace(mail, raw_sha256=hashlib.sha256(raw).hexdigest())
        return _result(
            mail,
            verified=SenderVerification.UNKNOWN,
            intent=Intent.OTHER,
            status=InboundStatus.NEEDS_HUMAN,
            reason=why,
            error=why,
        )
