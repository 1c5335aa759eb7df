"""Sender verification from Authentication-Results (SPEC "Sender verification")."""

from __future__ import annotations

from mailbot.mail.sender_auth import parse_authentication_results, verify_sender

PASS = (
    "mx.vendor.example; dkim=pass header.d=kunde.example; spf=pass smtp.mailfrom=a@kunde.example; "
    "dmarc=pass header.from=kunde.example"
)
SENDER = "anna@kunde.example"


def verdict(*headers: str, trusted: tuple[str, ...] = ()) -> str:
    return verify_sender(auth_headers=list(headers), sender=SENDER, trusted_ids=trusted)


def test_dmarc_pass_verifies() -> None:
    assert verdict(PASS) == "pass"


def test_dmarc_fail_in_topmost_header_wins_over_forged_lower_pass() -> None:
    top = "mx.vendor.example; dkim=none; spf=softfail smtp.mailfrom=kunde.example; dmarc=fail header.from=kunde.example"
    assert verdict(top, PASS) == "fail"


def test_dkim_and_spf_both_failing_is_unverified() -> None:
    assert (
        verdict("mx.vendor.example; dkim=fail header.d=kunde.example; spf=fail smtp.mailfrom=kunde.example") == "fail"
    )


def test_spf_fail_but_aligned_dkim_pass_verifies() -> None:
    assert (
        verdict("mx.vendor.example; spf=fail smtp.mailfrom=kunde.example; dkim=pass header.d=kunde.example") == "pass"
    )


def test_dkim_pass_for_another_domain_does_not_verify_from() -> None:
    assert verdict("mx.vendor.example; dkim=pass header.d=evil.example; spf=none") == "unknown"


def test_spf_pass_alone_does_not_authenticate_from() -> None:
    assert verdict("mx.vendor.example; spf=pass smtp.mailfrom=kunde.example") == "unknown"


def test_missing_header_is_unknown() -> None:
    assert verdict() == "unknown"


def test_trusted_authserv_id_is_chosen_over_topmost() -> None:
    forged_top = "evil.example; dmarc=pass header.from=kunde.example"
    ours = "mx.vendor.example; dmarc=fail header.from=kunde.example"
    assert verdict(forged_top, ours, trusted=("mx.vendor.example",)) == "fail"


def test_only_untrusted_servers_means_unknown() -> None:
    assert verdict(PASS, trusted=("mx.other.example",)) == "unknown"


def test_comments_and_folding_are_tolerated() -> None:
    header = (
        "mx.vendor.example (Postfix; v=1); dkim=pass (2048-bit key; secure)\t header.d=kunde.example "
        "header.s=sel; dmarc=pass (p=QUARANTINE sp=NONE dis=NONE) header.from=kunde.example"
    )
    authserv, results = parse_authentication_results(header)
    assert authserv == "mx.vendor.example"
    assert [(r.method, r.result) for r in results] == [("dkim", "pass"), ("dmarc", "pass")]
    assert verdict(header) == "pass"


def test_office365_style_header_parses_leniently() -> None:
    header = (
        "spf=pass (sender IP is 40.107.1.1) smtp.mailfrom=kunde.example; dkim=pass (signature was "
        "verified) header.d=kunde.example;dmarc=pass action=none header.from=kunde.example;compauth=pass reason=100"
    )
    assert verdict(header) == "pass"


def test_no_sender_is_never_verified() -> None:
    assert verify_sender(auth_headers=[PASS], sender=None) == "fail"


def test_header_without_authserv_id_keeps_its_first_result() -> None:
    authserv, results = parse_authentication_results(
        "spf=fail smtp.mailfrom=kunde.example; dkim=fail header.d=kunde.example"
    )
    assert authserv == ""
    assert [(r.method, r.result) for r in results] == [("spf", "fail"), ("dkim", "fail")]


# -- issue 13 item 1: only results about the From domain count ------------------------


def test_dmarc_pass_for_another_domain_does_not_verify_from() -> None:
    header = "mx.vendor.example; dmarc=pass header.from=evil.example; dkim=pass header.d=evil.example"
    assert verdict(header) == "unknown"


def test_dmarc_fail_for_another_domain_does_not_fail_from() -> None:
    header = "mx.vendor.example; dmarc=fail header.from=evil.example; dkim=pass header.d=kunde.example"
    assert verdict(header) == "pass"


