"""Renewals (SPEC "Renewals"): when a primary renews, draft the team members' reactivation unasked.

``detect`` and ``billing`` are pure decisions; ``record`` keeps each renewal once
and drafts through ``draft``; ``notice`` is the three ways mailbot learns of one
(the CSV import, ``mailbot accounts renewed``, a billing event).
"""
