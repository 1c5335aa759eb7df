"""The text of a proactive renewal mail: subject and body, from ``templates/<lang>/renewal.txt.j2``. Pure.

Like every reply it is rendered with Jinja2's ``StrictUndefined`` (a missing
value is an error, never a blank in a customer's mail) and it is only a draft:
an agent approves it, approval reactivates the team members through the account
book, and only then is it sent. So its wording may say "we have reactivated".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from mailbot.triage.decide import Decision
from mailbot.triage.draft import template_environment, template_sections
from mailbot.vocabulary import Intent, Outcome

#: The subject of a renewal mail, per language (our ``[#id]`` tag is added after it).
SUBJECTS = {
    "de": "Ihre Verlängerung und Ihre Teammitglieder",
    "en": "Your renewal and your team members",
}


@dataclass(frozen=True)
class RenewalText:
    subject: str  # without our tag
    body: str


def render_renewal(
    *,
    decisions: list[Decision],
    language: str,
    primary: str,
    paid_until: date,
    support_name: str,
    support_address: str = "",
    templates_path: str = "",
) -> RenewalText:
    """One mail to the primary about every lapsed team member (one decision each)."""
    reactivated = [
        {
            "team_member": d.request.team_member,
            "paid_until": d.action.paid_until.isoformat() if d.action and d.action.paid_until else None,
        }
        for d in decisions
        if d.outcome == Outcome.READY_TO_REACTIVATE
    ]
    others = [d for d in decisions if d.outcome != Outcome.READY_TO_REACTIVATE]
    sections = template_sections(others)
    body = (
        template_environment(templates_path)
        .get_template(f"{language}/renewal.txt.j2")
        .render(
            lang=language,
            # What the outcome sections of the ordinary reply read as well:
            intent=Intent.REACTIVATE,
            customer_name="",
            support_address=support_address,
            primary=primary,
            paid_until=paid_until.isoformat(),
            reactivated=reactivated,
            sections=sections,
            several=len(sections) > 1,
            support_name=support_name,
        )
    )
    return RenewalText(subject=SUBJECTS[language], body=re.sub(r"\n{3,}", "\n\n", body).strip() + "\n")