def test_dmarc_for_a_subdomain_of_from_counts() -> None:
    assert verdict("mx.vendor.example; dmarc=pass header.from=mail.kunde.example") == "pass"


def test_spf_softfail_for_another_domain_is_not_about_from() -> None:
    assert verdict("mx.vendor.example; dkim=none; spf=softfail smtp.mailfrom=bounce@evil.example") == "unknown"


def test_two_from_headers_are_never_verified() -> None:
    assert verify_sender(auth_headers=[PASS], sender=SENDER, from_headers=2) == "fail"


def _triage(raw: bytes):
    from factories import triage_context

    from mailbot.triage.pipeline import triage_message

    return triage_message(raw, triage_context())


MULTI_FROM_BODY = (
    "Subject: Teammitglied verknuepfen\nMessage-ID: <m1@beispiel-gmbh.de>\n"
    "Date: Mon, 15 Jun 2026 09:00:00 +0200\nContent-Type: text/plain; charset=utf-8\n\n"
    "Bitte verknuepfen Sie das Konto assistenz@beispiel-gmbh.de mit meinem Hauptkonto.\n"
)


def test_triage_dmarc_pass_about_another_domain_is_not_a_verified_sender() -> None:
    raw = (
        "Authentication-Results: mx.vendor.example; dmarc=pass header.from=evil.example; "
        "dkim=pass header.d=evil.example\nFrom: Thomas <thomas@beispiel-gmbh.de>\n" + MULTI_FROM_BODY
    ).encode()
    assert _triage(raw).sender_verified == "unknown"


def test_triage_second_from_header_with_the_checked_domain_is_unverified() -> None:
    raw = (
        "Authentication-Results: mx.vendor.example; dmarc=pass header.from=evil.example; "
        "dkim=pass header.d=evil.example\nFrom: Thomas <thomas@beispiel-gmbh.de>\n"
        "From: x@evil.example\n" + MULTI_FROM_BODY
    ).encode()
    result = _triage(raw)
    assert result.sender_verified == "fail"
    assert "more than one From header" in result.defects
    assert [d.outcome for d in result.requests] == ["sender_unverified"]


# -- issue 13 item 2: RFC 8601 syntax, not a split on ";" -------------------------------


def test_semicolon_inside_a_quoted_local_part_does_not_forge_a_result() -> None:
    header = 'mx.vendor.example; spf=softfail smtp.mailfrom="x;dmarc=pass"@kunde.example'
    _, results = parse_authentication_results(header)
    assert [(r.method, r.result) for r in results] == [("spf", "softfail")]
    assert results[0].props["smtp.mailfrom"] == "x;dmarc=pass@kunde.example"
    assert verdict(header) == "fail"


def test_quoted_value_attack_from_the_issue_stays_unknown_for_evil_domain() -> None:
    header = 'mx.vendor.example; spf=softfail smtp.mailfrom="x;dmarc=pass"@evil.example'
    assert verify_sender(auth_headers=[header], sender="a@evil.example") == "fail"
    assert verdict(header) == "unknown"


def test_semicolons_and_parentheses_in_comments_and_quotes_are_inert() -> None:
    header = (
        'mx.vendor.example 1; dkim=fail (sig; "broken) header.d=kunde.example; '
        'spf=pass smtp.mailfrom="a(b;dmarc=pass)"@kunde.example (nested (comment; dmarc=pass))'
    )
    authserv, results = parse_authentication_results(header)
    assert authserv == "mx.vendor.example"
    assert [(r.method, r.result) for r in results] == [("dkim", "fail"), ("spf", "pass")]
    assert verdict(header) == "unknown"


def test_version_after_the_authserv_id_is_not_a_result() -> None:
    authserv, results = parse_authentication_results("mx.vendor.example 1; dmarc=pass header.from=kunde.example")
    assert authserv == "mx.vendor.example"
    assert [(r.method, r.result) for r in results] == [("dmarc", "pass")]


def test_quoted_authserv_id_and_spaces_around_equals() -> None:
    authserv, results = parse_authentication_results('"mx.vendor.example" ; dkim = pass header.d = kunde.example')
    assert authserv == "mx.vendor.example"
    assert results[0].props == {"header.d": "kunde.example"}


def test_no_result_header_has_no_results() -> None:
    assert parse_authentication_results("mx.vendor.example; none") == ("mx.vendor.example", [])
