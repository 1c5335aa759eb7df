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
