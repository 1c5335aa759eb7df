"""The SPEC's two decision tables, row by row, and the order in which the rows apply."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from factories import PLANS, TODAY, account, book, customer_mail, triage_context

from mailbot.triage.decide import Action, decide_link, decide_reactivate, decide_requests
from mailbot.triage.extract import Request, fill_from_records
from mailbot.triage.pipeline import triage_message
from mailbot.triage.record import TriageRecord
from mailbot.vocabulary import (
    LINK_NO_FREE_SEAT,
    REACTIVATE_READY,
    REQUEST_OUTCOMES,
    RULES,
    Outcome,
    Table,
    rule_by_label,
)

BOSS, VA, VA2, VA3 = "boss@y.org", "va@x.net", "va2@x.net", "va3@x.net"
STRANGER = "someone@else.com"
YESTERDAY = TODAY - timedelta(days=1)


def link(primary, team_member, accounts, *, sender=BOSS, verified="pass", today=TODAY, taken=0):
    return decide_link(
        Request(primary, team_member),
        sender=sender,
        sender_verified=verified,
        accounts=accounts,
        plans=PLANS,
        today=today,
        seats_taken=taken,
    )


def reactivate(primary, team_member, accounts, *, sender=BOSS, verified="pass", today=TODAY):
    return decide_reactivate(
        Request(primary, team_member),
        sender=sender,
        sender_verified=verified,
        accounts=accounts,
        plans=PLANS,
        today=today,
    )


def boss(**kw):
    return account(77, BOSS, **kw)


def member(account_id=1042, email=VA, **kw):
    kw.setdefault("plan", "trial")
    kw.setdefault("status", "trial")
    kw.setdefault("paid_until", None)
    return account(account_id, email, **kw)


# --- link table -----------------------------------------------------------------


def test_link_1_primary_missing_is_need_info():
    d = link(None, VA, book(boss(), member()))
    assert (d.outcome, d.rule, d.action) == ("need_info", "link #1", None)
    assert d.facts["missing"] == "primary"


def test_link_1_team_member_missing_is_need_info():
    d = link(BOSS, None, book(boss(), member()))
    assert (d.outcome, d.rule) == ("need_info", "link #1")
    assert d.facts["missing"] == "team_member"


def test_link_1_primary_equal_to_team_member_is_need_info():
    d = link(BOSS, BOSS, book(boss()))
    assert (d.outcome, d.rule) == ("need_info", "link #1")


def test_link_2_unverified_sender_is_sender_unverified():
    d = link(BOSS, VA, book(boss(), member()), verified="fail")
    assert (d.outcome, d.rule, d.action) == ("sender_unverified", "link #2", None)


def test_link_unknown_verification_is_not_unverified():
    d = link(BOSS, VA, book(boss(), member()), verified="unknown")
    assert d.outcome == "ready_to_link"


def test_link_3_primary_not_in_accounts_is_primary_not_found():
    d = link(BOSS, VA, book(member()))
    assert (d.outcome, d.rule) == ("primary_not_found", "link #3")


def test_link_4_sender_other_than_primary_is_confirm_from_primary():
    d = link(BOSS, VA, book(boss(), member()), sender=VA)
    assert (d.outcome, d.rule) == ("confirm_from_primary", "link #4")


def test_link_4_stranger_as_sender_is_confirm_from_primary():
    d = link(BOSS, VA, book(boss(), member()), sender=STRANGER)
    assert d.outcome == "confirm_from_primary"


def test_link_5_primary_on_agency_plan_is_agency_plan():
    d = link(BOSS, VA, book(boss(plan="agency"), member()))
    assert (d.outcome, d.rule) == ("agency_plan", "link #5")


def test_link_6_plan_with_zero_seats_is_plan_excludes_team_members():
    d = link(BOSS, VA, book(boss(plan="basic"), member()))
    assert (d.outcome, d.rule) == ("plan_excludes_team_members", "link #6")


def test_link_6_plan_missing_from_config_counts_as_zero_seats():
    d = link(BOSS, VA, book(boss(plan="legacy-2019"), member()))
    assert (d.outcome, d.rule) == ("plan_excludes_team_members", "link #6")


def test_link_7_primary_not_active_is_primary_inactive():
    for status in ("trial", "expired", "cancelled"):
        d = link(BOSS, VA, book(boss(status=status), member()))
        assert (d.outcome, d.rule) == ("primary_inactive", "link #7"), status


def test_link_7_active_primary_paid_until_yesterday_is_primary_inactive():
    d = link(BOSS, VA, book(boss(status="active", paid_until=YESTERDAY), member()))
    assert (d.outcome, d.rule) == ("primary_inactive", "link #7")


def test_link_7_active_primary_without_paid_until_is_primary_inactive():
    d = link(BOSS, VA, book(boss(status="active", paid_until=None), member()))
    assert d.outcome == "primary_inactive"


def test_link_primary_paid_until_today_counts_as_paid():
    d = link(BOSS, VA, book(boss(paid_until=TODAY), member()))
    assert d.outcome == "ready_to_link"
    assert d.action is not None and d.action.paid_until == TODAY


def test_link_8_team_member_not_in_accounts_is_team_member_not_registered():
    d = link(BOSS, VA, book(boss()))
    assert (d.outcome, d.rule) == ("team_member_not_registered", "link #8")


def test_link_9_team_member_linked_to_this_primary_is_already_linked():
    d = link(BOSS, VA, book(boss(), member(primary=77)))
    assert (d.outcome, d.rule) == ("already_linked", "link #9")


def test_link_10_team_member_linked_to_another_primary_is_linked_elsewhere():
    other = account(88, "other@z.com")
    d = link(BOSS, VA, book(boss(), other, member(primary=88)))
    assert (d.outcome, d.rule) == ("linked_elsewhere", "link #10")


def test_link_11_all_seats_taken_is_no_free_seat():
    accounts = book(
        boss(),  # pro: 2 seats
        member(2001, "a@x.net", primary=77, status="active"),
        member(2002, "b@x.net", primary=77, status="expired"),  # any status takes a seat
        member(),
    )
    d = link(BOSS, VA, accounts)
    assert (d.outcome, d.rule) == ("no_free_seat", "link #11")
    assert (d.facts["seats"], d.facts["used"]) == (2, 2)


def test_link_11_seats_taken_earlier_in_the_same_mail_count():
    accounts = book(boss(), member(2001, "a@x.net", primary=77), member())
    assert link(BOSS, VA, accounts, taken=0).outcome == "ready_to_link"
    assert link(BOSS, VA, accounts, taken=1).outcome == "no_free_seat"


def test_link_12_all_checks_pass_is_ready_to_link_with_the_primarys_plan_and_date():
    accounts = book(boss(), member(plan="trial", paid_until=date(2026, 7, 1)))
    d = link(BOSS, VA, accounts)
    assert (d.outcome, d.rule) == ("ready_to_link", "link #12")
    assert d.action == Action(
        kind="link",
        team_member_id=1042,
        team_member=VA,
        primary_id=77,
        primary=BOSS,
        plan="pro",
        paid_until=date(2027, 1, 31),
    )


def test_ready_link_action_text_names_both_accounts_plan_and_date():
    d = link(BOSS, VA, book(boss(), member()))
    assert d.action is not None
    assert d.action.text == ("link va@x.net (#1042) to boss@y.org (#77), plan pro, paid until 2027-01-31")
    assert d.action.as_dict()["text"] == d.action.text
    assert d.action.as_dict()["paid_until"] == "2027-01-31"


# --- link: the first applicable rule wins ------------------------------------------


def test_link_missing_primary_beats_unverified_sender():
    d = link(None, VA, book(boss(), member()), verified="fail")
    assert d.outcome == "need_info"


def test_link_unverified_sender_beats_unknown_primary():
    d = link(BOSS, VA, book(member()), verified="fail")
    assert d.outcome == "sender_unverified"


def test_link_unknown_primary_beats_wrong_sender():
    d = link(BOSS, VA, book(member()), sender=STRANGER)
    assert d.outcome == "primary_not_found"


def test_link_wrong_sender_beats_agency_plan():
    d = link(BOSS, VA, book(boss(plan="agency"), member()), sender=VA)
    assert d.outcome == "confirm_from_primary"


def test_link_agency_plan_beats_inactive_primary():
    d = link(BOSS, VA, book(boss(plan="agency", status="expired"), member()))
    assert d.outcome == "agency_plan"


def test_link_zero_seats_beats_inactive_primary():
    d = link(BOSS, VA, book(boss(plan="basic", paid_until=YESTERDAY)))
    assert d.outcome == "plan_excludes_team_members"


def test_link_inactive_primary_beats_unregistered_team_member():
    d = link(BOSS, VA, book(boss(status="cancelled")))
    assert d.outcome == "primary_inactive"


def test_link_already_linked_beats_no_free_seat():
    accounts = book(boss(plan="solo"), member(primary=77))  # the one seat is VA's own
    d = link(BOSS, VA, accounts)
    assert d.outcome == "already_linked"


def test_link_linked_elsewhere_beats_no_free_seat():
    accounts = book(
        boss(plan="solo"),
        account(88, "other@z.com"),
        member(2001, "a@x.net", primary=77),
        member(primary=88),
    )
    assert link(BOSS, VA, accounts).outcome == "linked_elsewhere"


# --- reactivate table -------------------------------------------------------------


def linked_member(**kw):
    kw.setdefault("plan", "pro")
    kw.setdefault("status", "expired")
    kw.setdefault("paid_until", date(2026, 1, 31))
    return member(primary=77, **kw)


def test_reactivate_1_primary_missing_is_need_info():
    d = reactivate(None, VA, book(boss(), linked_member()))
    assert (d.outcome, d.rule, d.action) == ("need_info", "reactivate #1", None)
    assert d.facts["missing"] == "primary"


def test_reactivate_1_team_member_missing_is_need_info():
    d = reactivate(BOSS, None, book(boss(), linked_member()))
    assert (d.outcome, d.rule) == ("need_info", "reactivate #1")
    assert d.facts["missing"] == "team_member"


def test_reactivate_1_primary_equal_to_team_member_is_need_info():
    d = reactivate(BOSS, BOSS, book(boss()))
    assert (d.outcome, d.rule) == ("need_info", "reactivate #1")


def test_reactivate_2_unverified_sender_is_sender_unverified():
    d = reactivate(BOSS, VA, book(boss(), linked_member()), verified="fail")
    assert (d.outcome, d.rule) == ("sender_unverified", "reactivate #2")


def test_reactivate_3_primary_not_in_accounts_is_primary_not_found():
    d = reactivate(BOSS, VA, book(linked_member()))
    assert (d.outcome, d.rule) == ("primary_not_found", "reactivate #3")


def test_reactivate_4_sender_neither_primary_nor_team_member_is_confirm_from_primary():
    d = reactivate(BOSS, VA, book(boss(), linked_member()), sender=STRANGER)
    assert (d.outcome, d.rule) == ("confirm_from_primary", "reactivate #4")


def test_reactivate_4_team_member_as_sender_may_ask():
    d = reactivate(BOSS, VA, book(boss(), linked_member()), sender=VA)
    assert d.outcome == "ready_to_reactivate"


def test_reactivate_5_primary_on_agency_plan_is_agency_plan():
    d = reactivate(BOSS, VA, book(boss(plan="agency"), linked_member()))
    assert (d.outcome, d.rule) == ("agency_plan", "reactivate #5")


def test_reactivate_6_team_member_not_in_accounts_is_not_linked():
    d = reactivate(BOSS, VA, book(boss()))
    assert (d.outcome, d.rule) == ("not_linked", "reactivate #6")


def test_reactivate_6_team_member_not_linked_to_this_primary_is_not_linked():
    d = reactivate(BOSS, VA, book(boss(), member()))
    assert (d.outcome, d.rule) == ("not_linked", "reactivate #6")


def test_reactivate_6_team_member_linked_to_another_primary_is_not_linked():
    other = account(88, "other@z.com")
    d = reactivate(BOSS, VA, book(boss(), other, member(primary=88)))
    assert (d.outcome, d.rule) == ("not_linked", "reactivate #6")


def test_reactivate_7_primary_not_active_is_primary_not_renewed():
    d = reactivate(BOSS, VA, book(boss(status="expired"), linked_member()))
    assert (d.outcome, d.rule) == ("primary_not_renewed", "reactivate #7")


def test_reactivate_7_active_primary_paid_until_yesterday_is_primary_not_renewed():
    d = reactivate(BOSS, VA, book(boss(paid_until=YESTERDAY), linked_member()))
    assert (d.outcome, d.rule) == ("primary_not_renewed", "reactivate #7")


def test_reactivate_primary_paid_until_today_counts_as_renewed():
    d = reactivate(BOSS, VA, book(boss(paid_until=TODAY), linked_member()))
    assert d.outcome == "ready_to_reactivate"


def test_reactivate_8_active_team_member_paid_as_long_as_primary_is_already_active():
    accounts = book(boss(), linked_member(status="active", paid_until=date(2027, 1, 31)))
    d = reactivate(BOSS, VA, accounts)
    assert (d.outcome, d.rule, d.action) == ("already_active", "reactivate #8", None)


def test_reactivate_8_active_team_member_paid_longer_than_primary_is_already_active():
    accounts = book(boss(), linked_member(status="active", paid_until=date(2028, 1, 1)))
    assert reactivate(BOSS, VA, accounts).outcome == "already_active"


def test_reactivate_active_team_member_paid_shorter_than_primary_is_ready():
    accounts = book(boss(), linked_member(status="active", paid_until=date(2026, 12, 31)))
    assert reactivate(BOSS, VA, accounts).outcome == "ready_to_reactivate"


def test_reactivate_9_expired_linked_team_member_is_ready_to_reactivate():
    d = reactivate(BOSS, VA, book(boss(), linked_member()))
    assert (d.outcome, d.rule) == ("ready_to_reactivate", "reactivate #9")
    assert d.action == Action(
        kind="reactivate",
        team_member_id=1042,
        team_member=VA,
        primary_id=77,
        primary=BOSS,
        plan="pro",
        paid_until=date(2027, 1, 31),
    )
    assert d.action.text == ("reactivate va@x.net (#1042) under boss@y.org (#77): status active, paid until 2027-01-31")


# --- reactivate: the first applicable rule wins ------------------------------------


def test_reactivate_missing_team_member_beats_unverified_sender():
    d = reactivate(BOSS, None, book(boss(), linked_member()), verified="fail")
    assert d.outcome == "need_info"


def test_reactivate_unverified_sender_beats_unknown_primary():
    d = reactivate(BOSS, VA, book(), verified="fail")
    assert d.outcome == "sender_unverified"


def test_reactivate_wrong_sender_beats_agency_plan():
    d = reactivate(BOSS, VA, book(boss(plan="agency"), linked_member()), sender=STRANGER)
    assert d.outcome == "confirm_from_primary"


def test_reactivate_agency_plan_beats_not_linked():
    d = reactivate(BOSS, VA, book(boss(plan="agency")))
    assert d.outcome == "agency_plan"


def test_reactivate_not_linked_beats_primary_not_renewed():
    d = reactivate(BOSS, VA, book(boss(status="expired", paid_until=YESTERDAY), member()))
    assert d.outcome == "not_linked"


def test_reactivate_primary_not_renewed_beats_already_active():
    accounts = book(boss(paid_until=YESTERDAY), linked_member(status="active", paid_until=date(2030, 1, 1)))
    assert reactivate(BOSS, VA, accounts).outcome == "primary_not_renewed"


# --- several requests in one mail --------------------------------------------------


def decide_all(requests, accounts, *, intent="link", sender=BOSS):
    return decide_requests(
        requests,
        intent=intent,
        sender=sender,
        sender_verified="pass",
        accounts=accounts,
        plans=PLANS,
        today=TODAY,
    )


def test_two_team_members_and_one_free_seat_first_written_gets_the_seat():
    accounts = book(
        boss(),
        member(2001, "a@x.net", primary=77),
        member(),
        member(1043, VA2),
    )
    first = decide_all([Request(BOSS, VA), Request(BOSS, VA2)], accounts)
    assert [d.outcome for d in first] == ["ready_to_link", "no_free_seat"]
    assert [d.request.team_member for d in first] == [VA, VA2]
    swapped = decide_all([Request(BOSS, VA2), Request(BOSS, VA)], accounts)
    assert [(d.request.team_member, d.outcome) for d in swapped] == [
        (VA2, "ready_to_link"),
        (VA, "no_free_seat"),
    ]


def test_a_request_that_is_not_ready_takes_no_seat():
    accounts = book(boss(), member(2001, "a@x.net", primary=77), member(1043, VA2))
    # VA has not registered: VA2 still gets the one free seat.
    decisions = decide_all([Request(BOSS, VA), Request(BOSS, VA2), Request(BOSS, VA3)], accounts)
    assert [d.outcome for d in decisions] == [
        "team_member_not_registered",
        "ready_to_link",
        "team_member_not_registered",
    ]


def test_three_ready_links_on_two_free_seats_the_third_has_no_seat():
    accounts = book(boss(), member(), member(1043, VA2), member(1044, VA3))
    decisions = decide_all([Request(BOSS, VA), Request(BOSS, VA2), Request(BOSS, VA3)], accounts)
    assert [d.outcome for d in decisions] == ["ready_to_link", "ready_to_link", "no_free_seat"]
    assert decisions[2].facts["used"] == 2


def test_ready_reactivations_take_no_seats():
    accounts = book(boss(plan="solo"), linked_member(), linked_member(account_id=1043, email=VA2))
    decisions = decide_all([Request(BOSS, VA), Request(BOSS, VA2)], accounts, intent="reactivate")
    assert [d.outcome for d in decisions] == ["ready_to_reactivate", "ready_to_reactivate"]


# --- reactivate: filling in a missing address from the records ---------------------


def fill(request, accounts, *, sender=BOSS):
    return fill_from_records(request, accounts=accounts, sender=sender)


def test_reactivate_team_member_filled_when_primary_has_exactly_one_linked_member():
    accounts = book(boss(), linked_member())
    filled = fill(Request(BOSS, None, "sender", "none"), accounts)
    assert (filled.primary, filled.team_member, filled.team_member_from) == (BOSS, VA, "records")
    assert reactivate(filled.primary, filled.team_member, accounts).outcome == "ready_to_reactivate"


def test_reactivate_team_member_not_filled_when_primary_has_two_linked_members():
    accounts = book(boss(), linked_member(), linked_member(account_id=1043, email=VA2))
    request = Request(BOSS, None, "sender", "none")
    filled = fill(request, accounts)
    assert filled == request
    assert reactivate(filled.primary, filled.team_member, accounts).outcome == "need_info"


def test_reactivate_team_member_not_filled_when_primary_has_no_linked_member():
    request = Request(BOSS, None, "text", "none")
    assert fill(request, book(boss(), member())) == request


def test_reactivate_primary_filled_when_team_member_has_a_primary():
    accounts = book(boss(), linked_member())
    filled = fill(Request(None, VA, "none", "text"), accounts, sender=VA)
    assert (filled.primary, filled.primary_from, filled.team_member) == (BOSS, "records", VA)


def test_reactivate_primary_not_filled_when_team_member_is_not_linked():
    request = Request(None, VA, "none", "text")
    assert fill(request, book(boss(), member()), sender=VA) == request


def test_sender_who_is_a_linked_team_member_and_named_nobody_becomes_the_team_member():
    accounts = book(boss(), linked_member(), account(1043, VA2, primary=77))  # boss has two
    filled = fill(Request(VA, None, "sender", "none"), accounts, sender=VA)
    assert filled == Request(BOSS, VA, "records", "sender")
    decision = reactivate(filled.primary, filled.team_member, accounts, sender=VA)
    assert decision.outcome == "ready_to_reactivate"


# --- link: never completed from records --------------------------------------------


def test_link_with_only_the_primary_stays_need_info_though_records_would_settle_it():
    accounts = book(boss(), member(2001, "a@x.net", primary=77))  # exactly one member
    decisions = decide_all([Request(BOSS, None, "sender", "none")], accounts)
    assert decisions[0].outcome == "need_info"
    assert decisions[0].request.team_member is None


LINK_MAIL_WITHOUT_TEAM_MEMBER = (
    b"From: Boss <boss@y.org>\r\n"
    b"To: support@example.com\r\n"
    b"Subject: Team member\r\n"
    b"Message-ID: <link-1@y.org>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hello, please link my assistant's account to my account.\r\n"
    b"Thanks, Boss\r\n"
)

REACTIVATE_MAIL_WITHOUT_TEAM_MEMBER = LINK_MAIL_WITHOUT_TEAM_MEMBER.replace(
    b"please link my assistant's account to my account",
    b"I renewed my plan, please reactivate my assistant's account",
)


def test_link_mail_naming_no_team_member_is_not_completed_from_records():
    ctx = triage_context(book(boss(), member(2001, "a@x.net", primary=77, status="expired")))
    result = triage_message(LINK_MAIL_WITHOUT_TEAM_MEMBER, ctx)
    assert result.error is None, result.error
    assert result.intent == "link"
    assert [(d.request.primary, d.request.team_member, d.outcome) for d in result.requests] == [
        (BOSS, None, "need_info")
    ]


def test_same_mail_as_reactivation_is_completed_from_records():
    ctx = triage_context(book(boss(), member(2001, "a@x.net", primary=77, status="expired")))
    result = triage_message(REACTIVATE_MAIL_WITHOUT_TEAM_MEMBER, ctx)
    assert result.error is None, result.error
    assert result.intent == "reactivate"
    assert [(d.request.primary, d.request.team_member, d.outcome) for d in result.requests] == [
        (BOSS, "a@x.net", "ready_to_reactivate")
    ]


# --- the rules as data, and decisions as stored ------------------------------------


def test_each_table_numbers_its_rules_in_order_and_every_label_names_one_rule():
    for table, rows in ((Table.LINK, 12), (Table.REACTIVATE, 9)):
        rules = [r for r in RULES if r.table == table]
        assert [r.number for r in rules] == list(range(1, rows + 1))
        assert rules[-1].outcome.startswith("ready_to_")
    assert all(rule_by_label(str(r)) is r for r in RULES)
    assert len(REQUEST_OUTCOMES) == 16 and {Outcome.NEEDS_HUMAN, Outcome.IGNORED}.isdisjoint(REQUEST_OUTCOMES)
    with pytest.raises(ValueError, match="link #13"):
        rule_by_label("link #13")


def test_decisions_fire_the_named_rule():
    accounts = book(boss(plan="pro"), member(), member(1043, VA2, primary=77), member(1044, VA3, primary=77))
    decision = link(BOSS, VA, accounts)
    assert decision.fired is LINK_NO_FREE_SEAT and decision.rule == "link #11"


def test_a_stored_triage_record_reads_back_as_triage_decided_it():
    ctx = triage_context(book(boss(), member(2001, "a@x.net", primary=77, status="expired")))
    result = triage_message(REACTIVATE_MAIL_WITHOUT_TEAM_MEMBER, ctx)
    stored = json.loads(json.dumps(result.stored()))  # through the JSON column
    record = TriageRecord.from_stored(stored)
    assert not record.legacy and record.stored() == stored
    (decision,) = record.requests
    assert decision == replace(result.requests[0], facts={})  # facts only fed the template
    assert (decision.request.primary_from, decision.request.team_member_from) == ("sender", "records")
    assert decision.fired is REACTIVATE_READY and decision.action is not None
    assert record.own_text == result.own_text and "Thanks, Boss" in record.own_text + record.quoted_text
    assert (record.intent, record.status, record.sender_verified) == ("reactivate", "triaged", "unknown")
    # What the text itself asked, before records filled in the team member: a follow-up reads it again.
    assert record.extracted == result.extracted and record.extracted is not None
    assert [(r.team_member, r.team_member_from) for r in record.extracted] == [(None, "none")]


def test_a_stored_reply_keeps_its_own_texts_intent_and_the_writers_own_account():
    ctx = triage_context(book(boss(), member()))
    text = f"Please link {VA} to my account ({BOSS}) as a team member."
    raw = customer_mail(BOSS, text, msgid="r1", subject="Re: Frage")
    result = triage_message(raw, ctx)
    record = TriageRecord.from_stored(json.loads(json.dumps(result.stored())))
    assert result.text_intent == record.text_intent == "link"  # classified without the "Re:" subject
    assert record.addresses == result.addresses and any(a.mine for a in record.addresses)
    plain = triage_message(customer_mail(VA, "Please link me to my boss.", msgid="r2", subject="Frage"), ctx)
    assert plain.text_intent is None  # not a reply: its subject counts, nothing to read again


def test_a_record_stored_by_0_1_0_reads_back_without_address_sources():
    ctx = triage_context(book(boss(), member(2001, "a@x.net", primary=77, status="expired")))
    result = triage_message(REACTIVATE_MAIL_WITHOUT_TEAM_MEMBER, ctx)
    record = TriageRecord.from_stored(json.loads(json.dumps(result.to_json())))  # what 0.1.0 stored
    assert record.legacy and record.own_text == "" and record.addresses == ()
    (decision,) = record.requests
    assert (decision.request.primary, decision.request.team_member) == (BOSS, "a@x.net")
    assert (decision.request.primary_from, decision.request.team_member_from) == ("unrecorded", "unrecorded")
    assert (decision.outcome, decision.rule, decision.action) == (
        result.requests[0].outcome,
        result.requests[0].rule,
        result.requests[0].action,
    )
