"""Triage throughput against the stdlib floor, measured in the same run.

Builds N mails (default 3,000) from the sample corpus with unique Message-IDs,
times ``mailbot triage --json`` and ``triage --summary --json`` over them, and times the floor: a Python
process that parses each file with ``email.policy.default`` and reads
``get_body().get_content()``. Both run as fresh processes, so both pay start-up.

    python benchmarks/bench_triage.py [--mails 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO.parent / "shared" / "corpus", REPO / "tests" / "data"]

FLOOR = r"""
import sys
from email import message_from_binary_file, policy
from pathlib import Path
n = 0
for path in sorted(Path(sys.argv[1]).iterdir()):
    with path.open("rb") as handle:
        msg = message_from_binary_file(handle, policy=policy.default)
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is not None:
        try:
            body.get_content()
        except (LookupError, UnicodeError):
            pass
    n += 1
print(n)
"""


def corpus() -> tuple[Path, list[Path]]:
    for base in SOURCES:
        mails = base / "msgs" if (base / "msgs").is_dir() else base / "mails"
        if mails.is_dir() and (base / "accounts.csv").exists():
            return base, sorted(mails.glob("*.eml"))
    sys.exit("no corpus found (../shared/corpus or tests/data)")


def build(folder: Path, sources: list[Path], count: int) -> None:
    """Copies of the sources with unique Message-IDs, each round of copies dated 30 days before the next.

    Real mail has distinct Dates: with the sources' own Date on every copy, the dry
    run's conversation grouping reads nearly every copy as a repeat of the one
    before (the same sender inside the window) — one long chain of superseded
    drafts no real folder has. The floor parses the very same files.
    """
    originals = [p.read_bytes() for p in sources]
    for i in range(count):
        copy, which = divmod(i, len(originals))
        raw = _dated_earlier(originals[which], days=30 * copy)
        raw, found = re.subn(rb"(?im)^Message-ID:\s*<", b"Message-ID: <b%d." % i, raw, count=1)
        if not found:
            raw = b"Message-ID: <bench.%d@bench.example>\n" % i + raw
        (folder / f"{i:06d}.eml").write_bytes(raw)


_DATE = re.compile(rb"(?im)^Date:[ \t]*([^\r\n]*)")


def _dated_earlier(raw: bytes, *, days: int) -> bytes:
    """``raw`` with its Date header moved ``days`` back (unchanged without a readable one)."""
    head, sep, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    found = _DATE.search(head)
    if not days or found is None:
        return raw
    try:
        when = parsedate_to_datetime(found.group(1).decode("ascii", "replace").strip())
    except (TypeError, ValueError, IndexError):
        return raw
    stamp = format_datetime(when - timedelta(days=days)).encode()
    return head[: found.start(1)] + stamp + head[found.end(1) :] + sep + body


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child): the CPU time is a second view that
    other work on a shared machine disturbs less than the wall clock."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base, sources = corpus()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "mails"
        folder.mkdir()
        build(folder, sources, args.mails)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "MAILBOT_CONFIG": str(base / "config.toml"),
            "MAILBOT_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
        }
        mailbot = [sys.executable, "-m", "mailbot"]
        subprocess.run(
            [*mailbot, "accounts", "import", str(base / "accounts.csv")], check=True, env=env, stdout=subprocess.DEVNULL
        )
        floor_times, triage_times, summary_times = [], [], []
        for _ in range(args.rounds):  # interleaved, so drift on a noisy machine hits all
            floor_times.append(timed([sys.executable, "-c", FLOOR, str(folder)], env))
            triage_times.append(timed([*mailbot, "triage", "--json", str(folder)], env))
            summary_times.append(timed([*mailbot, "triage", "--summary", "--json", str(folder)], env))
    (floor, floor_cpu), (triage, triage_cpu), (summary, summary_cpu) = (
        (min(w for w, _c in times), min(c for _w, c in times)) for times in (floor_times, triage_times, summary_times)
    )
    print(f"corpus: {len(sources)} source mails from {base}, {args.mails} mails built")
    print(f"floor  (policy.default parse + get_content): {args.mails / floor:8.0f} mails/s  ({floor:.2f} s)")
    print(f"triage (mailbot triage --json):              {args.mails / triage:8.0f} mails/s  ({triage:.2f} s)")
    print(f"summary (mailbot triage --summary --json):   {args.mails / summary:8.0f} mails/s  ({summary:.2f} s)")
    print(f"ratio triage/floor: {floor / triage:.2f}x (best of {args.rounds}; target >= 1.0x)")
    print(f"ratio summary/triage: {triage / summary:.2f}x (target >= 1.0x: the report costs no more than the JSON)")
    print(
        f"cpu seconds (best of {args.rounds}): floor {floor_cpu:.2f}, triage {triage_cpu:.2f}, "
        f"summary {summary_cpu:.2f}; cpu ratio triage/floor {floor_cpu / triage_cpu:.2f}x, "
        f"summary/triage {triage_cpu / summary_cpu:.2f}x"
    )


if __name__ == "__main__":
    main()
