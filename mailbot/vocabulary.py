"""The fixed words mailbot speaks: intents, outcomes, statuses, and the rows of SPEC's decision tables.

Every module, template test and page list derives from these instead of
re-listing strings, so a new outcome or status is added in one place. Each is a
``StrEnum``: a member *is* its string, so database columns, JSON and templates
keep the plain words they always had.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Intent(StrEnum):
    """What a mail asks for (SPEC "Intents")."""

    LINK = "link"
    REACTIVATE = "reactivate"
    OTHER = "other"  # a human must read it; no draft
    AUTO = "auto"  # machine mail; never answered


class Outcome(StrEnum):
    """The result of one request (SPEC "Decisions"), or of a mail without one."""

    NEED_INFO = "need_info"
    SENDER_UNVERIFIED = "sender_unverified"
    PRIMARY_NOT_FOUND = "primary_not_found"
    CONFIRM_FROM_PRIMARY = "confirm_from_primary"
    AGENCY_PLAN = "agency_plan"
    PLAN_EXCLUDES_TEAM_MEMBERS = "plan_excludes_team_members"
    PRIMARY_INACTIVE = "primary_inactive"
    TEAM_MEMBER_NOT_REGISTERED = "team_member_not_registered"
    ALREADY_LINKED = "already_linked"
    LINKED_ELSEWHERE = "linked_elsewhere"
    NO_FREE_SEAT = "no_free_seat"
    READY_TO_LINK = "ready_to_link"
    NOT_LINKED = "not_linked"
    PRIMARY_NOT_RENEWED = "primary_not_renewed"
    ALREADY_ACTIVE = "already_active"
    READY_TO_REACTIVATE = "ready_to_reactivate"
    # A whole mail without a request: `other` (or unreadable) mail, and machine mail.
    NEEDS_HUMAN = "needs_human"
    IGNORED = "ignored"


class Table(StrEnum):
    """SPEC's two decision tables; a rule's label starts with its table's name."""

    LINK = "link"
    REACTIVATE = "reactivate"


@dataclass(frozen=True)
class Rule:
    """One row of a decision table: grep ``LINK_NO_FREE_SEAT`` or ``"link #11"`` and find the other."""

    table: Table
    number: int
    outcome: Outcome

    @property
    def label(self) -> str:
        """How agents see the rule, e.g. ``link #11`` (stored in every draft: never change the format)."""
        return f"{self.table} #{self.number}"

    def __str__(self) -> str:
        return self.label


LINK_ADDRESS_MISSING = Rule(Table.LINK, 1, Outcome.NEED_INFO)  # or P = T
LINK_SENDER_UNVERIFIED = Rule(Table.LINK, 2, Outcome.SENDER_UNVERIFIED)
LINK_PRIMARY_NOT_FOUND = Rule(Table.LINK, 3, Outcome.PRIMARY_NOT_FOUND)
LINK_SENDER_NOT_PRIMARY = Rule(Table.LINK, 4, Outcome.CONFIRM_FROM_PRIMARY)
LINK_AGENCY_PLAN = Rule(Table.LINK, 5, Outcome.AGENCY_PLAN)
LINK_PLAN_WITHOUT_SEATS = Rule(Table.LINK, 6, Outcome.PLAN_EXCLUDES_TEAM_MEMBERS)
LINK_PRIMARY_INACTIVE = Rule(Table.LINK, 7, Outcome.PRIMARY_INACTIVE)
LINK_MEMBER_NOT_REGISTERED = Rule(Table.LINK, 8, Outcome.TEAM_MEMBER_NOT_REGISTERED)
LINK_ALREADY_LINKED = Rule(Table.LINK, 9, Outcome.ALREADY_LINKED)
LINK_LINKED_ELSEWHERE = Rule(Table.LINK, 10, Outcome.LINKED_ELSEWHERE)
LINK_NO_FREE_SEAT = Rule(Table.LINK, 11, Outcome.NO_FREE_SEAT)
LINK_READY = Rule(Table.LINK, 12, Outcome.READY_TO_LINK)

REACTIVATE_ADDRESS_MISSING = Rule(Table.REACTIVATE, 1, Outcome.NEED_INFO)  # still, after records; or P = T
REACTIVATE_SENDER_UNVERIFIED = Rule(Table.REACTIVATE, 2, Outcome.SENDER_UNVERIFIED)
REACTIVATE_PRIMARY_NOT_FOUND = Rule(Table.REACTIVATE, 3, Outcome.PRIMARY_NOT_FOUND)
REACTIVATE_SENDER_NOT_PARTY = Rule(Table.REACTIVATE, 4, Outcome.CONFIRM_FROM_PRIMARY)
REACTIVATE_AGENCY_PLAN = Rule(Table.REACTIVATE, 5, Outcome.AGENCY_PLAN)
REACTIVATE_NOT_LINKED = Rule(Table.REACTIVATE, 6, Outcome.NOT_LINKED)
REACTIVATE_PRIMARY_NOT_RENEWED = Rule(Table.REACTIVATE, 7, Outcome.PRIMARY_NOT_RENEWED)
REACTIVATE_ALREADY_ACTIVE = Rule(Table.REACTIVATE, 8, Outcome.ALREADY_ACTIVE)
REACTIVATE_READY = Rule(Table.REACTIVATE, 9, Outcome.READY_TO_REACTIVATE)

