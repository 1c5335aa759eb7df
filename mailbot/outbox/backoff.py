"""One backoff rule for everything that retries: the poll service, the outbox and IDLE reconnects."""

from __future__ import annotations


def backoff_seconds(failures: int, *, base: float, cap: float) -> float:
    """The wait after ``failures`` failed cycles in a row: base, 2×base, 4×base … ≤ cap."""
    if failures <= 0:
        return base
    return min(base * 2 ** (failures - 1), max(cap, base))
