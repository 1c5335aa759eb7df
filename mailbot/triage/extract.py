"""Which accounts a request names: addresses in the customer's own text and their roles.

Each address takes the role of the cue word closest to it in its sentence
(``rules/roles.toml``): a cue before it, or one after it joined by "is", "als",
"which is the" ("anna@x is our main account"); such a cue is then not the next
address's. "assistant of Dr. Berg (boss@x)" makes boss@x the primary; "link A to
B" / "A mit B verknüpfen" makes A the team member and B the primary where the cues
leave it open. "my account (x)" is the writer's account: the writer is the sender,
or in a forwarded message its author, and "I am the assistant" in the forwarded
text is about that author. Without a cue, the sender's own address is the primary
and any other address is a team member. For ``reactivate`` only, a missing
address is filled in from the account records when they make it unambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from mailbot.accounts.book import AccountBook
from mailbot.triage.addresses import find_addresses
from mailbot.triage.rules import Rules
from mailbot.vocabulary import AddressSource, Role

_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"[.!?](\s|$)|\n")
_SENTENCE_STOP = re.compile(r"[.!?](?=\s)")
_BULLET = re.compile(r"[ \t>]*([-*•–]|\d+[.)])\s")
_BEFORE_CHARS = 120
_AFTER_CHARS = 40
# Header lines of a forwarded mail ("Subject: Team member account") carry no role cue.
_HEADER_LINE = re.compile(r"^[ \t>]*\*?(Subject|Betreff|Date|Datum|Sent|Gesendet)\s*:.*$", re.I | re.M)
# Between an address and a cue after it, only words that make the cue about that
# address: "anna@x (Hauptkonto)", "anna@x als Teammitglied", "x@y is our new team member",
# "x@y, which is the main account", "x@y, das ist unser Hauptkonto".
# "link x@y to my account" is a cue about another account.
_AFTER_GAP = re.compile(
    r"^[\s,;:()\[\]\-–—=]*(?:(?:as|als|is|ist|are|sind|the|a|an|our|my|unser\w*|mein\w*|der|die|das|"
    r"ein\w*|for|für|account|konto|which|that|that's|this|it|it's|welche\w*|dies\w*|here|hier|will|wird|"
    r"should|soll\w*|be|sein|become|werden|was|war|new|neue\w*|now|jetzt|also|auch)[\s,;:()\-–—]+)*$",
    re.I,
)
_COPULA = re.compile(r"\b(is|ist|are|sind|was|war|be|sein|become|wird|werden)\b", re.I)
# A forwarded message's header line naming its author: "From: Lena <lena@x>", "Von: …".
_AUTHOR_LINE = re.compile(r"^[ \t>]*\*?(from|von|de)\s*:", re.I)


@dataclass(frozen=True)
class Request:
    """One (primary, team member) pair the customer asks about."""

    primary: str | None
    team_member: str | None
    primary_from: AddressSource = AddressSource.TEXT
    team_member_from: AddressSource = AddressSource.TEXT


@dataclass(frozen=True)
class FoundAddress:
    address: str
    start: int
    end: int
    role: Role
    cue: str | None = None
    # The role comes only from "my account (x)": x is the writer's own account, and the
    # writer's role (sender or forwarded author, owner or team member) decides in the end.
    mine: bool = False


def _cue_patterns(rules: Rules) -> tuple[tuple[Role, re.Pattern[str]], ...]:
    return (
        (Role.PRIMARY, rules.primary_cues),
        (Role.TEAM_MEMBER, rules.team_cues),
        (Role.UNRELATED, rules.not_account_cues),
    )


def _closest_cue(text: str, rules: Rules) -> tuple[Role, str, int] | None:
    """(role, cue, distance) of the cue that ends closest to the end of text (text before an address)."""
    found = [(role, m.group(0), len(text) - m.end()) for role, p in _cue_patterns(rules) for m in p.finditer(text)]
    return min(found, key=lambda cue: cue[2], default=None)


def _first_cue(text: str, rules: Rules) -> tuple[Role, str, int] | None:
    """(role, cue, distance) of the cue that starts first in text (text after an address)."""
    found = [(role, m.group(0), m.start()) for role, p in _cue_patterns(rules) if (m := p.search(text))]
    return min(found, key=lambda cue: cue[2], default=None)


def _after_list_intro(text: str, line_start: int, start: int) -> bool:
    """The address opens its line under a sentence ending in ":" ("… to my main account:").

    Such a sentence introduces a list; its cue words describe the request, not each
    item. A short label line ("Main account:") still names the address below it.
    """
    if text[line_start:start].strip() or line_start == 0:
        return False
    previous = text[:line_start].rstrip().rsplit("\n", 1)[-1]
    return previous.endswith(":") and len(previous.split()) > 4


def _window_start(text: str, start: int, lower: int) -> int:
    """Where the text that can hold a cue for the address at ``start`` begins.

    The current sentence of the current paragraph, and for a list item ("- anna@x")
    only the item itself: a cue in another sentence or item is about someone else.
    """
    floor = max(lower, start - _BEFORE_CHARS)
    line_start = text.rfind("\n", 0, start) + 1
    if _BULLET.match(text, line_start) or _after_list_intro(text, line_start, start):
        return max(floor, line_start)
    paragraph = max((m.end() for m in _PARAGRAPH.finditer(text, floor, start)), default=floor)
    sentence = max((m.end() for m in _SENTENCE_STOP.finditer(text, paragraph, start)), default=paragraph)
    return sentence


def _role_of(
    address: str, start: int, end: int, before: str, after: str, rules: Rules, *, taken: int
) -> tuple[FoundAddress, int | None]:
    """The address's role from the cues around it, and where a cue after it ends (it is taken).

    ``before`` is the lower-cased text of its sentence before it, of which the first
    ``taken`` characters hold a cue the address before took; ``after`` the text up
    to the sentence end or the next address.
    """
    owner = rules.team_member_of.search(before)
    if owner:  # "assistant of Dr. Berg (boss@x)": the one the team member belongs to
        return FoundAddress(address, start, end, Role.PRIMARY, owner.group(0).strip(" ,;:(<[\"'-")), None
    cue_after = _first_cue(after.lower(), rules)
    if cue_after and not _AFTER_GAP.match(after[: cue_after[2]]):
        cue_after = None
    mine = rules.my_account_cues.search(before)
    # "my account (x) is a team member account": what x is beats whose it is; but in "link
    # these to my account (x) as team members" the cue is about the others.
    if mine and not (cue_after and _COPULA.search(after[: cue_after[2]])):
        return FoundAddress(address, start, end, Role.PRIMARY, mine.group(0).strip(" (:-–"), mine=True), None
    cue_before = None if mine else _closest_cue(before[taken:], rules)
    # A cue right after ("anna@x als Teammitglied") beats a distant one before.
    if cue_after and (cue_before is None or cue_after[2] * 2 < cue_before[2]):
        return FoundAddress(address, start, end, cue_after[0], cue_after[1]), end + cue_after[2] + len(cue_after[1])
    if cue_before:
        return FoundAddress(address, start, end, cue_before[0], cue_before[1]), None
    return FoundAddress(address, start, end, Role.UNKNOWN), None


def _link_direction(text: str, found: list[FoundAddress], rules: Rules) -> list[FoundAddress]:
    """ "link A to B", "A mit B verknüpfen": A is the team member that is linked, B the primary.

    Only fills in what the cues left open: an address without a cue, or one that is
    only "my account" (the writer's), takes its side of the request.
    """
    out = list(found)
    for index in range(1, len(out)):
        first, second = out[index - 1], out[index]
        if second.role not in (Role.UNKNOWN, Role.PRIMARY) or first.address == second.address:
            continue
        gap = text[first.end : second.start].lower()
        if not rules.link_target.fullmatch(gap):
            continue
        cue = gap.strip(" ,;:()<>[]\"'")
        if second.role == Role.UNKNOWN:
            out[index] = replace(second, role=Role.PRIMARY, cue=cue)
        if first.role == Role.UNKNOWN or first.mine:
            out[index - 1] = replace(first, role=Role.TEAM_MEMBER, cue=cue, mine=False)
    return out


def assign_roles(text: str, addresses: list[tuple[str, int, int]], rules: Rules) -> list[FoundAddress]:
    text = _HEADER_LINE.sub(lambda m: " " * len(m.group(0)), text)
    out: list[FoundAddress] = []
    taken = 0  # a cue after one address ("x@y is our team member and …") is not the next one's
    for index, (address, start, end) in enumerate(addresses):
        window = _window_start(text, start, addresses[index - 1][2] if index else 0)
        before = text[window:start].lower()  # rule phrases are lower case
        upper = addresses[index + 1][1] if index + 1 < len(addresses) else len(text)
        after = text[end : min(upper, end + _AFTER_CHARS)]
        stop = _SENTENCE_END.search(after)
        if stop:
            after = after[: stop.start()]
        found, cue_end = _role_of(address, start, end, before, after, rules, taken=max(0, taken - window))
        out.append(found)
        taken = cue_end or 0
    return out


def _forwarded_author(text: str, found: list[FoundAddress], at: int) -> str | None:
    """The address on the From:/Von: line of the forwarded message's header block."""
    for item in found:
        if item.start < at:
            continue
        line_start = text.rfind("\n", 0, item.start) + 1
        if _AUTHOR_LINE.match(text, line_start):
            return item.address
        if item.start - at > 400:  # past its header block
            break
    return None


def _forwarded_roles(
    text: str, found: list[FoundAddress], *, at: int, sender: str | None, rules: Rules
) -> list[FoundAddress]:
    """In a forwarded message, "I am the assistant", "my account" are its author's words.

    When its author says they are the team member, their own address and the account
    they call "my account" are the team member's, whoever forwarded it.
    """
    author = _forwarded_author(text, found, at)
    if author == sender or not rules.sender_is_team_member.search(text[at:].lower()):
        return found
    return [
        replace(f, role=Role.TEAM_MEMBER, cue="forwarded from the team member", mine=False)
        if f.start >= at and (f.mine or (f.address == author and f.role == Role.UNKNOWN))
        else f
        for f in found
    ]


def extract_requests(
    own_text: str,
    *,
    sender: str | None,
    rules: Rules,
    own_addresses: Collection[str],
    forwarded_at: int | None = None,
) -> tuple[list[Request], list[FoundAddress]]:
    """The (primary, team member) pairs the customer's own text asks about.

    ``forwarded_at`` is where a message the sender forwards begins: what its author
    says about themselves is not about the sender. Returns the requests and every
    address found with its role, for the agent.
    """
    found = [f for f in assign_roles(own_text, find_addresses(own_text), rules) if f.address not in own_addresses]
    found = _link_direction(own_text, found, rules)
    if forwarded_at is not None:
        found = _forwarded_roles(own_text, found, at=forwarded_at, sender=sender, rules=rules)
    cued: dict[str, list[Role]] = {}  # address -> its explicit roles, in the order written
    for item in found:
        cued.setdefault(item.address, [])
        if item.role in (Role.PRIMARY, Role.TEAM_MEMBER) and item.role not in cued[item.address]:
            cued[item.address].append(item.role)
        elif item.role == Role.UNRELATED and not cued[item.address]:
            cued[item.address].append(Role.UNRELATED)
    senders_text = own_text[:forwarded_at] if forwarded_at is not None else own_text
    says_team_member = bool(sender) and bool(rules.sender_is_team_member.search(senders_text.lower()))
    named_primary = any(f.address == sender and f.role == Role.PRIMARY and not f.mine for f in found)
    if sender is not None and sender in cued and says_team_member and not named_primary:
        cued[sender] = [Role.TEAM_MEMBER]  # "my account (me@x)" written by the team member
    primaries = [a for a, roles in cued.items() if roles[:1] == [Role.PRIMARY]]
    team = [a for a, roles in cued.items() if roles[:1] == [Role.TEAM_MEMBER]]
    for address, roles in cued.items():
        if roles:
            continue
        if address == sender and not primaries:  # no cue: the sender's own address is the primary
            primaries.append(address)
        elif address != sender:  # no cue: any other address is a team member
            team.append(address)
    sender_is_team_member = bool(sender) and (sender in team or says_team_member)
    others = [a for a in team if a != sender]
    if says_team_member and not primaries and len(others) == 1:
        # The writer is the team member and names one other person: that is the primary
        # ("… to my boss's account. Her address is boss@x").
        primaries, team = others, [a for a in team if a == sender]
    if primaries:
        primary, primary_from = primaries[0], AddressSource.TEXT
        # Extra "primary" addresses that are not the sender are more team members.
        team.extend(a for a in primaries[1:] if a != sender and a not in team)
    elif sender and not sender_is_team_member:
        primary, primary_from = sender, AddressSource.SENDER
    else:
        primary, primary_from = None, AddressSource.NONE
    team_from = AddressSource.TEXT
    if not team and primary and cued.get(primary) == [Role.PRIMARY, Role.TEAM_MEMBER]:
        team = [primary]  # one address named as both: the customer must tell us the other
    elif not team and sender and sender_is_team_member and sender != primary:
        team, team_from = [sender], AddressSource.SENDER
    requests = [Request(primary, t, primary_from, team_from) for t in team]
    if not requests:
        requests = [Request(primary, None, primary_from, AddressSource.NONE)]
    return requests, found


def fill_from_records(request: Request, *, accounts: AccountBook, sender: str | None) -> Request:
    """Complete a reactivate request from the records where they leave one answer.

    Link requests are never completed from records.
    """
    if request.team_member is None and request.primary_from == AddressSource.SENDER and sender:
        # Nobody was named and the sender's own account is a linked team member:
        # the records show the writer is the team member.
        own = accounts.by_email(sender)
        if own is not None and own.primary_account_id is not None:
            primary = accounts.by_id(own.primary_account_id)
            if primary is not None:
                return Request(primary.email, sender, AddressSource.RECORDS, AddressSource.SENDER)
    if request.team_member is None and request.primary is not None:
        primary = accounts.by_email(request.primary)
        if primary is not None:
            members = accounts.linked_members(primary.account_id)
            if len(members) == 1:
                return replace(request, team_member=members[0].email, team_member_from=AddressSource.RECORDS)
    if request.primary is None and request.team_member is not None:
        member = accounts.by_email(request.team_member)
        if member is not None and member.primary_account_id is not None:
            primary = accounts.by_id(member.primary_account_id)
            if primary is not None:
                return replace(request, primary=primary.email, primary_from=AddressSource.RECORDS)
    return request