#: Both tables, each in SPEC's order.
RULES: tuple[Rule, ...] = (
    LINK_ADDRESS_MISSING,
    LINK_SENDER_UNVERIFIED,
    LINK_PRIMARY_NOT_FOUND,
    LINK_SENDER_NOT_PRIMARY,
    LINK_AGENCY_PLAN,
    LINK_PLAN_WITHOUT_SEATS,
    LINK_PRIMARY_INACTIVE,
    LINK_MEMBER_NOT_REGISTERED,
    LINK_ALREADY_LINKED,
    LINK_LINKED_ELSEWHERE,
    LINK_NO_FREE_SEAT,
    LINK_READY,
    REACTIVATE_ADDRESS_MISSING,
    REACTIVATE_SENDER_UNVERIFIED,
    REACTIVATE_PRIMARY_NOT_FOUND,
    REACTIVATE_SENDER_NOT_PARTY,
    REACTIVATE_AGENCY_PLAN,
    REACTIVATE_NOT_LINKED,
    REACTIVATE_PRIMARY_NOT_RENEWED,
    REACTIVATE_ALREADY_ACTIVE,
    REACTIVATE_READY,
)
_BY_LABEL = {rule.label: rule for rule in RULES}


def rule_by_label(label: str) -> Rule:
    """The rule a stored label names; ``ValueError`` for a label no table has."""
    try:
        return _BY_LABEL[label]
    except KeyError:
        raise ValueError(f"no decision rule is labelled {label!r}") from None


def table_outcomes(table: Table) -> tuple[Outcome, ...]:
    """The outcomes one table can give, in the order of its rows."""
    return tuple(dict.fromkeys(rule.outcome for rule in RULES if rule.table == table))


#: Outcomes a request can have; each one is answered by a template section (``templates/<lang>/outcomes/``).
REQUEST_OUTCOMES: tuple[Outcome, ...] = tuple(dict.fromkeys(rule.outcome for rule in RULES))


class Role(StrEnum):
    """Whose account an address in the customer's text is, by the cue word nearest to it."""

    PRIMARY = "primary"
    TEAM_MEMBER = "team_member"
    UNRELATED = "unrelated"  # a cue says it is no account of the request ("our invoice address")
    UNKNOWN = "unknown"  # no cue: the extraction rules decide


class AddressSource(StrEnum):
    """Where an address of a request came from."""

    TEXT = "text"  # written in the customer's own text
    SENDER = "sender"  # the mail's From stands in for it
    RECORDS = "records"  # filled in from the account records (reactivate only)
    NONE = "none"  # missing
    UNRECORDED = "unrecorded"  # stored by mailbot 0.1.0, which did not keep where it came from
    RENEWAL = "renewal"  # both from the records: a renewal mailbot noticed itself (nobody wrote it)


class SenderVerification(StrEnum):
    """How far the receiving server vouched for the From address (SPEC "Sender verification")."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


class InboundStatus(StrEnum):
    """What became of a stored mail."""

    TRIAGED = "triaged"
    NEEDS_HUMAN = "needs_human"
    IGNORED = "ignored"


class DraftStatus(StrEnum):
    """A draft's life: pending until an agent decides, then on through the outbox."""

    PENDING = "pending"
    APPROVED = "approved"
    SENT = "sent"
    REJECTED = "rejected"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # a newer draft answers the conversation
    ACTION_FAILED = "action_failed"  # the account API refused the action


class ConversationStatus(StrEnum):
    """Where a conversation stands for the agents (``mailbot conversations list``, the console's queue)."""

    WAITING = "waiting"  # a draft waits for review, or a mail needs a human and nothing answered it since
    ANSWERED = "answered"  # an agent approved a reply after its last mail that needed one
    CLOSED = "closed"  # nothing waits and nothing was sent: rejected, ignored or machine mail only


class JoinRule(StrEnum):
    """By which row of SPEC's join table a mail found its conversation."""

    THREAD = "thread"  # 1: In-Reply-To / References name a Message-ID of the conversation
    TAG = "tag"  # 2: the subject carries the conversation's [#id]
    REPEAT = "repeat"  # 3: the same sender, the same intent, within [conversations] window_days
    NEW = "new"  # 4: a new conversation


class ParticipantRole(StrEnum):
    """How an address takes part in a conversation (SPEC "Participants")."""

    SENDER = "sender"  # wrote one of its mails
    RECIPIENT = "recipient"  # one of our replies in it went there
    PRIMARY = "primary"  # named as the primary of one of its requests
    TEAM_MEMBER = "team_member"  # named as the team member of one of its requests


class MessageKind(StrEnum):
    """Whose Message-ID a conversation knows: the customer's mail or our reply."""

    INBOUND = "inbound"
    REPLY = "reply"


class RenewalSource(StrEnum):
    """How mailbot learnt that a primary renewed (SPEC "Renewals")."""

    IMPORT = "import"  # mailbot accounts import
    CLI = "cli"  # mailbot accounts renewed
    BILLING = "billing"  # POST /hooks/billing


class RenewalOutcome(StrEnum):
    """What came of a renewal mailbot learnt of, or of a billing event."""

    # Stored in Renewal.outcome (the first three) and BillingEvent.outcome (any).

    DRAFTED = "drafted"  # a proactive draft waits for an agent
    NO_LAPSED_TEAM_MEMBERS = "no_lapsed_team_members"  # recorded; nothing to draft
    NOT_NEWER = "not_newer"  # the date is not later than one already known: nothing drafted
    ALREADY_SEEN = "already_seen"  # this (primary, paid_until) was seen before: nothing more
    UNKNOWN_ACCOUNT = "unknown_account"  # no account has the address
    NOT_A_PRIMARY = "not_a_primary"  # the address is a linked team member's
    IGNORED = "ignored"  # a billing event that is no renewal (another type, or no customer address)
    DUPLICATE = "duplicate"  # a billing event id processed before (a replay): nothing more


class OutboxStatus(StrEnum):
    """A queued reply; ``sending`` is committed before the SMTP transaction starts."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    NEEDS_AGENT = "needs_agent"  # a send may or may not have happened: a human checks
